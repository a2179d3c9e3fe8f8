"""The office's invoicing pages with the Django test client: who may open them, what the list,
its filters and the detail show, and that issuing, cancelling and recording a payment work while
bad input is shown at its field and writes nothing."""

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from invoicing import dunning, payments, samples, services, settlement
from invoicing.models import (
    BankTransaction,
    BaseRate,
    Dunning,
    DunningNotice,
    Invoice,
    InvoiceCounter,
    Payment,
    RefundTransfer,
)
from zunft.core.models import Operation
from zunft.core.money import format_eur

TODAY = date(2026, 3, 2)
LIST = "/buero/rechnungen/"
CAMT = Path(__file__).parent / "invoicing" / "fixtures" / "camt053_2026-03-02.xml"


@pytest.fixture
def frozen():
    with time_machine.travel("2026-03-02 10:00 +01:00", tick=False):
        yield TODAY


@pytest.fixture(autouse=True)
def _travel_rate(settings):
    settings.TRAVEL_RATE_PER_KM = Decimal("0.90")


def draft_for(world, title="Steckdosen nachrüsten", **kwargs) -> Invoice:
    customer, _site = samples.private_customer()
    return services.create_draft(
        customer=customer,
        lines=[
            services.LineInput(
                kind="labour",
                text="Elektroinstallation",
                quantity=Decimal("2"),
                unit="HUR",
                unit_price=Decimal("61.50"),
            )
        ],
        title=title,
        performance_start=kwargs.pop("start", TODAY - timedelta(days=3)),
        performance_end=TODAY - timedelta(days=1),
        **kwargs,
    )


@pytest.fixture
def books(db, frozen, django_user_model):
    """The cooperative's bathroom invoice to Hanna (RE-2026-00001), the painter's own invoice
    to Heinz Bruns, a draft; the office, a cooperative admin, the painter's admin, a homeowner."""
    world = samples.build_world()
    make = django_user_model.objects.create_user
    p = SimpleNamespace(
        world=world,
        office=make("olga", password="pw", role="office", first_name="Olga"),
        coop_admin=make("carl", password="pw", role="coop_admin"),
        painter=make("lars", password="pw", role="workshop_admin"),
        hanna=make("hanna", password="pw", role="homeowner"),
    )
    world.maler.admins.add(p.painter)
    (p.bathroom,) = samples.private_package(world, TODAY)
    (p.painting,) = samples.small_business(world, TODAY)
    p.draft = draft_for(world)
    p.bathroom.customer.user = p.hanna
    p.bathroom.customer.save(update_fields=["user"])
    return p


