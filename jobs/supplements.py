"""Supplements to accepted orders (Nachträge).

Work found necessary on site (a rotten beam behind the tiles, a second circuit the old board
cannot carry) changes an accepted order. The office writes it up as a supplement: the reason
and each piece of work with its trade, hours, crew and material, priced at the rates the
homeowner already accepted for that trade. The homeowner accepts or declines it on her order
page; accepted, its work joins the package as tasks (after and before the tasks the office
named), the planner places it (``supplement_accepted``), and the invoice bills it with the rest.
Nothing of it is planned or billed before she says yes.
"""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Sum
from django.dispatch import Signal
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from jobs.models import (
    Package,
    Quote,
    QuoteLine,
    Supplement,
    SupplementLine,
    SupplementTask,
    Task,
    TaskDependency,
)
from jobs.quotes import (
    TAX_REDUCTION_CAP,
    PricedLine,
    coordination_fee,
    material_line,
    stored_lines,
    totals,
)
from trades.models import Trade, WorkshopTrade
from trades.selectors import workshops_serving
from zunft.core.errors import Conflict
from zunft.core.money import format_money, format_number, round_money
from zunft.core.realtime import emit
from zunft.core.units import Unit

#: Sent inside the acceptance's transaction with ``package`` and ``supplement``: the planner
#: places the new tasks.
supplement_accepted = Signal()

#: A supplement waits for the homeowner no longer than this: the work on site waits with it.
VALID_DAYS = 14
MAX_HOURS = Decimal(500)
MAX_CREW = 10
#: The order is running: a supplement changes it. Before, the quote is revised; after, it is done.
OPEN_FOR_SUPPLEMENTS = (Package.Status.ACCEPTED, Package.Status.IN_PROGRESS)
#: Where a new task may be placed before: work not begun, and not yet accepted by a worker (the
#: planner keeps an accepted appointment where it is, so new work could not fit in before it).
NOT_BEGUN = (Task.Status.OPEN, Task.Status.PLANNED)


def supplementable(package: Package) -> str:
    """Why no supplement can be made to ``package`` now, or "" if one can."""
    if package.withdrawn_at:
        return _("The homeowner withdrew from this contract.")
    if package.status in (Package.Status.DRAFT, Package.Status.QUOTED):
        return _("The order is not accepted yet: revise its quote instead.")
    if package.status not in OPEN_FOR_SUPPLEMENTS:
        return _("The order is %(status)s: extra work is a new request.") % {
            "status": package.get_status_display()
        }
    return ""


def _accepted_labour(package: Package) -> list[tuple[str, str, Decimal]]:
    """``(trade, text, unit price)`` of the labour lines the homeowner accepted for this package:
    its accepted quote's and those of accepted supplements."""
    return list(
        QuoteLine.objects.filter(
            quote__package=package,
            quote__status=Quote.Status.ACCEPTED,
            kind=QuoteLine.Kind.LABOUR,
        ).values_list("trade", "text", "unit_price")
    ) + list(
        SupplementLine.objects.filter(
            supplement__package=package,
            supplement__status=Supplement.Status.ACCEPTED,
            kind=SupplementLine.Kind.LABOUR,
        ).values_list("trade", "text", "unit_price")
    )


def agreed_rates(package: Package) -> dict[str, Decimal]:
    """Hourly rate per trade (German name, as lines store it) the homeowner accepted for this
    package: the dearest of its accepted labour lines of that trade."""
    rates: dict[str, Decimal] = {}
    for trade, _text, rate in _accepted_labour(package):
        rates[trade] = max(rate, rates.get(trade, rate))
    return rates


