"""What the office and the members rely on when invoices are built and issued."""

from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from customers.models import Customer
from invoicing import samples, services, texts
from invoicing.models import Invoice, InvoiceLine
from jobs.models import Package, Task
from scheduling.models import Appointment
from trades.models import WorkshopTrade
from zunft.core.models import Event

D = Decimal


def lines_of(invoice):
    return list(invoice.lines.order_by("position"))


def test_a_package_is_billed_at_each_performing_workshops_hourly_rate(world, frozen):
    (invoice,) = samples.private_package(world, frozen)
    labour = {
        line.text: (line.quantity, line.unit_price)
        for line in lines_of(invoice)
        if line.kind == InvoiceLine.Kind.LABOUR
    }
    assert labour["Rückbau Altinstallation Bad – Arbeitszeit"] == (D("6"), D("68.00"))
    assert labour["Elektroinstallation Bad, 6 Steckdosen, 2 Leuchten – Arbeitszeit"] == (
        D("8"),
        D("61.50"),
    )
    material = [line for line in lines_of(invoice) if line.kind == InvoiceLine.Kind.MATERIAL]
    assert sorted(line.net_amount for line in material) == [D("236.75"), D("1180.40"), D("2890")]


def test_an_accepted_order_is_billed_at_its_quoted_rates_whoever_does_the_work(world, frozen):
    # The kitchen was quoted at Sanitär Meyer's 68 € and Elektro Janßen's 61,50 €. Then the
    # plumbing went to a dearer member and Janßen raised its prices: the homeowner still pays
    # the accepted rates, each line naming who did the work.
    (kitchen,) = samples.coordinated_package(world, frozen)
    package = kitchen.package
    services.cancel_invoice(kitchen, today=frozen)
    dearer = samples._workshop("Sanitär Nord", world.trades["sanitaer"], "82.00")
    WorkshopTrade.objects.filter(workshop=world.elektro).update(hourly_rate=D("74.00"))
    billings = samples._billings(package, world, frozen - timedelta(days=14))
    billings = [
        replace(b, workshop=dearer) if b.task.trade.code == "sanitaer" else b for b in billings
    ]
    invoice = services.generate_package_invoice(package, billings=billings)
    labour = {
        line.text: (line.unit_price, line.performed_by)
        for line in lines_of(invoice)
        if line.kind == InvoiceLine.Kind.LABOUR
    }
    assert labour == {
        "Wasser- und Abwasseranschluss Küche – Arbeitszeit": (D("68.00"), dearer),
        "Herdanschluss und 4 Steckdosen Küche – Arbeitszeit": (D("61.50"), world.elektro),
    }


def test_a_task_renamed_after_acceptance_keeps_its_trades_quoted_rate(world, frozen):
    (kitchen,) = samples.coordinated_package(world, frozen)
    package = kitchen.package
    services.cancel_invoice(kitchen, today=frozen)
    package.tasks.filter(trade__code="sanitaer").update(name_de="Spüle und Geschirrspüler")
    WorkshopTrade.objects.filter(workshop=world.sanitaer).update(hourly_rate=D("79.00"))
    billings = samples._billings(package, world, frozen - timedelta(days=14))
    invoice = services.generate_package_invoice(package, billings=billings)
    (line,) = invoice.lines.filter(text="Spüle und Geschirrspüler – Arbeitszeit")
    assert line.unit_price == D("68.00")


def test_totals_are_the_vat_per_rate_on_the_sum_of_the_lines(world, frozen):
    (invoice,) = samples.private_package(world, frozen)
    net = sum(line.net_amount for line in lines_of(invoice))
    assert invoice.net_total == net == D("6925.55")
    assert invoice.tax_total == D("1315.85")  # 19 % of 6925.55 = 1315.8545
    assert invoice.gross_total == invoice.amount_due == D("8241.40")


def test_a_private_invoice_states_the_35a_share_without_material(world, frozen):
    (invoice,) = samples.private_package(world, frozen)
    household_net = sum(
        line.net_amount for line in lines_of(invoice) if line.kind in InvoiceLine.HOUSEHOLD_KINDS
    )
    assert household_net == D("2618.40")
    assert invoice.household_services == D("3115.90")  # incl. 19 % VAT, as §35a counts it
    assert any("§ 35a" in note and "3.115,90 €" in note for note in invoice.legal_notes)


def test_a_private_customer_is_told_to_keep_the_invoice_two_years(world, frozen):
    (invoice,) = samples.private_package(world, frozen)
    assert texts.RETENTION_NOTICE in invoice.legal_notes


