"""URLs. The staff entrance, its pages and the Django admin live under the
unguessable STAFF_URL_PREFIX; nothing public links there (§8)."""

from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from config.api import api
from jiaozi.workspace.admin_gate import gated_admin_urls

staff = settings.STAFF_URL_PREFIX

urlpatterns: list[URLPattern | URLResolver] = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path(f"{staff}/admin/", gated_admin_urls(admin.site.urls)),
    path(f"{staff}/accounts/", include("jiaozi.accounts.urls")),
    path(f"{staff}/orgs/", include("jiaozi.orgs.urls")),
    path(f"{staff}/audit/", include("jiaozi.audit.urls")),
    path(f"{staff}/teachers/", include("jiaozi.teachers.urls")),
    path(f"{staff}/registration/", include("jiaozi.registration.urls")),
    path(f"{staff}/applicants/", include("jiaozi.applicants.staff_urls")),
    path(f"{staff}/notifications/", include("jiaozi.notifications.urls")),
    path(f"{staff}/certification/", include("jiaozi.certification.urls")),
    path(f"{staff}/confirmation/", include("jiaozi.confirmation.urls")),
    path(f"{staff}/certificates/", include("jiaozi.certservices.urls")),
    path(f"{staff}/announcements/", include("jiaozi.announcements.urls")),
    path(f"{staff}/directory/", include("jiaozi.directory.urls")),
    path(f"{staff}/oversight/", include("jiaozi.oversight.urls")),
    path(f"{staff}/exports/", include("jiaozi.exports.urls")),
    path(f"{staff}/", include("jiaozi.workspace.urls")),
    path("verify/s/", include("jiaozi.certservices.share_urls")),
    path("verify/", include("jiaozi.certificates.urls")),
    path("me/certification/", include("jiaozi.certification.applicant_urls")),
    path("me/bookings/", include("jiaozi.confirmation.applicant_urls")),
    path("me/certificates/", include("jiaozi.certservices.applicant_urls")),
    path("me/", include("jiaozi.applicants.urls")),
    path("announcements/", include("jiaozi.announcements.public_urls")),
    path("directory/", include("jiaozi.directory.public_urls")),
    path("notices/", include("jiaozi.registration.public_urls")),
    path("", include("jiaozi.portal.urls")),
]

# The load test's floor (jiaozi/core/loadfloor.py): only where LOAD_FLOOR_VIEW is on.
if settings.LOAD_FLOOR_VIEW:
    from jiaozi.core.loadfloor import floor

    urlpatterns.insert(0, path("_load/floor", floor, name="load_floor"))

# Chinese error pages; signed-in staff keep their workspace around them.
handler404 = "jiaozi.portal.views.page_not_found"
handler403 = "jiaozi.portal.views.permission_denied"
handler500 = "jiaozi.portal.views.server_error"
