"""API v1 for planning: plan runs (objective, bound, gap), re-plan requests, emergencies."""

from datetime import date, datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from customers.selectors import sites_visible_to
from jobs.models import Package
from scheduling import calendars, dispatch, services
from scheduling.models import Appointment, Dispatch, FeedToken, PlanRun
from trades.models import Certification, Trade
from trades.schemas import ErrorOut
from trades.selectors import is_office, member_workshop_ids
from zunft.core.api import EventOut
from zunft.core.auth import required_auth
from zunft.core.models import Event
from zunft.core.pagination import Pages
from zunft.core.realtime import may_join

router = Router(tags=["planning"], auth=required_auth)


class SetAsideTaskOut(Schema):
    id: int
    name_de: str
    name_en: str


class SetAsideOut(Schema):
    package: int
    reasons: list[str]
    tasks: list[SetAsideTaskOut] = []  # runs before the tasks were stored have none


class PlanRunOut(Schema):
    id: int
    kind: str
    reason: str
    status: str
    tasks: int
    objective: int
    bound: int
    gap: float
    wall_time: float
    parts: dict
    messages: list
    moved: int
    set_aside: list[SetAsideOut]
    created_at: datetime


class EmergencyIn(Schema):
    site: int
    trade: str
    certification: str | None = None
    hours: int = Field(2, ge=1, le=10)
    description: str = Field("", max_length=150)


class EmergencyOut(Schema):
    appointment: int
    dispatch: int
    workshop: str
    worker: str
    distance_km: float
    deadline: datetime


def _office(request):
    if not is_office(request.user):
        raise HttpError(403, _("Only office staff plan."))


@router.get("/plan-runs", response={200: list[PlanRunOut], 403: ErrorOut})
@paginate(Pages, page_size=20)
def list_plan_runs(request):
    _office(request)
    return PlanRun.objects.all()


@router.post("/plan-runs", response={202: dict, 403: ErrorOut})
def request_replan(request):
    """Ask for a re-plan now (a clerk's click does not wait for more changes to gather; it joins
    a re-plan already queued)."""
    _office(request)
    operation = services.request_replan(f"requested by {request.user.username}", countdown=0)
    return Status(202, {"operation": operation.pk})


@router.post("/emergencies", response={201: EmergencyOut, 403: ErrorOut, 404: ErrorOut, 422: dict})
def create_emergency(request, payload: EmergencyIn):
    """Offer an urgent job to the nearest qualified worker who is free now."""
    _office(request)
    # Bad input names its field (422), as everywhere in the API, instead of a bare 404.
    errors = {}
    site = sites_visible_to(request.user).filter(pk=payload.site).first()
    if site is None:
        errors["site"] = _("There is no such site.")
    trade = Trade.objects.filter(code=payload.trade).first()
    if trade is None:
        errors["trade"] = _("There is no trade with the code %s.") % payload.trade
    cert = None
    if payload.certification:
        cert = Certification.objects.filter(code=payload.certification).first()
        if cert is None:
            errors["certification"] = (
                _("There is no certification with the code %s.") % payload.certification
            )
    if errors:
        raise ValidationError(errors)
    match = services.dispatch_emergency(
        site=site,
        trade=trade,
        certification=cert,
        hours=payload.hours,
        description=payload.description,
    )
    a = match.appointment
    return Status(
        201,
        {
            "appointment": a.pk,
            "dispatch": match.dispatch.pk,
            "workshop": a.workshop.name,
            "worker": str(a.worker),
            "distance_km": match.distance_km,
            "deadline": match.dispatch.deadline,
        },
    )


# --- a package and its live timeline ------------------------------------------------------------


class TimelineTaskOut(Schema):
    id: int
    code: str
    name: str
    trade: str
    status: str
    workshop: str | None = None
    worker: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    appointment_status: str | None = None


class PackageOut(Schema):
    id: int
    title: str
    status: str
    site: str
    earliest_start: date
    promised_date: date | None
    withdrawn_at: datetime | None
    tasks: list[TimelineTaskOut]
    last_event: int


def visible_package(request, package_id: int) -> Package:
    package = get_object_or_404(Package.objects.select_related("site", "customer"), pk=package_id)
    if not may_join(request.user, f"package.{package.pk}"):
        raise Http404
    return package


