"""Dispatch offers: exactly one winner, declines and expiries go to the next workshop, ledger."""

import datetime as dt
import threading

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.utils import timezone

from scheduling import dispatch, services
from scheduling.feeds import BERLIN
from scheduling.models import Appointment, Dispatch
from tests import factories as f
from tests.test_planner_integration import TODAY, bathroom, book  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db
# Listing offers as a workshop admin: session, user, device, her workshops and worker records (for
# the list, then once for the notes on it), the count and the page.
QUERIES_FOR_ALICE = 9


@pytest.fixture
def offered(coop, bathroom):  # noqa: F811
    book(coop, bathroom, coop.hanna_site)
    services.plan_cooperative(today=TODAY, time_limit=3)
    return Dispatch.objects.select_related("appointment__task").get(
        appointment__task__code="wiring"
    )


def test_a_plan_offers_every_task_to_its_workshop_with_a_deadline(coop, offered):
    assert Dispatch.objects.filter(status="offered").count() == 3
    assert offered.workshop == coop.a
    assert offered.deadline > timezone.now()


def test_the_offer_reaches_only_its_workshops_people(coop, offered, api_as):
    ids = lambda user: [d["id"] for d in api_as(user).get("/api/v1/dispatches").json()["items"]]  # noqa: E731
    assert offered.pk in ids(coop.alice) and offered.pk in ids(coop.anton)
    assert offered.pk not in ids(coop.bob) and offered.pk not in ids(coop.hanna)
    url = f"/api/v1/dispatches/{offered.pk}/accept"
    assert api_as(coop.bob).post(url, {}, "application/json").status_code == 404


def test_offers_are_listed_by_planned_start_whatever_their_deadlines(coop, offered, api_as):
    offers = list(Dispatch.objects.filter(status="offered").select_related("appointment"))
    by_start = sorted(offers, key=lambda d: (d.appointment.start, d.pk))
    # The latest job has to be answered first: a list by deadline would be upside down.
    for hours, d in enumerate(reversed(by_start), start=1):
        Dispatch.objects.filter(pk=d.pk).update(deadline=timezone.now() + dt.timedelta(hours=hours))
    items = api_as(coop.olga).get("/api/v1/dispatches?status=offered").json()["items"]
    assert [d["id"] for d in items] == [d.pk for d in by_start]
    starts = [d["start"] for d in items]
    assert starts == sorted(starts) and len(set(starts)) == 3


def test_a_tradesperson_accepts_and_becomes_the_worker(coop, offered, api_as):
    response = api_as(coop.anton).post(
        f"/api/v1/dispatches/{offered.pk}/accept", {}, "application/json"
    )
    assert response.status_code == 200 and response.json()["status"] == "accepted"
    appointment = Appointment.objects.get(pk=offered.appointment_id)
    assert appointment.status == "accepted" and appointment.worker == coop.anton_worker
    assert appointment.sequence == 1
    again = api_as(coop.alice).post(
        f"/api/v1/dispatches/{offered.pk}/accept", {}, "application/json"
    )
    assert again.status_code == 409


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_accepts_make_one_assignment_and_nineteen_409s(coop, bathroom):  # noqa: F811
    book(coop, bathroom, coop.hanna_site)
    services.plan_cooperative(today=TODAY, time_limit=3)
    offer = Dispatch.objects.get(appointment__task__code="wiring")
    barrier = threading.Barrier(20, timeout=60)
    codes = []
    logged_in = Client()
    logged_in.force_login(coop.alice)
    cookies = logged_in.cookies

    def phone():
        client = Client()
        client.cookies = cookies
        try:
            barrier.wait()
            codes.append(
                client.post(
                    f"/api/v1/dispatches/{offer.pk}/accept", {}, "application/json"
                ).status_code
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=phone) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [200] + [409] * 19
    assert Dispatch.objects.filter(pk=offer.pk, status="accepted").count() == 1
    assert Appointment.objects.get(pk=offer.appointment_id).status == "accepted"


def test_an_accept_racing_the_expiry_loses_cleanly(coop, offered, api_as):
    Dispatch.objects.filter(pk=offered.pk).update(deadline=timezone.now() - dt.timedelta(seconds=1))
    late = api_as(coop.alice).post(
        f"/api/v1/dispatches/{offered.pk}/accept", {}, "application/json"
    )
    assert late.status_code == 409
    assert dispatch.expire_overdue() == 1
    assert Dispatch.objects.get(pk=offered.pk).status == "expired"


