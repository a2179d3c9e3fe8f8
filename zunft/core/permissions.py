"""Django permissions that come with a role (``User.role``), for the admin.

The API and the pages decide by role in the apps' selectors (``trades.selectors.is_office``);
the admin asks Django's permissions. Rather than store those per account or group (a data
migration, and an account left without them when someone forgets to tick them), the role
grants them here: every office account has the same rights from its first login, and they go
with the role. The apps grant their part from ``AppConfig.ready`` (the platform core imports no
app). Only rights to look things up are granted so far; changing stays with the superuser.
"""

from collections.abc import Iterable

from django.contrib.auth.backends import BaseBackend

_granted: dict[str, frozenset[str]] = {}


def grant(roles: Iterable[str], *permissions: str) -> None:
    """Give every active account with one of ``roles`` these permissions (``"app.codename"``).
    Granting again changes nothing, so ``ready()`` may run twice."""
    for role in roles:
        _granted[role] = _granted.get(role, frozenset()) | frozenset(permissions)


def granted(role: str) -> frozenset[str]:
    return _granted.get(role, frozenset())


class RoleBackend(BaseBackend):
    """Answers permission questions only; it logs nobody in (``authenticate`` answers None), so
    it is listed after the backends that do. Permissions on a single object are not granted."""

    def get_all_permissions(self, user_obj, obj=None):
        if obj is not None or not user_obj.is_active or user_obj.is_anonymous:
            return set()
        return set(granted(getattr(user_obj, "role", "")))

    def has_module_perms(self, user_obj, app_label):
        prefix = f"{app_label}."
        return any(perm.startswith(prefix) for perm in self.get_all_permissions(user_obj))
