"""Throughput and latency of the gateway's data path next to nginx, on loopback.

    python bench/gateway.py [--duration 10] [--connections 64] [--warmup 2]

Rows: (a) the upstream alone, (b) nginx ``proxy_pass`` to it, (c) Strata's data path
(uvicorn, uvloop + httptools, one worker; bench/gateway_server.py) proxying to the same
upstream with a token check (cached verification) and a rate limit (memory store). The
upstream is nginx serving a small static response. The process under test is pinned to one
core with ``taskset``; the load generator and the upstream get the other cores. Load comes
from ``wrk`` when installed, otherwise from a small aiohttp client (the output says which).

Besides requests per second and latency, each row shows the CPU time the process under test
spent per request: on a machine busy with other work, requests per CPU-second are the fair
comparison between nginx and Strata.

The real token verifier (``gateway.oauth``) and rate limiter (``gateway.ratelimit``) are used
when they are importable; otherwise the data path's own stand-ins are, and the row says so.

    apt-get install -y nginx-light wrk     # what the full table needs
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PATH = "/system/bench/v1/hello"
BODY = '{"message":"hello from the upstream"}'
SERVER = Path(__file__).resolve().parent / "gateway_server.py"


@dataclass
class Result:
    name: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    note: str = ""
    cpu_us_per_request: float | None = None

    @property
    def per_core_second(self) -> float | None:
        """Requests per second of CPU time of the process under test: throughput as if
        it had its core to itself, which other load on the machine does not distort."""
        if not self.cpu_us_per_request:
            return None
        return 1e6 / self.cpu_us_per_request


# ---------------------------------------------------------------- processes and cores


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port} after {timeout} s")


def _stat_fields(pid: int) -> list[str]:
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2 :].split()


def tree_cpu_seconds(root: int) -> float:
    """CPU time (user + system) of a process and its children, e.g. nginx and its worker."""
    pids = {root}
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = _stat_fields(int(entry.name))
        except (OSError, ValueError):
            continue
        if int(entry.name) in pids or int(fields[1]) in pids:
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def cpu_plan() -> tuple[list[str], list[str], str]:
    """taskset prefixes for the process under test and for the rest, and a description."""
    cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if not shutil.which("taskset") or len(cores) < 2:
        return (
            [],
            [],
            f"no pinning ({len(cores) or '?'} core(s), taskset "
            f"{'found' if shutil.which('taskset') else 'missing'})",
        )
    rest = ",".join(str(core) for core in cores[1:])
    return (
        ["taskset", "-c", str(cores[0])],
        ["taskset", "-c", rest],
        f"proxy under test on core {cores[0]}; load generator and upstream on core(s) {rest}",
    )


@contextlib.contextmanager
def running(command: list[str], port: int, **options: Any) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(command, text=True, **options)
    try:
        wait_for_port(port)
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# ---------------------------------------------------------------- nginx


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next(
        (path for path in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.path.exists(path)),
        None,
    )


def nginx_config(directory: Path, name: str, server: str) -> Path:
    """A foreground nginx with one worker, logs and temp files under ``directory``."""
    prefix = directory / name
    prefix.mkdir()
    prefix.chmod(0o777)
    user = "user root root;" if os.geteuid() == 0 else ""
    temp = "\n".join(
        f"    {kind}_temp_path {prefix}/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    config = prefix / "nginx.conf"
    config.write_text(
        f"""{user}