def test_a_business_customer_gets_neither_the_retention_nor_the_35a_notice(world, frozen):
    (invoice,) = samples.reverse_charge(world, frozen)
    assert texts.RETENTION_NOTICE not in invoice.legal_notes
    assert not any("§ 35a" in note for note in invoice.legal_notes)
    assert invoice.household_services == 0


def test_construction_work_for_a_construction_business_is_reverse_charged(world, frozen):
    (invoice,) = samples.reverse_charge(world, frozen)
    assert invoice.tax_treatment == Invoice.TaxTreatment.REVERSE_CHARGE
    assert invoice.tax_total == 0
    assert invoice.gross_total == invoice.net_total == D("8705.60")
    assert {line.tax_category for line in lines_of(invoice)} == {"AE"}
    assert any("Steuerschuldnerschaft des Leistungsempfängers" in n for n in invoice.legal_notes)
    assert invoice.buyer_vat_id == "DE314159262"


def test_reverse_charge_is_refused_without_the_buyers_vat_id(world, frozen):
    customer = Customer.objects.create(
        kind=Customer.Kind.BUSINESS,
        company="Bau ohne Nummer GmbH",
        email="a@b.example",
        street="Weg 1",
        postal_code="49661",
        city="Cloppenburg",
        construction_business=True,
    )
    draft = services.create_draft(
        customer=customer,
        lines=[services.LineInput("labour", "Arbeit", D("1"), "HUR", D("50.00"))],
        title="Test",
        performance_start=frozen,
        performance_end=frozen,
    )
    with pytest.raises(ValidationError) as error:
        services.issue_invoice(draft)
    assert "buyer_vat_id" in error.value.message_dict
    draft.refresh_from_db()
    assert draft.state == Invoice.State.DRAFT and draft.number == ""


def test_a_small_business_member_charges_no_vat_and_says_why(world, frozen):
    (invoice,) = samples.small_business(world, frozen)
    assert invoice.issuer_workshop == world.maler
    assert invoice.seller_name == "Malerei Lüken"
    assert invoice.seller_tax_number == "69/215/12345" and invoice.seller_vat_id == ""
    assert invoice.tax_total == 0
    assert {line.tax_category for line in lines_of(invoice)} == {"E"}
    assert texts.SMALL_BUSINESS_NOTICE in invoice.legal_notes
    assert invoice.number == f"RE{world.maler.pk}-2026-00001"


def test_a_member_invoices_directly_only_its_own_work(world, frozen):
    customer, site = samples.private_customer()
    package = samples._package(
        customer,
        site,
        "Zwei Gewerke",
        frozen - timedelta(days=3),
        [
            ("a", "Streichen", world.trades["maler"], "4", "0"),
            ("b", "Steckdosen", world.trades["elektro"], "2", "0"),
        ],
    )
    billings = samples._billings(package, world, frozen - timedelta(days=3))
    with pytest.raises(ValidationError) as error:
        services.generate_package_invoice(package, billings=billings, issuer=world.maler)
    assert "issuer" in error.value.message_dict
    assert not Invoice.objects.filter(package=package).exists()


def test_photovoltaics_on_a_home_is_invoiced_at_zero_rate(world, frozen):
    customer, site = samples.private_customer()
    package = samples._package(
        customer,
        site,
        "PV-Anlage 9,8 kWp",
        frozen - timedelta(days=4),
        [("pv", "PV-Anlage montieren", world.trades["elektro"], "16", "9800")],
    )
    billings = samples._billings(package, world, frozen - timedelta(days=4), vat_rate=0)
    invoice = services.issue_invoice(services.generate_package_invoice(package, billings=billings))
    assert invoice.tax_total == 0
    assert {line.tax_category for line in lines_of(invoice)} == {"Z"}
    assert texts.ZERO_RATE_NOTICE in invoice.legal_notes


def test_the_final_invoice_deducts_the_progress_payments_and_their_vat(world, frozen):
    first, second, final = samples.progress_and_final(world, frozen)
    assert (first.kind, second.kind, final.kind) == ("progress", "progress", "final")
    assert [(d.progress_number, d.net, d.tax, d.gross) for d in final.deductions.all()] == [
        (first.number, D("3000.00"), D("570.00"), D("3570.00")),
        (second.number, D("2500.00"), D("475.00"), D("2975.00")),
    ]
    assert final.prepaid_total == D("6545.00")
    assert final.amount_due == final.gross_total - D("6545.00") == D("5597.05")
    assert texts.FINAL_NOTICE in final.legal_notes


