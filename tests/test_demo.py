"""The demo cooperative: deterministic, idempotent, valid, and big enough to plan with."""

import datetime as dt
import hashlib
import io
import math
from collections import Counter
from graphlib import CycleError, TopologicalSorter

import pytest
import time_machine
from django.contrib.auth import authenticate
from django.contrib.gis.geos import GEOSGeometry, Point
from django.core.management import call_command
from django.db import transaction
from django.db.models import Min
from django.test import RequestFactory, override_settings
from schwifty import IBAN
from stdnum.de import leitweg, stnr
from stdnum.eu import vat

from customers.geocoding import locate
from customers.models import Customer, PostalCode, Site
from invoicing.models import Invoice, InvoiceLine, Payment, Settlement, SettlementRun
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
from jobs.quotes import COORDINATION_FEE_TEXT
from scheduling.models import Appointment, Dispatch
from trades.models import (
    Absence,
    Certification,
    Cooperative,
    Trade,
    Worker,
    WorkerCertification,
    Workshop,
    WorkshopTrade,
)
from trades.selectors import workshops_serving
from zunft.core.models import User
from zunft.demo import data, history

MODELS = [
    PostalCode,
    User,
    Cooperative,
    Certification,
    Trade,
    Trade.certifications.through,
    Workshop,
    Workshop.admins.through,
    WorkshopTrade,
    WorkshopTrade.certifications.through,
    Worker,
    Worker.trades.through,
    WorkerCertification,
    Absence,
    PackageTemplate,
    TemplateParameter,
    TemplateTask,
    TemplateDependency,
    Customer,
    Site,
    Package,
    Task,
    Quote,
    QuoteLine,
    Request,
    Appointment,
    Invoice,
    InvoiceLine,
    Payment,
    SettlementRun,
    Settlement,
]


def on_the_demos_day():
    return time_machine.travel(dt.datetime(2026, 11, 23, 12, tzinfo=dt.UTC))


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo seeded once for the module into an empty database, rolled back afterwards."""
    # The same fast hasher as conftest's function-scoped fixture, or in-test seeds would rehash.
    fast = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with fast, django_db_blocker.unblock(), transaction.atomic():
        assert not data.demo_exists()
        # On the demo's own Monday: its past (zunft.demo.history) is left out where it lies
        # ahead of the clock, so the figures below do not depend on the day the tests run.
        with on_the_demos_day():
            counts = data.seed()
        yield counts
        transaction.set_rollback(True)


def digest() -> tuple[str, dict]:
    """A hash over every row (primary keys included) of the demo's tables, and row counts."""
    sha = hashlib.sha256()
    rows = {}
    for model in MODELS:
        values = list(model.objects.order_by("pk").values_list())
        rows[model._meta.label] = len(values)
        for row in values:
            cells = [c.ewkt if isinstance(c, GEOSGeometry) else c for c in row]
            sha.update(repr(cells).encode())
    return sha.hexdigest(), rows


@pytest.mark.django_db
def test_seeding_again_changes_nothing(demo):
    before, rows_before = digest()
    with on_the_demos_day():
        assert data.seed() == demo
    after, rows_after = digest()
    assert rows_after == rows_before
    assert after == before


@pytest.mark.django_db
def test_reported_counts_match_the_database(demo):
    assert demo == {
        "users": User.objects.count(),
        "cooperatives": Cooperative.objects.count(),
        "certifications": Certification.objects.count(),
        "trades": Trade.objects.count(),
        "workshops": Workshop.objects.count(),
        "offered trades": WorkshopTrade.objects.count(),
        "workers": Worker.objects.count(),
        "worker certifications": WorkerCertification.objects.count(),
        "absences": Absence.objects.count(),
        "package templates": PackageTemplate.objects.filter(kind="package").count(),
        "single-trade templates": PackageTemplate.objects.filter(kind="single").count(),
        "template tasks": TemplateTask.objects.count(),
        "task dependencies": TemplateDependency.objects.count(),
        "customers": Customer.objects.count(),
        "sites": Site.objects.count(),
        "packages": Package.objects.filter(status="accepted").count(),
        "open quotes": Quote.objects.filter(status="open").count(),
        "finished packages": Package.objects.filter(status="done").count(),
    }


