"""Work on site (Stundenzettel, Aufmaß, Abnahme): status, time, material, photos, signature and
the checklist that must be complete before a task counts as done.

jobs sits below scheduling, so it does not know appointments. The caller (scheduling's field
API) says which appointment the work belongs to with a plain :class:`Assignment`; a task that
runs past its planned end is announced with the :data:`task_overran` signal, to which scheduling
answers with a re-plan.

Every write carries the UUID the phone made up for it (``client_id``). A replay of the same id
returns the stored entry and changes nothing, so an offline outbox may send an action as often
as it likes. Writes lock the task row (``SELECT … FOR UPDATE``): two phones on one task take
turns, and a replay racing its original finds the original's row once it gets the lock.
"""

import datetime as dt
import io
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.dispatch import Signal
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from jobs.models import (
    ChecklistItem,
    MaterialEntry,
    Package,
    Photo,
    Signature,
    Task,
    TaskDependency,
    TimeEntry,
    WorkLog,
)
from trades.models import Worker
from trades.selectors import administered_workshop_ids, is_office
from zunft.core.errors import Conflict
from zunft.core.realtime import emit
from zunft.core.units import parse_unit, unknown_unit

logger = logging.getLogger(__name__)

#: Sent inside the transaction when work on a task goes past its planned end, once per task.
#: Arguments: ``task_id``, ``package_id``, ``planned_end``, ``reason``.
task_overran = Signal()

PHOTO_MAX_BYTES = getattr(settings, "FIELD_PHOTO_MAX_BYTES", 15 * 1024 * 1024)
PHOTO_MAX_PIXELS = 60_000_000  # a 60-MP camera; beyond that it is no photo from a phone
PHOTO_MAX_EDGE = 1600
PHOTO_FORMATS = {"JPEG", "MPO", "PNG", "WEBP"}
SIGNATURE_MAX_BYTES = 512 * 1024
# A phone's clock may be a little ahead; an outbox may replay actions days later.
CLOCK_SKEW = dt.timedelta(minutes=5)
OLDEST_REPLAY = dt.timedelta(days=14)
# One material entry on a craft site: a drum of cable or a pallet of screed stays well under
# 10,000 of its unit, and a heat pump or a lift well under 100,000 € a unit. Beyond that it is
# a slip of the thumb (digits typed twice), and quantity × price stays far inside 12 digits.
MATERIAL_MAX_QUANTITY = Decimal(10_000)
MATERIAL_MAX_UNIT_PRICE = Decimal(100_000)
# Nobody works more hours in a day than it has, on however many tasks.
HOURS_IN_A_DAY = dt.timedelta(hours=24)


class UploadRejected(Exception):
    """A file the server will not take: HTTP ``status`` with a message naming the field."""

    status = 415

    def __init__(self, message: str, field: str = "file"):
        super().__init__(message)
        self.field = field


class UploadTooLarge(UploadRejected):
    status = 413


@dataclass(frozen=True)
class Assignment:
    """Whose task this is: the appointment's task, workshop, worker and planned end, as plain
    values. ``successor_workshops`` maps successor task ids to the workshop planned for them
    (filled in when finishing, so their people hear of the release)."""

    task_id: int
    package_id: int
    workshop_id: int
    worker_id: int | None
    planned_end: dt.datetime
    accepted: bool
    successor_workshops: Mapping[int, int] = field(default_factory=dict)
    # Who had the job before it was handed on, with the moment each of them last lost it.
    handed_on: Mapping[int, dt.datetime] = field(default_factory=dict)

    @property
    def groups(self) -> list[str]:
        groups = [f"workshop.{self.workshop_id}", f"package.{self.package_id}"]
        if self.worker_id:
            groups.append(f"worker.{self.worker_id}")
        return groups


# --- checklists -----------------------------------------------------------------------------------
# (code, German, English, evidence). Keys: "<trade>/<task code>" first, then "<trade>", then
# every task. Kept in code: short, reviewed like code, and copied onto the task when first used,
# so later edits never change a task in progress.

CHECKLISTS: dict[str, list[tuple[str, str, str, str]]] = {
    "sanitaer/rough": [
        (
            "pressure",
            "Druckprüfung dokumentiert (Foto)",
            "Pressure test documented (photo)",
            "photo",
        )
    ],
    "sanitaer": [("leaks", "Alle Verbindungen dicht", "All joints checked for leaks", "")],
    "elektro": [
        ("measure", "Messprotokoll fotografiert (Foto)", "Test report photographed", "photo"),
        ("rcd", "FI-Schutzschalter ausgelöst und geprüft", "RCD tripped and checked", ""),
    ],
    "fliesen": [("joints", "Fugen geprüft", "Joints checked", "")],
    "maler": [("cover", "Abdeckung entfernt", "Covers removed", "")],
    "*": [
        ("clean", "Arbeitsbereich sauber hinterlassen", "Work area left clean", ""),
        (
            "signoff",
            "Abnahme: Unterschrift des Kunden",
            "Sign-off: customer's signature",
            "signature",
        ),
    ],
}


def checklist_definition(trade_code: str, task_code: str) -> list[tuple[str, str, str, str]]:
    keys = [f"{trade_code}/{task_code}", trade_code, "*"]
    return [item for key in keys for item in CHECKLISTS.get(key, [])]


