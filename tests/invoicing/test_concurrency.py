"""Under load: many clerks issuing at once for one issuer; two month-end runs at once."""

import threading
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.db import connection

from invoicing import payments, samples, services, settlement
from invoicing.models import Invoice, SettlementItem, SettlementRun


@pytest.mark.django_db(transaction=True)
def test_fifty_invoices_issued_at_once_get_fifty_distinct_gapless_numbers(frozen):
    samples.build_world()
    customer, _site = samples.private_customer()
    drafts = [
        services.create_draft(
            customer=customer,
            lines=[services.LineInput("labour", "Arbeit", Decimal("1"), "HUR", Decimal("50.00"))],
            title=f"Auftrag {n}",
            performance_start=frozen,
            performance_end=frozen,
        )
        for n in range(50)
    ]
    start = threading.Barrier(len(drafts))
    errors = []

    def issue(draft):
        try:
            start.wait()
            services.issue_invoice(draft)
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()  # each thread had its own connection

    threads = [threading.Thread(target=issue, args=(draft,)) for draft in drafts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    numbers = sorted(Invoice.objects.values_list("sequence", flat=True))
    assert numbers == list(range(1, 51))
    assert Invoice.objects.values("number").distinct().count() == 50
    assert Invoice.objects.filter(state=Invoice.State.ISSUED).count() == 50


@pytest.mark.django_db(transaction=True)
def test_two_months_settled_at_once_settle_each_share_once(frozen):
    """March and April started at the same moment (two clerks, or a late March run): an
    invoice paid in March is open to both, and is settled in exactly one of them; neither run
    fails."""
    world = samples.build_world()
    (invoice,) = samples.private_package(world, frozen)
    with time_machine.travel("2026-03-10 12:00 +01:00", tick=False):
        payments.record_payment(invoice, amount=invoice.amount_due, booked_on=date(2026, 3, 10))
    start = threading.Barrier(2)
    errors, runs = [], []

    def settle(month):
        try:
            start.wait()
            runs.append(settlement.settle_month(month))
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=settle, args=(month,))
        for month in (date(2026, 3, 1), date(2026, 4, 1))
    ]
    with time_machine.travel("2026-05-04 09:00 +02:00", tick=False):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == [] and len(runs) == 2
    settled_in = set(
        SettlementItem.objects.filter(invoice=invoice).values_list("settlement__run", flat=True)
    )
    assert len(settled_in) == 1  # one month took it, the other found it settled
    assert all(run.pain001_sha256 for run in SettlementRun.objects.all())


@pytest.mark.django_db(transaction=True)
def test_two_clerks_at_one_stray_credit_one_assigns_or_marks_the_other_is_told(frozen):
    """One clerk books the credit onto an invoice while another marks it as dealt with: the
    credit's row is locked, so exactly one of them wins and the other gets the conflict."""
    from invoicing.models import BankStatementImport, BankTransaction, Payment
    from zunft.core.errors import Conflict

    world = samples.build_world()
    (invoice,) = samples.private_package(world, frozen)
    statement = BankStatementImport.objects.create(sha256="2" * 64)
    row = BankTransaction.objects.create(
        statement=statement,
        transaction_id="STRAY-1",
        booked_on=date(2026, 3, 2),
        amount=Decimal("250.00"),
        status=BankTransaction.Status.UNMATCHED,
        reason=BankTransaction.Reason.NO_NUMBER,
    )
    start = threading.Barrier(2)
    outcomes = []

    def act(work):
        try:
            start.wait()
            work()
            outcomes.append("done")
        except Conflict:
            outcomes.append("conflict")
        except Exception as exc:  # collected and asserted below
            outcomes.append(exc)
        finally:
            connection.close()

    jobs = [
        lambda: payments.assign_transaction(row, invoice),
        lambda: payments.mark_dealt_with(row, "an Kunden zurücküberwiesen"),
    ]
    threads = [threading.Thread(target=act, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes, key=str) == ["conflict", "done"]
    row.refresh_from_db()
    booked = Payment.objects.filter(bank_transaction_id="STRAY-1").count()
    assert (row.status, booked) in {("assigned", 1), ("dealt", 0)}
