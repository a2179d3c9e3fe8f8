"""DATEV Buchungsstapel (EXTF) and the plain CSV per period."""

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from invoicing import exports, payments, samples, settlement

D = Decimal
MARCH = (date(2026, 3, 1), date(2026, 3, 31))


def read_extf(content: bytes) -> list[list[str]]:
    text = content.decode("cp1252")
    assert text.endswith("\r\n")
    return list(csv.reader(io.StringIO(text), delimiter=";"))


@pytest.fixture
def booked(world, frozen):
    (bathroom,) = samples.private_package(world, frozen)
    (construction,) = samples.reverse_charge(world, frozen)
    payments.record_payment(construction, amount="1000.00", booked_on=frozen)
    return bathroom, construction


def test_the_header_follows_the_datev_format(settings, booked):
    settings.INVOICING_DATEV = {"consultant": 29098, "client": 55003, "chart": "SKR03"}
    rows = read_extf(
        exports.datev_batch("coop", *MARCH, now=datetime(2026, 4, 1, 8, 30, tzinfo=UTC))
    )
    header, columns = rows[0], rows[1]
    assert len(header) == 31
    assert header[:5] == ["EXTF", "700", "21", "Buchungsstapel", "13"]
    assert header[5].startswith("20260401") and len(header[5]) == 17
    assert header[10:16] == ["29098", "55003", "20260101", "4", "20260301", "20260331"]
    assert header[21] == "EUR" and header[26] == "03"
    assert header[16] == "Rechnungen 01.03.26–31.03.26"  # whole, within DATEV's 30 characters
    assert len(columns) == 125
    assert columns[:10] == [
        "Umsatz (ohne Soll/Haben-Kz)",
        "Soll/Haben-Kennzeichen",
        "WKZ Umsatz",
        "Kurs",
        "Basis-Umsatz",
        "WKZ Basis-Umsatz",
        "Konto",
        "Gegenkonto (ohne BU-Schlüssel)",
        "BU-Schlüssel",
        "Belegdatum",
    ]
    assert columns[113] == "Festschreibung" and columns[124] == "Abw. Skontokonto"
    assert all(len(row) == 125 for row in rows[2:])


def test_rows_book_debtor_against_revenue_and_bank_against_debtor(settings, booked):
    bathroom, construction = booked
    settings.INVOICING_DATEV = {"chart": "SKR03"}
    rows = read_extf(exports.datev_batch("coop", *MARCH))[2:]
    col = exports.INDEX
    by_number = {}
    for row in rows:
        by_number.setdefault(row[col["Belegfeld 1"]], []).append(row)
    (revenue,) = by_number[bathroom.number]
    assert revenue[col["Umsatz (ohne Soll/Haben-Kz)"]] == "8241,40"
    assert revenue[col["Soll/Haben-Kennzeichen"]] == "S"
    assert revenue[col["Konto"]] == str(10000 + bathroom.customer_id)
    assert revenue[col["Gegenkonto (ohne BU-Schlüssel)"]] == "8400"
    assert revenue[col["Belegdatum"]] == "0203"
    assert revenue[col["Leistungsdatum"]] == f"{bathroom.performance_end:%d%m%Y}"
    rc_invoice, rc_payment = by_number[construction.number]
    assert rc_invoice[col["Gegenkonto (ohne BU-Schlüssel)"]] == "8337"  # §13b revenue
    assert rc_invoice[col["Umsatz (ohne Soll/Haben-Kz)"]] == "8705,60"
    assert rc_payment[col["Konto"]] == "1200"
    assert rc_payment[col["Gegenkonto (ohne BU-Schlüssel)"]] == str(
        10000 + construction.customer_id
    )
    assert rc_payment[col["Umsatz (ohne Soll/Haben-Kz)"]] == "1000,00"