def ensure_checklists(tasks) -> None:
    """Copy the checklist onto each task that has none yet (idempotent, safe to race: the
    unique (task, code) constraint drops the duplicates)."""
    tasks = [t for t in tasks]
    have = set(
        ChecklistItem.objects.filter(task__in=tasks).values_list("task_id", flat=True).distinct()
    )
    rows = [
        ChecklistItem(task=task, code=code, name_de=de, name_en=en, evidence=evidence, position=i)
        for task in tasks
        if task.pk not in have
        for i, (code, de, en, evidence) in enumerate(
            checklist_definition(task.trade.code, task.code)
        )
    ]
    if rows:
        ChecklistItem.objects.bulk_create(rows, ignore_conflicts=True)


# --- access and state -----------------------------------------------------------------------------


def may_work(user, assignment: Assignment) -> bool:
    """The assigned worker, an admin of the appointment's workshop, or the office."""
    if not getattr(user, "is_authenticated", False):
        return False
    if is_office(user) or assignment.workshop_id in administered_workshop_ids(user):
        return True
    return bool(
        assignment.worker_id and Worker.objects.filter(pk=assignment.worker_id, user=user).exists()
    )


def _check_access(user, assignment: Assignment) -> None:
    # Like scheduling.dispatch: who may not see it is told it does not exist (HTTP 404).
    if not may_work(user, assignment):
        raise Task.DoesNotExist


def worked_on(user, task_id: int) -> bool:
    """The user was on the task themselves: set out for it, arrived, paused or finished."""
    if not getattr(user, "is_authenticated", False):
        return False
    return WorkLog.objects.filter(
        Q(created_by=user) | Q(worker__user=user), task_id=task_id
    ).exists()


def handed_on_from(user, assignment: Assignment) -> bool:
    """The job went from the user to a colleague, and the user is still on the workshop's team:
    they had it (or were on the task) before."""
    own = Worker.objects.filter(
        user=user, workshop_id=assignment.workshop_id, active=True
    ).values_list("pk", flat=True)
    if not getattr(user, "is_authenticated", False) or not own:
        return False
    return bool(set(own) & set(assignment.handed_on)) or worked_on(user, assignment.task_id)


def _check_record_access(user, assignment: Assignment) -> bool:
    """Whether the user has the job; else, whether hours, material and photos from the site
    are still theirs to record: after it went to a colleague, an offline phone sends them
    later, and they are the worker's own (booked on their worker record). The status, the
    checklist and the signature belong to whoever has the job now. Someone let go since, or
    never on it, is told it does not exist."""
    if may_work(user, assignment):
        return True
    if not handed_on_from(user, assignment):
        raise Task.DoesNotExist
    return False


def _handed_on_at(user, assignment: Assignment) -> dt.datetime | None:
    """When the job was last handed on from the user's worker record; None when no hand-over of
    theirs is known (on the task without being its worker)."""
    own = Worker.objects.filter(user=user, workshop_id=assignment.workshop_id).values_list(
        "pk", flat=True
    )
    return max((assignment.handed_on[pk] for pk in own if pk in assignment.handed_on), default=None)


def _check_before_hand_over(
    user, assignment: Assignment, moment: dt.datetime | None, name: str, message: str
) -> None:
    """Refuse what a former worker's phone says began at or after the job was handed on from
    them (a timer started after it, hours typed in for the next day): it is not theirs.
    ``message`` has a ``%(when)s`` slot. What does not say when it happened is taken."""
    since = _handed_on_at(user, assignment)
    if moment is None or since is None or moment < since:
        return
    when = date_format(timezone.localtime(since), "SHORT_DATETIME_FORMAT")
    raise ValidationError({name: message % {"when": when}})


def current_status(task_id: int) -> str:
    """The latest status on site, '' before anyone set out."""
    last = _last_log(task_id)
    return last.status if last else ""


def _last_log(task_id: int) -> WorkLog | None:
    return WorkLog.objects.filter(task_id=task_id).order_by("-at", "-id").first()


def _locked_task(assignment: Assignment) -> Task:
    return Task.objects.select_for_update().select_related("trade").get(pk=assignment.task_id)


def _moment(
    at: dt.datetime | None,
    now: dt.datetime,
    name: str = "at",
    *,
    oldest: dt.timedelta | None = OLDEST_REPLAY,
) -> dt.datetime:
    """When it happened on the phone (an offline action is replayed later), within reason."""
    if at is None:
        return now
    if timezone.is_naive(at):
        raise ValidationError({name: _("Give the time with its time zone.")})
    if at > now + CLOCK_SKEW:
        raise ValidationError({name: _("This time lies in the future.")})
    if oldest is not None and at < now - oldest:
        raise ValidationError({name: _("This time lies too far in the past.")})
    return at


def _replayed(model, client_id: uuid.UUID, assignment: Assignment):
    """The entry stored earlier under this client id, or None. An id reused for another task is
    a client bug: refuse it rather than guess."""
    existing = model.objects.filter(client_id=client_id).first()
    if existing is not None and existing.task_id != assignment.task_id:
        raise Conflict(_("This client id was already used for another task."))
    return existing


def _stored(entry):
    # Answer with what the database holds, so that a replay (read back) answers the same.
    return type(entry).objects.get(pk=entry.pk)


