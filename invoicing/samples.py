"""Eight invoicing scenarios on made-up data: the ``invoice_samples`` command writes them out, the
tests check them, the benchmark repeats the first one.

1. a private "Bad komplett" package with the §35a share,
2. two progress invoices and the final invoice deducting them,
3. a construction business with reverse charge (§13b UStG),
4. a public-sector customer with XRechnung and the Leitweg-ID,
5. a member Kleinunternehmer (§19 UStG) invoicing its own job directly,
6. the cancellation (Storno) of an issued invoice,
7. a package whose accepted quote charges the cooperative's coordination fee,
8. a package the homeowner withdrew from after asking for an early start: the compensation
   (Wertersatz) for the work recorded until then, less the progress payment she made.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.gis.geos import Point
from django.utils import timezone

from customers.models import Customer, Site
from invoicing import payments, services
from invoicing.models import Invoice
from jobs import quotes
from jobs.models import MaterialEntry, Package, Quote, Task, TimeEntry
from jobs.services import store_quote
from trades.models import Cooperative, Trade, Worker, Workshop, WorkshopTrade

CLOPPENBURG = Point(8.0436, 52.8476, srid=4326)


@dataclass
class World:
    cooperative: Cooperative
    elektro: Workshop
    sanitaer: Workshop
    maler: Workshop
    trades: dict[str, Trade]


def _trade(code: str, de: str, en: str) -> Trade:
    trade, _ = Trade.objects.get_or_create(code=code, defaults={"name_de": de, "name_en": en})
    return trade


def _workshop(name: str, trade: Trade, rate: str, **fields) -> Workshop:
    workshop = Workshop.objects.create(
        name=name,
        street=fields.pop("street", "Hauptstraße 1"),
        postal_code=fields.pop("postal_code", "49661"),
        city=fields.pop("city", "Cloppenburg"),
        state="NI",
        location=CLOPPENBURG,
        email=fields.pop("email", f"info@{name.split()[0].lower()}.example"),
        **fields,
    )
    WorkshopTrade.objects.create(workshop=workshop, trade=trade, hourly_rate=Decimal(rate))
    return workshop


def build_world() -> World:
    """The cooperative (the existing one, if there is one) and three member workshops."""
    trades = {
        "elektro": _trade("elektro", "Elektrotechnik", "Electrics"),
        "sanitaer": _trade("sanitaer", "Installateur und Heizungsbauer", "Plumbing and heating"),
        "maler": _trade("maler", "Maler und Lackierer", "Painting"),
    }
    cooperative = Cooperative.objects.order_by("pk").first() or Cooperative.objects.create(
        name="Handwerkerverbund Oldenburger Münsterland eG",
        legal_name="Handwerkerverbund Oldenburger Münsterland eG",
        street="Lange Straße 12",
        postal_code="49661",
        city="Cloppenburg",
        state="NI",
        email="buero@handwerkerverbund.example",
        phone="04471 123450",
        vat_id="DE136695976",
        tax_number="64/215/12345",
        register_entry="Genossenschaftsregister Amtsgericht Oldenburg GnR 1234",
        iban="DE11280501000001234567",
        bic="SLZODE22XXX",
        bank_name="Landessparkasse zu Oldenburg",
        fee_rate=Decimal("0.0800"),
    )
    if not cooperative.phone:  # XRechnung needs it; the samples run in a rolled-back transaction
        cooperative.phone = "04471 123450"
        cooperative.save(update_fields=["phone"])
    return World(
        cooperative=cooperative,
        elektro=_workshop(
            "Elektro Janßen",
            trades["elektro"],
            "61.50",
            legal_name="Elektro Janßen GmbH",
            owner_name="Jens Janßen",
            vat_id="DE812345673",
            iban="DE27280501000007654321",
            phone="04471 55501",
            craft_register_number="HWK-OL-01234",
            chamber="Handwerkskammer Oldenburg",
        ),
        sanitaer=_workshop(
            "Sanitär Meyer",
            trades["sanitaer"],
            "68.00",
            legal_name="Sanitär Meyer e.K.",
            owner_name="Maren Meyer",
            vat_id="DE267890126",
            iban="DE89370400440532013000",
            city="Friesoythe",
            postal_code="26169",
        ),
        maler=_workshop(
            "Malerei Lüken",
            trades["maler"],
            "48.00",
            legal_name="Malerei Lüken",
            owner_name="Lars Lüken",
            tax_number="69/215/12345",
            small_business=True,
            iban="DE02120300000000202051",
            phone="04471 70707",
            craft_register_number="HWK-OL-04711",
            chamber="Handwerkskammer Oldenburg",
        ),
        trades=trades,
    )


def _customer(kind: str, **fields) -> tuple[Customer, Site]:
    customer = Customer.objects.create(
        kind=kind,
        street=fields.pop("street", "Lange Straße 5"),
        postal_code=fields.pop("postal_code", "26169"),
        city=fields.pop("city", "Friesoythe"),
        **fields,
    )
    site = Site.objects.create(
        customer=customer,
        street=customer.street,
        postal_code=customer.postal_code,
        city=customer.city,
        state="NI",
        location=CLOPPENBURG,
    )
    return customer, site


def private_customer() -> tuple[Customer, Site]:
    return _customer(
        Customer.Kind.PRIVATE,
        first_name="Hanna",
        last_name="Hüsing",
        email="hanna.huesing@example.org",
    )


def _tasks(world: World, rows) -> list:
    """``(code, name, trade code, hours, material)`` rows with the world's trade for its code."""
    return [(c, n, world.trades[t], h, m) for c, n, t, h, m in rows]


