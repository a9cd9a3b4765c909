"""Static files without telling the public that an admin exists (§8, SECURITY 23).

The Django admin's own files (``admin/…``: its CSS, JavaScript, icons) are a
fingerprint: ``/static/admin/css/base.css`` answering 200 says "there is a Django admin
somewhere". They are served only under the staff prefix,
``/<STAFF_URL_PREFIX>/static/admin/…``, and ``/static/admin/…`` is 404 like any
missing file. Everything else stays under ``STATIC_URL``.

- The storages (``StaticFilesStorage``, ``ManifestStaticFilesStorage``) give the admin's
  files their staff URL, so the admin's pages link there.
- ``StaticFilesMiddleware`` (WhiteNoise) files them under the staff URL instead of the
  public one, whether it serves the collected files (production) or the finders
  (demo, tests).

docs/decisions/0168-admin-static-and-common-passwords.md.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.staticfiles.storage import StaticFilesStorage
from whitenoise.middleware import WhiteNoiseMiddleware
from whitenoise.storage import CompressedManifestStaticFilesStorage

HIDDEN_APP_DIR = "admin/"


def staff_static_prefix() -> str:
    return f"/{settings.STAFF_URL_PREFIX.strip('/')}/static/"


def _public_prefix() -> str:
    return "/" + (settings.STATIC_URL or "/static/").strip("/") + "/"


def _to_staff(url: str) -> str:
    hidden = _public_prefix() + HIDDEN_APP_DIR
    if url.startswith(hidden):
        return staff_static_prefix() + url[len(_public_prefix()) :]
    return url


class _StaffAdminURLs:
    def url(self, name: str | None, *args: Any, **kwargs: Any) -> str:
        return _to_staff(super().url(name, *args, **kwargs))  # type: ignore[misc]


class StaffAdminStaticFilesStorage(_StaffAdminURLs, StaticFilesStorage):
    """The demo's and the tests' storage (names as they are)."""


class StaffAdminManifestStaticFilesStorage(_StaffAdminURLs, CompressedManifestStaticFilesStorage):
    """Production's storage: hashed, compressed names, cached forever."""


class StaticFilesMiddleware(WhiteNoiseMiddleware):
    """WhiteNoise, with the admin's files moved under the staff prefix."""

    def _hidden(self) -> str:
        return self.static_prefix + HIDDEN_APP_DIR

    def _staff(self) -> str:
        return staff_static_prefix() + HIDDEN_APP_DIR

    def add_file_to_dictionary(self, url: str, path: str, stat_cache: Any = None) -> None:
        if url.startswith(self._hidden()):
            url = self._staff() + url[len(self._hidden()) :]
        super().add_file_to_dictionary(url, path, stat_cache=stat_cache)

    def find_file(self, url: str) -> Any:
        # Autorefresh (DEBUG): files are looked up per request by their public URL.
        if url.startswith(self._hidden()):
            return None
        if url.startswith(self._staff()):
            url = self._hidden() + url[len(self._staff()) :]
        return super().find_file(url)

    def immutable_file_test(self, path: str, url: str) -> bool:
        if url.startswith(self._staff()):
            url = self._hidden() + url[len(self._staff()) :]
        return bool(super().immutable_file_test(path, url))
