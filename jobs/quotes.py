"""Instant quotes: price a package from the planner's tentative schedule.

``jobs`` sits below ``scheduling`` and may not import it; the planner registers itself here at
start-up (``scheduling.apps``) and jobs asks it through ``tentative_schedule``.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _

from jobs.models import Package, QuoteLine
from trades.models import Cooperative, WorkshopTrade
from zunft.core.money import round_money
from zunft.core.units import Unit


@dataclass(frozen=True)
class Slot:
    """Where and when the planner would put a task: workshop, first/last day, working days,
    round-trip km per day."""

    workshop_id: int
    start: dt.datetime
    end: dt.datetime
    days: int
    travel_km: int


Scheduler = Callable[[Package], dict[int, Slot]]
_scheduler: list[Scheduler] = []


def register_scheduler(fn: Scheduler) -> None:
    _scheduler[:] = [fn]


def tentative_schedule(package: Package) -> dict[int, Slot]:
    if not _scheduler:
        raise RuntimeError("no scheduler registered (is the scheduling app installed?)")
    return _scheduler[0](package)


@dataclass(frozen=True)
class PricedLine:
    kind: str
    trade: str
    text: str
    quantity: Decimal
    unit: str  # a code of ``zunft.core.units.Unit``
    unit_price: Decimal

    @property
    def net(self) -> Decimal:
        return round_money(self.quantity * self.unit_price)


@dataclass(frozen=True)
class Pricing:
    lines: list[PricedLine]
    net: Decimal
    vat: Decimal
    gross: Decimal
    labour_gross: Decimal
    tax_reduction: Decimal
    start: dt.date | None
    completion: dt.date | None


LABOUR_KINDS = (QuoteLine.Kind.LABOUR, QuoteLine.Kind.TRAVEL)
# The quote is the contract and a German document, like the invoice that repeats its fee: line
# texts are German whatever language the request was made in (the task and trade names they
# carry are German too), and not translations a translator could reword.
MATERIAL_TEXT = "Material: %s"
TRAVEL_TEXT = "Anfahrt: %s"
COORDINATION_FEE_TEXT = "Koordination und Bauleitung"
TAX_REDUCTION_RATE = Decimal("0.20")  # §35a Abs. 3 EStG
TAX_REDUCTION_CAP = Decimal("1200.00")


def stored_lines(model, lines: list[PricedLine], **parent) -> list:
    """``lines`` as unsaved rows of ``model`` (``QuoteLine`` or ``SupplementLine``) for the
    ``parent`` given by keyword, numbered from 1, with the VAT rate in per cent."""
    vat_rate = Decimal(str(settings.VAT_RATE)) * 100
    return [
        model(
            position=i,
            kind=line.kind,
            trade=line.trade,
            text=line.text[:250],
            quantity=line.quantity,
            unit=line.unit,
            unit_price=line.unit_price,
            net=line.net,
            vat_rate=vat_rate,
            **parent,
        )
        for i, line in enumerate(lines, start=1)
    ]


def line_text_for_reader(text: str, task_names: dict[str, str]) -> str | None:
    """A stored (German) line text as ``price`` writes it, in the active language: the task's
    name (``task_names`` maps the German names to the reader's), "Material: …" and
    "Anfahrt: …" around it, or the coordination fee. None for a text ``price`` does not write,
    such as a line the office typed: that one exists in German only."""
    if text == COORDINATION_FEE_TEXT:
        return _("Coordination and site management")
    for german, reader in ((MATERIAL_TEXT, _("Material: %s")), (TRAVEL_TEXT, _("Travel: %s"))):
        prefix = german.removesuffix("%s")
        if text.startswith(prefix) and text.removeprefix(prefix) in task_names:
            return reader % task_names[text.removeprefix(prefix)]
    return task_names.get(text)


def totals(kinds_and_nets) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """Net, VAT, labour and travel gross, and the §35a estimate (20 % of labour and travel, at
    most 1,200 € a year) of quote lines given as ``(kind, net)`` pairs: the one place a quote's
    sums are made, for instant quotes and the office's revisions alike."""
    rows = list(kinds_and_nets)
    vat_rate = Decimal(str(settings.VAT_RATE))
    net = sum((amount for _kind, amount in rows), Decimal(0))
    labour_net = sum((amount for kind, amount in rows if kind in LABOUR_KINDS), Decimal(0))
    labour_gross = round_money(labour_net * (1 + vat_rate))
    reduction = min(round_money(labour_gross * TAX_REDUCTION_RATE), TAX_REDUCTION_CAP)
    return net, round_money(net * vat_rate), labour_gross, reduction


def material_line(trade: str, work: str, cost: Decimal) -> PricedLine:
    """The material of one piece of work, as a lump sum."""
    return PricedLine(
        QuoteLine.Kind.MATERIAL, trade, MATERIAL_TEXT % work, Decimal(1), Unit.LUMP_SUM, cost
    )


def coordination_fee(lines: list[PricedLine]) -> list[PricedLine]:
    """The cooperative's coordination fee on ``lines`` (its rate of their sum), or none: the
    one rule the instant quote and a supplement charge it by."""
    subtotal = sum((line.net for line in lines), Decimal(0))
    coop = Cooperative.objects.first()
    fee_rate = coop.fee_rate if coop else Decimal(0)
    if not (fee_rate and subtotal):
        return []
    return [
        PricedLine(
            QuoteLine.Kind.FEE,
            "",
            COORDINATION_FEE_TEXT,
            Decimal(1),
            Unit.LUMP_SUM,
            round_money(subtotal * fee_rate),
        )
    ]


def price(package: Package, schedule: dict[int, Slot]) -> Pricing:
    """Lines per trade: labour (hours × the planned workshop's rate), material, travel (km ×
    rate per km), the cooperative's coordination fee; VAT; the labour share and the §35a EStG
    estimate (20 % of labour and travel, at most 1,200 € a year)."""
    tasks = list(package.tasks.select_related("trade").order_by("position", "id"))
    rates = {
        (o.workshop_id, o.trade_id): o.hourly_rate
        for o in WorkshopTrade.objects.filter(
            workshop_id__in={s.workshop_id for s in schedule.values()}
        )
    }
    per_km = Decimal(str(settings.TRAVEL_RATE_PER_KM))
    lines: list[PricedLine] = []
    for task in tasks:
        slot = schedule.get(task.pk)
        if slot is None:
            continue
        trade = task.trade.name_de
        hours = Decimal(task.duration_hours) * task.crew_size
        lines.append(
            PricedLine(
                QuoteLine.Kind.LABOUR,
                trade,
                task.name_de,
                hours,
                Unit.HOUR,
                rates[(slot.workshop_id, task.trade_id)],
            )
        )
        if task.material_cost:
            lines.append(material_line(trade, task.name_de, round_money(task.material_cost)))
        if slot.travel_km:
            lines.append(
                PricedLine(
                    QuoteLine.Kind.TRAVEL,
                    trade,
                    TRAVEL_TEXT % task.name_de,
                    Decimal(slot.travel_km * slot.days),
                    Unit.KILOMETRE,
                    per_km,
                )
            )
    # Stored, and numbered, trade by trade as the page and the PDF show them: a package's tasks
    # alternate between trades, and item numbers that jump look like missing lines.
    order: dict[str, int] = {}
    for line in lines:
        order.setdefault(line.trade, len(order))
    lines.sort(key=lambda line: order[line.trade])
    lines += coordination_fee(lines)
    net, vat, labour_gross, reduction = totals((line.kind, line.net) for line in lines)
    starts = [s.start for s in schedule.values()]
    ends = [s.end for s in schedule.values()]
    return Pricing(
        lines=lines,
        net=net,
        vat=vat,
        gross=net + vat,
        labour_gross=labour_gross,
        tax_reduction=reduction,
        start=min(starts).date() if starts else None,
        completion=max(ends).date() if ends else None,
    )


def price_ranges(templates) -> dict[int, tuple[Decimal, Decimal]]:
    """Indicative gross price range per template at its default parameters: the cheapest and the
    dearest member rate per trade, material, fee and VAT (travel left out). Two queries."""
    from django.db.models import Max, Min

    bounds = {
        row["trade_id"]: (row["low"], row["high"])
        for row in WorkshopTrade.objects.filter(workshop__active=True)
        .values("trade_id")
        .annotate(low=Min("hourly_rate"), high=Max("hourly_rate"))
    }
    coop = Cooperative.objects.first()
    factor = (1 + (coop.fee_rate if coop else Decimal(0))) * (1 + Decimal(str(settings.VAT_RATE)))
    ranges = {}
    for template in templates:
        defaults = {p.code: p.default for p in template.parameters.all()}
        low = high = Decimal(0)
        for task in template.tasks.all():
            hours = task.duration_hours(defaults) * task.crew_size
            material = task.material_cost(defaults)
            rate_low, rate_high = bounds.get(task.trade_id, (Decimal(0), Decimal(0)))
            low += hours * rate_low + material
            high += hours * rate_high + material
        ranges[template.pk] = (round_money(low * factor), round_money(high * factor))
    return ranges
