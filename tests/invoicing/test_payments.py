"""Payments by hand and from the bank: the open amount is derived, paid means paid in full."""

import importlib
import threading
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone, translation
from lxml import etree

from invoicing import payments, samples, services
from invoicing.models import (
    BankStatementImport,
    BankTransaction,
    Invoice,
    Payment,
    RefundTransfer,
)
from invoicing.privacy import erasure_blockers
from zunft.core.errors import Conflict

D = Decimal
PAIN = "{urn:iso:std:iso:20022:tech:xsd:pain.001.001.09}"
CAMT = Path(__file__).parent / "fixtures" / "camt053_2026-03-02.xml"


@pytest.fixture
def bathroom(world, frozen):
    (invoice,) = samples.private_package(world, frozen)
    return invoice


def test_a_partial_payment_leaves_the_rest_open(bathroom, frozen):
    assert bathroom.amount_due == D("8241.40")
    recorded = payments.record_payment(bathroom, amount=D("3000.00"), booked_on=frozen)
    assert recorded.outcome == "partial"
    assert recorded.open == D("5241.40")
    bathroom.refresh_from_db()
    assert bathroom.state == Invoice.State.ISSUED and bathroom.paid_on is None
    assert payments.open_amount(bathroom) == D("5241.40")


def test_the_payment_that_completes_the_amount_marks_the_invoice_paid(bathroom, frozen):
    payments.record_payment(bathroom, amount="3000.00", booked_on=frozen - timedelta(days=0))
    payments.record_payment(bathroom, amount="5241.40", booked_on=frozen)
    bathroom.refresh_from_db()
    assert bathroom.state == Invoice.State.PAID
    assert bathroom.paid_on == frozen
    assert payments.open_amount(bathroom) == 0


def test_an_over_payment_is_shown_as_credit(bathroom, frozen):
    recorded = payments.record_payment(bathroom, amount="8300.00", booked_on=frozen)
    assert recorded.outcome == "overpaid"
    row = payments.with_balance(Invoice.objects.filter(pk=bathroom.pk)).get()
    assert row.paid == D("8300.00")
    assert row.open == D("-58.60")
    assert row.state == Invoice.State.PAID


def test_payments_on_a_cancelled_invoice_become_a_credit(world, frozen):
    original, _storno = samples.cancellation(world, frozen)
    with pytest.raises(ValidationError) as err:
        payments.record_payment(original, amount="10.00", booked_on=frozen)
    # the state in words, not its code
    assert err.value.message_dict["invoice"] == [
        f"Auf eine Rechnung im Zustand „{original.get_state_display()}“ wird nicht gezahlt."
    ]
    assert "cancelled" not in err.value.message_dict["invoice"][0]
    row = payments.with_balance(Invoice.objects.filter(pk=original.pk)).get()
    assert row.open == 0


def test_a_credit_is_refunded_at_most_once_and_never_more(bathroom, frozen):
    payments.record_payment(bathroom, amount="8300.00", booked_on=frozen)  # 58.60 over
    with pytest.raises(ValidationError) as refused:
        payments.record_refund(bathroom, amount="58.61", booked_on=frozen)
    assert "58,60 €" in refused.value.message_dict["amount"][0]
    with pytest.raises(ValidationError) as refused:
        payments.record_refund(bathroom, amount="10.00", booked_on=frozen + timedelta(days=1))
    assert "booked_on" in refused.value.message_dict
    assert not bathroom.payments.filter(source=Payment.Source.REFUND).exists()

    recorded = payments.record_refund(bathroom, amount="58.60", booked_on=frozen)
    assert recorded.payment.amount == D("-58.60") and recorded.open == 0
    bathroom.refresh_from_db()
    assert bathroom.state == Invoice.State.PAID  # still paid: the refund was only the surplus
    with pytest.raises(ValidationError) as refused:
        payments.record_refund(bathroom, amount="0.01", booked_on=frozen)
    assert "amount" in refused.value.message_dict


def test_what_was_paid_on_a_cancelled_invoice_is_refunded(world, frozen):
    (invoice,) = samples.private_package(world, frozen)
    payments.record_payment(invoice, amount="1000.00", booked_on=frozen)
    services.cancel_invoice(invoice)
    # her data is kept while the cooperative owes her the money (the cancellation owes nothing)
    (blocker,) = erasure_blockers(invoice.customer)
    assert blocker["id"] == invoice.pk and "zu erstatten" in blocker["label"]
    payments.record_refund(invoice, amount="1000.00", booked_on=frozen)
    row = payments.with_balance(Invoice.objects.filter(pk=invoice.pk)).get()
    assert (row.paid, row.open, row.state) == (0, 0, Invoice.State.CANCELLED)
    assert erasure_blockers(invoice.customer) == []