def test_the_demo_can_be_dated_from_another_monday():
    assert data.coming_monday(dt.date(2027, 3, 3)) == dt.date(2027, 3, 8)
    assert data.coming_monday(dt.date(2027, 3, 8)) == dt.date(2027, 3, 8)
    later = data.REFERENCE_DATE + dt.timedelta(weeks=10)  # 1 February 2027
    first, moved = data.plan(), data.plan(later)

    def dated(plan):
        for workshop in plan["workshops"]:
            for absence in workshop["absences"]:
                yield absence["kind"], absence["start"], absence["end"]
            for worker in workshop["workers"]:
                for cert in worker["certifications"]:
                    yield "certificate", cert["valid_until"], cert["valid_until"]

    pairs = list(zip(dated(first), dated(moved), strict=True))
    assert pairs and any(kind == "closure" for (kind, *_), _ in pairs)
    for (kind, start, end), (_, new_start, new_end) in pairs:
        if kind == "closure":  # between Christmas and New Year of the start's year
            assert (new_start, new_end) == (dt.date(2027, 12, 21), dt.date(2028, 1, 1))
        elif start is not None:
            assert (new_start - start, new_end - end) == (later - data.REFERENCE_DATE,) * 2
    assert first["customers"] == moved["customers"] and first["users"] == moved["users"]


def test_the_plan_does_not_depend_on_the_run():
    first = data.plan()
    data.plan.cache_clear()
    assert data.plan() == first


@pytest.mark.django_db
def test_minimum_sizes(demo):
    assert Trade.objects.count() >= 10
    assert Workshop.objects.count() >= 30
    assert len(set(Workshop.objects.values_list("city", flat=True))) >= 15
    assert 90 <= Worker.objects.count() <= 120
    assert Worker.objects.filter(is_master=True).count() >= Workshop.objects.count()
    assert PackageTemplate.objects.filter(kind="package").count() == 8
    assert PackageTemplate.objects.filter(kind="single").count() == 6
    assert Customer.objects.count() == 50
    per_customer = Counter(Site.objects.values_list("customer_id", flat=True))
    assert set(per_customer.values()) == {1, 2} and len(per_customer) == 50
    kinds = Counter(Customer.objects.values_list("kind", flat=True))
    assert kinds["private"] >= 40 and kinds["business"] >= 3 and kinds["public"] == 1
    assert Customer.objects.filter(construction_business=True).exclude(vat_id="").exists()
    sources = set(Site.objects.values_list("location_source", flat=True))
    assert sources == {"manual", "postcode"}


@pytest.mark.django_db
def test_workshops_are_plausible(demo):
    for workshop in Workshop.objects.prefetch_related("offers", "workers__trades"):
        offers = list(workshop.offers.all())
        assert 1 <= len(offers) <= 3, workshop
        assert 25 <= workshop.service_radius_km <= 60
        for offer in offers:
            assert 52 <= offer.hourly_rate <= 78 and 1 <= offer.crews <= 3
            qualified = [w for w in workshop.workers.all() if offer.trade in w.trades.all()]
            assert len(qualified) >= offer.crews, (workshop, offer.trade)
        # Near the real town centre (within about 5 km).
        assert 52.5 < workshop.location.y < 53.3 and 7.0 < workshop.location.x < 8.4
        if workshop.service_area:
            assert workshop.service_area.contains(workshop.location)
    assert Workshop.objects.exclude(service_area=None).count() >= 2
    chambers = set(Workshop.objects.values_list("chamber", flat=True))
    assert chambers == {
        "Handwerkskammer Oldenburg",
        "Handwerkskammer Osnabrück-Emsland-Grafschaft Bentheim",
    }


