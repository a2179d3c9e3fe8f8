"""Dispatch offers: exactly one winner, declines and expiries go to the next workshop, ledger."""

import datetime as dt
import threading

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from scheduling import dispatch, services
from scheduling.models import Appointment, Dispatch
from tests import factories as f
from tests.test_planner_integration import TODAY, bathroom, book  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


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
