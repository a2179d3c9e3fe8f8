"""The office's dispatch board: data in constant queries, moves checked by the planner's rules,
applied in one transaction and told to the workshops; office only."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jobs.models import Request
from jobs.services import create_quote
from scheduling import board, services
from scheduling.management.commands.bench_board import make_week
from scheduling.models import Appointment, Dispatch
from tests import factories as f
from tests.test_planner_integration import TODAY, bathroom, book  # noqa: F401 - fixture
from zunft.core.models import Event

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2025, 10, 22, 9, 0, tzinfo=board.BERLIN)  # TODAY, a Wednesday morning
PREVIEW = "/api/v1/board/moves/preview"
MOVES = "/api/v1/board/moves"


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def planned(coop, bathroom, clock):  # noqa: F811
    """Hanna's bathroom planned: rough-in (plumbing, B) → wiring (electrics, A) → 72 h drying →
    final fit (plumbing, B)."""
    package = book(coop, bathroom, coop.hanna_site)
    services.plan_cooperative(today=TODAY, time_limit=3)
    appointments = {
        a.task.code: a
        for a in Appointment.objects.select_related("task").exclude(status="cancelled")
    }
    assert set(appointments) == {"rough", "wiring", "finish"}
    return package, appointments


def day_of(appointment) -> dt.date:
    return dt.date.fromisoformat(appointment.segments[0]["date"])


def workday_after(day: dt.date, n: int = 1) -> dt.date:
    while n:
        day += dt.timedelta(days=1)
        if day.weekday() < 5 and day != dt.date(2025, 10, 31):  # Reformation Day (NI)
            n -= 1
    return day


# --- access -----------------------------------------------------------------------------------


def test_only_office_staff_see_the_board_members_and_homeowners_get_403(coop, api_as):
    url = "/api/v1/board?week=2025-W44"
    assert api_as(coop.olga).get(url).status_code == 200
    for user in (coop.alice, coop.anton, coop.hanna):
        assert api_as(user).get(url).status_code == 403
    assert api_as(None).get(url).status_code == 401
    body = {"task": 1, "workshop": coop.a.pk, "date": "2025-10-27"}
    assert api_as(coop.alice).post(PREVIEW, body, "application/json").status_code == 403
    assert (
        api_as(coop.alice).post(MOVES, {**body, "token": "x" * 32}, "application/json").status_code
        == 403
    )
    assert api_as(coop.bob).get("/api/v1/board/requests").status_code == 403


def test_a_bad_week_is_refused_naming_the_field(coop, api_as):
    for bad in ("2025-48", "2025-02-30", "2025-W54", "0202-11-23", "9999-12-31", "0001-W01"):
        response = api_as(coop.olga).get(f"/api/v1/board?week={bad}")
        assert response.status_code == 422, bad
        assert response.json()["detail"][0]["loc"][-1] == "week"


def test_a_day_opens_the_week_it_is_in(coop, api_as):
    """The date field (browsers without a week field) sends a day: its ISO week answers."""
    body = api_as(coop.olga).get("/api/v1/board?week=2026-01-01").json()
    assert body["week"] == "2026-W01" and body["start"] == "2025-12-29"


def test_the_board_page_is_for_the_office(coop, api_as):
    assert api_as(coop.olga).get("/buero/plantafel/?woche=2025-W44").status_code == 200
    assert api_as(coop.alice).get("/buero/plantafel/").status_code == 403
    # Office staff log in with password and second factor, not with a homeowner's code.
    anonymous = api_as(None).get("/buero/plantafel/")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/admin/login/")
    # Its links stay in the page's language.
    english = api_as(coop.olga).get("/en/buero/plantafel/").content.decode()
    assert '"revise_url": "/en/buero/angebote/0/"' in english


# --- what the board shows --------------------------------------------------------------------


def test_the_week_shows_every_task_with_its_state_and_the_side_lists(coop, planned, api_as):
    _package, appointments = planned
    wiring = appointments["wiring"]
    Dispatch.objects.filter(appointment=wiring).update(
        deadline=NOW + dt.timedelta(hours=2)  # expiring within 4 h
    )
    week = board.iso_week(
        day_of(appointments["rough"]) - dt.timedelta(days=day_of(appointments["rough"]).weekday())
    )
    data = api_as(coop.olga).get(f"/api/v1/board?week={week}").json()
    items = {i["task"]: i for i in data["items"]}
    rough = items[appointments["rough"].task_id]
    assert rough["state"] == "tentative" and rough["offer"] == "offered"
    assert rough["group"] == f"{coop.b.pk}:sanitaer"
    assert {g["name"] for g in data["groups"]} == {"Elektro Janßen", "Sanitär Meyer"}
    assert data["days"][0]["date"] == week_monday(week).isoformat()
    assert [e["task"] for e in data["lists"]["expiring"]] == [wiring.task_id]
    heat = {r["name"]: r for r in data["heatmap"]["rows"]}
    assert sum(c["used"] for c in heat["Sanitär Meyer"]["cells"]) >= 1
    assert data["kpis"]["travel_km"] >= 0
    # Offers still open are no refusals: no rate until one is answered.
    kpi = data["kpis"]
    assert kpi["offers_open"] == kpi["offers"] > 0 and kpi["offers_answered"] == 0
    assert kpi["dispatch_acceptance"] is None
    Dispatch.objects.filter(appointment=wiring).update(status="accepted")
    kpi = api_as(coop.olga).get(f"/api/v1/board?week={week}").json()["kpis"]
    assert (kpi["dispatch_acceptance"], kpi["offers_answered"]) == (1.0, 1)
    assert kpi["offers_open"] == kpi["offers"] - 1
    assert {s["site"] for s in data["map"]["sites"]} == {coop.hanna_site.pk}


def test_an_empty_week_names_the_week_of_the_next_planned_work(coop, planned, api_as):
    _package, appointments = planned
    first = min(day_of(a) for a in appointments.values())
    monday = first - dt.timedelta(days=first.weekday())
    client = api_as(coop.olga)
    data = client.get(f"/api/v1/board?week={board.iso_week(monday - dt.timedelta(weeks=2))}")
    assert data.json()["items"] == []
    assert data.json()["next_work"] == {"week": board.iso_week(monday), "date": first.isoformat()}
    busy = client.get(f"/api/v1/board?week={board.iso_week(monday)}").json()
    assert busy["items"] and busy["next_work"] is None
    after = client.get(f"/api/v1/board?week={board.iso_week(monday + dt.timedelta(weeks=8))}")
    assert after.json()["next_work"] is None  # nothing planned later


def week_monday(week: str) -> dt.date:
    return board.parse_week(week)


def test_declined_and_unplanned_work_is_listed_and_a_late_package_is_at_risk(coop, planned, api_as):
    package, appointments = planned
    offer = Dispatch.objects.get(appointment=appointments["wiring"], status="offered")
    api_as(coop.alice).post(
        f"/api/v1/dispatches/{offer.pk}/decline", {"reason": "Urlaub"}, "application/json"
    )
    package.promised_date = day_of(appointments["rough"])
    package.save()
    lists = api_as(coop.olga).get("/api/v1/board").json()["lists"]
    assert [(d["task"], d["reason"]) for d in lists["declined"]] == [
        (appointments["wiring"].task_id, "Urlaub")
    ]
    risk = {r["package"]: r for r in lists["at_risk"]}
    assert risk[package.pk]["unplanned"] == 1 and risk[package.pk]["late_days"] > 0


def test_the_board_needs_the_same_number_of_queries_for_10_and_100_tasks(coop, api_as):
    monday = dt.date(2026, 11, 23)
    client = api_as(coop.olga)
    make_week(monday, 10, workshops=4, seed=1)
    client.get("/api/v1/board?week=2026-W48")  # warm-up: session, translations
    with CaptureQueriesContext(connection) as small:
        assert len(client.get("/api/v1/board?week=2026-W48").json()["items"]) == 10
    make_week(monday, 90, workshops=8, seed=2)
    with CaptureQueriesContext(connection) as large:
        assert len(client.get("/api/v1/board?week=2026-W48").json()["items"]) == 100
    assert len(small) == len(large), [q["sql"][:90] for q in large.captured_queries]
    assert len(large) <= 20


# --- moving work ------------------------------------------------------------------------------


def test_a_move_before_the_predecessor_has_dried_is_refused_with_the_reason(coop, planned, api_as):
    _package, appointments = planned
    wiring_day = day_of(appointments["wiring"])
    response = api_as(coop.olga).post(
        PREVIEW,
        {
            "task": appointments["finish"].task_id,
            "workshop": coop.b.pk,
            "date": wiring_day.isoformat(),  # before the wiring is even done
        },
        "application/json",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is False and body["code"] == "precedence"
    assert "Elektro" in body["reason"] and "72" in body["reason"]  # the predecessor and its lag
    assert body["changes"] == [] and body["token"] == ""


def test_a_move_to_a_workshop_without_the_trade_or_on_a_blocked_day_is_refused(
    coop, planned, api_as
):
    package, appointments = planned
    rough = appointments["rough"]
    client = api_as(coop.olga)
    wrong = client.post(
        PREVIEW,
        {"task": rough.task_id, "workshop": coop.a.pk, "date": day_of(rough)},
        "application/json",
    ).json()
    assert (wrong["ok"], wrong["code"]) == (False, "not_eligible")
    assert "Elektro Janßen" in wrong["reason"]
    blocked = workday_after(day_of(rough))
    package.blocked_days = [blocked]
    package.save()
    refused = client.post(
        PREVIEW, {"task": rough.task_id, "workshop": coop.b.pk, "date": blocked}, "application/json"
    ).json()
    assert (refused["ok"], refused["code"]) == (False, "blocked_day")
    weekend = client.post(
        PREVIEW,
        {"task": rough.task_id, "workshop": coop.b.pk, "date": "2025-11-01"},  # a Saturday
        "application/json",
    ).json()
    assert weekend["code"] == "non_working_day"


def test_a_valid_move_shows_its_consequences_then_applies_and_tells_the_workshops(
    coop, planned, api_as
):
    package, appointments = planned
    rough, wiring, finish = (appointments[k] for k in ("rough", "wiring", "finish"))
    Appointment.objects.filter(pk=wiring.pk).update(status="accepted")  # A confirmed the wiring
    target = workday_after(day_of(wiring), 1)  # the rough-in now ends after the wiring began
    client = api_as(coop.olga)
    payload = {"task": rough.task_id, "workshop": coop.b.pk, "date": target.isoformat()}
    preview = client.post(PREVIEW, payload, "application/json").json()
    assert preview["ok"] is True, preview["reason"]
    kinds = {c["task"]: c["kind"] for c in preview["changes"]}
    assert kinds[rough.task_id] == "moved"
    assert kinds[wiring.task_id] == "shifted" and kinds[finish.task_id] == "shifted"
    shifted = {c["task"]: c for c in preview["changes"]}
    assert shifted[wiring.task_id]["accepted"] is True
    assert not any(c["new_offer"] for c in preview["changes"])
    assert dt.datetime.fromisoformat(preview["end_after"]) > dt.datetime.fromisoformat(
        preview["end_before"]
    )
    nothing_yet = Appointment.objects.get(pk=rough.pk)
    assert (nothing_yet.start, nothing_yet.sequence) == (rough.start, rough.sequence)

    last = Event.objects.order_by("-id").values_list("id", flat=True).first()
    applied = client.post(MOVES, {**payload, "token": preview["token"]}, "application/json")
    assert applied.status_code == 200, applied.content
    after = {a.task_id: a for a in Appointment.objects.exclude(status="cancelled")}
    assert day_of(after[rough.task_id]) == target
    assert after[rough.task_id].sequence == rough.sequence + 1
    assert after[wiring.task_id].start >= after[rough.task_id].end
    assert after[finish.task_id].start >= after[wiring.task_id].end + dt.timedelta(hours=72)
    assert after[wiring.task_id].status == "accepted"  # same workshop: the confirmation stands
    events = set(Event.objects.filter(id__gt=last).values_list("group", "type"))
    assert ("office", "board.moved") in events
    assert (f"workshop.{coop.a.pk}", "workshop.schedule_changed") in events
    assert (f"workshop.{coop.b.pk}", "workshop.schedule_changed") in events
    assert (f"package.{package.pk}", "package.schedule_changed") in events
    # the plan as stored passes the independent checker
    ctx = services.build_problem(services.plan_start(TODAY))
    from scheduling.solver import check_plan

    assert check_plan(ctx.problem, services.stored_plan(ctx)) == []


def test_moving_to_another_workshop_withdraws_the_confirmation_and_offers_it_there(
    coop, planned, api_as
):
    _package, appointments = planned
    wiring = appointments["wiring"]
    other = f.WorkshopFactory(name="Elektro Zwei", location=coop.hanna_site.location)
    f.OfferFactory(workshop=other, trade=coop.trades.elektro)
    f.WorkerFactory(workshop=other, trades=[coop.trades.elektro])
    offer = Dispatch.objects.get(appointment=wiring, status="offered")
    assert (
        api_as(coop.anton)
        .post(f"/api/v1/dispatches/{offer.pk}/accept", {}, "application/json")
        .status_code
        == 200
    )
    client = api_as(coop.olga)
    payload = {"task": wiring.task_id, "workshop": other.pk, "date": day_of(wiring).isoformat()}
    preview = client.post(PREVIEW, payload, "application/json").json()
    assert preview["ok"], preview["reason"]
    [change] = preview["changes"]
    assert (
        change["new_offer"] and change["accepted"] and change["workshop_to_name"] == "Elektro Zwei"
    )
    assert any("Elektro Janßen" in w for w in preview["warnings"])
    assert (
        client.post(MOVES, {**payload, "token": preview["token"]}, "application/json").status_code
        == 200
    )
    moved = Appointment.objects.get(pk=wiring.pk)
    assert (moved.workshop, moved.status, moved.worker) == (other, "tentative", None)
    assert set(
        Dispatch.objects.filter(appointment=wiring).values_list("workshop__name", "status")
    ) == {
        ("Elektro Janßen", "withdrawn"),
        ("Elektro Zwei", "offered"),
    }
    groups = set(Event.objects.filter(type__startswith="").values_list("group", flat=True))
    assert {
        f"workshop.{other.pk}",
        f"workshop.{coop.a.pk}",
        f"worker.{coop.anton_worker.pk}",
    } <= groups


def test_a_confirm_after_the_plan_changed_is_409_and_a_refused_move_is_422(coop, planned, api_as):
    _package, appointments = planned
    rough = appointments["rough"]
    client = api_as(coop.olga)
    payload = {
        "task": rough.task_id,
        "workshop": coop.b.pk,
        "date": workday_after(day_of(rough)).isoformat(),
    }
    preview = client.post(PREVIEW, payload, "application/json").json()
    assert preview["ok"], preview["reason"]
    Appointment.objects.filter(pk=appointments["finish"].pk).update(sequence=9)  # someone else
    stale = client.post(MOVES, {**payload, "token": preview["token"]}, "application/json")
    assert stale.status_code == 409
    assert Appointment.objects.get(pk=rough.pk).start == rough.start
    refused = client.post(
        MOVES, {**payload, "workshop": coop.a.pk, "token": preview["token"]}, "application/json"
    )
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"][-1] == "not_eligible"


# --- inbox and log ------------------------------------------------------------------------------


def test_the_inbox_lists_requests_by_status_and_triage_declines_once(coop, api_as):
    request = Request.objects.create(
        customer=coop.hanna_site.customer, site=coop.hanna_site, earliest_start=TODAY
    )
    client = api_as(coop.olga)
    inbox = client.get("/api/v1/board/requests?status=new").json()
    assert inbox["counts"]["new"] == 1 and [r["id"] for r in inbox["requests"]] == [request.pk]
    url = f"/api/v1/board/requests/{request.pk}/triage"
    assert client.post(url, {"status": "declined"}, "application/json").status_code == 200
    assert client.post(url, {"status": "declined"}, "application/json").status_code == 409
    assert client.post(url, {"status": "quoted"}, "application/json").status_code == 422
    assert Request.objects.get(pk=request.pk).status == "declined"


def test_a_packages_log_is_its_outbox_events_in_order(coop, planned, api_as):
    package, _appointments = planned
    log = api_as(coop.olga).get(f"/api/v1/board/packages/{package.pk}/log").json()
    assert log and [e["id"] for e in log] == sorted(e["id"] for e in log)
    assert {e["type"] for e in log} >= {"package.schedule_changed"}
    assert api_as(coop.olga).get("/api/v1/board/packages/999999/log").status_code == 404


def test_the_log_names_every_event_a_package_can_get_in_words_not_codes(coop, planned, api_as):
    """The package dialog's labels come with the page: German words for each kind in the log
    (the quote's too), and a worded fallback for a kind that has none."""
    package, _appointments = planned
    office = api_as(coop.olga)
    create_quote(package, today=TODAY)
    kinds = {e["type"] for e in office.get(f"/api/v1/board/packages/{package.pk}/log").json()}
    labels = office.get("/buero/plantafel/?woche=2025-W44").context["config"]["labels"]

    assert labels["event"]["quote.created"] == "Angebot erstellt"
    assert labels["event"]["quote.accepted"] == "Angebot angenommen"
    assert "quote.created" in kinds and kinds <= set(labels["event"]), kinds - set(labels["event"])
    assert all(label and label != kind for kind, label in labels["event"].items())
    assert labels["event_other"] % {"type": "x.y"} == "sonstiges Ereignis (x.y)"


def test_a_hand_placed_task_stays_put_through_replans_until_given_back(coop, planned, api_as):
    _package, appointments = planned
    finish = appointments["finish"]
    later = workday_after(day_of(finish), 2)
    client = api_as(coop.olga)
    payload = {"task": finish.task_id, "workshop": coop.b.pk, "date": later.isoformat()}
    preview = client.post(PREVIEW, payload, "application/json").json()
    assert preview["ok"] is True, preview["reason"]
    applied = client.post(MOVES, {**payload, "token": preview["token"]}, "application/json")
    assert applied.status_code == 200, applied.content
    moved = Appointment.objects.get(pk=finish.pk)
    assert moved.pinned and day_of(moved) == later
    week = client.get("/api/v1/board", {"week": later.strftime("%G-W%V")}).json()
    assert [it["pinned"] for it in week["items"] if it["task"] == finish.task_id] == [True]

    # The planner gets it as fixed (like a confirmed one), not merely as last plan's place.
    def as_planned():
        ctx = services.build_problem(services.plan_start(TODAY))
        return next(t for t in ctx.problem.tasks if t.id == str(finish.task_id))

    assert as_planned().pinned is not None and as_planned().previous is None
    services.plan_cooperative(today=TODAY, time_limit=3)
    assert day_of(Appointment.objects.get(pk=finish.pk)) == later

    # Only the office gives it back; then it is merely the last plan's place again.
    release = f"/api/v1/board/appointments/{finish.pk}/release"
    assert api_as(coop.bob).post(release).status_code == 403
    assert api_as(coop.olga).post(release).json() == {"id": finish.pk, "pinned": False}
    assert api_as(coop.olga).post(release).status_code == 404  # nothing pinned any more
    assert as_planned().pinned is None and as_planned().previous is not None
    assert Event.objects.filter(group="office", type="board.released").exists()

    # A Notdienst is pinned to now, not by hand: given back, a re-plan would make it tomorrow's.
    call = services.dispatch_emergency(site=coop.hanna_site, trade=coop.trades.elektro)
    urgent = f"/api/v1/board/appointments/{call.appointment.pk}/release"
    assert api_as(coop.olga).post(urgent).status_code == 404
    assert Appointment.objects.get(pk=call.appointment.pk).pinned


def test_unread_messages_from_homeowners_and_workshops_are_listed_until_read(coop, planned, api_as):
    package, _appointments = planned
    api_as(coop.hanna).post(
        f"/api/v1/packages/{package.pk}/messages", {"body": "Frage zum Termin"}, "application/json"
    )
    api_as(coop.bob).post(
        f"/api/v1/packages/{package.pk}/messages", {"body": "Material fehlt"}, "application/json"
    )
    office = api_as(coop.olga)
    office.post(
        f"/api/v1/packages/{package.pk}/messages",
        {"body": "Wir kümmern uns", "thread": "homeowner"},
        "application/json",
    )
    lists = office.get("/api/v1/board").json()["lists"]
    assert [(m["package"], m["unread"]) for m in lists["messages"]] == [(package.pk, 2)]
    office.post(f"/api/v1/packages/{package.pk}/messages/read")
    assert office.get("/api/v1/board").json()["lists"]["messages"] == []
