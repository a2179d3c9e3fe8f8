"""API v1 for tradespeople on site (the ``/monteur/`` app): agenda, status, time, material,
photos, signature and checklist. Every write is idempotent by the ``client_id`` the phone made
up: a replay answers like the original (with the header ``Idempotent-Replayed: true``) and
stores nothing twice.

Who sees an appointment: its assigned worker, an admin of its workshop, the office. Anyone else
gets 404, as if it did not exist.
"""

import base64
import binascii
import datetime as dt
import uuid
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Prefetch, Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile

from jobs import fieldwork
from jobs.models import (
    ChecklistItem,
    MaterialEntry,
    Photo,
    Signature,
    Task,
    TaskDependency,
    TimeEntry,
    WorkLog,
)
from scheduling import dispatch
from scheduling.models import Appointment, Handover
from trades.schemas import ErrorOut
from trades.selectors import administered_workshop_ids, is_office
from zunft.core.auth import required_auth
from zunft.core.types import IsoDate
from zunft.core.units import unit_label

router = Router(tags=["field"], auth=required_auth)
#: Where zunft/api.py mounts this router (the app's JavaScript and service worker use it).
FIELD_API_PREFIX = "/api/v1/field/"
TZ = ZoneInfo(settings.TIME_ZONE)


# --- schemas --------------------------------------------------------------------------------------


class ChecklistItemOut(Schema):
    id: int
    code: str
    name: str
    evidence: str
    done: bool


class AddressOut(Schema):
    street: str
    postal_code: str
    city: str
    access_notes: str
    lat: float
    lon: float
    navigation: str = Field(..., description="OpenStreetMap directions to the site")
    geo: str = Field(..., description="geo: URI for the phone's navigation app")


class CustomerOut(Schema):
    name: str
    phone: str
    email: str


class DayOut(Schema):
    date: dt.date
    time_from: str
    time_to: str


class SupplementNoteOut(Schema):
    number: int
    reason: str


class CardOut(Schema):
    appointment: int
    date: dt.date
    time_from: str
    time_to: str
    days: list[DayOut] = Field(..., description="every working day of the appointment")
    status: str
    start: dt.datetime
    end: dt.datetime
    task: int
    task_name: str
    trade: str
    task_status: str
    field_status: str
    hours: Decimal
    crew_size: int
    waiting_for: list[str] = Field(..., description="predecessors not done yet")
    package: int
    package_title: str
    worker: str | None
    worker_id: int | None
    workshop: str
    workshop_id: int
    address: AddressOut
    customer: CustomerOut
    checklist: list[ChecklistItemOut]
    supplement: SupplementNoteOut | None = Field(
        None, description="the supplement the customer ordered this work by (no prices)"
    )


class AgendaOut(Schema):
    start: dt.date
    days: int
    generated_at: dt.datetime
    items: list[CardOut]
    next_date: dt.date | None = Field(
        None, description="the first day after this window with an appointment (to page to)"
    )


class LogOut(Schema):
    id: int
    client_id: uuid.UUID
    status: str
    at: dt.datetime
    overran: bool


class TimeOut(Schema):
    id: int
    client_id: uuid.UUID
    start: dt.datetime
    end: dt.datetime | None
    hours: Decimal
    note: str


class MaterialOut(Schema):
    id: int
    client_id: uuid.UUID
    text: str
    quantity: Decimal
    unit: str = Field(..., description="UN/ECE Recommendation 20/21 code, e.g. H87, MTR, XPK")
    unit_label: str = Field(..., description="the unit as the reader's language writes it")
    unit_price: Decimal
    noted_at: dt.datetime | None

    @staticmethod
    def resolve_unit_label(entry) -> str:
        return unit_label(entry.unit)


class PhotoOut(Schema):
    id: int
    client_id: uuid.UUID
    url: str
    caption: str
    checklist_item: int | None = Field(None, alias="checklist_item_id")
    width: int
    height: int
    taken_at: dt.datetime | None


class SignatureOut(Schema):
    id: int
    client_id: uuid.UUID
    url: str
    signer_name: str
    signed_at: dt.datetime


class TimeRowOut(TimeOut):
    changeable: bool = Field(..., description="the reader may correct or delete it now")


