"""API v1 for the cooperative's master data: trades, certifications, workshops, workers,
absences and capacity. Thin: parse, check access, call one service, serialize."""

from django.contrib.gis.geos import Point
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from trades import services
from trades.capacity import capacity
from trades.models import Absence, Certification, Trade, Worker, Workshop
from trades.schemas import (
    AbsenceIn,
    AbsenceOut,
    CertificationOut,
    DayCapacityOut,
    ErrorOut,
    TradeIn,
    TradeOut,
    TradePatch,
    WorkerCertificationIn,
    WorkerIn,
    WorkerOut,
    WorkerPatch,
    WorkshopIn,
    WorkshopOut,
    WorkshopPatch,
)
from trades.selectors import (
    absences_visible_to,
    is_office,
    may_manage_workshop,
    may_see_private,
    workers_visible_to,
    workshops_visible_to,
)
from zunft.core.auth import optional_auth, required_auth
from zunft.core.pagination import Pages
from zunft.core.types import IsoDate

router = Router(tags=["cooperative"])

MAX_CAPACITY_DAYS = 370


def require_office(request) -> None:
    if not is_office(request.user):
        raise HttpError(403, _("Only office staff may do this."))


def manageable_workshop(request, workshop_id: int) -> Workshop:
    workshop = get_object_or_404(workshops_visible_to(request.user), pk=workshop_id)
    if not may_manage_workshop(request.user, workshop.pk):
        raise HttpError(403, _("You may not change this workshop."))
    return workshop


# --- trades and certifications (public catalogue) -----------------------------------------------


@router.get("/certifications", response=list[CertificationOut], auth=optional_auth)
@paginate(Pages, page_size=100)
def list_certifications(request):
    return Certification.objects.order_by("code")


@router.get("/trades", response=list[TradeOut], auth=optional_auth)
@paginate(Pages, page_size=50)
def list_trades(request, licensed: bool | None = None, q: str | None = None):
    qs = Trade.objects.prefetch_related("certifications").order_by("code")
    if licensed is not None:
        qs = qs.filter(licensed=licensed)
    if q:
        qs = qs.filter(name_de__icontains=q) | qs.filter(name_en__icontains=q)
    return qs


@router.get("/trades/{code}", response={200: TradeOut, 404: ErrorOut}, auth=optional_auth)
def get_trade(request, code: str):
    return get_object_or_404(Trade.objects.prefetch_related("certifications"), code=code)


@router.post("/trades", response={201: TradeOut, 403: ErrorOut, 422: dict}, auth=required_auth)
def create_trade(request, payload: TradeIn):
    require_office(request)
    data = payload.dict(exclude={"certifications"})
    return Status(201, services.save_trade(data, payload.certifications))


@router.patch(
    "/trades/{code}",
    response={200: TradeOut, 403: ErrorOut, 404: ErrorOut, 422: dict},
    auth=required_auth,
)
def update_trade(request, code: str, payload: TradePatch):
    require_office(request)
    trade = get_object_or_404(Trade, code=code)
    data = payload.dict(exclude_unset=True, exclude={"certifications"})
    return services.save_trade(data, payload.certifications, trade=trade)


# --- workshops ------------------------------------------------------------------------------------


@router.get("/workshops", response=list[WorkshopOut], auth=optional_auth)
@paginate(Pages, page_size=25)
def list_workshops(
    request, trade: str | None = None, city: str | None = None, q: str | None = None
):
    """The directory of member workshops (for the workshops serving a site see
    ``/sites/{id}/workshops``)."""
    qs = workshops_visible_to(request.user)
    if trade:
        qs = qs.filter(offers__trade__code=trade)
    if city:
        qs = qs.filter(city__iexact=city)
    if q:
        qs = qs.filter(name__icontains=q)
    return qs


@router.get(
    "/workshops/{workshop_id}", response={200: WorkshopOut, 404: ErrorOut}, auth=optional_auth
)
def get_workshop(request, workshop_id: int):
    return get_object_or_404(workshops_visible_to(request.user), pk=workshop_id)


def _workshop_data(payload, exclude) -> dict:
    data = payload.dict(exclude_unset=True, exclude=exclude)
    lat, lon = data.pop("latitude", None), data.pop("longitude", None)
    if lat is not None and lon is not None:
        data["location"] = Point(lon, lat, srid=4326)
    return data


@router.post(
    "/workshops", response={201: WorkshopOut, 403: ErrorOut, 422: dict}, auth=required_auth
)
def create_workshop(request, payload: WorkshopIn):
    require_office(request)
    offers = [o.dict() for o in payload.offers]
    workshop = services.save_workshop(_workshop_data(payload, {"offers"}), offers)
    return Status(201, workshops_visible_to(request.user).get(pk=workshop.pk))


@router.patch(
    "/workshops/{workshop_id}",
    response={200: WorkshopOut, 403: ErrorOut, 404: ErrorOut, 422: dict},
    auth=required_auth,
)
def update_workshop(request, workshop_id: int, payload: WorkshopPatch):
    workshop = manageable_workshop(request, workshop_id)
    if payload.active is not None and not is_office(request.user):
        raise HttpError(403, _("Only the office changes membership."))
    offers = None if payload.offers is None else [o.dict() for o in payload.offers]
    services.save_workshop(_workshop_data(payload, {"offers"}), offers, workshop=workshop)
    return workshops_visible_to(request.user).get(pk=workshop.pk)


