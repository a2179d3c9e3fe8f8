"""Month-end: invoice the finished packages, then settle the month with the member workshops.

The cooperative invoices packages to customers as general contractor; the member workshops did
the work. Once a package invoice is paid in full, each member is owed its share: the net amount of
the lines it performed. A line no member performed (``performed_by`` empty: the coordination fee
the customer accepted with the quote) is the cooperative's own revenue and is paid out to no one.

Progress invoices are not settled themselves: the final invoice bills all the work and deducts
them, so a member's share is paid once, when the final invoice is paid and the progress invoices
it deducts are too. A final invoice the progress payments cover is paid at issue; one they exceed
(a credit owed to the customer, e.g. the compensation after a withdrawal) once the credit is
refunded. Its shares are still of all the work it bills: the money came in on the progress
invoices.

Per month and member the cooperative issues

* a self-billing credit note (Gutschrift, UNTDID 1001 type 389, §14 Abs. 2 Satz 2 UStG) in its own
  number series (``GS-…``) with the member as seller. The member's work for a general contractor
  that itself provides construction services is reverse charged (§13b Abs. 2 Nr. 4, Abs. 5 Satz 2
  UStG) unless ``INVOICING_SETTLEMENT_REVERSE_CHARGE`` is off; a §19 small business charges no VAT;
* an invoice for its fee (``Cooperative.fee_rate`` of the share, plus 19 % VAT), settled at once by
  offsetting it against the credit note;
* a statement listing the invoices settled, and one SEPA credit transfer (pain.001) per month for
  all payouts (credit note gross minus fee gross).

Idempotent: a month is settled once (``SettlementRun`` per month, locked ``FOR UPDATE``; runs
for different months wait for each other on an advisory lock), and an invoice share is settled
once (unique per invoice, workshop and VAT rate). Invoices paid after
their month's run are picked up by the next month's run.

A package invoice cancelled after its shares were paid out is taken back: each member's share
becomes a negative line ("Rückforderung") on its next credit note, settled like a share (against
the cancellation document). A member is never credited a negative month: what its new shares do
not cover (at the same VAT rate, where the credit note carries VAT) is taken in part, the rest
waits for the next month, and the month-end page lists it as open.
"""

from __future__ import annotations

import calendar
import hashlib
import logging
import re
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Min, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from invoicing import payments, services, texts
from invoicing.models import (
    Invoice,
    InvoiceDeduction,
    InvoiceLine,
    Payment,
    Settlement,
    SettlementItem,
    SettlementRun,
)
from invoicing.payments import record_payment
from jobs.models import Package
from trades.models import Workshop
from zunft.core.money import ZERO, format_eur, round_money
from zunft.core.services import report_progress, run_claimed, start_operation

logger = logging.getLogger(__name__)

SETTLED_KINDS = (Invoice.Kind.INVOICE, Invoice.Kind.FINAL)
FEE_VAT_RATE = Decimal("19.00")
SETTLEMENT_LOCK_KEY = 0x5A554E4653  # one month-end run at a time (the planner has ...54, ...55)


def month_bounds(period: date) -> tuple[date, date]:
    start = period.replace(day=1)
    return start, start.replace(day=calendar.monthrange(start.year, start.month)[1])


#: The earliest month anything is invoiced or settled, as the forms' month fields accept it.
FIRST_YEAR = 2000


def parse_period(value: str) -> date:
    """``2026-03`` → 1 March 2026. A well-formed but impossible month is refused saying what is
    wrong with it, not with the format hint (``ValidationError`` on ``period``)."""
    match = re.fullmatch(r"\s*(\d{4})-(\d{1,2})\s*", value) if isinstance(value, str) else None
    if match is None:
        raise ValidationError({"period": _("Give the month as YYYY-MM, e.g. 2026-03.")})
    year, month = int(match[1]), int(match[2])
    if not 1 <= month <= 12:
        raise ValidationError(
            {"period": _("There is no month %(month)s: give 01 to 12.") % {"month": f"{month:02d}"}}
        )
    if year < FIRST_YEAR:
        # A typo, most likely: nothing before then was ever invoiced, so nothing to settle.
        raise ValidationError(
            {
                "period": _(
                    "Months before January %(year)s are not settled: please check the year."
                )
                % {"year": FIRST_YEAR}
            }
        )
    return date(year, month, 1)