def _worker_for(user, assignment: Assignment) -> int | None:
    own = Worker.objects.filter(user=user, workshop_id=assignment.workshop_id).values_list(
        "pk", flat=True
    )
    return own.first() or assignment.worker_id


# --- status on site -------------------------------------------------------------------------------

ACTIONS = {
    # action: (allowed from, new status)
    "travel": ({"", WorkLog.Status.PAUSED}, WorkLog.Status.TRAVELLING),
    "arrive": ({"", WorkLog.Status.TRAVELLING, WorkLog.Status.PAUSED}, WorkLog.Status.ON_SITE),
    "pause": ({WorkLog.Status.ON_SITE}, WorkLog.Status.PAUSED),
    "resume": ({WorkLog.Status.PAUSED}, WorkLog.Status.ON_SITE),
    "finish": ({WorkLog.Status.ON_SITE, WorkLog.Status.PAUSED}, WorkLog.Status.DONE),
}


def change_status(
    assignment: Assignment,
    *,
    user,
    action: str,
    client_id: uuid.UUID,
    at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> tuple[WorkLog, bool]:
    """Record a status change on site and return ``(entry, replayed)``.

    Steps, inside one transaction holding the task's row lock:
    1. a replay of ``client_id`` returns the stored entry and does nothing else;
    2. the action must follow from the current status (else ``Conflict``), on an accepted
       appointment; ``finish`` needs the checklist complete (else ``ValidationError``);
    3. the entry is written; the task becomes ``in_progress`` (the package too) or ``done``;
    4. past the planned end, ``task_overran`` is sent once per task;
    5. finishing releases the successors whose predecessors are all done;
    6. events go to the worker, the workshop and the package.
    """
    now = now or timezone.now()
    if action not in ACTIONS:
        raise ValidationError({"action": _("Unknown action.")})
    _check_access(user, assignment)
    at = _moment(at, now)
    with transaction.atomic():
        # The package before its task, as the planner and a withdrawal lock them: this step may
        # start or close the package.
        list(
            Package.objects.select_for_update(of=("self",))
            .filter(tasks__id=assignment.task_id)
            .values_list("pk", flat=True)
        )
        task = _locked_task(assignment)
        existing = _replayed(WorkLog, client_id, assignment)
        if existing is not None:
            return existing, True
        if not assignment.accepted:
            raise Conflict(_("The appointment has not been accepted yet."))
        allowed, status = ACTIONS[action]
        last = _last_log(task.pk)
        current = last.status if last else ""
        if current not in allowed:
            raise Conflict(
                _("Not possible now: the task is %(state)s.")
                % {"state": WorkLog.Status(current).label if current else _("not started")}
            )
        if action == "finish":
            check_finishable(task)
        if last is not None and at < last.at:
            # It follows the last step, so it cannot have happened before it (a second phone, a
            # clock behind): stored earlier, it would not become the current status.
            at = last.at
        overran = at > assignment.planned_end and not overrun_announced(task)
        log = WorkLog.objects.create(
            client_id=client_id,
            task=task,
            worker_id=_worker_for(user, assignment),
            status=status,
            at=at,
            overran=overran,
            created_by=user,
        )
        if status == WorkLog.Status.DONE:
            Task.objects.filter(pk=task.pk).update(status=Task.Status.DONE)
            _close_package_when_done(task.package_id)
        elif task.status in {Task.Status.OPEN, Task.Status.PLANNED, Task.Status.ASSIGNED}:
            Task.objects.filter(pk=task.pk).update(status=Task.Status.IN_PROGRESS)
            Package.objects.filter(pk=task.package_id, status=Package.Status.ACCEPTED).update(
                status=Package.Status.IN_PROGRESS
            )
        emit(
            assignment.groups,
            "field.status",
            {"task": task.pk, "status": status, "at": at.isoformat(), "log": log.pk},
        )
        if overran:
            _announce_overrun(task, assignment, at)
        if status == WorkLog.Status.DONE:
            emit([*assignment.groups, "office"], "task.done", {"task": task.pk})
            release_successors(task, at=at, successor_workshops=assignment.successor_workshops)
    logger.info("task %s: %s by user %s", task.pk, action, user.pk)
    return _stored(log), False


def overrun_announced(task: Task) -> bool:
    """Whether the overrun was already told (by a field action or by the periodic check)."""
    return task.overrun_announced_at is not None


def announce_overrun(task: Task, assignment: Assignment, at: dt.datetime) -> None:
    """Tell the workshop and the office that ``task`` runs past its planned end, and ask for a
    re-plan (once per task; callers check ``overrun_announced``)."""
    _announce_overrun(task, assignment, at)


def _announce_overrun(task: Task, assignment: Assignment, at: dt.datetime) -> None:
    reason = f"task {task.pk} overran its planned end {assignment.planned_end:%Y-%m-%d %H:%M}"
    Task.objects.filter(pk=task.pk).update(overrun_announced_at=at)
    task.overrun_announced_at = at
    emit(
        [f"workshop.{assignment.workshop_id}", "office"],
        "task.overran",
        {"task": task.pk, "planned_end": assignment.planned_end.isoformat(), "at": at.isoformat()},
    )
    task_overran.send(
        sender=Task,
        task_id=task.pk,
        package_id=task.package_id,
        planned_end=assignment.planned_end,
        reason=reason,
    )


def _close_package_when_done(package_id: int) -> None:
    open_tasks = Task.objects.filter(package_id=package_id).exclude(
        status__in=[Task.Status.DONE, Task.Status.CANCELLED]
    )
    if not open_tasks.exists():
        Package.objects.filter(pk=package_id, status__in=Package.PLANNED_STATUSES).update(
            status=Package.Status.DONE
        )


def release_successors(
    task: Task, *, at: dt.datetime, successor_workshops: Mapping[int, int]
) -> list[int]:
    """Tell the package (the homeowner), the office and each successor's workshop that a
    successor may start, once all its predecessors are done (after the waiting time)."""
    released = []
    for dep in TaskDependency.objects.filter(predecessor=task).select_related("successor"):
        successor = dep.successor
        waiting = TaskDependency.objects.filter(successor=successor).exclude(
            predecessor__status=Task.Status.DONE
        )
        if waiting.exclude(predecessor=task).exists():
            continue
        groups = [f"package.{task.package_id}", "office"]
        if successor.pk in successor_workshops:
            groups.append(f"workshop.{successor_workshops[successor.pk]}")
        emit(
            groups,
            "task.released",
            {
                "task": successor.pk,
                "name": successor.name_de,
                "after": task.pk,
                "not_before": (at + dt.timedelta(hours=dep.lag_hours)).isoformat(),
            },
        )
        released.append(successor.pk)
    return released


def check_finishable(task: Task) -> None:
    """Refuse to finish while a checklist point is open or its evidence is missing; the error
    names every missing piece (fields ``checklist``, ``photo``, ``signature``)."""
    ensure_checklists([task])
    errors: dict[str, list[str]] = {}
    signed = Signature.objects.filter(task=task).exists()
    photographed = set(
        Photo.objects.filter(task=task, checklist_item__isnull=False).values_list(
            "checklist_item_id", flat=True
        )
    )
    for item in ChecklistItem.objects.filter(task=task):
        if item.evidence == ChecklistItem.Evidence.PHOTO and item.pk not in photographed:
            errors.setdefault("photo", []).append(_("Photo missing: %s") % item.name)
        elif item.evidence == ChecklistItem.Evidence.SIGNATURE and not signed:
            errors.setdefault("signature", []).append(_("The customer has not signed yet."))
        elif item.done_at is None:
            errors.setdefault("checklist", []).append(_("Not ticked off: %s") % item.name)
    if errors:
        raise ValidationError(errors)


# --- checklist ------------------------------------------------------------------------------------


def tick(assignment: Assignment, *, user, item_id: int, done: bool, now=None) -> ChecklistItem:
    """Tick a checklist point off (or on again). Setting a state is idempotent by itself; a
    point that needs a photo or signature can only be ticked once that exists."""
    now = now or timezone.now()
    _check_access(user, assignment)
    with transaction.atomic():
        task = _locked_task(assignment)
        item = ChecklistItem.objects.filter(pk=item_id, task=task).first()
        if item is None:
            raise ValidationError({"item": _("No such checklist point on this task.")})
        if done and item.evidence == ChecklistItem.Evidence.PHOTO and not item.photos.exists():
            raise ValidationError({"photo": _("Take a photo of it first.")})
        signature_missing = not Signature.objects.filter(task=task).exists()
        if done and item.evidence == ChecklistItem.Evidence.SIGNATURE and signature_missing:
            raise ValidationError({"signature": _("The customer has not signed yet.")})
        if (item.done_at is not None) != done:
            item.done_at = now if done else None
            item.done_by = user if done else None
            item.save(update_fields=["done_at", "done_by"])
            emit(assignment.groups, "field.checklist", {"task": task.pk, "item": item.pk})
    return item


def _tick_evidence(task: Task, user, now, *, item: ChecklistItem | None = None, kind=None):
    items = ChecklistItem.objects.filter(task=task, done_at__isnull=True)
    items = items.filter(pk=item.pk) if item is not None else items.filter(evidence=kind)
    items.update(done_at=now, done_by=user)


# --- time and material ----------------------------------------------------------------------------


def record_time(
    assignment: Assignment,
    *,
    user,
    client_id: uuid.UUID,
    start: dt.datetime,
    end: dt.datetime | None = None,
    hours: Decimal | None = None,
    note: str = "",
    now=None,
) -> tuple[TimeEntry, bool]:
    """Record hours on the task for the user's own worker record (the assigned worker when an
    admin or the office records them). Returns ``(entry, replayed)``.

    With the worker's other entries (on any task) the hours come to at most 24 in each local
    calendar day they touch. Locks the task row, then the worker's row, so two phones booking
    for one worker take turns.

    A former worker's entry must start before the job was handed on from them. One that started
    before and ran on past it is taken as it is: the hand-over is clicked in the office, often
    before or after the worker actually left the site, and the hours they worked are theirs to be
    paid; cutting them silently would falsify the time sheet (the office can still correct it)."""
    now = now or timezone.now()
    own = _check_record_access(user, assignment)
    start, end, hours, until = _clean_time(start, end, hours, now)
    with transaction.atomic():
        _locked_task(assignment)
        existing = _replayed(TimeEntry, client_id, assignment)
        if existing is not None:
            return existing, True
        worker_id = _worker_for(user, assignment)
        # After the replay check: an entry stored before these rules still replays.
        if not own:
            _check_hours_before_hand_over(user, assignment, start)
        _check_hours_in_a_day(worker_id, start, until)
        entry = TimeEntry.objects.create(
            client_id=client_id,
            task_id=assignment.task_id,
            worker_id=worker_id,
            start=start,
            end=end,
            hours=hours,
            note=note.strip()[:300],
            created_by=user,
        )
        emit(assignment.groups, "field.time", {"task": assignment.task_id, "entry": entry.pk})
    return _stored(entry), False


def _clean_time(
    start: dt.datetime,
    end: dt.datetime | None,
    hours: Decimal | None,
    now: dt.datetime,
    *,
    stored: TimeEntry | None = None,
) -> tuple[dt.datetime, dt.datetime | None, Decimal, dt.datetime]:
    """``(start, end, hours, until)`` checked as for a new entry, naming the field. Correcting an
    older entry may keep its times: only a time that is changed must be recent."""

    def oldest(value, kept):
        return None if stored is not None and value == kept else OLDEST_REPLAY

    start = _moment(start, now, "start", oldest=oldest(start, stored and stored.start))
    if end is not None:
        end = _moment(end, now, "end", oldest=oldest(end, stored and stored.end))
        if end <= start:
            raise ValidationError({"end": _("The end must come after the start.")})
        hours = Decimal((end - start).total_seconds() / 3600).quantize(Decimal("0.01"))
    if hours is None:
        raise ValidationError({"end": _("Give the end or the hours.")})
    if not Decimal(0) < hours <= Decimal(24):
        raise ValidationError({"hours": _("Between a few minutes and 24 hours.")})
    until = end or start.astimezone(dt.UTC) + dt.timedelta(hours=float(hours))
    return start, end, hours, until


def _check_hours_before_hand_over(user, assignment: Assignment, start: dt.datetime) -> None:
    message = _(
        "The job was handed on at %(when)s: hours that start from then on are no longer "
        "booked on it."
    )
    _check_before_hand_over(user, assignment, start, "start", message)


def _midnight(day: dt.date) -> dt.datetime:
    """The local midnight that starts ``day``, in UTC (a difference of two local times would
    ignore a change of summer time)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time())).astimezone(dt.UTC)


def _check_hours_in_a_day(
    worker_id: int | None, start: dt.datetime, until: dt.datetime, *, besides: int | None = None
) -> None:
    """Refuse a span that gives the worker more than 24 hours in a local calendar day, counting
    the worker's entries on every task (a night shift counts on both of its days) but the entry
    ``besides`` (the one being corrected)."""
    if worker_id is None:
        return
    list(Worker.objects.select_for_update().filter(pk=worker_id).values_list("pk"))
    days = [timezone.localdate(start)]
    while _midnight(days[-1] + dt.timedelta(days=1)) < until:
        days.append(days[-1] + dt.timedelta(days=1))
    others = TimeEntry.objects.filter(
        worker_id=worker_id,
        start__gt=_midnight(days[0]) - HOURS_IN_A_DAY,  # an entry is at most 24 hours long
        start__lt=_midnight(days[-1] + dt.timedelta(days=1)),
    ).exclude(pk=besides)
    others = others.values_list("start", "end", "hours")
    spans = [(start, until)] + [(s, e or s + dt.timedelta(hours=float(h))) for s, e, h in others]
    spans = [(s.astimezone(dt.UTC), e.astimezone(dt.UTC)) for s, e in spans]
    for day in days:
        since, till = _midnight(day), _midnight(day + dt.timedelta(days=1))
        worked = sum(
            (max(min(e, till) - max(s, since), dt.timedelta()) for s, e in spans), dt.timedelta()
        )
        if worked > HOURS_IN_A_DAY:
            message = _("With the hours already recorded, more than 24 hours on %(day)s.")
            raise ValidationError(
                {"hours": message % {"day": date_format(day, "SHORT_DATE_FORMAT")}}
            )


def _decimal(value, name: str, places: int) -> Decimal:
    try:
        number = Decimal(str(value))
    except InvalidOperation as exc:
        raise ValidationError({name: _("Not a number.")}) from exc
    if not number.is_finite() or number != number.quantize(Decimal(1).scaleb(-places)):
        raise ValidationError({name: _("At most %d decimal places.") % places})
    return number


def record_material(
    assignment: Assignment,
    *,
    user,
    client_id: uuid.UUID,
    text: str,
    quantity,
    unit: str,
    unit_price,
    noted_at: dt.datetime | None = None,
    now=None,
) -> tuple[MaterialEntry, bool]:
    """Record material used (net unit price of the workshop). Returns ``(entry, replayed)``.

    ``unit`` is a code of the unit vocabulary or a common spelling of one ("Stk", "m2"); it is
    stored as the code. ``noted_at`` is when the phone noted it: a former worker's material
    must be noted before the job was handed on from them (without it, as from an app that did
    not send it yet, it is taken)."""
    now = now or timezone.now()
    own = _check_record_access(user, assignment)
    if noted_at is not None:
        # Only compared with the hand-over: a phone offline for weeks still sends it.
        noted_at = _moment(noted_at, now, "noted_at", oldest=None)
    quantity, unit_price = _clean_material(text, quantity, unit, unit_price)
    with transaction.atomic():
        _locked_task(assignment)
        existing = _replayed(MaterialEntry, client_id, assignment)
        if existing is not None:
            return existing, True
        # After the replay check: an entry stored before these limits, or before units were
        # codes, still replays.
        if not own:
            message = _(
                "The job was handed on at %(when)s: material noted from then on is no longer "
                "booked on it."
            )
            _check_before_hand_over(user, assignment, noted_at, "noted_at", message)
        code = _checked_unit(quantity, unit_price, unit)
        entry = MaterialEntry.objects.create(
            client_id=client_id,
            task_id=assignment.task_id,
            text=text.strip()[:200],
            quantity=quantity,
            unit=code,
            unit_price=unit_price,
            noted_at=noted_at,
            created_by=user,
        )
        emit(assignment.groups, "field.material", {"task": assignment.task_id, "entry": entry.pk})
    return _stored(entry), False


def _clean_material(text: str, quantity, unit: str, unit_price) -> tuple[Decimal, Decimal]:
    """``(quantity, unit_price)`` as decimals; text and unit present, naming the field."""
    errors = {}
    if not text.strip():
        errors["text"] = _("What was used?")
    if not unit.strip():
        errors["unit"] = _("Give a unit (Stk, m, kg, …).")
    if errors:
        raise ValidationError(errors)
    quantity = _decimal(quantity, "quantity", 2)
    unit_price = _decimal(unit_price, "unit_price", 2)
    if quantity <= 0:
        raise ValidationError({"quantity": _("The quantity must be positive.")})
    if unit_price < 0:
        raise ValidationError({"unit_price": _("The price must not be negative.")})
    return quantity, unit_price


def _check_material_limits(quantity: Decimal, unit_price: Decimal) -> None:
    """Refuse a quantity or unit price no single entry on a site reaches (naming each field)."""
    errors = {}
    if quantity > MATERIAL_MAX_QUANTITY:
        errors["quantity"] = _("At most %(max)s in one entry.") % {
            "max": number_format(MATERIAL_MAX_QUANTITY, force_grouping=True)
        }
    if unit_price > MATERIAL_MAX_UNIT_PRICE:
        errors["unit_price"] = _("At most %(max)s € a unit.") % {
            "max": number_format(MATERIAL_MAX_UNIT_PRICE, force_grouping=True)
        }
    if errors:
        raise ValidationError(errors)


def _checked_unit(quantity: Decimal, unit_price: Decimal, unit: str) -> str:
    """The limits kept and the unit's code (both checked where an entry is written, after a
    replay is answered: an entry stored before them still replays)."""
    _check_material_limits(quantity, unit_price)
    code = parse_unit(unit)
    if not code:
        raise ValidationError({"unit": unknown_unit(unit)})
    return code


# --- corrections to hours and material ------------------------------------------------------------


class NotYourEntry(Exception):
    """The user sees the job but did not record this entry and does not run the workshop:
    HTTP 403."""


def _entries_of_user(user, assignment: Assignment, entries) -> set[int]:
    """The ids among ``entries`` the user may change: who recorded an entry (for hours also the
    worker they are booked on), an admin of the appointment's workshop, or the office. A
    colleague on the same job is not: these are the recorder's own hours and purchases."""
    if is_office(user) or assignment.workshop_id in administered_workshop_ids(user):
        return {e.pk for e in entries}
    own = set(Worker.objects.filter(user=user).values_list("pk", flat=True))
    return {
        e.pk
        for e in entries
        if (e.created_by_id is not None and e.created_by_id == user.pk)
        or getattr(e, "worker_id", None) in own
    }


