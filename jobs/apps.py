from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "jobs"

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
