"""API v1 for the package catalogue."""

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Query, Router, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from jobs import services
from jobs.models import Package, Quote, Supplement
from jobs.schemas import (
    AcceptIn,
    DeclineIn,
    QuoteChangesOut,
    QuoteOut,
    RequestIn,
    RequestOut,
    RevisionIn,
    SupplementDecisionIn,
    SupplementIn,
    SupplementOut,
    TemplateIn,
    TemplateOut,
    WithdrawalOut,
)
from jobs.selectors import owned_package, templates_visible_to
from trades.schemas import ErrorOut
from trades.selectors import is_office
from zunft.core.auth import optional_auth, required_auth
from zunft.core.pagination import Pages

router = Router(tags=["catalogue"])


def _save(request, payload: TemplateIn, template=None):
    if not is_office(request.user):
        raise HttpError(403, _("Only office staff edit the catalogue."))
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
@paginate(Pages, page_size=20)
def list_templates(
    request,
    trade: str | None = None,
    kind: str | None = Query(None, pattern="^(package|single)$"),
):
    """The catalogue; ``kind=package`` for multi-trade packages, ``kind=single`` for
    single-trade jobs."""
    qs = templates_visible_to(request.user)
    if trade:
        qs = qs.filter(tasks__trade__code=trade).distinct()
    if kind:
        qs = qs.filter(kind=kind)
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
        raise HttpError(422, _("The code in the body must match the URL."))
    return _save(request, payload, template=template)


# --- the homeowner's journey: request → instant quote → accept -----------------------------------


def _quote_out(quote, today=None):
    from django.utils import timezone

    out = QuoteOut.from_orm(quote).dict()
    out["early_start_consent_needed"] = services.needs_early_start_consent(
        quote, today or timezone.localdate()
    )
    return out


@router.post(
    "/requests",
    response={201: RequestOut, 401: ErrorOut, 404: ErrorOut, 422: dict},
    auth=optional_auth,
    tags=["journey"],
)
def create_request(request, payload: RequestIn):
    """Submit the wizard: returns the instant quote (price and earliest completion date). The
    homeowner logs in with the emailed code to accept it. Not logged in, with the address of an
    existing account: 401, nothing filed, and a login code mailed to that address; send the
    request again once logged in."""
    from zunft.core.login import send_login_code

    template = get_object_or_404(templates_visible_to(request.user), code=payload.template)
    try:
        created = services.request_quote(
            user=request.user,
            contact=payload.contact.dict(),
            privacy_consent=payload.privacy_consent,
            template=template,
            values=dict(payload.parameters),
            site=payload.site.dict(),
            earliest_start=payload.earliest_start,
            blocked_days=payload.blocked_days,
            description=payload.description,
        )
    except services.LoginFirst as known:
        send_login_code(known.user, next_url=reverse("jobs:my-orders"))
        return Status(
            401,
            {
                "detail": _(
                    "This address has an account: log in with the code we emailed to it, then "
                    "send the request again."
                )
            },
        )
    # The browser that made the request may look at its quote before logging in.
    quote = created.package.quotes.order_by("-version").first()
    remember_quote(request, quote)
    return Status(
        201,
        {
            "id": created.pk,
            "status": created.status,
            "package_id": created.package_id,
            "quote": _quote_out(quote),
        },
    )


def remember_quote(request, quote) -> None:
    """The browser that asked for a quote may look at it before logging in."""
    request.session["quotes"] = [*request.session.get("quotes", []), quote.pk][-20:]


def visible_quote(request, quote_id: int) -> Quote:
    quote = get_object_or_404(Quote.objects.select_related("package__customer"), pk=quote_id)
    user = request.user
    own = user.is_authenticated and quote.package.customer.user_id == user.pk
    if own or is_office(user) or quote.pk in request.session.get("quotes", []):
        return quote
    raise Http404


@router.get(
    "/quotes/{quote_id}",
    response={200: QuoteOut, 404: ErrorOut},
    auth=optional_auth,
    tags=["journey"],
)
def get_quote(request, quote_id: int):
    return _quote_out(visible_quote(request, quote_id))


