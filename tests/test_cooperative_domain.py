"""Validation, capacity, eligibility by geography, and list query counts."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.models import Site
from jobs.models import PackageTemplate
from tests import factories as f
from trades.capacity import capacity
from trades.models import Absence, Workshop
from trades.selectors import workshops_serving

pytestmark = pytest.mark.django_db

WORKSHOP = {
    "name": "Dach Deeken",
    "legal_name": "Dach Deeken GmbH",
    "owner_name": "Dirk Deeken",
    "iban": "DE89370400440532013000",
    "vat_id": "DE136695976",
    "email": "info@dach-deeken.example",
    "street": "Am Markt 3",
    "postal_code": "26219",
    "city": "Bösel",
    "state": "NI",
    "latitude": 52.9986,
    "longitude": 7.9456,
    "offers": [{"trade": "elektro", "hourly_rate": "58.00", "crews": 1}],
}


def errors(response) -> dict:
    """Field path → message, for ninja's schema errors and the services' model errors alike."""
    return {
        tuple(part for part in e["loc"] if part not in ("body", "payload")): e["msg"]
        for e in response.json()["detail"]
    }


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"vat_id": "DE123456789"}, ("vat_id",)),
        ({"iban": "DE89370400440532013001"}, ("iban",)),
        ({"postal_code": "2621"}, ("postal_code",)),
        ({"offers": [{"trade": "elektro", "hourly_rate": "-1.00"}]}, ("offers", 0, "hourly_rate")),
        ({"offers": [{"trade": "zauberei", "hourly_rate": "1.00"}]}, ("offers",)),
        ({"vat_id": "", "tax_number": ""}, ("vat_id",)),
    ],
)
def test_bad_workshop_data_is_refused_naming_the_field_and_nothing_is_saved(
    coop, api_as, change, field
):
    before = Workshop.objects.count()
    response = api_as(coop.olga).post(
        "/api/v1/workshops", {**WORKSHOP, **change}, "application/json"
    )
    assert response.status_code == 422, response.content
    assert field in errors(response), errors(response)
    assert Workshop.objects.count() == before


def test_a_valid_workshop_is_created_with_its_offers(coop, api_as):
    response = api_as(coop.olga).post("/api/v1/workshops", WORKSHOP, "application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["offers"] == [
        {
            "trade": "elektro",
            "trade_name": "Elektrotechnik",
            "hourly_rate": "58.00",
            "crews": 1,
            "certifications": [],
        }
    ]


def _bathroom(dependencies):
    return {
        "code": "bad-mini",
        "name_de": "Bad klein",
        "name_en": "Small bathroom",
        "parameters": [
            {
                "code": "area",
                "name_de": "Fläche",
                "name_en": "Area",
                "unit": "m²",
                "minimum": "1",
                "maximum": "40",
                "default": "6",
            }
        ],
        "tasks": [
            {
                "code": "rough",
                "name_de": "Rohinstallation",
                "name_en": "Rough-in",
                "trade": "sanitaer",
                "duration_base_hours": "4",
                "duration_per_unit": {"area": "0.5"},
            },
            {
                "code": "cable",
                "name_de": "Elektro",
                "name_en": "Wiring",
                "trade": "elektro",
                "duration_base_hours": "3",
            },
            {
                "code": "finish",
                "name_de": "Endmontage",
                "name_en": "Final fit",
                "trade": "sanitaer",
                "duration_base_hours": "6",
            },
        ],
        "dependencies": dependencies,
    }


def test_a_cyclic_template_is_refused_with_the_circle_named(coop, api_as):
    cyclic = _bathroom(
        [
            {"predecessor": "rough", "successor": "cable"},
            {"predecessor": "cable", "successor": "finish"},
            {"predecessor": "finish", "successor": "rough"},
        ]
    )
    response = api_as(coop.olga).post("/api/v1/package-templates", cyclic, "application/json")
    assert response.status_code == 422
    message = errors(response)[("dependencies",)]
    assert all(code in message for code in ("rough", "cable", "finish"))
    assert not PackageTemplate.objects.exists()


def test_an_impossible_template_is_refused(coop, api_as):
    bad = _bathroom([{"predecessor": "rough", "successor": "nowhere"}])
    bad["tasks"][1]["duration_per_unit"] = {"sockets": "0.5"}
    bad["parameters"][0]["default"] = "99"
    found = errors(api_as(coop.olga).post("/api/v1/package-templates", bad, "application/json"))
    assert ("dependencies",) in found
    assert "sockets" in found[("tasks", "cable")]
    assert ("parameters", "area") in found
    assert not PackageTemplate.objects.exists()


def test_a_valid_template_round_trips(coop, api_as):
    body = _bathroom([{"predecessor": "rough", "successor": "finish", "lag_hours": 72}])
    created = api_as(coop.olga).post("/api/v1/package-templates", body, "application/json")
    assert created.status_code == 201, created.content
    public = api_as(None).get("/api/v1/package-templates/bad-mini").json()
    assert public["dependencies"] == [
        {"predecessor": "rough", "successor": "finish", "lag_hours": 72}
    ]
    template = PackageTemplate.objects.get(code="bad-mini")
    rough = template.tasks.get(code="rough")
    assert rough.duration_hours({"area": Decimal("10")}) == Decimal("9.0")


def test_a_site_with_an_unknown_postcode_is_refused(coop, api_as):
    f.PostalCodeFactory()
    url = f"/api/v1/customers/{coop.hanna_site.customer_id}/sites"
    before = Site.objects.count()
    bad = {"street": "Weg 1", "postal_code": "99999", "city": "Nirgendwo"}
    response = api_as(coop.hanna).post(url, bad, "application/json")
    assert response.status_code == 422
    assert ("postal_code",) in errors(response)
    assert Site.objects.count() == before
    good = {"street": "Weg 1", "postal_code": "26169", "city": "Friesoythe"}
    created = api_as(coop.hanna).post(url, good, "application/json").json()
    assert created["location_source"] == "postcode" and created["state"] == "NI"
    pinned = (
        api_as(coop.hanna)
        .post(url, {**good, "latitude": 53.03, "longitude": 7.86}, "application/json")
        .json()
    )
    assert pinned["location_source"] == "manual" and pinned["latitude"] == 53.03


def test_a_customer_may_lack_an_email_address_unless_she_logs_in(coop, api_as):
    from customers.models import Customer

    caller = {
        "last_name": "Ohnemail",  # no e-mail field at all
        "phone": "04471 1",
        "street": "Neue Straße 1",
        "postal_code": "49661",
        "city": "Cloppenburg",
    }
    # The office takes down a customer who has none (a caller on the phone).
    office = api_as(coop.olga).post("/api/v1/customers", caller, "application/json")
    assert office.status_code == 201, office.content
    assert (office.json()["email"], office.json()["display_name"]) == ("", "Ohnemail")
    # A homeowner's own record is the one her login codes and quotes are mailed to.
    own = api_as(coop.otto).post("/api/v1/customers", caller, "application/json")
    assert own.status_code == 422
    assert errors(own) == {("email",): "Ein Kunde mit Anmeldung braucht eine E-Mail-Adresse."}
    assert not Customer.objects.filter(user=coop.otto).exists()
    # Nothing else to name her by: the phone number, else her customer number.
    assert Customer(pk=7, phone="04471 1").display_name == "04471 1"
    assert Customer(pk=7).display_name == "Kunde #7"


def test_capacity_over_a_week_with_reformation_day_and_a_workers_holiday(coop):
    # 27–31 Oct 2025: Mon–Fri; 31 Oct is Reformation Day in Lower Saxony. Workshop A has two
    # electricians (anton and a colleague) and two crews; anton is on holiday on Tuesday.
    Absence.objects.create(
        workshop=coop.a,
        worker=coop.anton_worker,
        kind="holiday",
        start=date(2025, 10, 28),
        end=date(2025, 10, 28),
    )
    days = capacity(coop.a, coop.trades.elektro, date(2025, 10, 27), date(2025, 11, 2))
    assert [(d.day.day, d.hours, d.workers, d.crews, d.person_hours) for d in days] == [
        (27, 8, 2, 2, 16),
        (28, 8, 1, 1, 8),
        (29, 8, 2, 2, 16),
        (30, 8, 2, 2, 16),
        (31, 0, 0, 0, 0),
        (1, 0, 0, 0, 0),
        (2, 0, 0, 0, 0),
    ]
    assert days[4].reason == "Reformationstag"
    assert sum(d.person_hours for d in days) == 56


def test_company_holidays_close_the_whole_workshop(coop):
    Absence.objects.create(
        workshop=coop.a, kind="closure", start=date(2025, 10, 29), end=date(2025, 10, 29)
    )
    (day,) = capacity(coop.a, coop.trades.elektro, date(2025, 10, 29), date(2025, 10, 29))
    assert (day.hours, day.crews) == (0, 0)


def test_workshops_serving_a_site_need_trade_certification_area_and_membership(coop):
    gas = f.CertificationFactory(code="gas")
    coop.trades.sanitaer.certifications.add(gas)
    friesoythe = Point(7.8590, 53.0207, srid=4326)
    near = coop.b  # in Friesoythe
    far = f.WorkshopFactory(name="Sanitär Fern", location=Point(9.99, 53.55, srid=4326))  # Hamburg
    f.OfferFactory(workshop=far, trade=coop.trades.sanitaer)
    mid = f.WorkshopFactory(name="Sanitär Mitte", location=Point(8.0436, 52.8476, srid=4326))
    f.OfferFactory(workshop=mid, trade=coop.trades.sanitaer).certifications.add(gas)
    inactive = f.WorkshopFactory(name="Sanitär Alt", active=False, location=friesoythe)
    f.OfferFactory(workshop=inactive, trade=coop.trades.sanitaer)
    # A polygon that covers Friesoythe although the workshop sits 150 km away.
    square = Polygon.from_bbox((7.7, 52.9, 8.0, 53.1))
    polygon = f.WorkshopFactory(
        name="Sanitär Polygon",
        location=Point(10.0, 52.0, srid=4326),
        service_area=MultiPolygon(square, srid=4326),
        service_radius_km=1,
    )
    f.OfferFactory(workshop=polygon, trade=coop.trades.sanitaer)

    names = [w.name for w in workshops_serving(friesoythe, coop.trades.sanitaer)]
    assert names == ["Sanitär Meyer", "Sanitär Mitte", "Sanitär Polygon"]
    assert [w.name for w in workshops_serving(friesoythe, coop.trades.sanitaer, gas)] == [
        "Sanitär Mitte"
    ]
    assert near.name not in [w.name for w in workshops_serving(friesoythe, coop.trades.elektro)]


def test_the_eligibility_query_uses_the_spatial_index(coop):
    sanitaer = coop.trades.sanitaer
    workshops = Workshop.objects.bulk_create(
        [
            f.WorkshopFactory.build(
                name=f"W{i}",
                location=Point(6 + (i % 80) * 0.1, 47.5 + (i // 80) * 0.1, srid=4326),
                service_radius_km=15,
            )
            for i in range(4000)
        ]
    )
    f.OfferFactory._meta.model.objects.bulk_create(
        [f.OfferFactory.build(workshop=w, trade=sanitaer) for w in workshops]
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE trades_workshop; ANALYZE trades_workshoptrade")
    plan = workshops_serving(Point(8.0, 49.0, srid=4326), sanitaer).explain()
    assert "Index Scan on trades_workshop_location_" in plan, plan
    assert "Seq Scan on trades_workshop " not in plan, plan


def test_list_endpoints_cost_the_same_queries_whatever_the_page_size(coop, api_as):
    for i in range(30):
        w = f.WorkshopFactory(name=f"Extra {i:02d}")
        f.OfferFactory(workshop=w, trade=coop.trades.elektro)
        f.WorkerFactory(workshop=w, trades=[coop.trades.elektro])
    client = api_as(coop.olga)
    for url in (
        "/api/v1/workshops",
        "/api/v1/workers",
        "/api/v1/trades",
        "/api/v1/package-templates",
        "/api/v1/customers",
        "/api/v1/sites",
    ):
        counts = []
        for size in (2, 20):
            with CaptureQueriesContext(connection) as queries:
                response = client.get(f"{url}?page_size={size}")
            assert response.status_code == 200
            counts.append(len(queries))
        assert counts[0] == counts[1], (url, counts)


# --- a workshop's owner keeps the team's records ------------------------------------------------


@pytest.fixture
def replans(monkeypatch):
    """The reasons re-plans were asked for, once the request's transaction committed."""
    from scheduling import services

    asked = []
    monkeypatch.setattr(services, "request_replan", lambda reason, **kw: asked.append(reason))
    return asked