def _package(customer, site, title, start: date, tasks, status=Package.Status.DONE) -> Package:
    package = Package.objects.create(
        customer=customer, site=site, title=title, status=status, earliest_start=start
    )
    for position, (code, name, trade, hours, material) in enumerate(tasks):
        Task.objects.create(
            package=package,
            code=code,
            name_de=name,
            name_en=name,
            trade=trade,
            duration_hours=Decimal(hours),
            material_cost=Decimal(material),
            status=Task.Status.DONE if status == Package.Status.DONE else Task.Status.PLANNED,
            position=position,
        )
    return package


def _billings(package, world, start, **overrides) -> list[services.TaskBilling]:
    by_trade = {
        "elektro": world.elektro,
        "sanitaer": world.sanitaer,
        "maler": world.maler,
    }
    billings = []
    for offset, task in enumerate(package.tasks.select_related("trade")):
        day = start + timedelta(days=2 * offset)
        billings.append(
            services.TaskBilling(
                task=task,
                workshop=by_trade[task.trade.code],
                travel_km=Decimal(overrides.get("travel_km", 24)),
                performed=(day, day + timedelta(days=1)),
                vat_rate=Decimal(overrides.get("vat_rate", services.STANDARD_RATE)),
            )
        )
    return billings


BATHROOM_TASKS = (
    ("rueckbau", "Rückbau Altinstallation Bad", "sanitaer", "6", "0"),
    ("leitungen", "Wasser- und Abwasserleitungen neu", "sanitaer", "14", "1180.40"),
    ("elektro", "Elektroinstallation Bad, 6 Steckdosen, 2 Leuchten", "elektro", "8", "236.75"),
    ("sanitaerobjekte", "Montage WC, Waschtisch, bodengleiche Dusche", "sanitaer", "10", "2890"),
)


def private_package(world: World, today: date) -> list[Invoice]:
    """1. A finished bathroom package for a homeowner: labour, travel and material per trade."""
    customer, site = private_customer()
    start = today - timedelta(days=21)
    package = _package(
        customer,
        site,
        "Bad komplett – Sanierung Badezimmer OG",
        start,
        _tasks(world, BATHROOM_TASKS),
    )
    draft = services.generate_package_invoice(package, billings=_billings(package, world, start))
    return [services.issue_invoice(draft, issue_date=today, today=today)]


