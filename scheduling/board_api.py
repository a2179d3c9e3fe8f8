"""API v1 for the office's dispatch board: the week's data, move preview and confirm, the
request inbox with triage, and a package's log. Office staff only (members get 403)."""

from datetime import date, datetime

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.errors import HttpError
from pydantic import BaseModel

from jobs.models import Package, Request, Task
from scheduling import board
from scheduling.models import Appointment
from trades.schemas import ErrorOut
from trades.selectors import is_office
from zunft.core.api import EventOut
from zunft.core.auth import required_auth

router = Router(tags=["board"], auth=required_auth)


def _office(request) -> None:
    if not is_office(request.user):
        raise HttpError(403, _("Only office staff use the dispatch board."))


class Row(BaseModel):
    """Plain pydantic models for the board's many rows: ninja's ``Schema`` reads every field
    through its ORM getter, which costs more than the rest of the request for a busy week."""


class TradeRowOut(Row):
    id: str
    workshop: int
    trade: str
    trade_name: str
    crews: int
    crews_present: int


class GroupOut(Row):
    id: str
    workshop: int
    name: str
    city: str
    rows: list[TradeRowOut]


class ItemOut(Row):
    id: int
    task: int
    task_name: str
    trade: str
    trade_name: str
    package: int
    package_title: str
    customer: str
    city: str
    colour: int
    group: str
    workshop: int
    worker: str | None
    start: datetime
    end: datetime
    segments: list[dict]
    state: str = Field(..., description="tentative, accepted, in_progress or done")
    offer: str | None
    deadline: datetime | None
    hours: float
    sequence: int
    pinned: bool = Field(..., description="placed by the office; re-plans keep it")
    urgent: bool = Field(False, description="a Notdienst (emergency call-out)")
    promised: date | None
    late: bool


class DayOut(Row):
    date: date
    weekend: bool
    holidays: list[str]


class NextWorkOut(Row):
    week: str = Field(..., description="ISO week of the next planned work, e.g. 2026-W49")
    date: date


class BoardOut(Row):
    week: str
    start: date
    end: date
    previous: str
    next: str
    days: list[DayOut]
    groups: list[GroupOut]
    items: list[ItemOut]
    next_work: NextWorkOut | None = Field(
        None, description="on a week without appointments: where the next planned work starts"
    )
    lists: dict
    heatmap: dict
    fairness: list[dict]
    kpis: dict
    map: dict
    last_event: int


class MoveIn(Schema):
    task: int
    workshop: int
    date: date


class ConfirmIn(MoveIn):
    token: str = Field(..., min_length=8, max_length=64)


class ChangeOut(Schema):
    task: int
    task_name: str
    package: int
    kind: str
    workshop_from: int | None
    workshop_from_name: str | None
    workshop_to: int
    workshop_to_name: str
    start_from: datetime | None
    start_to: datetime
    end_from: datetime | None
    end_to: datetime
    accepted: bool
    new_offer: bool


class PreviewOut(Schema):
    ok: bool
    code: str
    reason: str
    changes: list[ChangeOut]
    warnings: list[str]
    package: int | None
    promised: date | None
    end_before: datetime | None
    end_after: datetime | None
    token: str


class TriageIn(Schema):
    status: str = Field(..., pattern="^(new|declined)$")


@router.get("/board", response={200: BoardOut, 403: ErrorOut, 422: dict})
def get_board(request, week: str | None = None):
    """The board for an ISO week (``2026-W48``; default: this week), in a constant number of
    queries however many tasks it holds."""
    _office(request)
    return board.board_data(board.parse_week(week))


@router.post("/board/moves/preview", response={200: PreviewOut, 403: ErrorOut, 404: ErrorOut})
def preview_move(request, payload: MoveIn):
    """What moving a task would change, or why the planner refuses it (``ok`` false)."""
    _office(request)
    try:
        return board.preview_move(payload.task, payload.workshop, payload.date).as_dict()
    except Task.DoesNotExist as exc:
        raise Http404 from exc


@router.post(
    "/board/moves",
    response={200: PreviewOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: dict},
)
def confirm_move(request, payload: ConfirmIn):
    """Apply a previewed move; 409 when the plan changed since the preview, 422 with the reason
    when the move is no longer allowed."""
    _office(request)
    try:
        return board.do_move(
            payload.task, payload.workshop, payload.date, payload.token, user=request.user
        ).as_dict()
    except Task.DoesNotExist as exc:
        raise Http404 from exc


@router.post(
    "/board/appointments/{appointment_id}/release",
    response={200: dict, 403: ErrorOut, 404: ErrorOut},
)
def release_pin(request, appointment_id: int):
    """Give an appointment the office placed by hand back to the planner."""
    _office(request)
    try:
        appointment = board.release_pin(appointment_id, user=request.user)
    except Appointment.DoesNotExist as exc:
        raise Http404 from exc
    return {"id": appointment.pk, "pinned": appointment.pinned}


@router.get("/board/requests", response={200: dict, 403: ErrorOut})
def request_inbox(request, status: str | None = None):
    """Requests for triage, newest first, with counts per status."""
    _office(request)
    return board.request_inbox(status)


@router.post(
    "/board/requests/{request_id}/triage",
    response={200: dict, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: dict},
)
def triage_request(request, request_id: int, payload: TriageIn):
    """Decline a new request or reopen a declined one."""
    _office(request)
    try:
        changed = board.do_triage_request(request_id, payload.status, user=request.user)
    except Request.DoesNotExist as exc:
        raise Http404 from exc
    return {"id": changed.pk, "status": changed.status}


@router.get(
    "/board/packages/{package_id}/log", response={200: list[EventOut], 403: ErrorOut, 404: ErrorOut}
)
def package_log(request, package_id: int):
    """The package's events (offers, answers, re-plans, moves), oldest first."""
    _office(request)
    if not Package.objects.filter(pk=package_id).exists():
        raise Http404
    return board.package_log(package_id)
