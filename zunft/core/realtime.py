"""Live updates: the outbox, publishing after commit, and who may join which group.

Groups are ``office``, ``user.<id>``, and those registered by the apps (``workshop.<id>``,
``worker.<id>``, ``package.<id>``). The same rules decide a websocket join and the events API.
"""

import logging
from collections.abc import Callable
from datetime import timedelta

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.utils import timezone

from zunft.core.models import Event

logger = logging.getLogger(__name__)

GroupRule = Callable[[object, str], bool]
_group_rules: dict[str, GroupRule] = {}


def register_group_rule(prefix: str, rule: GroupRule) -> None:
    """Apps register who may join ``<prefix>.<key>``; ``rule(user, key)`` answers yes or no."""
    _group_rules[prefix] = rule


def may_join(user, group: str) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if group == "office":
        return user.is_office
    prefix, _sep, key = group.partition(".")
    if not key:
        return False
    if prefix == "user":
        return key == str(user.pk)
    rule = _group_rules.get(prefix)
    if rule is None:
        return False
    return user.is_office or rule(user, key)


def send_to_group(group: str, message: dict) -> None:
    """Send one message to a Channels group from sync code (now, not on commit)."""
    layer = get_channel_layer()
    async_to_sync(layer.group_send)(group, {"type": "event.message", "event": message})


# The republisher leaves fresh events to the on-commit publish of the process that wrote them, and
# gives up on old ones (clients resync those through the events API anyway).
REPUBLISH_AFTER = timedelta(seconds=5)
REPUBLISH_MAX_AGE = timedelta(hours=1)
REPUBLISH_BATCH = 500


def _send_pending(events) -> int:
    """Send the still unpublished events of ``events`` in id order and mark them published.

    The rows are locked with ``SELECT … FOR UPDATE SKIP LOCKED`` while they are sent, and marked
    with a conditional UPDATE (``published_at IS NULL``): of two processes (the on-commit publish
    and the beat task, or two workers) exactly one sends a given event, and one that dies before
    its commit leaves the event unpublished for the next run. Stops at the first failure, so a
    group's events are never sent out of order. Returns how many were sent."""
    sent: list[int] = []
    with transaction.atomic():
        pending = events.filter(published_at__isnull=True).select_for_update(skip_locked=True)
        for event in pending.order_by("id")[:REPUBLISH_BATCH]:
            try:
                send_to_group(event.group, event.as_message())
            except Exception as exc:  # Redis down: the rest would fail alike; try again later
                logger.warning(
                    "publishing event %s failed (%s: %s); it stays in the outbox",
                    event.pk,
                    type(exc).__name__,
                    exc,
                )
                break
            sent.append(event.pk)
        if sent:
            Event.objects.filter(pk__in=sent, published_at__isnull=True).update(
                published_at=timezone.now()
            )
    return len(sent)


def _publish(event_ids: list[int]) -> None:
    # Runs after commit: an exception here would turn a committed change into an error answer.
    try:
        _send_pending(Event.objects.filter(id__in=event_ids))
    except Exception:
        logger.exception("publishing events %s failed; the republisher will retry", event_ids)


def republish_pending(now=None) -> int:
    """Send events whose on-commit publish failed or never ran (the ``core.republish_events``
    beat task). Clients drop duplicates by id, so a late event is harmless."""
    now = now or timezone.now()
    return _send_pending(
        Event.objects.filter(
            created_at__lte=now - REPUBLISH_AFTER, created_at__gte=now - REPUBLISH_MAX_AGE
        )
    )


def emit(groups: str | list[str], type: str, data: dict) -> list[Event]:
    """Record an event for each group in the current transaction and publish it after commit."""
    groups = [groups] if isinstance(groups, str) else groups
    events = Event.objects.bulk_create([Event(group=g, type=type, data=data) for g in groups])
    ids = [e.pk for e in events]
    transaction.on_commit(lambda: _publish(ids))
    return events