@pytest.mark.parametrize(
    ("amount", "field"),
    [("0", "amount"), ("-5", "amount"), ("1.005", "amount"), ("abc", "amount")],
)
def test_bad_amounts_are_refused_naming_the_field(bathroom, frozen, amount, field):
    with pytest.raises(ValidationError) as err:
        payments.record_payment(bathroom, amount=amount, booked_on=frozen)
    assert field in err.value.message_dict
    assert not Payment.objects.exists()


def test_a_payment_cannot_be_booked_in_the_future_or_on_a_draft(world, frozen, bathroom):
    with pytest.raises(ValidationError) as err:
        payments.record_payment(bathroom, amount="1.00", booked_on=frozen + timedelta(days=1))
    assert "booked_on" in err.value.message_dict
    customer, _site = samples.private_customer()
    draft = services.create_draft(
        customer=customer,
        lines=[
            services.LineInput(
                kind="labour", text="Arbeit", quantity=D(1), unit="HUR", unit_price=D("50")
            )
        ],
        title="Entwurf",
        performance_start=frozen,
        performance_end=frozen,
    )
    with pytest.raises(ValidationError):
        payments.record_payment(draft, amount="1.00", booked_on=frozen)


# --- CAMT.053 -----------------------------------------------------------------------------------


@pytest.fixture
def two_open(world, frozen):
    (bathroom,) = samples.private_package(world, frozen)
    (construction,) = samples.reverse_charge(world, frozen)
    assert (bathroom.number, construction.number) == ("RE-2026-00001", "RE-2026-00002")
    return bathroom, construction


def test_invoice_numbers_are_found_in_remittance_text():
    assert payments.invoice_numbers_in("Rechnung RE 2026 00002 MFH") == ["RE-2026-00002"]
    assert payments.invoice_numbers_in("re-2026-00001, RE3-2026-00007") == [
        "RE-2026-00001",
        "RE3-2026-00007",
    ]
    assert payments.invoice_numbers_in("Spende Sommerfest 2026") == []


def test_a_camt_statement_books_full_partial_and_lists_unknown(two_open, frozen):
    bathroom, construction = two_open
    result = payments.import_camt053(CAMT.read_bytes(), filename=CAMT.name)
    assert result.created
    assert dict(result.counts) == {"matched": 1, "partial": 1, "unmatched": 1}

    bathroom.refresh_from_db()
    construction.refresh_from_db()
    assert bathroom.state == Invoice.State.PAID and bathroom.paid_on == frozen
    assert construction.state == Invoice.State.ISSUED
    assert payments.open_amount(construction) == D("8705.60") - D("5000.00")

    paid = Payment.objects.get(invoice=construction)
    assert paid.source == Payment.Source.CAMT
    assert paid.bank_transaction_id == "DE11280501000001234567:2026030200002"
    assert paid.payer_name == "Bau Hinrichs GmbH und Co. KG"

    (unknown,) = BankTransaction.objects.filter(status=BankTransaction.Status.UNMATCHED)
    assert unknown.amount == D("123.45") and unknown.payer_name == "Max Mustermann"
    assert unknown.reason == BankTransaction.Reason.NO_NUMBER
    # the debit (bank fees) is not an incoming payment
    assert BankTransaction.objects.count() == 3


def test_a_credit_goes_back_to_the_account_it_came_from_by_a_sepa_file(two_open, frozen):
    bathroom, _construction = two_open
    assert payments.refund_payee(bathroom) == ("", "")  # nothing from the bank yet
    payments.import_camt053(CAMT.read_bytes(), filename=CAMT.name)
    services.cancel_invoice(bathroom)
    bathroom.refresh_from_db()
    payee = payments.refund_payee(bathroom)
    assert payee == ("Hanna Huesing", "DE02100100100006820101")
    credit = -payments.balance(bathroom).open
    with pytest.raises(ValidationError) as too_much:
        payments.prepare_refund_transfer(
            bathroom, name="H", iban=payee[1], amount=credit + 1, execution_date=frozen
        )
    assert "amount" in too_much.value.message_dict
    transfer = payments.prepare_refund_transfer(
        bathroom, name=payee[0], iban=payee[1], amount=credit, execution_date=frozen
    )
    assert transfer.state == RefundTransfer.State.PREPARED
    root = etree.fromstring(bytes(transfer.document))
    (tx,) = root.iter(f"{PAIN}CdtTrfTxInf")
    assert tx.findtext(f"{PAIN}CdtrAcct/{PAIN}Id/{PAIN}IBAN") == "DE02100100100006820101"
    assert D(tx.findtext(f"{PAIN}Amt/{PAIN}InstdAmt")) == credit
    assert tx.findtext(f"{PAIN}PmtId/{PAIN}EndToEndId") == f"ERST-{bathroom.number}"
    debtor = root.findtext(f".//{PAIN}DbtrAcct/{PAIN}Id/{PAIN}IBAN")
    assert debtor == services.get_cooperative().iban.replace(" ", "")  # the payee pays back


