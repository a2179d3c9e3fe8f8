"""The planner adapter end to end: book, plan, store, check with the independent checker."""

import datetime as dt
import re
import uuid

import pytest
import time_machine
from django.contrib.gis.geos import Point

from jobs.models import Package, Task
from jobs.services import book_package, save_template
from scheduling import services
from scheduling.models import Appointment, Dispatch, PlanRun
from scheduling.solver import check_plan
from tests import factories as f
from zunft.core.models import Event

pytestmark = pytest.mark.django_db
TODAY = dt.date(2025, 10, 22)  # a Wednesday; Reformation Day (Fri 31 Oct) lies ahead


@pytest.fixture
def bathroom(coop):
    return save_template(
        {"code": "bad", "name_de": "Bad", "name_en": "Bathroom"},
        [
            {
                "code": "area",
                "name_de": "Fläche",
                "name_en": "Area",
                "kind": "decimal",
                "unit": "m²",
                "minimum": 1,
                "maximum": 30,
                "default": 6,
            }
        ],
        [
            {
                "code": "rough",
                "name_de": "Rohinstallation",
                "name_en": "Rough-in",
                "trade": "sanitaer",
                "duration_base_hours": 8,
                "duration_per_unit": {"area": 2},
            },
            {
                "code": "wiring",
                "name_de": "Elektro",
                "name_en": "Wiring",
                "trade": "elektro",
                "duration_base_hours": 6,
            },
            {
                "code": "finish",
                "name_de": "Endmontage",
                "name_en": "Final fit",
                "trade": "sanitaer",
                "duration_base_hours": 6,
            },
        ],
        [
            {"predecessor": "rough", "successor": "wiring", "lag_hours": 0},
            {"predecessor": "wiring", "successor": "finish", "lag_hours": 72},
        ],
    )


def book(coop, template, site, **kwargs):
    return book_package(
        customer=site.customer,
        site=site,
        template=template,
        values={"area": 8},
        earliest_start=TODAY + dt.timedelta(days=1),
        status=Package.Status.ACCEPTED,
        today=TODAY,
        **kwargs,
    )


def test_a_booked_package_is_planned_stored_and_accepted_by_the_checker(coop, bathroom):
    package = book(coop, bathroom, coop.hanna_site)
    run = services.plan_cooperative(today=TODAY, time_limit=5)
    assert run.status in {"optimal", "feasible"} and run.tasks == 3

    appointments = {a.task.code: a for a in Appointment.objects.select_related("task")}
    assert set(appointments) == {"rough", "wiring", "finish"}
    assert appointments["rough"].workshop == coop.b and appointments["wiring"].workshop == coop.a
    # drying: the final fit starts at least 72 h after the wiring ends
    assert appointments["finish"].start >= appointments["wiring"].end + dt.timedelta(hours=72)
    # nothing on Reformation Day
    for a in appointments.values():
        assert "2025-10-31" not in [s["date"] for s in a.segments]
    assert Dispatch.objects.filter(status="offered").count() == 3
    assert Event.objects.filter(
        group=f"package.{package.pk}", type="package.schedule_changed"
    ).exists()

    ctx = services.build_problem(services.plan_start(TODAY))
    assert check_plan(ctx.problem, services.stored_plan(ctx)) == []

    # The homeowner's timeline reads in the order the work happens, not the template's.
    from scheduling.api import package_timeline

    later = appointments["finish"].end + dt.timedelta(days=2)
    Appointment.objects.filter(pk=appointments["rough"].pk).update(
        start=later, end=later + dt.timedelta(hours=4)
    )
    Appointment.objects.filter(pk=appointments["finish"].pk).delete()
    codes = [t["code"] for t in package_timeline(package)["tasks"]]
    assert codes == ["wiring", "rough", "finish"]  # the unplanned one last


def test_a_customers_blocked_day_is_kept_free(coop, bathroom):
    first_try = book(coop, bathroom, coop.hanna_site)
    services.plan_cooperative(today=TODAY, time_limit=3)
    rough = Appointment.objects.get(task__package=first_try, task__code="rough")
    blocked = dt.date.fromisoformat(rough.segments[0]["date"])
    Appointment.objects.all().delete()
    Package.objects.all().delete()

    package = book(coop, bathroom, coop.hanna_site, blocked_days=[blocked])
    services.plan_cooperative(today=TODAY, time_limit=3)
    for a in Appointment.objects.filter(task__package=package):
        assert blocked.isoformat() not in [s["date"] for s in a.segments]


