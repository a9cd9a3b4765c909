from django.apps import AppConfig


class ApplicantsConfig(AppConfig):
    name = "jiaozi.applicants"
    label = "applicants"
    verbose_name = "申请人"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from jiaozi.core import registry
        from jiaozi.core.registry import NavEntry
        from jiaozi.core.roles import Role
        from jiaozi.core.ui.nav import SECTION_TEACHERS

        registry.nav_entry_register(
            NavEntry(
                _("身份证号被冒用处理"),
                "applicants_staff:identity_reclaim",
                # School reviewers are always at a school; a school's institution admin
                # reaches the page by its address (bureau admins may not use it).
                frozenset({Role.SCHOOL_REVIEWER}),
                "shield",
                SECTION_TEACHERS,
                order=125,
            )
        )