def _cooperative_as_buyer() -> dict:
    coop = services.get_cooperative()
    return {
        "buyer_kind": "business",
        "buyer_name": coop.legal_name,
        "buyer_street": coop.street,
        "buyer_postal_code": coop.postal_code,
        "buyer_city": coop.city,
        "buyer_vat_id": coop.vat_id,
        "buyer_email": coop.email,
    }


def _member_as_buyer(workshop: Workshop) -> dict:
    return {
        "buyer_kind": "business",
        "buyer_name": workshop.legal_name,
        "buyer_attention": workshop.owner_name,
        "buyer_street": workshop.street,
        "buyer_postal_code": workshop.postal_code,
        "buyer_city": workshop.city,
        "buyer_vat_id": workshop.vat_id,
        "buyer_email": workshop.email,
        "customer_number": f"M{workshop.pk:05d}",
    }


def credit_treatment(workshop: Workshop) -> str:
    if workshop.small_business:
        return Invoice.TaxTreatment.SMALL_BUSINESS
    if getattr(settings, "INVOICING_SETTLEMENT_REVERSE_CHARGE", True):
        return Invoice.TaxTreatment.REVERSE_CHARGE
    return Invoice.TaxTreatment.STANDARD


def settleable_invoices(end: date):
    """Paid package invoices of the cooperative not settled yet, paid by ``end``, whose deducted
    progress invoices were paid by ``end`` too. A final invoice the progress payments cover, or
    exceed, is ``paid`` without money coming in on it: the customer paid for the work on the
    progress invoices, so the members wait until she has."""
    progress_unpaid = InvoiceDeduction.objects.exclude(
        progress_invoice__state=Invoice.State.PAID, progress_invoice__paid_on__lte=end
    ).values("invoice")
    return (
        Invoice.objects.filter(
            issuer_key="coop",
            kind__in=SETTLED_KINDS,
            state=Invoice.State.PAID,
            paid_on__lte=end,
        )
        .exclude(pk__in=SettlementItem.objects.values("invoice"))
        .exclude(pk__in=progress_unpaid)
    )


def shares(invoices) -> dict[int, list[dict]]:
    """Per workshop: net per invoice and VAT rate of the lines it performed. Lines without a
    performing member — the cooperative's coordination fee on a package invoice, the lines of
    its fee invoices to members — belong to the cooperative and are in no workshop's share."""
    rows = (
        InvoiceLine.objects.filter(invoice__in=invoices)
        .exclude(performed_by__isnull=True)  # the cooperative's own lines stay with it
        .values("performed_by", "invoice", "vat_rate")
        .annotate(net=Sum("net_amount"))
        .order_by("performed_by", "invoice", "vat_rate")
    )
    result: dict[int, list[dict]] = defaultdict(list)
    for row in rows:
        if row["net"]:
            result[row["performed_by"]].append(row)
    return result


def open_reclaims(end: date, workshops=None) -> dict[int, list[dict]]:
    """Per workshop, oldest first: what is still to take back of its shares, paid out already,
    of package invoices cancelled by ``end``; as negative rows (per VAT rate) against the
    cancellation document. A reclaim taken back in part leaves the rest open. ``workshops``
    (ids) limits it to those members; None means all."""
    settled = SettlementItem.objects.filter(
        invoice__state=Invoice.State.CANCELLED,
        invoice__corrections__kind=Invoice.Kind.CANCELLATION,
        invoice__corrections__issue_date__lte=end,
    )
    taken_back = SettlementItem.objects.filter(invoice__kind=Invoice.Kind.CANCELLATION)
    if workshops is not None:
        settled = settled.filter(workshop_id__in=workshops)
        taken_back = taken_back.filter(workshop_id__in=workshops)
    settled = settled.values_list("workshop_id", "vat_rate", "net", "invoice__corrections")
    taken = defaultdict(Decimal)  # (cancellation, workshop, rate) → taken back so far (< 0)
    for row in taken_back.values("invoice_id", "workshop_id", "vat_rate").annotate(
        total=Sum("net")
    ):
        taken[(row["invoice_id"], row["workshop_id"], row["vat_rate"])] = row["total"]
    result: dict[int, list[dict]] = defaultdict(list)
    for workshop_id, vat_rate, net, cancellation in sorted(settled, key=lambda r: (r[3], r[1])):
        rest = -net - taken[(cancellation, workshop_id, vat_rate)]
        if rest < 0:
            result[workshop_id].append(
                {
                    "performed_by": workshop_id,
                    "invoice": cancellation,
                    "vat_rate": vat_rate,
                    "net": rest,
                }
            )
    return result


