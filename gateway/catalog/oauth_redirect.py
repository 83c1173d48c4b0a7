"""Swagger UI's ``oauth2-redirect.html``, made to run under a Content-Security-Policy.

The page from swagger-ui-py starts its script inline (``<body onload="run()">`` and a
``<script>`` block), which a policy without ``'unsafe-inline'`` refuses. The same script is
served as a file of its own and started on ``load``; the page only points at it. A package
update that changes the page's shape stops the start instead of serving a page that fails.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

PAGE = "oauth2-redirect.html"
SCRIPT = "oauth2-redirect.js"
_INLINE_SCRIPT = re.compile(r"<script>(?P<code>.*?)</script>", re.DOTALL)
_ONLOAD = ' onload="run()"'


@dataclass(frozen=True)
class RedirectPage:
    html: str
    script: str

    @classmethod
    def from_package(cls, static: Path, script_url: str) -> RedirectPage:
        """The page in ``static`` with its script moved to ``script_url``."""
        page = (static / PAGE).read_text(encoding="utf-8")
        scripts = _INLINE_SCRIPT.findall(page)
        if len(scripts) != 1 or page.count(_ONLOAD) != 1:
            raise RuntimeError(
                f"swagger-ui-py's {PAGE} in {static} no longer has one inline script started "
                "by onload; the docs' OAuth2 redirect needs a look"
            )
        html = _INLINE_SCRIPT.sub(lambda _: f'<script src="{script_url}"></script>', page)
        script = scripts[0].strip() + '\nwindow.addEventListener("load", run);\n'
        return cls(html.replace(_ONLOAD, ""), script)
