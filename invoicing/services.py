"""Invoicing use cases: the only code that writes invoices.

Every function here runs in one ``transaction.atomic`` block, checks the state it starts from,
and raises ``ValidationError`` naming the field when the input is wrong — nothing is half-written.

Lock order, to stay free of deadlocks: the invoice row (``FOR UPDATE``), then the issuer's
number counter row (``FOR UPDATE``).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Customer, Site
from invoicing import delivery, texts
from invoicing.models import (
    Invoice,
    InvoiceCounter,
    InvoiceDeduction,
    InvoiceLine,
)
from jobs.models import (
    MaterialEntry,
    Package,
    Quote,
    QuoteLine,
    Supplement,
    SupplementLine,
    Task,
    TimeEntry,
)
from jobs.quotes import COORDINATION_FEE_TEXT
from jobs.supplements import agreed_task_rates
from trades.models import Cooperative, Workshop, WorkshopTrade
from zunft.core.money import ZERO, TaxedAmount, format_eur, round_money, tax_for, to_decimal
from zunft.core.realtime import emit

logger = logging.getLogger(__name__)

STANDARD_RATE = Decimal("19.00")
REDUCED_RATE = Decimal("7.00")
ZERO_RATE = Decimal("0.00")
ALLOWED_RATES = (STANDARD_RATE, REDUCED_RATE, ZERO_RATE)


# --- inputs -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineInput:
    """One position of a draft. ``vat_rate`` is 19, 7 or 0 (0 only for PV on homes, §12 Abs. 3
    UStG); reverse charge and the small-business rule override it."""

    kind: str
    text: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    vat_rate: Decimal = STANDARD_RATE
    detail: str = ""
    performed_by: Workshop | None = None


@dataclass(frozen=True)
class TaskBilling:
    """What to bill for one task: who did it and how much. Hours default to the task's duration
    times its crew size, material to the task's material cost."""

    task: Task
    workshop: Workshop
    hours: Decimal | None = None
    material: Decimal | None = None
    travel_km: Decimal = Decimal(0)
    machine_hours: Decimal = Decimal(0)
    machine_rate: Decimal = Decimal(0)
    vat_rate: Decimal = STANDARD_RATE
    performed: tuple[date, date] | None = None


@dataclass(frozen=True)
class VatGroup:
    category: str
    rate: Decimal
    basis: Decimal
    tax: Decimal
    exemption_reason: str = ""


@dataclass
class Totals:
    groups: list[VatGroup] = field(default_factory=list)
    amount: TaxedAmount = field(default_factory=TaxedAmount.zero)
    prepaid: Decimal = ZERO
    household: TaxedAmount = field(default_factory=TaxedAmount.zero)

    @property
    def due(self) -> Decimal:
        return self.amount.gross - self.prepaid


# --- pure calculations --------------------------------------------------------------------------


def tax_category(treatment: str, rate: Decimal) -> str:
    """UNCL 5305 VAT category for a line under the invoice's tax treatment."""
    if treatment == Invoice.TaxTreatment.SMALL_BUSINESS:
        return "E"
    if treatment == Invoice.TaxTreatment.REVERSE_CHARGE:
        return "AE"
    return "Z" if rate == ZERO_RATE else "S"


def exemption_reason(category: str) -> str:
    return {"E": texts.SMALL_BUSINESS_REASON, "AE": texts.REVERSE_CHARGE_REASON}.get(category, "")


def compute_totals(lines, deductions=(), *, private: bool = False) -> Totals:
    """VAT per category and rate, rounded once per group (EN 16931 BR-CO-17), the invoice
    total, the deducted progress payments and the §35a share (labour, travel, machine)."""
    bases: dict[tuple[str, Decimal], Decimal] = defaultdict(lambda: ZERO)
    household: dict[Decimal, Decimal] = defaultdict(lambda: ZERO)
    for line in lines:
        bases[(line.tax_category, to_decimal(line.vat_rate))] += line.net_amount
        if line.kind in InvoiceLine.HOUSEHOLD_KINDS:
            household[to_decimal(line.vat_rate)] += line.net_amount
    groups = [
        VatGroup(category, rate, basis, tax_for(basis, rate), exemption_reason(category))
        for (category, rate), basis in sorted(bases.items(), key=lambda kv: (-kv[0][1], kv[0][0]))
    ]
    net = sum((g.basis for g in groups), ZERO)
    tax = sum((g.tax for g in groups), ZERO)
    totals = Totals(groups=groups, amount=TaxedAmount(net, tax, net + tax))
    totals.prepaid = sum((d.gross for d in deductions), ZERO)
    if private:
        totals.household = sum(
            (TaxedAmount.from_net(n, r) for r, n in household.items()), TaxedAmount.zero()
        )
    return totals


def invoice_totals(invoice: Invoice) -> Totals:
    return compute_totals(
        list(invoice.lines.all()),
        list(invoice.deductions.all()),
        private=invoice.buyer_kind == Customer.Kind.PRIVATE,
    )


# --- parties ------------------------------------------------------------------------------------


def get_cooperative() -> Cooperative:
    cooperative = Cooperative.objects.order_by("pk").first()
    if cooperative is None:
        raise ValidationError({"issuer": _("No cooperative has been set up.")})
    return cooperative


def issuer_key(workshop: Workshop | None) -> str:
    return f"ws{workshop.pk}" if workshop else "coop"


