"""Dunning, frozen time: reminder, first and second Mahnung, §288 BGB interest, stop when paid."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from invoicing import dunning, payments, samples, tasks
from invoicing.models import BaseRate, Dunning, DunningNotice, InvoiceMail
from zunft.core.money import format_eur

D = Decimal


@pytest.fixture(autouse=True)
def _rules(settings):
    settings.INVOICING_BASE_RATE = D("1.27")
    settings.INVOICING_REMINDER_DAYS = 7
    settings.INVOICING_DUNNING_INTERVAL_DAYS = 14
    settings.INVOICING_DUNNING_FEE = D("5.00")
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def run_on(day: str) -> dict:
    # The invoices went out by mail when issued (the send waits for a commit these tests never
    # make): the daily run is left with the dunning.
    InvoiceMail.objects.filter(sent_at__isnull=True).update(sent_at=timezone.now())
    with time_machine.travel(f"{day} 07:00 +01:00", tick=False):
        return tasks.dunning.apply().get()


@pytest.fixture
def bathroom(world, frozen):
    (invoice,) = samples.private_package(world, frozen)
    assert invoice.due_date == date(2026, 3, 16)
    return invoice


def test_the_reminder_goes_out_n_days_after_the_due_date_with_the_pdf(bathroom):
    assert run_on("2026-03-22")["notices"] == []
    result = run_on("2026-03-23")
    assert len(result["notices"]) == 1 and result["emailed"] == 1
    notice = DunningNotice.objects.get()
    assert notice.level == Dunning.Level.REMINDER
    assert (notice.fee, notice.interest) == (0, 0)
    (message,) = mail.outbox
    assert message.subject == f"Zahlungserinnerung zur Rechnung {bathroom.number}"
    assert message.to == ["hanna.huesing@example.org"]
    (name, content, mimetype) = message.attachments[0]
    assert name == f"{bathroom.number}.pdf" and mimetype == "application/pdf"
    assert content.startswith(b"%PDF")
    assert "8.241,40 €" in message.body


def test_a_second_run_on_the_same_day_sends_nothing(bathroom):
    run_on("2026-03-23")
    again = run_on("2026-03-23")
    assert again == {"notices": [], "emailed": 0, "without_email": 0, "invoices_mailed": 0}
    assert len(mail.outbox) == 1


def test_mahnungen_add_the_fee_and_consumer_interest(bathroom):
    run_on("2026-03-23")  # reminder: in default from 24 March
    run_on("2026-04-05")  # 13 days later: too early
    assert DunningNotice.objects.count() == 1
    run_on("2026-04-06")
    first = DunningNotice.objects.get(level=Dunning.Level.FIRST)
    assert first.interest_rate == D("6.27")  # base rate 1.27 + 5 points (§288 Abs. 1 BGB)
    # 8241.40 × 6.27 % × 13/365 = 18.4043…
    assert first.interest == D("18.40")
    assert first.fee == D("5.00")
    assert first.total == D("8264.80")
    assert "1. Mahnung" in mail.outbox[-1].subject
    assert "Verzugszinsen (6,27 % p. a., § 288 BGB): 18,40 €" in mail.outbox[-1].body
    run_on("2026-04-20")
    second = DunningNotice.objects.get(level=Dunning.Level.SECOND)
    assert second.fee == D("5.00")
    assert second.interest == dunning.default_interest(
        D("8241.40"), [], D("6.27"), date(2026, 3, 24), date(2026, 4, 20)
    )
    # The second asks for the first's fee too: what it says is owed adds up.
    body = mail.outbox[-1].body
    assert "Mahngebühren der früheren Mahnungen: 5,00 €" in body
    owed = second.open_amount + second.interest + second.fee + first.fee
    assert f"Gesamt: {format_eur(owed)}" in body
    run_on("2026-05-30")  # nothing after the second Mahnung
    assert DunningNotice.objects.count() == 3 and len(mail.outbox) == 3


def test_default_interest_runs_on_what_was_open_on_each_day():
    due, rate = D("3650.00"), D("10")  # 1.00 € a day in default

    def jan(day):
        return date(2026, 1, day)

    assert dunning.default_interest(due, [], rate, jan(1), jan(11)) == D("10.00")
    assert dunning.default_interest(due, [], rate, None, jan(11)) == 0
    # paid before the default began: the rest bears interest from the first day
    before = [(date(2025, 12, 31), D("1825"))]
    assert dunning.default_interest(due, before, rate, jan(1), jan(11)) == D("5.00")
    half = [(jan(6), D("1825.00"))]  # 5 days on all, 5 days on half
    assert dunning.default_interest(due, half, rate, jan(1), jan(11)) == D("7.50")
    # Paid in full (or more) on the 6th: what was earned before stays, later notices add nothing.
    for paid in (
        [(jan(6), due)],
        [(jan(6), D("5000"))],
        [(jan(6), D("1825")), (jan(6), D("1825"))],
    ):
        assert dunning.default_interest(due, paid, rate, jan(1), jan(11)) == D("5.00")
        assert dunning.default_interest(due, paid, rate, jan(1), jan(21)) == D("5.00")
    # a payment on the notice's day or later does not lower the interest up to the day before
    late = [(jan(11), due), (jan(20), D("1"))]
    assert dunning.default_interest(due, late, rate, jan(1), jan(11)) == D("10.00")


def test_default_interest_follows_a_base_rate_that_changed_while_in_default():
    due = D("3650.00")
    jan = {day: date(2026, 1, day) for day in range(1, 32)}
    rates = [(date.min, D("10")), (jan[6], D("20"))]  # 1.00 € a day, from the 6th 2.00 €
    assert dunning.default_interest(due, [], rates, jan[1], jan[11]) == D("15.00")
    assert dunning.default_interest(due, [], rates, jan[7], jan[11]) == D("8.00")
    # paid half on the 9th: 5 × 1.00 + 3 × 2.00 + 2 × 1.00
    assert dunning.default_interest(due, [(jan[9], D("1825"))], rates, jan[1], jan[11]) == 13
    assert dunning.rate_periods(rates, jan[1], jan[11]) == [(jan[1], 10), (jan[6], 20)]
    assert dunning.rate_periods(rates, jan[7], jan[11]) == [(jan[7], 20)]


def test_a_mahnung_across_a_new_base_rate_uses_each_from_its_day(bathroom):
    # (a test day: the Bundesbank's are 1 January and 1 July)
    BaseRate.objects.create(valid_from=date(2026, 4, 1), rate=D("2.27"))
    run_on("2026-03-23")  # in default from 24 March
    run_on("2026-04-06")
    first = DunningNotice.objects.get(level=Dunning.Level.FIRST)
    # 8 days at 6.27 %, 5 days at 7.27 %: 8241.40 × (8 × 6.27 + 5 × 7.27) / 100 / 365 = 19.53
    assert first.interest == D("19.53") and first.interest_rate == D("7.27")
    assert (
        "Verzugszinsen (ab 24.03.2026 6,27 %, ab 01.04.2026 7,27 % p. a., § 288 BGB): 19,53 €"
        in mail.outbox[-1].body
    )


def test_the_letter_keeps_the_rates_it_was_worked_out_with(bathroom):
    # A new base rate from the very day of the notice: the interest ran up to the day before,
    # so the letter names the old rate; a rate entered later changes no letter already sent.
    BaseRate.objects.create(valid_from=date(2026, 4, 6), rate=D("3.27"))
    run_on("2026-03-23")
    run_on("2026-04-06")
    first = DunningNotice.objects.get(level=Dunning.Level.FIRST)
    assert first.interest == D("18.40") and first.interest_rate == D("6.27")
    letter = dunning.notice_text(first)[1]
    assert "Verzugszinsen (6,27 % p. a., § 288 BGB): 18,40 €" in letter
    BaseRate.objects.create(valid_from=date(2026, 4, 1), rate=D("2.27"))
    assert dunning.notice_text(first)[1] == letter


def test_interest_lowered_by_a_payment_booked_later_is_said_to_be_corrected(bathroom):
    run_on("2026-03-23")
    run_on("2026-04-06")
    # a transfer of 30 March reaches the books only after the first Mahnung
    with time_machine.travel("2026-04-10 12:00 +02:00", tick=False):
        payments.record_payment(bathroom, amount="8000.00", booked_on=date(2026, 3, 30))
    run_on("2026-04-20")
    first, second = DunningNotice.objects.filter(level__gte=2).order_by("level")
    assert second.interest < first.interest
    body = mail.outbox[-1].body
    assert "auf den jeweils offenen Betrag" in body
    assert "(Die Verzugszinsen sind gegenüber dem Schreiben vom 06.04.2026 berichtigt.)" in body


def test_the_base_rate_is_entered_for_a_half_year_and_its_absence_is_noticed(db, office_user):
    BaseRate.objects.filter(valid_from__gte=date(2025, 7, 1)).delete()
    # Both half-years' rates are missing: each is named, oldest first.
    assert dunning.missing_base_rates(date(2026, 3, 2)) == [date(2025, 7, 1), date(2026, 1, 1)]
    dunning.enter_base_rate(date(2025, 7, 1), D("1.27"), today=date(2026, 3, 2))
    assert dunning.missing_base_rates(date(2026, 3, 2)) == [date(2026, 1, 1)]
    assert dunning.half_year_starts(date(2026, 3, 2)) == [
        date(2025, 7, 1),
        date(2026, 1, 1),
        date(2026, 7, 1),
    ]
    with pytest.raises(ValidationError) as refused:
        dunning.enter_base_rate(date(2026, 2, 1), D("30"), today=date(2026, 3, 2))
    assert set(refused.value.message_dict) == {"valid_from", "rate"}
    with pytest.raises(ValidationError) as refused:
        dunning.enter_base_rate(date(2027, 1, 1), D("1.27"), today=date(2026, 3, 2))
    assert set(refused.value.message_dict) == {"valid_from"}
    dunning.enter_base_rate(date(2026, 1, 1), D("1.27"), user=office_user, today=date(2026, 3, 2))
    assert dunning.missing_base_rates(date(2026, 3, 2)) == []
    assert dunning.missing_base_rates(date(2026, 7, 1)) == [date(2026, 7, 1)]
    assert dunning.rate_on(dunning.base_rates(), date(2026, 3, 2)) == D("1.27")
    # implausible (12 for 1.2) is refused; a half-year's rate is replaced only on purpose
    with pytest.raises(ValidationError) as refused:
        dunning.enter_base_rate(date(2026, 1, 1), D("12"), today=date(2026, 3, 2))
    assert set(refused.value.message_dict) == {"rate"}
    with pytest.raises(ValidationError) as refused:
        dunning.enter_base_rate(date(2026, 1, 1), D("1.2"), today=date(2026, 3, 2))
    assert set(refused.value.message_dict) == {"rate"}
    assert BaseRate.objects.get(valid_from=date(2026, 1, 1)).rate == D("1.27")
    entry = dunning.enter_base_rate(
        date(2026, 1, 1), D("1.2"), today=date(2026, 3, 2), replace=True
    )
    assert entry.rate == D("1.2") and entry.replaced == D("1.27")


def test_a_business_pays_nine_points_and_the_flat_40_euro_once(world, frozen):
    samples.reverse_charge(world, frozen)
    run_on("2026-03-23")
    run_on("2026-04-06")
    run_on("2026-04-20")
    first, second = DunningNotice.objects.filter(level__gte=2).order_by("level")
    assert first.interest_rate == D("10.27")  # + 9 points (§288 Abs. 2 BGB)
    assert first.fee == D("40.00") and second.fee == 0
    assert "Verzugspauschale" in mail.outbox[1].body


def test_dunning_stops_when_paid_and_dunns_only_the_rest_after_a_partial_payment(bathroom):
    run_on("2026-03-23")
    with time_machine.travel("2026-03-30 12:00 +02:00", tick=False):
        payments.record_payment(bathroom, amount="8000.00", booked_on=date(2026, 3, 30))
    run_on("2026-04-06")
    first = DunningNotice.objects.get(level=Dunning.Level.FIRST)
    assert first.open_amount == D("241.40")
    # In default from 24 March: 6 days on 8,241.40 €, then 7 days on the rest of 241.40 €
    # (8241.40 × 6 + 241.40 × 7) × 6.27 % / 365 = 8.7845…; not 0.54 € on the rest alone.
    assert first.interest == D("8.78")
    body = mail.outbox[-1].body
    assert "Offener Rechnungsbetrag: 241,40 €" in body
    assert "Verzugszinsen (6,27 % p. a., auf den jeweils offenen Betrag, § 288 BGB): 8,78 €" in body
    with time_machine.travel("2026-04-08 12:00 +02:00", tick=False):
        payments.record_payment(bathroom, amount="241.40", booked_on=date(2026, 4, 8))
    run_on("2026-04-20")
    assert not DunningNotice.objects.filter(level=Dunning.Level.SECOND).exists()


def test_a_notice_without_email_is_kept_for_the_post(world, frozen):
    from invoicing import services
    from tests.invoicing.conftest import repair_without_email

    services.issue_invoice(repair_without_email(frozen), issue_date=frozen)
    result = run_on("2026-03-23")
    assert result["emailed"] == 0 and result["without_email"] == 1
    assert DunningNotice.objects.get().emailed_at is None
    assert mail.outbox == []


# --- the charges a notice claims are owed, paid after the invoice, or waived ---------------------


def _row(invoice):
    return payments.with_balance(type(invoice).objects.filter(pk=invoice.pk)).get()


def _pay(invoice, amount, day: str):
    with time_machine.travel(f"{day} 12:00 +02:00", tick=False):
        return payments.record_payment(invoice, amount=amount, booked_on=date.fromisoformat(day))


def test_paying_what_the_mahnung_asks_settles_invoice_and_charges_without_a_credit(bathroom):
    run_on("2026-03-23")
    run_on("2026-04-06")
    first = DunningNotice.objects.get(level=Dunning.Level.FIRST)
    assert first.total == D("8264.80")  # 8241.40 + 5.00 fee + 18.40 interest

    recorded = _pay(bathroom, first.total, "2026-04-10")
    assert recorded.outcome == "full"
    assert (recorded.open, recorded.charges_open) == (0, 0)
    row = _row(bathroom)
    assert (row.charges, row.open, row.charges_open) == (D("23.40"), 0, 0)
    assert row.state == "paid"

    # Only what is paid beyond the invoice and its charges is a credit.
    recorded = _pay(bathroom, "1.00", "2026-04-11")
    assert recorded.outcome == "overpaid" and recorded.open == D("-1.00")
    assert _row(bathroom).open == D("-1.00")
    assert payments.balance(bathroom) == payments.Balance(open=D("-1.00"), charges_open=0)


def test_paying_only_the_invoice_ends_the_dunning_and_leaves_the_charges_to_pay_or_waive(
    bathroom, office_user
):
    from invoicing.privacy import erasure_blockers

    run_on("2026-03-23")
    run_on("2026-04-06")
    # Not while the invoice itself is open: the dunning would go on and claim again.
    with pytest.raises(ValidationError) as refused:
        dunning.waive_charges(bathroom, user=office_user)
    assert "bezahlt" in refused.value.message_dict["invoice"][0]
    recorded = _pay(bathroom, bathroom.amount_due, "2026-04-08")
    bathroom.refresh_from_db()
    assert bathroom.state == "paid" and recorded.outcome == "full"
    assert recorded.charges_open == D("23.40")
    run_on("2026-04-20")
    assert not DunningNotice.objects.filter(level=Dunning.Level.SECOND).exists()

    _pay(bathroom, "10.00", "2026-04-21")  # part of the charges, not a credit
    assert payments.balance(bathroom) == payments.Balance(open=0, charges_open=D("13.40"))
    assert [b["id"] for b in erasure_blockers(bathroom.customer)] == [bathroom.pk]  # a claim

    with time_machine.travel("2026-04-22 12:00 +02:00", tick=False):
        assert dunning.waive_charges(bathroom, user=office_user) == D("13.40")
    row = _row(bathroom)
    assert (row.charges, row.open, row.charges_open) == (D("10.00"), 0, 0)
    assert payments.balance(bathroom) == payments.Balance(open=0, charges_open=0)
    assert erasure_blockers(bathroom.customer) == []
    state = Dunning.objects.get(invoice=bathroom)
    assert state.charges_waived == D("13.40") and state.charges_waived_by == office_user
    assert state.charges_waived_on == date(2026, 4, 22)
    with pytest.raises(ValidationError) as refused:
        dunning.waive_charges(bathroom, user=office_user)
    assert "invoice" in refused.value.message_dict


def test_a_cancelled_invoice_owes_no_charges(bathroom):
    from invoicing import services

    run_on("2026-03-23")
    run_on("2026-04-06")
    _pay(bathroom, "100.00", "2026-04-07")
    with time_machine.travel("2026-04-08 12:00 +02:00", tick=False):
        services.cancel_invoice(bathroom)
    bathroom.refresh_from_db()
    row = _row(bathroom)
    assert (row.charges, row.charges_open, row.open) == (0, 0, D("-100.00"))
    assert payments.balance(bathroom).open == D("-100.00")


def test_a_bank_credit_of_the_mahnung_total_is_matched_not_overpaid(bathroom):
    from pathlib import Path

    from invoicing.models import BankTransaction

    run_on("2026-03-23")
    run_on("2026-04-06")
    total = DunningNotice.objects.get(level=Dunning.Level.FIRST).total
    camt = (Path(__file__).parent / "fixtures" / "camt053_2026-03-02.xml").read_text()
    # Hanna pays the notice's total, without the invoice number: found by amount and name.
    camt = (
        camt.replace("8241.40", str(total))
        .replace("RE-2026-00001 Bad komplett", "Mahnung Bad")
        .replace("2026-03-02", "2026-04-10")
    )
    with time_machine.travel("2026-04-10 12:00 +02:00", tick=False):
        payments.import_camt053(camt.encode(), filename="auszug.xml")
    row = BankTransaction.objects.get(amount=total)
    assert row.status == BankTransaction.Status.MATCHED, row.note
    assert list(row.invoices.all()) == [bathroom]
    assert payments.balance(bathroom) == payments.Balance(open=0, charges_open=0)


def test_a_payment_booked_while_the_run_reads_stops_the_notice(bathroom):
    run_on("2026-03-23")
    day = date(2026, 4, 6)
    [stale] = dunning.overdue(day)  # read by the run, then the customer's payment is booked
    _pay(bathroom, bathroom.amount_due, "2026-04-05")
    with time_machine.travel("2026-04-06 07:00 +02:00", tick=False):
        assert dunning.step(stale, day) is None
    assert not DunningNotice.objects.filter(level=Dunning.Level.FIRST).exists()
    assert payments.balance(bathroom) == payments.Balance(open=0, charges_open=0)


def test_one_transfer_for_two_dunned_invoices_pays_both_before_any_charges(world, frozen):
    from pathlib import Path

    from invoicing.models import BankTransaction

    (bathroom,) = samples.private_package(world, frozen)
    (construction,) = samples.reverse_charge(world, frozen)
    run_on("2026-03-23")
    run_on("2026-04-06")
    assert payments.balance(construction).charges_open > D("40.00")  # flat 40 € and interest
    both = bathroom.amount_due + construction.amount_due  # the invoice amounts, no charges
    camt = (Path(__file__).parent / "fixtures" / "camt053_2026-03-02.xml").read_text()
    camt = (
        camt.replace("8241.40", str(both))
        .replace("RE-2026-00001 Bad komplett", f"{bathroom.number} {construction.number}")
        .replace("Rechnung RE 2026 00002", "ohne Nummer")  # the file's other credit: not ours
        .replace("2026-03-02", "2026-04-10")
    )
    with time_machine.travel("2026-04-10 12:00 +02:00", tick=False):
        payments.import_camt053(camt.encode(), filename="auszug.xml")
    row = BankTransaction.objects.get(amount=both)
    assert row.status == BankTransaction.Status.MATCHED, row.note
    for invoice in (bathroom, construction):
        invoice.refresh_from_db()
        assert invoice.state == "paid"  # neither stays in dunning for the other's charges
        assert payments.balance(invoice).open == 0
        assert payments.balance(invoice).charges_open > 0


# --- a withdrawn order's progress invoices are the office's to decide ----------------------------


def test_the_daily_run_leaves_a_withdrawn_orders_progress_invoice_alone(world, frozen):
    _package, progress = samples.withdrawn_bathroom(world, frozen, paid=False)
    assert progress.due_date == date(2026, 3, 8)  # reminder due from 15 March
    (bathroom,) = samples.private_package(world, frozen)  # an ordinary one, due 16 March
    result = run_on("2026-03-23")
    (notice,) = DunningNotice.objects.all()
    assert notice.invoice == bathroom and result["notices"] == [notice.pk]
    assert [message.subject for message in mail.outbox] == [
        f"Zahlungserinnerung zur Rechnung {bathroom.number}"
    ]
    run_on("2026-04-30")
    assert not DunningNotice.objects.filter(invoice=progress).exists()
    # a step taken for it all the same (a run that read its list before the withdrawal)
    assert dunning.step(progress, date(2026, 4, 30)) is None


def test_a_notice_not_yet_sent_when_the_order_was_withdrawn_is_not_sent_after(world, frozen):
    _package, progress = samples.withdrawn_bathroom(world, frozen, paid=False)
    notice = DunningNotice.objects.create(
        invoice=progress,
        level=Dunning.Level.REMINDER,
        sent_on=date(2026, 2, 22),  # as if made before the withdrawal, its mail refused
        open_amount=progress.amount_due,
        fee=0,
        interest=0,
        interest_rate=0,
        pay_by=date(2026, 3, 4),
        email=progress.buyer_email,
    )
    result = run_on("2026-03-23")
    assert result["emailed"] == 0 and mail.outbox == []
    notice.refresh_from_db()
    assert notice.emailed_at is None


def test_her_order_page_neither_urges_nor_calls_late_a_progress_invoice_held_after_withdrawal(
    world, frozen
):
    import datetime as dt

    from django.contrib.auth import get_user_model

    from invoicing.package_documents import package_invoices

    package, _progress = samples.withdrawn_bathroom(world, frozen, paid=False)
    homeowner = get_user_model().objects.create_user("kundin", role="homeowner")
    package.customer.user = homeowner
    package.customer.save(update_fields=["user"])
    with time_machine.travel(dt.datetime(2026, 4, 30, 10, tzinfo=dt.UTC), tick=False):
        (document,) = package_invoices(homeowner, package)
    assert document.state == "open" and document.payment is None
    assert "überfällig" not in document.note and "das Büro" in document.note
