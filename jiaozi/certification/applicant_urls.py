"""URLs of certification: the applicant's pages, mounted at /me/certification/."""

from django.urls import URLPattern, URLResolver, path

from . import applicant_views as views

app_name = "certification_applicant"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    path("apply/", views.apply, name="apply"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/act/", views.act, name="act"),
    path("<int:pk>/photo/", views.photo, name="photo"),
    path("<int:pk>/certificate.pdf", views.certificate, name="certificate"),
]
