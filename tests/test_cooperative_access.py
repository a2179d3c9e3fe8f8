"""Isolation between members, homeowners and outsiders, tried from both sides through the API."""

import pytest

from zunft.core.realtime import may_join

pytestmark = pytest.mark.django_db


def names(response):
    assert response.status_code == 200, response.content
    return sorted(item.get("name") or item.get("last_name") for item in response.json()["items"])


def test_the_directory_is_public_but_prices_and_bank_data_are_not(coop, api_as):
    items = api_as(None).get("/api/v1/workshops").json()["items"]
    assert [w["name"] for w in items] == ["Elektro Janßen", "Sanitär Meyer"]
    for workshop in items:
        assert workshop["iban"] is None and workshop["vat_id"] is None
        assert workshop["offers"][0]["hourly_rate"] is None


def test_a_workshop_admin_sees_their_own_prices_and_never_another_members(coop, api_as):
    by_name = {w["name"]: w for w in api_as(coop.alice).get("/api/v1/workshops").json()["items"]}
    assert by_name["Elektro Janßen"]["offers"][0]["hourly_rate"] == "61.50"
    assert by_name["Elektro Janßen"]["iban"] == coop.a.iban
    assert by_name["Sanitär Meyer"]["offers"][0]["hourly_rate"] is None
    assert by_name["Sanitär Meyer"]["iban"] is None
    # and from the other side
    by_name = {w["name"]: w for w in api_as(coop.bob).get("/api/v1/workshops").json()["items"]}
    assert by_name["Sanitär Meyer"]["offers"][0]["hourly_rate"] == "68.00"
    assert by_name["Elektro Janßen"]["offers"][0]["hourly_rate"] is None


def test_a_tradesperson_sees_their_workshops_prices_the_office_sees_all(coop, api_as):
    mine = api_as(coop.anton).get(f"/api/v1/workshops/{coop.a.pk}").json()
    assert mine["private"] is True and mine["offers"][0]["hourly_rate"] == "61.50"
    other = api_as(coop.anton).get(f"/api/v1/workshops/{coop.b.pk}").json()
    assert other["private"] is False and other["offers"][0]["hourly_rate"] is None
    for w in api_as(coop.olga).get("/api/v1/workshops").json()["items"]:
        assert w["private"] is True and w["offers"][0]["hourly_rate"] is not None


def test_workers_are_seen_by_the_office_their_admin_and_themselves_only(coop, api_as):
    assert len(api_as(coop.olga).get("/api/v1/workers").json()["items"]) == 3
    alice_sees = {w["id"] for w in api_as(coop.alice).get("/api/v1/workers").json()["items"]}
    assert alice_sees == {coop.anton_worker.pk, coop.a_colleague.pk}
    anton_sees = {w["id"] for w in api_as(coop.anton).get("/api/v1/workers").json()["items"]}
    assert anton_sees == {coop.anton_worker.pk}
    assert api_as(coop.bob).get(f"/api/v1/workers/{coop.anton_worker.pk}").status_code == 404
    assert api_as(coop.alice).get(f"/api/v1/workers/{coop.bernd_worker.pk}").status_code == 404
    assert api_as(coop.hanna).get("/api/v1/workers").json()["items"] == []
    assert api_as(None).get("/api/v1/workers").status_code == 401


def test_a_workshop_admin_manages_only_their_own_workshop(coop, api_as):
    client = api_as(coop.alice)
    ok = client.patch(f"/api/v1/workshops/{coop.a.pk}", {"phone": "04471 1234"}, "application/json")
    assert ok.status_code == 200 and ok.json()["phone"] == "04471 1234"
    other = client.patch(f"/api/v1/workshops/{coop.b.pk}", {"phone": "0"}, "application/json")
    assert other.status_code == 403
    coop.b.refresh_from_db()
    assert coop.b.phone == ""
    refused = client.patch(f"/api/v1/workshops/{coop.a.pk}", {"active": False}, "application/json")
    assert refused.status_code == 403
    tradesperson = api_as(coop.anton).patch(
        f"/api/v1/workshops/{coop.a.pk}", {"phone": "1"}, "application/json"
    )
    assert tradesperson.status_code == 403
    office = api_as(coop.olga).patch(
        f"/api/v1/workshops/{coop.b.pk}", {"active": False}, "application/json"
    )
    assert office.status_code == 200 and office.json()["active"] is False


