"""The cooperative's coordination fee: the homeowner accepted it with the quote, so the package
invoice charges it exactly as quoted; no member performed it, so the settlement keeps it with the
cooperative."""

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from lxml import etree
from pypdf import PdfReader

from invoicing import documents, einvoice, payments, samples, services, settlement, validation
from invoicing.models import Invoice, InvoiceLine
from jobs.models import Quote, QuoteLine
from zunft.core.money import round_money

D = Decimal
FEE_TEXT = "Koordination und Bauleitung"
NS = validation.NS

# The kitchen package (scenario 7) as performed: 6 h × 68 € + 24 km × 0,90 € + 214,60 material
# by Sanitär Meyer, 5 h × 61,50 € + 24 km × 0,90 € + 168,30 material by Elektro Janßen.
SANITAER_WORK = D("644.20")
ELEKTRO_WORK = D("497.40")
# The quote estimated 40 km a task, so its fee is 8 % of 1170,40 — not of the 1141,60 billed.
QUOTED_FEE = D("93.63")


@pytest.fixture
def kitchen(world, frozen):
    (invoice,) = samples.coordinated_package(world, frozen)
    return invoice


def fee_lines(invoice):
    return list(invoice.lines.filter(performed_by__isnull=True))


def test_the_accepted_quote_of_the_sample_charges_a_fee_that_is_not_labour(kitchen):
    quote = kitchen.package.quotes.get(status=Quote.Status.ACCEPTED)
    (fee,) = quote.lines.filter(kind=QuoteLine.Kind.FEE)
    assert fee.text == FEE_TEXT and fee.net == QUOTED_FEE and fee.vat_rate == D("19.00")
    # the quote's labour share (§35a) leaves the fee out: labour and travel only, gross
    labour_and_travel = D("408.00") + D("307.50") + 2 * D("36.00")
    assert quote.labour_gross == round_money(labour_and_travel * D("1.19")) == D("937.13")


def test_the_invoice_charges_the_fee_exactly_as_the_accepted_quote_stated_it(kitchen):
    quote = kitchen.package.quotes.get(status=Quote.Status.ACCEPTED)
    quoted = quote.lines.get(kind=QuoteLine.Kind.FEE)
    (line,) = fee_lines(kitchen)
    assert line.text == FEE_TEXT
    assert line.net_amount == quoted.net == QUOTED_FEE
    assert line.vat_rate == quoted.vat_rate and line.tax_category == "S"
    assert (line.quantity, line.unit) == (D(1), InvoiceLine.Unit.LUMP_SUM)
    assert line.kind == InvoiceLine.Kind.OTHER
    assert f"Angebot {kitchen.package_id}-{quote.version}" in line.detail
    # the cooperative's own line, after the work
    assert line.position == kitchen.lines.count()
    # not recomputed from what was billed: 8 % of the work done would be 91,33
    assert line.net_amount != round_money(D("0.08") * (SANITAER_WORK + ELEKTRO_WORK))


def test_the_invoice_total_is_the_work_plus_the_quoted_fee_plus_vat(kitchen):
    work = kitchen.lines.filter(performed_by__isnull=False)
    assert sum(line.net_amount for line in work) == SANITAER_WORK + ELEKTRO_WORK
    assert kitchen.net_total == SANITAER_WORK + ELEKTRO_WORK + QUOTED_FEE == D("1235.23")
    assert kitchen.tax_total == D("234.69")  # 19 % of 1235,23
    assert kitchen.gross_total == kitchen.amount_due == D("1469.92")


def test_the_fee_is_not_part_of_the_35a_share(kitchen):
    (line,) = fee_lines(kitchen)
    assert line.kind not in InvoiceLine.HOUSEHOLD_KINDS
    # labour and travel: 408,00 + 21,60 + 307,50 + 21,60 = 758,70 net, 902,85 gross
    assert kitchen.household_services == D("902.85")
    assert any("902,85" in note for note in kitchen.legal_notes)


def test_the_fee_line_is_in_the_e_invoice_and_on_the_pdf(kitchen):
    for flavour in ("xrechnung", "factur-x"):
        report = validation.validate(einvoice.render_xml(kitchen, flavour))
        assert report.ok and report.failed_asserts == [], f"{flavour}:\n{report}"
    xml = einvoice.render_xml(kitchen, "factur-x")
    item = "//ram:IncludedSupplyChainTradeLineItem"
    names = etree.fromstring(xml).xpath(
        f"{item}/ram:SpecifiedTradeProduct/ram:Name/text()", namespaces=NS
    )
    assert names.count(FEE_TEXT) == 1 and names[-1] == FEE_TEXT
    (total,) = etree.fromstring(xml).xpath(
        f"{item}[last()]/ram:SpecifiedLineTradeSettlement"
        "/ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount/text()",
        namespaces=NS,
    )
    assert D(total) == QUOTED_FEE
    text = "\n".join(
        page.extract_text() for page in PdfReader(io.BytesIO(documents.build_pdf(kitchen))).pages
    )
    assert FEE_TEXT in text and "93,63" in text and "1.469,92" in text