def test_skr04_and_a_cancellation_with_the_opposite_sign(settings, world, frozen):
    original, storno = samples.cancellation(world, frozen)
    settings.INVOICING_DATEV = {"chart": "SKR04", "accounts": {"debtor_base": 20000}}
    rows = read_extf(exports.datev_batch("coop", *MARCH))[2:]
    col = exports.INDEX
    signs = {r[col["Belegfeld 1"]]: r[col["Soll/Haben-Kennzeichen"]] for r in rows}
    assert signs == {original.number: "S", storno.number: "H"}
    assert {r[col["Gegenkonto (ohne BU-Schlüssel)"]] for r in rows} == {"4400"}
    assert {r[col["Konto"]] for r in rows} == {str(20000 + original.customer_id)}


def test_credit_notes_and_the_offset_are_in_the_cooperatives_books(settings, world, frozen):
    (bathroom,) = samples.private_package(world, frozen)
    with time_machine.travel("2026-03-10 12:00 +01:00", tick=False):
        payments.record_payment(bathroom, amount=bathroom.amount_due, booked_on=date(2026, 3, 10))
    with time_machine.travel("2026-04-01 09:00 +02:00", tick=False):
        run = settlement.settle_month(date(2026, 3, 1))
    settings.INVOICING_DATEV = {"chart": "SKR03"}
    rows = read_extf(exports.datev_batch("coop", date(2026, 4, 1), date(2026, 4, 30)))[2:]
    col = exports.INDEX
    sanitaer = run.settlements.get(workshop=world.sanitaer)
    note = [r for r in rows if r[col["Belegfeld 1"]] == sanitaer.credit_note.number]
    booking, offset = note
    assert booking[col["Konto"]] == str(70000 + world.sanitaer.pk)
    assert booking[col["Gegenkonto (ohne BU-Schlüssel)"]] == "3120"  # §13b Bauleistungen
    assert booking[col["Soll/Haben-Kennzeichen"]] == "H"
    assert booking[col["Umsatz (ohne Soll/Haben-Kz)"]] == "6175,20"
    assert offset[col["Umsatz (ohne Soll/Haben-Kz)"]] == "587,88"
    assert offset[col["Gegenkonto (ohne BU-Schlüssel)"]] == str(60000 + world.sanitaer.pk)


def test_a_batch_stays_in_one_fiscal_year(booked):
    with pytest.raises(ValidationError) as err:
        exports.datev_batch("coop", date(2025, 12, 1), date(2026, 1, 31))
    assert "end" in err.value.message_dict


