"""Calendar feeds behind secret URLs: who may create one, and what each one contains."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from jobs.models import Package
from scheduling.feeds import build_calendar
from scheduling.models import Appointment, FeedToken
from scheduling.selectors import may_follow_package
from trades.models import Worker, Workshop
from trades.selectors import administered_workshop_ids, is_office, member_workshop_ids
from zunft.core.language import active_language


def may_subscribe(user, scope: str, key: int) -> bool:
    """The same rules as the API: a worker their own, a workshop's people their workshop, the
    homeowner (and the workshops on it) their package; the office all."""
    if is_office(user):
        return True
    if scope == FeedToken.Scope.WORKER:
        return (
            Worker.objects.filter(pk=key).filter(user=user).exists()
            or Worker.objects.filter(
                pk=key, workshop_id__in=administered_workshop_ids(user)
            ).exists()
        )
    if scope == FeedToken.Scope.WORKSHOP:
        return key in member_workshop_ids(user)
    if scope == FeedToken.Scope.PACKAGE:
        return may_follow_package(user, str(key))
    return False


SUBJECTS = {
    FeedToken.Scope.WORKER: Worker,
    FeedToken.Scope.WORKSHOP: Workshop,
    FeedToken.Scope.PACKAGE: Package,
}


@transaction.atomic
def create_feed(user, scope: str, key: int) -> FeedToken:
    """A feed for the user, when they may see the calendar. The rights are checked first: for
    anybody but the office an unknown id is refused like a foreign one, so ids cannot be
    probed."""
    if not may_subscribe(user, scope, key):
        raise PermissionDenied
    if not SUBJECTS[scope].objects.filter(pk=key).exists():
        raise ValidationError({"key": _("There is no such worker, workshop or package.")})
    return FeedToken.objects.create(owner=user, scope=scope, key=key, language=active_language())


def revoke_feed(user, token_id: int) -> None:
    """Revoke one of the user's feeds: its URL stops working at once."""
    FeedToken.objects.filter(pk=token_id, owner=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def feed_body(token: str) -> bytes | None:
    """The feed for a live token (None when unknown or revoked). A token stops working too when
    its owner lost the right to it (left the workshop)."""
    feed = (
        FeedToken.objects.select_related("owner")
        .filter(token=token, revoked_at__isnull=True)
        .first()
    )
    if (
        feed is None
        or not feed.owner.is_active
        or not may_subscribe(feed.owner, feed.scope, feed.key)
    ):
        return None
    appointments = Appointment.objects.select_related(
        "task__package__site",
        "task__package__customer",
        "task__package__template",
        "workshop",
        "worker",
    )
    subject = SUBJECTS[feed.scope].objects.filter(pk=feed.key).first()
    if subject is None:  # deleted since (an erased package): the feed is gone with it
        return None
    if feed.scope == FeedToken.Scope.WORKER:
        appointments = appointments.filter(worker_id=feed.key)
        name = str(subject)
    elif feed.scope == FeedToken.Scope.WORKSHOP:
        appointments = appointments.filter(workshop_id=feed.key)
        name = subject.name
    else:
        appointments = appointments.filter(task__package_id=feed.key)
        name = subject.title
    # Tradespeople need the customer's phone on site; the homeowner's own feed does not.
    contact = feed.scope != FeedToken.Scope.PACKAGE
    with translation.override(feed.language):
        return build_calendar(appointments.order_by("start"), name=name, include_contact=contact)
