"""Writes to the package catalogue."""

from datetime import timedelta
from decimal import Decimal
from graphlib import CycleError, TopologicalSorter

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from jobs.models import (
    Package,
    PackageTemplate,
    Quote,
    QuoteLine,
    Request,
    Task,
    TaskDependency,
    TemplateDependency,
    TemplateParameter,
    TemplateTask,
)
from jobs.quotes import PricedLine, Pricing, stored_lines, totals
from trades.models import Certification, Trade
from trades.selectors import area_served
from zunft.core.language import active_language
from zunft.core.realtime import emit
from zunft.core.units import Unit, parse_unit, unknown_unit

# A revision's "leave this as it was" where ``None`` means "none" (the promised date).
KEEP = object()


class _Errors(dict):
    def add(self, field: str, message: str) -> None:
        self.setdefault(field, []).append(message)


def check_template(
    parameters: list[dict], tasks: list[dict], dependencies: list[dict], kind: str = "package"
) -> None:
    """Reject a template that could never be planned or priced, naming what is wrong:
    unknown trades, certifications or parameters, a certification the trade cannot require,
    bounds that do not hold, durations that are not positive, cyclic precedence, and a
    single-trade job with tasks of several trades."""
    errors = _Errors()
    if kind == PackageTemplate.Kind.SINGLE_TRADE and len({t["trade"] for t in tasks}) > 1:
        errors.add("tasks", _("A single-trade job has the tasks of one trade only."))
    params = {p["code"]: p for p in parameters}
    _check_parameters(parameters, params, errors)
    trades = {t.code: t for t in Trade.objects.prefetch_related("certifications")}
    if not tasks:
        errors.add("tasks", _("A package needs at least one task."))
    codes = [t["code"] for t in tasks]
    if len(set(codes)) != len(codes):
        errors.add("tasks", _("Task codes must be unique."))
    for task in tasks:
        _check_task(task, params, trades, errors)
    _check_precedence(codes, dependencies, errors)
    if errors:
        raise ValidationError(dict(errors))


def _check_parameters(parameters, params, errors: _Errors) -> None:
    if len(params) != len(parameters):
        errors.add("parameters", _("Parameter codes must be unique."))
    for code, p in params.items():
        if p["minimum"] < 0:
            errors.add(f"parameters.{code}", _("Parameters cannot be negative."))
        if not (p["minimum"] <= p["default"] <= p["maximum"]):
            errors.add(f"parameters.{code}", _("The default must lie between minimum and maximum."))
        if parse_unit(p.get("unit", "")) is None:
            errors.add(f"parameters.{code}", unknown_unit(p["unit"]))


def _check_task(task: dict, params: dict, trades: dict, errors: _Errors) -> None:
    field = f"tasks.{task['code']}"
    trade = trades.get(task["trade"])
    if trade is None:
        errors.add(field, _("Unknown trade %s.") % task["trade"])
    cert = task.get("required_certification")
    if cert and trade and cert not in {c.code for c in trade.certifications.all()}:
        errors.add(
            field,
            _("The trade %(trade)s cannot require %(cert)s.") % {"trade": trade.code, "cert": cert},
        )
    if task.get("crew_size", 1) < 1:
        errors.add(field, _("A crew has at least one person."))
    rates = {**(task.get("duration_per_unit") or {}), **(task.get("material_per_unit") or {})}
    unknown = sorted(set(rates) - set(params))
    if unknown:
        errors.add(field, _("Unknown parameter %s.") % ", ".join(unknown))
    if any(Decimal(str(rate)) < 0 for rate in rates.values()):
        errors.add(field, _("Rates per unit cannot be negative."))
    if Decimal(task.get("duration_base_hours", 0)) < 0:
        errors.add(field, _("Durations cannot be negative."))
    if field in errors:
        return
    hours = Decimal(task.get("duration_base_hours", 0)) + sum(
        (
            Decimal(str(rate)) * Decimal(params[code]["default"])
            for code, rate in (task.get("duration_per_unit") or {}).items()
        ),
        Decimal(0),
    )
    if hours <= 0:
        errors.add(field, _("The task takes no time with the default parameters."))


