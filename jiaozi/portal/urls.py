from django.urls import path

from . import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("announcements/", views.announcements, name="announcements"),
    path("directory/", views.directory, name="directory"),
    path("notices/", views.notices, name="notices"),
    # Until the certificates app serves /verify/ (mounted before the portal, so it wins).
    path("verify/", views.verify, name="verify"),
    path("robots.txt", views.robots_txt, name="robots"),
    path("healthz", views.healthz, name="healthz"),
]
