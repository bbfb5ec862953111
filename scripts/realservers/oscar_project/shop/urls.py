"""Only the REST API: the storefront pages are not needed by the tests."""

from django.urls import include, path

urlpatterns = [path("api/", include("oscarapi.urls"))]
