from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("otp/", views.otp_verify, name="otp_verify"),
    path("otp/setup/", views.otp_setup, name="otp_setup"),
    path("password/", views.password_change, name="password_change"),
    path("staff/", views.staff_list, name="staff_list"),
    path("staff/new/", views.staff_create, name="staff_create"),
    path("staff/<int:pk>/", views.staff_detail, name="staff_detail"),
    path("staff/<int:pk>/edit/", views.staff_edit, name="staff_edit"),
    path("staff/<int:pk>/disable/", views.staff_disable, name="staff_disable"),
    path("staff/<int:pk>/enable/", views.staff_enable, name="staff_enable"),
    path("staff/<int:pk>/confirm/", views.staff_confirm, name="staff_confirm"),
    path("staff/<int:pk>/reset-password/", views.staff_reset_password, name="staff_reset_password"),
]
