"""The documents the customer, the tax office and the buyer's software receive."""

import hashlib
import io
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
import zxingcpp
from lxml import etree
from PIL import Image
from pypdf import PdfReader

from invoicing import documents, einvoice, samples, validation
from invoicing.models import Invoice
from zunft.core.money import format_quantity
from zunft.core.units import unit_label

NS = validation.NS


@pytest.fixture
def scenario(world, frozen, request):
    return samples.SCENARIOS[request.param](world, frozen)


def xpath(xml: bytes, path: str) -> list[str]:
    return [str(v) for v in etree.fromstring(xml).xpath(path, namespaces=NS)]


def page_png(pdf: bytes, tmp_path: Path, page: int = 1, dpi: int = 150) -> Image.Image:
    source = tmp_path / "invoice.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            str(dpi),
            "-f",
            str(page),
            "-l",
            str(page),
            "-singlefile",
            source,
            tmp_path / "page",
        ],
        check=True,
    )
    return Image.open(tmp_path / "page.png")


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.mark.parametrize("scenario", list(samples.SCENARIOS), indirect=True)
def test_every_xml_passes_the_xsd_and_the_en16931_schematron(scenario):
    for invoice in scenario:
        for flavour in {einvoice.default_flavour(invoice), "factur-x"}:
            report = validation.validate(einvoice.render_xml(invoice, flavour))
            assert report.fired_rules > 50, report
            assert report.xsd_errors == []
            assert report.failed_asserts == [], f"{invoice.number} {flavour}:\n{report}"


@pytest.mark.parametrize("scenario", list(samples.SCENARIOS), indirect=True)
def test_every_pdf_carries_its_factur_x_xml_as_a_pdfa3_attachment(scenario):
    for invoice in scenario:
        pdf = documents.build_pdf(invoice)
        reader = PdfReader(io.BytesIO(pdf))
        assert list(reader.attachments) == ["factur-x.xml"]
        (attached,) = reader.attachments["factur-x.xml"]
        assert attached == einvoice.render_xml(invoice, "factur-x")
        metadata = reader.trailer["/Root"]["/Metadata"].get_object().get_data()
        assert b"<pdfaid:part>3</pdfaid:part>" in metadata
        assert reader.trailer["/Root"]["/OutputIntents"][0]["/S"] == "/GTS_PDFA1"
        fonts = [
            font.get_object()
            for page in reader.pages
            for font in page["/Resources"]["/Font"].values()
        ]
        assert all("DejaVu" in font["/BaseFont"] for font in fonts)
        assert all(embedded(font) for font in fonts)


def embedded(font) -> bool:
    if "/DescendantFonts" in font:
        font = font["/DescendantFonts"][0].get_object()
    return "/FontFile2" in font["/FontDescriptor"].get_object()


def test_the_validator_really_rejects_a_wrong_invoice(world, frozen):
    (invoice,) = samples.private_package(world, frozen)
    xml = einvoice.render_xml(invoice).replace(
        b"<ram:GrandTotalAmount>8241.40<", b"<ram:GrandTotalAmount>8241.41<"
    )
    report = validation.validate(xml)
    assert not report.ok
    assert {"BR-CO-15", "BR-CO-16"} <= {rule for rule, _ in report.failed_asserts}


def test_the_girocode_pays_the_open_amount_to_the_sellers_iban(world, frozen, tmp_path):
    (invoice,) = samples.private_package(world, frozen)
    pdf = documents.build_pdf(invoice)
    last_page = len(PdfReader(io.BytesIO(pdf)).pages)
    (code,) = zxingcpp.read_barcodes(page_png(pdf, tmp_path, page=last_page))
    fields = code.text.split("\n")
    assert fields[:4] == ["BCD", "002", "1", "SCT"]
    assert fields[5] == "Handwerkerverbund Oldenburger Münsterland eG"
    assert fields[6] == invoice.seller_iban == "DE11280501000001234567"
    assert fields[7] == "EUR8241.40"
    assert fields[10] == f"Rechnung {invoice.number}"


def test_the_girocode_of_a_final_invoice_asks_only_for_what_is_still_due(world, frozen, tmp_path):
    *_progress, final = samples.progress_and_final(world, frozen)
    pdf = documents.build_pdf(final)
    last_page = len(PdfReader(io.BytesIO(pdf)).pages)
    (code,) = zxingcpp.read_barcodes(page_png(pdf, tmp_path, page=last_page))
    assert code.text.split("\n")[7] == "EUR5597.05"