def _check_precedence(codes: list[str], dependencies: list[dict], errors: _Errors) -> None:
    graph: dict[str, set[str]] = {code: set() for code in codes}
    for dep in dependencies:
        pred, succ = dep["predecessor"], dep["successor"]
        if pred not in graph or succ not in graph:
            errors.add(
                "dependencies",
                _("A dependency names an unknown task: %(p)s → %(s)s") % {"p": pred, "s": succ},
            )
        elif pred == succ:
            errors.add("dependencies", _("A task cannot wait for itself: %s") % pred)
        else:
            graph[succ].add(pred)
    try:
        tuple(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        cycle = " → ".join(exc.args[1])
        errors.add("dependencies", _("The tasks wait for each other in a circle: %s") % cycle)


@transaction.atomic
def save_template(data: dict, parameters, tasks, dependencies, template=None) -> PackageTemplate:
    """Create or replace a package template with its parameters, tasks and dependencies, after
    ``check_template``. Replacing keeps the template's id."""
    kind = data.get("kind") or (template.kind if template else PackageTemplate.Kind.PACKAGE)
    check_template(parameters, tasks, dependencies, kind=kind)
    template = template or PackageTemplate()
    for field, value in data.items():
        setattr(template, field, value)
    template.full_clean()
    template.save()
    template.parameters.all().delete()
    template.dependencies.all().delete()
    template.tasks.all().delete()
    for position, p in enumerate(parameters):
        unit = parse_unit(p.get("unit", ""))
        TemplateParameter.objects.create(
            template=template, position=position, **{**p, "unit": unit}
        )
    trades = {t.code: t for t in Trade.objects.all()}
    certs = {c.code: c for c in Certification.objects.all()}
    created = {}
    for position, t in enumerate(tasks):
        fields = {k: v for k, v in t.items() if k not in ("trade", "required_certification")}
        created[t["code"]] = TemplateTask.objects.create(
            template=template,
            position=position,
            trade=trades[t["trade"]],
            required_certification=certs.get(t.get("required_certification") or ""),
            **fields,
        )
    for dep in dependencies:
        TemplateDependency.objects.create(
            template=template,
            predecessor=created[dep["predecessor"]],
            successor=created[dep["successor"]],
            lag_hours=dep.get("lag_hours", 0),
        )
    return template


def check_parameters(template: PackageTemplate, values: dict) -> dict[str, Decimal]:
    """The template's parameter values from user input: defaults filled in, bounds and whole
    numbers enforced; a ``ValidationError`` names each bad parameter."""
    errors = _Errors()
    clean: dict[str, Decimal] = {}
    for p in template.parameters.all():
        raw = values.get(p.code, p.default)
        try:
            value = Decimal(str(raw))
        except ArithmeticError:
            errors.add(f"parameters.{p.code}", _("Enter a number."))
            continue
        if p.kind == TemplateParameter.Kind.INTEGER and value != value.to_integral_value():
            errors.add(f"parameters.{p.code}", _("Enter a whole number."))
        if not (p.minimum <= value <= p.maximum):
            errors.add(
                f"parameters.{p.code}",
                _("Enter a value between %(min)s and %(max)s %(unit)s.")
                % {"min": p.minimum, "max": p.maximum, "unit": p.get_unit_display()},
            )
        clean[p.code] = value
    unknown = sorted(set(values) - {p.code for p in template.parameters.all()})
    if unknown:
        errors.add("parameters", _("Unknown parameter: %s") % ", ".join(unknown))
    if errors:
        raise ValidationError(dict(errors))
    return clean


@transaction.atomic
def book_package(
    *,
    customer,
    site,
    template: PackageTemplate,
    values: dict,
    earliest_start,
    blocked_days=(),
    promised_date=None,
    status=Package.Status.DRAFT,
    today=None,
) -> Package:
    """Create a package from a catalogue template for ``site``: tasks with their durations and
    material for the given parameters, and the template's precedence with drying lags."""
    from django.utils import timezone

    today = today or timezone.localdate()
    if site.customer_id != customer.pk:
        raise ValidationError({"site": _("The site belongs to another customer.")})
    if earliest_start < today:
        raise ValidationError({"earliest_start": _("The start cannot lie in the past.")})
    if promised_date is not None and promised_date < earliest_start:
        raise ValidationError({"promised_date": _("The completion lies before the start.")})
    if any(day < today for day in blocked_days):
        raise ValidationError({"blocked_days": _("Blocked days cannot lie in the past.")})
    clean = check_parameters(template, values)
    package = Package.objects.create(
        customer=customer,
        site=site,
        template=template,
        title=template.name_de,
        status=status,
        parameters=clean,
        earliest_start=earliest_start,
        promised_date=promised_date,
        blocked_days=sorted(set(blocked_days)),
    )
    tasks = {}
    for t in template.tasks.select_related("trade", "required_certification"):
        hours = t.duration_hours(clean)
        if hours <= 0:
            continue  # nothing to do at these values (e.g. 0 shutters)
        tasks[t.pk] = Task.objects.create(
            package=package,
            template_task=t,
            code=t.code,
            name_de=t.name_de,
            name_en=t.name_en,
            trade=t.trade,
            required_certification=t.required_certification,
            crew_size=t.crew_size,
            duration_hours=hours,
            material_cost=t.material_cost(clean).quantize(Decimal("0.01")),
            position=t.position,
        )
    if not tasks:
        raise ValidationError({"parameters": _("With these values there is no work to do.")})
    TaskDependency.objects.bulk_create(
        TaskDependency(
            package=package, predecessor=tasks[pred], successor=tasks[succ], lag_hours=lag
        )
        for (pred, succ), lag in _bridged_dependencies(template, set(tasks)).items()
    )
    return package


def _bridged_dependencies(template, kept: set[int]) -> dict[tuple[int, int], int]:
    """The template's precedence among the kept tasks. A dropped task passes its constraints
    on: its predecessors precede its successors, with the longer waiting time."""
    after: dict[int, list[tuple[int, int]]] = {}
    for d in template.dependencies.all():
        after.setdefault(d.predecessor_id, []).append((d.successor_id, d.lag_hours))
    result: dict[tuple[int, int], int] = {}

    def walk(origin: int, node: int, lag: int) -> None:
        for succ, extra in after.get(node, []):
            if succ in kept:
                result[(origin, succ)] = max(result.get((origin, succ), 0), max(lag, extra))
            else:
                walk(origin, succ, max(lag, extra))

    for origin in kept:
        walk(origin, origin, 0)
    return result


WITHDRAWAL_DAYS = 14  # §355 Abs. 2 BGB


def needs_early_start_consent(quote: Quote, today) -> bool:
    """Whether a consumer must agree to work starting inside the withdrawal period
    (§356 Abs. 4 BGB): the one rule the quote page, the API and acceptance share. The period
    is the one a withdrawal is measured by, accepted today."""
    from jobs.withdrawal import withdrawal_deadline

    return (
        quote.package.customer.kind == quote.package.customer.Kind.PRIVATE
        and quote.start_date is not None
        and quote.start_date <= withdrawal_deadline(today)
    )


def store_quote(
    package: Package,
    pricing,
    *,
    today,
    note: str = "",
    status: str = Quote.Status.OPEN,
    accepted_at=None,
    promised_date=None,
) -> Quote:
    """``pricing`` (a ``jobs.quotes.Pricing``) stored as the package's next quote version with
    its lines, valid from ``today``; earlier open versions are superseded. The caller holds the
    package row's lock."""
    from django.conf import settings

    last = package.quotes.order_by("-version").first()
    package.quotes.filter(status=Quote.Status.OPEN).update(status=Quote.Status.SUPERSEDED)
    quote = Quote.objects.create(
        package=package,
        version=(last.version + 1) if last else 1,
        status=status,
        valid_until=today + timedelta(days=settings.QUOTE_VALID_DAYS),
        net=pricing.net,
        vat=pricing.vat,
        gross=pricing.gross,
        labour_gross=pricing.labour_gross,
        tax_reduction=pricing.tax_reduction,
        start_date=pricing.start,
        completion_date=pricing.completion,
        promised_date=promised_date,
        note=note,
        accepted_at=accepted_at,
    )
    QuoteLine.objects.bulk_create(stored_lines(QuoteLine, pricing.lines, quote=quote))
    return quote


@transaction.atomic
def create_quote(package: Package, *, today=None, note: str = "") -> Quote:
    """Price the package from the planner's tentative schedule and store it as the next quote
    version; earlier open versions are superseded. Locks the package row."""
    from django.utils import timezone

    from jobs.quotes import price, tentative_schedule

    package = Package.objects.select_for_update().get(pk=package.pk)
    today = today or timezone.localdate()
    pricing = price(package, tentative_schedule(package))
    # A package booked with a promised date (through the API) offers that promise.
    quote = store_quote(
        package, pricing, today=today, note=note, promised_date=package.promised_date
    )
    if package.status == Package.Status.DRAFT:
        package.status = Package.Status.QUOTED
        package.save(update_fields=["status"])
    emit(
        [f"package.{package.pk}", "office"],
        "quote.created",
        {"package": package.pk, "quote": quote.pk, "version": quote.version},
    )
    return quote


@transaction.atomic
def submit_request(
    *,
    user,
    template: PackageTemplate,
    values: dict,
    site: dict,
    contact: dict,
    earliest_start,
    blocked_days=(),
    description: str = "",
    today=None,
    located=None,
) -> Request:
    """The wizard's result: the homeowner's customer record and site (geocoded, or ``located``
    beforehand by :func:`customers.services.locate_address`), a package from the template, and
    an instant quote — all or nothing."""
    from customers.models import Customer
    from customers.services import save_customer, save_site

    customer = Customer.objects.filter(user=user).first()
    if customer is not None:
        _remember_language(customer.pk)
    else:
        customer = save_customer(
            {
                "user": user,
                "kind": Customer.Kind.PRIVATE,
                "language": active_language(),
                "first_name": contact.get("first_name", ""),
                "last_name": contact.get("last_name", ""),
                "email": user.email,
                "phone": contact.get("phone", ""),
                "street": site["street"],
                "postal_code": site["postal_code"],
                "city": site["city"],
            }
        )
    site_obj = save_site(customer, dict(site), located=located)
    if not area_served(site_obj.location):
        raise ValidationError(
            {
                "postal_code": _(
                    "No member of the cooperative works at %(code)s %(city)s yet, so we "
                    "cannot take this request."
                )
                % {"code": site_obj.postal_code, "city": site_obj.city}
            }
        )
    package = book_package(
        customer=customer,
        site=site_obj,
        template=template,
        values=values,
        earliest_start=earliest_start,
        blocked_days=blocked_days,
        today=today,
    )
    request = Request.objects.create(
        customer=customer,
        site=site_obj,
        template=template,
        parameters=package.parameters,
        earliest_start=earliest_start,
        blocked_days=list(blocked_days),
        description=description,
        package=package,
        status=Request.Status.QUOTED,
    )
    create_quote(package, today=today)
    return request


def _homeowners_quote(quote_id: int, *, version: int, user) -> tuple[Quote, Package]:
    """The quote its homeowner decides on, and its package row locked (accept and decline lock
    alike, so a quote is never both). Someone else's quote does not exist; another version
    than the one seen is a ``Conflict``."""
    from zunft.core.errors import Conflict

    quote = Quote.objects.select_related("package__customer").get(pk=quote_id)
    package = Package.objects.select_for_update().get(pk=quote.package_id)
    quote.refresh_from_db()
    if package.customer.user_id != user.pk:
        raise Quote.DoesNotExist
    if quote.version != version:
        raise Conflict(_("This is not the version you saw; please look at the current quote."))
    return quote, package


@transaction.atomic
def accept_quote(
    quote_id: int, *, version: int, user, early_start_consent: bool = False, today=None
) -> Quote:
    """Accept a quote: the contract. Idempotent for the same version (a second tab gets the
    same answer); an outdated, expired or foreign quote is refused. Locks the package row so two
    acceptances at once make one contract. Accepting commits the package to the planner, which
    re-plans and sends the dispatch offers.

    For consumers the start may fall inside the 14-day withdrawal period (§356 Abs. 4 BGB) only
    with their explicit consent, which is recorded."""
    from django.utils import timezone

    from zunft.core.errors import Conflict
    from zunft.core.models import Consent

    today = today or timezone.localdate()
    quote, package = _homeowners_quote(quote_id, version=version, user=user)
    if quote.status == Quote.Status.ACCEPTED:
        return quote
    if quote.status == Quote.Status.DECLINED:
        raise Conflict(_("You declined this quote."))
    if quote.status != Quote.Status.OPEN:
        raise Conflict(_("This quote has been replaced by a newer version."))
    if quote.expired(today):
        raise ValidationError(
            {
                "quote": _("This quote expired on %s.")
                % date_format(quote.valid_until, "SHORT_DATE_FORMAT")
            }
        )
    if needs_early_start_consent(quote, today) and not early_start_consent:
        raise ValidationError(
            {
                "early_start_consent": _(
                    "Work would start within your 14-day withdrawal period: please tick the box "
                    "to agree to the early start, or write to us if you want a later start."
                )
            }
        )
    quote.status = Quote.Status.ACCEPTED
    quote.accepted_at = timezone.now()
    quote.accepted_by = user
    quote.early_start_consent = early_start_consent
    quote.save(update_fields=["status", "accepted_at", "accepted_by", "early_start_consent"])
    Consent.objects.record(user, Consent.Kind.WITHDRAWAL_NOTICE, f"quote {quote.pk}")
    if early_start_consent:
        Consent.objects.record(user, Consent.Kind.EARLY_START, f"quote {quote.pk}")
    package.status = Package.Status.ACCEPTED
    # The promise the homeowner accepted (or none): the planner aims for it, the board measures
    # by it.
    package.promised_date = quote.promised_date
    # The planner listens (scheduling.signals).
    package.save(update_fields=["status", "promised_date"])
    Request.objects.filter(package=package).update(status=Request.Status.ACCEPTED)
    _remember_language(package.customer_id)
    emit(
        [f"package.{package.pk}", "office"],
        "quote.accepted",
        {"package": package.pk, "quote": quote.pk, "version": quote.version},
    )
    transaction.on_commit(lambda: confirm_order(quote), robust=True)
    return quote


def _remember_language(customer_id: int) -> None:
    """Later mails to the homeowner (a revised quote, the office's messages) are written in the
    language they last decided in."""
    from customers.models import Customer

    language = active_language()
    Customer.objects.filter(pk=customer_id).exclude(language=language).update(language=language)


@transaction.atomic
def decline_quote(quote_id: int, *, version: int, user) -> Quote:
    """The homeowner says no: the quote is declined, the package cancelled, the request closed,
    and the office is told. Idempotent for the same version; an accepted or replaced quote is
    refused (``Conflict``), a foreign one does not exist. Locks the package row, as accepting
    does, so a quote is never both."""
    from zunft.core.errors import Conflict

    quote, package = _homeowners_quote(quote_id, version=version, user=user)
    if quote.status == Quote.Status.DECLINED:
        return quote
    if quote.status != Quote.Status.OPEN:
        raise Conflict(_("This quote can no longer be declined."))
    from django.utils import timezone

    quote.status = Quote.Status.DECLINED
    quote.declined_at = timezone.now()
    quote.save(update_fields=["status", "declined_at"])
    package.status = Package.Status.CANCELLED
    package.save(update_fields=["status"])
    Request.objects.filter(package=package).update(status=Request.Status.DECLINED)
    emit(
        [f"package.{package.pk}", "office"],
        "quote.declined",
        {"package": package.pk, "quote": quote.pk, "version": quote.version},
    )
    return quote


def confirm_order(quote: Quote) -> None:
    """The order confirmation on a durable medium (§ 312f BGB): a mail to the homeowner with the
    accepted quote as PDF, which states when and how it was accepted and any consent to an early
    start. In the language the homeowner accepted in."""
    from django.conf import settings
    from django.core.mail import EmailMessage

    from jobs.privacy import quote_document

    package = quote.package
    email = package.customer.email or (quote.accepted_by.email if quote.accepted_by else "")
    if not email:
        return
    lines = [
        _("Thank you for your order. We confirm it as follows:"),
        "",
        f"{package.name} ({_('quote')} {package.pk}-{quote.version})",
    ]
    if quote.start_date:
        lines.append(
            _("Planned start: %(start)s; earliest completion: %(end)s")
            % {
                "start": date_format(quote.start_date, "SHORT_DATE_FORMAT"),
                "end": date_format(quote.completion_date, "SHORT_DATE_FORMAT")
                if quote.completion_date
                else "–",
            }
        )
    if quote.promised_date:
        lines.append(
            _("We promise completion by %(date)s.")
            % {"date": date_format(quote.promised_date, "SHORT_DATE_FORMAT")}
        )
    if quote.early_start_consent:
        lines.append(
            _(
                "You asked us to start before your withdrawal period ends; if you withdraw, "
                "you pay for the work done until then."
            )
        )
    lines += [
        "",
        _("The quote you accepted, with the withdrawal notice, is attached."),
        _("Your order online: %(url)s")
        % {"url": settings.SITE_URL + reverse("package", args=[package.pk])},
    ]
    if package.customer.kind == package.customer.Kind.PRIVATE:
        lines.append(
            _("To withdraw from the contract: %(url)s")
            % {"url": settings.SITE_URL + reverse("jobs:withdrawal", args=[package.pk])}
        )
    message = EmailMessage(
        _("Order confirmation: %(title)s") % {"title": package.name},
        "\n".join(lines),
        None,
        [email],
    )
    document = quote_document(quote)  # the PDF comes from invoicing (jobs does not import it)
    if document is not None:
        filename, mimetype, content = document
        message.attach(filename, content, mimetype)
    message.send()


class LoginFirst(Exception):
    """A visitor who is not logged in asked with the address of an existing homeowner account.
    Nothing is filed: whoever typed it has not shown the address is theirs, and a request filed
    to that account would show in its orders, carry its name and home on the quote, and hold up
    its erasure. Its owner logs in (``user``) and asks again."""

    def __init__(self, user):
        super().__init__(user.pk)
        self.user = user


def request_quote(*, user, contact: dict, privacy_consent: bool, **request_fields) -> Request:
    """The portal's front door: the homeowner's account (created on first contact; logged-in
    users keep theirs), the recorded privacy consent, the request with its instant quote, and
    — for a new visitor — a login code by mail after commit. All or nothing. A visitor not
    logged in who gives the address of an existing account gets ``LoginFirst``. The site is
    located first: an online geocoder may take seconds, and no transaction waits for it."""
    from customers.services import locate_address

    if not privacy_consent:
        raise ValidationError({"privacy_consent": _("Please accept the privacy notice.")})
    site = request_fields["site"]
    located = None
    if site.get("latitude") is None or site.get("longitude") is None:  # not a pin of hers
        located = locate_address(site["street"], site["postal_code"], site["city"])
    with transaction.atomic():
        return _request_quote(user=user, contact=contact, located=located, **request_fields)


def _request_quote(*, user, contact: dict, located, **request_fields) -> Request:
    from zunft.core.login import homeowner_for_email, send_login_code
    from zunft.core.models import Consent, User

    anonymous = not getattr(user, "is_authenticated", False)
    if anonymous:
        known = User.objects.filter(
            email__iexact=contact["email"].strip(), role=User.Role.HOMEOWNER
        ).first()
        if known is not None:
            raise LoginFirst(known)
        user, _created = homeowner_for_email(
            contact["email"],
            first_name=contact.get("first_name", ""),
            last_name=contact.get("last_name", ""),
        )
    created = submit_request(user=user, contact=contact, located=located, **request_fields)
    Consent.objects.record(user, Consent.Kind.PRIVACY)
    if anonymous:
        # the mailed link opens the quote, where the homeowner accepts it
        quote = created.package.quotes.order_by("-version").first()
        back = reverse("jobs:quote", args=[quote.pk]) if quote else reverse("jobs:my-orders")
        transaction.on_commit(lambda: send_login_code(user, next_url=back))
    return created


# Once the homeowner has accepted, the quote is the contract: later changes are supplements.
REVISABLE_STATUSES = (Package.Status.DRAFT, Package.Status.QUOTED)


@transaction.atomic
def revise_quote(
    package: Package,
    *,
    lines: list[dict],
    start_date=None,
    completion_date=None,
    promised_date=KEEP,
    note: str = "",
    by=None,
    today=None,
) -> Quote:
    """The office's revision: a new quote version with the given lines (text, trade, kind,
    quantity, unit, unit price) and dates; the previous open version is superseded, the
    homeowner is told by mail and live, and ``quote_changes`` shows what changed.

    ``promised_date`` is the binding completion promise: ``None`` offers none, ``KEEP`` (the
    default) keeps the previous version's. A line's trade is one of ``quotable_trades`` (or the
    one it had in the previous version). Refused input raises one ``ValidationError`` with every
    error, each under the field it names (``lines.<n>.<field>``, lines counted from 1, or a
    date). Takes the package's row lock."""
    from django.conf import settings
    from django.core.mail import send_mail
    from django.utils import timezone

    package = Package.objects.select_for_update().get(pk=package.pk)
    if package.status not in REVISABLE_STATUSES:
        raise ValidationError(
            {
                "package": _(
                    "An accepted order is changed by a supplement, not by revising its quote."
                )
            }
        )
    if not lines:
        raise ValidationError({"lines": _("A quote needs at least one line.")})
    today = today or timezone.localdate()
    last = package.quotes.order_by("-version").first()
    errors = {}  # all at once: the lines' and the dates', so nothing turns up after a fix
    try:
        start_date, completion_date, promised_date = _revision_dates(
            last, start_date, completion_date, promised_date, today
        )
    except ValidationError as error:
        errors.update(error.error_dict)
    # Units typed before the vocabulary existed (kept by its migration) may stay on their lines,
    # and so may trades typed when the trade was free text.
    kept_lines = list(last.lines.values_list("unit", "trade")) if last else []
    typed = {unit for unit, _trade in kept_lines if unit not in Unit.values}
    trades = quotable_trades() | {trade for _unit, trade in kept_lines}
    priced = []
    for i, line in enumerate(lines, start=1):
        quantity, unit_price = Decimal(str(line["quantity"])), Decimal(str(line["unit_price"]))
        unit = parse_unit(line["unit"]) or (line["unit"] if line["unit"] in typed else None)
        trade = line.get("trade", "")
        if quantity <= 0 or unit_price < 0:
            errors[f"lines.{i}"] = [_("Quantity must be positive, price not negative.")]
        if not unit:
            errors[f"lines.{i}.unit"] = [unknown_unit(line["unit"])]
        if trade not in trades:
            errors[f"lines.{i}.trade"] = [unknown_trade(trade)]
        priced.append(PricedLine(line["kind"], trade, line["text"], quantity, unit, unit_price))
    if errors:
        raise ValidationError(errors)
    net, vat, labour_gross, reduction = totals((line.kind, line.net) for line in priced)
    pricing = Pricing(
        lines=priced,
        net=net,
        vat=vat,
        gross=net + vat,
        labour_gross=labour_gross,
        tax_reduction=reduction,
        start=start_date,
        completion=completion_date,
    )
    quote = store_quote(package, pricing, today=today, note=note, promised_date=promised_date)
    payload = {"package": package.pk, "quote": quote.pk, "version": quote.version}
    emit([f"package.{package.pk}", "office"], "quote.revised", payload)
    customer = package.customer
    if customer.email:
        # The office revises in its language; the homeowner reads in theirs.
        with translation.override(customer.language):
            subject = _("Your quote has been updated")
            text = _(
                "We have revised your quote for %(title)s (version %(version)s). "
                "You can see what changed here: %(url)s"
            ) % {
                "title": package.name,
                "version": quote.version,
                "url": settings.SITE_URL + reverse("jobs:quote", args=[quote.pk]),
            }
        transaction.on_commit(lambda: send_mail(subject, text, None, [customer.email]))
    return quote


def check_revision_dates(
    package: Package, *, start_date=None, completion_date=None, promised_date=KEEP, today=None
) -> None:
    """Refuse the dates ``revise_quote`` would refuse for this package (no lock: the form's
    early check, so that the dates' errors come with the lines')."""
    from django.utils import timezone

    last = package.quotes.order_by("-version").first()
    _revision_dates(last, start_date, completion_date, promised_date, today or timezone.localdate())


def quotable_trades() -> set[str]:
    """The trades a quote line may name: the cooperative's, by the German name the instant quote
    writes (the quote page groups and translates its lines by it), and "" for the cooperative's
    own lines such as the coordination fee."""
    return {"", *Trade.objects.values_list("name_de", flat=True)}


def unknown_trade(text: str) -> str:
    """The error for a trade the cooperative does not have, listing the ones it has."""
    return _("“%(trade)s” is not one of the cooperative's trades; use one of: %(trades)s.") % {
        "trade": text,
        "trades": ", ".join(sorted(quotable_trades() - {""})),
    }


def _revision_dates(last: Quote | None, start_date, completion_date, promised_date, today):
    """A revision's start, earliest completion and promise, each checked. A start or completion
    left empty stays as it was (and ``KEEP`` keeps the promise); so resolved, they lie ahead
    and in order."""
    start_date = start_date or (last.start_date if last else None)
    completion_date = completion_date or (last.completion_date if last else None)
    kept = promised_date is KEEP
    if kept:
        promised_date = last.promised_date if last else None
        if promised_date and promised_date < today:
            promised_date = None  # a promise left as it was and passed since is not offered again
    if start_date and start_date < today:
        raise ValidationError({"start_date": _("The start cannot lie in the past.")})
    if completion_date and completion_date < today:
        raise ValidationError({"completion_date": _("The completion cannot lie in the past.")})
    if completion_date and start_date and completion_date < start_date:
        raise ValidationError({"completion_date": _("The completion lies before the start.")})
    if promised_date and promised_date < today:
        raise ValidationError({"promised_date": _("The promised date cannot lie in the past.")})
    earliest = completion_date or start_date
    if promised_date and earliest and promised_date < earliest:
        # Promising what the plan cannot reach would mark the order late on the day it is taken.
        date = date_format(earliest, "SHORT_DATE_FORMAT")
        message = (
            _(
                "The promise kept from version %(version)s (%(promise)s) lies before the new "
                "earliest completion (%(date)s): promise a later date, or none."
            )
            % {
                "version": last.version,
                "promise": date_format(promised_date, "SHORT_DATE_FORMAT"),
                "date": date,
            }
            if kept
            else _("The promised date lies before the earliest completion (%(date)s).")
            % {"date": date}
        )
        raise ValidationError({"promised_date": message})
    return start_date, completion_date, promised_date


def quote_changes(old: Quote, new: Quote) -> dict:
    """What changed between two versions: lines added, removed or changed (by text: quantity,
    price or trade, the group the quote shows it in), totals and dates — for the homeowner to see
    at a glance."""
    before = {line.text: line for line in old.lines.all()}
    after = {line.text: line for line in new.lines.all()}
    changed = [
        {
            "text": text,
            "before": before[text].net,
            "after": after[text].net,
            "trade_before": before[text].trade,
            "trade_after": after[text].trade,
        }
        for text in before.keys() & after.keys()
        if (before[text].quantity, before[text].unit_price, before[text].trade)
        != (after[text].quantity, after[text].unit_price, after[text].trade)
    ]
    return {
        "added": [after[text] for text in after.keys() - before.keys()],
        "removed": [before[text] for text in before.keys() - after.keys()],
        "changed": sorted(changed, key=lambda c: c["text"]),
        "gross": (old.gross, new.gross),
        "completion": (old.completion_date, new.completion_date),
        "promised": (old.promised_date, new.promised_date),
        "start": (old.start_date, new.start_date),
    }


@transaction.atomic
def set_photo_consent(package: Package, *, user, public: bool) -> Package:
    """The homeowner allows (or withdraws) showing photos of the finished work in the public
    member directory, without address or names. Only the package's homeowner decides; a grant
    is recorded as a consent with its time, a withdrawal takes effect at once."""
    from django.utils import timezone

    from zunft.core.models import Consent

    package = (
        Package.objects.select_for_update(of=("self",))
        .select_related("customer")
        .get(pk=package.pk)
    )
    if package.customer.user_id != getattr(user, "pk", None):
        raise Package.DoesNotExist
    if package.photos_public == public:
        return package
    package.photos_public = public
    package.photos_public_since = timezone.now() if public else None
    package.save(update_fields=["photos_public", "photos_public_since"])
    if public:
        Consent.objects.record(user, Consent.Kind.PHOTO_PUBLICATION, f"package {package.pk}")
    return package