def may_change_entry(user, assignment: Assignment, entry) -> bool:
    return entry.pk in _entries_of_user(user, assignment, [entry])


def changeable_entries(user, assignment: Assignment, task: Task, entries) -> set[int]:
    """The ids among ``entries`` (of ``task``) that the user may correct or delete now, for the
    app to offer it only there: none once the task is settled."""
    return set() if is_settled(task) else _entries_of_user(user, assignment, entries)


def is_settled(task: Task) -> bool:
    # Frozen once the task is done (or cancelled): the worker has handed the work over with the
    # checklist complete and the customer's signature, and from then on the office may invoice
    # the package (an invoice for a package needs every task done). What the customer signed
    # for and an invoice may state is not changed from a phone afterwards; the office corrects
    # it in the administration if need be.
    if task.status in {Task.Status.DONE, Task.Status.CANCELLED}:
        return True
    return Package.objects.filter(
        pk=task.package_id, status__in=[Package.Status.DONE, Package.Status.CANCELLED]
    ).exists()


def _check_not_settled(task: Task) -> None:
    if is_settled(task):
        raise Conflict(
            _(
                "The task is finished: its hours and material are settled and can no longer be "
                "changed here. The office corrects them if need be."
            )
        )


def _entry_to_change(model, assignment: Assignment, user, entry_id: int):
    """The task's entry, locked, once the user may change it and the task is still open (after
    the task row's lock, so a finish racing the change waits for it or refuses it)."""
    task = _locked_task(assignment)
    entry = (
        model.objects.select_for_update().filter(pk=entry_id, task_id=assignment.task_id).first()
    )
    if entry is None:
        raise Task.DoesNotExist
    if not may_change_entry(user, assignment, entry):
        raise NotYourEntry(
            _("Only who recorded it, the workshop's management or the office may change it.")
        )
    _check_not_settled(task)
    return entry