def _seller_fields(issuer: Workshop | None) -> dict:
    if issuer is None:
        coop = get_cooperative()
        return {
            "seller_name": coop.legal_name,
            "seller_contact": settings.INVOICING_CONTACT_NAME,
            "seller_street": coop.street,
            "seller_postal_code": coop.postal_code,
            "seller_city": coop.city,
            "seller_vat_id": coop.vat_id,
            "seller_tax_number": coop.tax_number,
            "seller_register": coop.register_entry,
            "seller_email": coop.email,
            "seller_phone": coop.phone,
            "seller_iban": coop.iban.replace(" ", ""),
            "seller_bic": coop.bic,
            "seller_bank": coop.bank_name,
        }
    register = ""
    if issuer.craft_register_number:
        register = f"Handwerksrolle {issuer.craft_register_number}"
        if issuer.chamber:
            register += f" ({issuer.chamber})"
    return {
        "seller_name": issuer.legal_name,
        "seller_contact": issuer.owner_name,
        "seller_street": issuer.street,
        "seller_postal_code": issuer.postal_code,
        "seller_city": issuer.city,
        "seller_vat_id": issuer.vat_id,
        "seller_tax_number": issuer.tax_number,
        "seller_register": register,
        "seller_email": issuer.email,
        "seller_phone": issuer.phone,
        "seller_iban": issuer.iban.replace(" ", ""),
        "seller_bic": issuer.bic,
        "seller_bank": "",
    }


def _buyer_fields(customer: Customer, site: Site | None) -> dict:
    person = f"{customer.first_name} {customer.last_name}".strip()
    fields = {
        "customer": customer,
        "buyer_kind": customer.kind,
        "buyer_name": customer.company or person,
        "buyer_attention": person if customer.company else "",
        "buyer_street": customer.street,
        "buyer_postal_code": customer.postal_code,
        "buyer_city": customer.city,
        "buyer_country": customer.country or "DE",
        "buyer_vat_id": customer.vat_id,
        "buyer_email": customer.email,
        "buyer_reference": customer.buyer_reference,
        "customer_number": f"K{customer.pk:05d}",
    }
    if site is not None:
        fields.update(
            site_street=site.street, site_postal_code=site.postal_code, site_city=site.city
        )
    return fields


def tax_treatment_for(issuer: Workshop | None, customer: Customer) -> str:
    """§19 first (a small business never charges VAT, and §13b Abs. 5 Satz 8 UStG excludes reverse
    charge for it), then §13b for construction services to a construction business."""
    if issuer is not None and issuer.small_business:
        return Invoice.TaxTreatment.SMALL_BUSINESS
    if customer.kind == Customer.Kind.BUSINESS and customer.construction_business:
        return Invoice.TaxTreatment.REVERSE_CHARGE
    return Invoice.TaxTreatment.STANDARD


# --- drafts -------------------------------------------------------------------------------------


def _check_line(index: int, line: LineInput) -> None:
    name = f"lines[{index}]"
    if line.kind not in InvoiceLine.Kind.values:
        raise ValidationError({f"{name}.kind": f"Unbekannte Positionsart {line.kind!r}."})
    if line.unit not in InvoiceLine.Unit.values:
        raise ValidationError({f"{name}.unit": f"Unbekannte Einheit {line.unit!r}."})
    if not line.text.strip():
        raise ValidationError({f"{name}.text": "Die Position braucht einen Text."})
    if to_decimal(line.vat_rate) not in ALLOWED_RATES:
        raise ValidationError({f"{name}.vat_rate": "Steuersatz ist 19, 7 oder 0 %."})
    if to_decimal(line.quantity) == 0:
        raise ValidationError({f"{name}.quantity": "Die Menge darf nicht 0 sein."})
    if round_money(line.unit_price) != to_decimal(line.unit_price):
        raise ValidationError({f"{name}.unit_price": "Einzelpreise sind ganze Cent."})


def _add_lines(invoice: Invoice, lines: list[LineInput], start: int = 1) -> None:
    rows = []
    for offset, line in enumerate(lines):
        _check_line(start + offset - 1, line)
        rate = to_decimal(line.vat_rate)
        if invoice.tax_treatment != Invoice.TaxTreatment.STANDARD:
            rate = ZERO_RATE
        quantity = to_decimal(line.quantity)
        rows.append(
            InvoiceLine(
                invoice=invoice,
                position=start + offset,
                kind=line.kind,
                text=line.text.strip()[:300],
                detail=line.detail[:300],
                quantity=quantity,
                unit=line.unit,
                unit_price=to_decimal(line.unit_price),
                net_amount=round_money(quantity * to_decimal(line.unit_price)),
                vat_rate=rate,
                tax_category=tax_category(invoice.tax_treatment, rate),
                performed_by=line.performed_by,
            )
        )
    InvoiceLine.objects.bulk_create(rows)


def _store_totals(invoice: Invoice) -> Totals:
    totals = invoice_totals(invoice)
    invoice.net_total = totals.amount.net
    invoice.tax_total = totals.amount.tax
    invoice.gross_total = totals.amount.gross
    invoice.prepaid_total = totals.prepaid
    invoice.amount_due = totals.due
    invoice.household_services = totals.household.gross
    invoice.save(
        update_fields=[
            "net_total",
            "tax_total",
            "gross_total",
            "prepaid_total",
            "amount_due",
            "household_services",
        ]
    )
    return totals


def create_draft(
    *,
    customer: Customer,
    lines: list[LineInput],
    title: str,
    performance_start: date,
    performance_end: date,
    issuer: Workshop | None = None,
    kind: str = Invoice.Kind.INVOICE,
    site: Site | None = None,
    package: Package | None = None,
    introduction: str = "",
    payment_days: int | None = None,
    compensation: bool = False,
) -> Invoice:
    """A draft invoice with the seller's and buyer's data copied in and the totals computed.
    Takes no locks; nothing is numbered until :func:`issue_invoice`."""
    if kind not in Invoice.Kind.values:
        raise ValidationError(
            {"kind": _("Unknown kind of document %(kind)s.") % {"kind": repr(kind)}}
        )
    if not lines:
        raise ValidationError({"lines": _("An invoice needs at least one line.")})
    if performance_end < performance_start:
        raise ValidationError({"performance_end": _("The end of the work lies before its start.")})
    if not title.strip():
        raise ValidationError({"title": _("The subject is missing.")})
    if issuer is not None and not issuer.active:
        raise ValidationError({"issuer": _("The workshop is not an active member.")})
    with transaction.atomic():
        invoice = Invoice.objects.create(
            issuer_key=issuer_key(issuer),
            issuer_workshop=issuer,
            kind=kind,
            tax_treatment=tax_treatment_for(issuer, customer),
            performance_start=performance_start,
            performance_end=performance_end,
            payment_days=(
                payment_days if payment_days is not None else settings.INVOICING_PAYMENT_DAYS
            ),
            title=title.strip()[:200],
            introduction=introduction,
            compensation=compensation,
            package=package,
            **_seller_fields(issuer),
            **_buyer_fields(customer, site or (package.site if package else None)),
        )
        _add_lines(invoice, lines)
        _store_totals(invoice)
    return invoice