@pytest.mark.django_db
def test_each_trade_is_offered_by_two_workshops(demo):
    offered = Counter(WorkshopTrade.objects.values_list("trade__code", flat=True))
    for trade in Trade.objects.all():
        assert offered[trade.code] >= 2, trade.code


@pytest.mark.django_db
def test_licensing_follows_anlage_a(demo):
    licensed = dict(Trade.objects.values_list("code", "licensed"))
    assert licensed["elektro"] and licensed["shk"] and licensed["dachdecker"]
    # Back in Anlage A since the HwO amendment of 14 February 2020.
    assert licensed["fliesen"] and licensed["estrich"] and licensed["rollladen"]
    assert not licensed["trockenbau"] and not licensed["fenstermontage"]
    # A licensed trade is run by a Meister of that trade.
    for offer in WorkshopTrade.objects.filter(trade__licensed=True):
        assert offer.workshop.workers.filter(is_master=True, trades=offer.trade).exists()
        assert offer.workshop.craft_register_number


@pytest.mark.django_db
def test_business_ids_are_valid(demo):
    cooperative = Cooperative.objects.get()
    assert vat.is_valid(cooperative.vat_id) and IBAN(cooperative.iban).bic == cooperative.bic
    assert str(cooperative.fee_rate) == "0.0800"
    vat_ids = []
    for workshop in Workshop.objects.all():
        IBAN(workshop.iban)  # raises when invalid
        assert str(IBAN(workshop.iban).bic) == workshop.bic
        if workshop.small_business:
            assert not workshop.vat_id and stnr.is_valid(workshop.tax_number, "Niedersachsen")
        else:
            assert vat.is_valid(workshop.vat_id), workshop
            vat_ids.append(workshop.vat_id)
    assert Workshop.objects.filter(small_business=True).count() == 2
    assert len(set(vat_ids)) == len(vat_ids)
    public = Customer.objects.get(kind="public")
    assert leitweg.is_valid(public.buyer_reference)
    for customer in Customer.objects.exclude(vat_id=""):
        assert vat.is_valid(customer.vat_id)


@pytest.mark.django_db
def test_every_object_passes_model_validation(demo):
    for model in [Cooperative, Workshop, WorkshopTrade, Worker, WorkerCertification, Absence]:
        for obj in model.objects.all():
            obj.full_clean()
    for model in [TemplateParameter, TemplateTask, TemplateDependency, Customer, Site, User]:
        for obj in model.objects.all():
            obj.full_clean()


@pytest.mark.django_db
def test_templates_are_acyclic_and_consistent(demo):
    for template in PackageTemplate.objects.prefetch_related("tasks", "parameters"):
        tasks = {task.pk: task for task in template.tasks.all()}
        parameters = {p.code: p for p in template.parameters.all()}
        graph = {pk: set() for pk in tasks}
        for dependency in TemplateDependency.objects.filter(template=template):
            assert dependency.predecessor_id in tasks and dependency.successor_id in tasks
            graph[dependency.successor_id].add(dependency.predecessor_id)
        try:
            order = list(TopologicalSorter(graph).static_order())
        except CycleError as exc:  # pragma: no cover - the assertion message is the point
            pytest.fail(f"{template.code} has a cycle: {exc}")
        if template.kind == "single":
            # One task of one trade, sized by one parameter: "6 sockets", "a 16 m² room".
            assert len(order) == len(tasks) == 1 and len(parameters) == 1, template.code
        else:
            assert len(order) == len(tasks) >= 4
            assert len({task.trade_id for task in tasks.values()}) >= 2, template.code
        defaults = {code: p.default for code, p in parameters.items()}
        minimums = {code: p.minimum for code, p in parameters.items()}
        for p in parameters.values():
            assert p.minimum <= p.default <= p.maximum, (template.code, p.code)
        for task in tasks.values():
            assert set(task.duration_per_unit) <= set(parameters), (template.code, task.code)
            assert set(task.material_per_unit) <= set(parameters), (template.code, task.code)
            assert task.duration_hours(defaults) > 0, (template.code, task.code)
            # At the minimum an optional part (no shutters) may vanish, never go negative.
            assert task.duration_hours(minimums) >= 0, (template.code, task.code)
            if task.required_certification:
                assert task.trade.certifications.filter(pk=task.required_certification.pk)