@router.post(
    "/quotes/{quote_id}/accept",
    response={200: QuoteOut, 404: ErrorOut, 409: ErrorOut, 422: dict},
    auth=required_auth,
    tags=["journey"],
)
def accept(request, quote_id: int, payload: AcceptIn):
    """Accept the version you saw. Accepting twice is harmless; an outdated version gets 409."""
    try:
        quote = services.accept_quote(
            quote_id,
            version=payload.version,
            user=request.user,
            early_start_consent=payload.early_start_consent,
        )
    except Quote.DoesNotExist as exc:
        raise Http404 from exc
    return _quote_out(quote)


@router.post(
    "/quotes/{quote_id}/decline",
    response={200: QuoteOut, 404: ErrorOut, 409: ErrorOut, 422: dict},
    auth=required_auth,
    tags=["journey"],
)
def decline(request, quote_id: int, payload: DeclineIn):
    """Decline the version you saw: the package is cancelled and the request closed. Declining
    twice is harmless; an accepted or replaced quote gets 409."""
    try:
        quote = services.decline_quote(quote_id, version=payload.version, user=request.user)
    except Quote.DoesNotExist as exc:
        raise Http404 from exc
    return _quote_out(quote)


def _withdrawal_out(package) -> dict:
    from jobs.withdrawal import withdrawal_state

    state = withdrawal_state(package)
    return {
        "possible": state.possible,
        "deadline": state.deadline,
        "reason": state.reason,
        "work_started": state.work_started,
        "withdrawn_at": package.withdrawn_at,
    }


@router.get(
    "/packages/{package_id}/withdrawal",
    response={200: WithdrawalOut, 404: ErrorOut},
    auth=required_auth,
    tags=["journey"],
)
def get_withdrawal(request, package_id: int):
    """The homeowner's right of withdrawal on her order: whether and until when she may
    withdraw, or why not."""
    try:
        return _withdrawal_out(owned_package(request.user, package_id))
    except Package.DoesNotExist as exc:
        raise Http404 from exc


@router.post(
    "/packages/{package_id}/withdrawal",
    response={200: WithdrawalOut, 404: ErrorOut, 409: ErrorOut},
    auth=required_auth,
    tags=["journey"],
)
def withdraw(request, package_id: int):
    """Withdraw from the contract (consumers, within the withdrawal period): the work stops,
    appointments are cancelled, an acknowledgement is mailed. Withdrawing twice is harmless;
    409 with the reason when it is no longer possible."""
    from jobs.withdrawal import withdraw as withdraw_contract

    try:
        package = withdraw_contract(package_id, user=request.user)
    except Package.DoesNotExist as exc:
        raise Http404 from exc
    return _withdrawal_out(package)


@router.post(
    "/packages/{package_id}/quotes",
    response={201: QuoteOut, 403: ErrorOut, 404: ErrorOut, 422: dict},
    auth=required_auth,
    tags=["journey"],
)
def revise(request, package_id: int, payload: RevisionIn):
    """Office staff revise a quote (lines, prices, dates): a new version; the homeowner is
    notified and sees what changed."""
    from jobs.models import Package

    if not is_office(request.user):
        raise HttpError(403, _("Only office staff revise quotes."))
    package = get_object_or_404(Package, pk=package_id)
    quote = services.revise_quote(
        package,
        lines=[line.dict() for line in payload.lines],
        start_date=payload.start_date,
        completion_date=payload.completion_date,
        # Left out, the promise stays; sent as null, it is withdrawn.
        promised_date=payload.promised_date
        if "promised_date" in payload.model_fields_set
        else services.KEEP,
        note=payload.note,
        by=request.user,
    )
    return Status(201, _quote_out(quote))


def changes_of(quote: Quote) -> dict:
    previous = quote.package.quotes.filter(version__lt=quote.version).order_by("-version").first()
    if previous is None:
        return {
            "version": quote.version,
            "previous_version": None,
            "added": list(quote.lines.all()),
            "removed": [],
            "changed": [],
            "gross_before": None,
            "gross_after": quote.gross,
            "completion_before": None,
            "completion_after": quote.completion_date,
            "promised_before": None,
            "promised_after": quote.promised_date,
            "start_before": None,
            "start_after": quote.start_date,
        }
    diff = services.quote_changes(previous, quote)
    return {
        "version": quote.version,
        "previous_version": previous.version,
        "added": diff["added"],
        "removed": diff["removed"],
        "changed": diff["changed"],
        "gross_before": diff["gross"][0],
        "gross_after": diff["gross"][1],
        "completion_before": diff["completion"][0],
        "completion_after": diff["completion"][1],
        "promised_before": diff["promised"][0],
        "promised_after": diff["promised"][1],
        "start_before": diff["start"][0],
        "start_after": diff["start"][1],
    }