def add_lines(invoice: Invoice, lines: list[LineInput]) -> Invoice:
    """Append positions to a draft. Locks the invoice row; refuses issued invoices."""
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if not invoice.is_draft:
            raise ValidationError({"invoice": _("Only drafts can be changed.")})
        last = invoice.lines.order_by("-position").values_list("position", flat=True).first()
        _add_lines(invoice, lines, start=(last or 0) + 1)
        _store_totals(invoice)
    return invoice


def delete_draft(invoice: Invoice) -> None:
    """Throw a draft away (it never had a number, so no gap appears)."""
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if not invoice.is_draft:
            raise ValidationError({"invoice": _("Issued invoices are cancelled, not deleted.")})
        invoice.delete()


# --- package invoices ---------------------------------------------------------------------------


def default_billings(package: Package) -> list[TaskBilling]:
    """Who performed each task, from its live appointment. Read through the app registry:
    invoicing and scheduling do not import each other."""
    appointment_model = apps.get_model("scheduling", "Appointment")
    tasks = list(package.tasks.exclude(status=Task.Status.CANCELLED).select_related("trade"))
    appointments = {
        a.task_id: a
        for a in appointment_model.objects.filter(task__in=tasks)
        .exclude(status="cancelled")
        .select_related("workshop")
    }
    billings = []
    for task in tasks:
        appointment = appointments.get(task.pk)
        if appointment is None:
            raise ValidationError(
                {
                    "billings": _("No workshop is planned for the task %(task)s.")
                    % {"task": repr(task.code)}
                }
            )
        start = timezone.localtime(appointment.start).date()
        end = timezone.localtime(appointment.end).date()
        billings.append(
            TaskBilling(
                task=task,
                workshop=appointment.workshop,
                # Round trip per working day, as the quote charged it.
                travel_km=Decimal(appointment.travel_km * max(1, len(appointment.segments))),
                performed=(start, end),
            )
        )
    return billings


def hourly_rates(billings: list[TaskBilling]) -> dict[tuple[int, int], Decimal]:
    """The performing workshops' hourly rates for the billed tasks' trades, by
    ``(workshop id, trade id)``: one query for the whole invoice, not one per task."""
    offers = WorkshopTrade.objects.filter(
        workshop__in={b.workshop.pk for b in billings},
        trade__in={b.task.trade_id for b in billings},
    ).values_list("workshop_id", "trade_id", "hourly_rate")
    return {(workshop, trade): rate for workshop, trade, rate in offers}


def _hourly_rate(
    workshop: Workshop, task: Task, rates: dict[tuple[int, int], Decimal] | None
) -> Decimal:
    if rates is None:
        rates = hourly_rates([TaskBilling(task=task, workshop=workshop)])
    rate = rates.get((workshop.pk, task.trade_id))
    if rate is None:
        raise ValidationError(
            {
                "billings": _("%(workshop)s does not offer the trade %(trade)s.")
                % {"workshop": workshop.name, "trade": task.trade.name}
            }
        )
    return rate


def lines_for_billing(
    billing: TaskBilling,
    agreed: dict[tuple[str, str | None], Decimal] | None = None,
    rates: dict[tuple[int, int], Decimal] | None = None,
) -> list[LineInput]:
    """Labour, machine, travel and material of one task, as separate positions so the §35a
    share can be stated. Labour is billed at the hourly rate the homeowner accepted for the task
    (``agreed``: :func:`jobs.supplements.agreed_task_rates`), else at the performing workshop's:
    a re-plan that hands the work to a dearer member, or a member's new price list, does not
    change the price of an accepted order. ``rates``: :func:`hourly_rates` of the invoice's
    billings, else looked up for this one."""
    task, workshop = billing.task, billing.workshop
    rate = _hourly_rate(workshop, task, rates)  # also refuses a workshop without the trade
    agreed = agreed or {}
    trade = task.trade.name_de
    rate = agreed.get((trade, task.name_de), agreed.get((trade, None), rate))
    detail = f"{task.trade.name_de} · {workshop.name}"
    hours = (
        to_decimal(billing.hours)
        if billing.hours is not None
        else to_decimal(task.duration_hours) * task.crew_size
    )
    material = to_decimal(billing.material if billing.material is not None else task.material_cost)
    common = {"vat_rate": to_decimal(billing.vat_rate), "performed_by": workshop, "detail": detail}
    lines = [
        LineInput(
            kind=InvoiceLine.Kind.LABOUR,
            text=f"{task.name_de} – Arbeitszeit",
            quantity=hours,
            unit=InvoiceLine.Unit.HOUR,
            unit_price=rate,
            **common,
        )
    ]
    if billing.machine_hours:
        lines.append(
            LineInput(
                kind=InvoiceLine.Kind.MACHINE,
                text=f"{task.name_de} – Maschineneinsatz",
                quantity=to_decimal(billing.machine_hours),
                unit=InvoiceLine.Unit.HOUR,
                unit_price=to_decimal(billing.machine_rate),
                **common,
            )
        )
    if billing.travel_km:
        lines.append(
            LineInput(
                kind=InvoiceLine.Kind.TRAVEL,
                text=f"{task.name_de} – Anfahrt",
                quantity=to_decimal(billing.travel_km),
                unit=InvoiceLine.Unit.KILOMETRE,
                unit_price=settings.TRAVEL_RATE_PER_KM,
                **common,
            )
        )
    if material:
        lines.append(
            LineInput(
                kind=InvoiceLine.Kind.MATERIAL,
                text=f"{task.name_de} – Material",
                quantity=Decimal(1),
                unit=InvoiceLine.Unit.LUMP_SUM,
                unit_price=round_money(material),
                **common,
            )
        )
    return lines


