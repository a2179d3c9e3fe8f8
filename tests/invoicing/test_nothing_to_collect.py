"""A package invoice with nothing to collect: the progress payments it deducts cover it (amount due
zero) or exceed it (a credit owed to the customer, e.g. the compensation after a withdrawal). It is
settled at issue, or once the credit is refunded; then the members are paid their share of the
work billed in it, once, and nobody dunns it."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from invoicing import dunning, payments, samples, services, settlement
from invoicing.models import Invoice, Payment, SettlementItem
from jobs.models import Package, Task
from zunft.core.money import format_money

D = Decimal
IBAN = "DE89370400440532013000"


def settle(period: date, day: str):
    with time_machine.travel(f"{day} 09:00 +02:00", tick=False):
        return settlement.settle_month(period)


def shares_of(invoice: Invoice) -> list[tuple[str, Decimal]]:
    return sorted(
        SettlementItem.objects.filter(invoice=invoice).values_list("workshop__name", "net")
    )


def covered_final(world, today: date, *, progress_paid: bool = True) -> tuple[Invoice, Invoice]:
    """A boiler replaced by the plumbers; one progress invoice over exactly what the final
    invoice bills (paid, unless not ``progress_paid``), so the final invoice leaves 0,00 € due."""
    customer, site = samples.private_customer()
    start = today - timedelta(days=30)
    package = samples._package(
        customer,
        site,
        "Heizungstausch",
        start,
        samples._tasks(world, [("heizung", "Therme tauschen", "sanitaer", "24", "6850")]),
        status=Package.Status.IN_PROGRESS,
    )
    package.tasks.update(status=Task.Status.DONE)
    Package.objects.filter(pk=package.pk).update(status=Package.Status.DONE)
    billings = samples._billings(package, world, start)
    sized = services.generate_package_invoice(package, billings=billings)
    net = sized.net_total
    services.delete_draft(sized)
    progress = services.issue_invoice(
        services.generate_progress_invoice(
            package, net_amount=net, text="1. Abschlag", performance=(start, start + timedelta(1))
        ),
        issue_date=start + timedelta(days=2),
        today=today,
    )
    if progress_paid:
        payments.record_payment(
            progress, amount=progress.amount_due, booked_on=start + timedelta(days=3)
        )
    final = services.issue_invoice(
        services.generate_package_invoice(package, billings=billings), issue_date=today, today=today
    )
    assert final.kind == Invoice.Kind.FINAL and final.amount_due == 0
    progress.refresh_from_db()
    return progress, final


@pytest.fixture
def compensation(world, frozen):
    """Hanna withdrew from the bathroom: the compensation (1.602,57 €) is less than the progress
    payment she made (1.785,00 €), so 182,43 € go back to her."""
    progress, invoice = samples.withdrawn_package(world, frozen)
    assert invoice.compensation and invoice.amount_due == D("-182.43")
    return progress, invoice


# --- nothing due: settled at issue ----------------------------------------------------------------


def test_a_final_invoice_the_progress_payments_cover_is_paid_on_its_issue_date(world, frozen):
    _progress, final = covered_final(world, frozen)
    assert final.state == Invoice.State.PAID and final.paid_on == frozen
    assert not final.payments.exists()  # nothing moved: nothing to book
    assert payments.balance(final).open == 0


def test_the_members_are_paid_for_the_work_in_a_covered_final_invoice_in_its_month(world, frozen):
    progress, final = covered_final(world, frozen)
    run = settle(date(2026, 3, 1), "2026-04-01")
    plumbers = run.settlements.get(workshop=world.sanitaer)
    # all the work billed: 24 h × 68 € + 24 km × 0,90 € + material 6.850,00 €
    assert plumbers.share_net == final.net_total == D("8503.60")
    assert shares_of(final) == [(world.sanitaer.name, D("8503.60"))]
    assert not SettlementItem.objects.filter(invoice=progress).exists()
    line = plumbers.credit_note.lines.get()
    assert line.text.startswith(f"Anteil an Rechnung {final.number}")
    assert line.detail == "ausgeglichen am 02.03.2026"


def test_a_covered_final_invoice_waits_for_its_progress_invoice_to_be_paid(world, frozen):
    """Nothing is due on it, but the customer has not paid the progress invoice it deducts: the
    members' shares wait until she has, and the run of that month pays them."""
    progress, final = covered_final(world, frozen, progress_paid=False)
    assert final.state == Invoice.State.PAID
    march = settle(date(2026, 3, 1), "2026-04-01")
    assert march.settlements.count() == 0 and not shares_of(final)
    with time_machine.travel("2026-04-03 10:00 +02:00", tick=False):
        payments.record_payment(progress, amount=progress.amount_due, booked_on=date(2026, 4, 3))
    april = settle(date(2026, 4, 1), "2026-05-01")
    assert april.settlements.get().workshop == world.sanitaer
    assert shares_of(final) == [(world.sanitaer.name, final.net_total)]