def agreed_task_rates(package: Package) -> dict[tuple[str, str | None], Decimal]:
    """Hourly rate the homeowner accepted per piece of work, keyed by ``(trade, task name)`` in
    German as the labour lines name them (a quote line per task, a supplement line per piece,
    which becomes a task of that name); two pieces of one name and trade: the lower rate. Under
    ``(trade, None)`` the trade's rate when all its accepted lines agree on one, for a task
    whose line the office renamed."""
    rates: dict[tuple[str, str | None], Decimal] = {}
    per_trade: dict[str, set[Decimal]] = {}
    for trade, text, rate in _accepted_labour(package):
        rates[(trade, text)] = min(rate, rates.get((trade, text), rate))
        per_trade.setdefault(trade, set()).add(rate)
    for trade, seen in per_trade.items():
        if len(seen) == 1:
            rates[(trade, None)] = seen.pop()
    return rates


def _rate(trade: Trade, agreed: dict[str, Decimal], site, certification=None) -> Decimal | None:
    """The rate a supplement charges for ``trade``: the one agreed for this order, or for a trade
    new to it the dearest of the members serving the site (the invoice bills the accepted rate,
    and the planner may give the work to any of them: none is paid less than its own rate).
    None when no member serves the site with the trade: the planner could not place the work."""
    serving = workshops_serving(site.location, trade, certification).values("pk")
    dearest = (
        WorkshopTrade.objects.filter(trade=trade, workshop__in=serving)
        .aggregate(rate=Max("hourly_rate"))
        .get("rate")
    )
    return None if dearest is None else agreed.get(trade.name_de, dearest)


def _dependency_map(package: Package) -> dict:
    """Each task's direct predecessors in the package's order of work."""
    predecessors: dict = {}
    for before, after in TaskDependency.objects.filter(package=package).values_list(
        "predecessor_id", "successor_id"
    ):
        predecessors.setdefault(after, set()).add(before)
    return predecessors


def _check_tasks(package: Package, tasks: list[dict]) -> tuple[list[dict], dict]:
    """The pieces of work as the service stores them, and every error under
    ``tasks.<n>.<field>`` (counted from 1)."""
    if not tasks:
        return [], {"tasks": [_("A supplement needs at least one piece of work.")]}
    trades = {t.code: t for t in Trade.objects.prefetch_related("certifications")}
    package_tasks = {t.pk: t for t in package.tasks.exclude(status=Task.Status.CANCELLED)}
    agreed = agreed_rates(package)
    predecessors = _dependency_map(package)
    errors: dict[str, list[str]] = {}
    clean = []
    for i, raw in enumerate(tasks, start=1):
        piece, piece_errors = _check_piece(raw, trades, agreed, package.site)
        after = package_tasks.get(int(raw["after"])) if raw.get("after") else None
        before = package_tasks.get(int(raw["before"])) if raw.get("before") else None
        if raw.get("after") and after is None:
            piece_errors["after"] = [_("Choose a task of this order.")]
        if raw.get("before") and before is None:
            piece_errors["before"] = [_("Choose a task of this order.")]
        else:
            problem = _place_problem(("new", i), after, before, predecessors)
            if problem:
                piece_errors["before"] = [problem]
        piece.update(after=after, before=before)
        errors.update({f"tasks.{i}.{field}": messages for field, messages in piece_errors.items()})
        clean.append(piece)
    return clean, errors


def _check_piece(raw: dict, trades: dict, agreed: dict, site) -> tuple[dict, dict]:
    errors: dict[str, list[str]] = {}
    name = (raw.get("name") or "").strip()
    if not name:
        errors["name"] = [_("Describe the work.")]
    elif len(name) > 150:
        errors["name"] = [_("At most 150 characters.")]
    trade = trades.get(raw.get("trade") or "")
    certification = None
    if trade is not None and raw.get("certification"):
        certification = next(
            (c for c in trade.certifications.all() if c.code == raw["certification"]), None
        )
        if certification is None:
            errors["certification"] = [
                _("Choose one of the certifications work of this trade may require.")
            ]
    rate = _rate(trade, agreed, site, certification) if trade else None
    if trade is None:
        errors["trade"] = [_("Choose one of the cooperative's trades.")]
    elif rate is None and certification is not None:
        errors["certification"] = [
            _("No member holding this certification does this trade at this site.")
        ]
    elif rate is None:
        errors["trade"] = [_("No member of the cooperative does this trade at this site.")]
    hours = Decimal(str(raw.get("duration_hours") or 0))
    if not Decimal(0) < hours <= MAX_HOURS:
        errors["duration_hours"] = [_("Between 0 and %(max)s hours.") % {"max": MAX_HOURS}]
    crew = int(raw.get("crew_size") or 1)
    if not 1 <= crew <= MAX_CREW:
        errors["crew_size"] = [_("Between 1 and %(max)s people.") % {"max": MAX_CREW}]
    material = Decimal(str(raw.get("material_cost") or 0))
    if material < 0:
        errors["material_cost"] = [_("The material cannot cost less than nothing.")]
    piece = {
        "name": name,
        "trade": trade,
        "certification": certification,
        "rate": rate,
        "duration_hours": hours,
        "crew_size": crew,
        "material_cost": round_money(material),
    }
    return piece, errors