def progress_and_final(world: World, today: date) -> list[Invoice]:
    """2. Two progress invoices during the job, then the final invoice that deducts them."""
    customer, site = private_customer()
    start = today - timedelta(days=40)
    trades = world.trades
    package = _package(
        customer,
        site,
        "Heizungstausch und Elektro-Unterverteilung",
        start,
        [
            ("heizung", "Gas-Brennwerttherme tauschen", trades["sanitaer"], "24", "6850"),
            ("verteilung", "Unterverteilung erneuern", trades["elektro"], "12", "940.20"),
        ],
        status=Package.Status.IN_PROGRESS,
    )
    first = services.issue_invoice(
        services.generate_progress_invoice(
            package,
            net_amount=Decimal("3000.00"),
            text="1. Abschlag: Demontage und Lieferung der Therme",
            performance=(start, start + timedelta(days=6)),
        ),
        issue_date=start + timedelta(days=7),
    )
    second = services.issue_invoice(
        services.generate_progress_invoice(
            package,
            net_amount=Decimal("2500.00"),
            text="2. Abschlag: Montage der Therme",
            performance=(start + timedelta(days=7), start + timedelta(days=14)),
        ),
        issue_date=start + timedelta(days=15),
    )
    package.tasks.update(status=Task.Status.DONE)
    Package.objects.filter(pk=package.pk).update(status=Package.Status.DONE)
    final = services.generate_package_invoice(package, billings=_billings(package, world, start))
    return [first, second, services.issue_invoice(final, issue_date=today, today=today)]


def reverse_charge(world: World, today: date) -> list[Invoice]:
    """3. Construction work for a construction business: §13b UStG, no VAT on the invoice."""
    customer, site = _customer(
        Customer.Kind.BUSINESS,
        company="Bau Hinrichs GmbH & Co. KG",
        first_name="Heiko",
        last_name="Hinrichs",
        email="rechnung@bau-hinrichs.example",
        vat_id="DE314159262",
        construction_business=True,
        street="Industriestraße 8",
        postal_code="49661",
        city="Cloppenburg",
    )
    start = today - timedelta(days=10)
    package = _package(
        customer,
        site,
        "Sanitärinstallation Neubau Mehrfamilienhaus, Bauabschnitt 2",
        start,
        [
            (
                "rohinstallation",
                "Rohinstallation Sanitär 6 WE",
                world.trades["sanitaer"],
                "48",
                "5420.00",
            )
        ],
    )
    draft = services.generate_package_invoice(package, billings=_billings(package, world, start))
    return [services.issue_invoice(draft, issue_date=today, today=today)]


def public_sector(world: World, today: date) -> list[Invoice]:
    """4. A municipality: XRechnung with the Leitweg-ID as buyer reference (BT-10)."""
    customer, site = _customer(
        Customer.Kind.PUBLIC,
        company="Stadt Cloppenburg – Fachdienst Gebäudewirtschaft",
        email="gebaeudewirtschaft@cloppenburg.example",
        buyer_reference="04011000-1234512345-06",
        street="Sevelter Straße 8",
        postal_code="49661",
        city="Cloppenburg",
    )
    start = today - timedelta(days=12)
    package = _package(
        customer,
        site,
        "Grundschule St. Andreas: Beleuchtung Turnhalle erneuern",
        start,
        [
            (
                "led",
                "LED-Hallenleuchten tauschen (24 Stück)",
                world.trades["elektro"],
                "20",
                "4310.00",
            )
        ],
    )
    draft = services.generate_package_invoice(package, billings=_billings(package, world, start))
    return [services.issue_invoice(draft, issue_date=today, today=today)]


