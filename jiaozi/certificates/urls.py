"""Mounted at /verify/ — public, no sign-in (§7, §8)."""

from django.urls import path, re_path

from . import views
from .selectors import TOKEN_PATTERN

app_name = "certificates"
urlpatterns = [
    path("", views.verify_lookup, name="verify_lookup"),
    # The public header links "certificates:verify"; same page.
    path("", views.verify_lookup, name="verify"),
    re_path(rf"^(?P<token>{TOKEN_PATTERN})/$", views.verify_token, name="verify_token"),
]
