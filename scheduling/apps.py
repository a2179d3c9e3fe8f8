from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SchedulingConfig(AppConfig):
    name = "scheduling"
    verbose_name = _("Scheduling")

    def ready(self):
        from customers.privacy import register_privacy_source
        from jobs.privacy import register_appointment_export
        from jobs.quotes import register_scheduler
        from jobs.selectors import register_work_days
        from scheduling import (
            privacy,
            signals,  # noqa: F401 - connects the re-plan triggers
        )
        from scheduling.messages import may_follow_owner_thread
        from scheduling.selectors import may_follow_package, work_days_by_package
        from scheduling.services import tentative_schedule
        from zunft.core.realtime import register_group_rule

        register_group_rule("package", may_follow_package)
        register_group_rule("owner", may_follow_owner_thread)

        # jobs prices quotes with the planner's dates without importing scheduling.
        register_scheduler(tentative_schedule)
        # … and lists each order's days of work on the homeowner's "Meine Aufträge".
        register_work_days(work_days_by_package)

        # The DSGVO export lists each task's appointments, erasure revokes calendar feeds.
        register_appointment_export(privacy.appointments_by_task)
        register_privacy_source("scheduling", erase=privacy.erase)