def test_an_owner_records_renews_and_removes_a_certificate(
    coop, api_as, replans, django_capture_on_commit_callbacks
):
    f.CertificationFactory(code="e-check", name_de="E-Check", name_en="E-check")
    url = f"/api/v1/workers/{coop.anton_worker.pk}/certifications/e-check"
    owner = api_as(coop.alice)
    with django_capture_on_commit_callbacks(execute=True):
        first = owner.put(
            url, {"valid_until": "2027-03-31", "reference": "EC-1"}, "application/json"
        )
    assert first.status_code == 200
    assert first.json()["certifications"] == [
        {"code": "e-check", "name": "E-Check", "valid_until": "2027-03-31", "reference": "EC-1"}
    ]
    assert replans == [f"certification of worker {coop.anton_worker.pk} changed"]
    renewed = owner.put(url, {"valid_until": "2029-03-31", "reference": "EC-2"}, "application/json")
    assert [c["valid_until"] for c in renewed.json()["certifications"]] == ["2029-03-31"]
    bad = owner.put(url, {"valid_until": "31.03.2029"}, "application/json")
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "valid_until"
    unknown = f"/api/v1/workers/{coop.anton_worker.pk}/certifications/gas"
    assert owner.put(unknown, {}, "application/json").status_code == 404

    # Another workshop's owner does not see Anton; Anton does not certify himself.
    assert api_as(coop.bob).put(url, {}, "application/json").status_code == 404
    assert api_as(coop.anton).put(url, {}, "application/json").status_code == 403
    assert api_as(coop.anton).delete(url).status_code == 403

    gone = api_as(coop.alice).delete(url)
    assert gone.status_code == 200 and gone.json()["certifications"] == []
    assert api_as(coop.alice).delete(url).status_code == 404