def test_the_plain_csv_lists_each_document_with_paid_and_open(booked):
    bathroom, construction = booked
    text = exports.invoices_csv("coop", *MARCH).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    # The tax advisor's import reads the columns by position: new ones only ever come last.
    assert rows[0] == [
        "Nummer",
        "Art",
        "Datum",
        "Fällig",
        "Leistung von",
        "Leistung bis",
        "Empfänger",
        "Netto",
        "USt",
        "Brutto",
        "Zahlbetrag",
        "Bezahlt",
        "Offen",
        "Status",
        "Bezahlt am",
        "Mahnkosten",
        "Mahnkosten offen",
        "Mitgliedsbetrieb",
        "USt-IdNr. Mitgliedsbetrieb",
        "Steuernummer Mitgliedsbetrieb",
    ]
    by_number = {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert set(by_number) == {bathroom.number, construction.number}
    assert by_number[construction.number]["Brutto"] == "8705,60"
    assert by_number[construction.number]["Bezahlt"] == "1000,00"
    assert by_number[construction.number]["Offen"] == "7705,60"
    assert by_number[construction.number]["Mahnkosten"] == "0,00"
    assert by_number[bathroom.number]["Datum"] == "02.03.2026"


def test_the_plain_csv_names_the_member_a_credit_note_pays_and_a_fee_invoice_bills(world, frozen):
    """A self-billing credit note's Empfänger is the cooperative: the row names the member it
    pays, with its tax ids, and so does the fee invoice's; a customer's invoice names none."""
    from invoicing import services

    world.sanitaer.tax_number = "64/123/45678"
    world.sanitaer.save(update_fields=["tax_number"])
    (bathroom,) = samples.private_package(world, frozen)
    with time_machine.travel("2026-03-10 12:00 +01:00", tick=False):
        payments.record_payment(bathroom, amount=bathroom.amount_due, booked_on=date(2026, 3, 10))
    with time_machine.travel("2026-04-01 09:00 +02:00", tick=False):
        run = settlement.settle_month(date(2026, 3, 1))
    sanitaer = run.settlements.select_related("credit_note", "fee_invoice").get(
        workshop=world.sanitaer
    )
    with time_machine.travel("2026-04-02 09:00 +02:00", tick=False):
        storno = services.cancel_invoice(sanitaer.fee_invoice)
    text = exports.invoices_csv("coop", date(2026, 3, 1), date(2026, 4, 30)).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    by_number = {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    member = ["Sanitär Meyer e.K.", world.sanitaer.vat_id, "64/123/45678"]

    def named(number):
        row = by_number[number]
        return [row[c] for c in rows[0][-3:]]

    credit = by_number[sanitaer.credit_note.number]
    assert credit["Empfänger"] == world.cooperative.legal_name
    assert named(sanitaer.credit_note.number) == member
    assert named(sanitaer.fee_invoice.number) == member
    assert named(storno.number) == member  # the fee invoice's cancellation too
    assert named(bathroom.number) == ["", "", ""]


def test_the_plain_csv_shows_dunning_charges_beside_the_open_amount(world, frozen):
    from invoicing import dunning
    from invoicing.models import DunningNotice

    (bathroom,) = samples.private_package(world, frozen)  # due 16.03.2026
    dunning.run_dunning(date(2026, 3, 23))
    dunning.run_dunning(date(2026, 4, 6))
    charges = sum(n.fee for n in DunningNotice.objects.all()) + (
        DunningNotice.objects.order_by("-level").first().interest
    )
    assert charges > 0
    with time_machine.travel("2026-04-08 12:00 +02:00", tick=False):
        payments.record_payment(
            bathroom, amount=bathroom.amount_due + Decimal("10.00"), booked_on=date(2026, 4, 8)
        )
    text = exports.invoices_csv("coop", *MARCH).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["Offen"] == "0,00" and row["Status"] == "bezahlt"
    assert row["Mahnkosten"] == f"{charges:.2f}".replace(".", ",")
    assert row["Mahnkosten offen"] == f"{charges - 10:.2f}".replace(".", ",")


def _debtor_balance(rows, account: str) -> Decimal:
    """The debtor account's balance over DATEV rows (debit positive)."""
    col = exports.INDEX
    total = D(0)
    for row in rows:
        amount = D(row[col["Umsatz (ohne Soll/Haben-Kz)"]].replace(",", "."))
        debit = row[col["Soll/Haben-Kennzeichen"]] == "S"
        if row[col["Konto"]] == account:
            total += amount if debit else -amount
        elif row[col["Gegenkonto (ohne BU-Schlüssel)"]] == account:
            total += -amount if debit else amount
    return total


def test_datev_books_dunning_charges_so_the_debtor_comes_out_even(settings, world, frozen):
    from invoicing import dunning

    settings.INVOICING_DATEV = {"chart": "SKR03"}
    settings.INVOICING_DUNNING_FEE = D("5.00")
    (bathroom,) = samples.private_package(world, frozen)  # booked in March
    dunning.run_dunning(date(2026, 3, 23))  # reminder: no charges
    dunning.run_dunning(date(2026, 4, 6))  # 1. Mahnung: 5 € fee and interest
    charges = payments.balance(bathroom).charges_open
    with time_machine.travel("2026-04-08 12:00 +02:00", tick=False):
        paid = bathroom.amount_due + D("10.00")  # the invoice and part of the charges
        payments.record_payment(bathroom, amount=paid, booked_on=date(2026, 4, 8))
    with time_machine.travel("2026-04-09 12:00 +02:00", tick=False):
        assert dunning.waive_charges(bathroom) == charges - 10

    march = read_extf(exports.datev_batch("coop", *MARCH))[2:]
    april = read_extf(exports.datev_batch("coop", date(2026, 4, 1), date(2026, 4, 30)))[2:]
    col = exports.INDEX
    debtor = str(10000 + bathroom.customer_id)
    booked = {
        (r[col["Gegenkonto (ohne BU-Schlüssel)"]], r[col["Soll/Haben-Kennzeichen"]]): r
        for r in april
        if r[col["Konto"]] == debtor
    }
    assert booked[("2700", "S")][col["Umsatz (ohne Soll/Haben-Kz)"]] == "5,00"
    assert booked[("2700", "S")][col["Belegdatum"]] == "0604"
    interest = charges - D("5.00")
    assert booked[("2650", "S")][col["Umsatz (ohne Soll/Haben-Kz)"]] == exports._amount(interest)
    # The 13,40 € waived are taken from the interest first (10 € paid; 5 € fee, 18,40 € interest).
    assert booked[("2650", "H")][col["Umsatz (ohne Soll/Haben-Kz)"]] == exports._amount(
        charges - 10
    )
    assert ("2700", "H") not in booked
    assert "Erlass Mahnkosten" in booked[("2650", "H")][col["Buchungstext"]]
    assert _debtor_balance(march + april, debtor) == 0


def test_datev_takes_the_charges_back_when_the_invoice_is_cancelled(settings, world, frozen):
    from invoicing import dunning, services

    settings.INVOICING_DATEV = {"chart": "SKR04"}
    (bathroom,) = samples.private_package(world, frozen)
    dunning.run_dunning(date(2026, 3, 23))
    dunning.run_dunning(date(2026, 4, 6))
    with time_machine.travel("2026-04-10 12:00 +02:00", tick=False):
        storno = services.cancel_invoice(bathroom)
    march = read_extf(exports.datev_batch("coop", *MARCH))[2:]
    april = read_extf(exports.datev_batch("coop", date(2026, 4, 1), date(2026, 4, 30)))[2:]
    col = exports.INDEX
    back = [
        r
        for r in april
        if r[col["Belegfeld 1"]] == storno.number
        and r[col["Buchungstext"]].startswith(("Storno Mahn", "Storno Verzug"))
    ]
    assert {r[col["Gegenkonto (ohne BU-Schlüssel)"]] for r in back} == {"4830", "7100"}
    assert {r[col["Soll/Haben-Kennzeichen"]] for r in back} == {"H"}
    assert _debtor_balance(march + april, str(10000 + bathroom.customer_id)) == 0


def test_datev_a_waiver_then_a_cancellation_leave_every_account_even(settings, world, frozen):
    from invoicing import dunning, services

    settings.INVOICING_DATEV = {"chart": "SKR03"}
    (bathroom,) = samples.private_package(world, frozen)
    dunning.run_dunning(date(2026, 3, 23))
    dunning.run_dunning(date(2026, 4, 6))
    with time_machine.travel("2026-04-08 12:00 +02:00", tick=False):
        payments.record_payment(bathroom, amount=bathroom.amount_due, booked_on=date(2026, 4, 8))
        dunning.waive_charges(bathroom)
        services.cancel_invoice(bathroom)
    rows = read_extf(exports.datev_batch("coop", date(2026, 3, 1), date(2026, 4, 30)))[2:]
    # The fee and the interest, claimed, waived and cancelled, leave neither income account
    # with a balance (_debtor_balance sums any account).
    assert _debtor_balance(rows, "2700") == 0 and _debtor_balance(rows, "2650") == 0


def test_datev_books_a_refund_back_out_of_the_bank_and_the_debtor_comes_out_even(
    settings, world, frozen
):
    settings.INVOICING_DATEV = {"chart": "SKR03"}
    (bathroom,) = samples.private_package(world, frozen)
    payments.record_payment(bathroom, amount=bathroom.amount_due + 50, booked_on=frozen)
    payments.record_refund(bathroom, amount="50.00", booked_on=frozen)
    rows = read_extf(exports.datev_batch("coop", *MARCH))[2:]
    col = exports.INDEX
    debtor = str(10000 + bathroom.customer_id)
    (refund,) = [r for r in rows if r[col["Buchungstext"]].startswith("Erstattung")]
    assert (refund[col["Konto"]], refund[col["Gegenkonto (ohne BU-Schlüssel)"]]) == ("1200", debtor)
    assert refund[col["Soll/Haben-Kennzeichen"]] == "H"  # out of the bank
    assert refund[col["Umsatz (ohne Soll/Haben-Kz)"]] == "50,00"
    assert _debtor_balance(rows, debtor) == 0
