from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TradesConfig(AppConfig):
    name = "trades"
    verbose_name = _("Cooperative")

    def ready(self):
        from trades.models import Worker
        from trades.selectors import administered_workshop_ids, member_workshop_ids
        from zunft.core.realtime import register_group_rule

        # Same rules as the API: members of a workshop hear its events; a worker hears their own.
        register_group_rule(
            "workshop", lambda user, key: key.isdigit() and int(key) in member_workshop_ids(user)
        )
        register_group_rule(
            "worker",
            lambda user, key: (
                key.isdigit()
                and (
                    Worker.objects.filter(pk=int(key), user=user).exists()
                    or Worker.objects.filter(
                        pk=int(key), workshop_id__in=administered_workshop_ids(user)
                    ).exists()
                )
            ),
        )