def test_an_absence_is_taken_back_from_today_on_and_the_planner_re_plans(
    coop, api_as, replans, django_capture_on_commit_callbacks
):
    import time_machine

    def absence(start, end):
        return Absence.objects.create(
            workshop=coop.a, worker=coop.anton_worker, kind="illness", start=start, end=end
        )

    with time_machine.travel("2026-04-08 09:00 +02:00", tick=False):
        coming = absence(date(2026, 4, 9), date(2026, 4, 10))  # recorded by mistake
        running = absence(date(2026, 4, 6), date(2026, 4, 10))  # he is back early
        past = absence(date(2026, 3, 2), date(2026, 3, 3))
        replans.clear()
        owner = api_as(coop.alice)
        with django_capture_on_commit_callbacks(execute=True):
            assert owner.delete(f"/api/v1/absences/{coming.pk}").status_code == 204
        assert not Absence.objects.filter(pk=coming.pk).exists()
        assert replans == [f"absence {coming.pk} lifted"]
        ended = owner.delete(f"/api/v1/absences/{running.pk}")
        assert ended.status_code == 200 and ended.json()["end"] == "2026-04-07"
        over = owner.delete(f"/api/v1/absences/{past.pk}")
        assert over.status_code == 422 and over.json()["detail"][0]["loc"][-1] == "absence"
        assert Absence.objects.get(pk=past.pk).end == date(2026, 3, 3)
        assert api_as(coop.bob).delete(f"/api/v1/absences/{running.pk}").status_code == 404
        # Anton sees his own absences, but the workshop keeps them.
        assert api_as(coop.anton).delete(f"/api/v1/absences/{running.pk}").status_code == 403