def small_business(world: World, today: date) -> list[Invoice]:
    """5. A member workshop under §19 UStG invoices its own single-trade job directly."""
    customer, site = _customer(
        Customer.Kind.PRIVATE,
        first_name="Heinz",
        last_name="Bruns",
        email="heinz.bruns@example.org",
        street="Am Esch 3",
        postal_code="49661",
        city="Cloppenburg",
    )
    start = today - timedelta(days=5)
    package = _package(
        customer,
        site,
        "Wohnzimmer und Flur streichen",
        start,
        [("streichen", "Wände und Decken streichen, 85 m²", world.trades["maler"], "14", "212.30")],
    )
    draft = services.generate_package_invoice(
        package, billings=_billings(package, world, start, travel_km=12), issuer=world.maler
    )
    return [services.issue_invoice(draft, issue_date=today, today=today)]


def cancellation(world: World, today: date) -> list[Invoice]:
    """6. An issued invoice is cancelled by a Storno with negated lines."""
    customer, site = private_customer()
    start = today - timedelta(days=8)
    package = _package(
        customer,
        site,
        "Wallbox installieren",
        start,
        [
            (
                "wallbox",
                "Wallbox 11 kW montieren und anschließen",
                world.trades["elektro"],
                "5",
                "689.00",
            )
        ],
    )
    draft = services.generate_package_invoice(package, billings=_billings(package, world, start))
    original = services.issue_invoice(draft, issue_date=today - timedelta(days=1), today=today)
    storno = services.cancel_invoice(original, issue_date=today, today=today)
    original.refresh_from_db()
    return [original, storno]


def accepted_quote(
    package: Package,
    world: World,
    *,
    travel_km: int = 40,
    status: str = Quote.Status.ACCEPTED,
) -> Quote:
    """The homeowner's next quote version for ``package``, priced by the instant-quote code
    (``jobs.quotes``) as if each task were planned for one day at the member of its trade with
    ``travel_km`` round-trip: labour, material, travel, the cooperative's coordination fee, VAT."""
    by_trade = {"elektro": world.elektro, "sanitaer": world.sanitaer, "maler": world.maler}
    start = timezone.make_aware(datetime.combine(package.earliest_start, time(7)))
    schedule = {
        task.pk: quotes.Slot(
            workshop_id=by_trade[task.trade.code].pk,
            start=start,
            end=start + timedelta(hours=9),
            days=1,
            travel_km=travel_km,
        )
        for task in package.tasks.select_related("trade")
    }
    return store_quote(
        package,
        quotes.price(package, schedule),
        today=package.earliest_start,
        status=status,
        accepted_at=start if status == Quote.Status.ACCEPTED else None,
    )


KITCHEN_TASKS = (
    ("wasser", "Wasser- und Abwasseranschluss Küche", "sanitaer", "6", "214.60"),
    ("herd", "Herdanschluss und 4 Steckdosen Küche", "elektro", "5", "168.30"),
)


def coordinated_package(world: World, today: date) -> list[Invoice]:
    """7. A kitchen package the homeowner accepted with the cooperative's coordination fee: the
    invoice bills the work actually done and the fee exactly as quoted."""
    customer, site = private_customer()
    start = today - timedelta(days=14)
    package = _package(
        customer,
        site,
        "Küche anschließen – Wasser und Elektro",
        start,
        _tasks(world, KITCHEN_TASKS),
    )
    accepted_quote(package, world)
    draft = services.generate_package_invoice(package, billings=_billings(package, world, start))
    return [services.issue_invoice(draft, issue_date=today, today=today)]


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _hours(task: Task, worker: Worker, day: date, start: int, end: float) -> TimeEntry:
    begin = _at(day, start)
    finish = begin + timedelta(hours=end - start)
    return TimeEntry.objects.create(
        client_id=uuid.uuid4(),
        task=task,
        worker=worker,
        start=begin,
        end=finish,
        hours=Decimal(str(end - start)),
    )