def coordination_fee_lines(package: Package) -> list[LineInput]:
    """The cooperative's coordination fee as the homeowner accepted it: one position per fee line
    of the package's accepted quote (the accepted version of a revised one) and of each
    supplement she accepted, with the line's net amount and VAT rate — not recomputed from what
    is billed, which may differ from the estimate. The positions are the cooperative's own (no
    ``performed_by``): the member settlement pays them out to no one. They are not labour, so
    they stay outside the §35a share, as on the quote. No accepted quote, or no fee on it: no
    position."""
    quote = package.quotes.filter(status=Quote.Status.ACCEPTED).first()
    if quote is None:
        return []
    accepted = [
        (f"gemäß angenommenem Angebot {package.pk}-{quote.version}", line)
        for line in quote.lines.filter(kind=QuoteLine.Kind.FEE).order_by("position")
    ] + [
        (f"gemäß angenommenem Nachtrag {package.pk}-N{line.supplement.number}", line)
        for line in SupplementLine.objects.filter(
            supplement__package=package,
            supplement__status=Supplement.Status.ACCEPTED,
            kind=SupplementLine.Kind.FEE,
        )
        .select_related("supplement")
        .order_by("supplement__number", "position")
    ]
    return [
        LineInput(
            kind=InvoiceLine.Kind.OTHER,
            text=COORDINATION_FEE_TEXT,
            detail=detail,
            quantity=Decimal(1),
            unit=InvoiceLine.Unit.LUMP_SUM,
            unit_price=line.net,
            vat_rate=line.vat_rate,
            performed_by=None,
        )
        for detail, line in accepted
        if line.net
    ]


def _check_finished(package: Package) -> None:
    open_tasks = package.tasks.exclude(status__in=[Task.Status.DONE, Task.Status.CANCELLED])
    if package.status != Package.Status.DONE and open_tasks.exists():
        raise ValidationError({"package": _("The package is not finished yet.")})


def _check_billings(package: Package, billings: list[TaskBilling], issuer: Workshop | None):
    if not billings:
        raise ValidationError({"billings": _("There is no work to invoice.")})
    if any(b.task.package_id != package.pk for b in billings):
        raise ValidationError({"billings": _("A piece of work belongs to another package.")})
    if issuer is not None and any(b.workshop.pk != issuer.pk for b in billings):
        raise ValidationError(
            {"issuer": _("A member workshop invoices only its own work directly.")}
        )


def _performance_period(package: Package, billings: list[TaskBilling]) -> tuple[date, date]:
    periods = [b.performed for b in billings if b.performed]
    if periods:
        return min(p[0] for p in periods), max(p[1] for p in periods)
    return package.earliest_start, max(package.earliest_start, timezone.localdate())


def _deducted_progress():
    """Progress invoices already deducted on a final invoice that stands (not cancelled)."""
    return InvoiceDeduction.objects.filter(
        invoice__kind=Invoice.Kind.FINAL,
        invoice__state__in=[Invoice.State.ISSUED, Invoice.State.PAID],
    ).values("progress_invoice")


# --- compensation after a withdrawal (§ 357a Abs. 2 BGB) -----------------------------------------


@dataclass
class Recorded:
    """What one workshop recorded on one task before the withdrawal: hours, material (net) and
    the days it worked. ``workshop`` is None when nobody is known to have done the task."""

    task: Task
    workshop: Workshop | None
    hours: Decimal = ZERO
    material: Decimal = ZERO
    days: set[date] = field(default_factory=set)


@dataclass(frozen=True)
class Compensation:
    """The work recorded on a withdrawn package before the withdrawal was received, and whether
    it may be billed: one reading for the office's page and for :func:`generate_package_invoice`.
    """

    withdrawn_at: datetime
    consent: bool
    contract: Quote | None
    recorded: tuple[Recorded, ...]
    hours_after: Decimal
    material_after: Decimal

    @property
    def hours(self) -> Decimal:
        return sum((r.hours for r in self.recorded), ZERO)

    @property
    def material(self) -> Decimal:
        return sum((r.material for r in self.recorded), ZERO)

    def errors(self) -> dict[str, str]:
        """Why no compensation may be billed, by field; empty when it may."""
        if not self.consent:
            return {
                "early_start_consent": _(
                    "The homeowner did not expressly ask for the work to begin within the "
                    "withdrawal period, so nothing is owed for the work done before the "
                    "withdrawal (§ 357a Abs. 2 BGB)."
                )
            }
        if not self.recorded:
            return {
                "billings": _(
                    "No hours or material were recorded before the withdrawal: there is nothing "
                    "to bill as compensation."
                )
            }
        for item in self.recorded:
            if item.workshop is None:
                return {
                    "billings": _("No workshop is known to have done the task %(task)s.")
                    % {"task": repr(item.task.code)}
                }
        return {}

    def billings(self) -> list[TaskBilling]:
        """The recorded work as billings: its hours and material, no travel (the homeowner
        pays for the work done, and the work recorded is what the office can show)."""
        return [
            TaskBilling(
                task=item.task,
                workshop=item.workshop,
                hours=item.hours,
                material=round_money(item.material),
                performed=(min(item.days), max(item.days)),
            )
            for item in self.recorded
        ]


def _hours_before(entry: TimeEntry, moment: datetime) -> Decimal:
    """The hours of ``entry`` worked before ``moment``: all of them, the part up to it for an
    entry it falls into, none for an entry that started at or after it."""
    if entry.start >= moment:
        return ZERO
    until = entry.end or entry.start + timedelta(hours=float(entry.hours))
    if until <= moment:
        return entry.hours
    worked = Decimal((moment - entry.start).total_seconds()) / Decimal(3600)
    return min(entry.hours, worked.quantize(Decimal("0.01")))


