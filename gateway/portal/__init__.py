"""The developer portal at ``/portal``: the catalog of APIs by layer, sign-in with the
authorization code flow and PKCE, and a developer's own client apps (``/portal/api``).

Include it in the gateway app: ``app.include_router(create_portal_router(oauth))``.
"""

from __future__ import annotations

from gateway.portal.router import create_portal_router

__all__ = ["create_portal_router"]
