from io import StringIO

import pytest
from django.core.management import call_command
from pypdf import PdfReader

from invoicing.models import Invoice

pytestmark = pytest.mark.django_db


def test_invoice_samples_writes_the_eight_scenarios_as_pdf_and_valid_xml(tmp_path):
    out = StringIO()
    call_command("invoice_samples", str(tmp_path), "--date", "2026-03-02", stdout=out)
    pdfs = sorted(p.name for p in tmp_path.glob("*.pdf"))
    assert {name.split("_RE")[0] for name in pdfs} == {
        "1_privat_35a",
        "2_abschlag_schluss",
        "3_reverse_charge",
        "4_xrechnung",
        "5_kleinunternehmer",
        "6_storno",
        "7_koordination",
        "8_wertersatz",
    }
    assert len(pdfs) == len(list(tmp_path.glob("*.xml"))) == 12
    assert "INVALID" not in out.getvalue() and out.getvalue().count("XML valid") == 12
    for pdf in tmp_path.glob("*.pdf"):
        assert "factur-x.xml" in PdfReader(pdf).attachments
    assert not Invoice.objects.exists()  # the sample data was rolled back


def test_the_benchmark_prints_invoices_per_second():
    out = StringIO()
    call_command("invoice_bench", "--invoices", "3", stdout=out)
    assert "invoices/s with PDF and XML" in out.getvalue()
    assert not Invoice.objects.exists()
