from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    name = "jobs"
    verbose_name = _("Orders")

    def ready(self):
        from customers.privacy import register_privacy_source
        from jobs import privacy
        from zunft.core.models import User
        from zunft.core.permissions import grant

        # The DSGVO export and erasure cover jobs' data without customers importing jobs.
        register_privacy_source(
            "jobs",
            export={"requests": privacy.export_requests, "packages": privacy.export_packages},
            blockers=privacy.erasure_blockers,
            erase=privacy.erase,
        )
        # The office's lookups (jobs.admin) with the tasks and lines shown inside them.
        grant(
            User.OFFICE_ROLES,
            "jobs.view_package",
            "jobs.view_task",
            "jobs.view_request",
            "jobs.view_quote",
            "jobs.view_quoteline",
            "jobs.view_supplement",
        )