def test_a_prepared_transfer_holds_its_amount_until_booked_or_discarded(bathroom, frozen):
    """Two clicks, or two clerks, cannot prepare the same credit twice; the refund booked for
    the transfer's amount books that transfer; a discarded one frees its amount."""
    payments.record_payment(bathroom, amount="8300.00", booked_on=frozen)  # 58.60 credit
    iban = "DE89370400440532013000"
    first = payments.prepare_refund_transfer(
        bathroom, name="Hanna", iban=iban, amount=D("50.00"), execution_date=frozen
    )
    with pytest.raises(ValidationError) as twice:
        payments.prepare_refund_transfer(
            bathroom, name="Hanna", iban=iban, amount=D("58.60"), execution_date=frozen
        )
    assert "8,60" in twice.value.message_dict["amount"][0]  # what is left besides
    rest = payments.prepare_refund_transfer(
        bathroom, name="Hanna", iban=iban, amount=D("8.60"), execution_date=frozen
    )
    # unique end-to-end ids, so the statement tells the two apart
    ids = {
        etree.fromstring(bytes(t.document)).findtext(f".//{PAIN}EndToEndId") for t in (first, rest)
    }
    assert ids == {f"ERST-{bathroom.number}", f"ERST-{bathroom.number}-2"}
    with pytest.raises(ValidationError) as booked_otherwise:  # all of it is held
        payments.record_refund(bathroom, amount="5.00", booked_on=frozen)
    assert "amount" in booked_otherwise.value.message_dict
    # paid back some other way, the same amount: not taken for the file, which is still held
    with pytest.raises(ValidationError):
        payments.record_refund(bathroom, amount="50.00", booked_on=frozen)
    # the bank carried the first out: that transfer is booked
    recorded = payments.record_refund(bathroom, amount="50.00", booked_on=frozen, transfer=first.pk)
    first.refresh_from_db()
    assert first.state == RefundTransfer.State.BOOKED and first.payment == recorded.payment
    assert recorded.payment.reference == f"Erstattung Guthaben {bathroom.number}"
    with pytest.raises(ValidationError) as again:
        payments.record_refund(bathroom, amount="50.00", booked_on=frozen, transfer=first.pk)
    assert "transfer" in again.value.message_dict
    # the second was refused by the bank: discarded, its amount can be refunded otherwise
    payments.discard_refund_transfer(bathroom, rest.pk)
    with pytest.raises(ValidationError):
        payments.record_refund(bathroom, amount="8.60", booked_on=frozen, transfer=rest.pk)
    payments.record_refund(bathroom, amount="8.60", booked_on=frozen)
    assert payments.balance(bathroom).open == 0
    assert list(payments.prepared_transfers(bathroom)) == []


def test_a_refund_transfer_the_bank_returned_opens_the_credit_again(bathroom, frozen):
    """The customer's account was closed: the carried-out transfer comes back. Booked back,
    the credit is open for a transfer to her new account; only a booked transfer comes back,
    once, and not before it was carried out."""
    payments.record_payment(bathroom, amount="8300.00", booked_on=frozen)  # 58.60 credit
    iban = "DE89370400440532013000"
    transfer = payments.prepare_refund_transfer(
        bathroom, name="Hanna", iban=iban, amount=D("58.60"), execution_date=frozen
    )
    with pytest.raises(ValidationError) as not_yet:
        payments.record_transfer_returned(bathroom, transfer.pk, booked_on=frozen)
    assert "transfer" in not_yet.value.message_dict
    payments.record_refund(bathroom, amount="58.60", booked_on=frozen, transfer=transfer.pk)
    assert payments.balance(bathroom).open == 0
    with pytest.raises(ValidationError) as before:
        payments.record_transfer_returned(
            bathroom, transfer.pk, booked_on=frozen - timedelta(days=1)
        )
    assert "booked_on" in before.value.message_dict
    back = payments.record_transfer_returned(bathroom, transfer.pk, booked_on=frozen)
    assert back.open == D("-58.60") and back.payment.amount == D("58.60")
    transfer.refresh_from_db()
    assert transfer.state == RefundTransfer.State.RETURNED and transfer.returned == back.payment
    with pytest.raises(ValidationError):
        payments.record_transfer_returned(bathroom, transfer.pk, booked_on=frozen)
    again = payments.prepare_refund_transfer(
        bathroom,
        name="Hanna",
        iban="DE02100100100006820101",
        amount=D("58.60"),
        execution_date=frozen,
    )
    assert again.state == RefundTransfer.State.PREPARED


