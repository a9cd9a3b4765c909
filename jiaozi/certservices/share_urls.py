"""The public page of a holder's share link, mounted at /verify/s/ (§7, decision 0226)."""

from django.urls import URLPattern, URLResolver, re_path

from . import share_views
from .sharing import SHARE_TOKEN_PATTERN

app_name = "certservices_share"
urlpatterns: list[URLPattern | URLResolver] = [
    re_path(rf"^(?P<token>{SHARE_TOKEN_PATTERN})/$", share_views.share_verify, name="share_verify"),
]