def _still_open(today: date, workshops) -> defaultdict[tuple[int, int], Decimal]:
    """(workshop id, cancellation id) → what is still to take back (positive), rates summed."""
    per_key = defaultdict(Decimal)
    for rows in open_reclaims(today, workshops).values():
        for row in rows:
            per_key[(row["performed_by"], row["invoice"])] -= row["net"]
    return per_key


def _member_rows(per_key: dict, documents, document: str, amount: str) -> list[dict]:
    """(workshop id, invoice id) → amount, as rows with the member and the invoice fetched."""
    found = documents.in_bulk({pk for _, pk in per_key})
    members = Workshop.objects.in_bulk({workshop for workshop, _ in per_key})
    return [
        {"workshop": members[w], document: found[pk], amount: value}
        for (w, pk), value in per_key.items()
    ]


def open_reclaim_rows(today: date, workshops=None) -> list[dict]:
    """The reclaims open on ``today`` as the pages list them: per member and cancelled invoice
    (its VAT rates summed), ``workshop``, ``cancellation`` (with ``original``) and the
    ``amount`` still to take back (positive), by member name, oldest cancellation first."""
    per_key = _still_open(today, workshops)
    out = _member_rows(
        per_key, Invoice.objects.select_related("original"), "cancellation", "amount"
    )
    return sorted(
        out, key=lambda r: (r["workshop"].name, r["cancellation"].issue_date, r["cancellation"].pk)
    )


def coming_shares(today: date, workshops=None) -> list[dict]:
    """The members' shares of package invoices paid by ``today`` and not settled yet — what the
    month-end runs will credit, each with the run for the month it was paid in (the same
    selection as :func:`settle_month`). Per member and invoice (VAT rates summed):
    ``workshop``, ``invoice``, ``net``; by member name, then by the day it was paid."""
    invoices = settleable_invoices(today)
    if workshops is not None:
        invoices = invoices.filter(lines__performed_by__in=workshops)
    per_key = defaultdict(Decimal)
    for workshop_id, rows in shares(invoices).items():
        if workshops is None or workshop_id in workshops:
            for row in rows:
                per_key[(workshop_id, row["invoice"])] += row["net"]
    out = _member_rows(per_key, Invoice.objects.all(), "invoice", "net")
    return sorted(
        out, key=lambda r: (r["workshop"].name, r["invoice"].paid_on, r["invoice"].number)
    )


def settled_then_cancelled(today: date, workshops) -> dict[tuple[int, str], dict]:
    """Shares settled (paid out) of package invoices cancelled since, per ``(workshop id,
    invoice number)``: ``cancelled_on``, the ``credit_notes`` (numbers) that took the share back
    so far, and the ``open`` rest (positive; zero once all of it is back)."""
    settled = SettlementItem.objects.filter(
        workshop_id__in=workshops,
        invoice__state=Invoice.State.CANCELLED,
        invoice__kind__in=SETTLED_KINDS,
        net__gt=0,
    ).values_list("workshop_id", "invoice_id", "invoice__number")
    originals = {(w, pk): number for w, pk, number in settled}
    cancellations = {
        c.original_id: c
        for c in Invoice.objects.filter(
            kind=Invoice.Kind.CANCELLATION, original_id__in={pk for _, pk in originals}
        )
    }
    taken = defaultdict(list)
    for workshop_id, cancellation, note in (
        SettlementItem.objects.filter(
            workshop_id__in=workshops, invoice__in=[c.pk for c in cancellations.values()]
        )
        .order_by("settlement__run__period", "pk")
        .values_list("workshop_id", "invoice_id", "settlement__credit_note__number")
    ):
        if note not in taken[(workshop_id, cancellation)]:
            taken[(workshop_id, cancellation)].append(note)
    still_open = _still_open(today, workshops)
    result = {}
    for (workshop_id, pk), number in originals.items():
        cancellation = cancellations.get(pk)
        if cancellation is None:
            continue
        key = (workshop_id, cancellation.pk)
        result[(workshop_id, number)] = {
            "cancelled_on": cancellation.issue_date,
            "credit_notes": taken[key],
            "open": still_open[key],
        }
    return result