def test_an_absence_overlapping_another_of_the_same_worker_is_refused_naming_it(coop, api_as):
    owner = api_as(coop.alice)
    url = f"/api/v1/workshops/{coop.a.pk}/absences"
    anton = coop.anton_worker.pk

    def record(start, end, kind="holiday", worker=anton):
        body = {"worker_id": worker, "kind": kind, "start": start, "end": end}
        return owner.post(url, body, "application/json")

    assert record("2030-11-30", "2030-12-02", kind="illness").status_code == 201
    refused = record("2030-12-01", "2030-12-03")
    assert refused.status_code == 422
    [error] = refused.json()["detail"]
    assert error["loc"][-1] == "start"
    assert error["msg"].startswith(
        f"{coop.anton_worker} ist vom 30.11.2030 bis 02.12.2030 bereits abwesend (Krankheit)."
    )
    assert record("2030-11-25", "2030-12-05").status_code == 422  # around it
    assert Absence.objects.filter(worker=coop.anton_worker).count() == 1
    # The day after it, a colleague on the same days, and the whole workshop closed: all fine.
    assert record("2030-12-03", "2030-12-04").status_code == 201
    assert record("2030-12-01", "2030-12-03", worker=coop.a_colleague.pk).status_code == 201
    closure = owner.post(
        url, {"kind": "closure", "start": "2030-12-01", "end": "2030-12-31"}, "application/json"
    )
    assert closure.status_code == 201