def _earlier(task_id: int, predecessors: dict[int, set[int]]) -> set[int]:
    """Every task that must be done before ``task_id``, itself included."""
    seen, stack = {task_id}, [task_id]
    while stack:
        for pred in predecessors.get(stack.pop(), ()):
            if pred not in seen:
                seen.add(pred)
                stack.append(pred)
    return seen


def _place_problem(node, after: Task | None, before: Task | None, predecessors: dict) -> str:
    """Why the new work ``node`` cannot go after ``after`` and before ``before``, or "": the
    later task must not have begun or be accepted by a worker yet, and the order of work must
    not go round in a circle (also through other new work). A placed node joins
    ``predecessors``, so the next piece is checked against it."""
    if before is not None and before.status not in NOT_BEGUN:
        return _(
            "“%(task)s” has begun or is accepted by a worker already: new work cannot come "
            "before it."
        ) % {"task": before.name}
    if before is not None and after is not None and before.pk in _earlier(after.pk, predecessors):
        return _(
            "“%(before)s” comes before “%(after)s”: the new work cannot go after the one "
            "and before the other."
        ) % {"before": before.name, "after": after.name}
    if after is not None:
        predecessors.setdefault(node, set()).add(after.pk)
    if before is not None:
        predecessors.setdefault(before.pk, set()).add(node)
    return ""


def _price(work: list[dict]) -> list[PricedLine]:
    """Labour (hours × crew at the agreed rate) and material per piece of work, then the
    cooperative's coordination fee on them, as the instant quote prices."""
    lines: list[PricedLine] = []
    for piece in work:
        trade = piece["trade"].name_de
        lines.append(
            PricedLine(
                QuoteLine.Kind.LABOUR,
                trade,
                piece["name"],
                piece["duration_hours"] * piece["crew_size"],
                Unit.HOUR,
                piece["rate"],
            )
        )
        if piece["material_cost"]:
            lines.append(material_line(trade, piece["name"], piece["material_cost"]))
    return lines + coordination_fee(lines)


