"""Dispatch offers to workshops: offer, accept (exactly one winner), decline, expire.

Every offer, acceptance, decline and expiry stays in the ``Dispatch`` table: that is the
fairness ledger (offered vs. accepted per member and trade).
"""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from jobs.models import Task
from scheduling.models import Appointment, Dispatch
from trades.models import Worker
from trades.selectors import administered_workshop_ids, is_office, member_workshop_ids
from zunft.core.errors import Conflict
from zunft.core.realtime import emit


def offer(appointment: Appointment, *, now=None, urgent: bool = False) -> Dispatch:
    """Offer the appointment's task to its workshop with a deadline (shorter when urgent) and tell
    the workshop's people live. Any earlier open offer for it is withdrawn."""
    now = now or timezone.now()
    hours = settings.DISPATCH_URGENT_HOURS if urgent else settings.DISPATCH_OFFER_HOURS
    appointment.dispatches.filter(status__in=["proposed", "offered"]).update(
        status=Dispatch.Status.WITHDRAWN
    )
    dispatch = Dispatch.objects.create(
        appointment=appointment,
        workshop_id=appointment.workshop_id,
        status=Dispatch.Status.OFFERED,
        deadline=now + dt.timedelta(hours=hours),
    )
    emit(
        [f"workshop.{appointment.workshop_id}", "office"],
        "dispatch.offered",
        {
            "dispatch": dispatch.pk,
            "task": appointment.task_id,
            "deadline": dispatch.deadline.isoformat(),
        },
    )
    return dispatch


def may_answer(user, dispatch: Dispatch) -> bool:
    return is_office(user) or dispatch.workshop_id in member_workshop_ids(user)


def _answer(dispatch_id: int, user, status: str, now, **fields) -> Dispatch:
    """Claim the open offer with one conditional UPDATE: of any number of concurrent answers
    (two phones, or an answer racing the expiry job) exactly one changes the row."""
    claimed = Dispatch.objects.filter(
        pk=dispatch_id, status=Dispatch.Status.OFFERED, deadline__gt=now
    ).update(status=status, answered_at=now, answered_by=user, **fields)
    if claimed != 1:
        current = Dispatch.objects.filter(pk=dispatch_id).values_list("status", flat=True).first()
        if current == Dispatch.Status.OFFERED:
            raise Conflict(_("The offer has expired."))
        label = Dispatch.Status(current).label if current else "?"
        raise Conflict(_("The offer has already been answered (%s).") % label)
    return Dispatch.objects.select_related("appointment__task").get(pk=dispatch_id)


@transaction.atomic
def accept(dispatch_id: int, *, user, worker_id: int | None = None, now=None) -> Dispatch:
    """Accept an offer for the workshop, optionally naming the worker. Exactly one of any
    concurrent accepts wins; the others get ``Conflict`` (HTTP 409)."""
    now = now or timezone.now()
    dispatch = Dispatch.objects.select_related("appointment__task").get(pk=dispatch_id)
    if not may_answer(user, dispatch):
        raise Dispatch.DoesNotExist
    worker = None
    if worker_id is not None:
        worker = Worker.objects.filter(
            pk=worker_id,
            workshop_id=dispatch.workshop_id,
            active=True,
            trades=dispatch.appointment.task.trade_id,
        ).first()
        if worker is None:
            raise ValidationError(
                {"worker_id": _("No such worker with this trade in the workshop.")}
            )
    elif not is_office(user) and dispatch.workshop_id not in administered_workshop_ids(user):
        worker = Worker.objects.filter(user=user, workshop_id=dispatch.workshop_id).first()
    dispatch = _answer(dispatch_id, user, Dispatch.Status.ACCEPTED, now, worker=worker)
    appointment = dispatch.appointment
    Appointment.objects.filter(pk=appointment.pk).update(
        status=Appointment.Status.ACCEPTED, worker=worker, sequence=appointment.sequence + 1
    )
    Task.objects.filter(pk=appointment.task_id).update(status=Task.Status.ASSIGNED)
    task = appointment.task
    payload = {
        "dispatch": dispatch.pk,
        "task": task.pk,
        "workshop": dispatch.workshop_id,
        "worker": worker.pk if worker else None,
    }
    emit(
        [f"package.{task.package_id}", f"workshop.{dispatch.workshop_id}", "office"],
        "dispatch.accepted",
        payload,
    )
    if worker is not None:
        emit(f"worker.{worker.pk}", "dispatch.accepted", payload)
    return dispatch


