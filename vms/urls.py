"""Top-level routes: the web app, the API, its schema and docs, the server-side login, and (in debug only) the
Django admin."""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from vms.spa import web_app

urlpatterns = [
    path("", web_app, name="home"),
    path("api/v1/", include("vms.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("accounts/login/", auth_views.LoginView.as_view(template_name="accounts/login.html"), name="login"),
    # Back to the login form: the default "logged out" page is the Django admin's, which is off outside debug.
    path("accounts/logout/", auth_views.LogoutView.as_view(next_page="login"), name="logout"),
    # Every other path is a page of the web app, which routes in the browser.
    re_path(r"^(?!api/|ws/|static/|admin/|accounts/)(?P<route>[\w\-/]+)/?$", web_app, name="web-app"),
]

# Under /api/ a path no route matches, or a crash, is a problem document like every other API error.
handler404 = "vms.api.errors.not_found"
handler500 = "vms.api.errors.server_error"

# The Django admin bypasses the API's checks (superusers protected, camera access) and its audit log:
# a developer's tool, never served in production.
if settings.DEBUG:
    urlpatterns.insert(0, path("admin/", admin.site.urls))