def _performers(package: Package) -> dict[int, Workshop]:
    """Each task's workshop: that of its latest appointment, live or cancelled by the withdrawal
    (read through the app registry: invoicing and scheduling do not import each other)."""
    appointment_model = apps.get_model("scheduling", "Appointment")
    appointments = (
        appointment_model.objects.filter(task__package=package)
        .select_related("workshop")
        .order_by("task_id", "pk")
    )
    return {a.task_id: a.workshop for a in appointments}


def compensation(package: Package) -> Compensation | None:
    """The work recorded on a withdrawn package's tasks (cancelled ones too) before the moment
    the withdrawal was received; None for a package that was not withdrawn.

    Hours count by when they were worked, whenever the phone sent them: an entry counts up to
    the moment, one that started later not at all, and the worker's workshop did them (the
    task's workshop for an entry without a worker). Material counts by when the phone noted it
    or, when it did not say, when it arrived: material that arrived afterwards without saying
    when it was used is not billed. It was used by the task's workshop (or by the only one
    that recorded hours on the task). Takes no locks."""
    if package.withdrawn_at is None:
        return None
    moment = package.withdrawn_at
    contract = package.quotes.filter(status=Quote.Status.ACCEPTED).first()
    performers = _performers(package)
    recorded: dict[tuple[int, int | None], Recorded] = {}
    after = ZERO

    def piece(task: Task, workshop: Workshop | None) -> Recorded:
        key = (task.pk, workshop.pk if workshop else None)
        return recorded.setdefault(key, Recorded(task=task, workshop=workshop))

    entries = TimeEntry.objects.filter(task__package=package).select_related(
        "task__trade", "worker__workshop"
    )
    for entry in entries.order_by("start", "pk"):
        hours = _hours_before(entry, moment)
        after += entry.hours - hours
        if hours:
            workshop = entry.worker.workshop if entry.worker else performers.get(entry.task_id)
            item = piece(entry.task, workshop)
            item.hours += hours
            item.days.add(timezone.localdate(entry.start))
    material_after = ZERO
    materials = (
        MaterialEntry.objects.filter(task__package=package)
        .select_related("task__trade")
        .annotate(used_at=Coalesce("noted_at", "created_at"))
    )
    for entry in materials.order_by("used_at", "pk"):
        amount = entry.quantity * entry.unit_price
        if entry.used_at >= moment:
            material_after += amount
            continue
        workshop = performers.get(entry.task_id)
        if workshop is None:
            known = {r.workshop for r in recorded.values() if r.task.pk == entry.task_id}
            workshop = known.pop() if len(known) == 1 else None
        item = piece(entry.task, workshop)
        item.material += amount
        item.days.add(timezone.localdate(entry.used_at))
    ordered = sorted(
        recorded.values(), key=lambda r: (r.task.position, r.task.pk, r.workshop is None)
    )
    return Compensation(
        withdrawn_at=moment,
        consent=bool(contract and contract.early_start_consent),
        contract=contract,
        recorded=tuple(ordered),
        hours_after=after,
        material_after=round_money(material_after),
    )


def _compensation_lines(
    owed: Compensation, billings: list[TaskBilling], agreed: dict[tuple[str, str | None], Decimal]
) -> list[LineInput]:
    """The compensation's positions. Never more than the agreed price: the law takes it as the
    basis and the homeowner owes the share of it the work done makes up (§ 357a Abs. 2 BGB)."""
    rates = hourly_rates(billings)
    lines = [
        line for b in billings for line in lines_for_billing(b, agreed, rates) if line.quantity
    ]
    contract = owed.contract
    net = sum((round_money(line.quantity * line.unit_price) for line in lines), ZERO)
    if contract is not None and net > contract.net:
        raise ValidationError(
            {
                "billings": _(
                    "The hours and material recorded until the withdrawal come to %(net)s net, "
                    "more than the agreed price of %(agreed)s: compensation is a share of the "
                    "agreed price. Please check the time sheets."
                )
                % {"net": format_eur(net), "agreed": format_eur(contract.net)}
            }
        )
    return lines


def _package_billing(package: Package, billings, issuer: Workshop | None) -> dict:
    """The lines and the texts of a package's invoice: the work done with the accepted quote's
    coordination fee; for a withdrawn package the compensation for the work recorded until the
    withdrawal (:func:`compensation`), refused with the reason when none is owed."""
    owed = compensation(package)
    agreed = agreed_task_rates(package)
    if owed is None:
        _check_finished(package)  # before asking who did the work
        billings = billings if billings is not None else default_billings(package)
        _check_billings(package, billings, issuer)
        rates = hourly_rates(billings)
        lines = [line for b in billings for line in lines_for_billing(b, agreed, rates)]
        if issuer is None:
            lines += coordination_fee_lines(package)
        return {"billings": billings, "lines": lines, "title": package.title}
    if billings is not None:
        raise ValidationError(
            {"billings": _("A withdrawn package is billed only for the work recorded until then.")}
        )
    errors = owed.errors()
    if errors:
        raise ValidationError(errors)
    billings = owed.billings()
    _check_billings(package, billings, issuer)
    received = timezone.localtime(owed.withdrawn_at)
    moment = {"date": f"{received:%d.%m.%Y}", "time": f"{received:%H:%M}"}
    return {
        "billings": billings,
        # No coordination fee: the quote's fee is for coordinating the whole package, and its
        # share for the work done until the withdrawal is not worked out here, so none is
        # charged (the note on the invoice says so).
        "lines": _compensation_lines(owed, billings, agreed),
        "title": texts.COMPENSATION_TITLE.format(title=package.title),
        "introduction": texts.COMPENSATION_INTRODUCTION.format(title=package.title, **moment),
        "compensation": True,
    }


