"""The invoicing API: who sees what, what may change, and the documented 4xx answers."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone

from invoicing import payments, samples, settlement
from invoicing.models import Invoice
from jobs.models import Package, Task
from scheduling.models import Appointment
from zunft.core.models import Operation

pytestmark = pytest.mark.urls("tests.invoicing.urls")
D = Decimal
CAMT = Path(__file__).parent / "fixtures" / "camt053_2026-03-02.xml"


@pytest.fixture
def people(world, frozen, django_user_model):
    """The office, the admins of two member workshops, and two homeowners."""
    from types import SimpleNamespace

    make = django_user_model.objects.create_user
    p = SimpleNamespace(
        office=make("olga", password="pw", role="office"),
        painter=make("lars", password="pw", role="workshop_admin"),
        plumber=make("maren", password="pw", role="workshop_admin"),
        hanna=make("hanna", password="pw", role="homeowner"),
        heinz=make("heinz", password="pw", role="homeowner"),
    )
    world.maler.admins.add(p.painter)
    world.sanitaer.admins.add(p.plumber)
    (p.bathroom,) = samples.private_package(world, frozen)  # the cooperative's, to Hanna
    (p.painting,) = samples.small_business(world, frozen)  # the painter's own, to Heinz
    for invoice, user in ((p.bathroom, p.hanna), (p.painting, p.heinz)):
        invoice.customer.user = user
        invoice.customer.save(update_fields=["user"])
    return p


def ids(client, url="/api/v1/invoices"):
    response = client.get(url)
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()["items"]}


def test_the_office_sees_all_members_their_own_homeowners_theirs(people, api_as):
    assert ids(api_as(people.office)) == {people.bathroom.pk, people.painting.pk}
    assert ids(api_as(people.painter)) == {people.painting.pk}
    assert ids(api_as(people.plumber)) == set()
    assert ids(api_as(people.hanna)) == {people.bathroom.pk}
    assert ids(api_as(people.heinz)) == {people.painting.pk}
    assert api_as(None).get("/api/v1/invoices").status_code == 401


def test_another_members_admin_and_other_homeowners_get_404(people, api_as):
    url = f"/api/v1/invoices/{people.painting.pk}"
    assert api_as(people.painter).get(url).status_code == 200
    for outsider in (people.plumber, people.hanna):
        client = api_as(outsider)
        assert client.get(url).status_code == 404
        assert client.get(url + "/pdf").status_code == 404
        assert (
            client.post(
                url + "/payments",
                {"amount": "10.00", "booked_on": "2026-03-02"},
                "application/json",
            ).status_code
            == 404
        )
        assert client.post(url + "/cancel").status_code == 404


def test_a_member_sees_its_settlement_documents_but_not_another_members(people, world, api_as):
    with time_machine.travel("2026-03-10 12:00 +01:00", tick=False):
        payments.record_payment(
            people.bathroom, amount=people.bathroom.amount_due, booked_on=date(2026, 3, 10)
        )
    with time_machine.travel("2026-04-01 09:00 +02:00", tick=False):
        run = settlement.settle_month(date(2026, 3, 1))
    mine = run.settlements.get(workshop=world.sanitaer)
    theirs = run.settlements.get(workshop=world.elektro)
    plumber = api_as(people.plumber)
    assert ids(plumber) == {mine.credit_note_id, mine.fee_invoice_id}
    assert plumber.get(f"/api/v1/invoices/{theirs.credit_note_id}").status_code == 404
    listed = plumber.get("/api/v1/settlements").json()["items"]
    assert [s["id"] for s in listed] == [mine.pk]
    assert plumber.get(f"/api/v1/settlements/{theirs.pk}").status_code == 404
    assert plumber.get("/api/v1/settlement-runs/2026-03/pain001").status_code == 403
    office = api_as(people.office)
    pain = office.get("/api/v1/settlement-runs/2026-03/pain001")
    assert pain.status_code == 200 and pain.content.startswith(b"<?xml")
    # the painter has no share this month
    assert api_as(people.painter).get("/api/v1/settlements").json()["items"] == []


def test_filters(people, api_as):
    office = api_as(people.office)
    assert ids(office, "/api/v1/invoices?issuer=coop") == {people.bathroom.pk}
    assert ids(office, f"/api/v1/invoices?issuer=ws{people.painting.issuer_workshop_id}") == {
        people.painting.pk
    }
    assert ids(office, "/api/v1/invoices?state=paid") == set()
    assert ids(office, "/api/v1/invoices?period=2026-03") == {
        people.bathroom.pk,
        people.painting.pk,
    }
    assert ids(office, "/api/v1/invoices?period=2026-02") == set()
    assert ids(office, f"/api/v1/invoices?customer={people.bathroom.customer_id}") == {
        people.bathroom.pk
    }
    assert office.get("/api/v1/invoices?state=bogus").status_code == 422
    response = office.get("/api/v1/invoices?period=März")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "period"]


def test_recording_payments_partial_then_over(people, api_as):
    url = f"/api/v1/invoices/{people.bathroom.pk}/payments"
    office = api_as(people.office)
    first = office.post(url, {"amount": "8000.00", "booked_on": "2026-03-02"}, "application/json")
    assert first.status_code == 201
    assert first.json()["open"] == "241.40" and first.json()["state"] == "issued"
    second = office.post(url, {"amount": "300.00", "booked_on": "2026-03-02"}, "application/json")
    body = second.json()
    assert body["state"] == "paid" and body["paid_on"] == "2026-03-02"
    assert body["open"] == "-58.60" and body["credit"] == "58.60"
    assert [p["amount"] for p in body["payments"]] == ["8000.00", "300.00"]
    # the surplus goes back by a SEPA file for the bank (refused at its fields first)...
    sepa = f"/api/v1/invoices/{people.bathroom.pk}/refund-transfers"
    order = {"name": "Hanna", "iban": "DE00 1", "amount": "58.61", "execution_date": "2026-03-01"}
    refused = office.post(sepa, order, "application/json")
    assert refused.status_code == 422
    assert {e["loc"][-1] for e in refused.json()["detail"]} == {
        "iban",
        "amount",
        "execution_date",
    }
    order.update(iban="DE89 3704 0044 0532 0130 00", amount="20.00", execution_date="2026-03-02")
    prepared = office.post(sepa, order, "application/json")
    assert prepared.status_code == 201
    transfer = prepared.json()
    assert transfer["state"] == "prepared" and transfer["amount"] == "20.00"
    assert transfer["payee_iban"] == "DE89370400440532013000" and transfer["payment"] is None
    xml = office.get(f"{sepa}/{transfer['id']}/file")
    assert xml.status_code == 200 and b'<InstdAmt Ccy="EUR">20.00</InstdAmt>' in xml.content
    invoice_url = f"/api/v1/invoices/{people.bathroom.pk}"
    assert [t["id"] for t in office.get(invoice_url).json()["refund_transfers"]] == [transfer["id"]]
    # the homeowner reads her invoice, not the payee's account the office prepared
    assert api_as(people.hanna).get(invoice_url).json()["refund_transfers"] == []
    office = api_as(people.office)
    held = office.post(sepa, {**order, "amount": "58.60"}, "application/json")
    assert held.status_code == 422 and held.json()["detail"][0]["loc"] == ["body", "amount"]
    booked = office.post(
        f"{sepa}/{transfer['id']}/book", {"booked_on": "2026-03-02"}, "application/json"
    )
    assert booked.status_code == 201
    (listed,) = booked.json()["refund_transfers"]
    assert listed["state"] == "booked" and listed["payment"] is not None
    assert booked.json()["credit"] == "38.60"
    again = office.post(f"{sepa}/{transfer['id']}/discard")
    assert again.status_code == 422 and again.json()["detail"][0]["loc"] == ["body", "transfer"]
    # ...and is booked once transferred: at most the credit, then nothing is left
    refunds = f"/api/v1/invoices/{people.bathroom.pk}/refunds"
    too_much = office.post(
        refunds, {"amount": "38.61", "booked_on": "2026-03-02"}, "application/json"
    )
    assert too_much.status_code == 422
    assert too_much.json()["detail"][0]["loc"] == ["body", "amount"]
    refund = office.post(
        refunds, {"amount": "38.60", "booked_on": "2026-03-02"}, "application/json"
    )
    assert refund.status_code == 201
    body = refund.json()
    assert body["open"] == "0.00" and body["state"] == "paid"
    assert [p["amount"] for p in body["payments"]][-2:] == ["-20.00", "-38.60"]


def test_bad_payments_and_forbidden_changes(people, api_as):
    url = f"/api/v1/invoices/{people.bathroom.pk}"
    office = api_as(people.office)
    bad = office.post(
        url + "/payments", {"amount": "-1", "booked_on": "2026-03-02"}, "application/json"
    )
    assert bad.status_code == 422
    future = office.post(
        url + "/payments", {"amount": "1.00", "booked_on": "2026-03-09"}, "application/json"
    )
    assert future.status_code == 422
    assert future.json()["detail"][0]["loc"] == ["body", "booked_on"]
    assert future.json()["detail"][0]["msg"] == "Das Buchungsdatum liegt in der Zukunft."
    english = office.post(
        url + "/payments",
        {"amount": "1.00", "booked_on": "2026-03-09"},
        "application/json",
        headers={"x-language": "en"},
    )
    assert english.json()["detail"][0]["msg"] == "The booking date lies in the future."
    hanna = api_as(people.hanna)
    assert hanna.get(url).status_code == 200
    paying = hanna.post(
        url + "/payments", {"amount": "1.00", "booked_on": "2026-03-02"}, "application/json"
    )
    assert paying.status_code == 403
    assert hanna.post(url + "/cancel").status_code == 403
    # a member cancels its own invoice, not the cooperative's
    painter = api_as(people.painter)
    cancelled = painter.post(f"/api/v1/invoices/{people.painting.pk}/cancel")
    assert cancelled.status_code == 201 and cancelled.json()["kind"] == "cancellation"
    assert painter.post(f"/api/v1/invoices/{people.painting.pk}/cancel").status_code == 422


def test_documents_download_for_who_may_see_them(people, api_as):
    hanna = api_as(people.hanna)
    pdf = hanna.get(f"/api/v1/invoices/{people.bathroom.pk}/pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    xml = hanna.get(f"/api/v1/invoices/{people.bathroom.pk}/xml")
    assert xml.status_code == 200 and b"CrossIndustryInvoice" in xml.content


def test_camt_upload_is_for_the_office_and_idempotent(people, api_as):
    def upload(user):
        with CAMT.open("rb") as handle:
            return api_as(user).post("/api/v1/bank-statements", {"file": handle})

    assert upload(people.painter).status_code == 403
    first = upload(people.office)
    assert first.status_code == 201, first.content
    assert first.json()["matched"] == 1 and first.json()["unmatched"] == 2
    again = upload(people.office)
    assert again.status_code == 200 and again.json()["created"] is False
    todo = api_as(people.office).get("/api/v1/bank-transactions?status=unmatched").json()
    assert {t["amount"] for t in todo["items"]} == {"5000.00", "123.45"}
    assert api_as(people.hanna).get("/api/v1/bank-transactions").status_code == 403
    junk = api_as(people.office).post(
        "/api/v1/bank-statements",
        {"file": ("x.xml", b"<nope/>", "application/xml")},
    )
    assert junk.status_code == 422


def test_the_office_marks_a_stray_credit_as_dealt_with_through_the_api(people, api_as):
    office = api_as(people.office)
    with CAMT.open("rb") as handle:
        office.post("/api/v1/bank-statements", {"file": handle})
    (stray,) = [
        t
        for t in office.get("/api/v1/bank-transactions?status=unmatched").json()["items"]
        if t["amount"] == "123.45"
    ]
    assert stray["reason"] == "no_number"
    assert stray["note"] == "Keine Rechnungsnummer im Verwendungszweck"
    url = f"/api/v1/bank-transactions/{stray['id']}/dealt-with"
    empty = office.post(url, {"note": " "}, content_type="application/json")
    assert empty.status_code == 422
    assert empty.json()["detail"][0]["loc"] == ["body", "note"]

    marked = office.post(url, {"note": "Mitgliedsbeitrag"}, content_type="application/json")
    assert marked.status_code == 200, marked.content
    body = marked.json()
    assert (body["status"], body["dealt_note"], body["dealt_by_id"]) == (
        "dealt",
        "Mitgliedsbeitrag",
        people.office.pk,
    )
    assert body["dealt_at"]
    again = office.post(url, {"note": "doch nicht"}, content_type="application/json")
    assert again.status_code == 409 and "bereits als erledigt" in again.json()["detail"]
    assign = office.post(
        f"/api/v1/bank-transactions/{stray['id']}/assign",
        {"invoice": people.bathroom.pk},
        content_type="application/json",
    )
    assert assign.status_code == 409
    todo = office.get("/api/v1/bank-transactions?status=unmatched").json()["items"]
    assert stray["id"] not in {t["id"] for t in todo}
    assert api_as(people.painter).delete(url).status_code == 403

    office = api_as(people.office)
    undone = office.delete(url)
    assert undone.status_code == 200 and undone.json()["status"] == "unmatched"
    assert office.delete(url).status_code == 409
    english = office.get(
        "/api/v1/bank-transactions?status=unmatched", HTTP_ACCEPT_LANGUAGE="en"
    ).json()["items"]
    assert "No invoice number in the remittance information" in {t["note"] for t in english}


def test_month_end_invoices_finished_packages_with_progress_once(
    people, world, api_as, django_capture_on_commit_callbacks
):
    customer, site = samples.private_customer()
    package = samples._package(
        customer,
        site,
        "Steckdosen nachrüsten",
        date(2026, 3, 20),
        [("dosen", "Steckdosen setzen", world.trades["elektro"], "3", "45.00")],
    )
    start = timezone.make_aware(datetime(2026, 3, 20, 8))
    Appointment.objects.create(
        task=package.tasks.get(),
        workshop=world.elektro,
        start=start,
        end=start + timedelta(hours=3),
        status="accepted",
        travel_km=10,
    )
    assert Package.objects.get(pk=package.pk).status == Package.Status.DONE
    with time_machine.travel("2026-04-01 09:00 +02:00", tick=False):
        painter = api_as(people.painter)
        refused = painter.post("/api/v1/month-end", {"period": "2026-03"}, "application/json")
        assert refused.status_code == 403
        office = api_as(people.office)
        with django_capture_on_commit_callbacks(execute=False):
            started = office.post("/api/v1/month-end", {"period": "2026-03"}, "application/json")
            again = office.post("/api/v1/month-end", {"period": "2026-03"}, "application/json")
        assert started.status_code == 202
        assert again.json()["operation"] == started.json()["operation"]
        operation = settlement.do_month_end(started.json()["operation"], worker="test")
    assert operation.state == Operation.State.DONE, operation.error
    assert operation.progress == operation.total >= 2
    (number,) = operation.result["issued"]
    invoice = Invoice.objects.get(number=number)
    assert invoice.package_id == package.pk and invoice.state == Invoice.State.ISSUED
    assert operation.result["skipped"] == []  # the samples' packages are invoiced already
    # a second run bills nothing again
    assert settlement.unbilled_packages().filter(pk=package.pk).count() == 0
    assert settlement.invoice_finished_package(package) is None
    assert Task.objects.filter(package=package).count() == 1
    assert (
        office.post("/api/v1/month-end", {"period": "03/2026"}, "application/json").status_code
        == 422
    )
    # A month that has not ended is refused before anything is queued, as on the page.
    with time_machine.travel("2026-04-10 09:00 +02:00", tick=False):
        running = office.post("/api/v1/month-end", {"period": "2026-04"}, "application/json")
    assert running.status_code == 422 and "period" in str(running.json()["detail"])
    assert not Operation.objects.filter(params__period="2026-04").exists()


def test_the_office_enters_a_base_rate_through_the_api(people, api_as):
    office = api_as(people.office)  # 2 March 2026
    url = "/api/v1/base-rates"
    wrong_day = office.post(url, {"valid_from": "2026-02-01", "rate": "1.27"}, "application/json")
    assert wrong_day.status_code == 422
    assert wrong_day.json()["detail"][0]["loc"] == ["body", "valid_from"]
    too_high = office.post(url, {"valid_from": "2026-01-01", "rate": "25"}, "application/json")
    assert too_high.status_code == 422
    entered = office.post(url, {"valid_from": "2026-01-01", "rate": "1.27"}, "application/json")
    assert entered.status_code == 201
    assert entered.json() == {"valid_from": "2026-01-01", "rate": "1.27"}
    assert office.get(url).json()[0] == {"valid_from": "2026-01-01", "rate": "1.27"}
    slip = office.post(url, {"valid_from": "2026-01-01", "rate": "12"}, "application/json")
    assert slip.status_code == 422 and slip.json()["detail"][0]["loc"] == ["body", "rate"]
    again = {"valid_from": "2026-01-01", "rate": "1.52"}
    kept = office.post(url, again, "application/json")
    assert kept.status_code == 422 and "1,27 %" in str(kept.json()["detail"])
    replaced = office.post(url, {**again, "replace": True}, "application/json")
    assert replaced.status_code == 201 and replaced.json()["rate"] == "1.52"
    assert api_as(people.hanna).get(url).status_code == 403
