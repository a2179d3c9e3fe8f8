from datetime import datetime

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from ninja.security import django_auth

from zunft.core import services, tasks
from zunft.core.auth import required_auth
from zunft.core.models import Event, Operation
from zunft.core.realtime import may_join

router = Router(tags=["system"])


class OperationOut(Schema):
    id: int
    kind: str
    state: str
    progress: int
    total: int
    result: dict
    error: str
    worker: str
    created_at: datetime
    finished_at: datetime | None


class EventOut(Schema):
    id: int
    group: str
    type: str
    data: dict
    created_at: datetime


class ErrorOut(Schema):
    detail: str


def _visible_operation(request, operation_id: int) -> Operation:
    operation = get_object_or_404(Operation, pk=operation_id)
    if not (request.user.is_office or operation.created_by_id == request.user.pk):
        raise HttpError(404, "Not Found")
    return operation


@router.post("/operations/roundtrip", response={202: OperationOut, 403: ErrorOut}, auth=django_auth)
def start_roundtrip(request):
    """Office staff check that background work reaches a Celery worker and comes back."""
    if not request.user.is_office:
        raise HttpError(403, _("Only office staff may run diagnostics."))
    return Status(
        202, services.start_operation("roundtrip", task=tasks.roundtrip, user=request.user)
    )


@router.get(
    "/operations/{operation_id}", response={200: OperationOut, 404: ErrorOut}, auth=required_auth
)
def get_operation(request, operation_id: int):
    return _visible_operation(request, operation_id)


@router.get("/events", response={200: list[EventOut], 403: ErrorOut}, auth=required_auth)
def list_events(request, group: str, after: int = 0, limit: int = 200):
    """Events of one group after the last id a client saw, to resync after a reconnect."""
    if not may_join(request.user, group):
        raise HttpError(403, f"You may not read the group {group!r}.")
    limit = max(1, min(limit, 1000))
    return list(Event.objects.filter(group=group, id__gt=after).order_by("id")[:limit])


class CodeRequestIn(Schema):
    email: str


class CodeLoginIn(Schema):
    email: str
    code: str


@router.post("/auth/code", response={202: dict}, tags=["auth"])
def request_login_code(request, payload: CodeRequestIn):
    """Mail a login code to a homeowner. Answers the same whether or not the address is known,
    so nobody can probe for customers."""
    from zunft.core.login import send_login_code
    from zunft.core.models import User

    user = User.objects.filter(email__iexact=payload.email.strip(), role="homeowner").first()
    if user is not None:
        send_login_code(user)
    return Status(202, {"detail": "If the address is known, a code is on its way."})


@router.post("/auth/login", response={200: dict, 401: ErrorOut}, tags=["auth"])
def login_with_code(request, payload: CodeLoginIn):
    from django.contrib.auth import login

    from zunft.core.login import check_login_code

    user = check_login_code(payload.email, payload.code)
    if user is None:
        raise HttpError(401, _("The code is wrong or has expired."))
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return {"user": user.pk, "role": user.role}


class TokenIn(Schema):
    name: str
    scope: str = "read"


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    scope: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class NewTokenOut(TokenOut):
    secret: str


@router.get("/tokens", response=list[TokenOut], auth=required_auth, tags=["auth"])
def list_tokens(request):
    return list(request.user.api_tokens.all())


@router.post("/tokens", response={201: NewTokenOut, 422: dict}, auth=django_auth, tags=["auth"])
def create_token(request, payload: TokenIn):
    """A personal API token; the secret is shown only in this answer."""
    from django.core.exceptions import ValidationError

    from zunft.core.auth import issue_token
    from zunft.core.models import ApiToken

    errors = {}
    if not payload.name.strip():
        errors["name"] = _("Give the token a name (the app that uses it).")
    if payload.scope not in ApiToken.Scope.values:
        errors["scope"] = _("The scope is “read” or “write”.")
    if errors:
        raise ValidationError(errors)
    token, secret = issue_token(request.user, payload.name.strip()[:100], payload.scope)
    return Status(201, {**TokenOut.from_orm(token).dict(), "secret": secret})


@router.delete(
    "/tokens/{token_id}", response={204: None, 404: ErrorOut}, auth=django_auth, tags=["auth"]
)
def revoke_token(request, token_id: int):
    """Revoke one of one's own tokens (again: nothing changes)."""
    from django.utils import timezone

    if not request.user.api_tokens.filter(pk=token_id).exists():
        raise HttpError(404, "Not Found")  # nobody's token, or somebody else's: the same
    request.user.api_tokens.filter(pk=token_id, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    return Status(204, None)