@pytest.mark.django_db
def test_single_trade_jobs_cover_the_common_small_jobs_and_packages_stay_packages(demo):
    singles = dict(
        PackageTemplate.objects.filter(kind="single").values_list("code", "tasks__trade__code")
    )
    assert set(singles.values()) == {"elektro", "shk", "maler", "dachdecker"}
    assert {"steckdosen", "wc-tauschen", "zimmer-streichen", "dach-reparatur"} <= set(singles)
    # The packages to plan are multi-trade packages, as before the single jobs came.
    booked = Package.objects.exclude(status="done").values_list("template__kind", flat=True)
    assert set(booked) == {"package"} and len(booked) == demo["packages"] + demo["open quotes"]


@pytest.mark.django_db
def test_every_demo_workshop_is_led_by_a_meister(demo):
    for workshop in Workshop.objects.all():
        assert workshop.master_business, workshop
        assert workshop.workers.filter(
            is_master=True, first_name=workshop.owner_name.split()[0]
        ).exists(), workshop
        # An owner with a login works under it: not listed as "without app access".
        for admin in workshop.admins.all():
            assert workshop.workers.get(user=admin).first_name == admin.first_name


@pytest.mark.django_db
def test_the_bathroom_waits_for_screed_and_waterproofing(demo):
    lags = {
        (d.predecessor.code, d.successor.code): d.lag_hours
        for d in TemplateDependency.objects.filter(template__code="bad-komplett")
    }
    assert lags[("estrich", "abdichtung")] == 72
    assert lags[("abdichtung", "fliesen")] == 24
    heat_pump = TemplateTask.objects.filter(template__code="waermepumpe")
    required = dict(heat_pump.values_list("code", "required_certification__code"))
    assert required["gas-stilllegen"] == "gas-trgi"
    assert required["kaeltekreis"] == "f-gase"
    assert required["zaehlerschrank"] == "strom-netz"


@pytest.mark.django_db
def test_every_template_task_has_two_eligible_workshops(demo):
    for task in TemplateTask.objects.select_related("trade", "required_certification"):
        offers = WorkshopTrade.objects.filter(trade=task.trade)
        if task.required_certification:
            offers = offers.filter(certifications=task.required_certification)
        assert offers.count() >= 2, (task.template.code, task.code)


def _km(a: Point, b: Point) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (a.y, a.x, b.y, b.x))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371 * math.asin(math.sqrt(h))


@pytest.mark.django_db
def test_every_site_is_served_in_every_trade(demo):
    """The planner finds a member for any package anywhere in the demo region."""
    offers = list(WorkshopTrade.objects.select_related("workshop", "trade"))
    unserved = []
    for site in Site.objects.all():
        assert 52.5 < site.location.y < 53.3 and 7.0 < site.location.x < 8.4
        for trade in Trade.objects.all():
            serving = [
                o
                for o in offers
                if o.trade == trade
                and (
                    o.workshop.service_area.contains(site.location)
                    if o.workshop.service_area
                    else _km(o.workshop.location, site.location) <= o.workshop.service_radius_km
                )
            ]
            if not serving:
                unserved.append((site.city, trade.code))
    assert not unserved


@pytest.mark.django_db
def test_every_site_finds_a_certified_member_for_every_task_that_needs_one(demo):
    """A homeowner anywhere in the demo region can book every package, not only nearby ones."""
    from trades.selectors import workshops_serving

    needing = TemplateTask.objects.exclude(required_certification=None).select_related(
        "template", "trade", "required_certification"
    )
    unserved = {
        (site.city, task.template.code, task.required_certification.code)
        for site in Site.objects.all()
        for task in needing
        if not workshops_serving(site.location, task.trade, task.required_certification).exists()
    }
    assert not unserved