def test_a_progress_payment_is_deducted_on_one_standing_final_invoice_only(world, frozen):
    first, second, final = samples.progress_and_final(world, frozen)
    billings = samples._billings(final.package, world, frozen - timedelta(days=30))
    again = services.generate_package_invoice(final.package, billings=billings, final=True)
    assert again.deductions.count() == 0
    services.delete_draft(again)
    services.cancel_invoice(final)
    replacement = services.generate_package_invoice(final.package, billings=billings, final=True)
    assert {d.progress_invoice_id for d in replacement.deductions.all()} == {first.pk, second.pk}


def test_cancelling_issues_a_storno_with_negated_lines_referencing_the_original(world, frozen):
    original, storno = samples.cancellation(world, frozen)
    assert original.state == Invoice.State.CANCELLED
    assert storno.kind == Invoice.Kind.CANCELLATION and storno.original == original
    assert storno.state == Invoice.State.ISSUED and storno.number
    assert [(line.text, line.quantity, line.net_amount) for line in lines_of(storno)] == [
        (line.text, -line.quantity, -line.net_amount) for line in lines_of(original)
    ]
    assert storno.gross_total == -original.gross_total
    assert any(original.number in note for note in storno.legal_notes)


def test_a_cancelled_invoice_cannot_be_cancelled_twice(world, frozen):
    original, storno = samples.cancellation(world, frozen)
    with pytest.raises(ValidationError) as error:
        services.cancel_invoice(original)
    assert "state" in error.value.message_dict
    with pytest.raises(ValidationError):
        services.cancel_invoice(storno)


def test_a_draft_gets_its_number_only_when_issued_and_numbers_follow_each_other(world, frozen):
    (first,) = samples.private_package(world, frozen)
    (draft_package,) = [
        samples._package(
            *samples.private_customer(),
            "Nächster Auftrag",
            frozen,
            [("x", "Leuchte tauschen", world.trades["elektro"], "1", "0")],
        )
    ]
    draft = services.generate_package_invoice(
        draft_package, billings=samples._billings(draft_package, world, frozen)
    )
    assert draft.number == "" and draft.sequence is None
    issued = services.issue_invoice(draft)
    assert (first.number, issued.number) == ("RE-2026-00001", "RE-2026-00002")
    assert issued.issue_date == frozen and issued.due_date == frozen + timedelta(days=14)


def test_numbering_restarts_each_year_and_each_issuer_has_its_own_series(world, frozen):
    def issue(issuer, on):
        customer, _site = samples.private_customer()
        draft = services.create_draft(
            customer=customer,
            lines=[services.LineInput("labour", "Arbeit", D("1"), "HUR", D("40.00"))],
            title="Kleinauftrag",
            performance_start=on,
            performance_end=on,
            issuer=issuer,
        )
        return services.issue_invoice(draft, issue_date=on).number

    december, january = date(2025, 12, 30), date(2026, 1, 2)
    assert issue(None, december) == "RE-2025-00001"
    assert issue(None, december) == "RE-2025-00002"
    assert issue(None, january) == "RE-2026-00001"
    assert issue(world.elektro, january) == f"RE{world.elektro.pk}-2026-00001"
    assert issue(None, january) == "RE-2026-00002"


def test_an_invoice_cannot_be_dated_in_the_future(world, frozen):
    """A mistyped year would open next year's series with an immutable invoice."""
    customer, _site = samples.private_customer()
    draft = services.create_draft(
        customer=customer,
        lines=[services.LineInput("labour", "Arbeit", D("1"), "HUR", D("40.00"))],
        title="Kleinauftrag",
        performance_start=frozen,
        performance_end=frozen,
    )
    with pytest.raises(ValidationError) as refused:
        services.issue_invoice(draft, issue_date=date(2030, 1, 1))
    assert "Zukunft" in refused.value.message_dict["issue_date"][0]
    draft.refresh_from_db()
    assert draft.is_draft and draft.number == ""
    assert services.issue_invoice(draft).number == "RE-2026-00001"  # no number was used up
    with pytest.raises(ValidationError) as again:
        services.issue_invoice(draft)
    assert again.value.message_dict["state"] == ["Die Rechnung ist bereits ausgestellt."]


def test_an_unfinished_package_is_not_invoiced(world, frozen):
    customer, site = samples.private_customer()
    package = samples._package(
        customer,
        site,
        "Noch in Arbeit",
        frozen,
        [("x", "Leitungen", world.trades["sanitaer"], "3", "0")],
        status=Package.Status.IN_PROGRESS,
    )
    with pytest.raises(ValidationError) as error:
        services.generate_package_invoice(
            package, billings=samples._billings(package, world, frozen)
        )
    assert "package" in error.value.message_dict