def _material(task: Task, text: str, quantity: str, unit: str, price: str, noted: datetime):
    return MaterialEntry.objects.create(
        client_id=uuid.uuid4(),
        task=task,
        text=text,
        quantity=Decimal(quantity),
        unit=unit,
        unit_price=Decimal(price),
        noted_at=noted,
    )


def withdrawn_bathroom(world: World, today: date, *, paid: bool = True) -> tuple[Package, Invoice]:
    """Hanna accepted the bathroom asking for an early start, paid the first progress invoice
    (unless not ``paid``) and withdrew on the sixth day at 10:30, before the compensation is
    billed: 6 h of demolition and 7,5 h of pipework before that moment, 1,5 h after it that
    morning and 3 h the next day; 428,70 € of material noted before it, 289,00 € after."""
    customer, site = private_customer()
    start = today - timedelta(days=12)
    package = _package(
        customer,
        site,
        "Bad komplett – Sanierung Badezimmer OG",
        start,
        _tasks(world, BATHROOM_TASKS),
        status=Package.Status.IN_PROGRESS,
    )
    Quote.objects.filter(pk=accepted_quote(package, world).pk).update(early_start_consent=True)
    mats = Worker.objects.create(workshop=world.sanitaer, first_name="Mats", last_name="Meyer")
    tasks = {task.code: task for task in package.tasks.all()}
    _hours(tasks["rueckbau"], mats, start, 7, 13)
    _hours(tasks["leitungen"], mats, start + timedelta(days=1), 7, 12)
    _hours(tasks["leitungen"], mats, start + timedelta(days=5), 8, 12)  # withdrawn at 10:30
    _hours(tasks["leitungen"], mats, start + timedelta(days=6), 7, 10)
    pipes = tasks["leitungen"]
    _material(pipes, "Kupferrohr 15 mm", "24", "MTR", "9.80", _at(start + timedelta(days=1), 9))
    _material(pipes, "Pressfittings 15 mm", "30", "H87", "6.45", _at(start + timedelta(days=5), 9))
    _material(pipes, "Vorwandelement WC", "1", "H87", "289.00", _at(start + timedelta(days=6), 8))
    progress = services.issue_invoice(
        services.generate_progress_invoice(
            package,
            net_amount=Decimal("1500.00"),
            text="1. Abschlag: Rückbau und Leitungen",
            performance=(start, start + timedelta(days=3)),
        ),
        issue_date=start + timedelta(days=4),
        today=today,
    )
    if paid:
        payments.record_payment(
            progress, amount=progress.amount_due, booked_on=start + timedelta(days=5)
        )
    package.tasks.filter(code="rueckbau").update(status=Task.Status.DONE)
    package.tasks.exclude(code="rueckbau").update(status=Task.Status.CANCELLED)
    Package.objects.filter(pk=package.pk).update(
        status=Package.Status.CANCELLED, withdrawn_at=_at(start + timedelta(days=5), 10, 30)
    )
    progress.refresh_from_db()
    return Package.objects.get(pk=package.pk), progress


def withdrawn_package(world: World, today: date) -> list[Invoice]:
    """8. The compensation for :func:`withdrawn_bathroom`: the hours and material recorded before
    the withdrawal, no coordination fee, less the progress payment: she gets the rest back."""
    package, progress = withdrawn_bathroom(world, today)
    draft = services.generate_package_invoice(package)
    return [progress, services.issue_invoice(draft, issue_date=today, today=today)]


SCENARIOS = {
    "1_privat_35a": private_package,
    "2_abschlag_schluss": progress_and_final,
    "3_reverse_charge": reverse_charge,
    "4_xrechnung": public_sector,
    "5_kleinunternehmer": small_business,
    "6_storno": cancellation,
    "7_koordination": coordinated_package,
    "8_wertersatz": withdrawn_package,
}
