"""After month-end: the clerk books the members' payouts as transferred; credit notes are what
the cooperative owes, never a customer's arrears; the office finds them by the member's name."""

import re
import threading
from datetime import date

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection

from invoicing import payments, samples, settlement
from invoicing.models import Invoice, Payment

MONTH_END = "/buero/rechnungen/monatsabschluss/"
LIST = "/buero/rechnungen/"


@pytest.fixture
def settled_march(world, frozen, django_user_model):
    """March 2026 settled on 1 April (the bathroom paid on 10 March): two members' credit notes
    with their fees offset, the payouts not transferred yet. Office clerk and a member's admin."""
    (invoice,) = samples.private_package(world, frozen)
    with time_machine.travel("2026-03-10 12:00 +01:00", tick=False):
        payments.record_payment(invoice, amount=invoice.amount_due, booked_on=date(2026, 3, 10))
    with time_machine.travel("2026-04-01 09:00 +02:00", tick=False):
        run = settlement.settle_month(date(2026, 3, 1))
    office = django_user_model.objects.create_user("olga", role="office")
    meyer = django_user_model.objects.create_user("meyer", role="workshop_admin")
    world.sanitaer.admins.add(meyer)
    return run, office, meyer


def test_the_clerk_books_the_months_payouts_as_transferred(settled_march, client, world):
    run, office, meyer = settled_march
    notes = [s.credit_note for s in run.settlements.select_related("credit_note")]
    owed = {note.pk: payments.open_amount(note) for note in notes}
    assert all(amount > 0 for amount in owed.values())  # credit minus the offset fee
    with time_machine.travel("2026-04-06 10:00 +02:00", tick=False):
        client.force_login(office)
        page = client.get(MONTH_END).content.decode()
        assert 'data-testid="payout-form"' in page and "2 Auszahlungen als überwiesen" in page
        # today is filled in, in the only form a date field takes
        assert f'name="run{run.pk}-booked_on" value="2026-04-06"' in page
        url = f"{MONTH_END}2026-03/auszahlung/"
        field = f"run{run.pk}-booked_on"
        # A day still ahead, or none: refused at the field, nothing booked.
        ahead = client.post(url, {field: "2026-04-09"})
        assert ahead.status_code == 422 and "Zukunft" in ahead.content.decode()
        assert client.post(url, {field: ""}).status_code == 422
        assert not Payment.objects.filter(source=Payment.Source.TRANSFER).exists()

        done = client.post(url, {field: "2026-04-03"})
        assert done.status_code == 302
        for note in notes:
            note.refresh_from_db()
            assert note.state == Invoice.State.PAID and note.paid_on == date(2026, 4, 3)
            transfer = note.payments.get(source=Payment.Source.TRANSFER)
            assert transfer.amount == owed[note.pk]
        page = client.get(MONTH_END).content.decode()
        assert 'data-testid="payout-form"' not in page and "am 03.04.2026" in page
        # Booking again books nothing twice.
        assert client.post(url, {field: "2026-04-03"}).status_code == 302
        assert Payment.objects.filter(source=Payment.Source.TRANSFER).count() == len(notes)

        # The member sees the money is on its way, then there.
        client.force_login(meyer)
        assert (
            "Am 03.04.2026 auf Ihr Konto überwiesen"
            in client.get("/betrieb/abrechnungen/").content.decode()
        )
        # Only the office books payouts.
        assert (
            client.post(url, {field: "2026-04-03"}).status_code == 404
        )  # as any office page of one thing
        client.force_login(office)
        assert client.post(
            f"{MONTH_END}2026-02/auszahlung/", {field: "2026-04-03"}
        ).status_code == (404)


def test_a_payout_cannot_be_booked_before_the_settlement(settled_march, client):
    run, office, _meyer = settled_march
    with time_machine.travel("2026-04-06 10:00 +02:00", tick=False):
        client.force_login(office)
        early = client.post(
            f"{MONTH_END}2026-03/auszahlung/", {f"run{run.pk}-booked_on": "2026-03-31"}
        )
    assert early.status_code == 422 and "vor der Abrechnung" in early.content.decode()
    assert not Payment.objects.filter(source=Payment.Source.TRANSFER).exists()


def test_credit_notes_are_not_overdue_and_are_found_by_the_members_name(
    settled_march, client, world
):
    _run, office, _meyer = settled_march
    with time_machine.travel("2026-06-01 10:00 +02:00", tick=False):
        client.force_login(office)
        page = client.get(LIST).content.decode()
        # Two months on, the unpaid payouts are not "overdue" (that is the customers' arrears).
        overdue = re.search(r'data-state="overdue">[^<]*<span class="count">(\d+)<', page)
        assert overdue.group(1) == "0"
        credit_rows = re.findall(
            r'<tr data-invoice="\d+"( class="overdue")?>\s*<td[^>]*><a[^>]*>GS-', page
        )
        assert credit_rows and not any(credit_rows)
        found = client.get(LIST, {"suche": "Meyer"}).content.decode()
        assert re.findall(r">(GS-2026-\d+)</a>", found)  # the member's credit note
        assert "Sanitär Meyer e.K." in found
        unknown = client.get(LIST, {"status": "foo"})
        assert unknown.status_code == 400
        assert "Der Status in der Adresse ist unbekannt" in unknown.content.decode()


