"""/api/docs, the JSON API's interactive documentation, under a Content-Security-Policy of its own.

FastAPI's Swagger UI page loads its script and style from a CDN and starts them with an
inline script, which the pages' policy (agora.web.security_headers) forbids. This page is
made once, and its policy allows that CDN and that one inline script, by its hash: nothing
else the page might be made to contain could run.
"""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

CDN = "https://cdn.jsdelivr.net"
ICON = "https://fastapi.tiangolo.com"  # the page's favicon
DOCS_URL = "/api/docs"


def add_api_docs(app: FastAPI) -> None:
    assert app.openapi_url is not None  # create_app serves the schema: the page documents it
    page = get_swagger_ui_html(openapi_url=app.openapi_url, title=f"{app.title} API").body
    inline = re.findall(rb"<script>(.*?)</script>", page, re.DOTALL)
    hashes = " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(script).digest()).decode()}'" for script in inline)
    policy = "; ".join((
        "default-src 'none'",
        f"script-src {CDN} {hashes}",
        f"style-src {CDN}",
        f"img-src 'self' data: {ICON}",
        "connect-src 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ))

    @app.get(DOCS_URL, include_in_schema=False)
    def api_docs() -> HTMLResponse:
        return HTMLResponse(page, headers={"Content-Security-Policy": policy})