def covered(items: list[dict], reclaims: list[dict], *, by_rate: bool) -> list[dict]:
    """What of the reclaims, oldest first, the month's shares ``items`` cover, in part where
    they do not reach; the rest waits for the member's next shares. On a credit note with VAT
    (``by_rate``) each reclaim is set against the new shares at its own rate, so no rate, nor
    the total, nor the payout after the fee turns negative; without VAT the net total counts."""
    key = (lambda row: row["vat_rate"]) if by_rate else (lambda row: None)
    left = defaultdict(Decimal)
    for item in items:
        left[key(item)] += item["net"]
    taken = []
    for reclaim in reclaims:
        amount = max(reclaim["net"], -left[key(reclaim)])  # both negative or zero
        if amount < 0:
            left[key(reclaim)] += amount
            taken.append({**reclaim, "net": amount})
    return taken


def _credit_line(item: dict, invoice: Invoice) -> services.LineInput:
    if invoice.kind == Invoice.Kind.CANCELLATION:
        original = invoice.original
        text = f"Rückforderung Anteil an Rechnung {original.number}: {original.title}"
        detail = f"storniert am {invoice.issue_date:%d.%m.%Y} mit {invoice.number}"
    else:
        text = f"Anteil an Rechnung {invoice.number}: {invoice.title}"
        # nothing came in on it: the progress payments it deducts covered it (the rest refunded)
        paid = "bezahlt" if invoice.amount_due > 0 else "ausgeglichen"
        detail = f"{paid} am {invoice.paid_on:%d.%m.%Y}"
    return services.LineInput(
        kind=InvoiceLine.Kind.OTHER,
        text=text[:300],
        detail=detail,
        # A share taken back is minus one of it: an item's price is never negative (EN 16931).
        quantity=Decimal(1) if item["net"] >= 0 else Decimal(-1),
        unit=InvoiceLine.Unit.LUMP_SUM,
        unit_price=abs(item["net"]),
        vat_rate=item["vat_rate"],
    )


def _credit_note(workshop: Workshop, items: list[dict], invoices: dict, today, month) -> Invoice:
    perf_start = min(invoices[i["invoice"]].performance_start for i in items)
    perf_end = max(invoices[i["invoice"]].performance_end for i in items)
    introduction = (
        "Für Ihre Leistungen in den folgenden, vollständig bezahlten Aufträgen schreiben wir "
        "Ihnen gut:"
    )
    if any(i["net"] < 0 for i in items):
        introduction += (
            " Anteile an inzwischen stornierten Rechnungen, die wir Ihnen bereits ausgezahlt "
            "haben, verrechnen wir."
        )
    note = Invoice.objects.create(
        issuer_key=services.CREDIT_NOTE_KEY,
        kind=Invoice.Kind.CREDIT_NOTE,
        tax_treatment=credit_treatment(workshop),
        performance_start=perf_start,
        performance_end=perf_end,
        payment_days=0,
        title=f"Gutschrift Leistungsabrechnung {month:%m/%Y}",
        introduction=introduction,
        **services._seller_fields(workshop),
        **_cooperative_as_buyer(),
    )
    lines = [_credit_line(item, invoices[item["invoice"]]) for item in items]
    services._add_lines(note, lines)
    services._store_totals(note)
    return services.issue_invoice(note, issue_date=today, today=today)