class MaterialRowOut(MaterialOut):
    changeable: bool = Field(..., description="the reader may correct or delete it now")


class DetailOut(CardOut):
    log: list[LogOut]
    time_entries: list[TimeRowOut]
    materials: list[MaterialRowOut]
    photos: list[PhotoOut]
    signature: SignatureOut | None
    worked_hours: Decimal
    successors: list[str]


class CandidateOut(Schema):
    id: int
    name: str
    has_login: bool = Field(..., description="sees the job in the field app")
    current: bool
    free: bool
    reason: str = Field(..., description="why they cannot take it; empty when free")


class WorkerIn(Schema):
    worker: int


class StatusIn(Schema):
    client_id: uuid.UUID
    action: str = Field(..., pattern="^(travel|arrive|pause|resume|finish)$")
    at: dt.datetime | None = Field(None, description="when it happened on the phone")


class TickIn(Schema):
    done: bool


class TimeIn(Schema):
    client_id: uuid.UUID
    start: dt.datetime
    end: dt.datetime | None = None
    hours: Decimal | None = Field(None, max_digits=5, decimal_places=2)
    note: str = Field("", max_length=300)


class MaterialIn(Schema):
    client_id: uuid.UUID
    text: str = Field(..., max_length=200)
    quantity: Decimal = Field(..., max_digits=10, decimal_places=2)
    unit: str = Field(..., max_length=20, description="a unit code (H87) or spelling (Stk, m2)")
    unit_price: Decimal = Field(..., max_digits=12, decimal_places=2)
    noted_at: dt.datetime | None = Field(
        None, description="when it was noted on the phone (an offline phone sends it later)"
    )


class TimeChangeIn(Schema):
    start: dt.datetime
    end: dt.datetime | None = None
    hours: Decimal | None = Field(None, max_digits=5, decimal_places=2)
    note: str = Field("", max_length=300)


class MaterialChangeIn(Schema):
    text: str = Field(..., max_length=200)
    quantity: Decimal = Field(..., max_digits=10, decimal_places=2)
    unit: str = Field(..., max_length=20, description="a unit code (H87) or spelling (Stk, m2)")
    unit_price: Decimal = Field(..., max_digits=12, decimal_places=2)


class PhotoForm(Schema):
    client_id: uuid.UUID
    caption: str = Field("", max_length=200)
    checklist_item: int | None = None
    taken_at: dt.datetime | None = Field(None, description="when the photo was taken")


class SignatureIn(Schema):
    client_id: uuid.UUID
    signer_name: str = Field(..., max_length=150)
    image: str = Field(..., max_length=800_000, description="data:image/png;base64,…")
    signed_at: dt.datetime | None = None


WRITE_ERRORS = {404: ErrorOut, 409: ErrorOut, 422: dict}
CHANGE_ERRORS = {403: ErrorOut, **WRITE_ERRORS}
UPLOAD_ERRORS = {**WRITE_ERRORS, 413: ErrorOut, 415: ErrorOut}


# --- reading ----------------------------------------------------------------------------------


def visible_appointments(user):
    """Live appointments the user works on: their own as a worker, all of the workshops they
    run, everything for the office."""
    qs = Appointment.objects.exclude(status=Appointment.Status.CANCELLED)
    if is_office(user):
        return qs
    return qs.filter(Q(worker__user=user) | Q(workshop_id__in=administered_workshop_ids(user)))


def _with_details(qs):
    return qs.select_related(
        "workshop",
        "worker",
        "task__trade",
        "task__package__site",
        "task__package__customer",
        "task__package__template",
        "task__supplement_task__supplement",
    ).prefetch_related(Prefetch("task__checklist", queryset=ChecklistItem.objects.all()))


def _get(request, appointment_id: int) -> Appointment:
    return get_object_or_404(_with_details(visible_appointments(request.user)), pk=appointment_id)


def _handed_on(request, appointment_id: int) -> Appointment | None:
    """The appointment, when the job went from the user to a colleague and the user is still
    on the workshop's team (their phone may still send what they did there)."""
    a = (
        _with_details(Appointment.objects.exclude(status=Appointment.Status.CANCELLED))
        .filter(pk=appointment_id)
        .first()
    )
    return a if a is not None and fieldwork.handed_on_from(request.user, assignment_of(a)) else None


