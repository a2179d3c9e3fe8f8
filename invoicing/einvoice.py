"""EN 16931 e-invoices in UN/CEFACT CII syntax, built with drafthorse.

One builder serves both flavours: Factur-X/ZUGFeRD profile EN 16931 (embedded in the PDF) and
XRechnung 3.0 (CII) for public-sector buyers, which adds the Leitweg-ID as buyer reference (BT-10)
and as the buyer's electronic address, the seller's contact (BR-DE-2/5/6/7) and its own
specification identifier (BT-24).
"""

from __future__ import annotations

from decimal import Decimal

from drafthorse.models.accounting import ApplicableTradeTax
from drafthorse.models.document import Document
from drafthorse.models.note import IncludedNote
from drafthorse.models.party import TaxRegistration
from drafthorse.models.payment import PaymentMeans, PaymentTerms
from drafthorse.models.tradelines import LineItem

from invoicing.models import Invoice
from invoicing.services import asks_for_transfer, invoice_totals

FACTURX_EN16931 = "urn:cen.eu:en16931:2017"
XRECHNUNG_3 = "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"
PEPPOL_BILLING = "urn:fdc:peppol.eu:2017:poacc:billing:01.0"
SEPA_CREDIT_TRANSFER = "58"
CLEARING_BETWEEN_PARTNERS = "97"  # UNTDID 4461: settled by offset, nothing to transfer
VATEX = {"AE": "VATEX-EU-AE"}


def default_flavour(invoice: Invoice) -> str:
    return "xrechnung" if invoice.is_xrechnung else "factur-x"


def _address(target, street: str, postal_code: str, city: str, country: str) -> None:
    target.line_one = street
    target.postcode = postal_code
    target.city_name = city
    target.country_id = country or "DE"


def _seller(doc: Document, invoice: Invoice) -> None:
    seller = doc.trade.agreement.seller
    seller.name = invoice.seller_name
    if not invoice.seller_vat_id:
        # BR-CO-26: without a VAT id the seller needs an identifier (BT-29).
        seller.id = invoice.seller_tax_number
    _address(
        seller.address,
        invoice.seller_street,
        invoice.seller_postal_code,
        invoice.seller_city,
        invoice.seller_country,
    )
    seller.electronic_address.uri_ID = ("EM", invoice.seller_email)
    seller.contact.person_name = invoice.seller_contact or invoice.seller_name
    if invoice.seller_phone:
        seller.contact.telephone.number = invoice.seller_phone
    seller.contact.email.address = invoice.seller_email
    if invoice.seller_tax_number:
        seller.tax_registrations.add(TaxRegistration(id=("FC", invoice.seller_tax_number)))
    if invoice.seller_vat_id:
        seller.tax_registrations.add(TaxRegistration(id=("VA", invoice.seller_vat_id)))


def _buyer(doc: Document, invoice: Invoice) -> None:
    agreement = doc.trade.agreement
    if invoice.buyer_reference:
        agreement.buyer_reference = invoice.buyer_reference
    elif invoice.customer_number:
        agreement.buyer_reference = invoice.customer_number
    buyer = agreement.buyer
    buyer.name = invoice.buyer_name
    _address(
        buyer.address,
        invoice.buyer_street,
        invoice.buyer_postal_code,
        invoice.buyer_city,
        invoice.buyer_country,
    )
    if invoice.is_xrechnung and invoice.buyer_reference:
        buyer.electronic_address.uri_ID = ("0204", invoice.buyer_reference)
    elif invoice.buyer_email:
        buyer.electronic_address.uri_ID = ("EM", invoice.buyer_email)
    if invoice.buyer_attention:
        buyer.contact.person_name = invoice.buyer_attention
    if invoice.buyer_vat_id:
        buyer.tax_registrations.add(TaxRegistration(id=("VA", invoice.buyer_vat_id)))


def _line(invoice: Invoice, line) -> LineItem:
    item = LineItem()
    item.document.line_id = str(line.position)
    item.product.name = line.text
    if line.detail:
        item.product.description = line.detail
    item.agreement.net.amount = line.unit_price
    item.delivery.billed_quantity = (line.quantity, line.unit)
    item.settlement.trade_tax.type_code = "VAT"
    item.settlement.trade_tax.category_code = line.tax_category
    item.settlement.trade_tax.rate_applicable_percent = line.vat_rate
    item.settlement.monetary_summation.total_amount = line.net_amount
    return item