def page(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, response.content[:2000]
    return response.content.decode()


def rows(html) -> list[int]:
    return [int(i) for i in re.findall(r'<tr data-invoice="(\d+)"', html)]


def field_errors(html, field) -> list[str]:
    """The error texts shown in the field wrapper of ``field`` (by its input id)."""
    blocks = re.findall(r'<div class="field has-error[^"]*">.*?</div>', html, re.S)
    found = [b for b in blocks if f'id="id_{field}"' in b]
    assert found, f"no error shown at {field}"
    pattern = r'<p id="[^"]*_error" class="field-error" role="alert">(.*?)</p>'
    (shown,) = re.findall(pattern, found[0])
    return shown.split("<br>")


# --- who may open the pages -------------------------------------------------------------------


PAGES = [
    LIST,
    "/buero/rechnungen/monatsabschluss/",
    "/buero/rechnungen/mahnwesen/",
    "/buero/rechnungen/kontoauszuege/",
]


def test_the_office_and_cooperative_admins_open_every_page(books, api_as):
    for user in (books.office, books.coop_admin):
        client = api_as(user)
        for url in [*PAGES, f"{LIST}{books.bathroom.pk}/", f"{LIST}{books.painting.pk}/"]:
            assert client.get(url).status_code == 200, (user, url)


def test_a_workshop_admin_and_a_homeowner_are_refused_even_for_their_own_invoice(books, api_as):
    """403 on the lists; 404 on the page of one invoice, whether it exists or not."""
    own = {books.painter: books.painting, books.hanna: books.bathroom}
    for user, invoice in own.items():
        client = api_as(user)
        for url in PAGES:
            assert client.get(url).status_code == 403, (user, url)
        for pk in (invoice.pk, 999_999):
            assert client.get(f"{LIST}{pk}/").status_code == 404, (user, pk)
        base = f"{LIST}{invoice.pk}/"
        assert client.post(base + "stornieren/", {"confirm": "on"}).status_code == 404
        paid = client.post(base + "zahlung/", {"amount": "10", "booked_on": "2026-03-02"})
        assert paid.status_code == 404
    assert api_as(books.painter).post(f"{LIST}{books.draft.pk}/ausstellen/").status_code == 404
    with CAMT.open("rb") as handle:
        assert api_as(books.painter).post(PAGES[3], {"file": handle}).status_code == 403
    assert Payment.objects.count() == 0
    assert Invoice.objects.filter(kind=Invoice.Kind.CANCELLATION).count() == 0
    assert Invoice.objects.get(pk=books.draft.pk).is_draft
    assert not BankTransaction.objects.exists()


def test_anonymous_visitors_are_sent_to_the_staff_login(books, api_as):
    client = api_as(None)
    for url in [*PAGES, f"{LIST}{books.bathroom.pk}/"]:
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"], url
    response = client.post(f"{LIST}{books.draft.pk}/ausstellen/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert Invoice.objects.get(pk=books.draft.pk).is_draft


# --- the list ---------------------------------------------------------------------------------


def test_the_list_shows_every_document_with_german_amounts_open_amount_and_documents(
    books, api_as, django_assert_max_num_queries
):
    client = api_as(books.office)
    for n in range(3):  # the query count does not grow with the rows
        draft_for(books.world, title=f"Zusatz {n}")
    with django_assert_max_num_queries(14):
        html = page(client, LIST)
    assert set(rows(html)) == set(Invoice.objects.values_list("pk", flat=True))
    bathroom = books.bathroom
    assert bathroom.number in html and "Hanna Hüsing" in html
    assert format_eur(bathroom.gross_total) in html  # e.g. 8.241,40 €
    assert re.search(r"\d\.\d{3},\d\d €", html)
    assert f"/api/v1/invoices/{bathroom.pk}/pdf" in html
    assert f"/api/v1/invoices/{bathroom.pk}/xml" in html
    assert f"/api/v1/invoices/{books.draft.pk}/pdf" not in html  # a draft has no document yet
    assert f"Entwurf #{books.draft.pk}" in html
    # the open amount is derived from the payments
    from invoicing import payments

    payments.record_payment(bathroom, amount=Decimal("1000.00"), booked_on=TODAY)
    html = page(client, LIST)
    row = html.split(f'<tr data-invoice="{bathroom.pk}"', 1)[1].split("</tr>", 1)[0]
    assert format_eur(bathroom.amount_due - Decimal("1000.00")) in row
    # the document links work for the office
    pdf = client.get(f"/api/v1/invoices/{bathroom.pk}/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_the_filters_narrow_the_list(books, api_as):
    client = api_as(books.office)
    world = books.world
    (overdue,) = samples.private_package(world, date(2026, 1, 10))  # due 24.01.2026
    original, storno = samples.cancellation(world, TODAY)
    # what is owed: not the cancelled invoice, nor its cancellation's negative amount
    owed = books.bathroom.amount_due + books.painting.amount_due + overdue.amount_due
    summary = re.search(r'data-testid="summary">.*?</p>', page(client, LIST), re.S).group(0)
    assert f"<strong>{format_eur(owed)}</strong>" in summary
    assert rows(page(client, f"{LIST}?status=draft")) == [books.draft.pk]
    assert rows(page(client, f"{LIST}?status=overdue")) == [overdue.pk]
    listed = page(client, LIST)
    badges = re.findall(r'<tr data-invoice="(\d+)" class="overdue"', listed)
    assert badges == [str(overdue.pk)]
    # Only what is overdue is red in the open column, not what is open and not yet due.
    red = re.findall(r'<tr data-invoice="(\d+)"[^>]*>(?:(?!</tr>).)*class="num due"', listed, re.S)
    assert red == [str(overdue.pk)]
    assert '<span class="due">(überfällig)</span>' in page(client, f"{LIST}{overdue.pk}/")
    assert "(überfällig)" not in page(client, f"{LIST}{books.bathroom.pk}/")
    # the cancellation document sits with the invoice it cancels, not among the issued ones
    cancelled = page(client, f"{LIST}?status=cancelled")
    assert set(rows(cancelled)) == {original.pk, storno.pk}
    assert 'data-state="cancellation">Stornorechnung</span>' in cancelled
    issued = set(rows(page(client, f"{LIST}?status=issued")))
    assert issued == {books.bathroom.pk, books.painting.pk, overdue.pk}
    html = page(client, f"{LIST}?aussteller=ws{world.maler.pk}")
    assert rows(html) == [books.painting.pk]
    assert rows(page(client, f"{LIST}?suche=bruns")) == [books.painting.pk]
    assert rows(page(client, f"{LIST}?suche={overdue.number}")) == [overdue.pk]
    assert rows(page(client, f"{LIST}?monat=2026-01")) == [overdue.pk]
    assert rows(page(client, f"{LIST}?monat=01%2F2026&status=overdue")) == [overdue.pk]
    # the state tabs keep the other filters and count what they leave
    html = page(client, f"{LIST}?monat=2026-03")
    assert 'href="?monat=2026-03&amp;status=draft"' in html
    assert re.search(r'data-state="overdue">überfällig <span class="count">0</span>', html)


def test_a_bad_filter_is_refused_at_its_field(books, api_as):
    response = api_as(books.office).get(f"{LIST}?monat=2026-13")
    assert response.status_code == 400
    html = response.content.decode()
    assert rows(html) == []
    errors = re.search(r'<div class="ffield has-error">.*?</div>', html, re.S).group(0)
    assert 'for="id_monat"' in errors and "MM/JJJJ" in errors
    assert api_as(books.office).get(f"{LIST}?status=bogus").status_code == 400


def test_the_list_is_paginated_and_says_so_when_empty(books, api_as):
    client = api_as(books.office)
    for n in range(25):
        draft_for(books.world, title=f"Entwurf {n}")
    first, second = page(client, LIST), page(client, f"{LIST}?seite=2")
    assert len(rows(first)) == 25 and len(rows(second)) == Invoice.objects.count() - 25
    assert not set(rows(first)) & set(rows(second))
    assert "Seite 1 von 2" in first and 'href="?seite=2"' in first
    html = page(client, f"{LIST}?suche=niemand")
    assert rows(html) == [] and 'data-testid="empty"' in html
    assert "Keine Rechnung passt zu diesen Filtern." in html


def test_an_empty_cooperative_sees_the_empty_state(db, api_as, django_user_model):
    office = django_user_model.objects.create_user("olga", password="pw", role="office")
    html = page(api_as(office), LIST)
    assert 'data-testid="empty"' in html and "Noch keine Rechnungen." in html


# --- the detail page ----------------------------------------------------------------------------


def test_the_detail_shows_lines_totals_payments_and_documents(books, api_as):
    from invoicing import payments

    bathroom = books.bathroom
    payments.record_payment(
        bathroom, amount=Decimal("500.00"), booked_on=TODAY, reference="Anzahlung Hüsing"
    )
    html = page(api_as(books.office), f"{LIST}{bathroom.pk}/")
    for line in bathroom.lines.all():
        assert line.text in html
    # quantities as written in German: 15,1 Std. reads as fifteen, 15,100 as fifteen thousand
    books.draft.lines.filter(pk=books.draft.lines.first().pk).update(
        quantity=Decimal("15.100"), unit="HUR"
    )
    shown = page(api_as(books.office), f"{LIST}{books.draft.pk}/")
    assert 'class="num qty">15,1 <span class="nowrap">Std.</span></td>' in shown
    assert format_eur(bathroom.net_total) in html and format_eur(bathroom.gross_total) in html
    assert "USt. 19 %" in html
    assert "Anzahlung Hüsing" in html and "500,00 €" in html
    opened = re.search(r'data-testid="open-amount">.*?</p>', html, re.S).group(0)
    assert format_eur(bathroom.amount_due - Decimal("500.00")) in opened
    assert f"/api/v1/invoices/{bathroom.pk}/pdf" in html
    assert 'data-testid="payment-form"' in html and 'data-testid="cancel-form"' in html
    assert 'data-testid="issue-form"' not in html
    draft = page(api_as(books.office), f"{LIST}{books.draft.pk}/")
    assert 'data-testid="issue-form"' in draft and 'data-testid="cancel-form"' not in draft
    assert f"/api/v1/invoices/{books.draft.pk}/pdf" not in draft


def test_a_draft_can_be_deleted_an_issued_invoice_cannot(books, api_as):
    """A draft that cannot be issued (master data missing) is deleted and made anew."""
    assert api_as(books.painter).post(f"{LIST}{books.draft.pk}/loeschen/").status_code == 404
    client = api_as(books.office)
    assert 'data-testid="delete-draft-form"' in page(client, f"{LIST}{books.draft.pk}/")
    assert 'data-testid="delete-draft-form"' not in page(client, f"{LIST}{books.bathroom.pk}/")
    deleted = client.post(f"{LIST}{books.draft.pk}/loeschen/")
    assert deleted.status_code == 302 and deleted["Location"] == LIST
    assert not Invoice.objects.filter(pk=books.draft.pk).exists()
    assert "gelöscht" in page(client, LIST)
    kept = client.post(f"{LIST}{books.bathroom.pk}/loeschen/")
    assert kept.status_code == 422 and "storniert" in kept.content.decode()
    assert Invoice.objects.filter(pk=books.bathroom.pk).exists()


def test_the_detail_reads_lines_and_deductions_once_however_many_lines(books, api_as):
    client = api_as(books.office)
    line = services.LineInput(
        kind="labour",
        text="Elektroinstallation",
        quantity=Decimal("1"),
        unit="HUR",
        unit_price=Decimal("61.50"),
        performed_by=books.world.maler,
    )
    customer, _site = samples.private_customer()
    drafts = [
        services.create_draft(
            customer=customer,
            lines=[line] * n,
            title=f"{n} Positionen",
            performance_start=TODAY - timedelta(days=3),
            performance_end=TODAY - timedelta(days=1),
        )
        for n in (1, 6)
    ]
    queries = []
    for draft in drafts:
        with CaptureQueriesContext(connection) as captured:
            page(client, f"{LIST}{draft.pk}/")
        queries.append([q["sql"] for q in captured.captured_queries])
    one_line, six_lines = queries
    assert len(six_lines) == len(one_line)
    for table in ("invoicing_invoiceline", "invoicing_invoicededuction"):
        assert sum(f'FROM "{table}"' in sql for sql in six_lines) == 1, table


def test_issuing_a_draft_numbers_it(books, api_as):
    client = api_as(books.office)
    response = client.post(f"{LIST}{books.draft.pk}/ausstellen/", {"issue_date": ""})
    assert response.status_code == 302 and response["Location"] == f"{LIST}{books.draft.pk}/"
    issued = Invoice.objects.get(pk=books.draft.pk)
    assert issued.state == Invoice.State.ISSUED and issued.number == "RE-2026-00002"
    assert issued.issue_date == TODAY
    html = page(client, response["Location"])
    assert "RE-2026-00002" in html and "ausgestellt" in html


def test_issuing_before_the_work_is_refused_at_the_date_and_numbers_nothing(books, api_as):
    counters = list(InvoiceCounter.objects.values_list("issuer_key", "last"))
    response = api_as(books.office).post(
        f"{LIST}{books.draft.pk}/ausstellen/", {"issue_date": "2026-02-01"}
    )
    assert response.status_code == 422
    assert field_errors(response.content.decode(), "issue_date") == [
        "Das Rechnungsdatum liegt vor der Leistung."
    ]
    assert Invoice.objects.get(pk=books.draft.pk).is_draft
    assert list(InvoiceCounter.objects.values_list("issuer_key", "last")) == counters
    bad = api_as(books.office).post(
        f"{LIST}{books.draft.pk}/ausstellen/", {"issue_date": "gestern"}
    )
    assert bad.status_code == 422 and field_errors(bad.content.decode(), "issue_date")


def test_cancelling_needs_the_confirmation_then_creates_the_cancellation(books, api_as):
    client = api_as(books.office)
    url = f"{LIST}{books.bathroom.pk}/stornieren/"
    refused = client.post(url, {"issue_date": ""})
    assert refused.status_code == 422
    assert field_errors(refused.content.decode(), "confirm") == [
        "Bitte bestätigen Sie die Stornierung mit dem Häkchen."
    ]
    assert Invoice.objects.get(pk=books.bathroom.pk).state == Invoice.State.ISSUED
    assert not Invoice.objects.filter(kind=Invoice.Kind.CANCELLATION).exists()

    response = client.post(url, {"confirm": "on", "issue_date": ""})
    storno = Invoice.objects.get(kind=Invoice.Kind.CANCELLATION)
    assert response.status_code == 302 and response["Location"] == f"{LIST}{storno.pk}/"
    assert (
        storno.original_id == books.bathroom.pk
        and storno.gross_total == -books.bathroom.gross_total
    )
    assert Invoice.objects.get(pk=books.bathroom.pk).state == Invoice.State.CANCELLED
    html = page(client, response["Location"])
    assert books.bathroom.number in html and storno.number in html
    assert 'data-testid="cancel-form"' not in html  # a cancellation is not cancelled
    again = client.post(url, {"confirm": "on"})
    assert again.status_code == 422
    assert "Nur ausgestellte Rechnungen werden storniert." in again.content.decode()
    assert Invoice.objects.filter(kind=Invoice.Kind.CANCELLATION).count() == 1


def test_a_paid_invoice_cancelled_shows_its_credit_once_on_the_invoice(books, api_as):
    client = api_as(books.office)
    bathroom = books.bathroom
    payments.record_payment(bathroom, amount=bathroom.amount_due, booked_on=TODAY)
    client.post(f"{LIST}{bathroom.pk}/stornieren/", {"confirm": "on", "issue_date": ""})
    storno = Invoice.objects.get(kind=Invoice.Kind.CANCELLATION)
    original = page(client, f"{LIST}{bathroom.pk}/")
    assert "Guthaben" in original and "8.241,40 €" in original.split('data-testid="open-amount"')[1]
    cancellation = page(client, f"{LIST}{storno.pk}/")
    # the cancellation is no claim, nor a second credit, and falls due never
    assert 'data-testid="open-amount"' not in cancellation and "Guthaben" not in cancellation
    assert "<dt>Fällig</dt>" not in cancellation
    assert payments.balance(storno) == payments.Balance(open=0, charges_open=0)

    # The transfer for the bank, filled in with the customer's name (no statement named an
    # account: the payment was booked by hand), refused at its fields, then as a SEPA file.
    transfer = original.split('data-testid="refund-transfer-form"', 1)[1].split("</form>", 1)[0]
    assert f'value="{bathroom.buyer_name}"' in transfer and 'value="8241,40"' in transfer
    sepa = f"{LIST}{bathroom.pk}/erstattung/sepa/"
    filled = {"name": "Hanna Kundin", "execution_date": "2026-03-02"}
    wrong = client.post(sepa, {**filled, "iban": "DE00 1234", "amount": "9.000,00"})
    assert wrong.status_code == 422
    assert field_errors(wrong.content.decode(), "iban")[0] == "DE001234 ist keine gültige IBAN."
    good = {**filled, "iban": "de89 3704 0044 0532 0130 00", "amount": "9.000,00"}
    over = client.post(sepa, good)
    assert "Höchstens das Guthaben" in field_errors(over.content.decode(), "amount")[0]
    prepared = client.post(sepa, {**good, "amount": "8.000,00"})
    assert prepared.status_code == 302
    transfer = RefundTransfer.objects.get(invoice=bathroom)
    assert prepared["Location"].endswith(f"{bathroom.pk}/#transfer-{transfer.pk}")
    listed = page(client, prepared["Location"])
    assert "Überweisung über 8.000,00 € an Hanna Kundin vorbereitet" in listed
    (item,) = [c.split("</li>")[0] for c in listed.split('data-testid="prepared-transfer"')[1:]]
    assert "IBAN DE89 3704 0044 0532 0130 00" in item  # in groups, to read out
    file_url = f"{sepa}{transfer.pk}/"
    assert f'href="{file_url}"' in item
    xml = client.get(file_url)
    assert xml.status_code == 200 and xml["Content-Type"] == "application/xml"
    assert f"erstattung-{bathroom.number}-{transfer.pk}.xml" in xml["Content-Disposition"]
    body = xml.content.decode()
    assert "<IBAN>DE89370400440532013000</IBAN>" in body and "8000.00" in body
    assert f"Erstattung Guthaben {bathroom.number}" in body
    # the file books nothing, but holds its amount: a second click cannot pay it twice
    assert payments.balance(Invoice.objects.get(pk=bathroom.pk)).open == Decimal("-8241.40")
    twice = client.post(sepa, {**good, "amount": "8.000,00"})
    assert "höchstens 241,40 €" in field_errors(twice.content.decode(), "amount")[0]
    rest_form = listed.split('data-testid="refund-transfer-form"', 1)[1].split("</form>", 1)[0]
    assert 'value="241,40"' in rest_form  # what is left, offered for another transfer
    # the bank refused it: discarded, the whole credit is free again
    discarded = client.post(f"{file_url}verwerfen/")
    assert discarded.status_code == 302
    transfer.refresh_from_db()
    assert transfer.state == RefundTransfer.State.DISCARDED
    original = page(client, f"{LIST}{bathroom.pk}/")
    assert 'data-testid="prepared-transfer"' not in original

    # the whole credit in one transfer, carried out and booked there
    client.post(sepa, {**good, "amount": "8.241,40"})
    whole = RefundTransfer.objects.get(invoice=bathroom, state=RefundTransfer.State.PREPARED)
    held = page(client, f"{LIST}{bathroom.pk}/")
    assert 'data-testid="refund-transfer-form"' not in held  # nothing left to transfer
    assert 'data-testid="refund-form"' not in held  # nor to book some other way
    booked_url = f"{sepa}{whole.pk}/gebucht/"
    prefix = f"transfer{whole.pk}"
    future = client.post(booked_url, {f"{prefix}-booked_on": "2026-03-09"})
    assert future.status_code == 422
    assert field_errors(future.content.decode(), f"{prefix}-booked_on")
    done = client.post(booked_url, {f"{prefix}-booked_on": "2026-03-02"})
    assert done.status_code == 302
    after = page(client, done["Location"])
    assert "Erstattung von 8.241,40 € gebucht; es ist nichts mehr zu erstatten." in after
    assert "per SEPA-Überweisung an Hanna Kundin" in after  # the payments table names it
    assert 'data-testid="refund"' not in after
    whole.refresh_from_db()
    assert whole.state == RefundTransfer.State.BOOKED
    # the button pressed twice (or a second clerk): said, and booked once
    again = client.post(booked_url, {f"{prefix}-booked_on": "2026-03-02"})
    assert again.status_code == 302
    assert "Diese Überweisung ist bereits gebucht oder verworfen." in page(
        client, again["Location"]
    )
    assert bathroom.payments.filter(source=Payment.Source.REFUND).count() == 1
    # the bank returns it (her account was closed): booked back, the credit open again
    assert 'data-testid="transfer-returned"' in after
    came_back = client.post(
        f"{sepa}{whole.pk}/zurueck/", {f"return{whole.pk}-booked_on": "2026-03-02"}
    )
    assert came_back.status_code == 302
    reopened = page(client, came_back["Location"])
    assert "kam zurück: Das Guthaben ist wieder offen" in reopened
    assert "von der Bank zurückgegeben" in reopened
    assert 'data-testid="refund-transfer-form"' in reopened  # ready for another transfer
    assert payments.balance(Invoice.objects.get(pk=bathroom.pk)).open == Decimal("-8241.40")


def test_a_credit_booked_by_hand_without_a_transfer(books, api_as):
    client = api_as(books.office)
    bathroom = books.bathroom
    payments.record_payment(bathroom, amount=bathroom.amount_due, booked_on=TODAY)
    client.post(f"{LIST}{bathroom.pk}/stornieren/", {"confirm": "on", "issue_date": ""})
    original = page(client, f"{LIST}{bathroom.pk}/")

    # The credit is paid back and booked: then nothing is left to do.
    form = original.split('data-testid="refund-form"', 1)[1].split("</form>", 1)[0]
    assert 'value="8241,40"' in form
    url = f"{LIST}{bathroom.pk}/erstattung/"
    too_much = client.post(url, {"amount": "9.000,00", "booked_on": "2026-03-02"})
    assert too_much.status_code == 422
    assert "Höchstens das Guthaben" in field_errors(too_much.content.decode(), "amount")[0]
    done = client.post(url, {"amount": "8.241,40", "booked_on": "2026-03-02", "reference": "R"})
    assert done.status_code == 302
    after = page(client, done["Location"])
    assert "Erstattung von 8.241,40 € gebucht; es ist nichts mehr zu erstatten." in after
    assert 'data-testid="refund-form"' not in after and "Guthaben" not in after
    assert "Erstattung an den Kunden" in after  # the payments table names it


def test_cancelling_an_invoice_paid_out_to_the_members_says_their_shares_come_back(books, api_as):
    bathroom = books.bathroom
    payments.record_payment(bathroom, amount=bathroom.amount_due, booked_on=TODAY)
    with time_machine.travel("2026-04-01 09:00 +02:00", tick=False):
        settlement.settle_month(date(2026, 3, 1))
        client = api_as(books.office)  # a session from a month ago has expired
        assert 'data-testid="reclaims"' not in page(client, "/buero/rechnungen/monatsabschluss/")
    with time_machine.travel("2026-04-02 09:00 +02:00", tick=False):
        done = client.post(f"{LIST}{bathroom.pk}/stornieren/", {"confirm": "on", "issue_date": ""})
        shown = page(client, done["Location"])
        assert "bereits ausgezahlt" in shown and "nächsten Gutschriften" in shown
        month_end = page(client, "/buero/rechnungen/monatsabschluss/")
    panel = month_end.split('data-testid="reclaims"', 1)[1].split("</section>", 1)[0]
    rows = re.findall(r'<tr data-testid="reclaim">(.*?)</tr>', panel, re.S)
    assert len(rows) == 2
    assert any(books.world.sanitaer.name in r and "6.175,20 €" in r for r in rows)
    assert all(bathroom.number in r and "02.04.2026" in r for r in rows)


def test_a_payment_by_hand_is_recorded_and_settles_the_invoice(books, api_as):
    client = api_as(books.office)
    bathroom = books.bathroom
    url = f"{LIST}{bathroom.pk}/zahlung/"
    first = client.post(url, {"amount": "1.000,00", "booked_on": "2026-03-02", "reference": "T1"})
    assert first.status_code == 302
    assert Payment.objects.get().amount == Decimal("1000.00")
    html = page(client, first["Location"])
    assert "Zahlung über 1.000,00 € erfasst" in html
    rest = bathroom.amount_due - Decimal("1000.00")
    second = client.post(url, {"amount": f"{rest}", "booked_on": "2026-03-02", "reference": ""})
    assert second.status_code == 302
    bathroom.refresh_from_db()
    assert bathroom.state == Invoice.State.PAID and bathroom.paid_on == TODAY
    assert 'data-testid="payment-form"' not in page(client, second["Location"])  # nothing open


def test_more_than_is_open_is_booked_only_when_confirmed(books, api_as):
    client = api_as(books.office)
    bathroom = books.bathroom
    url = f"{LIST}{bathroom.pk}/zahlung/"
    typo = bathroom.amount_due * 10
    body = {"amount": f"{typo}", "booked_on": "2026-03-02", "reference": "T1"}
    asked = client.post(url, body)
    assert asked.status_code == 422 and Payment.objects.count() == 0
    errors = field_errors(asked.content.decode(), "amount")
    assert any("mehr als offen" in error for error in errors), errors
    assert 'name="confirm_overpayment"' in asked.content.decode()
    booked = client.post(url, {**body, "confirm_overpayment": "on"})
    assert booked.status_code == 302 and Payment.objects.get().amount == typo
    assert "Guthaben" in page(client, booked["Location"])


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"amount": "zehn", "booked_on": "2026-03-02"}, "amount", "Bitte einen Betrag wie"),
        ({"amount": "1e999", "booked_on": "2026-03-02"}, "amount", "Bitte einen Betrag wie"),
        ({"amount": "-5", "booked_on": "2026-03-02"}, "amount", "größer als 0"),
        ({"amount": "10,005", "booked_on": "2026-03-02"}, "amount", "ganze Cent"),
        ({"amount": "10", "booked_on": "2026-03-09"}, "booked_on", "Zukunft"),
        ({"amount": "10", "booked_on": ""}, "booked_on", "Dieses Feld ist zwingend erforderlich."),
        # the service's own check, shown at the field it names
        ({"amount": "10", "booked_on": "2026-02-20"}, "booked_on", "vor dem Rechnungsdatum"),
    ],
)
def test_a_bad_payment_is_shown_at_its_field_and_writes_nothing(
    books, api_as, data, field, message
):
    response = api_as(books.office).post(f"{LIST}{books.bathroom.pk}/zahlung/", data)
    assert response.status_code == 422
    errors = field_errors(response.content.decode(), field)
    assert any(message in error for error in errors), errors
    assert Payment.objects.count() == 0
    assert Invoice.objects.get(pk=books.bathroom.pk).state == Invoice.State.ISSUED