def _get_to_record(request, appointment_id: int) -> Appointment:
    """For hours, material and photos: also a job handed on, to one who worked on it."""
    try:
        return _get(request, appointment_id)
    except Http404:
        if (a := _handed_on(request, appointment_id)) is None:
            raise
        return a


def _get_to_act(request, appointment_id: int) -> Appointment:
    """For the status, the checklist and the signature: a job handed on answers 409 and says
    to whom, where its former worker would otherwise read that it does not exist."""
    try:
        return _get(request, appointment_id)
    except Http404:
        if (a := _handed_on(request, appointment_id)) is None:
            raise
        if a.worker is None:
            raise HttpError(
                409, _("This job is no longer yours: the workshop's management plans it anew.")
            ) from None
        raise HttpError(
            409,
            _(
                "This job has been handed to %(name)s: status, checklist and signature are "
                "theirs now."
            )
            % {"name": str(a.worker)},
        ) from None


def assignment_of(appointment: Appointment, *, with_successors: bool = False):
    successors = {}
    if with_successors:
        ids = TaskDependency.objects.filter(predecessor_id=appointment.task_id).values(
            "successor_id"
        )
        successors = dict(
            Appointment.objects.filter(task_id__in=ids)
            .exclude(status=Appointment.Status.CANCELLED)
            .values_list("task_id", "workshop_id")
        )
    return fieldwork.Assignment(
        task_id=appointment.task_id,
        package_id=appointment.task.package_id,
        workshop_id=appointment.workshop_id,
        worker_id=appointment.worker_id,
        planned_end=appointment.end,
        accepted=appointment.status == Appointment.Status.ACCEPTED,
        successor_workshops=successors,
        # The latest hand-over of each former worker (ordered by moment, the last one wins).
        handed_on=dict(
            Handover.objects.filter(appointment_id=appointment.pk)
            .order_by("at", "id")
            .values_list("worker_id", "at")
        ),
    )


def _day(day: dt.date, start_hour: float, hours: float) -> dict:
    begin = dt.datetime.combine(day, dt.time()) + dt.timedelta(hours=start_hour)
    finish = begin + dt.timedelta(hours=hours)
    return {"date": day, "time_from": f"{begin:%H:%M}", "time_to": f"{finish:%H:%M}"}


def _card(
    a: Appointment, day: dt.date, start_hour: float, hours: float, status: str, waiting: list
) -> dict:
    task, package = a.task, a.task.package
    site, customer = package.site, package.customer
    lat, lon = site.location.y, site.location.x
    ordered_by = getattr(task, "supplement_task", None)
    return {
        "appointment": a.pk,
        # Extra work the customer agreed to: the worker knows it is ordered (the reason, no
        # prices).
        "supplement": {
            "number": ordered_by.supplement.number,
            "reason": ordered_by.supplement.reason,
        }
        if ordered_by is not None
        else None,
        **_day(day, start_hour, hours),
        # A job running over several days shows on each of them; the task page lists them all.
        "days": [_day(*segment) for segment in _days(a)],
        "status": a.status,
        "start": a.start,
        "end": a.end,
        "task": task.pk,
        "task_name": task.name,
        "trade": task.trade.name,
        "task_status": task.status,
        "field_status": status,
        "hours": task.duration_hours,
        "crew_size": task.crew_size,
        "waiting_for": waiting,
        "package": package.pk,
        "package_title": package.name,
        "worker": str(a.worker) if a.worker else None,
        "worker_id": a.worker_id,
        "workshop": a.workshop.name,
        "workshop_id": a.workshop_id,
        "address": {
            "street": site.street,
            "postal_code": site.postal_code,
            "city": site.city,
            "access_notes": site.access_notes,
            "lat": round(lat, 6),
            "lon": round(lon, 6),
            "navigation": f"https://www.openstreetmap.org/directions?to={lat:.6f}%2C{lon:.6f}",
            "geo": f"geo:{lat:.6f},{lon:.6f}",
        },
        "customer": {
            "name": customer.display_name,
            "phone": customer.phone,
            "email": customer.email,
        },
        "checklist": [
            {
                "id": item.pk,
                "code": item.code,
                "name": item.name,
                "evidence": item.evidence,
                "done": item.done_at is not None,
            }
            for item in a.task.checklist.all()
        ],
    }


