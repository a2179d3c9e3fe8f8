"""API v1 for the package catalogue."""

from django.shortcuts import get_object_or_404
from ninja import Router, Status
from ninja.errors import HttpError
from ninja.pagination import PageNumberPagination, paginate

from jobs import services
from jobs.schemas import TemplateIn, TemplateOut
from jobs.selectors import templates_visible_to
from trades.schemas import ErrorOut
from trades.selectors import is_office
from zunft.core.auth import optional_auth, required_auth

router = Router(tags=["catalogue"])


def _save(request, payload: TemplateIn, template=None):
    if not is_office(request.user):
        raise HttpError(403, "Only office staff edit the catalogue.")
    data = payload.dict(exclude={"parameters", "tasks", "dependencies"})
    saved = services.save_template(
        data,
        [p.dict() for p in payload.parameters],
        [t.dict() for t in payload.tasks],
        [d.dict() for d in payload.dependencies],
        template=template,
    )
    return templates_visible_to(request.user).get(pk=saved.pk)


@router.get("/package-templates", response=list[TemplateOut], auth=optional_auth)
@paginate(PageNumberPagination, page_size=20)
def list_templates(request, trade: str | None = None):
    qs = templates_visible_to(request.user)
    if trade:
        qs = qs.filter(tasks__trade__code=trade).distinct()
    return qs


@router.get(
    "/package-templates/{code}", response={200: TemplateOut, 404: ErrorOut}, auth=optional_auth
)
def get_template(request, code: str):
    return get_object_or_404(templates_visible_to(request.user), code=code)


@router.post(
    "/package-templates",
    response={201: TemplateOut, 403: ErrorOut, 409: ErrorOut, 422: dict},
    auth=required_auth,
)
def create_template(request, payload: TemplateIn):
    if templates_visible_to(request.user).filter(code=payload.code).exists():
        raise HttpError(409, f"A template {payload.code!r} exists; use PUT to replace it.")
    return Status(201, _save(request, payload))


@router.put(
    "/package-templates/{code}",
    response={200: TemplateOut, 403: ErrorOut, 404: ErrorOut, 422: dict},
    auth=required_auth,
)
def replace_template(request, code: str, payload: TemplateIn):
    template = get_object_or_404(templates_visible_to(request.user), code=code)
    if payload.code != code:
        raise HttpError(422, "The code in the body must match the URL.")
    return _save(request, payload, template=template)
