"""OpenAPI documents: fetched from a URL (bounded in time and size) and validated.

A fetch follows at most a few redirects and checks every hop against the address policy
before connecting, then connects to the very address it checked (the name is not resolved
again behind its back). Whatever keeps an answer from coming (a refused connection, a
silent port, a reset) reads the same, so the registry cannot be used to map which ports
answer behind it.

Validation uses ``openapi-spec-validator`` with every external ``$ref`` resolver switched
off: a document may only refer inside itself, so registering an API can never make the
gateway read local files or call other hosts on the document's behalf.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any
from urllib.parse import urljoin

import httpx
from jsonschema_path import SchemaPath
from openapi_spec_validator.shortcuts import get_validator_cls
from openapi_spec_validator.validation.exceptions import ValidatorDetectError
from referencing.exceptions import PointerToNowhere, Unresolvable

from gateway.registry.addresses import AddressPolicy, IPAddress
from gateway.registry.errors import invalid
from gateway.registry.validation import check_document_url
from strata.errors import Problem

Document = dict[str, Any]
DEFAULT_MAX_DOCUMENT_BYTES = 4 * 1024 * 1024
DEFAULT_FETCH_TIMEOUT_SECONDS = 10.0
MAX_REDIRECTS = 3
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_OPENAPI_3 = re.compile(r"^3\.\d+\.\d+$")


class _KeepOpenTransport(httpx.AsyncBaseTransport):
    """Lends an injected transport to a short-lived client without letting it close it."""

    def __init__(self, transport: httpx.AsyncBaseTransport) -> None:
        self._transport = transport

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._transport.handle_async_request(request)

    async def aclose(self) -> None:
        return None


class DocumentLoader:
    """Fetches and validates OpenAPI documents for the registry."""

    def __init__(
        self,
        transport: httpx.AsyncBaseTransport | None = None,
        *,
        timeout_seconds: float = DEFAULT_FETCH_TIMEOUT_SECONDS,
        max_bytes: int = DEFAULT_MAX_DOCUMENT_BYTES,
    ) -> None:
        self._transport = transport
        self.timeout_seconds = timeout_seconds
        self.max_bytes = max_bytes

    async def fetch(self, url: str, addresses: AddressPolicy | None = None) -> Document:
        """The document at ``url``, validated; a 422 naming ``openapi_url`` otherwise.
        Every hop must pass ``addresses`` (the default policy when None)."""
        try:
            async with asyncio.timeout(self.timeout_seconds):
                body = await self._download(url, addresses or AddressPolicy())
        except (TimeoutError, httpx.HTTPError, httpx.InvalidURL):
            raise invalid(
                "openapi_url",
                f"{url} is unreachable: no answer came back within {self.timeout_seconds:g} "
                "seconds (refused, silent or cut off)",
            ) from None
        try:
            document = json.loads(body)
        except (ValueError, RecursionError):
            raise invalid("openapi_url", f"{url} did not return a JSON document") from None
        if not isinstance(document, dict):
            raise invalid("openapi_url", f"{url} returned JSON that is not an object")
        return await self.check(document, "openapi_url")

    async def check(self, document: Document, field: str = "openapi") -> Document:
        """``document`` as plain JSON, if it is a valid OpenAPI 3.x document under the size
        cap; a 422 naming ``field`` with the validator's first message otherwise."""
        try:
            text = json.dumps(document, allow_nan=False, ensure_ascii=False)
        except (ValueError, TypeError, RecursionError) as exc:
            raise invalid(field, f"is not plain JSON ({exc})") from None
        if len(text.encode()) > self.max_bytes:
            raise invalid(field, f"the document is larger than {self.max_bytes} bytes")
        plain: Document = json.loads(text)
        version = plain.get("openapi")
        if not isinstance(version, str) or not _OPENAPI_3.match(version):
            found = f"'openapi': {version!r}" if "openapi" in plain else "no 'openapi' field"
            if "swagger" in plain:
                found = f"Swagger {plain['swagger']}"
            raise invalid(field, f"is not an OpenAPI 3.x document ({found})")
        problem = await asyncio.to_thread(_first_problem, plain)
        if problem:
            raise invalid(field, f"is not a valid OpenAPI document: {problem}")
        return plain

    async def _download(self, url: str, addresses: AddressPolicy) -> bytes:
        transport = _KeepOpenTransport(self._transport) if self._transport else None
        async with httpx.AsyncClient(
            transport=transport, timeout=self.timeout_seconds, follow_redirects=False
        ) as client:
            hop = url
            for _ in range(MAX_REDIRECTS + 1):
                request = await self._pinned_request(client, url, hop, addresses)
                response = await client.send(request, stream=True)
                try:
                    location = response.headers.get("location")
                    if response.status_code in _REDIRECTS and location:
                        hop = urljoin(hop, location)
                        continue
                    return await self._body(url, response)
                finally:
                    await response.aclose()
        raise invalid("openapi_url", f"{url} redirects more than {MAX_REDIRECTS} times")

    async def _pinned_request(
        self, client: httpx.AsyncClient, url: str, hop: str, addresses: AddressPolicy
    ) -> httpx.Request:
        """A GET for ``hop`` sent to an address the policy allows, with the host's own name
        in ``Host`` and in TLS (SNI and certificate check)."""
        try:
            check_document_url(hop)
            address = (await addresses.addresses_of(hop))[0]
        except ValueError as exc:
            where = "" if hop == url else f"{url} redirects to {hop}, which is refused: "
            raise invalid("openapi_url", f"{where}{exc}") from None
        target = httpx.URL(hop)
        extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
        return client.build_request(
            "GET",
            _at_address(target, address),
            headers={"Accept": "application/json", "Host": target.netloc.decode("ascii")},
            extensions=extensions,
        )

    async def _body(self, url: str, response: httpx.Response) -> bytes:
        if response.status_code != 200:
            raise invalid(
                "openapi_url",
                f"{url} answered HTTP {response.status_code} instead of the document",
            )
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise self._too_large(url)
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > self.max_bytes:
                raise self._too_large(url)
        return bytes(body)

    def _too_large(self, url: str) -> Problem:
        return invalid("openapi_url", f"{url} returned more than {self.max_bytes} bytes")


def _at_address(url: httpx.URL, address: IPAddress) -> httpx.URL:
    return url.copy_with(host=str(address))


def _first_problem(document: Document) -> str | None:
    """The validator's first complaint about ``document``, or None when it is valid."""
    try:
        validator_cls = get_validator_cls(document)
        schema = SchemaPath.from_dict(document, handlers={})
        error = next(iter(validator_cls(schema).iter_errors()), None)
    except ValidatorDetectError:
        return f"OpenAPI version {document.get('openapi')!r} is not supported"
    except PointerToNowhere as exc:
        return f"$ref '#{exc.ref}' points to nothing in the document"
    except Unresolvable as exc:
        return f"cannot resolve $ref {exc.ref!r} (only references inside the document work)"
    except RecursionError:
        return "it is nested too deeply"
    if error is None:
        return None
    where = error.json_path
    return f"{error.message} (at {where})" if where != "$" else str(error.message)