def generate_package_invoice(
    package: Package,
    *,
    billings: list[TaskBilling] | None = None,
    issuer: Workshop | None = None,
    final: bool | None = None,
    performance: tuple[date, date] | None = None,
) -> Invoice:
    """A draft invoice for a finished package built from its tasks. The cooperative issues it as
    general contractor unless ``issuer`` is the member workshop that did all of the work; the
    cooperative's invoice also charges the coordination fee of the accepted quote
    (:func:`coordination_fee_lines`), a member's own invoice does not. When progress invoices
    were issued for the package it becomes the final invoice and deducts them (and their VAT).

    A withdrawn package gets the compensation invoice instead (``compensation`` set): only the
    hours and material recorded until the withdrawal, at the usual rates, no coordination fee,
    and only when the homeowner had asked for the work to begin early (else a
    ``ValidationError`` naming ``early_start_consent``, and nothing is written).
    Locks the package row, and its progress invoices while deducting them."""
    with transaction.atomic():
        package = (
            Package.objects.select_for_update()
            .select_related("customer", "site")
            .get(pk=package.pk)
        )
        billing = _package_billing(package, billings, issuer)
        billings, lines = billing.pop("billings"), billing.pop("lines")
        progress = list(
            Invoice.objects.select_for_update(of=("self",))
            .filter(
                package=package,
                kind=Invoice.Kind.PROGRESS,
                issuer_key=issuer_key(issuer),
                state__in=[Invoice.State.ISSUED, Invoice.State.PAID],
            )
            .exclude(pk__in=_deducted_progress())
            .order_by("issue_date", "sequence")
        )
        is_final = bool(progress) if final is None else final
        start, end = performance or _performance_period(package, billings)
        invoice = create_draft(
            customer=package.customer,
            lines=lines,
            performance_start=start,
            performance_end=end,
            issuer=issuer,
            kind=Invoice.Kind.FINAL if is_final else Invoice.Kind.INVOICE,
            package=package,
            **billing,
        )
        for item in progress:
            totals = invoice_totals(item)
            InvoiceDeduction.objects.create(
                invoice=invoice,
                progress_invoice=item,
                progress_number=item.number,
                progress_date=item.issue_date,
                vat_rate=totals.groups[0].rate if totals.groups else ZERO_RATE,
                net=item.net_total,
                tax=item.tax_total,
                gross=item.gross_total,
            )
        _store_totals(invoice)
    return invoice


def draft_package_invoice(package: Package) -> Invoice:
    """The office drafts a package's invoice by hand, to check and issue it
    (:func:`generate_package_invoice`: a finished package's, or a withdrawn package's
    compensation). Once: while the package has an invoice that stands (a draft too, not a
    cancelled one) another is refused naming it, as the month-end run would skip the package.
    Locks the package row first, so two clerks at once draft one."""
    with transaction.atomic():
        locked = Package.objects.select_for_update().get(pk=package.pk)
        standing = (
            Invoice.objects.filter(
                package=locked, kind__in=[Invoice.Kind.INVOICE, Invoice.Kind.FINAL]
            )
            .exclude(state=Invoice.State.CANCELLED)
            .order_by("pk")
            .first()
        )
        if standing is not None:
            name = standing.number or _("draft #%(id)s") % {"id": standing.pk}
            raise ValidationError(
                {
                    "package": _("The package has its invoice already: %(invoice)s.")
                    % {"invoice": name}
                }
            )
        return generate_package_invoice(locked)


def generate_progress_invoice(
    package: Package,
    *,
    net_amount: Decimal,
    text: str,
    performance: tuple[date, date],
    issuer: Workshop | None = None,
    vat_rate: Decimal = STANDARD_RATE,
) -> Invoice:
    """A draft progress invoice (Abschlagsrechnung, §632a BGB) for work done so far on a booked
    package. Its VAT is due on payment and is deducted again by the final invoice."""
    net_amount = to_decimal(net_amount)
    if net_amount <= 0 or round_money(net_amount) != net_amount:
        raise ValidationError(
            {"net_amount": _("A progress payment is a positive amount in cents.")}
        )
    if package.status not in (
        Package.Status.ACCEPTED,
        Package.Status.IN_PROGRESS,
        Package.Status.DONE,
    ):
        raise ValidationError({"package": _("Progress invoices are only for ordered packages.")})
    return create_draft(
        customer=package.customer,
        lines=[
            LineInput(
                kind=InvoiceLine.Kind.ADVANCE,
                text=text,
                quantity=Decimal(1),
                unit=InvoiceLine.Unit.LUMP_SUM,
                unit_price=net_amount,
                vat_rate=vat_rate,
            )
        ],
        title=package.title,
        performance_start=performance[0],
        performance_end=performance[1],
        issuer=issuer,
        kind=Invoice.Kind.PROGRESS,
        package=package,
    )


# --- issuing ------------------------------------------------------------------------------------


def _check_parties(invoice: Invoice) -> dict:
    errors = {}
    if not (invoice.seller_vat_id or invoice.seller_tax_number):
        errors["seller_vat_id"] = "Steuernummer oder USt-IdNr. des Leistenden fehlt."
    for name in ("seller_name", "seller_street", "seller_postal_code", "seller_city"):
        if not getattr(invoice, name):
            errors[name] = "Name und Anschrift des Leistenden sind Pflicht."
    for name in ("buyer_name", "buyer_street", "buyer_postal_code", "buyer_city"):
        if not getattr(invoice, name):
            errors[name] = "Name und Anschrift des Leistungsempfängers sind Pflicht."
    return errors


def _check_treatment(invoice: Invoice) -> dict:
    errors = {}
    if invoice.tax_treatment == Invoice.TaxTreatment.REVERSE_CHARGE:
        if not invoice.buyer_vat_id:
            errors["buyer_vat_id"] = "Für § 13b UStG ist die USt-IdNr. des Empfängers Pflicht."
        if not invoice.seller_vat_id:
            errors["seller_vat_id"] = "Für § 13b UStG ist die eigene USt-IdNr. Pflicht."
    if invoice.buyer_kind == Customer.Kind.PUBLIC:
        if not invoice.buyer_reference:
            errors["buyer_reference"] = "Öffentliche Auftraggeber verlangen die Leitweg-ID."
        if not invoice.seller_phone:
            errors["seller_phone"] = (
                "XRechnung verlangt eine Telefonnummer des Verkäufers: in den Stammdaten "
                "eintragen, dann diesen Entwurf löschen und neu erstellen."
            )
    return errors