@pytest.mark.django_db
def test_certifications_and_absences(demo):
    reference = data.REFERENCE_DATE
    dated = WorkerCertification.objects.exclude(valid_until=None)
    assert dated.filter(valid_until__lt=reference).exists()  # some have lapsed
    assert dated.filter(valid_until__gte=reference).count() > dated.count() // 2
    kinds = Counter(Absence.objects.values_list("kind", flat=True))
    assert kinds["holiday"] >= 20 and kinds["illness"] >= 1 and kinds["training"] >= 1
    closure = Absence.objects.get(kind="closure")
    assert closure.worker is None
    for absence in Absence.objects.all():
        assert reference <= absence.start <= absence.end
        assert (absence.end - reference).days < 120


@pytest.mark.django_db
def test_demo_logins_work(demo):
    listed = data.logins()
    roles = {username: role for username, role in listed}
    assert len(listed) == 5 and {"buero", "verbund", "kundin"} <= set(roles)
    for username, _role in listed:
        user = authenticate(
            RequestFactory().post("/"), username=username, password=data.DEMO_PASSWORD
        )
        assert user is not None, username
    admin = User.objects.get(username=listed[3][0])
    assert admin.role == User.Role.WORKSHOP_ADMIN and admin.administered_workshops.exists()
    worker = User.objects.get(username=listed[4][0])
    assert worker.role == User.Role.TRADESPERSON and worker.worker.workshop
    assert User.objects.get(username="kundin").customer.sites.exists()
    assert User.objects.filter(role=User.Role.WORKSHOP_ADMIN).count() >= 5
    assert User.objects.filter(role=User.Role.TRADESPERSON).count() >= 5
    assert authenticate(RequestFactory().post("/"), username="buero", password="wrong") is None
    # The office logs in at the admin's login and looks customers and orders up there.
    buero = User.objects.get(username="buero")
    assert buero.is_staff and not buero.is_superuser
    assert buero.has_perm("jobs.view_package") and not buero.has_perm("jobs.change_package")


@pytest.mark.django_db
def test_the_demo_homeowner_has_an_accepted_order_and_a_quote_to_decide_on(demo):
    from zunft.core.models import Consent

    homeowner = User.objects.get(username=data.HOMEOWNER)
    packages = Package.objects.filter(customer__user=homeowner)
    assert sorted(packages.values_list("status", flat=True)) == ["accepted", "quoted"]
    # Accepted the way she would: the quote was her contract, with the withdrawal notice.
    [contract] = packages.get(status="accepted").quotes.all()
    assert contract.status == "accepted" and contract.accepted_by == homeowner
    assert Consent.objects.filter(
        user=homeowner, kind="withdrawal_notice", subject=f"quote {contract.pk}"
    ).exists()
    [offer] = packages.get(status="quoted").quotes.all()
    assert offer.status == "open" and offer.valid_until >= data.REFERENCE_DATE
    assert offer.lines.exists() and offer.completion_date


@pytest.mark.django_db
def test_the_board_inbox_shows_the_demos_requests_and_her_decline_reaches_it(demo):
    """Every demo package was asked for: the office finds her open quote among the quoted
    requests (with the package to revise) and, once she says no, among the declined."""
    from jobs.services import decline_quote
    from scheduling.board import request_inbox

    assert not Package.objects.filter(request__isnull=True).exists()
    inbox = request_inbox()
    accepted = data.DEMO_PACKAGES + 1 + len(history.PAST_JOBS)
    assert inbox["counts"] == {"new": 0, "quoted": 1, "accepted": accepted, "declined": 0}
    homeowner = User.objects.get(username=data.HOMEOWNER)
    [quoted] = request_inbox("quoted")["requests"]
    package = Package.objects.get(pk=quoted["package"])
    assert package.customer.user == homeowner and quoted["package_status"] == "quoted"
    assert Request.objects.get(package__customer__user=homeowner, package__status="accepted")

    offer = package.quotes.get(status="open")
    decline_quote(offer.pk, version=offer.version, user=homeowner)

    inbox = request_inbox()
    assert inbox["counts"]["quoted"] == 0 and inbox["counts"]["declined"] == 1
    [declined] = request_inbox("declined")["requests"]
    assert declined["package"] == package.pk and declined["package_status"] == "cancelled"


