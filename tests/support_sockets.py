"""Reading HTTP/1.1 answers off a raw socket, for the tests of limits a client cannot reach
through an HTTP library (unfinished headers, trickled bodies, what the server closes)."""

from __future__ import annotations

import json
import socket


def read_response(sock: socket.socket) -> bytes:
    """One response: its head and (by Content-Length) its body; b"" if the server closed."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = _recv(sock)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.lower().split(b"\r\n")
    length = next((int(line[15:]) for line in lines if line.startswith(b"content-length:")), 0)
    while len(body) < length:
        chunk = _recv(sock)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def _recv(sock: socket.socket) -> bytes:
    try:
        return sock.recv(65536)
    except ConnectionResetError:
        return b""


def problem_of(response: bytes) -> dict[str, object]:
    head, _, body = response.partition(b"\r\n\r\n")
    assert b"content-type: application/problem+json" in head.lower()
    problem: dict[str, object] = json.loads(body)
    return problem


def closed_by_server(sock: socket.socket) -> bool:
    """Whether the server closed the connection (after any answer it wrote)."""
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return True
        except TimeoutError:
            return False
        if not chunk:
            return True
