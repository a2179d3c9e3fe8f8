from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    name = "jobs"
    verbose_name = _("Orders")

    def ready(self):
        from customers.privacy import register_privacy_source
        from jobs import privacy

        # The DSGVO export and erasure cover jobs' data without customers importing jobs.
        register_privacy_source(
            "jobs",
            export={"requests": privacy.export_requests, "packages": privacy.export_packages},
            blockers=privacy.erasure_blockers,
            erase=privacy.erase,
        )