def _fee_invoice(workshop: Workshop, credit_note: Invoice, share: Decimal, rate, today, month):
    fee = round_money(share * rate)
    if fee <= 0:
        return None
    invoice = Invoice.objects.create(
        issuer_key="coop",
        kind=Invoice.Kind.INVOICE,
        tax_treatment=Invoice.TaxTreatment.STANDARD,
        performance_start=month,
        performance_end=month_bounds(month)[1],
        payment_days=0,
        title=f"Verbundgebühr {month:%m/%Y}",
        introduction=texts.FEE_INTRODUCTION.format(month=f"{month:%m/%Y}"),
        **services._seller_fields(None),
        **_member_as_buyer(workshop),
    )
    services._add_lines(
        invoice,
        [
            services.LineInput(
                kind=InvoiceLine.Kind.OTHER,
                text=(
                    f"Verbundgebühr {format_eur(rate * 100, symbol=False)} % "
                    f"auf Ihre Leistungen {month:%m/%Y}"
                ),
                detail=(
                    f"Bemessungsgrundlage {format_eur(share)} netto "
                    f"(Gutschrift {credit_note.number})"
                ),
                quantity=Decimal(1),
                unit=InvoiceLine.Unit.LUMP_SUM,
                unit_price=fee,
                vat_rate=FEE_VAT_RATE,
            )
        ],
    )
    services._store_totals(invoice)
    # Settled by offset (settle_member): its terms say so, and its PDF offers no GiroCode.
    return services.issue_invoice(
        invoice,
        issue_date=max(today, invoice.performance_start),
        today=today,
        terms=texts.FEE_OFFSET_NOTICE.format(number=credit_note.number),
    )


def _statement_item(item: dict, invoice: Invoice) -> dict:
    row = {
        "invoice": invoice.number,
        "title": invoice.title,
        "paid_on": invoice.paid_on.isoformat() if invoice.paid_on else None,
        "vat_rate": str(item["vat_rate"]),
        "net": str(item["net"]),
    }
    if invoice.kind == Invoice.Kind.CANCELLATION:  # a share taken back
        row.update(
            {"reclaims": invoice.original.number, "cancelled_on": invoice.issue_date.isoformat()}
        )
    return row


def _statement(workshop, month, items, invoices, credit_note, fee_invoice, payout) -> dict:
    return {
        "period": f"{month:%Y-%m}",
        "workshop": {"id": workshop.pk, "name": workshop.legal_name, "iban": workshop.iban},
        "items": [_statement_item(i, invoices[i["invoice"]]) for i in items],
        "credit_note": {
            "number": credit_note.number,
            "net": str(credit_note.net_total),
            "tax": str(credit_note.tax_total),
            "gross": str(credit_note.gross_total),
            "tax_treatment": credit_note.tax_treatment,
        },
        "fee": (
            {
                "number": fee_invoice.number,
                "net": str(fee_invoice.net_total),
                "tax": str(fee_invoice.tax_total),
                "gross": str(fee_invoice.gross_total),
            }
            if fee_invoice
            else None
        ),
        "payout": str(payout),
    }


def settle_member(run: SettlementRun, workshop: Workshop, items, invoices, today) -> Settlement:
    coop = services.get_cooperative()
    month = run.period
    share = sum((i["net"] for i in items), ZERO)
    credit_note = _credit_note(workshop, items, invoices, today, month)
    fee_invoice = _fee_invoice(workshop, credit_note, share, coop.fee_rate, today, month)
    fee_gross = fee_invoice.gross_total if fee_invoice else ZERO
    payout = credit_note.gross_total - fee_gross
    if fee_invoice:
        reference = f"Verrechnung {credit_note.number} / {fee_invoice.number}"
        for target in (fee_invoice, credit_note):
            record_payment(
                target,
                amount=fee_gross,
                booked_on=fee_invoice.issue_date,
                reference=reference,
                source=Payment.Source.OFFSET,
            )
    if credit_note.gross_total == 0:  # new shares all went to a reclaim: nothing to pay out
        credit_note = services.mark_paid(credit_note, paid_on=credit_note.issue_date)
    settlement = Settlement.objects.create(
        run=run,
        workshop=workshop,
        credit_note=credit_note,
        fee_invoice=fee_invoice,
        share_net=share,
        fee_rate=coop.fee_rate,
        payout=payout,
        statement=_statement(workshop, month, items, invoices, credit_note, fee_invoice, payout),
    )
    SettlementItem.objects.bulk_create(
        SettlementItem(
            settlement=settlement,
            invoice_id=i["invoice"],
            workshop=workshop,
            vat_rate=i["vat_rate"],
            net=i["net"],
        )
        for i in items
    )
    return settlement