def package_timeline(package: Package) -> dict:
    live = {
        a.task_id: a
        for a in Appointment.objects.filter(task__package=package)
        .exclude(status="cancelled")
        .select_related("workshop", "worker")
    }
    tasks = []
    for task in package.tasks.select_related("trade").order_by("position", "id"):
        a = live.get(task.pk)
        tasks.append(
            {
                "id": task.pk,
                "code": task.code,
                "name": task.name,
                "trade": task.trade.name,
                "status": task.status,
                "workshop": a.workshop.name if a else None,
                "worker": str(a.worker) if a and a.worker else None,
                "start": a.start if a else None,
                "end": a.end if a else None,
                "appointment_status": a.status if a else None,
            }
        )
    # In the order the work happens (parallel trades interleave); tasks not planned yet last,
    # in the template's order (the sort is stable).
    tasks.sort(key=lambda t: (t["start"] is None, t["start"] or 0))
    last = Event.objects.filter(group=f"package.{package.pk}").order_by("-id").first()
    return {
        "id": package.pk,
        "title": package.title,
        "status": package.status,
        "site": str(package.site),
        "earliest_start": package.earliest_start,
        "promised_date": package.promised_date,
        "withdrawn_at": package.withdrawn_at,
        "tasks": tasks,
        "last_event": last.pk if last else 0,
    }


@router.get("/packages/{package_id}", response={200: PackageOut, 404: ErrorOut}, tags=["journey"])
def get_package(request, package_id: int):
    """The package's timeline: who does what when, and each task's state."""
    return package_timeline(visible_package(request, package_id))


@router.get(
    "/packages/{package_id}/events",
    response={200: list[EventOut], 404: ErrorOut},
    tags=["journey"],
)
def package_events(request, package_id: int, after: int = 0, limit: int = 200):
    """What happened since the last event id a client saw (resync after a reconnect)."""
    package = visible_package(request, package_id)
    limit = max(1, min(limit, 1000))
    return list(
        Event.objects.filter(group=f"package.{package.pk}", id__gt=after).order_by("id")[:limit]
    )


# --- dispatch offers and the fairness ledger ----------------------------------------------------


class DispatchOut(Schema):
    id: int
    status: str
    deadline: datetime | None
    workshop_id: int
    appointment_id: int
    task_id: int = Field(..., alias="appointment.task_id")
    task: str = Field(..., alias="appointment.task.name")  # in the reader's language
    trade: str = Field(..., alias="appointment.task.trade.name")
    start: datetime = Field(..., alias="appointment.start")
    end: datetime = Field(..., alias="appointment.end")
    city: str = Field(..., alias="appointment.task.package.site.city")
    travel_km: int = Field(..., alias="appointment.travel_km")
    hours: float = Field(..., alias="appointment.task.duration_hours")
    worker_id: int | None
    urgent: bool = False  # a Notdienst: to answer at once
    you_cannot: str = Field(
        "",
        description="why the reader, a worker answering for themselves, could not take it "
        "(what accepting would refuse); empty when they can, and for the management",
    )

    @staticmethod
    def resolve_urgent(obj) -> bool:
        return obj.appointment.task.code == services.EMERGENCY_TASK_CODE

    @staticmethod
    def resolve_you_cannot(obj, context) -> str:
        request = context["request"]
        if not hasattr(request, "answerer"):  # once per list, not per offer
            request.answerer = dispatch.Answerer.of(request.user)
        return dispatch.own_refusal(request.answerer, obj)


class AcceptOfferIn(Schema):
    worker_id: int | None = None


class DeclineIn(Schema):
    reason: str = Field(..., min_length=1, max_length=300)


class LedgerRowOut(Schema):
    workshop_id: int
    workshop: str = Field(..., alias="workshop__name")
    trade: str = Field(..., alias="appointment__task__trade__code")
    offered: int
    accepted: int
    declined: int
    expired: int


@router.get("/dispatches", response=list[DispatchOut], tags=["dispatch"])
@paginate(Pages, page_size=50)
def list_dispatches(request, status: str | None = "offered"):
    """Offers to the workshops the user belongs to (the office sees all), in the order of the
    work: earliest planned start first (then by id, so pages stay stable)."""
    qs = Dispatch.objects.select_related(
        "appointment__task__trade", "appointment__task__package__site"
    ).order_by("appointment__start", "id")
    if not is_office(request.user):
        qs = qs.filter(workshop_id__in=member_workshop_ids(request.user))
    if status:
        qs = qs.filter(status=status)
    return qs


