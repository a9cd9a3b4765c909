"""Public pages of the registration workflow: notices (公示) and objections. Mounted at
/notices/ without sign-in; URLs carry only the notice's number, never anything personal."""

from django.urls import path

from .notices import views as views_notice

app_name = "notices"
urlpatterns = [
    path("", views_notice.public_list, name="list"),
    path("<int:pk>/", views_notice.public_detail, name="detail"),
    path("<int:pk>/document.json", views_notice.public_document, name="document"),
    path("<int:pk>/objection/", views_notice.public_object, name="object"),
]