@pytest.mark.django_db(transaction=True)
def test_two_clerks_preparing_the_credits_transfer_at_once_prepare_one(frozen):
    world = samples.build_world()
    (invoice,) = samples.private_package(world, frozen)
    payments.record_payment(invoice, amount=invoice.amount_due + 40, booked_on=frozen)
    start = threading.Barrier(2)
    errors, prepared = [], []

    def prepare():
        try:
            start.wait()
            prepared.append(
                payments.prepare_refund_transfer(
                    invoice,
                    name="Hanna Huesing",
                    iban="DE02100100100006820101",
                    amount=D("40.00"),
                    execution_date=frozen,
                )
            )
        except ValidationError as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=prepare) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(prepared) == 1 and len(errors) == 1
    assert "amount" in errors[0].message_dict
    assert RefundTransfer.objects.filter(invoice=invoice).count() == 1


def test_a_members_own_credit_goes_back_from_its_account_even_without_a_bic(world, frozen):
    """A member invoices a job itself: its refund file debits the member's account as it is
    now, and a member without a BIC (IBAN only, enough in SEPA) still gets a valid file."""
    (painting,) = samples.small_business(world, frozen)
    assert painting.issuer_workshop_id == world.maler.pk
    payments.record_payment(painting, amount=painting.amount_due + 20, booked_on=frozen)
    world.maler.bic = ""
    world.maler.iban = "DE02120300000000202051"  # the member changed banks since
    world.maler.save()
    xml = payments.prepare_refund_transfer(
        painting,
        name="Heinz Bruns",
        iban="DE89370400440532013000",
        amount=D("20.00"),
        execution_date=frozen,
    ).document
    root = etree.fromstring(bytes(xml))
    assert root.findtext(f".//{PAIN}DbtrAcct/{PAIN}Id/{PAIN}IBAN") == "DE02120300000000202051"
    assert root.find(f".//{PAIN}DbtrAgt/{PAIN}FinInstnId/{PAIN}BICFI") is None
    storno = services.cancel_invoice(painting)
    with pytest.raises(ValidationError) as not_a_claim:
        payments.prepare_refund_transfer(
            storno,
            name="H",
            iban="DE89370400440532013000",
            amount=D("1.00"),
            execution_date=frozen,
        )
    assert "invoice" in not_a_claim.value.message_dict


def test_importing_the_same_statement_again_changes_nothing(two_open):
    payments.import_camt053(CAMT.read_bytes())
    before = (Payment.objects.count(), BankTransaction.objects.count())
    again = payments.import_camt053(CAMT.read_bytes())
    assert not again.created
    assert (Payment.objects.count(), BankTransaction.objects.count()) == before
    assert BankStatementImport.objects.count() == 1
    # the same bookings inside another file (e.g. a corrected statement) are skipped too
    other = CAMT.read_bytes().replace(b"SLZO-20260302-0001", b"SLZO-20260302-0002")
    result = payments.import_camt053(other)
    assert result.created and dict(result.counts) == {"duplicate": 3}
    assert (Payment.objects.count(), BankTransaction.objects.count()) == before


def test_an_unmatched_credit_is_assigned_by_the_office(two_open, frozen):
    _bathroom, construction = two_open
    payments.import_camt053(CAMT.read_bytes())
    unknown = BankTransaction.objects.get(status=BankTransaction.Status.UNMATCHED)
    payments.assign_transaction(unknown, construction)
    unknown.refresh_from_db()
    assert unknown.status == BankTransaction.Status.ASSIGNED
    assert payments.open_amount(construction) == D("8705.60") - D("5000.00") - D("123.45")
    assert unknown.reason_text == f"Von Hand zugeordnet zu {construction.number}"
    with pytest.raises(Conflict):
        payments.assign_transaction(unknown, construction)


def test_why_a_credit_was_not_matched_is_told_in_the_readers_language(two_open, frozen):
    payments.import_camt053(CAMT.read_bytes())
    unknown = BankTransaction.objects.get(status=BankTransaction.Status.UNMATCHED)
    with translation.override("de"):
        assert unknown.reason_text == "Keine Rechnungsnummer im Verwendungszweck"
    with translation.override("en"):
        assert unknown.reason_text == "No invoice number in the remittance information"