daemon off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
{temp}
    keepalive_requests 1000000;
    keepalive_timeout 65;
{server}
}}
"""
    )
    return config


def upstream_server(port: int) -> str:
    return f"""    server {{
        listen 127.0.0.1:{port} reuseport backlog=4096;
        location / {{
            default_type application/json;
            return 200 '{BODY}';
        }}
    }}"""


def proxy_server(port: int, upstream_port: int) -> str:
    return f"""    upstream bench_upstream {{
        server 127.0.0.1:{upstream_port};
        keepalive 128;
    }}
    server {{
        listen 127.0.0.1:{port} reuseport backlog=4096;
        location /system/bench/v1/ {{
            proxy_pass http://bench_upstream/;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }}
    }}"""


# ---------------------------------------------------------------- load generators


def run_wrk(
    url: str, seconds: int, args: argparse.Namespace, pin: list[str], headers: dict[str, str]
) -> Result:
    header_args = [part for name, value in headers.items() for part in ("-H", f"{name}: {value}")]
    base = [*pin, "wrk", "-t1", f"-c{args.connections}", "--latency", *header_args]
    output = subprocess.run(
        [*base, f"-d{seconds}s", url], capture_output=True, text=True, check=True
    ).stdout
    return Result(
        "",
        float(_match(r"Requests/sec:\s+([\d.]+)", output)),
        _wrk_latency(output, "50%"),
        _wrk_latency(output, "99%"),
        _wrk_errors(output),
    )


def _match(pattern: str, text: str) -> str:
    found = re.search(pattern, text)
    if found is None:
        raise RuntimeError(f"unexpected wrk output:\n{text}")
    return found.group(1)


def _wrk_latency(output: str, percentile: str) -> float:
    value, unit = re.search(rf"{percentile}\s+([\d.]+)(us|ms|s)", output).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def _wrk_errors(output: str) -> int:
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return errors + (int(non_2xx.group(1)) if non_2xx else 0)


async def _aiohttp_load(
    url: str, seconds: float, connections: int, headers: dict[str, str]
) -> tuple[int, list[float], int]:
    import aiohttp

    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                try:
                    async with session.get(url) as response:
                        await response.read()
                        if response.status >= 400:
                            errors += 1
                except aiohttp.ClientError:
                    errors += 1
                latencies.append(time.perf_counter() - started)

        await asyncio.gather(*(worker() for _ in range(connections)))
    return len(latencies), latencies, errors


def run_aiohttp(
    url: str, seconds: int, args: argparse.Namespace, headers: dict[str, str]
) -> Result:
    count, latencies, errors = asyncio.run(_aiohttp_load(url, seconds, args.connections, headers))
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return Result("", count / seconds, cuts[49] * 1000, cuts[98] * 1000, errors)


# ---------------------------------------------------------------- the Strata process


def start_strata(
    pin: list[str], port: int, upstream: str, *, stand_ins: bool = False
) -> tuple[subprocess.Popen[str], str, str]:
    command = [*pin, sys.executable, str(SERVER), "serve", "--port", str(port)]
    command += ["--upstream", upstream, *(["--stand-ins"] if stand_ins else [])]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline().split(maxsplit=2)
    if not line or line[0] != "READY":
        process.kill()
        raise RuntimeError("the Strata data path did not start")
    wait_for_port(port)
    return process, line[1], line[2].strip()


def stop(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# ---------------------------------------------------------------- the run


def measure(
    url: str,
    args: argparse.Namespace,
    pin: list[str],
    tested_pid: int,
    headers: dict[str, str] | None = None,
) -> Result:
    """Warms up, then loads ``url`` for the row's duration, noting the CPU time the
    process under test (``tested_pid`` and its children) spent meanwhile."""

    def load(seconds: int) -> Result:
        if shutil.which("wrk"):
            return run_wrk(url, seconds, args, pin, headers or {})
        return run_aiohttp(url, seconds, args, headers or {})

    if args.warmup:
        load(args.warmup)
    cpu_before = tree_cpu_seconds(tested_pid)
    result = load(args.duration)
    cpu = tree_cpu_seconds(tested_pid) - cpu_before
    served = result.requests_per_second * args.duration
    result.cpu_us_per_request = cpu / served * 1e6 if served else None
    return result


def fallback_upstream(pin: list[str], port: int) -> subprocess.Popen[str]:
    """Without nginx: a minimal raw ASGI app on uvicorn as the upstream."""
    command = [*pin, sys.executable, str(SERVER), "static", "--port", str(port)]
    process = subprocess.Popen(command, text=True)
    wait_for_port(port)
    return process


def print_table(results: list[Result], args: argparse.Namespace, plan: str, generator: str) -> None:
    print()
    print(
        f"load: {generator}, {args.connections} connections, {args.duration} s per row "
        f"(after {args.warmup} s warm-up); GET of a {len(BODY)}-byte JSON body"
    )
    print(f"cores: {plan}")
    print()
    print(
        f"{'row':<42} {'req/s':>9} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6} "
        f"{'CPU us/req':>10} {'req/CPU-s':>10}"
    )
    for result in results:
        cpu = f"{result.cpu_us_per_request:>10.1f}" if result.cpu_us_per_request else f"{'-':>10}"
        per_core = f"{result.per_core_second:>10,.0f}" if result.per_core_second else f"{'-':>10}"
        print(
            f"{result.name:<42} {result.requests_per_second:>9,.0f} {result.p50_ms:>7.2f} "
            f"{result.p99_ms:>7.2f} {result.errors:>6} {cpu} {per_core}"
        )
        if result.note:
            print(f"{'':<4}{result.note}")
    print(
        "\nCPU us/req: CPU time of the process under test per request served; req/CPU-s: "
        "requests per second of that process's CPU time (what one core of its own would give)."
    )
    by_name = {result.name[:3]: result for result in results}
    if "(b)" in by_name and "(c)" in by_name:
        nginx, strata = by_name["(b)"], by_name["(c)"]
        ratio = strata.requests_per_second / nginx.requests_per_second
        print(f"Strata / nginx proxy_pass: {ratio:.1%} of the requests per second", end="")
        if nginx.per_core_second and strata.per_core_second:
            print(f", {strata.per_core_second / nginx.per_core_second:.1%} per CPU-second")
        else:
            print()


def main(args: argparse.Namespace) -> None:
    pin_proxy, pin_rest, plan = cpu_plan()
    generator = (
        "wrk (1 thread)"
        if shutil.which("wrk")
        else "aiohttp client (wrk not installed: apt-get install -y wrk)"
    )
    nginx = nginx_binary()
    results: list[Result] = []
    upstream_port, proxy_port = free_port(), free_port()
    with (
        tempfile.TemporaryDirectory(prefix="strata-bench-") as temp,
        contextlib.ExitStack() as stack,
    ):
        directory = Path(temp)
        directory.chmod(0o777)
        if nginx is None:
            print(
                "nginx not found: install it with `apt-get install -y nginx-light`; "
                "rows (a) and (b) use a uvicorn upstream / are skipped"
            )
            upstream_process = fallback_upstream(pin_rest, upstream_port)
            stack.callback(stop, upstream_process)
            upstream_label = "(a) upstream direct (uvicorn, nginx missing)"
        else:
            config = nginx_config(directory, "upstream", upstream_server(upstream_port))
            upstream_process = stack.enter_context(
                running([*pin_rest, nginx, "-c", str(config)], upstream_port)
            )
            upstream_label = "(a) upstream direct (nginx, static)"
        upstream = f"http://127.0.0.1:{upstream_port}"

        results.append(measure(f"{upstream}/hello", args, pin_rest, upstream_process.pid))
        results[-1].name = upstream_label

        if nginx is not None:
            config = nginx_config(directory, "proxy", proxy_server(proxy_port, upstream_port))
            with running([*pin_proxy, nginx, "-c", str(config)], proxy_port) as proxy:
                url = f"http://127.0.0.1:{proxy_port}{PATH}"
                results.append(measure(url, args, pin_rest, proxy.pid))
            results[-1].name = "(b) nginx proxy_pass (1 worker)"

        rows = [("(c) Strata data path (uvicorn, 1 worker)", False)]
        if args.breakdown:
            rows.append(("(d) Strata, hooks' stand-ins", True))
        for name, stand_ins in rows:
            results.append(bench_strata(pin_proxy, pin_rest, upstream, args, stand_ins))
            results[-1].name = name
    print_table(results, args, plan, generator)


def bench_strata(
    pin_proxy: list[str],
    pin_rest: list[str],
    upstream: str,
    args: argparse.Namespace,
    stand_ins: bool,
) -> Result:
    port = free_port()
    process, token, hooks = start_strata(pin_proxy, port, upstream, stand_ins=stand_ins)
    try:
        url = f"http://127.0.0.1:{port}{PATH}"
        result = measure(url, args, pin_rest, process.pid, {"Authorization": f"Bearer {token}"})
    finally:
        stop(process)
    result.note = hooks
    return result


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds per row")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of load before each row")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument(
        "--breakdown",
        action="store_true",
        help="add a row with the hooks' stand-ins, to show what the token check and the "
        "rate limit cost",
    )
    return parser.parse_args()


if __name__ == "__main__":
    main(parse())
