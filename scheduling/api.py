"""API v1 for planning: plan runs (objective, bound, gap), re-plan requests, emergencies."""

from datetime import datetime

from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import PageNumberPagination, paginate

from customers.selectors import sites_visible_to
from scheduling import services
from scheduling.models import PlanRun
from trades.models import Certification, Trade
from trades.schemas import ErrorOut
from trades.selectors import is_office
from zunft.core.auth import required_auth

router = Router(tags=["planning"], auth=required_auth)


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
        raise HttpError(403, "Only office staff plan.")


@router.get("/plan-runs", response={200: list[PlanRunOut], 403: ErrorOut})
@paginate(PageNumberPagination, page_size=20)
def list_plan_runs(request):
    _office(request)
    return PlanRun.objects.all()


@router.post("/plan-runs", response={202: dict, 403: ErrorOut})
def request_replan(request):
    """Ask for a re-plan; requests within a few seconds are merged into one run."""
    _office(request)
    operation = services.request_replan(f"requested by {request.user.username}")
    return Status(202, {"operation": operation.pk})


@router.post("/emergencies", response={201: EmergencyOut, 403: ErrorOut, 404: ErrorOut, 422: dict})
def create_emergency(request, payload: EmergencyIn):
    """Offer an urgent job to the nearest qualified worker who is free now."""
    _office(request)
    site = get_object_or_404(sites_visible_to(request.user), pk=payload.site)
    trade = get_object_or_404(Trade, code=payload.trade)
    cert = (
        get_object_or_404(Certification, code=payload.certification)
        if payload.certification
        else None
    )
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
