"""Public pages of the registration workflow: notices (公示) and objections."""

from django.urls import path  # noqa: F401

app_name = "notices"
urlpatterns: list = []