def test_a_cancellation_has_nothing_to_pay_and_no_girocode(world, frozen, tmp_path):
    _original, storno = samples.cancellation(world, frozen)
    pdf = documents.build_pdf(storno)
    assert zxingcpp.read_barcodes(page_png(pdf, tmp_path)) == []
    assert "Stornorechnung" in pdf_text(pdf)


def test_a_long_invoice_carries_the_running_total_to_the_next_page(world, frozen):
    (invoice,) = samples.private_package(world, frozen)
    text = pdf_text(documents.build_pdf(invoice))
    assert "Seite 1 von 2" in text and "Seite 2 von 2" in text
    assert "Übertrag auf Seite 2" in text and "Übertrag von Seite 1" in text
    carried = sum(line.net_amount for line in invoice.lines.all()[:9])
    assert f"{carried:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".") in text


def test_the_pdf_shows_what_14_ustg_requires(world, frozen):
    (invoice,) = samples.private_package(world, frozen)
    text = pdf_text(documents.build_pdf(invoice))
    for required in (
        "Handwerkerverbund Oldenburger Münsterland eG",
        "Hanna Hüsing",
        "Rechnung RE-2026-00001",
        "02.03.2026",
        "Leistungszeitraum",
        "USt-IdNr.: DE136695976",
        "zzgl. 19 % USt auf 6.925,55 €",
        "8.241,40 €",
        "§ 35a",
        "zwei Jahre",
        "Guten Tag Hanna Hüsing, vielen Dank",  # greeted before the lower-case text
    ):
        assert required in text.replace("\n", " "), required


def test_the_invoice_names_units_as_the_quote_does(world, frozen):
    """One vocabulary: hours, kilometres and lump sums read "Std.", "km" and "pauschal" on the
    invoice as on the quote, not a second set of abbreviations."""
    (invoice,) = samples.private_package(world, frozen)
    text = " ".join(pdf_text(documents.build_pdf(invoice)).split())
    lines = list(invoice.lines.all())
    assert {line.unit for line in lines} >= {"HUR", "LS"}
    for line in lines:
        assert f"{format_quantity(line.quantity)} {unit_label(line.unit, 'de')}" in text
    assert "pausch." not in text and "Stk." not in text


def test_xrechnung_carries_the_leitweg_id_as_buyer_reference(world, frozen):
    (invoice,) = samples.public_sector(world, frozen)
    xml = einvoice.render_xml(invoice)
    assert einvoice.xml_filename(invoice).endswith("_xrechnung.xml")
    assert xpath(xml, "//ram:BuyerReference/text()") == ["04011000-1234512345-06"]
    assert xpath(xml, "//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID/text()") == [
        validation.XRECHNUNG_3
    ]
    assert validation.xrechnung_rules(etree.fromstring(xml)) == []


def test_reverse_charge_xml_names_both_vat_ids_and_category_ae(world, frozen):
    (invoice,) = samples.reverse_charge(world, frozen)
    xml = einvoice.render_xml(invoice)
    assert xpath(
        xml, "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:CategoryCode/text()"
    ) == ["AE"]
    assert "DE314159262" in xpath(xml, "//ram:BuyerTradeParty//ram:ID/text()")
    assert xpath(xml, "//ram:TaxTotalAmount/text()") == ["0.00"]


def test_the_cancellation_xml_references_the_original_invoice(world, frozen):
    original, storno = samples.cancellation(world, frozen)
    xml = einvoice.render_xml(storno)
    assert xpath(xml, "//rsm:ExchangedDocument/ram:TypeCode/text()") == ["384"]
    assert xpath(xml, "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID/text()") == [
        original.number
    ]
    assert xpath(xml, "//ram:DuePayableAmount/text()") == [str(storno.amount_due)]


def test_archiving_stores_pdf_and_xml_with_their_checksums(world, frozen):
    (invoice,) = samples.small_business(world, frozen)
    stored = documents.render_documents(invoice)
    assert stored["xml"].filename == f"{invoice.number}_factur-x.xml"
    assert bytes(stored["pdf"].content).startswith(b"%PDF-1.")
    assert stored["pdf"].sha256 == hashlib.sha256(bytes(stored["pdf"].content)).hexdigest()
    assert Invoice.objects.get(pk=invoice.pk).amount_due == Decimal("895.10")