def test_a_declined_task_goes_to_the_next_best_workshop(coop, offered, api_as):
    other = f.WorkshopFactory(name="Elektro Zwei", location=coop.hanna_site.location)
    f.OfferFactory(workshop=other, trade=coop.trades.elektro)
    f.WorkerFactory(workshop=other, trades=[coop.trades.elektro])
    # The plan chose A before "Elektro Zwei" existed; A declines.
    empty = api_as(coop.alice).post(
        f"/api/v1/dispatches/{offered.pk}/decline", {"reason": " "}, "application/json"
    )
    assert empty.status_code == 422
    declined = api_as(coop.alice).post(
        f"/api/v1/dispatches/{offered.pk}/decline", {"reason": "Krankheit"}, "application/json"
    )
    assert declined.status_code == 200
    services.plan_cooperative(today=TODAY, time_limit=3)
    new = Dispatch.objects.get(appointment__task__code="wiring", status="offered")
    assert new.workshop == other
    ledger = {
        (r["workshop"], r["trade"]): r for r in api_as(coop.olga).get("/api/v1/fairness").json()
    }
    assert ledger[("Elektro Janßen", "elektro")]["declined"] == 1
    assert ledger[("Elektro Zwei", "elektro")]["offered"] == 1
    own = api_as(coop.alice).get("/api/v1/fairness").json()
    assert {r["workshop"] for r in own} == {"Elektro Janßen"}


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_calendar_feeds_are_secret_scoped_and_revocable(coop, offered):
    from icalendar import Calendar

    alice = as_user(coop.alice)
    created = alice.post(
        "/api/v1/feeds", {"scope": "workshop", "key": coop.a.pk}, "application/json"
    )
    assert created.status_code == 201
    url = created.json()["url"].removeprefix("http://testserver")
    anonymous = Client()
    body = anonymous.get(url)
    assert body.status_code == 200 and body["Content-Type"].startswith("text/calendar")
    events = [e for e in Calendar.from_ical(body.content).walk("VEVENT")]
    assert len(events) == 1 and str(events[0]["UID"]).endswith("@zunft")

    # another member's workshop, another customer's package: refused
    assert (
        alice.post(
            "/api/v1/feeds", {"scope": "workshop", "key": coop.b.pk}, "application/json"
        ).status_code
        == 403
    )
    package_id = offered.appointment.task.package_id
    assert (
        as_user(coop.heinz)
        .post("/api/v1/feeds", {"scope": "package", "key": package_id}, "application/json")
        .status_code
        == 403
    )
    own = as_user(coop.hanna).post(
        "/api/v1/feeds", {"scope": "package", "key": package_id}, "application/json"
    )
    assert own.status_code == 201

    assert alice.delete(f"/api/v1/feeds/{created.json()['id']}").status_code == 204
    assert anonymous.get(url).status_code == 404
    # a feed dies with its owner's right to it
    bobs = (
        as_user(coop.alice)
        .post("/api/v1/feeds", {"scope": "workshop", "key": coop.a.pk}, "application/json")
        .json()["url"]
        .removeprefix("http://testserver")
    )
    assert anonymous.get(bobs).status_code == 200
    coop.a.admins.remove(coop.alice)
    assert anonymous.get(bobs).status_code == 404
    assert anonymous.get(own.json()["url"].removeprefix("http://testserver")).status_code == 200


def test_a_feed_speaks_the_language_it_was_created_in(coop, offered):
    from icalendar import Calendar

    uid = f"{offered.appointment.uid}@zunft"

    def event(url, client=None):
        body = (client or Client()).get(url.removeprefix("http://testserver"))
        (found,) = [e for e in Calendar.from_ical(body.content).walk("VEVENT") if e["UID"] == uid]
        return found

    alice = as_user(coop.alice)
    body = {"scope": "workshop", "key": coop.a.pk}
    german = alice.post("/api/v1/feeds", body, "application/json").json()["url"]
    english = alice.post(
        "/api/v1/feeds", body, "application/json", headers={"accept-language": "en"}
    ).json()["url"]
    task = offered.appointment.task
    assert event(german)["SUMMARY"].startswith(task.name_de)
    assert str(event(german)["DESCRIPTION"]).startswith("Auftrag: ")
    assert event(english)["SUMMARY"].startswith(task.name_en)
    description = str(event(english)["DESCRIPTION"])
    assert description.startswith("Order: ") and "Working days:" in description
    day = offered.appointment.start.astimezone(BERLIN).date()
    assert f"• {day:%a} {day.day} {day:%b %Y}" in description  # e.g. "• Wed 22 Oct 2025"

    # A download from the package page follows the page's language.
    hanna = as_user(coop.hanna)
    downloaded = event(f"/en/auftrag/{task.package_id}/termine.ics", hanna)
    assert str(downloaded["DESCRIPTION"]).startswith("Order: ")
    assert event(f"/auftrag/{task.package_id}/termine.ics", hanna)["SUMMARY"].startswith(
        task.name_de
    )