def settle_month(period: date, *, today: date | None = None) -> SettlementRun:
    """Settle one month with every member that has a share in paid package invoices. Runs once
    per month: a second call returns the finished run unchanged."""
    start, end = month_bounds(period)
    today = today or timezone.localdate()
    if today <= end:
        raise ValidationError({"period": _("A month is settled only after it has ended.")})
    SettlementRun.objects.get_or_create(period=start)
    with transaction.atomic():
        # One month-end at a time, whatever the month: two months' runs both see a share paid
        # before either ended (or a reclaim still open), and only one of them may take it.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SETTLEMENT_LOCK_KEY])
        run = SettlementRun.objects.select_for_update().get(period=start)
        if run.pain001_sha256:
            return run
        invoices = {i.pk: i for i in settleable_invoices(end)}
        per_workshop = shares(list(invoices))
        reclaims = open_reclaims(end)
        members = Workshop.objects.in_bulk(per_workshop)
        taken = {
            workshop_id: covered(
                per_workshop[workshop_id],
                rows,
                by_rate=credit_treatment(members[workshop_id]) == Invoice.TaxTreatment.STANDARD,
            )
            for workshop_id, rows in reclaims.items()
            if workshop_id in per_workshop
        }
        cancellations = {r["invoice"] for rows in taken.values() for r in rows}
        invoices.update(
            (c.pk, c)
            for c in Invoice.objects.filter(pk__in=cancellations).select_related("original")
        )
        for pk in sorted(members):
            items = per_workshop[pk] + taken.get(pk, [])
            settle_member(run, members[pk], items, invoices, today)
        content = payout_file(run, execution_date=today + timedelta(days=1))
        run.pain001 = content
        run.pain001_sha256 = hashlib.sha256(content).hexdigest()
        run.save(update_fields=["pain001", "pain001_sha256"])
    return run


def payout_file(run: SettlementRun, *, execution_date: date) -> bytes:
    """The SEPA credit transfer (pain.001.001.09, accepted by German banks under the DK rules)
    paying each member its payout, validated against the schema by ``sepaxml``."""
    coop = services.get_cooperative()
    transfer = payments.sepa_transfer(coop.legal_name, coop.iban, coop.bic, batch=True)
    count = 0
    for settlement in run.settlements.select_related("workshop", "credit_note").order_by("pk"):
        if settlement.payout <= 0:
            continue
        payment = {
            "name": settlement.workshop.legal_name,
            "IBAN": settlement.workshop.iban.replace(" ", ""),
            "amount": int((settlement.payout * 100).to_integral_value()),
            "execution_date": execution_date,
            "description": (
                f"Gutschrift {settlement.credit_note.number} Abrechnung {run.period:%m/%Y}"
            ),
            "endtoend_id": settlement.credit_note.number,
        }
        if settlement.workshop.bic:
            payment["BIC"] = settlement.workshop.bic
        transfer.add_payment(payment)
        count += 1
    if not count:
        return b""
    return transfer.export(validate=True, pretty_print=True)


def record_payouts(run: SettlementRun, *, booked_on: date, user=None) -> int:
    """The bank executed the month's payout file: book each member's payout as transferred on
    ``booked_on`` (a payment of the credit note's open amount, source TRANSFER), which settles the
    credit note. Credit notes paid already are left alone, so booking twice books once. Returns
    how many were booked. Locks the run, so two clerks at once book once."""
    with transaction.atomic():
        run = SettlementRun.objects.select_for_update().get(pk=run.pk)
        # The credit notes too, in id order, so a payment booked by hand on one meanwhile is
        # seen before its open amount is read.
        notes = Invoice.objects.select_for_update(of=("self",)).filter(
            settlement_as_credit__run=run
        )
        booked = 0
        for note in notes.order_by("pk"):
            if booked_on < note.issue_date:
                raise ValidationError(
                    {"booked_on": "Die Auszahlung liegt vor der Abrechnung des Monats."}
                )
            owed = payments.open_amount(note)
            if note.state != Invoice.State.ISSUED or owed <= 0:
                continue
            record_payment(
                note,
                amount=owed,
                booked_on=booked_on,
                reference=f"Auszahlung {run.period:%m/%Y}",
                source=Payment.Source.TRANSFER,
                user=user,
            )
            booked += 1
    return booked


