"""The applicant area, mounted at /me/. No URL carries a resident ID or a phone
number; ids in paths are database ids, checked against the signed-in applicant."""

from django.urls import path

from . import views

app_name = "applicants"
urlpatterns = [
    path("", views.home, name="home"),
    path("signup/", views.signup, name="signup"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("privacy/", views.privacy, name="privacy"),
    path("password/reset/", views.password_reset, name="password_reset"),
    path("password/reset/confirm/", views.password_reset_confirm, name="password_reset_confirm"),
    path("link/", views.link, name="link"),
    path("profile/", views.profile, name="profile"),
    path("profile/export/", views.profile_export, name="profile_export"),
    path("password/", views.password_change, name="password_change"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<int:pk>/read/", views.inbox_read, name="inbox_read"),
    path("inbox/read-all/", views.inbox_read_all, name="inbox_read_all"),
    path("applications/start/", views.application_start, name="application_start"),
    path("applications/<int:pk>/", views.application_detail, name="application_detail"),
    path("applications/<int:pk>/edit/", views.application_edit, name="application_edit"),
    path("applications/<int:pk>/act/", views.application_act, name="application_act"),
    path(
        "applications/<int:pk>/review/", views.application_review_request, name="application_review_request"
    ),
    path("applications/<int:pk>/materials/", views.material_upload, name="material_upload"),
    path("applications/<int:pk>/form.pdf", views.form_pdf, name="form_pdf"),
    path("materials/<int:pk>/", views.material_download, name="material_download"),
    path("materials/<int:pk>/delete/", views.material_delete, name="material_delete"),
]