def update_time(
    assignment: Assignment,
    *,
    user,
    entry_id: int,
    start: dt.datetime,
    end: dt.datetime | None = None,
    hours: Decimal | None = None,
    note: str = "",
    now=None,
) -> TimeEntry:
    """Correct an hours entry of the task: checked like a new one (same fields named), the
    entry's own old hours left out of the 24 hours a day. Setting the same values again changes
    nothing more, so the request may be repeated. Locks the task row, the entry and the worker's
    row. ``NotYourEntry`` (403) for a colleague's entry; ``Conflict`` (409) once the task is
    finished."""
    now = now or timezone.now()
    own = _check_record_access(user, assignment)
    with transaction.atomic():
        entry = _entry_to_change(TimeEntry, assignment, user, entry_id)
        start, end, hours, until = _clean_time(start, end, hours, now, stored=entry)
        if not own:
            _check_hours_before_hand_over(user, assignment, start)
        _check_hours_in_a_day(entry.worker_id, start, until, besides=entry.pk)
        entry.start, entry.end, entry.hours, entry.note = start, end, hours, note.strip()[:300]
        entry.save(update_fields=["start", "end", "hours", "note"])
        emit(
            assignment.groups, "field.time_changed", {"task": assignment.task_id, "entry": entry.pk}
        )
    logger.info("time entry %s on task %s changed by user %s", entry.pk, entry.task_id, user.pk)
    return _stored(entry)