def test_a_revised_quote_charges_the_fee_of_the_accepted_version(world, frozen):
    package = kitchen_package(world, frozen)
    first = samples.accepted_quote(package, world, travel_km=120, status=Quote.Status.SUPERSEDED)
    accepted = samples.accepted_quote(package, world)
    assert (first.version, accepted.version) == (1, 2)
    first_fee = first.lines.get(kind=QuoteLine.Kind.FEE).net
    assert first_fee != QUOTED_FEE
    invoice = bill(package, world, frozen)
    (line,) = fee_lines(invoice)
    assert line.net_amount == accepted.lines.get(kind=QuoteLine.Kind.FEE).net == QUOTED_FEE
    assert f"Angebot {package.pk}-2" in line.detail


def test_without_an_accepted_quote_no_fee_is_charged(world, frozen):
    package = kitchen_package(world, frozen)
    samples.accepted_quote(package, world, status=Quote.Status.OPEN)
    invoice = bill(package, world, frozen)
    assert fee_lines(invoice) == []
    assert invoice.net_total == SANITAER_WORK + ELEKTRO_WORK


def test_an_accepted_quote_without_a_fee_adds_nothing(world, frozen):
    world.cooperative.fee_rate = D("0")
    world.cooperative.save(update_fields=["fee_rate"])
    package = kitchen_package(world, frozen)
    quote = samples.accepted_quote(package, world)
    assert not quote.lines.filter(kind=QuoteLine.Kind.FEE).exists()
    invoice = bill(package, world, frozen)
    assert fee_lines(invoice) == []
    assert invoice.net_total == SANITAER_WORK + ELEKTRO_WORK


def test_a_member_billing_its_own_work_charges_no_cooperative_fee(world, frozen):
    customer, site = samples.private_customer()
    package = samples._package(
        customer, site, "Küche: Wasseranschluss", frozen, [_task(world, samples.KITCHEN_TASKS[0])]
    )
    samples.accepted_quote(package, world)
    invoice = services.generate_package_invoice(
        package, billings=samples._billings(package, world, frozen), issuer=world.sanitaer
    )
    assert invoice.seller_name == "Sanitär Meyer e.K."
    assert fee_lines(invoice) == []
    assert invoice.net_total == SANITAER_WORK


def test_the_cancellation_takes_the_fee_back_too(kitchen, frozen):
    storno = services.cancel_invoice(kitchen, issue_date=frozen)
    (line,) = fee_lines(storno)
    assert line.text == FEE_TEXT and line.net_amount == -QUOTED_FEE
    assert storno.gross_total == -kitchen.gross_total


def test_the_settlement_credits_the_members_their_work_and_the_cooperative_keeps_the_fee(
    world, kitchen
):
    with time_machine.travel("2026-03-10 12:00 +01:00", tick=False):
        payments.record_payment(kitchen, amount=kitchen.amount_due, booked_on=date(2026, 3, 10))
    with time_machine.travel("2026-04-01 09:00 +02:00", tick=False):
        run = settlement.settle_month(date(2026, 3, 1))
    by_workshop = {s.workshop: s for s in run.settlements.select_related("credit_note")}
    assert set(by_workshop) == {world.sanitaer, world.elektro}
    assert by_workshop[world.sanitaer].share_net == SANITAER_WORK
    assert by_workshop[world.elektro].share_net == ELEKTRO_WORK
    credited = [s.credit_note for s in by_workshop.values()]
    assert sum(note.net_total for note in credited) == kitchen.net_total - QUOTED_FEE
    assert not any(
        line.net_amount == QUOTED_FEE or FEE_TEXT in line.text
        for note in credited
        for line in note.lines.all()
    )
    # each member still pays the cooperative its own fee on its share, nothing more
    assert by_workshop[world.sanitaer].fee_invoice.net_total == D("51.54")  # 8 % of 644,20
    assert by_workshop[world.elektro].fee_invoice.net_total == D("39.79")  # 8 % of 497,40
    # and nothing was left over for a member the fee could have been paid out to
    assert Invoice.objects.filter(kind=Invoice.Kind.CREDIT_NOTE).count() == 2


def test_a_line_no_member_performed_is_shared_with_no_one(world, kitchen):
    per_workshop = settlement.shares([kitchen.pk])
    assert set(per_workshop) == {world.sanitaer.pk, world.elektro.pk}
    shared = sum(row["net"] for rows in per_workshop.values() for row in rows)
    assert shared == kitchen.net_total - QUOTED_FEE


# --- helpers ------------------------------------------------------------------------------------


def _task(world, spec):
    code, name, trade, hours, material = spec
    return code, name, world.trades[trade], hours, material


def kitchen_package(world, today):
    customer, site = samples.private_customer()
    return samples._package(
        customer,
        site,
        "Küche anschließen – Wasser und Elektro",
        today - timedelta(days=14),
        [_task(world, spec) for spec in samples.KITCHEN_TASKS],
    )


def bill(package, world, today):
    start = today - timedelta(days=14)
    return services.generate_package_invoice(
        package, billings=samples._billings(package, world, start)
    )
