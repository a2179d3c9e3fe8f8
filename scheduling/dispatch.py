"""Dispatch offers to workshops: offer, accept (exactly one winner), decline, expire.

Every offer, acceptance, decline and expiry stays in the ``Dispatch`` table: that is the
fairness ledger (offered vs. accepted per member and trade).
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from jobs.models import Task
from scheduling.models import Appointment, Dispatch, Handover
from trades.models import Absence, Worker, WorkerCertification
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
    # The appointment before the workers, as the planner and the owner's choice lock them.
    list(Appointment.objects.select_for_update().filter(pk=dispatch.appointment_id).values("pk"))
    worker = None
    answers_for_self = worker_id is None and not is_office(user)
    yourself = answers_for_self and dispatch.workshop_id not in administered_workshop_ids(user)
    if yourself:
        own = Worker.objects.filter(user=user, workshop_id=dispatch.workshop_id).first()
        worker_id = own.pk if own else None
    if worker_id is not None:
        worker = _free_worker(dispatch.appointment, worker_id, field="worker_id", yourself=yourself)
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


def working_days(appointment: Appointment) -> list[dt.date]:
    """The local dates the appointment is worked on (its segments; a weekend inside a
    multi-day job is not one of them)."""
    days = sorted({dt.date.fromisoformat(s["date"]) for s in appointment.segments})
    if days:
        return days
    # Without segments: every day it touches (an end at midnight belongs to the day before).
    first = timezone.localdate(appointment.start)
    last = timezone.localdate(appointment.end - dt.timedelta(microseconds=1))
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def appointment_days(appointment: Appointment) -> tuple[dt.date, dt.date]:
    """The appointment's first and last working day (local dates)."""
    days = working_days(appointment)
    return days[0], days[-1]


def away_on(appointment: Appointment, worker_ids) -> set[int]:
    """Which of ``worker_ids`` are away on one of the appointment's working days: absent
    themselves, or the whole workshop is closed (an absence without a worker)."""
    days = working_days(appointment)
    rows = Absence.objects.filter(
        Q(worker_id__in=worker_ids) | Q(workshop_id=appointment.workshop_id, worker__isnull=True),
        start__lte=days[-1],
        end__gte=days[0],
    ).values_list("worker_id", "start", "end")
    away: set[int] = set()
    for worker_id, start, end in rows:
        if any(start <= day <= end for day in days):
            if worker_id is None:
                return set(worker_ids)
            away.add(worker_id)
    return away


@dataclass(frozen=True)
class Candidate:
    worker: Worker
    reason: str  # why they cannot take the appointment; empty when they can
    kind: str = ""  # the reason's kind: "away", "busy", "certification"


def staffing(appointment: Appointment, *, lock: bool = False, worker_ids=None) -> list[Candidate]:
    """Every active worker of the appointment's workshop with its trade (or those of
    ``worker_ids``), each with the reason they cannot take it: away on one of its days, on
    another appointment then, or without the valid certification the task needs. Free workers
    with a login come first (they see the job on their phone). ``lock`` locks those workers'
    rows in one statement, in id order (as the planner's absence cover does), so that whoever
    assigns one of them next counts the appointment the other just gave them."""
    task = appointment.task
    last = appointment_days(appointment)[1]
    qs = Worker.objects.filter(
        workshop_id=appointment.workshop_id, active=True, trades=task.trade_id
    ).order_by("id")
    if worker_ids is not None:
        qs = qs.filter(pk__in=worker_ids)
    workers = list(qs.select_for_update() if lock else qs)
    ids = [w.pk for w in workers]
    away = away_on(appointment, ids)
    busy = set(
        Appointment.objects.filter(
            worker_id__in=ids, start__lt=appointment.end, end__gt=appointment.start
        )
        .exclude(status=Appointment.Status.CANCELLED)
        .exclude(pk=appointment.pk)
        .values_list("worker_id", flat=True)
    )
    certified = None
    if task.required_certification_id is not None:
        certified = set(
            WorkerCertification.objects.filter(
                Q(valid_until__isnull=True) | Q(valid_until__gte=last),
                worker_id__in=ids,
                certification_id=task.required_certification_id,
            ).values_list("worker_id", flat=True)
        )

    def candidate(w: Worker) -> Candidate:
        if w.pk in away:
            return Candidate(w, _("absent"), "away")
        if w.pk in busy:
            return Candidate(w, _("on another appointment then"), "busy")
        if certified is not None and w.pk not in certified:
            missing = _("%(certification)s missing or expired") % {
                "certification": task.required_certification.name
            }
            return Candidate(w, missing, "certification")
        return Candidate(w, "")

    out = [candidate(w) for w in workers]
    return sorted(out, key=lambda c: (bool(c.reason), c.worker.user_id is None))


def _free_worker(
    appointment: Appointment, worker_id: int, *, field: str, yourself: bool = False
) -> Worker:
    choice = next((c for c in staffing(appointment, lock=True) if c.worker.pk == worker_id), None)
    if choice is None:
        raise ValidationError({field: _("No active worker with this trade in the workshop.")})
    if choice.reason and yourself:
        raise ValidationError({field: _("You cannot take it: %s.") % choice.reason})
    if choice.reason:
        raise ValidationError(
            {
                field: _("%(name)s cannot take it: %(reason)s.")
                % {"name": choice.worker, "reason": choice.reason}
            }
        )
    return choice.worker