# --- month-end ----------------------------------------------------------------------------------


def unbilled_packages():
    standing = Invoice.objects.filter(kind__in=SETTLED_KINDS).exclude(state=Invoice.State.CANCELLED)
    return Package.objects.filter(status=Package.Status.DONE).exclude(
        pk__in=standing.exclude(package__isnull=True).values("package")
    )


def invoice_finished_package(package: Package) -> Invoice | None:
    """Invoice and issue one finished package unless it already has a standing invoice; the
    package row is locked while checking, so two runs never bill it twice."""
    with transaction.atomic():
        package = Package.objects.select_for_update().get(pk=package.pk)
        standing = Invoice.objects.filter(package=package, kind__in=SETTLED_KINDS).exclude(
            state=Invoice.State.CANCELLED
        )
        if standing.exists():
            return None
        draft = services.generate_package_invoice(package)
        return services.issue_invoice(draft)


def run_month_end(period: date, *, progress=None) -> dict:
    packages = list(unbilled_packages().order_by("pk"))
    total = len(packages) + 1
    issued, skipped = [], []
    for index, package in enumerate(packages, start=1):
        try:
            invoice = invoice_finished_package(package)
        except ValidationError as exc:
            skipped.append({"package": package.pk, "reason": "; ".join(exc.messages)})
        else:
            if invoice is not None:
                issued.append(invoice.number)
        if progress:
            progress(index, total)
    settled_before = SettlementRun.objects.filter(
        period=month_bounds(period)[0], pain001_sha256__gt=""
    ).exists()
    run = settle_month(period)
    if progress:
        progress(total, total)
    # A month settled before is not settled again: its settlements are not this run's.
    settlements = [] if settled_before else list(run.settlements.all())
    return {
        "period": f"{run.period:%Y-%m}",
        "issued": issued,
        "skipped": skipped,
        "settled_before": settled_before,
        "settlements": [s.pk for s in settlements],
        "payout_total": str(sum((s.payout for s in settlements), ZERO)),
    }


def start_month_end(period: date, *, user=None):
    """Start the month-end run in the background: ``(operation, True)``; or ``(operation,
    False)`` for the run already queued or running for that month. A month that has not ended
    is refused (``ValidationError`` on ``period``) before anything is queued."""
    from invoicing.tasks import month_end
    from zunft.core.models import Operation

    if month_bounds(period)[1] >= timezone.localdate():
        raise ValidationError({"period": _("A month is closed only after it has ended.")})
    # Nothing was paid, so nothing is settled, before the first invoice (the run in the month of
    # the first invoices closes the month before): a typo in the year would leave an empty
    # settled month on record.
    first = (
        Invoice.objects.filter(kind__in=SETTLED_KINDS)
        .exclude(state=Invoice.State.DRAFT)
        .aggregate(first=Min("issue_date"))["first"]
    )
    if first is not None and period < (first.replace(day=1) - timedelta(days=1)).replace(day=1):
        raise ValidationError(
            {
                "period": _("The first invoice dates from %(month)s: please check the year.")
                % {"month": f"{first:%m/%Y}"}
            }
        )
    key = f"{period:%Y-%m}"
    running = Operation.objects.filter(
        kind="invoicing.month_end",
        params__period=key,
        state__in=[Operation.State.QUEUED, Operation.State.RUNNING],
    ).first()
    if running is not None:
        return running, False
    operation = start_operation(
        "invoicing.month_end", task=month_end, user=user, params={"period": key}
    )
    return operation, True


def do_month_end(operation_id: int, worker: str):
    """The month-end operation's work, claimed once (``run_claimed``: a run whose worker died is
    taken over). Returns the finished operation (failed, with the error, when the run raised), or
    None when another runner has it or it is finished already."""
    from zunft.core.models import Operation

    def work(operation):
        return run_month_end(
            parse_period(operation.params.get("period", "")),
            progress=lambda done, total: report_progress(operation, done, total),
        )

    try:
        return run_claimed(operation_id, worker, work)
    except Exception:  # the operation shows the failure; the log has the trace
        logger.exception("month-end run %s failed", operation_id)
        return Operation.objects.get(pk=operation_id)