# --- a credit owed back: settled once it is refunded ----------------------------------------------


def test_a_credit_invoice_takes_no_payment_and_is_open_until_the_credit_is_refunded(
    compensation, frozen
):
    _progress, invoice = compensation
    assert invoice.state == Invoice.State.ISSUED and payments.balance(invoice).open == D("-182.43")
    with pytest.raises(ValidationError) as refused:
        payments.record_payment(invoice, amount="1.00", booked_on=frozen)
    assert "invoice" in refused.value.message_dict
    payments.record_refund(invoice, amount="100.00", booked_on=frozen)
    invoice.refresh_from_db()
    assert invoice.state == Invoice.State.ISSUED  # 82,43 € still to go back
    payments.record_refund(invoice, amount="82.43", booked_on=frozen)
    invoice.refresh_from_db()
    assert invoice.state == Invoice.State.PAID and invoice.paid_on == frozen


def test_the_refund_transfer_carried_out_settles_the_compensation_and_pays_the_member_once(
    world, compensation, frozen, office_user, api_as
):
    progress, invoice = compensation
    transfer = payments.prepare_refund_transfer(
        invoice, name="Hanna Hüsing", iban=IBAN, amount=D("182.43"), execution_date=frozen
    )
    with time_machine.travel("2026-03-05 10:00 +01:00", tick=False):
        payments.record_refund(
            invoice, amount="182.43", booked_on=date(2026, 3, 5), transfer=transfer.pk
        )
    invoice.refresh_from_db()
    assert invoice.state == Invoice.State.PAID and invoice.paid_on == date(2026, 3, 5)

    march = settle(date(2026, 3, 1), "2026-04-01")
    plumbers = march.settlements.get()
    # the work recorded until the withdrawal, all of it the plumbers'; the progress payment
    # it deducts is no share of its own
    assert plumbers.workshop == world.sanitaer and plumbers.share_net == D("1346.70")
    assert shares_of(invoice) == [(world.sanitaer.name, D("1346.70"))]
    assert not SettlementItem.objects.filter(invoice=progress).exists()

    # the bank sends the refund back: the credit is open again, the invoice stays settled,
    # and no later run pays the members again
    with time_machine.travel("2026-04-08 10:00 +02:00", tick=False):
        payments.record_transfer_returned(invoice, transfer.pk, booked_on=date(2026, 4, 8))
    invoice.refresh_from_db()
    assert invoice.state == Invoice.State.PAID
    assert payments.balance(invoice).open == D("-182.43")
    with time_machine.travel("2026-04-08 10:00 +02:00", tick=False):
        html = api_as(office_user).get(f"/buero/rechnungen/{invoice.pk}/").content.decode()
    assert 'data-testid="settled-how"' not in html
    assert text_of(html, "refund-reason").startswith("Die abgezogenen Abschläge übersteigen")
    april = settle(date(2026, 4, 1), "2026-05-01")
    assert april.settlements.count() == 0
    assert SettlementItem.objects.filter(invoice=invoice).count() == 1


def test_a_credit_invoice_is_not_settled_before_its_refund(compensation, frozen):
    _progress, invoice = compensation
    assert settle(date(2026, 3, 1), "2026-04-01").settlements.count() == 0
    assert not shares_of(invoice)


# --- never dunned -------------------------------------------------------------------------------