# --- month-end ----------------------------------------------------------------------------------


def finished_package(world, title="Steckdosen nachrüsten", day=date(2026, 2, 20)):
    from scheduling.models import Appointment

    customer, site = samples.private_customer()
    package = samples._package(
        customer,
        site,
        title,
        day,
        [("dosen", "Steckdosen setzen", world.trades["elektro"], "3", "45")],
    )
    start = timezone.make_aware(datetime(day.year, day.month, day.day, 8))
    Appointment.objects.create(
        task=package.tasks.get(),
        workshop=world.elektro,
        start=start,
        end=start + timedelta(hours=3),
        status="accepted",
        travel_km=10,
    )
    return package


def test_the_month_end_page_starts_the_run_for_an_ended_month_only(
    books, api_as, django_capture_on_commit_callbacks
):
    client = api_as(books.office)
    url = "/buero/rechnungen/monatsabschluss/"
    html = page(client, url)
    assert 'value="2026-02"' in html  # the month before is proposed
    running_month = client.post(url, {"period": "2026-03"})
    assert running_month.status_code == 422
    assert field_errors(running_month.content.decode(), "period") == [
        "Ein Monat wird erst nach seinem Ende abgeschlossen."
    ]
    assert client.post(url, {"period": "März"}).status_code == 422
    # Written right but no month the books can have: the message says which part is wrong.
    for typed, says in (
        ("1999-01", "Monate vor Januar 2000"),
        ("2026-13", "Monat 13 gibt es"),
        ("2020-01", "Die erste Rechnung stammt aus 03/2026"),  # a typo in the year
    ):
        refused = client.post(url, {"period": typed})
        assert refused.status_code == 422 and says in refused.content.decode()
    assert not Operation.objects.exists()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(url, {"period": "2026-02"})
    operation = Operation.objects.get()
    assert operation.kind == "invoicing.month_end" and operation.params == {"period": "2026-02"}
    assert operation.created_by == books.office and len(callbacks) == 1  # the task, on commit
    assert response.status_code == 302 and response["Location"] == f"{url}?vorgang={operation.pk}"
    # the page's script asks for JSON: the same run (still queued) and its panel
    with django_capture_on_commit_callbacks(execute=False):
        again = client.post(url, {"period": "2026-02"}, headers={"Accept": "application/json"})
    assert again.status_code == 202
    body = again.json()
    assert body["operation"] == operation.pk and body["running_already"] is True
    assert f'data-operation="{operation.pk}"' in body["panel"]
    refused = client.post(url, {"period": "2026-13"}, headers={"Accept": "application/json"})
    assert refused.status_code == 422 and "period" in refused.json()["errors"]