def test_a_closure_overlapping_another_closure_of_the_workshop_is_refused_naming_it(coop, api_as):
    owner = api_as(coop.alice)
    url = f"/api/v1/workshops/{coop.a.pk}/absences"

    def close(start, end, kind="closure"):
        return owner.post(url, {"kind": kind, "start": start, "end": end}, "application/json")

    assert close("2030-12-21", "2031-01-01").status_code == 201
    refused = close("2030-12-31", "2031-01-06")
    assert refused.status_code == 422
    assert errors(refused) == {
        ("start",): "Elektro Janßen ist vom 21.12.2030 bis 01.01.2031 bereits geschlossen "
        "(Betriebsferien). Heben Sie diese Schließung zuerst auf oder tragen Sie nur die Tage "
        "ein, die sie frei lässt."
    }
    assert close("2030-12-01", "2031-02-01").status_code == 422  # around it
    assert close("2030-12-24", "2030-12-24", kind="holiday").status_code == 422  # any kind
    assert Absence.objects.filter(workshop=coop.a, worker=None).count() == 1
    # The day after it, a worker's holiday inside it, another workshop on the same days: fine.
    assert close("2031-01-02", "2031-01-06").status_code == 201
    holiday = {"worker_id": coop.anton_worker.pk, "kind": "holiday"}
    inside = {**holiday, "start": "2030-12-22", "end": "2030-12-23"}
    assert owner.post(url, inside, "application/json").status_code == 201
    other = api_as(coop.bob).post(
        f"/api/v1/workshops/{coop.b.pk}/absences",
        {"kind": "closure", "start": "2030-12-21", "end": "2031-01-01"},
        "application/json",
    )
    assert other.status_code == 201


@pytest.mark.django_db(transaction=True)
def test_two_overlapping_closures_sent_at_once_make_one(coop):
    import threading

    from trades.services import add_absence

    barrier = threading.Barrier(2, timeout=60)
    outcomes = []

    def close(start, end):
        try:
            barrier.wait()
            add_absence(coop.a, {"kind": "closure", "start": start, "end": end})
            outcomes.append("recorded")
        except ValidationError as exc:
            outcomes.append(list(exc.message_dict))
        finally:
            connection.close()

    days = [(date(2030, 12, 21), date(2031, 1, 1)), (date(2030, 12, 28), date(2031, 1, 6))]
    threads = [threading.Thread(target=close, args=span) for span in days]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes, key=str) == [["start"], "recorded"]
    assert Absence.objects.filter(workshop=coop.a, worker=None).count() == 1


def test_a_worker_with_a_trade_the_workshop_lacks_is_not_half_created_and_changes_replan(
    coop, api_as, replans, django_capture_on_commit_callbacks
):
    from trades.models import Worker

    owner = api_as(coop.alice)
    url = f"/api/v1/workshops/{coop.a.pk}/workers"
    refused = owner.post(
        url, {"first_name": "Berta", "last_name": "Neu", "trades": ["sanitaer"]}, "application/json"
    )
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"][-1] == "trades"
    assert not Worker.objects.filter(last_name="Neu").exists()
    blank = owner.post(url, {"first_name": "   ", "last_name": "Neu"}, "application/json")
    assert blank.status_code == 422 and blank.json()["detail"][0]["loc"][-1] == "first_name"
    named = owner.post(
        url,
        {"first_name": " Berta ", "last_name": "Neu", "trades": ["elektro"]},
        "application/json",
    )
    assert named.status_code == 201 and named.json()["first_name"] == "Berta"
    with django_capture_on_commit_callbacks(execute=True):
        left = owner.patch(
            f"/api/v1/workers/{coop.a_colleague.pk}", {"active": False}, "application/json"
        )
    assert left.status_code == 200 and left.json()["active"] is False
    # One crew fewer: the planner is asked to look again.
    assert replans == [f"worker {coop.a_colleague.pk} of workshop {coop.a.pk} changed"]