def _days(a: Appointment) -> list[tuple[dt.date, float, float]]:
    if a.segments:
        return [
            (dt.date.fromisoformat(s["date"]), float(s["start_hour"]), float(s["hours"]))
            for s in a.segments
        ]
    start = timezone.localtime(a.start, TZ)
    hours = (a.end - a.start).total_seconds() / 3600
    return [(start.date(), start.hour + start.minute / 60, hours)]


def _waiting(task_ids) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    deps = (
        TaskDependency.objects.filter(successor_id__in=task_ids)
        .exclude(predecessor__status__in=[Task.Status.DONE, Task.Status.CANCELLED])
        .select_related("predecessor")
    )
    for dep in deps:
        out.setdefault(dep.successor_id, []).append(dep.predecessor.name)
    return out


def _statuses(task_ids) -> dict[int, str]:
    latest = {}
    for task_id, status in (
        WorkLog.objects.filter(task_id__in=task_ids)
        .order_by("at", "id")
        .values_list("task_id", "status")
    ):
        latest[task_id] = status
    return latest


@router.get("/agenda", response={200: AgendaOut, 422: dict})
def agenda(request, start: IsoDate | None = None, days: int = Query(7, ge=1, le=31)):
    """The working days from ``start`` (today) on: one card per appointment and day, with the
    address, navigation links, the customer's contact and the task's checklist; ``next_date``
    says where the next appointment after the window is (page on with ``start``)."""
    start = start or timezone.localdate()
    until = start + dt.timedelta(days=days)
    window_start = dt.datetime.combine(start, dt.time(), TZ) - dt.timedelta(days=1)
    window_end = dt.datetime.combine(until, dt.time(), TZ) + dt.timedelta(days=1)
    appointments = list(
        _with_details(
            visible_appointments(request.user).filter(start__lt=window_end, end__gt=window_start)
        ).order_by("start", "id")
    )
    missing = [a.task for a in appointments if not a.task.checklist.all()]
    if missing:
        fieldwork.ensure_checklists(missing)
        appointments = list(
            _with_details(Appointment.objects.filter(pk__in=[a.pk for a in appointments]))
        )
    task_ids = [a.task_id for a in appointments]
    statuses, waiting = _statuses(task_ids), _waiting(task_ids)
    items = [
        _card(a, day, start_hour, hours, statuses.get(a.task_id, ""), waiting.get(a.task_id, []))
        for a in appointments
        for day, start_hour, hours in _days(a)
        if start <= day < until
    ]
    items.sort(key=lambda c: (c["date"], c["time_from"], c["appointment"]))
    return {
        "start": start,
        "days": days,
        "generated_at": timezone.now(),
        "items": items,
        "next_date": _next_date(request.user, until),
    }


def _next_date(user, until: dt.date) -> dt.date | None:
    """The first day from ``until`` on with an appointment still to be worked on, so that the
    app can point to work beyond the window (an offer accepted for next month) instead of
    showing nothing. A job finished early (the customer called the worker in before its day)
    is no work ahead."""
    later = (
        visible_appointments(user)
        .filter(end__gt=dt.datetime.combine(until, dt.time(), TZ))
        .exclude(task__status__in=[Task.Status.DONE, Task.Status.CANCELLED])
        .order_by("start", "id")
        .values_list("start", flat=True)
        .first()
    )
    return max(timezone.localtime(later, TZ).date(), until) if later else None


def _photo_out(photo: Photo) -> dict:
    return {
        "id": photo.pk,
        "client_id": photo.client_id,
        "url": f"{FIELD_API_PREFIX}photos/{photo.pk}",
        "caption": photo.caption,
        "checklist_item_id": photo.checklist_item_id,
        "width": photo.width,
        "height": photo.height,
        "taken_at": photo.taken_at,
    }


def _signature_out(signature: Signature) -> dict:
    return {
        "id": signature.pk,
        "client_id": signature.client_id,
        "url": f"{FIELD_API_PREFIX}signatures/{signature.pk}",
        "signer_name": signature.signer_name,
        "signed_at": signature.signed_at,
    }