# --- choosing the worker -------------------------------------------------------------------------


def _unstaffed(coop, offered, api_as) -> Appointment:
    """A's admin accepted without naming a worker: the workshop still has to choose one."""
    url = f"/api/v1/dispatches/{offered.pk}/accept"
    assert api_as(coop.alice).post(url, {}, "application/json").status_code == 200
    appointment = Appointment.objects.get(pk=offered.appointment_id)
    assert appointment.worker is None and appointment.status == "accepted"
    return appointment


def test_the_workshop_gives_a_job_without_worker_to_one_who_is_free(coop, offered, api_as, request):
    from trades.models import Absence
    from zunft.core.models import Event

    a = _unstaffed(coop, offered, api_as)
    first, last = dispatch.appointment_days(a)
    # The plan was made for TODAY; the list holds what still lies ahead.
    clock = time_machine.travel(dt.datetime.combine(TODAY, dt.time(9), tzinfo=dt.UTC), tick=False)
    clock.start()
    request.addfinalizer(clock.stop)
    Absence.objects.create(
        workshop=coop.a, worker=coop.a_colleague, kind="illness", start=first, end=last
    )
    # The management sees it among the jobs to staff; another workshop's does not.
    listed = api_as(coop.alice).get("/api/v1/field/unstaffed").json()
    assert [c["appointment"] for c in listed] == [a.pk]
    assert api_as(coop.bob).get("/api/v1/field/unstaffed").json() == []
    assert api_as(coop.anton).get("/api/v1/field/unstaffed").status_code == 403

    # Who could take it, and why the colleague cannot.
    shown = api_as(coop.alice).get(f"/api/v1/field/appointments/{a.pk}/candidates").json()
    by_id = {c["id"]: c for c in shown}
    assert by_id[coop.anton_worker.pk]["free"] and by_id[coop.anton_worker.pk]["has_login"]
    assert not by_id[coop.a_colleague.pk]["free"]
    assert by_id[coop.a_colleague.pk]["reason"] == "abwesend"
    assert coop.bernd_worker.pk not in by_id  # another workshop, another trade

    url = f"/api/v1/field/appointments/{a.pk}/worker"
    ill = api_as(coop.alice).post(url, {"worker": coop.a_colleague.pk}, "application/json")
    assert ill.status_code == 422
    assert ill.json()["detail"][0]["loc"] == ["body", "worker"]
    assert str(coop.a_colleague) in ill.json()["detail"][0]["msg"]
    foreign = api_as(coop.alice).post(url, {"worker": coop.bernd_worker.pk}, "application/json")
    assert foreign.status_code == 422
    # Another workshop does not see the job at all; a worker does not hand jobs around.
    assert api_as(coop.bob).post(url, {"worker": 1}, "application/json").status_code == 404
    assert Appointment.objects.values_list("worker", "sequence").get(pk=a.pk) == (None, 1)
    Appointment.objects.filter(pk=a.pk).update(worker=coop.anton_worker)
    to_colleague = {"worker": coop.a_colleague.pk}
    assert api_as(coop.anton).post(url, to_colleague, "application/json").status_code == 403
    assert Appointment.objects.values_list("worker", "sequence").get(pk=a.pk) == (
        coop.anton_worker.pk,
        1,
    )
    Appointment.objects.filter(pk=a.pk).update(worker=None)

    chosen = api_as(coop.alice).post(url, {"worker": coop.anton_worker.pk}, "application/json")
    assert chosen.status_code == 200 and chosen.json()["worker_id"] == coop.anton_worker.pk
    a.refresh_from_db()
    assert a.worker == coop.anton_worker and a.sequence == 2
    told = Event.objects.filter(type="appointment.worker_changed").values_list("group", flat=True)
    assert {f"worker.{coop.anton_worker.pk}", f"workshop.{coop.a.pk}", "office"} <= set(told)
    assert api_as(coop.alice).get("/api/v1/field/unstaffed").json() == []
    # Anton's phone now has it.
    agenda = api_as(coop.anton).get(f"/api/v1/field/agenda?start={first}&days=7").json()
    assert a.pk in {c["appointment"] for c in agenda["items"]}


