"""A pure-ASGI guard that lets a request through only with a token for the guard's audience
holding given scopes.

It protects what the gateway mounts beside its APIs, such as the backend stand-ins' own
endpoints (fault injection included) in the one-process mode.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.oauth import AudienceCheck, BearerError


class ScopeGuard:
    def __init__(self, app: ASGIApp, check: AudienceCheck, scopes: tuple[str, ...]) -> None:
        self.app = app
        self.check = check
        self.scopes = scopes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        authorization = next(
            (value.decode("latin-1") for key, value in scope["headers"] if key == b"authorization"),
            None,
        )
        try:
            await self.check.verify(authorization, self.scopes)
        except BearerError as refusal:
            await refusal.response()(scope, receive, send)
            return
        await self.app(scope, receive, send)