@transaction.atomic
def propose_supplement(package: Package, *, reason: str, tasks: list[dict], by=None, today=None):
    """The office's supplement to a running order: ``tasks`` are dicts with ``name``, ``trade``
    (a trade's code), ``duration_hours``, ``crew_size``, ``material_cost`` and optionally
    ``certification`` (the code of one the trade's work may require) and ``after``/``before``
    (ids of the package's tasks). Refused input raises one
    ``ValidationError`` with every error (``reason``, ``tasks.<n>.<field>``); an order that
    cannot take one is a ``Conflict``. The homeowner is told by mail and live. Locks the
    package row."""
    package = Package.objects.select_for_update(of=("self",)).get(pk=package.pk)
    why_not = supplementable(package)
    if why_not:
        raise Conflict(why_not)
    today = today or timezone.localdate()
    errors: dict[str, list[str]] = {}
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = [_("Tell the homeowner why the work is needed.")]
    elif len(reason) > 2000:
        errors["reason"] = [_("At most 2,000 characters.")]
    work, task_errors = _check_tasks(package, tasks)
    errors.update(task_errors)
    if errors:
        raise ValidationError(errors)
    lines = _price(work)
    net, vat, labour_gross, reduction = totals((line.kind, line.net) for line in lines)
    reduction = min(reduction, _reduction_left(package))
    # The same supplement sent again at once (a double click, a retried request) is the one
    # already sent, not a second one with a second mail.
    repeated = package.supplements.filter(
        status=Supplement.Status.OPEN,
        reason=reason,
        net=net,
        created_by=by,
        created_at__gte=timezone.now() - timedelta(minutes=2),
    ).first()
    if repeated is not None:
        return repeated
    last = package.supplements.aggregate(n=Max("number"))["n"] or 0
    supplement = Supplement.objects.create(
        package=package,
        number=last + 1,
        reason=reason,
        valid_until=today + timedelta(days=VALID_DAYS),
        net=net,
        vat=vat,
        gross=net + vat,
        labour_gross=labour_gross,
        tax_reduction=reduction,
        created_by=by,
    )
    SupplementTask.objects.bulk_create(
        SupplementTask(
            supplement=supplement,
            position=i,
            name=piece["name"],
            trade=piece["trade"],
            required_certification=piece["certification"],
            crew_size=piece["crew_size"],
            duration_hours=piece["duration_hours"],
            material_cost=piece["material_cost"],
            after=piece["after"],
            before=piece["before"],
        )
        for i, piece in enumerate(work, start=1)
    )
    SupplementLine.objects.bulk_create(stored_lines(SupplementLine, lines, supplement=supplement))
    _announce(package, supplement, "supplement.proposed")
    customer = package.customer
    if customer.email:
        with translation.override(customer.language):
            subject = _("Supplement to your order: %(title)s") % {"title": package.name}
            text = "\n".join(
                [
                    _(
                        "Further work is needed for your order %(title)s. We need your "
                        "agreement before we do it."
                    )
                    % {"title": package.name},
                    "",
                    reason,
                    "",
                    _("Supplement %(number)s: %(gross)s incl. VAT, valid until %(date)s.")
                    % {
                        "number": supplement.number,
                        "gross": format_money(supplement.gross),
                        "date": date_format(supplement.valid_until, "SHORT_DATE_FORMAT"),
                    },
                    _("Please accept or decline it here: %(url)s") % {"url": _url(package)},
                ]
            )
        # A mail server down must not turn the saved supplement into an error for the office.
        transaction.on_commit(lambda: _send(subject, text, customer.email), robust=True)
    return supplement


def _reduction_left(package: Package) -> Decimal:
    """What the order's accepted quote and supplements leave of the §35a cap (1,200 € a year):
    a supplement does not promise a tax reduction the order has used up already."""
    used = Quote.objects.filter(package=package, status=Quote.Status.ACCEPTED).aggregate(
        s=Sum("tax_reduction")
    )["s"] or Decimal(0)
    used += package.supplements.filter(status=Supplement.Status.ACCEPTED).aggregate(
        s=Sum("tax_reduction")
    )["s"] or Decimal(0)
    return max(Decimal(0), TAX_REDUCTION_CAP - used)


def _homeowners_supplement(supplement_id: int, *, user) -> tuple[Supplement, Package]:
    """The supplement its homeowner decides on, its package row locked (accepting and declining
    lock alike, so a supplement is never both). Someone else's does not exist."""
    supplement = Supplement.objects.select_related("package__customer").get(pk=supplement_id)
    package = (
        Package.objects.select_for_update(of=("self",))
        .select_related("customer")
        .get(pk=supplement.package_id)
    )
    if package.customer.user_id != getattr(user, "pk", None):
        raise Supplement.DoesNotExist
    supplement.refresh_from_db()
    return supplement, package