def test_a_reload_shows_the_runs_state_from_the_database_and_its_result(books, api_as):
    client = api_as(books.office)
    url = "/buero/rechnungen/monatsabschluss/"
    package = finished_package(books.world)
    operation = Operation.objects.create(
        kind="invoicing.month_end",
        params={"period": "2026-02"},
        state=Operation.State.RUNNING,
        progress=1,
        total=2,
        created_by=books.office,
    )
    html = page(client, url)
    assert 'max="2" value="1"' in html and "1 von 2 Schritten (50 %)" in html
    assert 'data-state="running"' in html
    html = page(client, f"{url}?vorgang={operation.pk}")
    assert 'max="2" value="1"' in html

    Operation.objects.filter(pk=operation.pk).update(state=Operation.State.QUEUED)
    settlement.do_month_end(operation.pk, worker="test")
    operation.refresh_from_db()
    assert operation.state == Operation.State.DONE, operation.error
    (number,) = operation.result["issued"]
    invoice = Invoice.objects.get(number=number)
    assert invoice.package_id == package.pk
    html = page(client, f"{url}?vorgang={operation.pk}")
    assert 'data-state="done"' in html
    assert re.search(r'data-testid="issued-count">1<', html)
    assert f'href="{LIST}{invoice.pk}/">{number}</a>' in html
    # the list link shows the month's documents (issued today, 2 March)
    assert f'href="{LIST}?monat=2026-03" data-testid="to-list"' in html
    failed = Operation.objects.create(
        kind="invoicing.month_end", params={"period": "2026-01"}, state="failed", error="kaputt"
    )
    html = page(client, f"{url}?vorgang={failed.pk}")
    assert 'data-testid="op-error"' in html and "kaputt" in html


