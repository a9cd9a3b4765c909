"""URLs of certservices: the holder's pages, mounted at /me/certificates/."""

from django.urls import URLPattern, URLResolver, path

from . import holder_views as v
from . import share_views

app_name = "certservices_applicant"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", v.my_certificates, name="my_certificates"),
    path("<int:pk>/", v.my_certificate_detail, name="my_certificate_detail"),
    path("<int:pk>/request/<str:kind>/", v.request_new, name="request_new"),
    path("<int:pk>/share/", share_views.share_create, name="share_links"),
    path("<int:pk>/share/<int:link_pk>/revoke/", share_views.share_revoke, name="share_revoke"),
    path("requests/", v.my_requests, name="my_requests"),
    path("requests/<int:pk>/", v.request_detail, name="request_detail"),
    path("requests/<int:pk>/act/", v.request_act, name="request_act"),
    path("requests/<int:pk>/materials/", v.request_material_add, name="request_material_add"),
    path("requests/<int:pk>/paper.pdf", v.request_paper, name="request_paper"),
    path("materials/<int:pk>/", v.material_download, name="material_download"),
]