@pytest.mark.django_db
def test_the_demo_has_a_past_to_invoice_dun_and_settle(demo):
    """The office's invoicing pages, the dunning list, the month-end run and a member's
    settlements show something on a fresh demo: jobs finished in September and October 2026
    (two months before the reference date), invoiced, mostly paid, September settled."""
    from django.utils import timezone

    from invoicing import dunning, settlement

    done = Package.objects.filter(status="done")
    assert done.count() == len(history.PAST_JOBS)
    for package in done:
        assert set(package.tasks.values_list("status", flat=True)) == {"done"}
        # Asked for a while before the work began, not on the day the demo was seeded.
        work = Appointment.objects.filter(task__package=package).aggregate(first=Min("start"))
        assert package.created_at < work["first"] - dt.timedelta(days=7)
        for appointment in Appointment.objects.filter(task__package=package):
            # Staffed by a member serving the site, on its working days, before the demo starts.
            assert appointment.worker.workshop == appointment.workshop
            assert appointment.task.trade in appointment.worker.trades.all()
            assert appointment.end.date() < data.REFERENCE_DATE - dt.timedelta(days=20)
            for segment in appointment.segments:
                day = dt.date.fromisoformat(segment["date"])
                assert 0 < segment["hours"] <= appointment.workshop.daily_hours[day.weekday()]
                assert day != dt.date(2026, 10, 3)  # Tag der Deutschen Einheit
        # Asked for and quoted like any order, the completion it named promised; offered to
        # the member and finished on the phone.
        assert package.request.status == "accepted"
        quote = package.quotes.get()
        assert quote.status == "accepted" and package.promised_date == quote.completion_date
        assert (
            Dispatch.objects.filter(appointment__task__package=package)
            .exclude(status="accepted")
            .count()
            == 0
        )
    # So the office's figures on the board have a past to count (dated to the demo's days).
    from scheduling.board import board_data

    now = dt.datetime.combine(data.REFERENCE_DATE, dt.time(9), tzinfo=dt.UTC)
    figures = board_data(data.REFERENCE_DATE, now=now)["kpis"]
    # (the last 90 days' of them: requests from August lie before)
    assert figures["requests_quoted"] >= 2 and figures["request_to_quote_hours"] is not None
    assert figures["quote_acceptance"] is not None and figures["dispatch_acceptance"] == 1.0
    assert figures["completed"] >= 2 and figures["on_time"] == 1.0
    # The invoices charge the accepted quotes' coordination fee, as for any order.
    assert InvoiceLine.objects.filter(
        invoice__package__in=done, text=COORDINATION_FEE_TEXT
    ).exists()
    # Predecessors first, drying times kept.
    dependencies = TaskDependency.objects.filter(successor__package__in=done)
    assert dependencies.exists()
    for dependency in dependencies:
        before = Appointment.objects.get(task=dependency.predecessor_id)
        after = Appointment.objects.get(task=dependency.successor_id)
        assert after.start >= before.end + dt.timedelta(hours=dependency.lag_hours)
    invoices = Invoice.objects.filter(kind__in=["final", "invoice"], package__in=done)
    assert invoices.count() == len(history.PAST_JOBS) - 1  # the roof repair awaits month-end
    numbers = list(invoices.order_by("issue_date").values_list("number", flat=True))
    assert numbers == sorted(numbers)  # numbered in the order they were dated
    assert invoices.filter(customer__kind="public").get().buyer_reference  # an XRechnung
    # One unpaid and long overdue: on the dunning list.
    [overdue] = invoices.filter(state="issued")
    assert overdue.due_date < data.REFERENCE_DATE
    assert overdue in dunning.overdue(data.REFERENCE_DATE)
    assert overdue.dunning.level >= 2  # the daily run has reminded and dunned her since
    assert overdue.dunning_notices.exclude(email="").count() == overdue.dunning.level
    for notice in overdue.dunning_notices.exclude(email=""):  # e-mailed on the letter's day
        assert timezone.localtime(notice.emailed_at).date() == notice.sent_on
    # September settled with the members who worked then; October waits for its run.
    run = SettlementRun.objects.get()
    assert run.period == dt.date(2026, 9, 1) and run.pain001_sha256
    assert run.settlements.count() >= 2
    for item in run.settlements.all():  # and the payouts transferred
        assert item.credit_note.state == "paid" and item.payout > 0
    [roof] = settlement.unbilled_packages()
    assert roof.template.code == "dach-reparatur"
    # Seeding again from a later start leaves the past as it is: October stays the office's.
    with time_machine.travel(dt.datetime(2027, 1, 4, 12, tzinfo=dt.UTC)):
        history.seed_history(data.REFERENCE_DATE + dt.timedelta(weeks=6), data.EMAIL_DOMAIN)
    assert (
        SettlementRun.objects.count() == 1
        and not Invoice.objects.filter(issue_date__gt=data.REFERENCE_DATE).exists()
    )