def test_the_performing_workshop_is_found_from_the_live_appointment(world, frozen):
    customer, site = samples.private_customer()
    package = samples._package(
        customer,
        site,
        "Steckdosen",
        frozen - timedelta(days=2),
        [("steckdosen", "Steckdosen setzen", world.trades["elektro"], "3", "45.00")],
    )
    task = package.tasks.get()
    start = timezone.make_aware(datetime(2026, 2, 27, 8))
    Appointment.objects.create(
        task=task,
        workshop=world.elektro,
        start=start,
        end=start + timedelta(hours=3),
        status="accepted",
        travel_km=18,
    )
    invoice = services.generate_package_invoice(package)
    assert [(line.kind, line.quantity, line.unit_price) for line in lines_of(invoice)] == [
        ("labour", D("3.000"), D("61.50")),
        ("travel", D("18.000"), D("0.90")),
        ("material", D("1.000"), D("45.00")),
    ]
    assert (invoice.performance_start, invoice.performance_end) == (date(2026, 2, 27),) * 2


def test_travel_is_billed_per_working_day_as_the_quote_charged_it(world, frozen):
    customer, site = samples.private_customer()
    package = samples._package(
        customer,
        site,
        "Küche",
        frozen - timedelta(days=5),
        [("kueche", "Küche montieren", world.trades["elektro"], "12", "0")],
    )
    start = timezone.make_aware(datetime(2026, 2, 26, 8))
    Appointment.objects.create(
        task=package.tasks.get(),
        workshop=world.elektro,
        start=start,
        end=start + timedelta(days=1, hours=4),
        status="accepted",
        travel_km=37,  # there and back once
        segments=[
            {"date": "2026-02-26", "start_hour": 8, "hours": 8},
            {"date": "2026-02-27", "start_hour": 8, "hours": 4},
        ],
    )
    invoice = services.generate_package_invoice(package)
    (travel,) = [line for line in lines_of(invoice) if line.kind == InvoiceLine.Kind.TRAVEL]
    assert travel.quantity == D("74")


def test_a_task_nobody_performed_cannot_be_billed(world, frozen):
    customer, site = samples.private_customer()
    package = samples._package(
        customer, site, "Ohne Termin", frozen, [("x", "Arbeit", world.trades["elektro"], "1", "0")]
    )
    with pytest.raises(ValidationError) as error:
        services.generate_package_invoice(package)
    assert "billings" in error.value.message_dict


def test_a_bad_vat_rate_is_refused_naming_the_line(world, frozen):
    customer, _site = samples.private_customer()
    with pytest.raises(ValidationError) as error:
        services.create_draft(
            customer=customer,
            lines=[
                services.LineInput("labour", "Arbeit", D("1"), "HUR", D("40.00")),
                services.LineInput("labour", "Arbeit", D("1"), "HUR", D("40.00"), D("16")),
            ],
            title="Falscher Satz",
            performance_start=frozen,
            performance_end=frozen,
        )
    assert "lines[1].vat_rate" in error.value.message_dict
    assert not Invoice.objects.exists()


def test_issuing_tells_the_office_and_the_package_live(world, frozen):
    (invoice,) = samples.private_package(world, frozen)
    events = Event.objects.filter(type="invoice.issued", data__invoice=invoice.pk)
    assert set(events.values_list("group", flat=True)) == {
        "office",
        f"package.{invoice.package_id}",
    }


def test_an_issued_invoice_cannot_be_issued_again(world, frozen):
    (invoice,) = samples.private_package(world, frozen)
    with pytest.raises(ValidationError) as error:
        services.issue_invoice(invoice)
    assert "state" in error.value.message_dict


def test_copied_addresses_do_not_change_when_the_customer_moves(world, frozen):
    (invoice,) = samples.private_package(world, frozen)
    Customer.objects.filter(pk=invoice.customer_id).update(street="Neuer Weg 9")
    invoice.refresh_from_db()
    assert invoice.buyer_street == "Lange Straße 5"


def test_tasks_cancelled_in_the_package_are_not_billed(world, frozen):
    customer, site = samples.private_customer()
    package = samples._package(
        customer,
        site,
        "Mit Absage",
        frozen,
        [
            ("a", "Leitungen", world.trades["sanitaer"], "2", "0"),
            ("b", "Leuchte", world.trades["elektro"], "1", "0"),
        ],
    )
    package.tasks.filter(code="b").update(status=Task.Status.CANCELLED)
    start = timezone.make_aware(datetime(2026, 3, 2, 8))
    Appointment.objects.create(
        task=package.tasks.get(code="a"),
        workshop=world.sanitaer,
        start=start,
        end=start + timedelta(hours=2),
    )
    invoice = services.generate_package_invoice(package)
    assert [line.text for line in lines_of(invoice)] == ["Leitungen – Arbeitszeit"]