def test_workers_are_added_by_their_own_admin_or_the_office(coop, api_as):
    body = {"first_name": "Lena", "last_name": "Lüken", "trades": ["elektro"]}
    url_a = f"/api/v1/workshops/{coop.a.pk}/workers"
    assert api_as(coop.alice).post(url_a, body, "application/json").status_code == 201
    assert api_as(coop.bob).post(url_a, body, "application/json").status_code == 403
    assert api_as(coop.anton).post(url_a, body, "application/json").status_code == 403
    assert api_as(coop.olga).post(url_a, body, "application/json").status_code == 201
    foreign_trade = {**body, "trades": ["sanitaer"]}
    refused = api_as(coop.alice).post(url_a, foreign_trade, "application/json")
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "trades"]
    assert coop.a.workers.filter(first_name="Lena").count() == 2


def test_homeowners_see_only_their_own_customer_record_and_sites(coop, api_as):
    hanna = api_as(coop.hanna)
    own = hanna.get("/api/v1/customers").json()["items"]
    assert [c["id"] for c in own] == [coop.hanna_site.customer_id]
    assert hanna.get(f"/api/v1/customers/{coop.heinz_site.customer_id}").status_code == 404
    assert [s["id"] for s in hanna.get("/api/v1/sites").json()["items"]] == [coop.hanna_site.pk]
    assert hanna.get(f"/api/v1/sites/{coop.heinz_site.pk}").status_code == 404
    heinz = api_as(coop.heinz)
    assert heinz.get(f"/api/v1/customers/{coop.hanna_site.customer_id}").status_code == 404
    assert (
        heinz.get(f"/api/v1/sites/{coop.hanna_site.pk}/workshops?trade=elektro").status_code == 404
    )
    assert len(api_as(coop.olga).get("/api/v1/customers").json()["items"]) == 2


def test_members_and_outsiders_see_no_customers(coop, api_as):
    for persona in (coop.alice, coop.anton, coop.otto):
        assert api_as(persona).get("/api/v1/customers").json()["items"] == []
        assert api_as(persona).get("/api/v1/sites").json()["items"] == []
        assert api_as(persona).get(f"/api/v1/sites/{coop.hanna_site.pk}").status_code == 404
    assert api_as(None).get("/api/v1/customers").status_code == 401


def test_capacity_is_private_to_the_workshop_and_the_office(coop, api_as):
    url = f"/api/v1/workshops/{coop.a.pk}/capacity?trade=elektro&start=2025-10-27&end=2025-10-31"
    assert api_as(coop.alice).get(url).status_code == 200
    assert api_as(coop.anton).get(url).status_code == 200
    assert api_as(coop.olga).get(url).status_code == 200
    assert api_as(coop.bob).get(url).status_code == 403
    assert api_as(coop.hanna).get(url).status_code == 403


def test_live_groups_follow_the_same_rules(coop):
    assert may_join(coop.alice, f"workshop.{coop.a.pk}")
    assert may_join(coop.anton, f"workshop.{coop.a.pk}")
    assert not may_join(coop.bob, f"workshop.{coop.a.pk}")
    assert not may_join(coop.hanna, f"workshop.{coop.a.pk}")
    assert may_join(coop.anton, f"worker.{coop.anton_worker.pk}")
    assert may_join(coop.alice, f"worker.{coop.anton_worker.pk}")
    assert not may_join(coop.bernd, f"worker.{coop.anton_worker.pk}")
    assert not may_join(coop.bob, f"worker.{coop.anton_worker.pk}")
    assert may_join(coop.olga, f"workshop.{coop.b.pk}") and may_join(coop.olga, "office")
    assert not may_join(coop.alice, "office")


def test_only_the_office_edits_trades_and_the_catalogue(coop, api_as):
    trade = {"code": "maler", "name_de": "Maler", "name_en": "Painter"}
    assert api_as(coop.alice).post("/api/v1/trades", trade, "application/json").status_code == 403
    assert api_as(coop.olga).post("/api/v1/trades", trade, "application/json").status_code == 201
    assert api_as(None).get("/api/v1/trades/maler").json()["name_de"] == "Maler"