def _settlement(doc: Document, invoice: Invoice) -> None:
    settlement = doc.trade.settlement
    settlement.currency_code = invoice.currency
    settlement.payment_reference = invoice.number
    means = PaymentMeans()
    # A fee invoice offset against the member's credit note asks for no transfer: its XML must
    # not offer the account the PDF tells the member not to pay to.
    offset = (
        invoice.kind != Invoice.Kind.CREDIT_NOTE
        and invoice.amount_due > 0
        and not asks_for_transfer(invoice)
    )
    if offset:
        means.type_code = CLEARING_BETWEEN_PARTNERS
    else:
        means.type_code = SEPA_CREDIT_TRANSFER
        means.payee_account.iban = invoice.seller_iban
        means.payee_account.account_name = invoice.seller_name
        if invoice.seller_bic:
            means.payee_institution.bic = invoice.seller_bic
    settlement.payment_means.add(means)
    totals = invoice_totals(invoice)
    for group in totals.groups:
        tax = ApplicableTradeTax()
        tax.calculated_amount = group.tax
        tax.type_code = "VAT"
        if group.exemption_reason:
            tax.exemption_reason = group.exemption_reason
        tax.basis_amount = group.basis
        tax.category_code = group.category
        if group.category in VATEX:
            tax.exemption_reason_code = VATEX[group.category]
        tax.rate_applicable_percent = group.rate
        settlement.trade_tax.add(tax)
    settlement.period.start = invoice.performance_start
    settlement.period.end = invoice.performance_end
    terms = PaymentTerms()
    terms.description = invoice.legal_notes[-1] if invoice.legal_notes else ""
    if invoice.amount_due > 0:
        terms.due = invoice.due_date
    settlement.terms.add(terms)
    summation = settlement.monetary_summation
    summation.line_total = totals.amount.net
    summation.charge_total = Decimal("0.00")
    summation.allowance_total = Decimal("0.00")
    summation.tax_basis_total = totals.amount.net
    summation.tax_total = (totals.amount.tax, invoice.currency)
    summation.grand_total = totals.amount.gross
    if totals.prepaid:
        summation.prepaid_total = totals.prepaid
    summation.due_amount = totals.due
    if invoice.original_id:
        settlement.invoice_referenced_document.issuer_assigned_id = invoice.original.number
        settlement.invoice_referenced_document.issue_date_time = invoice.original.issue_date


def build_document(invoice: Invoice, flavour: str | None = None) -> Document:
    if invoice.is_draft:
        raise ValueError("drafts have no e-invoice; issue the invoice first")
    flavour = flavour or default_flavour(invoice)
    if flavour not in ("xrechnung", "factur-x"):
        raise ValueError(f"unknown flavour {flavour!r}")
    doc = Document()
    doc.context.guideline_parameter.id = XRECHNUNG_3 if flavour == "xrechnung" else FACTURX_EN16931
    if flavour == "xrechnung":
        doc.context.business_parameter.id = PEPPOL_BILLING
    doc.header.id = invoice.number
    doc.header.type_code = invoice.type_code
    doc.header.issue_date_time = invoice.issue_date
    for text in invoice.legal_notes[:-1]:
        note = IncludedNote()
        note.content = text
        doc.header.notes.add(note)
    _seller(doc, invoice)
    _buyer(doc, invoice)
    if invoice.site_street:
        ship_to = doc.trade.delivery.ship_to
        ship_to.name = invoice.buyer_name
        _address(
            ship_to.address, invoice.site_street, invoice.site_postal_code, invoice.site_city, "DE"
        )
    doc.trade.delivery.event.occurrence = invoice.performance_end
    for line in invoice.lines.all():
        doc.trade.items.add(_line(invoice, line))
    _settlement(doc, invoice)
    return doc


def render_xml(invoice: Invoice, flavour: str | None = None) -> bytes:
    """The CII XML of an issued invoice, checked against the Factur-X EN 16931 XSD by drafthorse
    while serialising (the business rules are checked by :mod:`invoicing.validation`)."""
    return build_document(invoice, flavour).serialize(schema="FACTUR-X_EN16931")


def xml_filename(invoice: Invoice) -> str:
    return f"{invoice.number}_{default_flavour(invoice)}.xml"
