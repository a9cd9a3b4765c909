from django.urls import path, re_path

from . import views

app_name = "teachers"
urlpatterns = [
    path("", views.teacher_list, name="teacher_list"),
    path("new/", views.teacher_create, name="teacher_create"),
    path("id-search/", views.teacher_id_search, name="teacher_id_search"),
    path("<int:pk>/", views.teacher_detail, name="teacher_detail"),
    path("<int:pk>/edit/", views.teacher_edit, name="teacher_edit"),
    path("<int:pk>/resident-id/", views.teacher_reveal, name="teacher_reveal"),
    path("<int:pk>/appraisals/new/", views.appraisal_add, name="appraisal_add"),
    path("<int:pk>/ethics/new/", views.ethics_add, name="ethics_add"),
    path("<int:pk>/training/new/", views.training_add, name="training_add"),
    path("<int:pk>/breaks/new/", views.break_add, name="break_add"),
    path("import/", views.import_upload, name="import"),
    path("import/template.xlsx", views.import_template, name="template"),
    path("import/<int:pk>/", views.import_job, name="import_job"),
    path("import/<int:pk>/status/", views.import_job_status, name="import_job_status"),
    re_path(
        r"^import/(?P<pk>[0-9]+)/errors\.(?P<fmt>xlsx|csv)$",
        views.import_job_errors,
        name="import_job_errors",
    ),
]