def _still_open(supplement: Supplement, package: Package, today) -> None:
    """Refuse the homeowner's decision on a supplement that is no longer open to one (in her
    words)."""
    if supplement.status == Supplement.Status.DECLINED:
        raise Conflict(_("You declined this supplement."))
    if supplement.status == Supplement.Status.RETRACTED:
        raise Conflict(_("The office has taken this supplement back."))
    if package.withdrawn_at:
        raise Conflict(_("You withdrew from this contract."))
    if package.status not in OPEN_FOR_SUPPLEMENTS:
        raise Conflict(
            _("Your order is %(status)s: please ask the office about further work.")
            % {"status": package.get_status_display()}
        )
    if supplement.expired(today):
        raise ValidationError(
            {
                "supplement": _("This supplement expired on %s; please ask the office.")
                % date_format(supplement.valid_until, "SHORT_DATE_FORMAT")
            }
        )


def needs_early_start_consent(package: Package) -> bool:
    """Whether ordering a supplement asks the consumer to agree that its work starts at once
    (it is planned straight away): the same words as the order's early start."""
    return package.customer.kind == package.customer.Kind.PRIVATE


@transaction.atomic
def accept_supplement(
    supplement_id: int, *, user, early_start_consent: bool = False, today=None
) -> Supplement:
    """The homeowner agrees: the work becomes tasks of the package in the order the office gave,
    and the planner places them. Idempotent (a second tab gets the same answer); declined,
    taken back, expired or foreign ones are refused. A consumer agrees to the immediate start
    (recorded with the consent)."""
    from zunft.core.models import Consent

    today = today or timezone.localdate()
    supplement, package = _homeowners_supplement(supplement_id, user=user)
    if supplement.status == Supplement.Status.ACCEPTED:
        return supplement
    _still_open(supplement, package, today)
    if needs_early_start_consent(package) and not early_start_consent:
        raise ValidationError(
            {
                "early_start_consent": _(
                    "The work is planned at once: please tick the box to agree to the "
                    "immediate start, or write to the office if you want it later."
                )
            }
        )
    pieces = list(supplement.tasks.select_related("trade", "after", "before"))
    # The order's work went on while she decided: what the new work was to come before may
    # have begun, or another supplement changed the order of work.
    predecessors = _dependency_map(package)
    for piece in pieces:
        gone = piece.after is not None and piece.after.status == Task.Status.CANCELLED
        if gone or _place_problem(("new", piece.pk), piece.after, piece.before, predecessors):
            raise Conflict(
                _(
                    "The work on your order has moved on since this supplement was written, so "
                    "it can no longer be done as described. The office will send you a new one."
                )
            )
    position = package.tasks.aggregate(p=Max("position"))["p"] or 0
    for piece in pieces:
        task = Task.objects.create(
            package=package,
            code=f"nachtrag-{supplement.number}-{piece.position}",
            name_de=piece.name,
            name_en=piece.name,  # typed by the office in one language
            trade=piece.trade,
            required_certification=piece.required_certification,
            crew_size=piece.crew_size,
            duration_hours=piece.duration_hours,
            material_cost=piece.material_cost,
            position=position + piece.position,
        )
        piece.task = task
        piece.save(update_fields=["task"])
        if piece.after_id:
            TaskDependency.objects.create(package=package, predecessor=piece.after, successor=task)
        if piece.before_id:
            TaskDependency.objects.create(package=package, predecessor=task, successor=piece.before)
    supplement.status = Supplement.Status.ACCEPTED
    supplement.decided_at = timezone.now()
    supplement.decided_by = user
    supplement.early_start_consent = early_start_consent
    supplement.save(update_fields=["status", "decided_at", "decided_by", "early_start_consent"])
    if early_start_consent:
        Consent.objects.record(user, Consent.Kind.EARLY_START, f"supplement {supplement.pk}")
    _announce(package, supplement, "supplement.accepted")
    supplement_accepted.send(sender=Supplement, package=package, supplement=supplement)
    transaction.on_commit(lambda: _confirm(supplement), robust=True)
    return supplement