def test_nothing_is_dunned_on_an_invoice_with_nothing_to_collect(world, compensation, frozen):
    _progress, credit = compensation
    _covered_progress, covered = covered_final(world, frozen)
    months_later = frozen + timedelta(days=120)
    overdue = set(dunning.overdue(months_later, days=1).values_list("pk", flat=True))
    assert not overdue & {credit.pk, covered.pk}
    for invoice in (credit, covered):
        assert dunning.step(invoice, months_later) is None
        assert not invoice.dunning_notices.exists()


# --- the office's pages -------------------------------------------------------------------------


def text_of(html: str, testid: str) -> str:
    found = re.search(rf'data-testid="{testid}"[^>]*>(.*?)</p>', html, re.S)
    assert found, testid
    return " ".join(re.sub(r"<[^>]+>", " ", found[1]).split())


def state_of(html: str) -> str:
    return re.search(r'data-state="([a-z]+)">([^<]+)<', html)[2]


def test_the_office_reads_how_a_covered_final_invoice_was_settled(
    world, frozen, office_user, api_as
):
    _progress, final = covered_final(world, frozen)
    html = api_as(office_user).get(f"/buero/rechnungen/{final.pk}/").content.decode()
    assert state_of(html) == "bezahlt"
    assert text_of(html, "settled-how") == (
        "Ausgeglichen am 02.03.2026: Die abgezogenen Abschläge decken den Rechnungsbetrag, "
        "es war nichts zu zahlen."
    )


def test_the_office_reads_what_a_credit_invoice_owes_and_then_that_it_is_settled(
    compensation, frozen, office_user, api_as
):
    _progress, invoice = compensation
    client = api_as(office_user)
    html = client.get(f"/buero/rechnungen/{invoice.pk}/").content.decode()
    assert state_of(html) == "ausgestellt"
    assert text_of(html, "refund-reason") == (
        "Die abgezogenen Abschläge übersteigen diese Rechnung: 182,43 € stehen der Kundin oder "
        "dem Kunden zu. Sobald der Betrag zurücküberwiesen ist, hier die Erstattung buchen; "
        "damit ist die Rechnung ausgeglichen."
    )
    refunds = client.get("/buero/rechnungen/?status=refund").content.decode()
    assert f'href="/buero/rechnungen/{invoice.pk}/"' in refunds
    # the credit owed is no open claim: the list's open total leaves it out
    listed = client.get("/buero/rechnungen/").content.decode()
    summary = re.search(r'data-testid="summary">(.*?)</p>', listed, re.S)[1]
    assert re.search(r"offen <strong>(.*?)</strong>", summary)[1] == format_money(D("0"))

    answer = client.post(
        f"/buero/rechnungen/{invoice.pk}/erstattung/",
        {"amount": "182,43", "booked_on": "02.03.2026", "reference": "Erstattung"},
    )
    assert answer.status_code in (200, 302), answer.content[:500]
    html = client.get(f"/buero/rechnungen/{invoice.pk}/").content.decode()
    assert state_of(html) == "bezahlt"
    assert text_of(html, "settled-how") == (
        "Ausgeglichen am 02.03.2026: Das Guthaben der Kundin oder des Kunden ist erstattet."
    )
    assert Payment.objects.get(invoice=invoice).amount == D("-182.43")


def test_no_credit_is_paid_back_that_rests_on_an_unpaid_progress_invoice(world, frozen):
    """Hanna withdrew without paying the progress invoice: the compensation invoice deducts it
    all the same, but its "credit" was never received, so nothing of it goes out."""
    package, progress = samples.withdrawn_bathroom(world, frozen, paid=False)
    invoice = services.issue_invoice(
        services.generate_package_invoice(package), issue_date=frozen, today=frozen
    )
    assert invoice.amount_due < 0 and progress.amount_due > -invoice.amount_due
    with pytest.raises(ValidationError) as refused:
        payments.record_refund(invoice, amount=-invoice.amount_due, booked_on=frozen)
    assert progress.number in refused.value.message_dict["amount"][0]
    with pytest.raises(ValidationError):
        payments.prepare_refund_transfer(
            invoice,
            name="Hanna Hausmann",
            iban="DE89370400440532013000",
            amount=-invoice.amount_due,
            execution_date=frozen,
        )
    assert not invoice.payments.exists() and not invoice.refund_transfers.exists()
