from django.urls import path

from . import views

app_name = "orgs"
urlpatterns = [
    path("", views.institution_list, name="institution_list"),
    path("<int:pk>/", views.institution_detail, name="institution_detail"),
    path("public-info/", views.public_info, name="public_info"),
    path("public-info/missing/", views.public_info_missing, name="public_info_missing"),
]
