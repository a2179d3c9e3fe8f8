"""The third-party apps that show in the admin, under names the office reads in its language
(their own configs name them in English or not at all: "OTP_STATIC", "Static devices").
INSTALLED_APPS lists these in their place; the apps' labels, tables and migrations stay theirs.
"""

from auditlog.apps import AuditlogConfig
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditLog(AuditlogConfig):
    verbose_name = _("Change and access log")


class _Named(AppConfig):
    """Names a model of the app in ``ready`` (``model name: (singular, plural)``). Only the
    displayed names change; the migration state reads the model's own ``Meta``."""

    default_auto_field = "django.db.models.AutoField"  # as the apps' own configs
    model_names: dict = {}

    def ready(self):
        super().ready()
        for model_name, (singular, plural) in self.model_names.items():
            meta = self.get_model(model_name)._meta
            meta.verbose_name, meta.verbose_name_plural = singular, plural


class StaticOtp(_Named):
    name = "django_otp.plugins.otp_static"
    verbose_name = _("Second factor: backup codes")
    model_names = {
        "staticdevice": (_("backup code set"), _("backup code sets")),
        "statictoken": (_("backup code"), _("backup codes")),
    }


class TotpOtp(_Named):
    name = "django_otp.plugins.otp_totp"
    verbose_name = _("Second factor: authenticator apps")
    model_names = {"totpdevice": (_("authenticator app"), _("authenticator apps"))}