def test_the_books_are_exported_from_the_month_end_page(books, api_as):
    client = api_as(books.office)
    html = page(client, "/buero/rechnungen/monatsabschluss/")
    form = html.split('data-testid="exports"', 1)[1].split("</form>", 1)[0]
    # the month before (the page is opened on 2 March 2026)
    assert 'name="start" value="2026-02-01"' in form and 'name="end" value="2026-02-28"' in form
    url = re.search(r'action="([^"]+)"', form)[1]
    assert 'name="format" value="csv"' in form and 'name="format" value="datev"' in form
    march = {"start": "2026-03-01", "end": "2026-03-31"}
    listed = client.get(url, {**march, "format": "csv"})
    assert listed.status_code == 200 and books.bathroom.number in listed.content.decode()
    assert "rechnungen_coop_20260301_20260331.csv" in listed["Content-Disposition"]
    batch = client.get(url, {**march, "format": "datev"})
    assert batch.status_code == 200 and batch.content.startswith(b'"EXTF";700')
    assert api_as(books.painter).get(url, {**march, "format": "datev"}).status_code == 403


@pytest.mark.parametrize(
    ("period", "field", "text"),
    [
        ({"start": "2026-03-31", "end": "2026-03-01"}, "end", "Das Ende liegt vor dem Beginn."),
        ({"start": "2026-03-01", "end": "31.03."}, "end", "gültiges Datum"),
        ({"start": "", "end": "2026-03-31"}, "start", "zwingend erforderlich"),
    ],
)
@pytest.mark.parametrize("kind", ["csv", "datev"])
def test_a_period_the_export_cannot_take_is_shown_at_its_field_on_the_page(
    books, api_as, period, field, text, kind
):
    refused = api_as(books.office).get(
        "/buero/rechnungen/monatsabschluss/export/", {**period, "format": kind}
    )
    assert refused.status_code == 422 and refused["Content-Type"].startswith("text/html")
    html = refused.content.decode()
    assert any(text in error for error in field_errors(html, field))
    # what was typed stays, the rest of the page is there
    form = html.split('data-testid="exports"', 1)[1].split("</form>", 1)[0]
    assert f'value="{period["start"]}"' in form or not period["start"]
    assert 'data-testid="month-end-form"' in html


def test_a_datev_batch_across_two_fiscal_years_is_refused_at_the_end(books, api_as):
    refused = api_as(books.office).get(
        "/buero/rechnungen/monatsabschluss/export/",
        {"start": "2025-12-01", "end": "2026-01-31", "format": "datev"},
    )
    assert refused.status_code == 422
    assert "in einem Wirtschaftsjahr" in field_errors(refused.content.decode(), "end")[0]


def test_only_month_end_runs_are_shown_on_the_page(books, api_as):
    other = Operation.objects.create(kind="roundtrip")
    url = "/buero/rechnungen/monatsabschluss/"
    assert api_as(books.office).get(f"{url}?vorgang={other.pk}").status_code == 404
    run = Operation.objects.create(kind="invoicing.month_end", params={"period": "2026-02"})
    assert api_as(books.office).get(f"{url}?vorgang={run.pk}").status_code == 200
    assert api_as(books.painter).get(f"{url}?vorgang={run.pk}").status_code == 403
    assert api_as(books.office).get(f"{url}?vorgang={run.pk + 100}").status_code == 404


def test_the_homeowner_sees_on_her_order_where_the_invoices_payment_stands(books, api_as):
    invoice = books.bathroom  # issued 02.03.2026, payable by 16.03.2026
    url = f"/auftrag/{invoice.package_id}/"

    def note(client):
        html = page(client, url)
        item = html.split(invoice.number, 1)[1].split("</li>", 1)[0]
        return re.search(r'data-testid="doc-note">(.*?)</span>', item)[1]

    def pay(client):
        item = page(client, url).split(invoice.number, 1)[1].split("</li>", 1)[0]
        block = re.search(r'data-testid="doc-pay">(.*?)</div>', item, re.S)
        return block[1] if block else None

    hanna = api_as(books.hanna)
    assert note(hanna) == "8.241,40 € offen, zahlbar bis 16.03.2026"
    # What her banking app needs, next to it: payee, IBAN as printed, amount, reference, and a
    # GiroCode to scan from the laptop's screen.
    details = pay(hanna)
    spaced = " ".join(invoice.seller_iban[i : i + 4] for i in range(0, 22, 4))
    for shown in (invoice.seller_name, spaced, "8.241,40 €", f"Rechnung {invoice.number}"):
        assert shown in details, shown
    assert 'src="data:image/svg+xml' in details
    payments.record_payment(invoice, amount="1000.00", booked_on=TODAY)
    assert note(hanna) == "7.241,40 € offen, zahlbar bis 16.03.2026"
    assert "7.241,40 €" in pay(hanna)
    with time_machine.travel("2026-04-08 10:00 +02:00", tick=False):
        dunning.run_dunning(date(2026, 3, 23))
        dunning.run_dunning(date(2026, 4, 6))  # the first Mahnung: a 5 € fee and interest
        hanna = api_as(books.hanna)
        late = note(hanna)
        assert late.startswith("7.241,40 € offen, überfällig seit 16.03.2026 (zzgl. ")
        assert "Mahnkosten" in late and 'class="doc-note late"' in page(hanna, url)
        owed = invoice.amount_due - Decimal("1000.00") + payments.balance(invoice).charges_open
        assert format_eur(owed) in pay(hanna)  # the charges are transferred with it
        payments.record_payment(invoice, amount="7241.40", booked_on=date(2026, 4, 8))
        assert note(hanna).startswith("bezahlt; Mahnkosten von ")
        charges = payments.balance(invoice).charges_open
        payments.record_payment(invoice, amount=charges, booked_on=date(2026, 4, 8))
        assert note(hanna) == "bezahlt am 08.04.2026" and pay(hanna) is None
        english = page(hanna, f"/en{url}")
        assert "paid on 8 Apr 2026" in english  # an English page names the month
        # the office sees the same on the order's page
        assert "bezahlt am 08.04.2026" in page(api_as(books.office), url)
        # paid twice: a credit, and once the office prepared its transfer, on its way
        payments.record_payment(invoice, amount="50.00", booked_on=date(2026, 4, 8))
        assert note(hanna) == "Guthaben von 50,00 €, wird erstattet"
        payments.prepare_refund_transfer(
            invoice,
            name="Hanna",
            iban="DE89370400440532013000",
            amount=Decimal("50.00"),
            execution_date=date(2026, 4, 9),
        )
        assert note(hanna) == (
            "Guthaben von 50,00 €: Die Erstattung ist auf dem Weg zu Ihrem Konto "
            "(Überweisung am 09.04.2026)"
        )