def test_an_open_offer_gets_its_worker_when_accepted_not_before(coop, offered, api_as):
    url = f"/api/v1/field/appointments/{offered.appointment_id}/worker"
    answer = api_as(coop.alice).post(url, {"worker": coop.anton_worker.pk}, "application/json")
    assert answer.status_code == 409
    assert Appointment.objects.get(pk=offered.appointment_id).worker is None


@pytest.mark.django_db(transaction=True)
def test_two_managers_giving_one_worker_two_jobs_at_once_make_one_assignment(
    coop,
    bathroom,  # noqa: F811
):
    """Alice and the office each give Anton a job at the same hours, at the same moment: one
    of them gets him, the other is told he is busy then."""
    book(coop, bathroom, coop.hanna_site)
    services.plan_cooperative(today=TODAY, time_limit=3)
    first = Appointment.objects.get(task__code="wiring")
    Appointment.objects.filter(pk=first.pk).update(status="accepted")
    second_package = book(coop, bathroom, coop.heinz_site)
    second = Appointment.objects.create(
        task=second_package.tasks.get(code="wiring"),
        workshop=coop.a,
        start=first.start,
        end=first.end,
        segments=first.segments,
        status="accepted",
    )
    clients = []
    for user in (coop.alice, coop.olga):
        client = Client()
        client.force_login(user)
        clients.append(client)
    barrier = threading.Barrier(2, timeout=60)
    answers = []

    def manager(client, appointment):
        try:
            barrier.wait()
            answers.append(
                client.post(
                    f"/api/v1/field/appointments/{appointment.pk}/worker",
                    {"worker": coop.anton_worker.pk},
                    "application/json",
                )
            )
        finally:
            connection.close()

    threads = [
        threading.Thread(target=manager, args=(c, a))
        for c, a in zip(clients, (first, second), strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.status_code for r in answers) == [200, 422]
    assert Appointment.objects.filter(worker=coop.anton_worker).count() == 1


def test_who_can_take_a_job_counts_its_working_days_other_jobs_and_certificates(
    coop,
    offered,
    api_as,
    bathroom,  # noqa: F811
):
    from django.db import transaction

    from trades.models import Absence, Certification, WorkerCertification

    a = _unstaffed(coop, offered, api_as)
    days = dispatch.working_days(a)

    def reasons():
        with transaction.atomic():
            return {c.worker.pk: c.reason for c in dispatch.staffing(a)}

    assert reasons() == {coop.anton_worker.pk: "", coop.a_colleague.pk: ""}
    # Anton has another job at the same hours; a cancelled one does not count.
    other = book(coop, bathroom, coop.heinz_site)
    clash = dict(start=a.start, end=a.end, segments=a.segments, workshop=coop.a)
    Appointment.objects.create(
        task=other.tasks.get(code="wiring"), worker=coop.anton_worker, status="cancelled", **clash
    )
    assert reasons()[coop.anton_worker.pk] == ""
    Appointment.objects.create(
        task=other.tasks.get(code="finish"), worker=coop.anton_worker, status="accepted", **clash
    )
    assert reasons()[coop.anton_worker.pk] == "zu der Zeit bei einem anderen Termin"
    # Worked on a Friday and the Monday after: a Saturday off is none of its days; the
    # workshop closed on the Monday is.
    friday = days[0] + dt.timedelta(days=(4 - days[0].weekday()) % 7)
    monday = friday + dt.timedelta(days=3)
    a.segments = [
        {"date": friday.isoformat(), "start_hour": 8, "hours": 8},
        {"date": monday.isoformat(), "start_hour": 8, "hours": 2},
    ]
    days = dispatch.working_days(a)
    assert days == [friday, monday]
    saturday = friday + dt.timedelta(days=1)
    Absence.objects.create(
        workshop=coop.a, worker=coop.a_colleague, kind="holiday", start=saturday, end=saturday
    )
    assert reasons()[coop.a_colleague.pk] == ""
    closed = Absence.objects.create(workshop=coop.a, kind="holiday", start=monday, end=monday)
    assert reasons()[coop.a_colleague.pk] == "abwesend"
    closed.delete()
    # A task that needs a certificate: only a valid one counts.
    cert = Certification.objects.create(code="e-check", name_de="E-Check", name_en="E-check")
    a.task.required_certification = cert
    a.task.save()
    WorkerCertification.objects.create(
        worker=coop.a_colleague, certification=cert, valid_until=days[0] - dt.timedelta(days=1)
    )
    assert reasons()[coop.a_colleague.pk] == "E-Check fehlt oder ist abgelaufen"
    WorkerCertification.objects.filter(worker=coop.a_colleague).update(valid_until=days[-1])
    assert reasons()[coop.a_colleague.pk] == ""


def test_a_worker_away_on_the_day_cannot_accept_the_offer_for_themselves(
    coop, offered, api_as, django_assert_max_num_queries
):
    from trades.models import Absence

    # Who reads the list is looked up once: the management's list costs nothing per offer.
    alice = api_as(coop.alice)
    with django_assert_max_num_queries(QUERIES_FOR_ALICE):
        assert len(alice.get("/api/v1/dispatches").json()["items"]) == 1

    def said(user):
        items = api_as(user).get("/api/v1/dispatches").json()["items"]
        return next(d["you_cannot"] for d in items if d["id"] == offered.pk)

    assert said(coop.anton) == ""
    trade = coop.anton_worker.trades.get(pk=offered.appointment.task.trade_id)
    coop.anton_worker.trades.remove(trade)
    assert said(coop.anton) == f"nicht im Gewerk {trade.name_de}"
    coop.anton_worker.trades.add(trade)
    coop.anton_worker.active = False  # let go: said so, not as a missing trade
    coop.anton_worker.save()
    assert said(coop.anton) == "nicht mehr im Team des Betriebs"
    coop.anton_worker.active = True
    coop.anton_worker.save()
    day = dispatch.working_days(offered.appointment)[0]
    Absence.objects.create(
        workshop=coop.a, worker=coop.anton_worker, kind="holiday", start=day, end=day
    )
    # The offer says so before the tap; the management, who choose someone, see no such note.
    assert said(coop.anton) == "abwesend" and said(coop.alice) == ""
    url = f"/api/v1/dispatches/{offered.pk}/accept"
    refused = api_as(coop.anton).post(url, {}, "application/json")
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["msg"] == "Sie können den Termin nicht übernehmen: abwesend."
    assert Dispatch.objects.get(pk=offered.pk).status == "offered"  # still open for the others
    named = api_as(coop.alice).post(url, {"worker_id": coop.anton_worker.pk}, "application/json")
    assert named.status_code == 422
    ok = api_as(coop.alice).post(url, {"worker_id": coop.a_colleague.pk}, "application/json")
    assert ok.status_code == 200
    assert Appointment.objects.get(pk=offered.appointment_id).worker == coop.a_colleague


def test_new_offers_are_mailed_once_per_workshop_without_the_customers_details(
    coop,
    bathroom,  # noqa: F811
    django_capture_on_commit_callbacks,
    mailoutbox,
):
    """A workshop whose app is closed hears of its offers: one mail per plan, not per task."""
    coop.alice.email = "alice@elektro.example"
    coop.alice.save()
    book(coop, bathroom, coop.hanna_site)
    with django_capture_on_commit_callbacks(execute=True):
        services.plan_cooperative(today=TODAY, time_limit=3)
    by_recipients = {tuple(m.to): m for m in mailoutbox}
    to_a = tuple(sorted([coop.a.email.lower(), "alice@elektro.example"]))
    assert set(by_recipients) == {to_a, (coop.b.email.lower(),)}
    plumbing = by_recipients[(coop.b.email.lower(),)]
    assert plumbing.subject == "2 neue Angebote für Sanitär Meyer"
    assert plumbing.body.count("antworten bis") == 2
    assert "/monteur/#/angebote" in plumbing.body
    customer = coop.hanna_site.customer
    assert customer.last_name not in plumbing.body and coop.hanna_site.street not in plumbing.body
    assert by_recipients[to_a].subject.startswith("Neues Angebot: Elektro in ")
