"""Reads for planning, filtered by who asks."""

from datetime import date

from django.db.models import Max, Min
from django.utils import timezone

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


def work_days_by_package(package_ids: list[int]) -> dict[int, tuple[date, date]]:
    """The first and last working day of each package's live appointments (tentative or
    accepted, as on the package page), in one query; packages without any are left out. For the
    homeowner's list of orders (``jobs.selectors.register_work_days``)."""
    rows = (
        Appointment.objects.filter(task__package_id__in=package_ids)
        .exclude(status=Appointment.Status.CANCELLED)
        .order_by()
        .values("task__package_id")
        .annotate(first=Min("start"), last=Max("end"))
    )
    return {
        row["task__package_id"]: (timezone.localdate(row["first"]), timezone.localdate(row["last"]))
        for row in rows
    }
