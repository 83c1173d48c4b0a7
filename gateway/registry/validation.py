"""The rules a registration must follow: names, scopes, tiers, target URLs and access.

Plain functions that return the cleaned value or raise ``ValueError`` with a message meant
for the person registering the API; the schemas turn them into field errors.
"""

from __future__ import annotations

import re
from urllib.parse import SplitResult, urlsplit

from gateway.oauth.scopes import SCOPE_PATTERN
from gateway.registry.addresses import check_host
from gateway.routes import IDENTITY_HEADER, LAYERS

TARGET_SCHEMES = ("http", "https", "inproc")
MAX_URL_LENGTH = 2048
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
MAX_NAME_LENGTH = 63
TIER_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
_FORBIDDEN_URL_CHARACTERS = re.compile(r"[\s\x00-\x1f\x7f\\]")
# RFC 9110 §5.6.2: a header name is a token.
HEADER_NAME_PATTERN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# Printable ASCII and inner spaces (RFC 9110 §5.5, without obs-text): no CR or LF to split on.
_HEADER_VALUE_PATTERN = re.compile(r"[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?")
# Headers the gateway sets or strips itself, and those that carry the connection or the body.
_RESERVED_HEADERS = frozenset(
    {
        "connection",
        "keep-alive",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
        "content-type",
        "expect",
        "cookie",
        "x-forwarded-for",
        "x-forwarded-host",
        "x-forwarded-proto",
        "x-forwarded-prefix",
        "x-request-id",
        "traceparent",
        IDENTITY_HEADER.lower(),
    }
)


def check_name(value: str) -> str:
    if len(value) > MAX_NAME_LENGTH or not NAME_PATTERN.match(value):
        raise ValueError(
            "must be a lowercase slug: letters, digits and single hyphens, starting with a "
            f"letter, at most {MAX_NAME_LENGTH} characters (e.g. 'crm' or 'order-history')"
        )
    return value


def check_scope(value: str) -> str:
    # The authorization server's own rule: a scope it could not grant would lock the API.
    if not SCOPE_PATTERN.match(value):
        raise ValueError(
            "must be one OAuth scope token the gateway can grant: lowercase letters, digits "
            "and _ . -, in up to four ':'-separated parts of at most 40, no spaces "
            "(e.g. 'crm:read')"
        )
    return value


def check_tier(value: str) -> str:
    if not TIER_PATTERN.match(value):
        raise ValueError("must be a rate tier name: a lowercase slug such as 'premium'")
    return value


def check_header_name(value: str) -> str:
    """A request header the upstream's own credential travels in (e.g. ``X-API-Key``)."""
    if not HEADER_NAME_PATTERN.fullmatch(value):
        raise ValueError(
            "must be an HTTP header name: letters, digits and !#$%&'*+-.^_`|~, no spaces "
            "or colons (e.g. 'X-API-Key')"
        )
    lowered = value.lower()
    if lowered in _RESERVED_HEADERS or lowered.startswith("proxy-"):
        raise ValueError(f"{value!r} is a header the gateway sets or removes itself")
    return value


def check_header_value(value: str) -> str:
    if not _HEADER_VALUE_PATTERN.fullmatch(value):
        raise ValueError(
            "must be printable ASCII without line breaks or leading and trailing spaces"
        )
    return value


def check_target(value: str) -> str:
    """An upstream URL: ``http(s)://host[:port][/base]`` or ``inproc://<layer>/<name>``."""
    url = _split_url(value)
    if url.scheme not in TARGET_SCHEMES:
        raise ValueError(f"scheme must be one of {', '.join(TARGET_SCHEMES)}, not {url.scheme!r}")
    _check_common(value, url)
    if url.scheme == "inproc":
        return _check_inproc(url)
    check_host(url.hostname or "")
    # One spelling per upstream, so the proxy can join paths without doubling slashes.
    return f"{url.scheme}://{url.netloc}{url.path.rstrip('/')}"


def check_document_url(value: str) -> str:
    """Where an OpenAPI document is fetched from: a plain http(s) URL."""
    url = _split_url(value)
    if url.scheme not in ("http", "https"):
        raise ValueError(f"scheme must be http or https, not {url.scheme!r}")
    _check_common(value, url)
    check_host(url.hostname or "")
    return value


def _split_url(value: str) -> SplitResult:
    if len(value) > MAX_URL_LENGTH:
        raise ValueError(f"is longer than {MAX_URL_LENGTH} characters")
    if _FORBIDDEN_URL_CHARACTERS.search(value):
        raise ValueError("must not contain spaces, control characters or backslashes")
    url = urlsplit(value)
    if not url.scheme or "://" not in value:
        raise ValueError("is not an absolute URL (e.g. 'https://orders.internal:8443/api')")
    return url


def _check_common(value: str, url: SplitResult) -> None:
    if "@" in url.netloc:
        raise ValueError("must not contain credentials (user:password@)")
    if not url.hostname:
        raise ValueError("has no host")
    try:
        url.port  # noqa: B018 - urllib validates the port only when it is read
    except ValueError:
        raise ValueError("has an invalid port") from None
    if "?" in value or "#" in value:
        raise ValueError("must not have a query string or fragment")


def _check_inproc(url: SplitResult) -> str:
    layer = url.hostname or ""
    name = url.path.strip("/")
    if url.port is not None or layer not in LAYERS or "/" in name or not NAME_PATTERN.match(name):
        raise ValueError(
            "an in-process target is 'inproc://<layer>/<name>' with layer one of "
            f"{', '.join(LAYERS)} (e.g. 'inproc://system/crm')"
        )
    return f"inproc://{layer}/{name}"


def access_problem(
    public: bool, read_scope: str | None, write_scope: str | None
) -> tuple[str, str] | None:
    """The field and the reason when an API's access is not one clear choice: open to
    anyone (``public``, no scopes) or closed to all but the holders of its scopes."""
    if public and (read_scope or write_scope):
        return "public", (
            "a public API takes no scopes: it is either open to anyone without a token "
            "(public: true) or needs scopes (read_scope, write_scope), not both"
        )
    if not public and not (read_scope or write_scope):
        return "read_scope", (
            "an API needs a read_scope or a write_scope (or both); to open it to anyone "
            "without a token, register it with public: true"
        )
    return None