def test_a_replan_keeps_accepted_work_and_moves_only_what_it_must(coop, bathroom):
    book(coop, bathroom, coop.hanna_site)
    book(coop, bathroom, coop.heinz_site)
    services.plan_cooperative(today=TODAY, time_limit=5)
    Appointment.objects.update(status="accepted")
    before = {a.pk: (a.workshop_id, a.start) for a in Appointment.objects.all()}

    run = services.plan_cooperative(today=TODAY, time_limit=5, kind=PlanRun.Kind.REPLAN)
    assert run.moved == 0
    assert {a.pk: (a.workshop_id, a.start) for a in Appointment.objects.all()} == before


def test_a_task_no_workshop_can_do_is_reported_not_planned(coop, bathroom):
    far = f.SiteFactory(customer=coop.hanna_site.customer, location=Point(13.4, 52.5, srid=4326))
    book(coop, bathroom, far)
    run = services.plan_cooperative(today=TODAY, time_limit=3)
    assert run.status == "infeasible"
    assert run.messages and not Appointment.objects.exists()

    # The cooperative's other orders are planned all the same: one bad order stops nothing.
    near = book(coop, bathroom, coop.heinz_site)
    run = services.plan_cooperative(today=TODAY, time_limit=3)
    assert run.status in {"optimal", "feasible"} and run.tasks == 6
    assert any("no eligible workshop" in m for m in run.messages)
    planned = set(Appointment.objects.values_list("task__package", flat=True))
    assert planned == {near.pk}


def test_only_one_replan_runs_at_a_time(coop):
    with services.planner_lock() as first:
        assert first
        import threading

        seen = []

        def other():
            from django.db import connection

            with services.planner_lock() as second:
                seen.append(second)
            connection.close()

        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
    assert seen == [False]
    with services.planner_lock() as again:
        assert again


@pytest.mark.live
@pytest.mark.django_db(transaction=True)
def test_a_replan_requested_twice_runs_once_on_the_real_worker(live_stack, coop, bathroom):
    import time

    from django.utils import timezone

    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    book_package(
        customer=coop.hanna_site.customer,
        site=coop.hanna_site,
        template=bathroom,
        values={"area": 8},
        earliest_start=tomorrow,
    )
    first = services.request_replan("package booked", countdown=1)
    second = services.request_replan("absence added", countdown=1)
    assert first.pk == second.pk  # debounced into one operation
    Package.objects.update(status=Package.Status.ACCEPTED)

    deadline = time.monotonic() + 60
    first.refresh_from_db()
    while first.state not in ("done", "failed") and time.monotonic() < deadline:
        time.sleep(0.3)
        first.refresh_from_db()
    assert first.state == "done", first.error
    assert first.worker.startswith(f"{live_stack.worker_name}@")
    run = PlanRun.objects.get(pk=first.result["plan_run"])
    assert run.reason == "package booked; absence added"
    assert Appointment.objects.count() == 3


def test_an_emergency_goes_to_the_nearest_qualified_free_worker(
    coop, django_user_model, django_capture_on_commit_callbacks, mailoutbox
):
    from django.core.exceptions import ValidationError
    from django.utils import timezone

    from trades.models import Absence

    now = timezone.make_aware(dt.datetime(2025, 10, 22, 9, 0))
    near = f.WorkshopFactory(name="Elektro Nah", location=coop.hanna_site.location)
    f.OfferFactory(workshop=near, trade=coop.trades.elektro)
    offline = f.WorkerFactory(workshop=near, trades=[coop.trades.elektro])  # no login to ring
    nearest_worker = f.WorkerFactory(
        workshop=near,
        trades=[coop.trades.elektro],
        user=django_user_model.objects.create_user("nah", role="tradesperson"),
    )

    with django_capture_on_commit_callbacks(execute=True):
        match = services.dispatch_emergency(
            site=coop.hanna_site, trade=coop.trades.elektro, now=now
        )
    assert match.appointment.worker == nearest_worker
    assert match.dispatch.status == "offered" and match.distance_km == 0
    # Mailed at once, too: the van may not have the app open.
    (urgent,) = mailoutbox
    assert urgent.subject.startswith("NOTDIENST:") and urgent.to == [near.email.lower()]
    assert Event.objects.filter(
        group=f"worker.{nearest_worker.pk}", type="dispatch.offered"
    ).exists()
    # A re-plan (another package accepted meanwhile) leaves it now, not next morning.
    assert match.appointment.pinned
    run = services.plan_cooperative(today=now.date(), time_limit=3)
    assert run.status == "optimal", run.messages  # it is running: not a day the plan lacks
    match.appointment.refresh_from_db()
    assert (match.appointment.start, match.appointment.status) == (now, "tentative")

    # That worker is now busy: the next call goes to the colleague (the workshop phones him),
    # the one after to the next workshop (Cloppenburg, ~20 km).
    second = services.dispatch_emergency(site=coop.hanna_site, trade=coop.trades.elektro, now=now)
    assert second.appointment.worker == offline
    third = services.dispatch_emergency(site=coop.hanna_site, trade=coop.trades.elektro, now=now)
    assert third.appointment.workshop == coop.a and third.distance_km > 10

    # Everyone else away today: nobody left.
    for worker in coop.a.workers.all():
        Absence.objects.create(
            workshop=coop.a, worker=worker, kind="illness", start=now.date(), end=now.date()
        )
    with pytest.raises(ValidationError):
        services.dispatch_emergency(site=coop.hanna_site, trade=coop.trades.elektro, now=now)