@router.post(
    "/dispatches/{dispatch_id}/accept",
    response={200: DispatchOut, 404: ErrorOut, 409: ErrorOut, 422: dict},
    tags=["dispatch"],
)
def accept_offer(request, dispatch_id: int, payload: AcceptOfferIn):
    """Accept an offer; of concurrent accepts exactly one wins, the others get 409."""
    try:
        dispatch.accept(dispatch_id, user=request.user, worker_id=payload.worker_id)
    except Dispatch.DoesNotExist as exc:
        raise Http404 from exc
    return _dispatch_out(dispatch_id)


@router.post(
    "/dispatches/{dispatch_id}/decline",
    response={200: DispatchOut, 404: ErrorOut, 409: ErrorOut, 422: dict},
    tags=["dispatch"],
)
def decline_offer(request, dispatch_id: int, payload: DeclineIn):
    try:
        dispatch.decline(dispatch_id, user=request.user, reason=payload.reason)
    except Dispatch.DoesNotExist as exc:
        raise Http404 from exc
    return _dispatch_out(dispatch_id)


def _dispatch_out(dispatch_id: int):
    return Dispatch.objects.select_related(
        "appointment__task__trade", "appointment__task__package__site"
    ).get(pk=dispatch_id)


@router.get("/fairness", response=list[LedgerRowOut], tags=["dispatch"])
def fairness(request):
    """Offered vs. accepted per member and trade: the office sees all, a member its own."""
    return list(dispatch.fairness_ledger(request.user))


# --- calendar feeds ------------------------------------------------------------------------------


class FeedIn(Schema):
    scope: str = Field(..., pattern="^(worker|workshop|package)$")
    key: int = Field(..., ge=1, le=2**63 - 1, description="id of the worker, workshop or package")


class FeedOut(Schema):
    id: int
    scope: str
    key: int
    url: str
    created_at: datetime
    revoked_at: datetime | None

    @staticmethod
    def resolve_url(obj, context):
        from django.urls import reverse

        return context["request"].build_absolute_uri(reverse("feed", args=[obj.token]))


@router.get("/feeds", response=list[FeedOut], tags=["calendar"])
def list_feeds(request):
    return list(FeedToken.objects.filter(owner=request.user))


@router.post("/feeds", response={201: FeedOut, 403: ErrorOut, 422: dict}, tags=["calendar"])
def create_feed(request, payload: FeedIn):
    """A secret calendar URL (iCalendar) for a worker, a workshop or a package."""
    try:
        return Status(201, calendars.create_feed(request.user, payload.scope, payload.key))
    except PermissionDenied as exc:
        raise HttpError(403, _("You may not subscribe to this calendar.")) from exc


@router.delete("/feeds/{feed_id}", response={204: None}, tags=["calendar"])
def revoke_feed(request, feed_id: int):
    calendars.revoke_feed(request.user, feed_id)
    return Status(204, None)


# --- Abnahme -------------------------------------------------------------------------------------


class DefectIn(Schema):
    task: int
    description: str = Field(..., min_length=1, max_length=2000)


class AcceptanceIn(Schema):
    approved: bool
    signer_name: str = Field(..., min_length=1, max_length=150)
    signature_png: str = Field(..., description="the drawn signature as a PNG data URL or base64")
    defects: list[DefectIn] = Field([], max_length=50)


class AcceptanceOut(Schema):
    id: int
    outcome: str
    signer_name: str
    created_at: datetime
    protocol_url: str
    rework_tasks: list[int]

    @staticmethod
    def resolve_protocol_url(obj):
        from django.urls import reverse

        return reverse("acceptance-pdf", args=[obj.package_id, obj.pk])

    @staticmethod
    def resolve_rework_tasks(obj):
        return [d.rework_id for d in obj.defects.all() if d.rework_id]


@router.post(
    "/packages/{package_id}/acceptance",
    response={201: AcceptanceOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: dict},
    tags=["journey"],
)
def accept_work(request, package_id: int, payload: AcceptanceIn):
    """The homeowner's Abnahme: approve with a signature, or report defects (each for a part of
    the order), which become rework for the workshop responsible."""
    import base64
    import binascii

    from django.core.exceptions import ValidationError

    from jobs.acceptance import record_acceptance

    package = visible_package(request, package_id)
    if package.customer.user_id != request.user.pk and not is_office(request.user):
        raise HttpError(403, _("Only the customer signs the Abnahme."))
    raw = payload.signature_png.split(",", 1)[-1]
    try:
        png = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValidationError({"signature_png": "not a base64 PNG"}) from exc
    return Status(
        201,
        record_acceptance(
            package,
            user=request.user,
            approved=payload.approved,
            signer_name=payload.signer_name,
            signature_png=png,
            defects=[d.dict() for d in payload.defects],
        ),
    )