@pytest.mark.django_db
def test_seed_demo_command(demo):
    out = io.StringIO()
    call_command("seed_demo", "--once", stdout=out)
    assert "keeping it" in out.getvalue()
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert "Demo cooperative ready" in out.getvalue() and "workshops" in out.getvalue()
    # make run dates the demo from the coming Monday.
    course = Absence.objects.get(note="Lehrgang TRGS 519")
    assert course.start == data.REFERENCE_DATE + dt.timedelta(days=9)
    out = io.StringIO()
    with time_machine.travel(dt.datetime(2026, 11, 24, 12, tzinfo=dt.UTC)):  # a Tuesday
        call_command("seed_demo", "--today", stdout=out)
    assert "dated from 30.11.2026" in out.getvalue()
    course = Absence.objects.get(note="Lehrgang TRGS 519")
    assert course.start == dt.date(2026, 11, 30) + dt.timedelta(days=9)
    out = io.StringIO()
    call_command("seed_demo", "--list-logins", stdout=out)
    assert "meister." in out.getvalue() and data.DEMO_PASSWORD in out.getvalue()
    # The homeowner has no password form: the list says where she gets in.
    homeowner = User.objects.get(username=data.HOMEOWNER)
    assert f"/anmelden/ with {homeowner.email}" in out.getvalue()


@pytest.mark.django_db
def test_a_fresh_install_locates_addresses_in_the_demo_region(demo):
    # No GeoNames import on a fresh machine: the demo brings its region's postal codes, so a
    # homeowner there gets a quote (the wizard refuses an address it cannot locate).
    for town, (code, lat, lon, _chamber) in data.places.TOWNS.items():
        found = locate("", code, town)
        assert found is not None, code
        assert (round(found.lat, 4), round(found.lon, 4), found.state) == (lat, lon, "NI")
    assert locate("", "26135", "Oldenburg") is not None
    # The Münsterland's other district: located, and the Cloppenburg members reach Vechta.
    vechta = locate("", "49377", "Vechta")
    point = Point(vechta.lon, vechta.lat, srid=4326)
    for code in ("elektro", "shk", "maler"):
        assert workshops_serving(point, Trade.objects.get(code=code)).exists(), code
    assert locate("", "80331", "München") is None  # outside the region: not made up
