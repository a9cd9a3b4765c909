from django.urls import path

from . import views

app_name = "registration"
urlpatterns = [
    path("campaigns/", views.campaign_list, name="campaign_list"),
    path("campaigns/new/", views.campaign_create, name="campaign_create"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign_detail"),
    path("campaigns/<int:pk>/edit/", views.campaign_edit, name="campaign_edit"),
    path("precheck/", views.precheck, name="precheck"),
    path("precheck/export/", views.precheck_export, name="precheck_export"),
]
