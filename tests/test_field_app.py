"""The tradesperson's field app: agenda, status on site, checklist, time, material, photos,
signature; access from both sides, idempotent replays, released successors, re-plan on overrun."""

import datetime as dt
import importlib
import io
import json
import uuid
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps
from django.db import transaction
from PIL import Image

from jobs.models import ChecklistItem, MaterialEntry, Photo, Signature, Task, TimeEntry, WorkLog
from scheduling.models import Appointment, Handover
from tests import factories as f
from tests.test_planner_integration import TODAY, bathroom, book  # noqa: F401 - fixture
from zunft.core.models import Event, Operation

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")
API = "/api/v1/field"


# --- a booked package: rough-in (plumbing, B) → wiring (electrics, A) → final fit (B) -------------


def appoint(task, workshop, worker, start, hours=8, status="accepted"):
    return Appointment.objects.create(
        task=task,
        workshop=workshop,
        worker=worker,
        start=start,
        end=start + dt.timedelta(hours=hours),
        segments=[{"date": start.date().isoformat(), "start_hour": start.hour, "hours": hours}],
        status=status,
    )


MONDAY = dt.datetime(2025, 10, 27, 7, tzinfo=BERLIN)


@pytest.fixture
def job(coop, bathroom):  # noqa: F811
    package = book(coop, bathroom, coop.hanna_site)
    tasks = {t.code: t for t in package.tasks.all()}
    coop.hanna_site.customer.phone = "+49 4471 12345"
    coop.hanna_site.customer.save()
    return type(
        "Job",
        (),
        {
            "package": package,
            "tasks": tasks,
            "rough": appoint(tasks["rough"], coop.b, coop.bernd_worker, MONDAY - dt.timedelta(3)),
            "wiring": appoint(tasks["wiring"], coop.a, coop.anton_worker, MONDAY),
            "finish": appoint(tasks["finish"], coop.b, None, MONDAY + dt.timedelta(days=4)),
        },
    )


@pytest.fixture
def at_work():
    with time_machine.travel(MONDAY + dt.timedelta(hours=1), tick=False):
        yield


def url(appointment, suffix=""):
    return f"{API}/appointments/{appointment.pk}{suffix}"


def post(client, path_, body):
    return client.post(path_, body, "application/json")


def act(client, appointment, action, client_id=None, at=None):
    body = {"client_id": str(client_id or uuid.uuid4()), "action": action}
    if at:
        body["at"] = at.isoformat()
    return post(client, url(appointment, "/status"), body)