def test_a_worker_in_the_team_needs_a_trade_the_planner_can_plan_them_for(coop, api_as):
    from trades.models import Worker

    owner = api_as(coop.alice)
    url = f"/api/v1/workshops/{coop.a.pk}/workers"
    for trades in ({}, {"trades": []}):
        none = owner.post(
            url, {"first_name": "Berta", "last_name": "Neu", **trades}, "application/json"
        )
        assert none.status_code == 422, none.json()
        assert errors(none) == {
            ("trades",): "Wählen Sie mindestens ein Gewerk: ohne Gewerk wird der Mitarbeiter "
            "nie eingeplant."
        }
    assert not Worker.objects.filter(last_name="Neu").exists()
    anton = f"/api/v1/workers/{coop.anton_worker.pk}"
    assert owner.patch(anton, {"trades": []}, "application/json").status_code == 422
    assert list(coop.anton_worker.trades.values_list("code", flat=True)) == ["elektro"]
    # One who has left plans nothing anyway; his trades may go with him.
    gone = owner.patch(anton, {"active": False, "trades": []}, "application/json")
    assert gone.status_code == 200 and gone.json()["trades"] == []


def test_a_certificate_already_expired_is_refused_when_recorded(coop, api_as):
    import time_machine

    from trades.models import WorkerCertification

    f.CertificationFactory(code="e-check", name_de="E-Check", name_en="E-check")
    url = f"/api/v1/workers/{coop.anton_worker.pk}/certifications/e-check"
    owner = api_as(coop.alice)
    with time_machine.travel("2026-04-08 09:00 +02:00", tick=False):
        old = owner.put(url, {"valid_until": "2020-01-01"}, "application/json")
        assert old.status_code == 422
        assert errors(old) == {
            ("valid_until",): "Dieses Datum liegt in der Vergangenheit: tragen Sie ein, bis wann "
            "die Qualifikation jetzt gilt."
        }
        yesterday = owner.put(url, {"valid_until": "2026-04-07"}, "application/json")
        assert yesterday.status_code == 422
        assert not WorkerCertification.objects.filter(worker=coop.anton_worker).exists()
        # Valid through today, or with no expiry at all: recorded.
        assert owner.put(url, {"valid_until": "2026-04-08"}, "application/json").status_code == 200
        assert owner.put(url, {"valid_until": None}, "application/json").status_code == 200


def test_an_owner_who_works_too_links_their_login_to_their_worker(coop, api_as):
    from trades.models import Worker

    owner = api_as(coop.alice)
    mine = f"/api/v1/workers/{coop.a_colleague.pk}"
    linked = owner.patch(mine, {"my_login": True}, "application/json")
    assert linked.status_code == 200 and linked.json()["is_me"] and linked.json()["has_login"]
    assert Worker.objects.get(user=coop.alice) == coop.a_colleague
    # Anton's record has his own login; one login is one worker.
    taken = owner.patch(
        f"/api/v1/workers/{coop.anton_worker.pk}", {"my_login": True}, "application/json"
    )
    assert taken.status_code == 422 and taken.json()["detail"][0]["loc"][-1] == "my_login"
    assert Worker.objects.get(pk=coop.anton_worker.pk).user == coop.anton
    # Unlinking along with a trade the workshop lacks: refused as a whole.
    bad = owner.patch(mine, {"my_login": False, "trades": ["sanitaer"]}, "application/json")
    assert bad.status_code == 422
    assert Worker.objects.get(user=coop.alice) == coop.a_colleague
    # Unlinking touches only one's own login; the office links no login of its own here.
    assert (
        owner.patch(
            f"/api/v1/workers/{coop.anton_worker.pk}", {"my_login": False}, "application/json"
        ).status_code
        == 200
    )
    assert Worker.objects.get(pk=coop.anton_worker.pk).user == coop.anton
    office = api_as(coop.olga).patch(
        f"/api/v1/workers/{coop.bernd_worker.pk}", {"my_login": True}, "application/json"
    )
    assert office.status_code == 422
    owner = api_as(coop.alice)
    unlinked = owner.patch(mine, {"my_login": False}, "application/json")
    assert unlinked.status_code == 200 and not unlinked.json()["is_me"]
    assert not Worker.objects.filter(user=coop.alice).exists()