# --- dunning ------------------------------------------------------------------------------------


def test_the_dunning_list_shows_levels_fees_and_the_next_step(books, api_as):
    client = api_as(books.office)
    (late,) = samples.private_package(books.world, date(2026, 1, 10))  # due 24.01.2026
    html = page(client, "/buero/rechnungen/mahnwesen/")
    assert rows(html) == [late.pk]  # not the invoices still within their term
    row = html.split(f'<tr data-invoice="{late.pk}"', 1)[1].split("</tr>", 1)[0]
    assert "24.01.2026" in row and "37 Tage überfällig" in row
    assert "nicht gemahnt" in row and "Zahlungserinnerung" in row and "nächsten Tageslauf" in row

    dunning.run_dunning(TODAY)  # the reminder goes out today
    html = page(client, "/buero/rechnungen/mahnwesen/")
    row = html.split(f'<tr data-invoice="{late.pk}"', 1)[1].split("</tr>", 1)[0]
    assert 'data-level="1"' in row and "Zahlungserinnerung" in row
    assert "in Verzug seit 03.03.2026" in row
    assert "1. Mahnung" in row and "am 16.03.2026" in row and "Gebühr 5,00\u00a0€" in row

    with time_machine.travel("2026-04-01 10:00 +02:00", tick=False):
        dunning.run_dunning(date(2026, 3, 16))
        dunning.run_dunning(date(2026, 3, 30))
        client = api_as(books.office)  # the session of March has expired
        html = page(client, "/buero/rechnungen/mahnwesen/?stufe=3")
        assert late.pk not in rows(page(client, "/buero/rechnungen/mahnwesen/?stufe=1"))
    row = html.split(f'<tr data-invoice="{late.pk}"', 1)[1].split("</tr>", 1)[0]
    assert "2. Mahnung" in row and "10,00 €" in row  # two consumer fees of 5 €
    assert "Keine weitere automatische Stufe" in row
    interest = dunning.default_interest(
        late.amount_due, [], dunning.interest_rates(late), date(2026, 3, 3), date(2026, 4, 1)
    )
    assert format_eur(interest) in row

    # Each letter sent can be opened, to read or to print for the post.
    links = re.findall(r'href="(/buero/rechnungen/mahnwesen/\d+/)" data-testid="notice-link"', row)
    assert len(links) == 3
    with time_machine.travel("2026-04-01 10:00 +02:00", tick=False):
        letter = page(client, links[-1])
    assert "2. Mahnung zur Rechnung" in letter and late.number in letter
    assert "Mahngebühren der früheren Mahnungen: 5,00 €" in letter
    assert late.buyer_name in letter and "data-print" in letter
    # the letter leads to its invoice, and to the PDF to enclose in a posted letter
    assert f'href="{LIST}{late.pk}/" data-testid="notice-invoice"' in letter
    assert f'href="/api/v1/invoices/{late.pk}/pdf" data-testid="notice-invoice-pdf"' in letter
    with time_machine.travel("2026-04-01 10:00 +02:00", tick=False):
        assert api_as(books.painter).get(links[-1]).status_code == 404

        # What is owed reads the same on the list and the invoice: the open amount plus the
        # charges the notices claimed; the interest running on since is shown beside them.
        charges = payments.balance(late).charges_open
        client = api_as(books.office)
        listed = page(client, "/buero/rechnungen/mahnwesen/")
        summary = re.search(r'data-testid="summary">.*?</p>', listed, re.S).group(0)
        assert f"zzgl. {format_eur(charges)} Mahnkosten" in summary
        detail = page(client, f"{LIST}{late.pk}/")
        owed = detail.split('data-testid="open-amount"', 1)[1].split("</p>", 1)[0]
        assert format_eur(late.amount_due + charges) in owed
        accrued = detail.split('data-testid="accrued-interest">', 1)[1].split("</p>", 1)[0]
        assert f"Verzugszinsen bis heute: {format_eur(interest)}" in accrued
        # a level without invoices says so, not that nothing is overdue
        empty = page(client, "/buero/rechnungen/mahnwesen/?stufe=0")
        assert "Keine Rechnung auf dieser Stufe." in empty and "Nichts überfällig" not in empty


def test_the_office_enters_the_half_years_base_rate_on_the_dunning_page(books, api_as):
    client = api_as(books.office)
    url = "/buero/rechnungen/mahnwesen/"
    BaseRate.objects.filter(valid_from__gte=date(2025, 7, 1)).delete()
    html = page(client, url)  # 2 March 2026: both half-years' rates are missing
    assert "Die Basiszinssätze ab 01.07.2025 und 01.01.2026 sind noch nicht eingetragen." in html
    assert '<option value="2025-07-01" selected>' in html  # the oldest offered first
    dunning.enter_base_rate(date(2025, 7, 1), Decimal("1.27"), today=date(2026, 3, 2))
    html = page(client, url)  # now only the rate from 1 January is missing
    assert "Der Basiszinssatz ab 01.01.2026 ist noch nicht eingetragen." in html
    assert 'data-testid="base-rate" open' in html

    # Refused at the field, nothing written: a day the rate does not change on, a wrong number.
    for data, field, text in (
        ({"valid_from": "2026-03-01", "rate": "1,27"}, "valid_from", "gültige Auswahl"),
        ({"valid_from": "2026-01-01", "rate": "zwei"}, "rate", "wie 1,27"),
        ({"valid_from": "2026-01-01", "rate": "12"}, "rate", "zwischen -5 und 10 %"),
        ({"valid_from": "2026-01-01", "rate": "-5,5"}, "rate", "nicht 127"),
        ({"valid_from": "2026-01-01", "rate": "1,275"}, "rate", "zwei Nachkommastellen"),
    ):
        refused = client.post(f"{url}basiszins/", data)
        assert refused.status_code == 422
        errors = field_errors(refused.content.decode(), field)
        assert any(text in error for error in errors), errors
    assert not BaseRate.objects.filter(valid_from=date(2026, 1, 1)).exists()

    entered = client.post(f"{url}basiszins/", {"valid_from": "2026-01-01", "rate": "1,27"})
    assert entered.status_code == 302
    html = page(client, url)
    assert "Basiszinssatz von 1,27 % ab 01.01.2026 eingetragen." in html
    assert 'data-testid="base-rate-missing"' not in html and "ab 01.01.2026: 1,27 %" in html
    entry = BaseRate.objects.get(valid_from=date(2026, 1, 1))
    assert entry.rate == Decimal("1.27") and entry.entered_by == books.office
    # a correction replaces the half-year's rate only when confirmed, and says what it was
    asked = client.post(f"{url}basiszins/", {"valid_from": "2026-01-01", "rate": "1,52"})
    assert asked.status_code == 422
    (error,) = field_errors(asked.content.decode(), "rate")
    assert "1,27 % ab 01.01.2026 ist bereits eingetragen" in error
    assert 'name="replace"' in asked.content.decode()
    assert BaseRate.objects.get(valid_from=date(2026, 1, 1)).rate == Decimal("1.27")
    replaced = client.post(
        f"{url}basiszins/", {"valid_from": "2026-01-01", "rate": "1,52", "replace": "on"}
    )
    assert replaced.status_code == 302
    assert "Basiszinssatz von 1,52 % ab 01.01.2026 eingetragen; er ersetzt 1,27 %." in page(
        client, url
    )
    assert BaseRate.objects.get(valid_from=date(2026, 1, 1)).rate == Decimal("1.52")
    # the same rate again changes nothing and asks nothing
    same = client.post(f"{url}basiszins/", {"valid_from": "2026-01-01", "rate": "1,52"})
    assert same.status_code == 302
    assert api_as(books.painter).post(f"{url}basiszins/", {}).status_code == 403