def check_issuable(invoice: Invoice) -> None:
    """The content §14 Abs. 4 UStG and, for public buyers, XRechnung require."""
    errors = {**_check_parties(invoice), **_check_treatment(invoice)}
    if not invoice.lines.exists():
        errors["lines"] = "Eine Rechnung braucht mindestens eine Position."
    if invoice.kind == Invoice.Kind.CANCELLATION and invoice.original_id is None:
        errors["original"] = "Ein Storno verweist auf die stornierte Rechnung."
    if errors:
        raise ValidationError(errors)


def _next_number(key: str, year: int, prefix: str) -> tuple[int, str]:
    """Lock the issuer's counter row for ``year`` (creating it if needed) and take the next
    number. The lock is held until the issuing transaction ends, so a rollback gives the number
    back and no gap appears."""
    InvoiceCounter.objects.bulk_create(
        [InvoiceCounter(issuer_key=key, year=year, last=0)], ignore_conflicts=True
    )
    counter = InvoiceCounter.objects.select_for_update().get(issuer_key=key, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last, f"{prefix}-{year}-{counter.last:05d}"


#: The number series of the self-billing credit notes the cooperative issues to its members.
CREDIT_NOTE_KEY = Invoice.SELF_BILLED_KEY


def number_prefix(invoice: Invoice) -> str:
    if invoice.issuer_key == CREDIT_NOTE_KEY:
        return getattr(settings, "INVOICING_CREDIT_NOTE_PREFIX", "GS")
    base = settings.INVOICING_NUMBER_PREFIX
    return f"{base}{invoice.issuer_workshop_id}" if invoice.issuer_workshop_id else base


def legal_notes(invoice: Invoice, totals: Totals) -> list[str]:
    """The notes the law asks for on this invoice, in print order."""
    notes = []
    treatment = invoice.tax_treatment
    if invoice.kind == Invoice.Kind.CREDIT_NOTE:
        notes.append(texts.CREDIT_NOTE_NOTICE)
    if invoice.kind == Invoice.Kind.CANCELLATION and invoice.original_id:
        original = invoice.original
        notes.append(
            texts.CANCELLATION_NOTICE.format(
                number=original.number, date=original.issue_date.strftime("%d.%m.%Y")
            )
        )
    if invoice.compensation and invoice.kind != Invoice.Kind.CANCELLATION:
        received = timezone.localtime(invoice.package.withdrawn_at)
        notes.append(
            texts.COMPENSATION_NOTICE.format(date=f"{received:%d.%m.%Y}", time=f"{received:%H:%M}")
        )
    if invoice.kind == Invoice.Kind.PROGRESS:
        notes.append(texts.PROGRESS_NOTICE)
    if invoice.kind == Invoice.Kind.FINAL and totals.prepaid:
        notes.append(texts.FINAL_NOTICE)
    if treatment == Invoice.TaxTreatment.REVERSE_CHARGE:
        notes.append(texts.REVERSE_CHARGE_NOTICE)
    if treatment == Invoice.TaxTreatment.SMALL_BUSINESS:
        notes.append(texts.SMALL_BUSINESS_NOTICE)
    if any(g.category == "Z" for g in totals.groups):
        notes.append(texts.ZERO_RATE_NOTICE)
    if invoice.buyer_kind == Customer.Kind.PRIVATE and totals.household.gross > 0:
        notes.append(
            texts.HOUSEHOLD_NOTICE.format(
                gross=format_eur(totals.household.gross),
                net=format_eur(totals.household.net),
                tax=format_eur(totals.household.tax),
            )
        )
    if invoice.buyer_kind == Customer.Kind.PRIVATE and invoice.site_street:
        notes.append(texts.RETENTION_NOTICE)
    return notes


def payment_terms(invoice: Invoice) -> str:
    if invoice.kind == Invoice.Kind.CREDIT_NOTE and invoice.amount_due > 0:
        return texts.CREDIT_NOTE_PAYOUT
    if invoice.is_self_billed and invoice.amount_due < 0:  # a credit note taken back
        return texts.CREDIT_NOTE_REVERSAL
    if invoice.amount_due < 0 and invoice.compensation:
        return texts.COMPENSATION_REFUND_TERMS
    if invoice.amount_due < 0:
        return texts.REFUND_TERMS
    if invoice.amount_due == 0:
        return texts.NOTHING_DUE
    return texts.PAYMENT_TERMS.format(
        due=invoice.due_date.strftime("%d.%m.%Y"), number=invoice.number
    )


def asks_for_transfer(invoice: Invoice) -> bool:
    """Whether the issued invoice asks the buyer to transfer money: only then may its PDF offer a
    GiroCode. Not a credit note (the cooperative pays out), nothing due, or frozen terms other
    than the ordinary ones (a fee settled by offset says "bitte nicht überweisen")."""
    if invoice.kind == Invoice.Kind.CREDIT_NOTE or invoice.amount_due <= 0:
        return False
    return bool(invoice.legal_notes) and invoice.legal_notes[-1] == payment_terms(invoice)


#: The kinds billing a customer for work: settled by payment, or at once with nothing due.
CUSTOMER_BILLS = (Invoice.Kind.INVOICE, Invoice.Kind.FINAL)


def nothing_to_collect(invoice: Invoice) -> bool:
    """Whether the customer's invoice asks for no money: the progress payments it deducts cover
    it exactly (or it bills nothing). Not a credit note (settled with its member) nor a
    cancellation (no claim of its own)."""
    return invoice.kind in CUSTOMER_BILLS and invoice.amount_due == 0


def _groups(invoice: Invoice) -> list[str]:
    groups = invoice.staff_groups()
    if invoice.package_id:
        groups.append(f"package.{invoice.package_id}")
    return groups


def issue_invoice(
    invoice: Invoice,
    *,
    issue_date: date | None = None,
    today: date | None = None,
    terms: str | None = None,
) -> Invoice:
    """Give a draft its number and make it an issued, immutable document, dated ``issue_date``
    (``today``, the local day unless a run brings its own, when not given; never after it).
    ``terms`` replaces the ordinary payment terms (the last legal note), e.g. for an invoice
    settled by offset.

    Guarantees: numbers are unique and gapless per issuer and calendar year, also when many
    invoices are issued at once; the legal notes and due date are frozen with the content; an
    ``invoice.issued`` event is written to the outbox. A customer's invoice with nothing to
    collect (a final invoice the progress payments cover) is settled at once: ``paid`` on its
    issue date. Locks: the invoice row, then the issuer's counter row for the year, both
    ``FOR UPDATE`` until commit."""
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if not invoice.is_draft:
            state = invoice.get_state_display()
            raise ValidationError(
                {"state": _("The invoice is %(state)s already.") % {"state": state}}
            )
        check_issuable(invoice)
        today = today or timezone.localdate()
        issue_date = issue_date or today
        if issue_date < invoice.performance_start:
            raise ValidationError({"issue_date": _("The invoice date lies before the work.")})
        if issue_date > today:
            # Issued documents are immutable and open the year's number series: a mistyped
            # year would leave a wrong invoice (and series) that only a cancellation can undo.
            raise ValidationError({"issue_date": _("The invoice date must not lie in the future.")})
        totals = _store_totals(invoice)
        sequence, number = _next_number(invoice.issuer_key, issue_date.year, number_prefix(invoice))
        invoice.sequence, invoice.number, invoice.year = sequence, number, issue_date.year
        invoice.issue_date = issue_date
        invoice.issued_at = timezone.now()
        invoice.due_date = issue_date + timedelta(days=invoice.payment_days)
        invoice.state = Invoice.State.ISSUED
        invoice.state_changed_at = invoice.issued_at
        invoice.legal_notes = [*legal_notes(invoice, totals), terms or payment_terms(invoice)]
        if nothing_to_collect(invoice):
            # No payment will ever come to mark it paid, and the member settlement pays the
            # members their shares of paid invoices only.
            invoice.state, invoice.paid_on = Invoice.State.PAID, issue_date
        invoice.save()
        emit(
            _groups(invoice),
            "invoice.issued",
            {
                "invoice": invoice.pk,
                "number": invoice.number,
                "kind": invoice.kind,
                "gross": str(invoice.gross_total),
            },
        )
        if invoice.state == Invoice.State.PAID:
            emit(
                _groups(invoice), "invoice.paid", {"invoice": invoice.pk, "number": invoice.number}
            )
        delivery.mail_on_issue(invoice)
        logger.info("issued invoice %s (%s)", invoice.number, invoice.gross_total)
    return invoice


def cancel_invoice(
    invoice: Invoice, *, issue_date: date | None = None, today: date | None = None
) -> Invoice:
    """Cancel an issued invoice with a new document: a cancellation (Storno) whose lines and
    deductions are the original's negated, referencing the original, numbered in the same series.
    The original only changes state to ``cancelled`` (the database lets nothing else change).
    Locks: the original invoice ``FOR UPDATE``, then what :func:`issue_invoice` locks."""
    with transaction.atomic():
        original = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if original.state not in (Invoice.State.ISSUED, Invoice.State.PAID):
            raise ValidationError({"state": _("Only issued invoices are cancelled.")})
        if original.kind == Invoice.Kind.CANCELLATION:
            raise ValidationError({"kind": _("A cancellation is not cancelled.")})
        copied = {
            f.attname: getattr(original, f.attname)
            for f in Invoice._meta.concrete_fields
            if f.attname.startswith(("seller_", "buyer_", "site_"))
            or f.attname
            in (
                "issuer_key",
                "issuer_workshop_id",
                "tax_treatment",
                "performance_start",
                "performance_end",
                "customer_id",
                "customer_number",
                "package_id",
                "currency",
                "payment_days",
            )
        }
        cancellation = Invoice.objects.create(
            kind=Invoice.Kind.CANCELLATION,
            original=original,
            title=f"Storno {original.document_title} {original.number}: {original.title}"[:200],
            **copied,
        )
        InvoiceLine.objects.bulk_create(
            InvoiceLine(
                invoice=cancellation,
                position=line.position,
                kind=line.kind,
                text=line.text,
                detail=line.detail,
                quantity=-line.quantity,
                unit=line.unit,
                unit_price=line.unit_price,
                net_amount=-line.net_amount,
                vat_rate=line.vat_rate,
                tax_category=line.tax_category,
                performed_by_id=line.performed_by_id,
            )
            for line in original.lines.all()
        )
        InvoiceDeduction.objects.bulk_create(
            InvoiceDeduction(
                invoice=cancellation,
                progress_invoice_id=d.progress_invoice_id,
                progress_number=d.progress_number,
                progress_date=d.progress_date,
                vat_rate=d.vat_rate,
                net=-d.net,
                tax=-d.tax,
                gross=-d.gross,
            )
            for d in original.deductions.all()
        )
        _store_totals(cancellation)
        cancellation = issue_invoice(cancellation, issue_date=issue_date, today=today)
        original.state = Invoice.State.CANCELLED
        original.state_changed_at = timezone.now()
        original.save(update_fields=["state", "state_changed_at"])
        emit(
            _groups(original),
            "invoice.cancelled",
            {"invoice": original.pk, "number": original.number, "by": cancellation.number},
        )
    return cancellation


def mark_paid(invoice: Invoice, *, paid_on: date) -> Invoice:
    """Record that an issued invoice is settled. Only the bookkeeping columns change."""
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if invoice.state != Invoice.State.ISSUED:
            raise ValidationError({"state": _("Only open invoices can be paid.")})
        invoice.state = Invoice.State.PAID
        invoice.paid_on = paid_on
        invoice.state_changed_at = timezone.now()
        invoice.save(update_fields=["state", "paid_on", "state_changed_at"])
        emit(_groups(invoice), "invoice.paid", {"invoice": invoice.pk, "number": invoice.number})
    return invoice
