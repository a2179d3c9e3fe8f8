"""Live updates: the outbox, publishing after commit, and who may join which group.

Groups are ``office``, ``user.<id>``, and those registered by the apps (``workshop.<id>``,
``worker.<id>``, ``package.<id>``). The same rules decide a websocket join and the events API.
"""

import logging
from collections.abc import Callable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

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


def channel_group_name(group: str) -> str:
    """Channels allows only ASCII letters, digits, hyphens, underscores and periods."""
    return group


def send_to_group(group: str, message: dict) -> None:
    """Send one message to a Channels group from sync code (now, not on commit)."""
    layer = get_channel_layer()
    async_to_sync(layer.group_send)(
        channel_group_name(group), {"type": "event.message", "event": message}
    )


def _publish(event_ids: list[int]) -> None:
    for event in Event.objects.filter(id__in=event_ids).order_by("id"):
        try:
            send_to_group(event.group, event.as_message())
        except Exception:  # a lost live message is recovered by the events API
            logger.exception("publishing event %s failed; clients will resync", event.pk)


def emit(groups: str | list[str], type: str, data: dict) -> list[Event]:
    """Record an event for each group in the current transaction and publish it after commit."""
    groups = [groups] if isinstance(groups, str) else groups
    events = Event.objects.bulk_create([Event(group=g, type=type, data=data) for g in groups])
    ids = [e.pk for e in events]
    transaction.on_commit(lambda: _publish(ids))
    return events
