from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = _("Customers")

    def ready(self):
        from zunft.core.models import User
        from zunft.core.permissions import grant

        # The office sees every customer in the API: in the admin too, and only to look.
        grant(User.OFFICE_ROLES, "customers.view_customer", "customers.view_site")