def test_a_declined_or_unanswered_emergency_goes_on_to_the_next_free_worker(
    coop, django_user_model, django_capture_on_commit_callbacks, monkeypatch, api_as
):
    """The caller is waiting: a Notdienst declined, or not answered in its minutes, is offered
    to the next nearest free worker at once, not planned into tomorrow's work by a re-plan.
    Once nobody is left, the office hears of it and the call stays open."""
    from django.utils import timezone

    from scheduling import dispatch
    from scheduling.board import side_lists

    replans = []
    monkeypatch.setattr(services, "request_replan", lambda reason, **kw: replans.append(reason))
    now = timezone.make_aware(dt.datetime(2025, 10, 22, 21, 30))
    near = f.WorkshopFactory(name="Elektro Nah", location=coop.hanna_site.location)
    f.OfferFactory(workshop=near, trade=coop.trades.elektro)
    nah = django_user_model.objects.create_user("nah", role="tradesperson")
    f.WorkerFactory(workshop=near, trades=[coop.trades.elektro], user=nah)
    with time_machine.travel(now, tick=False):
        first = services.dispatch_emergency(
            site=coop.hanna_site, trade=coop.trades.elektro, now=now
        )
        task = first.appointment.task
        with django_capture_on_commit_callbacks(execute=True):
            declined = api_as(nah).post(
                f"/api/v1/dispatches/{first.dispatch.pk}/decline",
                {"reason": "Bin in Bremen"},
                "application/json",
            )
        assert declined.status_code == 200
        second = Dispatch.objects.select_related("appointment").get(status="offered")
        assert second.appointment.task == task and second.appointment.worker == coop.anton_worker
        assert (second.appointment.start, second.appointment.pinned) == (now, True)
        assert Event.objects.filter(
            group=f"worker.{coop.anton_worker.pk}", type="dispatch.offered"
        ).exists()
        task.refresh_from_db()
        assert task.status == Task.Status.PLANNED and replans

    # Anton does not answer within the offer's minutes: his colleague gets it.
    later = now + dt.timedelta(minutes=16)
    with time_machine.travel(later, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert dispatch.expire_overdue() == 1
        third = Dispatch.objects.select_related("appointment").get(status="offered")
        assert third.appointment.worker == coop.a_colleague and third.appointment.start == later

        # The workshop declines for him too: nobody is left, and the office is told.
        with django_capture_on_commit_callbacks(execute=True):
            dispatch.decline(third.pk, user=coop.alice, reason="Niemand erreichbar")
    assert not Dispatch.objects.filter(status="offered").exists()
    assert Dispatch.objects.filter(appointment__task=task).count() == 3
    assert Event.objects.filter(
        group="office", type="emergency.unanswered", data__task=task.pk
    ).exists()
    task.refresh_from_db()
    assert task.status == Task.Status.OPEN  # the next re-plan gives it the earliest place
    declined_list = side_lists(later)["declined"]
    assert [(r["task"], r["package_title"]) for r in declined_list] == [
        (task.pk, "Notdienst: Elektrotechnik")
    ]


def test_the_office_calls_out_an_emergency_through_the_api(coop, api_as):
    body = {"site": coop.hanna_site.pk, "trade": "elektro", "hours": 3}
    assert (
        api_as(coop.alice).post("/api/v1/emergencies", body, "application/json").status_code == 403
    )
    response = api_as(coop.olga).post("/api/v1/emergencies", body, "application/json")
    assert response.status_code == 201, response.content
    assert response.json()["workshop"] == "Elektro Janßen"
    # The workshop's phones see it marked as a Notdienst among the offers.
    offers = api_as(coop.alice).get("/api/v1/dispatches").json()["items"]
    urgent = {o["id"]: o["urgent"] for o in offers}
    assert urgent.pop(response.json()["dispatch"]) is True and not any(urgent.values())
    nobody = api_as(coop.olga).post(
        "/api/v1/emergencies",
        {**body, "trade": "sanitaer", "certification": "gas"},
        "application/json",
    )
    assert nobody.status_code == 422  # no such certification, said at its field
    assert [d["loc"] for d in nobody.json()["detail"]] == [["body", "certification"]]
    typo = api_as(coop.olga).post(
        "/api/v1/emergencies", {**body, "trade": "elektrik", "site": 999999}, "application/json"
    )
    assert typo.status_code == 422
    assert {tuple(d["loc"]) for d in typo.json()["detail"]} == {("body", "site"), ("body", "trade")}


def test_the_office_takes_an_emergency_call_on_its_page(coop, api_as):
    from customers.models import Customer
    from scheduling.models import Dispatch
    from trades.models import Trade

    page = "/buero/notdienst/"
    assert api_as(coop.alice).get(page).status_code in (302, 403)  # the office's page
    office = api_as(coop.olga)
    # A known caller, found by her name, picked, and the job sent to the nearest electrician.
    found = office.get(page, {"suche": coop.hanna_site.customer.last_name}).content.decode()
    assert f"ort={coop.hanna_site.pk}" in found
    picked = office.get(page, {"ort": coop.hanna_site.pk}).content.decode()
    assert 'data-testid="chosen-site"' in picked and 'name="first_name"' not in picked
    token = re.search(r'name="token" value="([0-9a-f-]+)"', picked)[1]
    call = {"site": coop.hanna_site.pk, "trade": "elektro", "hours": "2", "description": "x"}
    sent = office.post(page, {**call, "token": token})
    assert sent.status_code == 302 and sent["Location"] == "/buero/plantafel/"
    board = office.get(sent["Location"]).content.decode()
    assert "Notdienst an" in board and "Elektro Janßen" in board
    assert Dispatch.objects.get().appointment.task.name_de == "x"
    # A second click on the same form sends nobody else.
    again = office.post(page, {**call, "token": token})
    assert again.status_code == 302
    assert "wurde schon gesendet" in office.get(again["Location"]).content.decode()
    assert Dispatch.objects.count() == 1

    # A new caller: what is missing is said at its field; an unknown postal code at its own.
    customers = Customer.objects.count()
    empty = office.post(page, {"trade": "elektro", "hours": "2", "token": str(uuid.uuid4())})
    assert empty.status_code == 422
    html = empty.content.decode()
    # Everything but the e-mail address: not every caller has one.
    assert html.count("Für Anrufer, die noch nicht Kunde sind, nötig.") == 6
    caller = {
        "first_name": "Gerda",
        "last_name": "Notruf",
        "phone": "04471 555",
        "email": "gerda@example.org",
        "street": "Am Markt 1",
        "postal_code": "99999",
        "city": "Nirgendwo",
        "trade": "elektro",
        "hours": "2",
        "token": str(uuid.uuid4()),
    }
    unknown = office.post(page, caller)
    assert unknown.status_code == 422 and "99999" in unknown.content.decode()
    # A mistyped one is said at once, together with the other fields' errors.
    typo = office.post(page, {**caller, "postal_code": "4966", "hours": "-2"}).content.decode()
    assert "Eine deutsche Postleitzahl hat fünf Ziffern." in typo and 'id="id_hours"' in typo
    assert typo.count('class="field-error"') >= 2
    # Known postal code, but nobody of the trade near: refused, and no customer left behind.
    f.PostalCodeFactory()
    Trade.objects.create(code="ofenbau", name_de="Ofenbau", name_en="Stove building")
    nobody = office.post(page, {**caller, "postal_code": "26169", "trade": "ofenbau"})
    assert nobody.status_code == 422
    assert "kein qualifizierter Monteur frei" in nobody.content.decode()
    assert Customer.objects.count() == customers
    # The same caller with an electrician's job: she is a customer now, and the job is offered.
    done = office.post(page, {**caller, "postal_code": "26169", "city": "Friesoythe"})
    assert done.status_code == 302
    assert Customer.objects.filter(last_name="Notruf", phone="04471 555").exists()
    assert Dispatch.objects.count() == 2


@pytest.mark.parametrize(
    "typed", ["04471 123456", "+49 4471 123456", "0049 (4471) 12 34 56", "04471/123456", "123456"]
)
def test_a_caller_is_found_by_the_number_on_the_office_phone(coop, api_as, typed):
    """The phone shows the caller's number: typed in any spelling (or only its end), it finds
    her sites, and nobody else's; as a homeowner's API search it finds only her own record."""
    hanna = coop.hanna_site.customer
    hanna.phone = "+49 4471 123456"
    hanna.save()
    other = f.SiteFactory(customer=f.CustomerFactory(last_name="Nachbar", phone="04471 654321"))
    office = api_as(coop.olga)

    found = office.get("/buero/notdienst/", {"suche": typed}).content.decode()
    assert f"ort={coop.hanna_site.pk}" in found and f"ort={other.pk}" not in found
    listed = office.get("/api/v1/customers", {"q": typed}).json()["items"]
    assert [c["id"] for c in listed] == [hanna.pk]


def test_a_postal_code_or_an_email_address_finds_the_caller_too(coop, api_as):
    """Five digits are a postal code, not the end of a number; words also match the e-mail."""
    elsewhere = f.SiteFactory(
        customer=f.CustomerFactory(last_name="Weit", email="weit@example.org", phone="0441 26169"),
        postal_code="26122",
        city="Oldenburg",
    )
    office = api_as(coop.olga)
    by_code = office.get("/buero/notdienst/", {"suche": "26169"}).content.decode()
    assert f"ort={coop.hanna_site.pk}" in by_code and f"ort={elsewhere.pk}" not in by_code
    by_mail = office.get("/buero/notdienst/", {"suche": "weit@example"}).content.decode()
    assert f"ort={elsewhere.pk}" in by_mail and f"ort={coop.hanna_site.pk}" not in by_mail
    # A homeowner searching the API by another's number finds nothing of hers.
    assert api_as(coop.hanna).get("/api/v1/customers", {"q": "0441 26169"}).json()["items"] == []


def test_a_caller_without_email_is_taken_down_and_gets_a_worker(coop, api_as):
    """An elderly caller with a phone but no e-mail address: she becomes a customer with a
    site, the job is offered, and her invoice will go by post."""
    from customers.models import Customer

    f.PostalCodeFactory()
    office = api_as(coop.olga)
    caller = {
        "first_name": "Erna",
        "last_name": "Ohnemail",
        "phone": "04491 1234",
        "email": "",
        "street": "Kirchstraße 3",
        "postal_code": "26169",
        "city": "Friesoythe",
        "trade": "elektro",
        "hours": "2",
        "token": str(uuid.uuid4()),
    }
    # The phone is still needed: the worker rings her on the way.
    no_phone = office.post("/buero/notdienst/", {**caller, "phone": ""})
    assert no_phone.status_code == 422
    assert no_phone.content.decode().count("Für Anrufer, die noch nicht Kunde sind, nötig.") == 1
    assert not Customer.objects.filter(last_name="Ohnemail").exists()

    sent = office.post("/buero/notdienst/", caller)
    assert sent.status_code == 302, sent.content.decode()
    erna = Customer.objects.get(last_name="Ohnemail")
    assert (erna.email, erna.phone, erna.display_name) == ("", "04491 1234", "Erna Ohnemail")
    (site,) = erna.sites.all()
    assert (site.street, site.postal_code) == ("Kirchstraße 3", "26169")
    offer = Dispatch.objects.get(appointment__task__package__customer=erna)
    assert offer.status == "offered" and offer.appointment.task.package.site == site
    assert "Notdienst an" in office.get(sent["Location"]).content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_new_callers_address_is_located_before_the_placement_takes_its_locks(
    coop, settings, monkeypatch
):
    """An online geocoder may take seconds: the transaction that locks the workers and writes
    the customer, site and offer must not be open while it waits."""
    from django.db import connection
    from django.test import Client

    from customers import geocoding
    from customers.models import Customer
    from tests.test_geocoding import NOMINATIM_HIT, fake_opener

    settings.GEOCODER = "nominatim"
    in_transaction = []

    def geocoder(request, timeout):
        in_transaction.append(connection.in_atomic_block)
        return fake_opener([NOMINATIM_HIT])(request, timeout)

    monkeypatch.setattr(geocoding.urllib.request, "urlopen", geocoder)
    office = Client()
    office.force_login(coop.olga)
    caller = {
        "first_name": "Gerda",
        "last_name": "Notruf",
        "phone": "04471 555",
        "street": "Lange Straße 5",
        "postal_code": "49661",
        "city": "Cloppenburg",
        "trade": "elektro",
        "hours": "2",
        "token": str(uuid.uuid4()),
    }
    sent = office.post("/buero/notdienst/", caller)
    assert sent.status_code == 302, sent.content.decode()
    assert in_transaction == [False]  # asked once, with no transaction open
    site = Customer.objects.get(last_name="Notruf").sites.get()
    assert (site.location_source, round(site.location.y, 4)) == ("geocoder", 52.8461)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("trade", ["elektro", "sanitaer"])
def test_a_notdienst_sent_twice_at_once_sends_one_worker(coop, trade):
    """Two clicks on 'send' that reach the server together: one job, one worker on the road.
    Also when that was the only free plumber: the later clicks find the job, they are not
    told that nobody is free."""
    import threading

    from django.db import connection
    from django.test import Client

    from scheduling.models import Dispatch

    office = Client()
    office.force_login(coop.olga)
    cookies = office.cookies
    call = {"site": coop.hanna_site.pk, "trade": trade, "hours": "2", "token": uuid.uuid4()}
    barrier = threading.Barrier(4, timeout=60)
    codes = []

    def click():
        client = Client()
        client.cookies = cookies
        try:
            barrier.wait()
            codes.append(client.post("/buero/notdienst/", call).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert codes == [302] * 4  # each click lands on the board
    assert Dispatch.objects.count() == 1 and Package.objects.count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("plumbers", [1, 2])
def test_two_clerks_sending_notdienste_at_once_never_send_one_worker_twice(
    coop, office_user, plumbers, monkeypatch
):
    """Two callers, two clerks, the same moment, one free plumber (Bernd): one call gets him,
    the other hears that nobody is free. With a second free plumber each call gets one."""
    import contextlib
    import threading

    from django.db import connection
    from django.test import Client

    from scheduling import notify

    if plumbers == 2:
        f.WorkerFactory(workshop=coop.b, trades=[coop.trades.sanitaer])
    # Both calls meet once each has chosen its worker, before either commits: without a lock
    # both would have chosen Bernd. With it the second is still waiting for the first, which
    # goes on alone after the timeout.
    chosen = threading.Barrier(2, timeout=3)
    mail_offers = notify.mail_offers

    def meet_then_mail(offers):
        with contextlib.suppress(threading.BrokenBarrierError):
            chosen.wait()
        mail_offers(offers)

    monkeypatch.setattr(notify, "mail_offers", meet_then_mail)
    clerks = []
    for user in (coop.olga, office_user):
        clerk = Client()
        clerk.force_login(user)
        clerks.append(clerk)
    start = threading.Barrier(2, timeout=60)
    answers = []

    def call(clerk):
        form = {"site": coop.hanna_site.pk, "trade": "sanitaer", "hours": "2"}
        try:
            start.wait()
            answers.append(clerk.post("/buero/notdienst/", {**form, "token": uuid.uuid4()}))
        finally:
            connection.close()

    threads = [threading.Thread(target=call, args=(clerk,)) for clerk in clerks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    workers = list(Appointment.objects.values_list("worker_id", flat=True))
    if plumbers == 1:
        assert sorted(a.status_code for a in answers) == [302, 422]
        assert workers == [coop.bernd_worker.pk]
        refused = next(a for a in answers if a.status_code == 422).content.decode()
        assert "kein qualifizierter Monteur frei" in refused
        assert Package.objects.count() == 1
    else:
        assert [a.status_code for a in answers] == [302, 302]
        assert len(set(workers)) == 2 and coop.bernd_worker.pk in workers


def test_a_task_without_work_at_these_values_is_left_out_and_precedence_bridged(coop):
    template = save_template(
        {"code": "fenster", "name_de": "Fenster", "name_en": "Windows"},
        [
            {
                "code": "shutters",
                "name_de": "Rollläden",
                "name_en": "Shutters",
                "kind": "integer",
                "minimum": 0,
                "maximum": 10,
                "default": 2,
            }
        ],
        [
            {
                "code": "out",
                "name_de": "Ausbau",
                "name_en": "Removal",
                "trade": "sanitaer",
                "duration_base_hours": 4,
            },
            {
                "code": "shutter",
                "name_de": "Rollladen",
                "name_en": "Shutter",
                "trade": "elektro",
                "duration_per_unit": {"shutters": 2},
            },
            {
                "code": "paint",
                "name_de": "Maler",
                "name_en": "Paint",
                "trade": "sanitaer",
                "duration_base_hours": 3,
            },
        ],
        [
            {"predecessor": "out", "successor": "shutter", "lag_hours": 24},
            {"predecessor": "shutter", "successor": "paint", "lag_hours": 0},
        ],
    )
    package = book_package(
        customer=coop.hanna_site.customer,
        site=coop.hanna_site,
        template=template,
        values={"shutters": 0},
        earliest_start=TODAY,
        today=TODAY,
    )
    assert [t.code for t in package.tasks.all()] == ["out", "paint"]
    (dep,) = package.dependencies.all()
    assert (dep.predecessor.code, dep.successor.code, dep.lag_hours) == ("out", "paint", 24)


def test_an_ill_worker_hands_the_job_to_a_free_colleague_or_back_to_the_workshop(
    coop,
    bathroom,
    django_capture_on_commit_callbacks,
    mailoutbox,
):
    from trades.models import Absence

    book(coop, bathroom, coop.hanna_site)
    services.plan_cooperative(today=TODAY, time_limit=3)
    wiring = Appointment.objects.get(task__code="wiring")
    assert wiring.workshop == coop.a
    wiring.worker, wiring.status = coop.anton_worker, "accepted"
    wiring.save()
    days = sorted(dt.date.fromisoformat(s["date"]) for s in wiring.segments)

    # The colleague was away a month ago and will be in a month: free on these days.
    for shift in (-30, 30):
        day = days[0] + dt.timedelta(days=shift)
        Absence.objects.create(
            workshop=coop.a, worker=coop.a_colleague, kind="holiday", start=day, end=day
        )
    # Anton is ill on its days: his colleague (free, an electrician too) takes it over.
    Absence.objects.create(
        workshop=coop.a, worker=coop.anton_worker, kind="illness", start=days[0], end=days[-1]
    )
    services.plan_cooperative(today=TODAY, time_limit=3)
    wiring.refresh_from_db()
    assert wiring.worker == coop.a_colleague and wiring.status == "accepted"
    told = Event.objects.filter(type="appointment.worker_changed").values_list("group", flat=True)
    assert {f"workshop.{coop.a.pk}", f"worker.{coop.anton_worker.pk}", "office"} <= set(told)

    # The colleague is away as well: the workshop chooses (nobody is left holding it). (A full
    # re-plan would rather move the job out of the days, as the workshop has no crew left.)
    Absence.objects.create(
        workshop=coop.a, worker=coop.a_colleague, kind="holiday", start=days[0], end=days[-1]
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert services.cover_absent_workers([wiring]) == [wiring]
    wiring.refresh_from_db()
    assert wiring.worker is None
    # The workshop is mailed, with the link to choose someone.
    (mail,) = [m for m in mailoutbox if "Monteur" in m.subject]
    assert mail.to == [coop.a.email.lower()]
    assert mail.subject == "Ein Auftrag braucht einen Monteur: Elektro"
    assert f"/monteur/#/termin/{wiring.pk}" in mail.body
    assert services.cover_absent_workers([wiring]) == []  # nothing more to do


def test_the_homeowner_reads_the_hours_of_a_one_day_job(coop, api_as):
    """A burst pipe at 09:00: when they come matters, not only the day."""
    import time_machine

    body = {"site": coop.hanna_site.pk, "trade": "elektro", "hours": 3}
    with time_machine.travel("2025-10-22 09:00 +02:00", tick=False):
        called = api_as(coop.olga).post("/api/v1/emergencies", body, "application/json").json()
        package = Appointment.objects.get(pk=called["appointment"]).task.package_id
        page = api_as(coop.hanna).get(f"/auftrag/{package}/").content.decode()
    assert "Mi 22.10.2025 09:00–12:00" in page


def test_an_offer_accepted_while_the_planner_solves_stays_accepted(coop, bathroom, monkeypatch):
    """The plan writes what it read before the solve back only as placement: an accept (or a
    worker chosen) in the seconds of the solve is kept, not undone."""
    from scheduling import dispatch

    package = book(coop, bathroom, coop.hanna_site)
    services.plan_cooperative(today=TODAY, time_limit=3)
    wiring = Appointment.objects.get(task__code="wiring")
    day = dt.date.fromisoformat(wiring.segments[0]["date"])
    Package.objects.filter(pk=package.pk).update(blocked_days=[day])  # it has to move
    offer = Dispatch.objects.get(appointment=wiring, status="offered")
    solve = services.solver.plan

    def solve_while_anton_accepts(problem, options):
        result = solve(problem, options)
        dispatch.accept(offer.pk, user=coop.anton)
        return result

    monkeypatch.setattr(services.solver, "plan", solve_while_anton_accepts)
    run = services.plan_cooperative(today=TODAY, time_limit=3, kind=PlanRun.Kind.REPLAN)
    wiring.refresh_from_db()
    assert run.moved >= 1 and day.isoformat() not in [s["date"] for s in wiring.segments]
    assert wiring.status == "accepted" and wiring.worker == coop.anton_worker
    assert wiring.sequence == 2  # offered 0, accepted 1, moved 2: no increment lost


def test_a_worker_let_go_hands_their_jobs_over_at_once(
    coop, bathroom, api_as, django_capture_on_commit_callbacks, monkeypatch
):
    book(coop, bathroom, coop.hanna_site)
    services.plan_cooperative(today=TODAY, time_limit=3)
    wiring = Appointment.objects.get(task__code="wiring")
    Appointment.objects.filter(pk=wiring.pk).update(status="accepted", worker=coop.anton_worker)
    owner = api_as(coop.alice)
    with time_machine.travel(dt.datetime.combine(TODAY, dt.time(9), tzinfo=dt.UTC), tick=False):
        # Anton leaves: his colleague, free and an electrician too, has the job now.
        monkeypatch.setattr(services, "request_replan", lambda reason, **kw: None)
        with django_capture_on_commit_callbacks(execute=True):
            left = owner.patch(
                f"/api/v1/workers/{coop.anton_worker.pk}", {"active": False}, "application/json"
            )
        assert left.status_code == 200
        wiring.refresh_from_db()
        assert wiring.worker == coop.a_colleague
        # The colleague leaves too: nobody is left, the workshop chooses.
        with django_capture_on_commit_callbacks(execute=True):
            owner.patch(
                f"/api/v1/workers/{coop.a_colleague.pk}", {"active": False}, "application/json"
            )
        wiring.refresh_from_db()
        assert wiring.worker is None and wiring.status == "accepted"
    told = Event.objects.filter(type="appointment.worker_changed", group=f"workshop.{coop.a.pk}")
    assert told.count() == 2


def test_a_job_whose_worker_lets_a_certificate_lapse_goes_to_a_certified_colleague(coop, bathroom):
    from trades.models import Certification, WorkerCertification

    book(coop, bathroom, coop.hanna_site)
    services.plan_cooperative(today=TODAY, time_limit=3)
    wiring = Appointment.objects.get(task__code="wiring")
    day = dt.date.fromisoformat(wiring.segments[-1]["date"])
    cert = Certification.objects.create(code="e-check", name_de="E-Check", name_en="E-check")
    Task.objects.filter(pk=wiring.task_id).update(required_certification=cert)
    Appointment.objects.filter(pk=wiring.pk).update(status="accepted", worker=coop.anton_worker)
    wiring.refresh_from_db()
    for worker, until in ((coop.anton_worker, day), (coop.a_colleague, None)):
        WorkerCertification.objects.create(worker=worker, certification=cert, valid_until=until)
    assert services.cover_absent_workers([wiring]) == []  # valid through the job's last day
    WorkerCertification.objects.filter(worker=coop.anton_worker).update(
        valid_until=day - dt.timedelta(days=1)
    )
    assert services.cover_absent_workers([wiring]) == [wiring]
    wiring.refresh_from_db()
    assert wiring.worker == coop.a_colleague
