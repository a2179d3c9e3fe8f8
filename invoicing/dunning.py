"""Dunning: payment reminder, then first and second Mahnung, run daily by Celery beat.

* The reminder (Zahlungserinnerung) goes out ``INVOICING_REMINDER_DAYS`` after the due date. It is
  a Mahnung in the sense of §286 Abs. 1 BGB: the debtor is in default from the next day.
* The first and second Mahnung follow ``INVOICING_DUNNING_INTERVAL_DAYS`` apart. They add default
  interest under §288 BGB — the base rate (published by the Bundesbank each 1 January and 1 July,
  entered by the office: :class:`~invoicing.models.BaseRate`) plus 5 points for consumers
  (Abs. 1) or 9 points when the debtor is not a consumer (Abs. 2) — on what was open on each day
  in default, at the rate in force that day, and a fee: consumers pay
  ``INVOICING_DUNNING_FEE`` per Mahnung; a debtor who is not a consumer pays the flat 40 € of
  §288 Abs. 5 BGB once instead (it is credited against other collection costs, so no fee on top).
* It stops as soon as the invoice is paid; a partial payment lowers the amount dunned.
* It leaves out the progress invoices of a withdrawn package (:func:`held`): the office decides
  about those by hand.

Idempotent: each step is claimed by a conditional UPDATE on the dunning level, the notice is unique
per invoice and level, and each email is claimed by a conditional UPDATE on ``emailed_at``. A
second beat tick, or a task delivered twice, changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from invoicing.models import BaseRate, Dunning, DunningNotice, Invoice
from invoicing.payments import balance, with_balance
from zunft.core.language import format_day
from zunft.core.money import (
    ZERO,
    format_eur,
    format_iban,
    format_number,
    format_quantity,
    round_money,
)
from zunft.core.realtime import emit

logger = logging.getLogger(__name__)

DUNNED_KINDS = (Invoice.Kind.INVOICE, Invoice.Kind.PROGRESS, Invoice.Kind.FINAL)
TITLES = {
    Dunning.Level.REMINDER: "Zahlungserinnerung",
    Dunning.Level.FIRST: "1. Mahnung",
    Dunning.Level.SECOND: "2. Mahnung",
}


def _setting(name: str, default):
    value = getattr(settings, name, default)
    return Decimal(str(value)) if isinstance(default, Decimal) else value


Rates = list[tuple[date, Decimal]]


def base_rates() -> Rates:
    """The base rates entered, as ``(valid_from, rate)`` in date order; before the first, and
    when none is entered, ``INVOICING_BASE_RATE``."""
    entered = BaseRate.objects.order_by("valid_from").values_list("valid_from", "rate")
    return [(date.min, _setting("INVOICING_BASE_RATE", Decimal("1.27"))), *entered]


def missing_base_rates(today: date, rates: Rates | None = None) -> list[date]:
    """The starts of the last and the current half-year whose base rate has not been entered
    (oldest first): the last one entered goes on being used for their days until then."""
    rates = base_rates() if rates is None else rates
    entered = {on for on, _rate in rates}
    return [day for day in half_year_starts(today)[:2] if day not in entered]


def half_year_starts(today: date) -> list[date]:
    """The days a base rate can start from that the office may enter today: the last half-year,
    this one and the coming one (published a few days before it starts)."""
    current = date(today.year, 1 if today.month < 7 else 7, 1)
    if current.month == 1:
        return [date(today.year - 1, 7, 1), current, date(today.year, 7, 1)]
    return [date(today.year, 1, 1), current, date(today.year + 1, 1, 1)]


# What a base rate can plausibly be: the Bundesbank's has stayed between -0.88 % and 4.12 %
# since 2002; outside this it is a slip (12 for 1.2) that would charge 17 % default interest.
BASE_RATE_RANGE = (Decimal("-5"), Decimal("10"))


def enter_base_rate(
    valid_from: date,
    rate: Decimal,
    *,
    user=None,
    today: date | None = None,
    replace: bool = False,
) -> BaseRate:
    """Enter the base rate from a half-year's first day on; a rate already entered for that
    half-year is replaced only with ``replace`` (the entry then names the rate it replaced in
    ``replaced``, else None). Notices already sent keep the interest they stated; later ones use
    the rate from its day on. Locks the half-year's row while it decides."""
    errors = {}
    if valid_from not in half_year_starts(today or timezone.localdate()):
        errors["valid_from"] = _(
            "The base rate changes on 1 January and 1 July: enter it for the last, the current "
            "or the coming half-year."
        )
    low, high = BASE_RATE_RANGE
    if not low <= rate <= high:
        errors["rate"] = _(
            "A base rate lies between %(low)s and %(high)s %%: please check the figure "
            "(e.g. 1.27, not 127)."
        ) % {"low": format_number(low), "high": format_number(high)}
    elif rate != rate.quantize(Decimal("0.01")):
        errors["rate"] = _("The base rate has two decimals, such as 1.27.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        entry = BaseRate.objects.select_for_update().filter(valid_from=valid_from).first()
        previous = entry.rate if entry else None
        if entry and entry.rate != rate and not replace:
            raise ValidationError(
                {
                    "rate": _(
                        "A base rate of %(rate)s %% from %(day)s is entered already: tick the "
                        "box to replace it."
                    )
                    % {"rate": format_number(entry.rate), "day": format_day(valid_from)}
                }
            )
        entry, _created = BaseRate.objects.update_or_create(
            valid_from=valid_from, defaults={"rate": rate, "entered_by": user}
        )
    entry.replaced = previous if previous is not None and previous != rate else None
    return entry


def interest_rates(invoice: Invoice, base: Rates | None = None) -> Rates:
    """§288 BGB: the base rate + 5 points for consumers, + 9 points for everyone else, from each
    day the base rate changed."""
    points = Decimal(5) if invoice.buyer_kind == "private" else Decimal(9)
    return [(on, rate + points) for on, rate in (base_rates() if base is None else base)]


def rate_on(rates: Rates, day: date) -> Decimal:
    return [rate for on, rate in rates if on <= day][-1]


def rate_periods(rates: Rates, since: date, until: date) -> list[tuple[date, Decimal]]:
    """The rates in force from ``since`` to the day before ``until``, each from its first day."""
    periods = [(since, rate_on(rates, since))]
    periods += [(on, rate) for on, rate in rates if since < on < until]
    return periods


def default_interest(
    due: Decimal,
    paid: Iterable[tuple[date, Decimal]],
    rates: Rates | Decimal,
    since: date | None,
    until: date,
) -> Decimal:
    """Simple interest on what was open of the invoice on each day in default, ``since`` up to
    the day before ``until``, at the rate in force that day (``rates`` as from
    :func:`interest_rates`, or one rate for the whole time): actual days / 365, rounded once to
    the cent. ``paid`` are the payments as ``(booked_on, amount)``; each one lowers the principal
    from its booking day on (payments settle the invoice before any charges, and interest bears
    no interest, §289 BGB). So a partial payment during the default keeps the interest earned on
    the larger amount."""
    if since is None or until <= since:
        return ZERO
    if isinstance(rates, Decimal):
        rates = [(date.min, rates)]
    paid = list(paid)
    cuts = {since, until} | {on for on, _amount in paid if since < on < until}
    cuts |= {on for on, _rate in rates if since < on < until}
    days = sorted(cuts)
    total = Decimal(0)
    for start, end in pairwise(days):
        principal = due - sum((amount for on, amount in paid if on <= start), ZERO)
        total += max(principal, ZERO) * rate_on(rates, start) * (end - start).days
    return round_money(total / Decimal(100) / Decimal(365))


def payments_of(invoice: Invoice) -> list[tuple[date, Decimal]]:
    """The invoice's payments as :func:`default_interest` reads them (prefetched ones count)."""
    return [(payment.booked_on, payment.amount) for payment in invoice.payments.all()]


def fee_for(invoice: Invoice, level: int) -> Decimal:
    if level == Dunning.Level.REMINDER:
        return ZERO
    if invoice.buyer_kind == "private":
        return _setting("INVOICING_DUNNING_FEE", Decimal("5.00"))
    if level == Dunning.Level.FIRST:
        return _setting("INVOICING_DUNNING_B2B_FLAT", Decimal("40.00"))
    return ZERO


def next_step_on(level: int, last_step_on: date | None, invoice: Invoice):
    """The next dunning level for an invoice at ``level`` and the day it is due: ``(level,
    date)``, or None when nothing more happens automatically."""
    if level >= Dunning.Level.SECOND:
        return None
    if level == Dunning.Level.NONE:
        reminder_days = int(_setting("INVOICING_REMINDER_DAYS", 7))
        return Dunning.Level.REMINDER, invoice.due_date + timedelta(reminder_days)
    if last_step_on is None:
        return None
    interval = int(_setting("INVOICING_DUNNING_INTERVAL_DAYS", 14))
    return Dunning.Level(level + 1), last_step_on + timedelta(interval)


def _next_level(dunning: Dunning, invoice: Invoice, today: date) -> int | None:
    step = next_step_on(dunning.level, dunning.last_step_on, invoice)
    return step[0] if step is not None and today >= step[1] else None


@dataclass
class DunningRun:
    notices: list[DunningNotice] = field(default_factory=list)
    emailed: int = 0
    without_email: int = 0

    def as_dict(self) -> dict:
        return {
            "notices": [n.pk for n in self.notices],
            "emailed": self.emailed,
            "without_email": self.without_email,
        }


def past_due(today: date, days: int = 1) -> Q:
    """A customer's invoice, issued, still open and at least ``days`` days past its due date:
    what the office pages call overdue. Not a credit note: its open amount is the payout the
    cooperative owes the member. Needs the ``open`` of :func:`invoicing.payments.with_balance`."""
    return Q(
        kind__in=DUNNED_KINDS,
        state=Invoice.State.ISSUED,
        due_date__lte=today - timedelta(days),
        open__gt=0,
    )


#: Why the daily run leaves an invoice of :func:`held` alone, as the dunning page says it.
HELD_REASON = gettext_lazy("Contract withdrawn")


def held(prefix: str = "") -> Q:
    """The invoices the daily run does not dun (``prefix`` leads from another model to the
    invoice: ``"invoice__"``): the progress invoices of a package the homeowner withdrew from.
    The contract they asked a share of is gone; she owes at most the compensation for the work
    done, and whether such an invoice is cancelled, refunded, set against the compensation or
    still claimed is for the office to decide."""
    return Q(
        **{
            f"{prefix}kind": Invoice.Kind.PROGRESS,
            f"{prefix}package__withdrawn_at__isnull": False,
        }
    )


def overdue(today: date, days: int | None = None) -> QuerySet[Invoice]:
    """The customers' invoices :func:`past_due` by ``days``: by default the reminder period,
    from when the daily run acts."""
    if days is None:
        days = int(_setting("INVOICING_REMINDER_DAYS", 7))
    return with_balance(Invoice.objects.filter(kind__in=DUNNED_KINDS, amount_due__gt=0)).filter(
        past_due(today, days)
    )


def step(invoice: Invoice, today: date, base: Rates | None = None) -> DunningNotice | None:
    """Take the invoice's next dunning step if one is due, claiming it with a conditional update.
    Returns the notice, or None when nothing is due or another run claimed the step first."""
    with transaction.atomic():
        # The lock a payment takes: a payment booked meanwhile is seen, and no notice (with its
        # fee, now owed) goes out for an invoice that was just paid.
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        open_amount = balance(locked).open
        if locked.state != Invoice.State.ISSUED or open_amount <= 0:
            return None
        # withdrawn since the run read its list
        if Invoice.objects.filter(held(), pk=locked.pk).exists():
            return None
        dunning, _created = Dunning.objects.get_or_create(invoice=invoice)
        level = _next_level(dunning, invoice, today)
        if level is None:
            return None
        default_since = dunning.default_since
        if level == Dunning.Level.REMINDER:
            default_since = today + timedelta(days=1)
        claimed = Dunning.objects.filter(
            pk=dunning.pk, level=dunning.level, last_step_on=dunning.last_step_on
        ).update(level=level, last_step_on=today, default_since=default_since)
        if claimed != 1:
            return None
        rates = interest_rates(invoice, base)
        paid = payments_of(locked)
        # The interest runs up to the day before the notice: the rates of those days.
        in_default = default_since is not None and default_since < today
        periods = rate_periods(rates, default_since, today) if in_default else []
        notice = DunningNotice.objects.create(
            invoice=invoice,
            level=level,
            sent_on=today,
            open_amount=open_amount,
            fee=fee_for(invoice, level),
            interest=default_interest(locked.amount_due, paid, rates, default_since, today),
            interest_rate=periods[-1][1] if periods else rate_on(rates, today),
            interest_periods=[[f"{on:%Y-%m-%d}", str(rate)] for on, rate in periods],
            interest_on_changing_amount=in_default
            and any(default_since < on <= today for on, _a in paid),
            pay_by=today + timedelta(days=int(_setting("INVOICING_DUNNING_PAY_DAYS", 10))),
            email=invoice.buyer_email,
        )
        emit(
            invoice.staff_groups(),
            "invoice.dunned",
            {"invoice": invoice.pk, "number": invoice.number, "level": level},
        )
    return notice


def waive_charges(invoice: Invoice, *, user=None, today: date | None = None) -> Decimal:
    """The office lets go of the dunning charges still open on an invoice once the invoice itself
    is paid (before, the dunning would go on and claim again). Locks the invoice row (the lock a
    payment takes), so a payment booked at the same time is counted first. Returns the amount
    waived."""
    today = today or timezone.localdate()
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        owed = balance(invoice)
        rest = owed.charges_open
        if rest <= 0:
            raise ValidationError(
                {"invoice": _("There are no dunning charges open on this invoice.")}
            )
        # While the invoice itself is open the dunning goes on and claims again: first paid.
        if owed.open > 0 and invoice.state == Invoice.State.ISSUED:
            raise ValidationError(
                {"invoice": _("Dunning charges are waived once the invoice itself is paid.")}
            )
        dunning = Dunning.objects.get(invoice=invoice)
        dunning.charges_waived += rest
        dunning.charges_waived_on = today
        dunning.charges_waived_by = user if getattr(user, "is_authenticated", False) else None
        dunning.save(update_fields=["charges_waived", "charges_waived_on", "charges_waived_by"])
        emit(
            invoice.staff_groups(),
            "invoice.charges_waived",
            {"invoice": invoice.pk, "number": invoice.number, "amount": str(rest)},
        )
    return rest


def notice_text(notice: DunningNotice) -> tuple[str, str]:
    invoice = notice.invoice
    title = TITLES[notice.level]
    subject = f"{title} zur {invoice.document_title} {invoice.number}"
    lines = [
        f"Guten Tag {invoice.buyer_attention or invoice.buyer_name},",
        "",
    ]
    if notice.level == Dunning.Level.REMINDER:
        lines.append(
            f"sicher haben Sie es nur übersehen: Unsere {invoice.document_title} {invoice.number} "
            f"vom {invoice.issue_date:%d.%m.%Y} war am {invoice.due_date:%d.%m.%Y} fällig. "
            f"Offen sind noch {format_eur(notice.open_amount)}."
        )
    else:
        since = invoice.dunning.default_since
        lines += [
            f"unsere {invoice.document_title} {invoice.number} vom {invoice.issue_date:%d.%m.%Y} "
            f"ist trotz Zahlungserinnerung noch nicht vollständig beglichen. Sie befinden sich "
            f"seit dem {since:%d.%m.%Y} in Verzug.",
            "",
            f"Offener Rechnungsbetrag: {format_eur(notice.open_amount)}",
        ]
        # As worked out when the notice was made (a rate entered later changes no letter):
        # after a partial payment the interest is not the open amount's, and a base rate that
        # changed while in default is named from its day on.
        basis = ", auf den jeweils offenen Betrag" if notice.interest_on_changing_amount else ""
        periods = notice.interest_periods
        rates = f"{format_quantity(notice.interest_rate)} % p. a."
        if len(periods) > 1:
            rates = (
                ", ".join(
                    f"ab {date.fromisoformat(on):%d.%m.%Y} {format_quantity(Decimal(rate))} %"
                    for on, rate in periods
                )
                + " p. a."
            )
        lines.append(f"Verzugszinsen ({rates}{basis}, § 288 BGB): {format_eur(notice.interest)}")
        before = (
            DunningNotice.objects.filter(invoice=invoice, level__lt=notice.level)
            .order_by("-level")
            .first()
        )
        if before is not None and notice.interest < before.interest:
            # a payment booked later with an earlier day, or a corrected base rate
            lines.append(
                f"(Die Verzugszinsen sind gegenüber dem Schreiben vom {before.sent_on:%d.%m.%Y} "
                f"berichtigt.)"
            )
        private = invoice.buyer_kind == "private"
        # The fees of the earlier notices are still owed: each notice states all of them.
        earlier = (
            DunningNotice.objects.filter(invoice=invoice, level__lt=notice.level).aggregate(
                s=Sum("fee")
            )["s"]
            or ZERO
        )
        if earlier:
            label = "Mahngebühren der früheren Mahnungen" if private else "Verzugspauschale"
            lines.append(f"{label}: {format_eur(earlier)}")
        if notice.fee:
            label = "Mahngebühr" if private else "Verzugspauschale (§ 288 Abs. 5 BGB)"
            lines.append(f"{label}: {format_eur(notice.fee)}")
        lines.append(f"Gesamt: {format_eur(notice.total + earlier)}")
    lines += [
        "",
        f"Bitte überweisen Sie den Betrag bis zum {notice.pay_by:%d.%m.%Y} auf das Konto "
        f"IBAN {format_iban(invoice.seller_iban)} unter Angabe der Rechnungsnummer "
        f"{invoice.number}.",
        "Haben Sie inzwischen gezahlt, betrachten Sie dieses Schreiben bitte als gegenstandslos.",
        "",
        "Die Rechnung finden Sie noch einmal im Anhang.",
        "",
        "Mit freundlichen Grüßen",
        invoice.seller_name,
    ]
    return subject, "\n".join(lines)


def send_notice(notice: DunningNotice) -> bool:
    """Email one notice with the archived invoice PDF attached, once: the send is claimed by a
    conditional update and given back when the mail server refuses."""
    from invoicing import delivery

    if not notice.email:
        return False
    claimed = DunningNotice.objects.filter(pk=notice.pk, emailed_at__isnull=True).update(
        emailed_at=timezone.now()
    )
    if claimed != 1:
        return False
    try:
        subject, body = notice_text(notice)
        delivery.letter(notice.invoice, subject, body, notice.email).send()
    except Exception:
        DunningNotice.objects.filter(pk=notice.pk).update(emailed_at=None)
        logger.exception("sending dunning notice %s failed; the next run retries", notice.pk)
        return False
    return True


def run_dunning(today: date | None = None) -> DunningRun:
    """One daily run: take every due step, then send every notice not yet emailed; nothing for
    the invoices :func:`held` for the office."""
    today = today or timezone.localdate()
    run = DunningRun()
    base = base_rates()  # read once for the run
    for invoice in overdue(today).exclude(held()).order_by("due_date", "pk"):
        notice = step(invoice, today, base)
        if notice is not None:
            run.notices.append(notice)
    # A notice the mail server refused before the withdrawal does not go out after it.
    pending = (
        DunningNotice.objects.filter(emailed_at__isnull=True)
        .exclude(held("invoice__"))
        .select_related("invoice", "invoice__dunning")
    )
    for notice in pending:
        if not notice.email:
            run.without_email += 1
        elif send_notice(notice):
            run.emailed += 1
    logger.info("dunning run %s: %s", today, run.as_dict())
    return run
