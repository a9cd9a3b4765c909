from django.urls import path

from .campaigns import views
from .precheck import views as precheck_views

app_name = "registration"
urlpatterns = [
    path("campaigns/", views.campaign_list, name="campaign_list"),
    path("campaigns/new/", views.campaign_create, name="campaign_create"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign_detail"),
    path("campaigns/<int:pk>/edit/", views.campaign_edit, name="campaign_edit"),
    path("precheck/", precheck_views.precheck, name="precheck"),
    path("precheck/export/", precheck_views.precheck_export, name="precheck_export"),
]

# Public notice (公示): the registration reviewer's pages (the public ones are in public_urls.py).
from .notices import views as views_notice  # noqa: E402

urlpatterns += [
    path("notices/", views_notice.notice_list, name="notice_list"),
    path("notices/publish/", views_notice.notice_publish, name="notice_publish"),
    path("notices/<int:pk>/", views_notice.notice_detail, name="notice_detail"),
    path("objections/", views_notice.objection_list, name="objection_list"),
    path("objections/<int:pk>/", views_notice.objection_resolve, name="objection_resolve"),
]

# Reviewer queues and decisions (review/views.py).
from .review import views as views_review  # noqa: E402

urlpatterns += [
    path("queue/", views_review.queue, name="queue"),
    path("queue/id-search/", views_review.queue_id_search, name="queue_id_search"),
    path("queue/batch/", views_review.batch_act, name="batch_act"),
    path("queue/batch/result/", views_review.batch_result, name="batch_result"),
    path("applications/<int:pk>/", views_review.application_detail, name="application_detail"),
    path("applications/<int:pk>/act/", views_review.application_act, name="application_act"),
    path("applications/<int:pk>/unmask/", views_review.application_unmask, name="application_unmask"),
    path("applications/<int:pk>/form.pdf", views_review.application_form, name="application_form"),
    path("materials/<int:pk>/", views_review.material, name="material"),
]

# Cascading deadlines (§5): the province's window extensions and the at-risk list.
from .review import at_risk_views  # noqa: E402

urlpatterns += [
    path("campaigns/<int:pk>/extensions/", views.extension_grant, name="extension_grant"),
    path("extensions/<int:pk>/revoke/", views.extension_revoke, name="extension_revoke"),
    path("at-risk/", at_risk_views.at_risk, name="at_risk"),
]