def update_material(
    assignment: Assignment, *, user, entry_id: int, text: str, quantity, unit: str, unit_price
) -> MaterialEntry:
    """Correct a material entry of the task, checked like a new one (same fields named; when it
    was noted stays). Idempotent like :func:`update_time`; same locks but the worker's, same
    refusals."""
    _check_record_access(user, assignment)
    with transaction.atomic():
        entry = _entry_to_change(MaterialEntry, assignment, user, entry_id)
        quantity, unit_price = _clean_material(text, quantity, unit, unit_price)
        code = _checked_unit(quantity, unit_price, unit)
        entry.text, entry.quantity = text.strip()[:200], quantity
        entry.unit, entry.unit_price = code, unit_price
        entry.save(update_fields=["text", "quantity", "unit", "unit_price"])
        emit(
            assignment.groups,
            "field.material_changed",
            {"task": assignment.task_id, "entry": entry.pk},
        )
    logger.info("material %s on task %s changed by user %s", entry.pk, entry.task_id, user.pk)
    return _stored(entry)


def delete_time(assignment: Assignment, *, user, entry_id: int) -> None:
    """Delete an hours entry of the task (same rights, locks and refusals as
    :func:`update_time`). A second delete finds nothing: 404."""
    _delete_entry(TimeEntry, "field.time_deleted", assignment, user, entry_id)