@transaction.atomic
def decline(dispatch_id: int, *, user, reason: str, now=None) -> Dispatch:
    """Decline with a reason; the task goes back to the planner, which offers it to the
    next-best eligible workshop (this one is left out for this task)."""
    from scheduling.services import request_replan

    now = now or timezone.now()
    dispatch = Dispatch.objects.get(pk=dispatch_id)
    if not may_answer(user, dispatch):
        raise Dispatch.DoesNotExist
    if not reason.strip():
        raise ValidationError({"reason": _("Please give a reason.")})
    dispatch = _answer(
        dispatch_id, user, Dispatch.Status.DECLINED, now, decline_reason=reason[:300]
    )
    _release(dispatch, "dispatch.declined")
    transaction.on_commit(lambda: request_replan(f"dispatch {dispatch.pk} declined"))
    return dispatch


def expire_overdue(now=None) -> int:
    """Expire every offer past its deadline (claimed row by row, safe to run on several
    workers) and ask for one re-plan. Returns how many expired."""
    from scheduling.services import request_replan

    now = now or timezone.now()
    expired = 0
    for dispatch_id in Dispatch.objects.filter(status="offered", deadline__lte=now).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            claimed = Dispatch.objects.filter(
                pk=dispatch_id, status=Dispatch.Status.OFFERED, deadline__lte=now
            ).update(status=Dispatch.Status.EXPIRED, answered_at=now)
            if claimed:
                expired += 1
                _release(Dispatch.objects.get(pk=dispatch_id), "dispatch.expired")
    if expired:
        request_replan(f"{expired} offers expired")
    return expired


def _release(dispatch: Dispatch, event: str) -> None:
    """The appointment is void: cancel it so the re-plan places the task elsewhere."""
    appointment = dispatch.appointment
    Appointment.objects.filter(pk=appointment.pk).update(
        status=Appointment.Status.CANCELLED, sequence=appointment.sequence + 1
    )
    Task.objects.filter(pk=appointment.task_id).update(status=Task.Status.OPEN)
    emit(
        [f"workshop.{dispatch.workshop_id}", "office", f"package.{appointment.task.package_id}"],
        event,
        {"dispatch": dispatch.pk, "task": appointment.task_id},
    )


def excluded_workshops(task_ids) -> dict[int, set[int]]:
    """Workshops that declined or let expire an offer for each task: not offered it again."""
    out: dict[int, set[int]] = {}
    rows = Dispatch.objects.filter(
        appointment__task_id__in=task_ids, status__in=["declined", "expired"]
    ).values_list("appointment__task_id", "workshop_id")
    for task_id, workshop_id in rows:
        out.setdefault(task_id, set()).add(workshop_id)
    return out


def fairness_ledger(user):
    """Offered, accepted, declined and expired offers per workshop and trade: all of them for
    the office, a member's own rows for its people."""
    qs = Dispatch.objects.exclude(status__in=["proposed", "withdrawn"])
    if not is_office(user):
        qs = qs.filter(workshop_id__in=member_workshop_ids(user))
    return (
        qs.values("workshop_id", "workshop__name", "appointment__task__trade__code")
        .annotate(
            offered=Count("id"),
            accepted=Count("id", filter=Q(status="accepted")),
            declined=Count("id", filter=Q(status="declined")),
            expired=Count("id", filter=Q(status="expired")),
        )
        .order_by("workshop__name", "appointment__task__trade__code")
    )
