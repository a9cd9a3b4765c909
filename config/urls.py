from django.conf import settings
from django.contrib import admin
from django.urls import include, path

staff = settings.STAFF_URL_PREFIX

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path(f"{staff}/admin/", admin.site.urls),
    path("", include("jiaozi.portal.urls")),
]