def jpeg(size=(3000, 2000), gps=True) -> bytes:
    image = Image.new("RGB", size, (180, 90, 40))
    exif = Image.Exif()
    exif[0x010F] = "Phonemaker"  # Make
    exif[0x0112] = 1  # orientation
    if gps:
        gps_ifd = exif.get_ifd(0x8825)
        gps_ifd.update({1: "N", 2: (52.0, 51.0, 30.0), 3: "E", 4: (8.0, 2.0, 15.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def upload(
    client, appointment, data=None, name="foto.jpg", item=None, client_id=None, taken_at=None
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    body = {
        "client_id": str(client_id or uuid.uuid4()),
        "file": SimpleUploadedFile(name, data if data is not None else jpeg(), "image/jpeg"),
    }
    if item is not None:
        body["checklist_item"] = item
    if taken_at is not None:
        body["taken_at"] = taken_at.isoformat()
    return client.post(url(appointment, "/photos"), body)


def signature_png(blank=False) -> str:
    import base64

    image = Image.new("RGBA", (300, 120), (0, 0, 0, 0))
    if not blank:
        from PIL import ImageDraw

        ImageDraw.Draw(image).line([(10, 100), (150, 20), (290, 90)], fill="black", width=4)
    out = io.BytesIO()
    image.save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def sign(client, appointment, client_id=None, blank=False):
    return post(
        client,
        url(appointment, "/signature"),
        {
            "client_id": str(client_id or uuid.uuid4()),
            "signer_name": "Hanna Huber",
            "image": signature_png(blank),
        },
    )


def complete_checklist(client, appointment):
    detail = client.get(url(appointment)).json()
    for item in detail["checklist"]:
        if item["evidence"] == "photo":
            assert upload(client, appointment, item=item["id"]).status_code == 201
        elif item["evidence"] == "signature":
            assert sign(client, appointment).status_code == 201
        else:
            response = post(client, url(appointment, f"/checklist/{item['id']}"), {"done": True})
            assert response.status_code == 200


# --- agenda and access ----------------------------------------------------------------------------


def test_the_agenda_shows_the_workers_own_days_with_address_navigation_and_checklist(
    coop, job, api_as, django_assert_max_num_queries
):
    client = api_as(coop.anton)
    client.get(f"{API}/agenda?start=2025-10-27&days=7")  # first call copies the checklists
    with django_assert_max_num_queries(9):  # 9th: where the next appointment after it is
        response = client.get(f"{API}/agenda?start=2025-10-27&days=7")
    assert response.status_code == 200
    items = response.json()["items"]
    assert [i["appointment"] for i in items] == [job.wiring.pk]
    card = items[0]
    site = coop.hanna_site
    assert card["date"] == "2025-10-27" and card["time_from"] == "07:00"
    assert card["address"]["street"] == site.street
    assert card["address"]["navigation"].startswith("https://www.openstreetmap.org/directions?to=")
    assert card["address"]["geo"] == f"geo:{site.location.y:.6f},{site.location.x:.6f}"
    assert card["customer"]["phone"] == "+49 4471 12345"
    assert card["waiting_for"] == ["Rohinstallation"]
    assert [c["code"] for c in card["checklist"]] == ["measure", "rcd", "clean", "signoff"]


def test_a_job_over_two_days_shows_on_each_and_its_page_lists_both(coop, job, api_as):
    second = (MONDAY + dt.timedelta(days=1)).date()
    Appointment.objects.filter(pk=job.wiring.pk).update(
        end=MONDAY + dt.timedelta(days=1, hours=4),
        segments=[
            {"date": "2025-10-27", "start_hour": 7, "hours": 8},
            {"date": second.isoformat(), "start_hour": 7, "hours": 4},
        ],
    )
    client = api_as(coop.anton)
    items = client.get(f"{API}/agenda?start=2025-10-27&days=7").json()["items"]
    both = [
        {"date": "2025-10-27", "time_from": "07:00", "time_to": "15:00"},
        {"date": "2025-10-28", "time_from": "07:00", "time_to": "11:00"},
    ]
    assert [(i["date"], i["time_to"]) for i in items] == [
        ("2025-10-27", "15:00"),
        ("2025-10-28", "11:00"),
    ]
    assert items[0]["days"] == items[1]["days"] == both
    assert client.get(url(job.wiring)).json()["days"] == both


def test_admins_see_their_workshops_agenda_and_the_office_sees_all(coop, job, api_as):
    def seen(user):
        items = api_as(user).get(f"{API}/agenda?start=2025-10-24&days=14").json()["items"]
        return {i["appointment"] for i in items}

    assert seen(coop.alice) == {job.wiring.pk}
    assert seen(coop.bob) == {job.rough.pk, job.finish.pk}
    assert seen(coop.bernd) == {job.rough.pk}
    assert seen(coop.olga) == {job.rough.pk, job.wiring.pk, job.finish.pk}
    assert seen(coop.hanna) == set()


def test_a_job_accepted_weeks_ahead_is_pointed_to_and_reached_by_paging_the_agenda(
    coop, job, api_as, at_work
):
    far = MONDAY + dt.timedelta(days=24)  # a Thursday, four weeks of pages ahead
    Appointment.objects.filter(pk=job.wiring.pk).update(
        start=far,
        end=far + dt.timedelta(hours=8),
        segments=[{"date": far.date().isoformat(), "start_hour": 7, "hours": 8}],
    )
    client = api_as(coop.anton)

    week = client.get(f"{API}/agenda?days=7").json()
    assert week["items"] == [] and week["next_date"] == "2025-11-20"
    # The app pages seven days at a time from today: the page that holds that Thursday.
    page = client.get(f"{API}/agenda?start=2025-11-17&days=7").json()
    assert [i["appointment"] for i in page["items"]] == [job.wiring.pk]
    assert page["items"][0]["date"] == "2025-11-20" and page["next_date"] is None
    # Bob's workshop has the final fit on Friday of this week, and nothing after it.
    bobs = api_as(coop.bob).get(f"{API}/agenda?days=3").json()
    assert bobs["items"] == [] and bobs["next_date"] == "2025-10-31"
    assert api_as(coop.bob).get(f"{API}/agenda?days=7").json()["next_date"] is None


def test_a_job_done_weeks_early_and_before_its_predecessor_is_taken_and_pointed_to_no_more(
    coop, job, api_as, at_work
):
    """The customer called him in early: the app asks first (app.js), the server takes every
    step, so that an outbox replaying them later is never refused."""
    far = MONDAY + dt.timedelta(days=24)
    Appointment.objects.filter(pk=job.wiring.pk).update(
        start=far,
        end=far + dt.timedelta(hours=8),
        segments=[{"date": far.date().isoformat(), "start_hour": 7, "hours": 8}],
    )
    client = api_as(coop.anton)
    assert client.get(f"{API}/agenda?days=7").json()["next_date"] == "2025-11-20"
    assert client.get(url(job.wiring)).json()["waiting_for"] == ["Rohinstallation"]

    assert act(client, job.wiring, "travel").status_code == 200
    assert act(client, job.wiring, "arrive").status_code == 200
    hours = {"client_id": str(uuid.uuid4()), "start": MONDAY.isoformat(), "hours": "1.00"}
    assert post(client, url(job.wiring, "/time"), hours).status_code == 201
    complete_checklist(client, job.wiring)
    assert act(client, job.wiring, "finish").status_code == 200

    # Done: no "next appointment" leads to it any more.
    assert client.get(f"{API}/agenda?days=7").json()["next_date"] is None
    page = client.get(f"{API}/agenda?start=2025-11-17&days=7").json()
    assert page["items"][0]["field_status"] == "done"


def test_agenda_paging_refuses_a_bad_start_or_window_naming_the_field(coop, api_as):
    client = api_as(coop.anton)
    for query, field in (("start=2025-13-01", "start"), ("days=0", "days"), ("days=32", "days")):
        response = client.get(f"{API}/agenda?{query}")
        assert response.status_code == 422, query
        assert field in str(response.json()["detail"]), query


def test_another_workshops_worker_and_an_unassigned_colleague_get_404_everywhere(coop, job, api_as):
    colleague = f.WorkerFactory(workshop=coop.a, trades=[coop.trades.elektro])
    colleague.user = type(coop.anton).objects.create_user("carl", password="pw")
    colleague.save()
    for user in (coop.bernd, coop.bob, colleague.user, coop.hanna):
        client = api_as(user)
        assert client.get(url(job.wiring)).status_code == 404
        assert act(client, job.wiring, "arrive").status_code == 404
        assert upload(client, job.wiring).status_code == 404
        assert sign(client, job.wiring).status_code == 404
        assert post(client, url(job.wiring, "/checklist/1"), {"done": True}).status_code == 404
    assert api_as(None).get(url(job.wiring)).status_code == 401
    assert not WorkLog.objects.exists() and not Photo.objects.exists()
    # ... and from the other side: the assigned worker, the admin and the office may.
    for user in (coop.anton, coop.alice, coop.olga):
        assert api_as(user).get(url(job.wiring)).status_code == 200


# --- status on site -------------------------------------------------------------------------------


def test_the_status_goes_on_the_way_on_site_paused_on_site_and_refuses_a_wrong_order(
    coop, job, api_as, at_work
):
    client = api_as(coop.anton)
    assert act(client, job.wiring, "pause").status_code == 409
    assert act(client, job.wiring, "travel").status_code == 200
    assert Task.objects.get(pk=job.wiring.task_id).status == "in_progress"
    assert act(client, job.wiring, "arrive").status_code == 200
    assert act(client, job.wiring, "pause").status_code == 200
    assert act(client, job.wiring, "resume").status_code == 200
    detail = client.get(url(job.wiring)).json()
    assert detail["field_status"] == "on_site"
    assert [entry["status"] for entry in detail["log"]] == [
        "travelling",
        "on_site",
        "paused",
        "on_site",
    ]
    assert act(client, job.wiring, "dance").status_code == 422
    groups = set(Event.objects.filter(type="field.status").values_list("group", flat=True))
    assert groups == {
        f"worker.{coop.anton_worker.pk}",
        f"workshop.{coop.a.pk}",
        f"package.{job.package.pk}",
    }


def test_a_step_sent_with_an_earlier_time_than_the_last_one_still_moves_the_status_on(
    coop, job, api_as, at_work
):
    """A second phone, or a clock behind: 'arrive' stamped before the 'travel' it follows."""
    client = api_as(coop.anton)
    now = MONDAY + dt.timedelta(hours=1)  # at_work's clock
    assert act(client, job.wiring, "travel", at=now - dt.timedelta(minutes=10)).status_code == 200
    late = act(client, job.wiring, "arrive", at=now - dt.timedelta(minutes=40))
    assert late.status_code == 200
    detail = client.get(url(job.wiring)).json()
    assert detail["field_status"] == "on_site"
    assert [entry["status"] for entry in detail["log"]] == ["travelling", "on_site"]
    assert act(client, job.wiring, "arrive").status_code == 409  # on site already


def test_an_unaccepted_appointment_cannot_be_started(coop, job, api_as, at_work):
    Appointment.objects.filter(pk=job.wiring.pk).update(status="tentative")
    assert act(api_as(coop.anton), job.wiring, "travel").status_code == 409


def test_finishing_is_blocked_until_checklist_photo_and_signature_are_there(
    coop, job, api_as, at_work
):
    client = api_as(coop.anton)
    act(client, job.wiring, "arrive")
    refused = act(client, job.wiring, "finish")
    assert refused.status_code == 422
    fields = {tuple(d["loc"]) for d in refused.json()["detail"]}
    assert fields == {("body", "checklist"), ("body", "photo"), ("body", "signature")}

    items = {i["code"]: i for i in client.get(url(job.wiring)).json()["checklist"]}
    tick = post(client, url(job.wiring, f"/checklist/{items['measure']['id']}"), {"done": True})
    assert tick.status_code == 422 and tick.json()["detail"][0]["loc"] == ["body", "photo"]
    for code in ("rcd", "clean"):
        post(client, url(job.wiring, f"/checklist/{items[code]['id']}"), {"done": True})
    assert upload(client, job.wiring, item=items["measure"]["id"]).status_code == 201
    still = act(client, job.wiring, "finish")
    assert {tuple(d["loc"]) for d in still.json()["detail"]} == {("body", "signature")}
    assert sign(client, job.wiring).status_code == 201

    done = act(client, job.wiring, "finish")
    assert done.status_code == 200 and done.json()["status"] == "done"
    assert Task.objects.get(pk=job.wiring.task_id).status == "done"
    assert ChecklistItem.objects.filter(task_id=job.wiring.task_id, done_at=None).count() == 0
    assert act(client, job.wiring, "resume").status_code == 409


def test_finishing_releases_the_successor_to_its_workshop_and_the_homeowner(
    coop, job, api_as, at_work
):
    Task.objects.filter(pk=job.rough.task_id).update(status="done")
    client = api_as(coop.anton)
    act(client, job.wiring, "arrive")
    complete_checklist(client, job.wiring)
    assert act(client, job.wiring, "finish").status_code == 200

    released = Event.objects.filter(type="task.released")
    assert set(released.values_list("group", flat=True)) == {
        f"package.{job.package.pk}",
        f"workshop.{coop.b.pk}",
        "office",
    }
    event = released.first()
    assert event.data["task"] == job.finish.task_id
    # the final fit waits 72 h for drying after the wiring
    not_before = dt.datetime.fromisoformat(event.data["not_before"])
    assert not_before == MONDAY + dt.timedelta(hours=73)
    bobs = api_as(coop.bob).get(f"{API}/agenda?start=2025-10-31&days=1").json()["items"]
    assert bobs[0]["waiting_for"] == []


def test_a_successor_with_another_open_predecessor_is_not_released(coop, job, api_as, at_work):
    client = api_as(coop.anton)  # the rough-in (before the wiring) is not done
    act(client, job.wiring, "arrive")
    complete_checklist(client, job.wiring)
    Task.objects.filter(pk=job.rough.task_id).update(status="in_progress")
    assert act(client, job.wiring, "finish").status_code == 200
    # wiring → finish is the only edge into the final fit, so it is released...
    assert Event.objects.filter(type="task.released").exists()
    # ...but the wiring itself still waits for the rough-in in the agenda.
    card = api_as(coop.anton).get(f"{API}/agenda?start=2025-10-27&days=1").json()["items"][0]
    assert card["waiting_for"] == ["Rohinstallation"]


def test_running_over_the_planned_end_asks_for_one_replan(
    coop, job, api_as, monkeypatch, django_capture_on_commit_callbacks
):
    from scheduling import tasks

    sent = []
    monkeypatch.setattr(tasks.replan, "apply_async", lambda *a, **k: sent.append(a))
    client = api_as(coop.anton)
    late = job.wiring.end + dt.timedelta(minutes=30)
    with time_machine.travel(late, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert act(client, job.wiring, "arrive", at=late).status_code == 200
        with django_capture_on_commit_callbacks(execute=True):
            assert act(client, job.wiring, "pause").status_code == 200
    operation = Operation.objects.get(kind="replan")
    assert f"task {job.wiring.task_id} overran" in operation.params["reasons"][0]
    assert len(operation.params["reasons"]) == 1  # announced once per task
    assert WorkLog.objects.filter(overran=True).count() == 1
    assert Event.objects.filter(type="task.overran", group=f"workshop.{coop.a.pk}").exists()
    assert len(sent) == 1


def test_an_offline_action_keeps_the_time_it_happened_but_not_one_in_the_future(
    coop, job, api_as, at_work
):
    client = api_as(coop.anton)
    earlier = MONDAY + dt.timedelta(minutes=20)
    arrived = act(client, job.wiring, "arrive", at=earlier).json()["at"]
    assert dt.datetime.fromisoformat(arrived) == earlier
    future = act(client, job.wiring, "pause", at=MONDAY + dt.timedelta(hours=3))
    assert future.status_code == 422 and future.json()["detail"][0]["loc"] == ["body", "at"]


# --- idempotent replays ---------------------------------------------------------------------------


def test_replaying_the_same_client_id_stores_once_and_answers_the_same(coop, job, api_as, at_work):
    client = api_as(coop.anton)
    arrive_id, time_id, material_id, photo_id, sign_id = (uuid.uuid4() for _ in range(5))
    time_body = {
        "client_id": str(time_id),
        "start": MONDAY.isoformat(),
        "end": (MONDAY + dt.timedelta(minutes=45)).isoformat(),
        "note": "Schlitze",
    }
    material_body = {
        "client_id": str(material_id),
        "text": "NYM-J 3x1,5",
        "quantity": "25",
        "unit": "m",
        "unit_price": "0.89",
    }
    first = [
        act(client, job.wiring, "arrive", client_id=arrive_id),
        post(client, url(job.wiring, "/time"), time_body),
        post(client, url(job.wiring, "/material"), material_body),
        upload(client, job.wiring, client_id=photo_id),
        sign(client, job.wiring, client_id=sign_id),
    ]
    again = [
        act(client, job.wiring, "arrive", client_id=arrive_id),
        post(client, url(job.wiring, "/time"), time_body),
        post(client, url(job.wiring, "/material"), material_body),
        upload(client, job.wiring, client_id=photo_id),
        sign(client, job.wiring, client_id=sign_id),
    ]
    for original, replay in zip(first, again, strict=True):
        assert original.status_code in (200, 201), original.content
        assert (replay.status_code, replay.json()) == (original.status_code, original.json())
        assert replay["Idempotent-Replayed"] == "true"
    assert WorkLog.objects.count() == 1 and TimeEntry.objects.count() == 1
    assert MaterialEntry.objects.count() == 1 and Photo.objects.count() == 1
    assert Signature.objects.count() == 1
    assert TimeEntry.objects.get().hours == Decimal("0.75")
    assert Event.objects.filter(type="field.status").count() == 3  # once, to three groups


def test_a_client_id_reused_for_another_task_is_refused(coop, job, api_as, at_work):
    Appointment.objects.filter(pk=job.rough.pk).update(worker=coop.anton_worker)
    client = api_as(coop.anton)
    same = uuid.uuid4()
    assert act(client, job.wiring, "arrive", client_id=same).status_code == 200
    assert act(client, job.rough, "arrive", client_id=same).status_code == 409


def test_a_second_signature_for_a_task_is_a_conflict_and_an_empty_one_is_refused(
    coop, job, api_as, at_work
):
    client = api_as(coop.anton)
    empty = sign(client, job.wiring, blank=True)
    assert empty.status_code == 422 and empty.json()["detail"][0]["loc"] == ["body", "image"]
    assert sign(client, job.wiring).status_code == 201
    assert sign(client, job.wiring).status_code == 409
    assert post(
        client,
        url(job.wiring, "/signature"),
        {"client_id": str(uuid.uuid4()), "signer_name": "X", "image": "data:image/gif;base64,R0"},
    ).status_code in (409, 415)


# --- photos ---------------------------------------------------------------------------------------


def test_a_photo_is_resized_and_loses_its_exif_and_gps_position(coop, job, api_as, at_work):
    original = jpeg()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)  # it has a GPS position
    response = upload(api_as(coop.anton), job.wiring, data=original)
    assert response.status_code == 201
    photo = Photo.objects.get()
    assert (photo.width, photo.height) == (1600, 1067)
    with Image.open(photo.image.path) as stored:
        assert stored.format == "JPEG"
        assert not stored.getexif() and "exif" not in stored.info
        assert max(stored.size) == 1600
    served = api_as(coop.anton).get(response.json()["url"])
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    assert b"Phonemaker" not in b"".join(served.streaming_content)
    assert api_as(coop.bernd).get(response.json()["url"]).status_code == 404


def test_a_photo_that_is_too_large_is_413_and_one_that_is_no_photo_is_415(
    coop, job, api_as, at_work, monkeypatch
):
    from jobs import fieldwork

    client = api_as(coop.anton)
    text = upload(client, job.wiring, data=b"%PDF-1.4 not a photo", name="x.pdf")
    assert text.status_code == 415 and text.json()["detail"].startswith("file:")
    gif = io.BytesIO()
    Image.new("RGB", (10, 10)).save(gif, "GIF")
    assert upload(client, job.wiring, data=gif.getvalue(), name="x.gif").status_code == 415
    monkeypatch.setattr(fieldwork, "PHOTO_MAX_BYTES", 10_000)
    big = upload(client, job.wiring)
    assert big.status_code == 413 and big.json()["detail"].startswith("file:")
    assert not Photo.objects.exists()


def test_time_and_material_errors_name_the_field(coop, job, api_as, at_work):
    client = api_as(coop.anton)
    backwards = post(
        client,
        url(job.wiring, "/time"),
        {
            "client_id": str(uuid.uuid4()),
            "start": MONDAY.isoformat(),
            "end": (MONDAY - dt.timedelta(hours=1)).isoformat(),
        },
    )
    assert backwards.status_code == 422 and backwards.json()["detail"][0]["loc"] == ["body", "end"]
    negative = post(
        client,
        url(job.wiring, "/material"),
        {
            "client_id": str(uuid.uuid4()),
            "text": "Dose",
            "quantity": "-1",
            "unit": "Stk",
            "unit_price": "1",
        },
    )
    assert negative.status_code == 422
    assert negative.json()["detail"][0]["loc"] == ["body", "quantity"]
    assert not TimeEntry.objects.exists() and not MaterialEntry.objects.exists()


def test_material_no_single_entry_on_a_site_reaches_is_refused_naming_the_field(
    coop, job, api_as, at_work
):
    client = api_as(coop.anton)

    def material(quantity, unit_price, client_id=None):
        body = {"client_id": str(client_id or uuid.uuid4()), "text": "Kabel", "unit": "Stk"}
        return post(
            client,
            url(job.wiring, "/material"),
            {**body, "quantity": quantity, "unit_price": unit_price},
        )

    def refused(response):
        assert response.status_code == 422, response.content
        return {tuple(error["loc"]) for error in response.json()["detail"]}

    both = {("body", "quantity"), ("body", "unit_price")}
    assert refused(material("99999999", "9999999999.00")) == both
    assert refused(material("10000.01", "1")) == {("body", "quantity")}
    assert refused(material("1", "100000.01")) == {("body", "unit_price")}
    assert not MaterialEntry.objects.exists()
    # The most one entry may be: 10,000 of its unit at 100,000 € each.
    assert material("10000", "100000.00").status_code == 201
    # An entry stored before the limits still answers its replay.
    old = MaterialEntry.objects.create(
        client_id=uuid.uuid4(),
        task_id=job.wiring.task_id,
        text="Kabel",
        quantity=Decimal(50_000),
        unit="H87",
        unit_price=Decimal(1),
    )
    replay = material("50000", "1", client_id=old.client_id)
    assert replay.status_code == 201 and replay["Idempotent-Replayed"] == "true"


def test_more_hours_than_a_day_has_are_refused_naming_the_field(coop, job, api_as, at_work):
    wednesday = dt.datetime(2025, 10, 22, tzinfo=BERLIN)  # now is Monday 27.10., 08:00

    def time(user, appointment, start, end=None, hours=None):
        body = {"client_id": str(uuid.uuid4()), "start": start.isoformat()}
        if end is not None:
            body["end"] = end.isoformat()
        if hours is not None:
            body["hours"] = str(hours)
        return post(api_as(user), url(appointment, "/time"), body)

    def refused(response):
        assert response.status_code == 422, response.content
        return [error["loc"] for error in response.json()["detail"]]

    def at(hours):
        return wednesday + dt.timedelta(hours=hours)

    hours = [["body", "hours"]]
    assert refused(time(coop.anton, job.wiring, at(0), at(25))) == hours
    # 14 hours on Wednesday; 11 more on that day (on whichever task) make more than it has.
    assert time(coop.anton, job.wiring, at(5), at(19)).status_code == 201
    assert refused(time(coop.anton, job.wiring, at(13), hours=11)) == hours
    # A night shift counts on both days: 5 hours on Wednesday, 5 on Thursday, which then has
    # room for 19 more.
    assert time(coop.anton, job.wiring, at(19), at(29)).status_code == 201
    assert time(coop.anton, job.wiring, at(29), hours=19).status_code == 201
    assert refused(time(coop.anton, job.wiring, at(47), hours="0.5")) == hours
    # A colleague's hours are his own.
    assert time(coop.bernd, job.rough, at(5), at(19)).status_code == 201
    assert TimeEntry.objects.count() == 4


def test_material_is_stored_with_a_unit_code_and_an_unknown_unit_is_refused(
    coop, job, api_as, at_work
):
    client = api_as(coop.anton)

    def material(unit):
        body = {"client_id": str(uuid.uuid4()), "text": "Abzweigdose", "quantity": "2"}
        return post(client, url(job.wiring, "/material"), {**body, "unit": unit, "unit_price": "1"})

    # What older app versions queued offline ("Stk", "Pkg") is read as the code it means.
    typed = material("Stk")
    assert typed.status_code == 201, typed.content
    assert (typed.json()["unit"], typed.json()["unit_label"]) == ("H87", "Stück")
    assert material("Pkg").json()["unit_label"] == "Pkg."
    assert material("MTR").json()["unit_label"] == "m"
    unknown = material("Eimer")
    assert unknown.status_code == 422
    (error,) = unknown.json()["detail"]
    assert error["loc"] == ["body", "unit"] and "Eimer" in error["msg"]
    assert sorted(MaterialEntry.objects.values_list("unit", flat=True)) == ["H87", "MTR", "XPK"]
    detail = client.get(url(job.wiring)).json()
    assert [m["unit_label"] for m in detail["materials"]] == ["Stück", "Pkg.", "m"]
    # An entry stored before units were codes still answers its replay.
    old = MaterialEntry.objects.create(
        client_id=uuid.uuid4(),
        task_id=job.wiring.task_id,
        text="Fliesenkleber",
        quantity=Decimal(2),
        unit="Eimer",
        unit_price=Decimal(1),
    )
    body = {"client_id": str(old.client_id), "text": "Fliesenkleber", "quantity": "2"}
    replay = post(
        client, url(job.wiring, "/material"), {**body, "unit": "Eimer", "unit_price": "1"}
    )
    assert replay["Idempotent-Replayed"] == "true" and replay.json()["unit_label"] == "Eimer"


def test_the_migration_turns_material_units_typed_so_far_into_codes(coop, job):
    migration = importlib.import_module("jobs.migrations.0011_material_units_as_unece_codes")
    typed = ["Stk", "Pkg", "m²", " kg ", "Eimer"]
    MaterialEntry.objects.bulk_create(
        MaterialEntry(
            client_id=uuid.uuid4(),
            task_id=job.wiring.task_id,
            text=unit,
            quantity=Decimal(1),
            unit=unit,
            unit_price=Decimal(1),
        )
        for unit in typed
    )
    migration.to_codes(apps, None)
    stored = dict(MaterialEntry.objects.values_list("text", "unit"))
    assert stored == {"Stk": "H87", "Pkg": "XPK", "m²": "MTK", " kg ": "KGM", "Eimer": "Eimer"}
    assert str(MaterialEntry.objects.get(text="Eimer")) == "1.00 Eimer Eimer"  # shown as typed
    migration.to_typed(apps, None)
    back = dict(MaterialEntry.objects.values_list("text", "unit"))
    assert back == {"Stk": "Stk", "Pkg": "Pkg", "m²": "m²", " kg ": "kg", "Eimer": "Eimer"}


def test_one_transaction_per_write_leaves_nothing_half_written(coop, job, api_as, at_work):
    client = api_as(coop.anton)
    act(client, job.wiring, "arrive")
    with transaction.atomic():
        before = Event.objects.count()
    assert act(client, job.wiring, "finish").status_code == 422
    assert Event.objects.count() == before
    assert WorkLog.objects.count() == 1


# --- the app shell --------------------------------------------------------------------------------


def test_the_app_manifest_and_service_worker_are_served_for_an_installable_app(coop, job, api_as):
    client = api_as(coop.anton)
    page = client.get("/monteur/")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'rel="manifest"' in body and "field-config" in body and "Angebote" in body
    assert f"worker.{coop.anton_worker.pk}" in body and f"workshop.{coop.a.pk}" in body
    manifest = client.get("/monteur/manifest.webmanifest")
    assert manifest["Content-Type"] == "application/manifest+json"
    data = manifest.json()
    assert data["start_url"] == "/monteur/" and data["display"] == "standalone"
    assert {icon["sizes"] for icon in data["icons"]} == {"192x192", "512x512"}
    sw = api_as(None).get("/monteur/sw.js")
    assert sw.status_code == 200 and sw["Content-Type"].startswith("text/javascript")
    assert sw["Service-Worker-Allowed"] == "/monteur/"
    assert '"/api/v1/field/"' in sw.content.decode()
    assert api_as(coop.hanna).get("/monteur/").status_code == 403
    anonymous = api_as(None).get("/monteur/")
    assert anonymous.status_code == 302 and "/monteur/anmelden/" in anonymous["Location"]


def test_the_tradesperson_switches_the_apps_language_on_the_phone(coop, job, api_as):
    # A phone set to German, a tradesperson who reads English better: the app has its own switch
    # (it lives outside the portal's /en/ prefix), on the login page and in the app, and back.
    client = api_as(None)
    login = client.get("/monteur/anmelden/").content.decode()
    assert 'data-testid="field-language"' in login and 'aria-label="English"' in login
    switched = client.post(
        "/i18n/setlang/", {"language": "en", "next": "/monteur/anmelden/?next=/monteur/"}
    )
    assert (
        switched.status_code == 302 and switched["Location"] == "/monteur/anmelden/?next=/monteur/"
    )
    login = client.get(switched["Location"]).content.decode()
    assert '<html lang="en"' in login and ">Log in<" in login and 'aria-label="Deutsch"' in login

    client.force_login(coop.anton)
    app = client.get("/monteur/").content.decode()
    assert '<html lang="en"' in app and "Offers" in app
    config = json.loads(app.split('id="field-config" type="application/json">')[1].split("<")[0])
    assert config["lang"] == "en"
    back = client.post("/i18n/setlang/", {"language": "de", "next": "/monteur/"})
    assert back["Location"] == "/monteur/"
    assert "Angebote" in client.get("/monteur/").content.decode()


def test_work_running_past_its_end_is_noticed_without_a_tap_in_the_field_app(
    coop, job, api_as, monkeypatch, django_capture_on_commit_callbacks
):
    from scheduling import tasks
    from scheduling.overruns import detect_overruns

    sent = []
    monkeypatch.setattr(tasks.replan, "apply_async", lambda *a, **k: sent.append(a))
    client = api_as(coop.anton)
    with time_machine.travel(job.wiring.start + dt.timedelta(minutes=5), tick=False):
        assert act(client, job.wiring, "arrive").status_code == 200
    # Within the grace time after the planned end nothing happens.
    assert detect_overruns(now=job.wiring.end + dt.timedelta(minutes=20)) == []
    later = job.wiring.end + dt.timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert detect_overruns(now=later) == [job.wiring.task_id]
    assert detect_overruns(now=later + dt.timedelta(hours=1)) == []  # once per task
    assert Event.objects.filter(type="task.overran", group="office").count() == 1
    # The worker's next tap does not announce it a second time.
    with (
        time_machine.travel(later, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert act(client, job.wiring, "pause", at=later).status_code == 200
    assert Event.objects.filter(type="task.overran", group="office").count() == 1
    assert len(Operation.objects.get(kind="replan").params["reasons"]) == 1
    assert len(sent) == 1


def test_a_job_handed_to_a_colleague_keeps_what_its_first_worker_did_there(
    coop, job, api_as, at_work
):
    """Anton arrived and worked, went ill, and the management gave the job to Carl while
    Anton's phone was offline. When it comes back online, its hours, material and photo are
    taken on Anton's own record; its status step is refused, naming Carl, not "not found"."""
    anton = api_as(coop.anton)
    assert act(anton, job.wiring, "arrive").status_code == 200
    carl = f.WorkerFactory(workshop=coop.a, trades=[coop.trades.elektro])
    Appointment.objects.filter(pk=job.wiring.pk).update(worker=carl)

    hours = post(
        anton,
        url(job.wiring, "/time"),
        {"client_id": str(uuid.uuid4()), "start": MONDAY.isoformat(), "hours": "1"},
    )
    assert hours.status_code == 201, hours.content
    assert TimeEntry.objects.get().worker == coop.anton_worker  # his hours, not Carl's
    assert post(anton, url(job.wiring, "/material"), material_body()).status_code == 201
    assert upload(anton, job.wiring).status_code == 201

    finish = act(anton, job.wiring, "finish")
    assert finish.status_code == 409
    assert str(carl) in finish.json()["detail"]
    assert post(anton, url(job.wiring, "/checklist/1"), {"done": True}).status_code == 409
    assert sign(anton, job.wiring).status_code == 409
    assert WorkLog.objects.filter(status="done").count() == 0
    assert anton.get(url(job.wiring)).status_code == 404  # no longer on his phone

    # Nobody has it now: the management plans it anew. Bernd (another workshop) finds nothing.
    Appointment.objects.filter(pk=job.wiring.pk).update(worker=None)
    gone = act(anton, job.wiring, "pause").json()["detail"]
    assert "plant ihn neu" in gone or "plans it anew" in gone
    bernd = api_as(coop.bernd)
    assert post(bernd, url(job.wiring, "/material"), material_body()).status_code == 404
    assert act(bernd, job.wiring, "arrive").status_code == 404


def material_body(**changes):
    return {
        "client_id": str(uuid.uuid4()),
        "text": "Dose",
        "quantity": "2",
        "unit": "Stk",
        "unit_price": "1.20",
        **changes,
    }


def test_a_phone_offline_for_the_whole_visit_sends_it_after_the_hand_over(
    coop, job, api_as, at_work
):
    """Nothing of Anton's visit reached the server before the job went to Carl (the handover
    remembers him): the arrival is refused naming Carl, hours, material and photo arrive, the
    photo ticks no point of Carl's checklist. Once Anton is let go, nothing more is taken."""
    from scheduling.dispatch import announce_worker_change

    carl = f.WorkerFactory(workshop=coop.a, trades=[coop.trades.elektro])
    wiring = job.wiring
    wiring.worker = carl
    wiring.save(update_fields=["worker"])
    announce_worker_change(wiring, coop.anton_worker.pk)
    handover = Handover.objects.get(appointment=wiring)
    assert (handover.worker, handover.to_worker) == (coop.anton_worker, carl)
    assert handover.at == MONDAY + dt.timedelta(hours=1)  # when it was given to Carl
    api_as(coop.olga).get(url(wiring))  # the checklist is copied onto the task when first read

    anton = api_as(coop.anton)  # (the same test client, now Anton's)
    arrive = act(anton, wiring, "arrive", at=MONDAY)
    assert arrive.status_code == 409 and str(carl) in arrive.json()["detail"]
    hours = {"client_id": str(uuid.uuid4()), "start": MONDAY.isoformat(), "hours": "1"}
    assert post(anton, url(wiring, "/time"), hours).status_code == 201
    assert post(anton, url(wiring, "/material"), material_body()).status_code == 201
    item = ChecklistItem.objects.filter(task=wiring.task).first()
    photo = upload(anton, wiring, item=item.pk)
    assert photo.status_code == 201
    item.refresh_from_db()
    assert item.done_at is None and Photo.objects.get().checklist_item is None

    coop.anton_worker.active = False  # let go: the handover no longer opens the job to him
    coop.anton_worker.save(update_fields=["active"])
    assert post(anton, url(wiring, "/material"), material_body()).status_code == 404
    assert act(anton, wiring, "finish").status_code == 404
    assert MaterialEntry.objects.count() == 1


def hand_to_carl(coop, appointment, at):
    """The management gives Anton's job to his colleague Carl at ``at``."""
    from scheduling.dispatch import announce_worker_change

    carl = f.WorkerFactory(workshop=coop.a, trades=[coop.trades.elektro])
    appointment.worker = carl
    appointment.save(update_fields=["worker"])
    announce_worker_change(appointment, coop.anton_worker.pk, now=at)
    return carl


def refused_on(response, field):
    assert response.status_code == 422, response.content
    return [e["msg"] for e in response.json()["detail"] if e["loc"][-1] == field]


def test_a_former_workers_hours_must_start_before_the_hand_over(coop, job, api_as):
    """Carl took the job over at 10:00. Anton's phone, offline until the next day, sends the
    hours of his morning there and of a stretch that ran on past 10:00: both are his, taken as
    they are. Hours that start after the hand-over (a timer started later, the next day's hours
    typed in on the old job) are refused, naming the start and when the job was handed on."""
    handed_over = MONDAY + dt.timedelta(hours=3)
    hand_to_carl(coop, job.wiring, handed_over)
    anton = api_as(coop.anton)
    morning = {"client_id": str(uuid.uuid4()), "start": MONDAY.isoformat(), "hours": "2"}
    next_day = MONDAY + dt.timedelta(days=1)
    with time_machine.travel(next_day, tick=False):
        assert post(anton, url(job.wiring, "/time"), morning).status_code == 201
        across = {
            "client_id": str(uuid.uuid4()),
            "start": (handed_over - dt.timedelta(hours=1)).isoformat(),
            "end": (handed_over + dt.timedelta(hours=1)).isoformat(),
        }
        kept = post(anton, url(job.wiring, "/time"), across)
        assert kept.status_code == 201 and Decimal(kept.json()["hours"]) == 2  # not cut
        for start in (handed_over, handed_over + dt.timedelta(minutes=30), next_day):
            later = {"client_id": str(uuid.uuid4()), "start": start.isoformat(), "hours": "1"}
            messages = refused_on(post(anton, url(job.wiring, "/time"), later), "start")
            assert messages == [
                "Der Auftrag wurde am 27.10.2025 10:00 übergeben: danach begonnene Stunden "
                "werden nicht mehr darauf gebucht."
            ]
        path = url(job.wiring, "/time")
        english = anton.post(path, later, "application/json", HTTP_ACCEPT_LANGUAGE="en").json()
        assert english["detail"][0]["msg"].startswith(
            "The job was handed on at 27.10.2025 10:00: hours"
        )
        # Sent again (the phone did not hear the answer): the same entry, not refused.
        again = post(anton, url(job.wiring, "/time"), morning)
        assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert TimeEntry.objects.filter(worker=coop.anton_worker).count() == 2


def test_a_former_workers_material_and_photos_must_be_from_before_the_hand_over(coop, job, api_as):
    """What Anton's phone noted and photographed before the job went to Carl arrives later and
    is taken; what it says was noted or taken after is refused, naming the field. Material or
    a photo that does not say when (queued by the app before it sent the time) is taken."""
    handed_over = MONDAY + dt.timedelta(hours=3)
    hand_to_carl(coop, job.wiring, handed_over)
    anton = api_as(coop.anton)
    before, after = handed_over - dt.timedelta(minutes=20), handed_over + dt.timedelta(hours=1)
    with time_machine.travel(MONDAY + dt.timedelta(hours=6), tick=False):
        noted = material_body(noted_at=before.isoformat())
        assert post(anton, url(job.wiring, "/material"), noted).status_code == 201
        assert post(anton, url(job.wiring, "/material"), material_body()).status_code == 201
        late = material_body(noted_at=after.isoformat())
        assert refused_on(post(anton, url(job.wiring, "/material"), late), "noted_at") == [
            "Der Auftrag wurde am 27.10.2025 10:00 übergeben: danach notiertes Material wird "
            "nicht mehr darauf gebucht."
        ]

        assert upload(anton, job.wiring, taken_at=before).status_code == 201
        assert refused_on(upload(anton, job.wiring, taken_at=after), "taken_at") == [
            "Der Auftrag wurde am 27.10.2025 10:00 übergeben: danach aufgenommene Fotos werden "
            "nicht mehr dazu gespeichert."
        ]
    assert MaterialEntry.objects.count() == 2
    assert MaterialEntry.objects.get(noted_at__isnull=False).noted_at == before
    assert list(Photo.objects.values_list("taken_at", flat=True)) == [before]


def test_the_migration_keeps_the_former_workers_as_hand_overs(coop, job, api_as):
    """Jobs handed on before the moment was kept: each former worker becomes a hand-over at the
    appointment's last change (no earlier than the hand-over itself), and back."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [("scheduling", "0006_appointment_former_workers")]
    latest = [("scheduling", "0008_remove_appointment_former_workers")]

    def migrate(target):
        executor = MigrationExecutor(connection)
        executor.migrate(target)
        return executor.loader.project_state(target).apps.get_model("scheduling", "Appointment")

    carl = f.WorkerFactory(workshop=coop.a, trades=[coop.trades.elektro])
    changed = MONDAY + dt.timedelta(hours=3)
    with connection.cursor() as cursor:  # the fixtures' rows checked, so the tables may change
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    old = migrate(before)
    old.objects.filter(pk=job.wiring.pk).update(
        worker=carl, former_workers=[coop.anton_worker.pk, 999_999], updated_at=changed
    )
    migrate(latest)
    handover = Handover.objects.get()  # none for the worker deleted since (999999)
    assert (handover.appointment_id, handover.worker, handover.at) == (
        job.wiring.pk,
        coop.anton_worker,
        changed,
    )
    # Anton's hours from before that moment are still his to send; later ones are not.
    anton = api_as(coop.anton)
    with time_machine.travel(changed + dt.timedelta(hours=3), tick=False):
        for start, status in ((MONDAY, 201), (changed + dt.timedelta(hours=1), 422)):
            hours = {"client_id": str(uuid.uuid4()), "start": start.isoformat(), "hours": "1"}
            assert post(anton, url(job.wiring, "/time"), hours).status_code == status

    old = migrate(before)
    assert old.objects.get(pk=job.wiring.pk).former_workers == [coop.anton_worker.pk]
    migrate(latest)


# --- corrections to hours and material ------------------------------------------------------------


def put(client, path_, body):
    return client.put(path_, body, "application/json")


def hours_of(client, appointment, start, end, note=""):
    body = {"client_id": str(uuid.uuid4()), "start": start.isoformat(), "end": end.isoformat()}
    response = post(client, url(appointment, "/time"), {**body, "note": note})
    assert response.status_code == 201, response.content
    return response.json()["id"]


def material_of(client, appointment, text="Dose", quantity="4", unit="Stk", unit_price="1.20"):
    body = {"client_id": str(uuid.uuid4()), "text": text, "quantity": quantity, "unit": unit}
    response = post(client, url(appointment, "/material"), {**body, "unit_price": unit_price})
    assert response.status_code == 201, response.content
    return response.json()["id"]


def test_a_worker_corrects_and_deletes_his_own_hours_and_material_and_the_job_hears_of_it(
    coop, job, api_as, at_work
):
    client = api_as(coop.anton)
    time_id = hours_of(client, job.wiring, MONDAY, MONDAY + dt.timedelta(hours=1), "Schlitze")
    material_id = material_of(client, job.wiring)
    corrected = {
        "start": MONDAY.isoformat(),
        "end": (MONDAY + dt.timedelta(minutes=45)).isoformat(),
        "note": "Schlitze gestemmt",
    }
    changed = put(client, url(job.wiring, f"/time/{time_id}"), corrected)
    assert changed.status_code == 200, changed.content
    assert (changed.json()["hours"], changed.json()["note"]) == ("0.75", "Schlitze gestemmt")
    # The same correction again changes nothing more (a retry after a lost answer).
    again = put(client, url(job.wiring, f"/time/{time_id}"), corrected)
    assert (again.status_code, again.json()) == (200, changed.json())
    fixed = put(
        client,
        url(job.wiring, f"/material/{material_id}"),
        {"text": "Abzweigdose", "quantity": "6", "unit": "Stk", "unit_price": "1.35"},
    )
    assert fixed.status_code == 200, fixed.content
    entry = MaterialEntry.objects.get()
    assert (entry.text, entry.quantity, entry.unit, entry.unit_price) == (
        "Abzweigdose",
        Decimal(6),
        "H87",
        Decimal("1.35"),
    )
    detail = client.get(url(job.wiring)).json()
    assert [t["hours"] for t in detail["time_entries"]] == ["0.75"]
    assert [m["text"] for m in detail["materials"]] == ["Abzweigdose"]

    assert client.delete(url(job.wiring, f"/time/{time_id}")).status_code == 204
    assert client.delete(url(job.wiring, f"/material/{material_id}")).status_code == 204
    assert not TimeEntry.objects.exists() and not MaterialEntry.objects.exists()
    assert client.delete(url(job.wiring, f"/time/{time_id}")).status_code == 404
    # Told live like the originals: to the worker, the workshop and the package.
    for kind in ("time_changed", "material_changed", "time_deleted", "material_deleted"):
        groups = set(Event.objects.filter(type=f"field.{kind}").values_list("group", flat=True))
        assert groups == {
            f"worker.{coop.anton_worker.pk}",
            f"workshop.{coop.a.pk}",
            f"package.{job.package.pk}",
        }, kind


def test_every_correction_of_hours_and_material_is_kept_with_who_made_it(
    coop, job, api_as, at_work
):
    from auditlog.models import LogEntry

    anton = api_as(coop.anton)
    time_id = hours_of(anton, job.wiring, MONDAY, MONDAY + dt.timedelta(hours=1))
    material_id = material_of(anton, job.wiring, quantity="4")
    half = {"start": MONDAY.isoformat(), "hours": "0.5"}
    assert put(api_as(coop.alice), url(job.wiring, f"/time/{time_id}"), half).status_code == 200
    olga = api_as(coop.olga)
    assert olga.delete(url(job.wiring, f"/material/{material_id}")).status_code == 204

    def trail(model, pk):
        return list(
            LogEntry.objects.get_for_object(model(pk=pk))
            .order_by("pk")
            .values_list("action", "actor__username", "changes")
        )

    created, corrected = trail(TimeEntry, time_id)
    assert created[:2] == (LogEntry.Action.CREATE, coop.anton.username)
    assert corrected[:2] == (LogEntry.Action.UPDATE, coop.alice.username)
    assert corrected[2]["hours"] == ["1.00", "0.5"]  # what it was, what it became
    created, deleted = trail(MaterialEntry, material_id)
    assert deleted[:2] == (LogEntry.Action.DELETE, coop.olga.username)
    assert deleted[2]["quantity"] == ["4.00", "None"]  # what was deleted stays readable


def test_only_who_recorded_an_entry_its_workshops_management_or_the_office_may_change_it(
    coop, job, api_as, at_work
):
    anton = api_as(coop.anton)
    time_id = hours_of(anton, job.wiring, MONDAY, MONDAY + dt.timedelta(hours=1))
    material_id = material_of(anton, job.wiring)
    bernds = hours_of(api_as(coop.bernd), job.rough, MONDAY, MONDAY + dt.timedelta(hours=1))
    hours = {"start": MONDAY.isoformat(), "hours": "2"}
    material = {"text": "Dose", "quantity": "1", "unit": "Stk", "unit_price": "1"}
    # Another member's people, and a homeowner: as if it did not exist.
    for user in (coop.bernd, coop.bob, coop.hanna):
        client = api_as(user)
        assert put(client, url(job.wiring, f"/time/{time_id}"), hours).status_code == 404
        assert put(client, url(job.wiring, f"/material/{material_id}"), material).status_code == 404
        assert client.delete(url(job.wiring, f"/time/{time_id}")).status_code == 404
        assert client.delete(url(job.wiring, f"/material/{material_id}")).status_code == 404
    # An entry of another task, reached through this job: none of its entries.
    alice = api_as(coop.alice)
    assert alice.delete(url(job.wiring, f"/time/{bernds}")).status_code == 404
    # Material the workshop's admin noted on the job is not the worker's to change.
    alices = material_of(alice, job.wiring, text="Leitungsschutzschalter")
    anton = api_as(coop.anton)
    refused = put(anton, url(job.wiring, f"/material/{alices}"), material)
    assert refused.status_code == 403
    assert refused.json()["detail"] == (
        "Nur wer den Eintrag erfasst hat, die Betriebsleitung oder das Büro darf ihn ändern."
    )
    assert anton.delete(url(job.wiring, f"/material/{alices}")).status_code == 403
    # The app offers "Ändern" and "Löschen" where they would be taken.
    offered = anton.get(url(job.wiring)).json()
    assert [m["changeable"] for m in offered["materials"]] == [True, False]
    assert [t["changeable"] for t in offered["time_entries"]] == [True]
    managed = api_as(coop.alice).get(url(job.wiring)).json()["materials"]
    assert [m["changeable"] for m in managed] == [True, True]
    anton = api_as(coop.anton)
    assert TimeEntry.objects.count() == 2 and MaterialEntry.objects.count() == 2
    assert MaterialEntry.objects.get(pk=material_id).text == "Dose"
    # ... and from the other side: the admin and the office may correct the worker's entries.
    assert put(api_as(coop.alice), url(job.wiring, f"/time/{time_id}"), hours).status_code == 200
    olga = api_as(coop.olga)
    assert put(olga, url(job.wiring, f"/material/{material_id}"), material).status_code == 200
    assert olga.delete(url(job.wiring, f"/time/{time_id}")).status_code == 204
    assert TimeEntry.objects.get().pk == bernds


def test_hours_and_material_are_frozen_once_the_task_is_done(coop, job, api_as, at_work):
    client = api_as(coop.anton)
    time_id = hours_of(client, job.wiring, MONDAY, MONDAY + dt.timedelta(hours=1))
    material_id = material_of(client, job.wiring)
    # Done: the customer signed, and the package may be invoiced (which needs every task done).
    Task.objects.filter(pk=job.wiring.task_id).update(status=Task.Status.DONE)
    message = (
        "Der Auftrag ist abgeschlossen: Zeiten und Material stehen fest und lassen sich hier "
        "nicht mehr ändern. Bei Bedarf korrigiert sie das Büro."
    )
    attempts = [
        put(client, url(job.wiring, f"/time/{time_id}"), {"start": MONDAY.isoformat(), "hours": 3}),
        put(
            client,
            url(job.wiring, f"/material/{material_id}"),
            {"text": "Dose", "quantity": "9", "unit": "Stk", "unit_price": "1"},
        ),
        client.delete(url(job.wiring, f"/time/{time_id}")),
        api_as(coop.olga).delete(url(job.wiring, f"/material/{material_id}")),
    ]
    for response in attempts:
        assert (response.status_code, response.json()["detail"]) == (409, message)
    assert TimeEntry.objects.get().hours == Decimal(1)
    assert MaterialEntry.objects.get().quantity == Decimal(4)
    detail = api_as(coop.olga).get(url(job.wiring)).json()
    assert not any(e["changeable"] for e in detail["time_entries"] + detail["materials"])


def test_a_correction_is_checked_like_a_new_entry_naming_the_field(coop, job, api_as, at_work):
    client = api_as(coop.anton)
    wednesday = dt.datetime(2025, 10, 22, 5, tzinfo=BERLIN)
    time_id = hours_of(client, job.wiring, wednesday, wednesday + dt.timedelta(hours=14))
    hours_of(
        client, job.wiring, wednesday + dt.timedelta(hours=14), wednesday + dt.timedelta(hours=19)
    )
    material_id = material_of(client, job.wiring)

    def refused(response):
        assert response.status_code == 422, response.content
        return {tuple(error["loc"]) for error in response.json()["detail"]}

    def time(start, end=None, hours=None):
        body = {"start": start.isoformat(), "end": end and end.isoformat(), "hours": hours}
        return put(client, url(job.wiring, f"/time/{time_id}"), body)

    def material(**change):
        body = {"text": "Dose", "quantity": "4", "unit": "Stk", "unit_price": "1.20", **change}
        return put(client, url(job.wiring, f"/material/{material_id}"), body)

    assert refused(time(wednesday, wednesday - dt.timedelta(hours=1))) == {("body", "end")}
    assert refused(time(MONDAY + dt.timedelta(days=1), hours="1")) == {("body", "start")}
    # Its own old hours do not count against the day (14 + 15 + 5), the other entry's do.
    assert time(wednesday, hours="15").status_code == 200
    midnight = wednesday.replace(hour=0)
    assert refused(time(midnight, hours="20")) == {("body", "hours")}
    assert refused(material(quantity="-1")) == {("body", "quantity")}
    assert refused(material(unit="Sack Zement")) == {("body", "unit")}
    assert refused(material(text=" ", unit_price="100000.01")) == {("body", "text")}
    assert refused(material(unit_price="100000.01")) == {("body", "unit_price")}
    assert TimeEntry.objects.get(pk=time_id).hours == Decimal(15)
    assert MaterialEntry.objects.get().unit_price == Decimal("1.20")