@router.get(
    "/workshops/{workshop_id}/capacity",
    response={200: list[DayCapacityOut], 403: ErrorOut, 404: ErrorOut, 422: dict},
    auth=required_auth,
)
def get_capacity(request, workshop_id: int, trade: str, start: IsoDate, end: IsoDate):
    """Hours per day the workshop can give ``trade`` (holidays, absences and crews applied)."""
    workshop = get_object_or_404(workshops_visible_to(request.user), pk=workshop_id)
    if not may_see_private(request.user, workshop.pk):
        raise HttpError(403, _("Only the office and the workshop's own people see its capacity."))
    if end < start:
        raise HttpError(422, _("The end lies before the start."))
    if (end - start).days > MAX_CAPACITY_DAYS:
        raise HttpError(422, f"ask for at most {MAX_CAPACITY_DAYS} days")
    return capacity(workshop, get_object_or_404(Trade, code=trade), start, end)


# --- workers and absences -------------------------------------------------------------------------


@router.get("/workers", response=list[WorkerOut], auth=required_auth)
@paginate(Pages, page_size=50)
def list_workers(request, workshop: int | None = None, trade: str | None = None):
    qs = workers_visible_to(request.user)
    if workshop is not None:
        qs = qs.filter(workshop_id=workshop)
    if trade:
        qs = qs.filter(trades__code=trade)
    return qs


@router.get("/workers/{worker_id}", response={200: WorkerOut, 404: ErrorOut}, auth=required_auth)
def get_worker(request, worker_id: int):
    return get_object_or_404(workers_visible_to(request.user), pk=worker_id)


@router.post(
    "/workshops/{workshop_id}/workers",
    response={201: WorkerOut, 403: ErrorOut, 404: ErrorOut, 422: dict},
    auth=required_auth,
)
def create_worker(request, workshop_id: int, payload: WorkerIn):
    workshop = manageable_workshop(request, workshop_id)
    worker = services.save_worker(workshop, payload.dict(exclude={"trades"}), payload.trades)
    return Status(201, workers_visible_to(request.user).get(pk=worker.pk))


@router.patch(
    "/workers/{worker_id}",
    response={200: WorkerOut, 403: ErrorOut, 404: ErrorOut, 422: dict},
    auth=required_auth,
)
def update_worker(request, worker_id: int, payload: WorkerPatch):
    worker = get_object_or_404(workers_visible_to(request.user), pk=worker_id)
    workshop = manageable_workshop(request, worker.workshop_id)
    data = payload.dict(exclude_unset=True, exclude={"trades", "my_login"})
    with transaction.atomic():
        if payload.my_login is not None:
            services.link_login(worker, request.user, mine=payload.my_login)
        services.save_worker(workshop, data, payload.trades, worker=worker)
    return workers_visible_to(request.user).get(pk=worker.pk)


@router.put(
    "/workers/{worker_id}/certifications/{code}",
    response={200: WorkerOut, 403: ErrorOut, 404: ErrorOut, 422: dict},
    auth=required_auth,
)
def certify_worker(request, worker_id: int, code: str, payload: WorkerCertificationIn):
    """Record or renew a worker's certification (valid until, certificate number)."""
    worker = get_object_or_404(workers_visible_to(request.user), pk=worker_id)
    manageable_workshop(request, worker.workshop_id)
    certification = get_object_or_404(Certification, code=code)
    services.certify(worker, certification, **payload.dict())
    return workers_visible_to(request.user).get(pk=worker.pk)


@router.delete(
    "/workers/{worker_id}/certifications/{code}",
    response={200: WorkerOut, 403: ErrorOut, 404: ErrorOut},
    auth=required_auth,
)
def uncertify_worker(request, worker_id: int, code: str):
    worker = get_object_or_404(workers_visible_to(request.user), pk=worker_id)
    manageable_workshop(request, worker.workshop_id)
    if not services.uncertify(worker, code):
        raise Http404
    return workers_visible_to(request.user).get(pk=worker.pk)


@router.get("/absences", response=list[AbsenceOut], auth=required_auth)
@paginate(Pages, page_size=50)
def list_absences(request, workshop: int | None = None, after: IsoDate | None = None):
    qs = absences_visible_to(request.user).order_by("start", "id")
    if workshop is not None:
        qs = qs.filter(workshop_id=workshop)
    if after is not None:
        qs = qs.filter(end__gte=after)
    return qs


@router.post(
    "/workshops/{workshop_id}/absences",
    response={201: AbsenceOut, 403: ErrorOut, 404: ErrorOut, 422: dict},
    auth=required_auth,
)
def create_absence(request, workshop_id: int, payload: AbsenceIn):
    workshop = manageable_workshop(request, workshop_id)
    data = payload.dict()
    worker_id = data.pop("worker_id")
    if worker_id is not None:
        data["worker"] = get_object_or_404(Worker, pk=worker_id, workshop=workshop)
    if data["kind"] not in Absence.Kind.values:
        raise HttpError(422, f"kind must be one of {', '.join(Absence.Kind.values)}")
    return Status(201, services.add_absence(workshop, data))


@router.delete(
    "/absences/{absence_id}",
    response={200: AbsenceOut, 204: None, 403: ErrorOut, 404: ErrorOut, 422: dict},
    auth=required_auth,
)
def lift_absence(request, absence_id: int):
    """Take an absence back from today on (recorded by mistake, or the worker is back early):
    204 when it had not begun and is gone; 200 with the absence ending yesterday when it had.
    A past absence stays on record (422)."""
    absence = get_object_or_404(absences_visible_to(request.user), pk=absence_id)
    manageable_workshop(request, absence.workshop_id)
    ended = services.lift_absence(absence, timezone.localdate())
    return Status(204, None) if ended is None else ended
