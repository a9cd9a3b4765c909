"""The applicant-related pages of the staff area (mounted under the staff prefix)."""

from django.urls import path

from . import staff_views

app_name = "applicants_staff"
urlpatterns = [
    path("identity-reclaim/", staff_views.identity_reclaim, name="identity_reclaim"),
]