def test_dunning_charges_left_after_the_invoice_was_paid_are_listed_and_waived(books, api_as):
    (late,) = samples.private_package(books.world, date(2026, 1, 10))  # due 24.01.2026
    with time_machine.travel("2026-03-20 10:00 +01:00", tick=False):
        dunning.run_dunning(date(2026, 3, 2))  # reminder
        dunning.run_dunning(date(2026, 3, 16))  # 1. Mahnung: 5 € fee and interest
        client = api_as(books.office)
        # While the invoice is open the charges are part of what is asked, not waived.
        assert 'data-testid="waive-form"' not in page(client, f"{LIST}{late.pk}/")
        url = f"{LIST}{late.pk}/zahlung/"
        paid = client.post(url, {"amount": f"{late.amount_due}", "booked_on": "2026-03-20"})
        assert paid.status_code == 302
        charges = DunningNotice.objects.get(invoice=late, level=2)
        owed = charges.fee + charges.interest
        assert f"{format_eur(owed)} Mahnkosten bleiben offen" in page(client, paid["Location"])

        link = page(client, "/buero/rechnungen/mahnwesen/")
        assert "1 bezahlte Rechnung mit offenen Mahnkosten" in link
        listed = page(client, f"{LIST}?status=charges")
        assert rows(listed) == [late.pk]
        assert "dunning charges open" not in listed and "Mahnkosten offen" in listed
        assert f"+ {format_eur(owed)} Mahnkosten" in listed

        detail = page(client, f"{LIST}{late.pk}/")
        assert 'data-testid="waive-form"' in detail
        assert 'data-testid="payment-form"' in detail  # the charges can still be paid
        assert "Die Rechnung ist bezahlt" in detail

        waived = client.post(f"{LIST}{late.pk}/mahnkosten-erlassen/")
        assert waived.status_code == 302
        detail = page(client, waived["Location"])
        assert f"Mahnkosten von {format_eur(owed)} zu {late.number} erlassen" in detail
        assert "erlassen am 20.03.2026 (Olga)" in detail
        assert 'data-testid="waive-form"' not in detail
        assert 'data-testid="payment-form"' not in detail
        assert rows(page(client, f"{LIST}?status=charges")) == []

        again = client.post(f"{LIST}{late.pk}/mahnkosten-erlassen/")
        assert "keine Mahnkosten offen" in page(client, again["Location"])
    assert Dunning.objects.get(invoice=late).charges_waived == owed


# --- bank statements ----------------------------------------------------------------------------


def test_a_statement_is_imported_and_an_unmatched_credit_assigned_by_hand(books, api_as):
    client = api_as(books.office)
    url = "/buero/rechnungen/kontoauszuege/"
    with CAMT.open("rb") as handle:
        response = client.post(url, {"file": handle})
    assert response.status_code == 302
    html = page(client, url)
    assert (
        "Kontoauszug eingelesen. Zugeordnet: 1; teilweise bezahlt: 0; überzahlt: 0; "
        "von Hand zuzuordnen: 2." in html
    )
    todo = BankTransaction.objects.filter(status="unmatched")
    assert {t.amount for t in todo} == {Decimal("5000.00"), Decimal("123.45")}
    assert all(f'data-transaction="{t.pk}"' in html for t in todo)

    donation = todo.get(amount=Decimal("123.45"))
    assign = f"{url}{donation.pk}/zuordnen/"
    unknown = client.post(assign, {f"tx{donation.pk}-invoice": "RE-2026-09999"})
    assert unknown.status_code == 422
    assert "Es gibt keine Rechnung mit dieser Nummer." in unknown.content.decode()
    assert BankTransaction.objects.get(pk=donation.pk).status == "unmatched"
    number = books.painting.number.lower()  # typed in lower case
    done = client.post(assign, {f"tx{donation.pk}-invoice": number})
    assert done.status_code == 302
    assert BankTransaction.objects.get(pk=donation.pk).status == "assigned"
    assert Payment.objects.get(invoice=books.painting).amount == Decimal("123.45")

    # 5.000 € onto the painter's small invoice: more than is open, booked only when confirmed.
    big = todo.get(amount=Decimal("5000.00"))
    assign = f"{url}{big.pk}/zuordnen/"
    asked = client.post(assign, {f"tx{big.pk}-invoice": books.painting.number})
    assert asked.status_code == 422
    assert "mehr als offen" in asked.content.decode()
    assert 'data-testid="confirm-overpayment"' in asked.content.decode()
    assert BankTransaction.objects.get(pk=big.pk).status == "unmatched"
    confirmed = client.post(
        assign,
        {f"tx{big.pk}-invoice": books.painting.number, f"tx{big.pk}-confirm_overpayment": "on"},
    )
    assert confirmed.status_code == 302
    assert BankTransaction.objects.get(pk=big.pk).status == "assigned"

    junk = client.post(url, {"file": SimpleUploadedFile("x.xml", b"<nope/>")})
    assert junk.status_code == 422


def test_a_stray_credit_is_marked_as_dealt_with_and_can_be_put_back(books, api_as):
    client = api_as(books.office)
    url = "/buero/rechnungen/kontoauszuege/"
    with CAMT.open("rb") as handle:
        client.post(url, {"file": handle})
    stray = BankTransaction.objects.get(amount=Decimal("123.45"))
    html = page(client, url)
    assert "Keine Rechnungsnummer im Verwendungszweck" in html
    assert f'action="{url}{stray.pk}/erledigt/"' in html
    assert "Keine Gutschrift ist als erledigt markiert." in html

    mark = f"{url}{stray.pk}/erledigt/"
    empty = client.post(mark, {f"dw{stray.pk}-note": "   "})
    assert empty.status_code == 422
    assert field_errors(empty.content.decode(), f"dw{stray.pk}-note") == [
        "Bitte angeben, wie die Gutschrift erledigt wurde."
    ]
    assert BankTransaction.objects.get(pk=stray.pk).status == "unmatched"

    done = client.post(mark, {f"dw{stray.pk}-note": "an Kunden zurücküberwiesen am 3.3."})
    assert done.status_code == 302
    html = page(client, url)
    assert "ist als erledigt markiert" in html
    assert f'data-transaction="{stray.pk}"' not in html  # off the unmatched list
    assert f'data-dealt="{stray.pk}"' in html
    assert "an Kunden zurücküberwiesen am 3.3." in html
    assert "markiert von Olga am 02.03.2026" in html

    # a second clerk with the old page: told, nothing changes
    again = client.post(mark, {f"dw{stray.pk}-note": "Mitgliedsbeitrag"})
    assert again.status_code == 409
    assert "bereits als erledigt markiert" in again.content.decode()
    assign = client.post(
        f"{url}{stray.pk}/zuordnen/", {f"tx{stray.pk}-invoice": books.painting.number}
    )
    assert assign.status_code == 409
    assert not Payment.objects.filter(amount=Decimal("123.45")).exists()
    assert BankTransaction.objects.get(pk=stray.pk).dealt_note == (
        "an Kunden zurücküberwiesen am 3.3."
    )

    undone = client.post(f"{url}{stray.pk}/erledigt/zuruecknehmen/")
    assert undone.status_code == 302
    html = page(client, url)
    assert f'data-transaction="{stray.pk}"' in html and f'data-dealt="{stray.pk}"' not in html
    assert client.post(f"{url}{stray.pk}/erledigt/zuruecknehmen/").status_code == 409


def test_the_bank_page_says_why_a_credit_was_not_matched_in_english(books, api_as):
    client = api_as(books.office)
    with CAMT.open("rb") as handle:
        client.post("/buero/rechnungen/kontoauszuege/", {"file": handle})
    html = page(client, "/en/buero/rechnungen/kontoauszuege/")
    assert "No invoice number in the remittance information" in html
    assert "Keine Rechnungsnummer" not in html
    assert "No invoice: mark as dealt with" in html


