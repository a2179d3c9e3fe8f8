"""Reads for planning, filtered by who asks."""

from jobs.models import Package
from scheduling.models import Appointment
from trades.selectors import member_workshop_ids


def may_follow_package(user, key: str) -> bool:
    """The homeowner of the package and the workshops with work on it (the office always)."""
    if not key.isdigit():
        return False
    package = Package.objects.filter(pk=int(key)).values("customer__user_id").first()
    if package is None:
        return False
    if package["customer__user_id"] == user.pk:
        return True
    return Appointment.objects.filter(
        task__package_id=int(key), workshop_id__in=member_workshop_ids(user)
    ).exists()
