"""Serves the web app's index.html for every page route; the app itself asks the API who is logged in."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import ensure_csrf_cookie

NOT_BUILT = (
    "<!doctype html><title>VMS</title><p>The web app is not built. Run <code>make run</code>, or "
    "<code>npm ci && npm run build</code> in <code>frontend/</code>.</p>"
)


@ensure_csrf_cookie
def web_app(request: HttpRequest, route: str = "") -> HttpResponse:
    index = settings.FRONTEND_DIST / "index.html"
    try:
        return HttpResponse(index.read_bytes(), content_type="text/html; charset=utf-8",
                            headers={"Cache-Control": "no-cache"})
    except FileNotFoundError:
        return HttpResponse(NOT_BUILT, status=503)