def test_the_pages_speak_english_under_the_english_prefix(books, api_as):
    html = page(api_as(books.office), f"/en{LIST}")
    assert "<h1>Invoices" in html and "all issuers" in html and "overdue" in html
    assert f'href="/en{LIST}{books.bathroom.pk}/"' in html
    detail = page(api_as(books.office), f"/en{LIST}{books.draft.pk}/")
    assert "Issue invoice" in detail
    issued = page(api_as(books.office), f"/en{LIST}{books.bathroom.pk}/")
    assert f"Invoice {books.bathroom.number}" in issued
    assert "€8,241.40" in issued  # amounts as English writes them
    # The document's legal notes stay German (they are its text), and the page says so.
    assert books.bathroom.legal_notes and "as printed on it in German" in issued
    assert '<ul class="notes" lang="de">' in issued
    client = api_as(books.office)
    paid = client.post(
        f"/en{LIST}{books.bathroom.pk}/zahlung/", {"amount": "1,000.00", "booked_on": "02.03.2026"}
    )
    assert paid.status_code == 302
    assert "Payment of €1,000.00 recorded; €7,241.40 remain open." in page(client, paid["Location"])
    german = page(api_as(books.office), f"{LIST}{books.bathroom.pk}/")
    assert f"Rechnung {books.bathroom.number}" in german
    assert 'data-testid="notes-as-printed"' not in german


# --- field errors are linked to their input -----------------------------------------------------


def described_by(html, input_id) -> list[str]:
    """The texts of the elements the input's ``aria-describedby`` names."""
    tag = re.search(rf'<[^>]*\bid="{input_id}"[^>]*>', html)[0]
    ids = re.search(r'aria-describedby="([^"]*)"', tag)[1].split()
    return [re.search(rf'id="{i}"[^>]*>(.*?)</', html, re.S)[1] for i in ids]


def test_an_inputs_error_is_the_element_its_aria_describedby_names(books, api_as):
    client = api_as(books.office)
    refused = client.post(
        f"{LIST}{books.bathroom.pk}/zahlung/", {"amount": "zehn", "booked_on": "2026-03-02"}
    )
    assert refused.status_code == 422
    assert described_by(refused.content.decode(), "id_amount") == [
        "Bitte einen Betrag wie 1.234,56 eingeben."
    ]
    # with help text too: both named, both there
    refused = client.post(
        "/buero/rechnungen/mahnwesen/basiszins/", {"valid_from": "2026-01-01", "rate": "zwei"}
    )
    shown = described_by(refused.content.decode(), "id_rate")
    assert len(shown) == 2 and "Bundesbank" in shown[0] and "wie 1,27" in shown[1]
    # the list's filters and the bank's assign form write their errors the same way
    bad_month = page(client, f"{LIST}?monat=13/2026", status=400)
    assert "Einen Monat 13 gibt es nicht" in described_by(bad_month, "id_monat")[0]


# --- a cancelled invoice, the dunning letter, the month-end history ------------------------------


def test_a_cancelled_invoice_shows_no_payment_terms_and_says_why_its_credit_is_owed(books, api_as):
    client = api_as(books.office)
    bathroom = books.bathroom
    payments.record_payment(bathroom, amount="500.00", booked_on=TODAY)
    assert "Zahlbar ohne Abzug bis 16.03.2026" in page(client, f"{LIST}{bathroom.pk}/")
    client.post(f"{LIST}{bathroom.pk}/stornieren/", {"confirm": "on", "issue_date": ""})
    storno = Invoice.objects.get(kind=Invoice.Kind.CANCELLATION)
    html = page(client, f"{LIST}{bathroom.pk}/")
    assert "Zahlbar ohne Abzug" not in html and "<dt>Fällig</dt>" not in html
    assert f"Storniert durch {storno.number}" in html.split('data-testid="terms-void"')[1]
    reason = html.split('data-testid="refund-reason">', 1)[1].split("</p>", 1)[0]
    assert "500,00 € wurden auf diese Rechnung vor ihrer Stornierung gezahlt" in reason
    assert "mehr gezahlt als geschuldet" not in reason
    # the other notes stay as printed (the §35a share, the duty to keep the invoice)
    assert "§ 35a" in html


def test_the_dunning_letter_prints_the_iban_in_groups_of_four(books, api_as):
    (late,) = samples.private_package(books.world, date(2026, 1, 10))
    dunning.run_dunning(TODAY)
    notice = DunningNotice.objects.get(invoice=late)
    html = page(api_as(books.office), f"/buero/rechnungen/mahnwesen/{notice.pk}/")
    letter = html.split('data-testid="notice-letter"', 1)[1]
    grouped = " ".join(late.seller_iban[i : i + 4] for i in range(0, len(late.seller_iban), 4))
    assert f"IBAN {grouped}" in letter and late.seller_iban not in letter


def test_months_settled_without_a_run_on_the_page_are_not_called_no_run(books, api_as):
    from invoicing.models import SettlementRun

    url = "/buero/rechnungen/monatsabschluss/"
    assert "Hier noch kein Lauf gestartet." in page(api_as(books.office), url)
    SettlementRun.objects.create(period=date(2026, 1, 1))
    html = page(api_as(books.office), url)
    assert "Hier noch kein Lauf gestartet." not in html
    assert 'data-testid="no-runs-here"' in html and 'data-period="2026-01"' in html


# --- dates as the page's language writes them -----------------------------------------------------


def test_english_office_pages_write_dates_with_the_months_name(books, api_as):
    client = api_as(books.office)
    listed = page(client, f"/en{LIST}")
    row = listed.split(f'<tr data-invoice="{books.bathroom.pk}"', 1)[1].split("</tr>", 1)[0]
    assert "2 Mar 2026" in row and "16 Mar 2026" in row and "02.03.2026" not in row
    detail = page(client, f"/en{LIST}{books.bathroom.pk}/")
    facts = detail.split('class="facts"', 1)[1].split("</dl>", 1)[0]
    assert "2 Mar 2026" in facts and ".2026" not in facts
    # the German pages as before
    assert "02.03.2026" in page(client, LIST)
    BaseRate.objects.filter(valid_from__gte=date(2025, 7, 1)).delete()
    dunning_page = page(client, "/en/buero/rechnungen/mahnwesen/")
    assert "1 Jul 2025 and 1 Jan 2026" in dunning_page
    assert '<option value="2025-07-01" selected>1 Jul 2025</option>' in dunning_page


# --- credits owed back in the list --------------------------------------------------------------


def test_credits_to_refund_are_summed_in_the_header_and_filtered_in_the_list(books, api_as):
    client = api_as(books.office)
    bathroom = books.bathroom
    payments.record_payment(bathroom, amount="1100.00", booked_on=TODAY)
    client.post(f"{LIST}{bathroom.pk}/stornieren/", {"confirm": "on", "issue_date": ""})
    storno = Invoice.objects.get(kind=Invoice.Kind.CANCELLATION)
    html = page(client, LIST)
    summary = html.split('data-testid="summary"', 1)[1].split("</p>", 1)[0]
    assert "zu erstatten <strong>1.100,00 €</strong>" in summary
    tab = html.split('data-state="refund"', 1)[1].split("</a>", 1)[0]
    assert "zu erstatten" in tab and '<span class="count">1</span>' in tab
    assert rows(page(client, f"{LIST}?status=refund")) == [bathroom.pk]
    row = html.split(f'<tr data-invoice="{bathroom.pk}"', 1)[1].split("</tr>", 1)[0]
    assert "num refund" in row and 'data-testid="to-refund"' in row
    # the cancellation: a neutral badge, no due date
    row = html.split(f'<tr data-invoice="{storno.pk}"', 1)[1].split("</tr>", 1)[0]
    assert 'class="badge st-cancellation" data-state="cancellation">Stornorechnung' in row
    assert storno.due_date is None or storno.due_date.strftime("%d.%m.%Y") not in row
    # refunded: nothing left to refund, the header says nothing of it
    payments.record_refund(bathroom, amount=Decimal("1100.00"), booked_on=TODAY, reference="R")
    html = page(client, LIST)
    assert 'data-testid="refund-total"' not in html
    assert rows(page(client, f"{LIST}?status=refund")) == []