def detail(appointment: Appointment, user) -> dict:
    fieldwork.ensure_checklists([appointment.task])
    appointment = _with_details(Appointment.objects.filter(pk=appointment.pk)).get()
    task = appointment.task
    statuses = _statuses([task.pk])
    day, start_hour, hours = _days(appointment)[0]
    card = _card(
        appointment,
        day,
        start_hour,
        hours,
        statuses.get(task.pk, ""),
        _waiting([task.pk]).get(task.pk, []),
    )
    signature = Signature.objects.filter(task=task).first()
    successors = Task.objects.filter(
        pk__in=TaskDependency.objects.filter(predecessor=task).values("successor_id")
    )
    time_entries = list(TimeEntry.objects.filter(task=task))
    materials = list(MaterialEntry.objects.filter(task=task))
    assignment = assignment_of(appointment)
    for entries in (time_entries, materials):
        changeable = fieldwork.changeable_entries(user, assignment, task, entries)
        for entry in entries:
            entry.changeable = entry.pk in changeable
    return {
        **card,
        "log": list(WorkLog.objects.filter(task=task)),
        "time_entries": time_entries,
        "materials": materials,
        "photos": [_photo_out(p) for p in Photo.objects.filter(task=task)],
        "signature": _signature_out(signature) if signature else None,
        "worked_hours": fieldwork.worked_hours(task.pk),
        "successors": [s.name for s in successors],
    }


@router.get("/appointments/{appointment_id}", response={200: DetailOut, 404: ErrorOut})
def get_appointment(request, appointment_id: int):
    """Everything about one appointment: the card plus log, hours, material, photos, signature."""
    return detail(_get(request, appointment_id), request.user)


def _managed(request, appointment_id: int) -> Appointment:
    a = _get(request, appointment_id)
    if not dispatch.may_staff(request.user, a):
        raise HttpError(403, _("Only the workshop's management chooses the worker."))
    return a


@router.get("/unstaffed", response={200: list[CardOut], 403: ErrorOut})
def unstaffed(request):
    """For the workshop's management: accepted appointments still ahead without a worker (theirs
    fell ill and no colleague was free), soonest first, at most 100."""
    workshops = administered_workshop_ids(request.user)
    if not workshops and not is_office(request.user):
        raise HttpError(403, _("Only the workshop's management chooses the worker."))
    qs = Appointment.objects.filter(
        status=Appointment.Status.ACCEPTED, worker__isnull=True, end__gte=timezone.now()
    ).exclude(task__status__in=[Task.Status.DONE, Task.Status.CANCELLED])
    if not is_office(request.user):
        qs = qs.filter(workshop_id__in=workshops)
    rows = list(_with_details(qs).order_by("start", "pk")[:100])
    task_ids = [a.task_id for a in rows]
    statuses, waiting = _statuses(task_ids), _waiting(task_ids)
    return [
        _card(a, *_days(a)[0], statuses.get(a.task_id, ""), waiting.get(a.task_id, []))
        for a in rows
    ]


@router.get(
    "/appointments/{appointment_id}/candidates",
    response={200: list[CandidateOut], 403: ErrorOut, 404: ErrorOut},
)
def candidates(request, appointment_id: int):
    """For the workshop's management: its workers with the trade, who of them is free on the
    appointment's days and why the others are not (away, on another job, no certification)."""
    a = _managed(request, appointment_id)
    return [
        {
            "id": c.worker.pk,
            "name": str(c.worker),
            "has_login": c.worker.user_id is not None,
            "current": c.worker.pk == a.worker_id,
            "free": not c.reason,
            "reason": c.reason,
        }
        for c in dispatch.staffing(a)
    ]


@router.post(
    "/appointments/{appointment_id}/worker",
    response={200: DetailOut, 403: ErrorOut, **WRITE_ERRORS},
)
def assign_worker(request, appointment_id: int, payload: WorkerIn):
    """The workshop's management gives the appointment to one of its free workers (after an
    illness, or to swap). 422 names why that worker cannot take it."""
    a = _managed(request, appointment_id)
    try:
        assigned = dispatch.assign_worker(a.pk, user=request.user, worker_id=payload.worker)
    except Appointment.DoesNotExist as exc:  # cancelled meanwhile by a re-plan
        raise Http404 from exc
    return detail(assigned, request.user)