@transaction.atomic
def decline_supplement(supplement_id: int, *, user, today=None) -> Supplement:
    """The homeowner says no: nothing of it is done, the order goes on as it was, and the office
    is told (to talk to her, or stop where the work cannot go on without it)."""
    today = today or timezone.localdate()
    supplement, package = _homeowners_supplement(supplement_id, user=user)
    if supplement.status == Supplement.Status.DECLINED:
        return supplement
    if supplement.status == Supplement.Status.ACCEPTED:
        raise Conflict(_("You accepted this supplement; its work is part of your order."))
    _still_open(supplement, package, today)
    supplement.status = Supplement.Status.DECLINED
    supplement.decided_at = timezone.now()
    supplement.decided_by = user
    supplement.save(update_fields=["status", "decided_at", "decided_by"])
    _announce(package, supplement, "supplement.declined")
    return supplement


@transaction.atomic
def retract_supplement(supplement: Supplement, *, by=None) -> Supplement:
    """The office takes back an open supplement (a mistake, or the homeowner and the office
    agreed otherwise on the phone). Decided ones stay as they were decided."""
    package = Package.objects.select_for_update(of=("self",)).get(pk=supplement.package_id)
    supplement.refresh_from_db()
    if supplement.status == Supplement.Status.RETRACTED:
        return supplement
    if supplement.status != Supplement.Status.OPEN:
        raise Conflict(
            _("The homeowner has %(decision)s this supplement already.")
            % {"decision": supplement.get_status_display()}
        )
    supplement.status = Supplement.Status.RETRACTED
    supplement.decided_at = timezone.now()
    supplement.decided_by = by
    supplement.save(update_fields=["status", "decided_at", "decided_by"])
    _announce(package, supplement, "supplement.retracted")
    return supplement


def _announce(package: Package, supplement: Supplement, kind: str) -> None:
    # Ids only: the package's group is also the workshops', who do not see prices.
    emit(
        [f"package.{package.pk}", "office"],
        kind,
        {"package": package.pk, "supplement": supplement.pk, "number": supplement.number},
    )


def _confirm(supplement: Supplement) -> None:
    """The accepted supplement on a durable medium: its lines, sums and the moment of
    acceptance, in the homeowner's language."""
    package = supplement.package
    customer = package.customer
    email = customer.email or (supplement.decided_by.email if supplement.decided_by else "")
    if not email:
        return
    with translation.override(customer.language):
        accepted = timezone.localtime(supplement.decided_at)
        lines = [
            _("You accepted supplement %(number)s to your order %(title)s on %(date)s at %(time)s.")
            % {
                "number": supplement.number,
                "title": package.name,
                "date": date_format(accepted.date(), "SHORT_DATE_FORMAT"),
                "time": accepted.strftime("%H:%M"),
            },
            "",
            supplement.reason,
            "",
        ]
        for line in supplement.lines.all():
            amount = f"{format_number(line.quantity)} {line.get_unit_display()}"
            lines.append(
                f"{line.position}. {line.text}: {amount} × {format_money(line.unit_price)}"
                f" = {format_money(line.net)}"
            )
        lines += [
            "",
            _("Net %(net)s, VAT %(vat)s, total %(gross)s.")
            % {
                "net": format_money(supplement.net),
                "vat": format_money(supplement.vat),
                "gross": format_money(supplement.gross),
            },
            _("Travel is charged as it arises, at the rate per kilometre of your order."),
            *(
                [
                    _(
                        "You asked us to start this work at once; if you withdraw, you pay for "
                        "the work done until then."
                    )
                ]
                if supplement.early_start_consent
                else []
            ),
            _("Your order online: %(url)s") % {"url": _url(package)},
        ]
        subject = _("Supplement %(number)s accepted: %(title)s") % {
            "number": supplement.number,
            "title": package.name,
        }
    _send(subject, "\n".join(lines), email, attach=supplement)


def _send(subject: str, text: str, email: str, attach: Supplement | None = None) -> None:
    from django.core.mail import EmailMessage

    from jobs.privacy import quote_document

    message = EmailMessage(subject, text, None, [email])
    # The PDF comes from invoicing (jobs does not import it), as the order confirmation's does.
    document = quote_document(attach) if attach is not None else None
    if document is not None:
        filename, mimetype, content = document
        message.attach(filename, content, mimetype)
    message.send()


def _url(package: Package) -> str:
    return settings.SITE_URL + reverse("package", args=[package.pk]) + "#nachtraege"
