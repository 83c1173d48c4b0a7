"""The Strata web app at ``/app``: plain HTML, CSS and ES modules (no build step) that sign a
customer in with the authorization code flow and PKCE and call the web experience API.

The gateway includes it: ``create_gateway(..., extra_routers=[create_site_router()])``.
"""

from __future__ import annotations

from experience_apis.web.site.router import create_site_router

__all__ = ["create_site_router"]