# --- writing ----------------------------------------------------------------------------------


def _answer(response: HttpResponse, code: int, body, replayed: bool):
    # Same id, same answer; the header tells a curious client that it was a replay.
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return Status(code, body)


def _call(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except Task.DoesNotExist as exc:
        raise Http404 from exc
    except fieldwork.UploadRejected as exc:
        raise HttpError(exc.status, f"{exc.field}: {exc}") from exc
    except fieldwork.NotYourEntry as exc:
        raise HttpError(403, str(exc)) from exc


@router.post("/appointments/{appointment_id}/status", response={200: LogOut, **WRITE_ERRORS})
def change_status(request, appointment_id: int, payload: StatusIn, response: HttpResponse):
    """On the way, arrived, pause, resume, finish. Finishing needs the checklist complete (422
    names what is missing) and releases the successors."""
    a = _get_to_act(request, appointment_id)
    log, replayed = _call(
        fieldwork.change_status,
        assignment_of(a, with_successors=payload.action == "finish"),
        user=request.user,
        action=payload.action,
        client_id=payload.client_id,
        at=payload.at,
    )
    return _answer(response, 200, log, replayed)


@router.post(
    "/appointments/{appointment_id}/checklist/{item_id}",
    response={200: ChecklistItemOut, **WRITE_ERRORS},
)
def tick(request, appointment_id: int, item_id: int, payload: TickIn):
    """Tick a checklist point off or on (setting a state is idempotent by itself)."""
    a = _get_to_act(request, appointment_id)
    item = _call(
        fieldwork.tick, assignment_of(a), user=request.user, item_id=item_id, done=payload.done
    )
    return {
        "id": item.pk,
        "code": item.code,
        "name": item.name,
        "evidence": item.evidence,
        "done": item.done_at is not None,
    }


@router.post("/appointments/{appointment_id}/time", response={201: TimeOut, **WRITE_ERRORS})
def record_time(request, appointment_id: int, payload: TimeIn, response: HttpResponse):
    """Hours worked: from–to, or from and a number of hours. After the job went to a colleague,
    its former worker's hours must start before the hand-over (422 on ``start``)."""
    a = _get_to_record(request, appointment_id)
    entry, replayed = _call(
        fieldwork.record_time,
        assignment_of(a),
        user=request.user,
        client_id=payload.client_id,
        start=payload.start,
        end=payload.end,
        hours=payload.hours,
        note=payload.note,
    )
    return _answer(response, 201, entry, replayed)


@router.post("/appointments/{appointment_id}/material", response={201: MaterialOut, **WRITE_ERRORS})
def record_material(request, appointment_id: int, payload: MaterialIn, response: HttpResponse):
    """Material used, with the workshop's net unit price. After the job went to a colleague, its
    former worker's material must be noted before the hand-over (422 on ``noted_at``)."""
    a = _get_to_record(request, appointment_id)
    entry, replayed = _call(
        fieldwork.record_material,
        assignment_of(a),
        user=request.user,
        client_id=payload.client_id,
        text=payload.text,
        quantity=payload.quantity,
        unit=payload.unit,
        unit_price=payload.unit_price,
        noted_at=payload.noted_at,
    )
    return _answer(response, 201, entry, replayed)


# Corrections need the network: an edit refers to the server's entry and is answered at once
# (the app says "Nur mit Netz möglich" offline). Setting the same values again is harmless; a
# second delete answers 404.


@router.put(
    "/appointments/{appointment_id}/time/{entry_id}", response={200: TimeOut, **CHANGE_ERRORS}
)
def update_time(request, appointment_id: int, entry_id: int, payload: TimeChangeIn):
    """Correct an hours entry, checked like a new one (422 names the field). Only who recorded
    it, the workshop's management or the office (403 for a colleague); 409 once the task is
    finished."""
    a = _get_to_record(request, appointment_id)
    return _call(
        fieldwork.update_time,
        assignment_of(a),
        user=request.user,
        entry_id=entry_id,
        **payload.dict(),
    )


@router.delete(
    "/appointments/{appointment_id}/time/{entry_id}", response={204: None, **CHANGE_ERRORS}
)
def delete_time(request, appointment_id: int, entry_id: int):
    """Delete an hours entry (same rights and refusals as correcting it)."""
    a = _get_to_record(request, appointment_id)
    _call(fieldwork.delete_time, assignment_of(a), user=request.user, entry_id=entry_id)
    return Status(204, None)


@router.put(
    "/appointments/{appointment_id}/material/{entry_id}",
    response={200: MaterialOut, **CHANGE_ERRORS},
)
def update_material(request, appointment_id: int, entry_id: int, payload: MaterialChangeIn):
    """Correct a material entry, checked like a new one (422 names the field). Only who recorded
    it, the workshop's management or the office (403 for a colleague); 409 once the task is
    finished."""
    a = _get_to_record(request, appointment_id)
    return _call(
        fieldwork.update_material,
        assignment_of(a),
        user=request.user,
        entry_id=entry_id,
        **payload.dict(),
    )


@router.delete(
    "/appointments/{appointment_id}/material/{entry_id}", response={204: None, **CHANGE_ERRORS}
)
def delete_material(request, appointment_id: int, entry_id: int):
    """Delete a material entry (same rights and refusals as correcting it)."""
    a = _get_to_record(request, appointment_id)
    _call(fieldwork.delete_material, assignment_of(a), user=request.user, entry_id=entry_id)
    return Status(204, None)


@router.post("/appointments/{appointment_id}/photos", response={201: PhotoOut, **UPLOAD_ERRORS})
def upload_photo(
    request,
    appointment_id: int,
    form: Form[PhotoForm],
    file: File[UploadedFile],
    response: HttpResponse,
):
    """A photo (JPEG, PNG or WebP, at most 15 MB): stored at most 1600 px wide, re-encoded so
    its EXIF data (GPS position, camera) is gone. 413 when too large, 415 when not a photo; a
    former worker's photo taken after the job was handed on is refused (422 on ``taken_at``)."""
    a = _get_to_record(request, appointment_id)
    if file.size > fieldwork.PHOTO_MAX_BYTES:  # refused before it is read into memory
        raise HttpError(413, "file: " + fieldwork.too_large_message())
    photo, replayed = _call(
        fieldwork.add_photo,
        assignment_of(a),
        user=request.user,
        client_id=form.client_id,
        data=file.read(),
        caption=form.caption,
        checklist_item_id=form.checklist_item,
        taken_at=form.taken_at,
    )
    return _answer(response, 201, _photo_out(photo), replayed)


@router.post(
    "/appointments/{appointment_id}/signature", response={201: SignatureOut, **UPLOAD_ERRORS}
)
def sign(request, appointment_id: int, payload: SignatureIn, response: HttpResponse):
    """The customer's signature, drawn on the phone, as a PNG data URL."""
    a = _get_to_act(request, appointment_id)
    prefix = "data:image/png;base64,"
    if not payload.image.startswith(prefix):
        raise HttpError(415, "image: a PNG data URL is expected.")
    try:
        data = base64.b64decode(payload.image[len(prefix) :], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise HttpError(415, "image: not valid base64.") from exc
    signature, replayed = _call(
        fieldwork.sign,
        assignment_of(a),
        user=request.user,
        client_id=payload.client_id,
        signer_name=payload.signer_name,
        data=data,
        signed_at=payload.signed_at,
    )
    return _answer(response, 201, _signature_out(signature), replayed)


# --- files (never public: photos show people's homes) -------------------------------------------


def _file(request, model, pk: int, content_type: str):
    obj = get_object_or_404(model.objects.select_related("task"), pk=pk)
    if not visible_appointments(request.user).filter(task_id=obj.task_id).exists():
        raise Http404
    response = FileResponse(obj.image.open("rb"), content_type=content_type)
    response["Cache-Control"] = "private, max-age=86400"
    return response


@router.get("/photos/{photo_id}", response={200: None, 404: ErrorOut})
def photo_file(request, photo_id: int):
    return _file(request, Photo, photo_id, "image/jpeg")


@router.get("/signatures/{signature_id}", response={200: None, 404: ErrorOut})
def signature_file(request, signature_id: int):
    return _file(request, Signature, signature_id, "image/png")