def test_running_a_settled_month_again_says_so_and_adds_no_payout(settled_march, client):
    """A second month-end run for March invoices what is new, settles nothing twice, and its
    panel does not show March's payouts as if they were made again."""
    from zunft.core.models import Operation

    run, office, _meyer = settled_march
    with time_machine.travel("2026-04-06 10:00 +02:00", tick=False):
        operation = Operation.objects.create(
            kind="invoicing.month_end", params={"period": "2026-03"}, created_by=office
        )
        settlement.do_month_end(operation.pk, worker="test")
        operation.refresh_from_db()
        assert operation.result["settled_before"] is True
        assert operation.result["settlements"] == [] and operation.result["issued"] == []
        assert run.settlements.count() == 2  # unchanged
        client.force_login(office)
        panel = client.get(f"{MONTH_END}?vorgang={operation.pk}").content.decode()
    assert 'data-testid="settled-before"' in panel
    assert "an die Mitglieder auszuzahlen" not in panel


@pytest.mark.django_db(transaction=True)
def test_two_clerks_booking_the_payouts_at_once_book_each_once(frozen):
    """Both press "book as transferred" at the same moment: each member's payout is booked
    once."""
    world = samples.build_world()
    (invoice,) = samples.private_package(world, frozen)
    with time_machine.travel("2026-03-10 12:00 +01:00", tick=False):
        payments.record_payment(invoice, amount=invoice.amount_due, booked_on=date(2026, 3, 10))
    with time_machine.travel("2026-04-01 09:00 +02:00", tick=False):
        run = settlement.settle_month(date(2026, 3, 1))
    notes = [s.credit_note for s in run.settlements.select_related("credit_note")]
    start = threading.Barrier(2)
    errors, booked = [], []

    def book():
        try:
            start.wait()
            with time_machine.travel("2026-04-06 10:00 +02:00", tick=False):
                booked.append(settlement.record_payouts(run, booked_on=date(2026, 4, 3)))
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=book) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and sorted(booked) == [0, len(notes)]
    for note in notes:
        note.refresh_from_db()
        assert note.state == Invoice.State.PAID and payments.open_amount(note) == 0
        assert note.payments.filter(source=Payment.Source.TRANSFER).count() == 1


def test_a_payout_paid_by_hand_before_is_not_booked_again(settled_march):
    run, _office, _meyer = settled_march
    first, second = [s.credit_note for s in run.settlements.select_related("credit_note")]
    with time_machine.travel("2026-04-06 10:00 +02:00", tick=False):
        payments.record_payment(
            first, amount=payments.open_amount(first), booked_on=date(2026, 4, 2)
        )
        assert settlement.record_payouts(run, booked_on=date(2026, 4, 3)) == 1
    assert not first.payments.filter(source=Payment.Source.TRANSFER).exists()
    assert second.payments.filter(source=Payment.Source.TRANSFER).count() == 1


def test_a_customers_bank_credit_cannot_be_booked_onto_a_members_credit_note(settled_march):
    from invoicing.models import BankStatementImport, BankTransaction

    run, office, _meyer = settled_march
    note = run.settlements.first().credit_note
    statement = BankStatementImport.objects.create(sha256="0" * 64, filename="x.xml")
    credit = BankTransaction.objects.create(
        statement=statement,
        transaction_id="T-1",
        booked_on=date(2026, 4, 2),
        amount=note.amount_due,
        payer_name="M. Pleye",
        remittance="Dachreparatur Pleye",
        status=BankTransaction.Status.UNMATCHED,
    )
    paid_before = list(note.payments.values_list("pk", flat=True))
    with (
        time_machine.travel("2026-04-06 10:00 +02:00", tick=False),
        pytest.raises(ValidationError) as refused,
    ):
        payments.assign_transaction(credit, note, user=office)
    assert "Gutschrift" in refused.value.message_dict["invoice"][0]
    credit.refresh_from_db()
    assert credit.status == BankTransaction.Status.UNMATCHED
    assert list(note.payments.values_list("pk", flat=True)) == paid_before
    # nor is it offered as a match for money coming in
    assert note not in payments._candidates("")


def test_the_month_end_result_lists_the_members_credit_notes_and_fee_invoices(
    settled_march, client
):
    from zunft.core.models import Operation

    run, office, _meyer = settled_march
    settlements = list(run.settlements.select_related("credit_note", "fee_invoice"))
    done = Operation.objects.create(
        kind="invoicing.month_end",
        params={"period": "2026-03"},
        state=Operation.State.DONE,
        result={"issued": [], "skipped": [], "settlements": [s.pk for s in settlements]},
    )
    with time_machine.travel("2026-04-06 10:00 +02:00", tick=False):
        client.force_login(office)
        html = client.get(f"{MONTH_END}?vorgang={done.pk}").content.decode()
    listed = html.split('data-testid="member-documents"', 1)[1].split("</ul>", 1)[0]
    for s in settlements:
        assert f'href="{LIST}{s.credit_note_id}/">{s.credit_note.number}</a>' in listed
        assert f'href="{LIST}{s.fee_invoice_id}/">{s.fee_invoice.number}</a>' in listed
    assert f'href="{LIST}?monat=2026-04" data-testid="to-list"' in html
