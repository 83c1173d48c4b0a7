"""The small server-rendered pages of the authorization endpoint: sign in and consent, and
errors that cannot be sent back to the client. Every value rendered is HTML-escaped."""

from __future__ import annotations

from html import escape

from starlette.responses import HTMLResponse

from gateway.oauth.consent import Consent

PAGE_HEADERS = {
    # No script runs, nothing loads, and no other site can frame the page (clickjacking).
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
}

_STYLE = """
body { font-family: system-ui, sans-serif; background: #f4f5f7; margin: 0; }
main { max-width: 26rem; margin: 4rem auto; background: #fff; padding: 2rem;
       border-radius: 8px; box-shadow: 0 1px 4px rgba(0,0,0,.12); }
h1 { font-size: 1.3rem; margin-top: 0; }
label { display: block; margin: .8rem 0 .2rem; }
input[type=text], input[type=password] { width: 100%; padding: .5rem; box-sizing: border-box; }
ul { padding-left: 1.2rem; } .error { color: #a40000; } .scope { color: #444; }
dl.about { margin: .6rem 0; } dl.about dt { font-weight: 600; margin-top: .4rem; }
dl.about dd { margin: 0; }
.buttons { display: flex; gap: .6rem; margin-top: 1.2rem; }
button { padding: .5rem 1rem; }
"""


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    html = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>"
    )
    return HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)


def login_page(
    *,
    action: str,
    request_id: str,
    consent: Consent,
    username: str = "",
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    """Sign in and approve: the form carries only the one-time id of the stored request."""
    items = "".join(
        f'<li><strong>{escape(name)}</strong> <span class="scope">{escape(text)}</span></li>'
        for name, text in consent.scopes
    )
    error_html = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    body = f"""
<h1>Sign in to Strata</h1>
<p><strong>{escape(consent.client_name)}</strong> asks to act for you.</p>
<dl class="about">
  <dt>Who made it</dt><dd>{escape(consent.maker)}</dd>
  <dt>Returns you to</dt><dd>{escape(consent.returns_to)}</dd>
</dl>
<p>If you allow it, it may:</p>
<ul>{items}</ul>
{error_html}
<form method="post" action="{escape(action)}">
  <input type="hidden" name="request_id" value="{escape(request_id)}">
  <label for="username">Username</label>
  <input type="text" id="username" name="username" value="{escape(username)}"
         autocomplete="username" required>
  <label for="password">Password</label>
  <input type="password" id="password" name="password" autocomplete="current-password">
  <div class="buttons">
    <button type="submit" name="decision" value="allow">Sign in and allow</button>
    <button type="submit" name="decision" value="deny" formnovalidate>Deny</button>
  </div>
</form>"""
    return _page("Sign in to Strata", body, status)


def error_page(title: str, message: str, status: int = 400) -> HTMLResponse:
    body = f"<h1>{escape(title)}</h1><p>{escape(message)}</p>"
    return _page(title, body, status)
