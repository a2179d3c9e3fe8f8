"""API v1 for a package's messages (homeowner ↔ office, office ↔ workshop)."""

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError

from jobs.models import Message
from scheduling import messages
from scheduling.api import visible_package
from trades.schemas import ErrorOut
from zunft.core.auth import required_auth

router = Router(tags=["messages"], auth=required_auth)


class MessageOut(Schema):
    id: int
    thread: Message.Thread
    workshop_id: int | None
    workshop: str | None = Field(None, alias="workshop.name")
    sender: Message.Sender
    author: str
    body: str
    created_at: datetime
    read_at: datetime | None

    @staticmethod
    def resolve_author(message: Message) -> str:
        if message.sender == Message.Sender.OFFICE:
            return _("Cooperative office")
        if message.author is None:
            return ""
        return message.author.get_full_name() or message.author.username


class MessageIn(Schema):
    body: str = Field(..., min_length=1, max_length=messages.MAX_LENGTH)
    thread: Message.Thread | None = None
    workshop_id: int | None = Field(None, ge=1, le=2_147_483_647)


class ReadOut(Schema):
    marked: int


class RecipientOut(Schema):
    thread: Message.Thread
    workshop_id: int | None
    name: str


@router.get(
    "/packages/{package_id}/messages",
    response={200: list[MessageOut], 404: ErrorOut},
)
def list_messages(
    request,
    package_id: int,
    thread: Message.Thread | None = None,
    workshop_id: int | None = Query(None, ge=1, le=2_147_483_647),
    after: int = Query(0, ge=0, le=2_147_483_647),
):
    """The messages the caller may read, oldest first; ``after`` gives only newer ones."""
    package = visible_package(request, package_id)
    found = messages.visible_messages(request.user, package).filter(id__gt=after)
    if thread:
        found = found.filter(thread=thread)
    if workshop_id:
        found = found.filter(workshop_id=workshop_id)
    return list(found.order_by("id")[:500])


@router.post(
    "/packages/{package_id}/messages",
    response={201: MessageOut, 403: ErrorOut, 404: ErrorOut, 422: dict},
)
def post_message(request, package_id: int, payload: MessageIn):
    """Write to the other side: homeowners to the office, workshops to the office, the office
    to the homeowner or to a workshop working on the package."""
    package = visible_package(request, package_id)
    try:
        message = messages.post_message(
            request.user,
            package,
            payload.body,
            thread=payload.thread,
            workshop_id=payload.workshop_id,
        )
    except PermissionDenied:
        raise HttpError(
            403, "Only the homeowner, the office and workshops on this order write here."
        ) from None
    return Status(201, message)


@router.post(
    "/packages/{package_id}/messages/read",
    response={200: ReadOut, 404: ErrorOut},
)
def mark_read(request, package_id: int):
    """Mark what the other side wrote as read (the unread badge goes away)."""
    package = visible_package(request, package_id)
    return {"marked": messages.mark_read(request.user, package)}


@router.get(
    "/packages/{package_id}/messages/recipients",
    response={200: list[RecipientOut], 404: ErrorOut},
)
def recipients(request, package_id: int):
    """Whom the caller can write to about this package (the office: the homeowner and each
    workshop working on it; everyone else: the office)."""
    package = visible_package(request, package_id)
    return messages.recipients(request.user, package)
