"""What ``strata call`` signs in with: the client profile and the token cache, both private
files (mode 0600) written atomically.

The profile (``$STRATA_CONFIG_DIR/client.json``, else ``~/.config/strata/client.json``)
holds one client's id and secret and, optionally, the gateway's URL. The cache
(``$STRATA_CACHE_DIR/tokens.json``, else ``~/.cache/strata/tokens.json``) holds access
tokens keyed by gateway, client and requested scope, each until shortly before it expires.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import httpx

PROFILE_FILE = "client.json"
TOKEN_CACHE_FILE = "tokens.json"
# A token this close to its expiry is not reused: it could expire on its way to the API.
EXPIRY_MARGIN_SECONDS = 30.0


class CredentialsError(ValueError):
    """The configuration or a private file cannot be used; the message says how to fix it."""


@dataclass(frozen=True)
class ClientCredentials:
    client_id: str
    client_secret: str = field(repr=False)


@dataclass(frozen=True)
class Profile:
    credentials: ClientCredentials
    gateway_url: str | None = None


def config_dir(env: Mapping[str, str]) -> Path:
    configured = env.get("STRATA_CONFIG_DIR")
    return Path(configured) if configured else Path.home() / ".config" / "strata"


def profile_path(env: Mapping[str, str]) -> Path:
    return config_dir(env) / PROFILE_FILE


def token_cache_path(env: Mapping[str, str]) -> Path:
    configured = env.get("STRATA_CACHE_DIR")
    directory = Path(configured) if configured else Path.home() / ".cache" / "strata"
    return directory / TOKEN_CACHE_FILE


def write_private_json(path: Path, value: Any) -> None:
    """Writes ``value`` so that readers see the old file or the new one, never a part, and
    nobody but the owner can read it (the file is made 0600 before anything is in it)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            json.dump(value, file, indent=2, sort_keys=True)
            file.write("\n")
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def save_profile(path: Path, profile: Profile) -> None:
    stored: dict[str, str] = {
        "client_id": profile.credentials.client_id,
        "client_secret": profile.credentials.client_secret,
    }
    if profile.gateway_url:
        stored["gateway_url"] = profile.gateway_url
    write_private_json(path, stored)


def save_client(
    env: Mapping[str, str], credentials: ClientCredentials, gateway_url: str | None = None
) -> Path:
    """Saves the client as the profile; a gateway an earlier profile named is kept unless
    ``gateway_url`` replaces it."""
    path = profile_path(env)
    save_profile(path, Profile(credentials, gateway_url or _saved_gateway_url(path)))
    return path


def _saved_gateway_url(path: Path) -> str | None:
    try:
        earlier = load_profile(path)
    except CredentialsError:
        return None  # a broken profile is being replaced: nothing in it to keep
    return earlier.gateway_url if earlier else None


def load_profile(path: Path) -> Profile | None:
    """The profile at ``path``; None when there is none."""
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise CredentialsError(f"cannot read the client profile {path}: {exc.strerror}") from None
    try:
        stored = json.loads(text)
    except ValueError:
        raise CredentialsError(
            f"the client profile {path} is not JSON; run `strata login` again"
        ) from None
    if not isinstance(stored, dict):
        raise CredentialsError(f"the client profile {path} is not a JSON object")
    client_id, secret = stored.get("client_id"), stored.get("client_secret")
    if not (isinstance(client_id, str) and client_id and isinstance(secret, str) and secret):
        raise CredentialsError(
            f"the client profile {path} needs client_id and client_secret; run `strata login` again"
        )
    gateway_url = stored.get("gateway_url")
    return Profile(
        ClientCredentials(client_id, secret),
        gateway_url if isinstance(gateway_url, str) and gateway_url else None,
    )


@dataclass(frozen=True)
class CachedToken:
    access_token: str = field(repr=False)
    expires_at: float
    scope: str

    def usable_at(self, now: float) -> bool:
        return now < self.expires_at - EXPIRY_MARGIN_SECONDS