@router.get(
    "/quotes/{quote_id}/changes",
    response={200: QuoteChangesOut, 404: ErrorOut},
    auth=optional_auth,
    tags=["journey"],
)
def quote_changes(request, quote_id: int):
    """What changed against the previous version of this quote."""
    return changes_of(visible_quote(request, quote_id))


# --- supplements to a running order (Nachträge) -------------------------------------------------


def _supplements_of(request, package_id: int):
    """The package's supplements for its homeowner and the office; prices are not the
    workshops' to see. Anybody else: 404."""
    package = get_object_or_404(Package.objects.select_related("customer"), pk=package_id)
    user = request.user
    if not (is_office(user) or package.customer.user_id == user.pk):
        raise Http404
    return package


def _supplement_rows(package):
    return package.supplements.prefetch_related(
        "lines", "tasks__trade", "tasks__required_certification"
    ).order_by("number")


@router.get(
    "/packages/{package_id}/supplements",
    response={200: list[SupplementOut], 404: ErrorOut},
    auth=required_auth,
    tags=["journey"],
)
def list_supplements(request, package_id: int):
    """The supplements to an order: open ones to decide on, accepted, declined or taken back."""
    return list(_supplement_rows(_supplements_of(request, package_id)))


@router.post(
    "/packages/{package_id}/supplements",
    response={201: SupplementOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: dict},
    auth=required_auth,
    tags=["journey"],
)
def propose_supplement(request, package_id: int, payload: SupplementIn):
    """Office staff propose a supplement to an accepted order: the reason and each piece of
    work (trade, hours, crew, material, after/before which task), priced at the rates the
    homeowner accepted. She is told by mail and live; nothing is planned before she accepts.
    409 when the order takes none (not accepted yet, done, withdrawn)."""
    from jobs.supplements import propose_supplement as propose

    if not is_office(request.user):
        raise HttpError(403, _("Only office staff write supplements."))
    package = get_object_or_404(Package, pk=package_id)
    supplement = propose(
        package,
        reason=payload.reason,
        tasks=[piece.dict() for piece in payload.tasks],
        by=request.user,
    )
    return Status(201, _supplement_rows(package).get(pk=supplement.pk))


def _decide(request, supplement_id: int, decide):
    try:
        supplement = decide(supplement_id, user=request.user)
    except Supplement.DoesNotExist as exc:
        raise Http404 from exc
    return _supplement_rows(supplement.package).get(pk=supplement.pk)


@router.post(
    "/supplements/{supplement_id}/accept",
    response={200: SupplementOut, 404: ErrorOut, 409: ErrorOut, 422: dict},
    auth=required_auth,
    tags=["journey"],
)
def accept_supplement(request, supplement_id: int, payload: SupplementDecisionIn):
    """The homeowner accepts a supplement: its work joins the order and is planned (a consumer
    agrees to the immediate start: ``early_start_consent``, else 422 naming it). Accepting
    twice is harmless; a declined, taken back or expired one is refused."""
    from jobs.supplements import accept_supplement as accept

    return _decide(
        request,
        supplement_id,
        lambda pk, user: accept(pk, user=user, early_start_consent=payload.early_start_consent),
    )


@router.post(
    "/supplements/{supplement_id}/decline",
    response={200: SupplementOut, 404: ErrorOut, 409: ErrorOut, 422: dict},
    auth=required_auth,
    tags=["journey"],
)
def decline_supplement(request, supplement_id: int):
    """The homeowner declines a supplement: the order goes on without it, the office is told."""
    from jobs.supplements import decline_supplement as decline

    return _decide(request, supplement_id, decline)


@router.post(
    "/supplements/{supplement_id}/retract",
    response={200: SupplementOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    auth=required_auth,
    tags=["journey"],
)
def retract_supplement(request, supplement_id: int):
    """Office staff take back an open supplement; a decided one gets 409."""
    from jobs.supplements import retract_supplement as retract

    if not is_office(request.user):
        raise HttpError(403, _("Only office staff take supplements back."))
    supplement = get_object_or_404(Supplement, pk=supplement_id)
    retract(supplement, by=request.user)
    return _supplement_rows(supplement.package).get(pk=supplement.pk)