@dataclass(frozen=True)
class Answerer:
    """Who reads a list of offers, looked up once per list: the workshops they run and their
    own worker records by workshop."""

    office: bool
    administered: frozenset
    workers: dict

    @classmethod
    def of(cls, user) -> "Answerer":
        if not getattr(user, "is_authenticated", False):
            return cls(False, frozenset(), {})
        return cls(
            is_office(user),
            frozenset(administered_workshop_ids(user)),
            {w.workshop_id: w for w in Worker.objects.filter(user=user)},
        )


def own_refusal(who: Answerer, offer: Dispatch) -> str:
    """Why a worker answering an open offer for themselves could not take it (what Accept would
    refuse: absent, busy then, certification missing, another trade), so that the offer says so
    before the tap. Empty when they can, and for the management and the office, who accept for
    whoever they choose."""
    if offer.status != Dispatch.Status.OFFERED or who.office:
        return ""
    if offer.workshop_id in who.administered:
        return ""
    worker = who.workers.get(offer.workshop_id)
    if worker is None:
        return ""
    if not worker.active:
        return _("no longer on the workshop's team")
    appointment = offer.appointment
    choice = staffing(appointment, worker_ids=[worker.pk])
    if not choice:
        return _("not in the trade %(trade)s") % {"trade": appointment.task.trade.name}
    return choice[0].reason


def may_staff(user, appointment: Appointment) -> bool:
    """Who chooses the worker: the workshop's admins and the office."""
    return is_office(user) or appointment.workshop_id in administered_workshop_ids(user)


@transaction.atomic
def assign_worker(appointment_id: int, *, user, worker_id: int) -> Appointment:
    """Give an accepted appointment to a worker of its workshop (one who is free then, has the
    trade and a valid certification), e.g. after its worker fell ill and nobody could be found
    automatically. The workshop, the office and both workers are told."""
    appointment = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("task")
        .exclude(status=Appointment.Status.CANCELLED)
        .get(pk=appointment_id)
    )
    if not may_staff(user, appointment):
        raise PermissionDenied(_("Only the workshop's management chooses the worker."))
    if appointment.status != Appointment.Status.ACCEPTED:
        raise Conflict(_("The offer is still open: the worker is chosen when it is accepted."))
    if appointment.task.status == Task.Status.DONE:
        raise Conflict(_("The work is finished already."))
    if worker_id == appointment.worker_id:
        return appointment
    previous = appointment.worker_id
    appointment.worker = _free_worker(appointment, worker_id, field="worker")
    appointment.sequence += 1
    appointment.save(update_fields=["worker", "sequence", "updated_at"])
    announce_worker_change(appointment, previous)
    return appointment


def announce_worker_change(appointment: Appointment, previous: int | None, *, now=None) -> None:
    """Tell the workshop, the office and both workers; record the hand-over from the previous
    worker with its moment (see ``Handover``)."""
    if previous is not None and previous != appointment.worker_id:
        Handover.objects.create(
            appointment=appointment,
            worker_id=previous,
            to_worker_id=appointment.worker_id,
            at=now or timezone.now(),
        )
    groups = [f"workshop.{appointment.workshop_id}", "office"]
    groups += [f"worker.{w}" for w in (previous, appointment.worker_id) if w is not None]
    emit(
        groups,
        "appointment.worker_changed",
        {
            "appointment": appointment.pk,
            "task": appointment.task_id,
            "from": previous,
            "to": appointment.worker_id,
        },
    )


@transaction.atomic
def decline(dispatch_id: int, *, user, reason: str, now=None) -> Dispatch:
    """Decline with a reason; the task goes back to the planner, which offers it to the
    next-best eligible workshop (this one is left out for this task). A Notdienst goes on to
    the next free worker at once."""
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
    """The appointment is void: cancel it so the re-plan places the task elsewhere (a Notdienst
    goes on to the next free worker at once, after commit)."""
    from scheduling.services import EMERGENCY_TASK_CODE, pass_emergency_on

    appointment = dispatch.appointment
    if appointment.task.code == EMERGENCY_TASK_CODE:
        task_id = appointment.task_id
        # Before the re-plan the caller asked for (callbacks run in order); a failure there
        # must not turn the committed answer into an error.
        transaction.on_commit(lambda: pass_emergency_on(task_id), robust=True)
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


def cancel_package_work(package) -> list[Appointment]:
    """The package ends before its work is done (the homeowner withdrew): its appointments
    for work not done are cancelled (a calendar sees them go: the sequence rises), their offers
    withdrawn, and each workshop and worker concerned is told live. The caller re-plans."""
    appointments = list(
        Appointment.objects.select_for_update(of=("self",))
        .filter(task__package=package)
        .exclude(status=Appointment.Status.CANCELLED)
        .exclude(task__status=Task.Status.DONE)
        .order_by("pk")
    )
    ids = [a.pk for a in appointments]
    Dispatch.objects.filter(
        appointment_id__in=ids,
        status__in=[Dispatch.Status.PROPOSED, Dispatch.Status.OFFERED, Dispatch.Status.ACCEPTED],
    ).update(status=Dispatch.Status.WITHDRAWN)
    Appointment.objects.filter(pk__in=ids).update(
        status=Appointment.Status.CANCELLED, sequence=F("sequence") + 1, updated_at=timezone.now()
    )
    payload = {"package": package.pk, "cancelled": ids}
    for workshop in sorted({a.workshop_id for a in appointments}):
        emit(f"workshop.{workshop}", "workshop.schedule_changed", {**payload, "workshop": workshop})
    for worker in sorted({a.worker_id for a in appointments if a.worker_id}):
        emit(f"worker.{worker}", "worker.schedule_changed", {**payload, "worker": worker})
    return appointments