class TokenCache:
    """Access tokens on disk, shared by every ``strata call`` of this user."""

    def __init__(self, path: Path, clock: Callable[[], float]) -> None:
        self.path = path
        self.clock = clock

    @staticmethod
    def key(gateway_url: str, client_id: str, scope: str | None) -> str:
        return f"{gateway_url.rstrip('/')} {client_id} {' '.join(sorted((scope or '').split()))}"

    def get(self, key: str) -> CachedToken | None:
        """The cached token for ``key`` while it is still good for a call."""
        token = self._read().get(key)
        return token if token is not None and token.usable_at(self.clock()) else None

    def put(self, key: str, token: CachedToken) -> None:
        # Expired entries are dropped on every write so the file does not grow forever.
        now = self.clock()
        kept = {k: v for k, v in self._read().items() if k != key and now < v.expires_at}
        kept[key] = token
        self._write(kept)

    def discard(self, key: str) -> None:
        tokens = self._read()
        if tokens.pop(key, None) is not None:
            self._write(tokens)

    def _write(self, tokens: dict[str, CachedToken]) -> None:
        try:
            write_private_json(self.path, {key: _stored(token) for key, token in tokens.items()})
        except OSError as exc:
            raise CredentialsError(
                f"cannot write the token cache {self.path}: {exc.strerror}; "
                "set STRATA_CACHE_DIR to a directory you can write"
            ) from None

    def _read(self) -> dict[str, CachedToken]:
        # A cache that cannot be read is only a cache: start afresh rather than fail the call.
        try:
            stored = json.loads(self.path.read_text("utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(stored, dict):
            return {}
        return {key: token for key, value in stored.items() if (token := _loaded(value))}


def _stored(token: CachedToken) -> dict[str, Any]:
    return {
        "access_token": token.access_token,
        "expires_at": token.expires_at,
        "scope": token.scope,
    }


def _loaded(value: Any) -> CachedToken | None:
    if not isinstance(value, dict):
        return None
    access_token, expires_at = value.get("access_token"), value.get("expires_at")
    if not isinstance(access_token, str) or not isinstance(expires_at, int | float):
        return None
    scope = value.get("scope")
    return CachedToken(access_token, float(expires_at), scope if isinstance(scope, str) else "")


# --- which client and which gateway -----------------------------------------------------------

DEFAULT_GATEWAY_URL = "http://127.0.0.1:8000"
NO_CLIENT = (
    "no client configured. Save one with `strata login --client-id ID` (or "
    "`strata clients create --save ...`), set STRATA_CLIENT_ID and STRATA_CLIENT_SECRET, "
    "or pass --client-id and --client-secret"
)


@dataclass(frozen=True)
class Connection:
    """Where to call and as whom; each option is None when not given on the command line."""

    gateway: str | None = None
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)


class Configuration:
    """Each setting from the first place that has it: the command line's options, then the
    environment, then the saved profile (then, for the gateway, the default)."""

    def __init__(
        self,
        connection: Connection,
        env: Mapping[str, str],
        *,
        replacing_profile: bool = False,
    ) -> None:
        self.connection = connection
        self.env = env
        # `strata login` replaces the profile: one it cannot read is no reason to stop.
        self.replacing_profile = replacing_profile

    @cached_property
    def profile(self) -> Profile | None:
        try:
            return load_profile(profile_path(self.env))
        except CredentialsError:
            if self.replacing_profile:
                return None
            raise

    def credentials(self) -> ClientCredentials:
        given = (self.connection.client_id, self.connection.client_secret)
        from_env = (self.env.get("STRATA_CLIENT_ID"), self.env.get("STRATA_CLIENT_SECRET"))
        for (client_id, secret), names in (
            (given, "--client-id and --client-secret"),
            (from_env, "STRATA_CLIENT_ID and STRATA_CLIENT_SECRET"),
        ):
            if client_id and secret:
                return ClientCredentials(client_id, secret)
            if client_id or secret:
                raise CredentialsError(f"{names} go together: give both or neither")
        if self.profile is None:
            raise CredentialsError(NO_CLIENT)
        return self.profile.credentials

    def gateway_url(self) -> str:
        candidates = (
            ("--gateway", self.connection.gateway),
            ("STRATA_GATEWAY_URL", self.env.get("STRATA_GATEWAY_URL")),
        )
        for source, url in candidates:
            if url:
                return checked_gateway_url(url, source)
        if self.profile is not None and self.profile.gateway_url:
            return checked_gateway_url(self.profile.gateway_url, "the client profile's gateway")
        return DEFAULT_GATEWAY_URL


def checked_gateway_url(url: str, source: str) -> str:
    """``url`` without a trailing slash, if it is an http(s) URL a path can be added to."""
    try:
        parsed: httpx.URL | None = httpx.URL(url)
    except httpx.InvalidURL:
        parsed = None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
        raise CredentialsError(f"{source} must be an http(s) URL such as {DEFAULT_GATEWAY_URL}")
    if parsed.query or parsed.fragment:
        raise CredentialsError(f"{source} must not have a query or a fragment")
    return url.rstrip("/")