def test_reasons_stored_as_german_text_become_codes(two_open, frozen, office_user):
    """The data migration: texts the import wrote before are read as their codes."""
    from django.apps import apps

    migration = importlib.import_module(
        "invoicing.migrations.0012_bank_transactions_dealt_with_and_reasons"
    )
    _bathroom, construction = two_open
    statement = BankStatementImport.objects.create(sha256="1" * 64)
    old = {
        "a": ("unmatched", "Keine Rechnungsnummer im Verwendungszweck"),
        "b": ("matched", "Betrag und Name"),
        "c": ("assigned", f"zugeordnet zu {construction.number}"),
        "d": ("unmatched", "Die Zahlung ist nicht möglich."),
        "e": ("matched", ""),
    }
    for key, (status, note) in old.items():
        BankTransaction.objects.create(
            statement=statement,
            transaction_id=key,
            booked_on=frozen,
            amount=D("1.00"),
            status=status,
            note=note,
        )
    migration.texts_to_codes(apps, None)
    rows = {r.transaction_id: r for r in BankTransaction.objects.filter(statement=statement)}
    assert [(rows[k].reason, rows[k].note) for k in "abcde"] == [
        ("no_number", ""),
        ("amount_name", ""),
        ("assigned", construction.number),
        ("refused", "Die Zahlung ist nicht möglich."),
        ("", ""),
    ]
    with translation.override("en"):
        assert rows["a"].reason_text == "No invoice number in the remittance information"
        assert rows["d"].reason_text == "Booking refused: Die Zahlung ist nicht möglich."
    migration.codes_to_texts(apps, None)
    notes = dict(
        BankTransaction.objects.filter(statement=statement).values_list("transaction_id", "note")
    )
    assert notes == {k: note for k, (_status, note) in old.items()}


def test_a_credit_that_pays_no_invoice_is_marked_as_dealt_with(two_open, frozen, office_user):
    payments.import_camt053(CAMT.read_bytes())
    stray = BankTransaction.objects.get(amount=D("123.45"))
    payments_before = Payment.objects.count()
    marked = payments.mark_dealt_with(
        stray, "  an Kunden zurücküberwiesen\n am 3. März ", user=office_user
    )
    stray.refresh_from_db()
    assert stray.status == BankTransaction.Status.DEALT
    assert stray.dealt_note == "an Kunden zurücküberwiesen am 3. März"
    assert (stray.dealt_by, stray.dealt_at) == (office_user, timezone.now())
    assert marked.pk == stray.pk
    assert Payment.objects.count() == payments_before  # books nothing
    assert not BankTransaction.objects.filter(pk=stray.pk, status="unmatched").exists()

    # once marked, neither marked again nor assigned
    with pytest.raises(Conflict, match="bereits als erledigt markiert"):
        payments.mark_dealt_with(stray, "Mitgliedsbeitrag", user=office_user)
    with pytest.raises(Conflict, match="bereits als erledigt markiert"):
        payments.assign_transaction(stray, two_open[1], user=office_user)
    stray.refresh_from_db()
    assert stray.dealt_note == "an Kunden zurücküberwiesen am 3. März"

    # a mistake is put right: back on the list, and then it can be assigned
    payments.undo_dealt_with(stray, user=office_user)
    stray.refresh_from_db()
    assert (stray.status, stray.dealt_note, stray.dealt_at, stray.dealt_by) == (
        "unmatched",
        "",
        None,
        None,
    )
    with pytest.raises(Conflict):
        payments.undo_dealt_with(stray, user=office_user)
    payments.assign_transaction(stray, two_open[1], user=office_user)
    with pytest.raises(Conflict, match="bereits zugeordnet"):
        payments.mark_dealt_with(stray, "Mitgliedsbeitrag", user=office_user)


def test_a_credit_is_not_marked_as_dealt_with_without_a_note(two_open, frozen):
    payments.import_camt053(CAMT.read_bytes())
    stray = BankTransaction.objects.get(amount=D("123.45"))
    for note in ("", "   ", "x" * 301):
        with pytest.raises(ValidationError) as refused:
            payments.mark_dealt_with(stray, note)
        assert list(refused.value.message_dict) == ["note"]
    stray.refresh_from_db()
    assert (stray.status, stray.dealt_note, stray.dealt_at) == ("unmatched", "", None)


def test_a_file_that_is_not_camt_is_refused(db):
    with pytest.raises(ValidationError) as err:
        payments.import_camt053(b"<html><body>nope</body></html>")
    assert "file" in err.value.message_dict
    with pytest.raises(ValidationError):
        payments.import_camt053(b"not xml at all")