def delete_material(assignment: Assignment, *, user, entry_id: int) -> None:
    """Delete a material entry of the task (as :func:`delete_time`)."""
    _delete_entry(MaterialEntry, "field.material_deleted", assignment, user, entry_id)


def _delete_entry(model, event: str, assignment: Assignment, user, entry_id: int) -> None:
    _check_record_access(user, assignment)
    with transaction.atomic():
        entry = _entry_to_change(model, assignment, user, entry_id)
        entry.delete()
        emit(assignment.groups, event, {"task": assignment.task_id, "entry": entry_id})
    logger.info(
        "%s %s on task %s deleted by user %s",
        model._meta.model_name,
        entry_id,
        assignment.task_id,
        user.pk,
    )


# --- photos and signature -------------------------------------------------------------------------


def _open_image(data: bytes, formats: set[str], field: str) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data))
        if image.format not in formats:
            raise UploadRejected(
                _("Only %(formats)s images are accepted.")
                % {"formats": ", ".join(sorted(formats))},
                field,
            )
        if image.width * image.height > PHOTO_MAX_PIXELS:
            raise UploadTooLarge(_("The image has too many pixels."), field)
        image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise UploadRejected(_("This is not an image we can read."), field) from exc
    return image


def too_large_message() -> str:
    return _("The photo is larger than %d MB.") % (PHOTO_MAX_BYTES // (1024 * 1024))


def clean_photo(data: bytes) -> tuple[bytes, tuple[int, int]]:
    """The photo turned upright, at most 1600 px, re-encoded as JPEG without any metadata:
    Pillow writes only the pixels, so EXIF (GPS position, device, owner) is gone."""
    image = ImageOps.exif_transpose(_open_image(data, PHOTO_FORMATS, "file"))
    if image.mode in ("RGBA", "LA", "P"):
        image = image.convert("RGBA")
        flat = Image.new("RGB", image.size, "white")
        flat.paste(image, mask=image.getchannel("A"))
        image = flat
    elif image.mode != "RGB":
        image = image.convert("RGB")
    image.thumbnail((PHOTO_MAX_EDGE, PHOTO_MAX_EDGE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, optimize=True, progressive=True)
    return out.getvalue(), image.size


def add_photo(
    assignment: Assignment,
    *,
    user,
    client_id: uuid.UUID,
    data: bytes,
    caption: str = "",
    checklist_item_id: int | None = None,
    taken_at: dt.datetime | None = None,
    now=None,
) -> tuple[Photo, bool]:
    """Store a photo of the task (optionally as the evidence for a checklist point, which it
    then ticks off). The image is cleaned before the transaction starts: it takes a while and
    needs no lock. Raises ``UploadTooLarge`` (413) or ``UploadRejected`` (415).

    A former worker's photo must be taken before the job was handed on from them (one that does
    not say when, as from an app that did not send it yet, is taken)."""
    now = now or timezone.now()
    own = _check_record_access(user, assignment)
    if not own:
        checklist_item_id = None  # the checklist is the colleague's now: a photo, no tick
    if taken_at is not None:
        # Only compared with the hand-over: a photo from the phone's gallery may be older.
        taken_at = _moment(taken_at, now, "taken_at", oldest=None)
    existing = _replayed(Photo, client_id, assignment)
    if existing is not None:
        return existing, True
    if not own:
        message = _(
            "The job was handed on at %(when)s: photos taken from then on are no longer stored "
            "with it."
        )
        _check_before_hand_over(user, assignment, taken_at, "taken_at", message)
    if len(data) > PHOTO_MAX_BYTES:
        raise UploadTooLarge(too_large_message())
    cleaned, (width, height) = clean_photo(data)
    with transaction.atomic():
        task = _locked_task(assignment)
        existing = _replayed(Photo, client_id, assignment)
        if existing is not None:
            return existing, True
        item = None
        if checklist_item_id is not None:
            item = ChecklistItem.objects.filter(pk=checklist_item_id, task=task).first()
            if item is None:
                raise ValidationError({"item": _("No such checklist point on this task.")})
        photo = Photo(
            client_id=client_id,
            task=task,
            checklist_item=item,
            caption=caption.strip()[:200],
            width=width,
            height=height,
            size=len(cleaned),
            taken_at=taken_at,
            created_by=user,
        )
        photo.image.save(f"{client_id}.jpg", ContentFile(cleaned), save=False)
        photo.save()
        if item is not None:
            _tick_evidence(task, user, now, item=item)
        emit(assignment.groups, "field.photo", {"task": task.pk, "photo": photo.pk})
    return photo, False


def clean_signature(data: bytes) -> bytes:
    """The drawn signature re-encoded as PNG; an empty canvas is refused."""
    if len(data) > SIGNATURE_MAX_BYTES:
        raise UploadTooLarge(_("The signature image is too large."), "image")
    image = _open_image(data, {"PNG"}, "image")
    if image.width > 3000 or image.height > 3000:
        raise UploadTooLarge(_("The signature image is too large."), "image")
    image = image.convert("RGBA")
    ink = ImageOps.invert(
        Image.alpha_composite(Image.new("RGBA", image.size, "white"), image).convert("L")
    )
    if ink.getbbox() is None:
        raise ValidationError({"image": _("The signature is empty.")})
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def sign(
    assignment: Assignment,
    *,
    user,
    client_id: uuid.UUID,
    signer_name: str,
    data: bytes,
    signed_at: dt.datetime | None = None,
    now=None,
) -> tuple[Signature, bool]:
    """Store the customer's signature for this task and tick the sign-off point. One signature
    per task: another one (a different client id) is a ``Conflict``."""
    now = now or timezone.now()
    _check_access(user, assignment)
    if not signer_name.strip():
        raise ValidationError({"signer_name": _("Who signs? Enter the name.")})
    signed_at = _moment(signed_at, now, "signed_at")
    existing = _replayed(Signature, client_id, assignment)
    if existing is not None:
        return existing, True
    cleaned = clean_signature(data)
    with transaction.atomic():
        task = _locked_task(assignment)
        existing = _replayed(Signature, client_id, assignment)
        if existing is not None:
            return existing, True
        if Signature.objects.filter(task=task).exists():
            raise Conflict(_("The customer has already signed for this task."))
        signature = Signature(
            client_id=client_id,
            task=task,
            signer_name=signer_name.strip()[:150],
            signed_at=signed_at,
            created_by=user,
        )
        signature.image.save(f"{client_id}.png", ContentFile(cleaned), save=False)
        signature.save()
        _tick_evidence(task, user, now, kind=ChecklistItem.Evidence.SIGNATURE)
        emit(assignment.groups, "field.signature", {"task": task.pk, "signature": signature.pk})
    return _stored(signature), False


def worked_hours(task_id: int, now: dt.datetime | None = None) -> Decimal:
    """Hours on site from the work log (on site until paused or done; still running: until
    now). A guide for the time sheet, not the time sheet."""
    now = now or timezone.now()
    total = dt.timedelta()
    since = None
    for status, at in WorkLog.objects.filter(task_id=task_id).values_list("status", "at"):
        if since is not None:
            total += at - since
            since = None
        if status == WorkLog.Status.ON_SITE:
            since = at
    if since is not None:
        total += now - since
    return Decimal(total.total_seconds() / 3600).quantize(Decimal("0.01"))
