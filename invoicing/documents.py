"""PDF/A-3 with the embedded Factur-X XML, and the archived copies of both.

The PDF gets an sRGB output intent (PDF/A needs one for device colours; the profile comes from
littleCMS inside Pillow, so no ICC file has to be shipped) and then the ``factur-x`` package adds
the XML as ``factur-x.xml`` with AFRelationship /Data and the PDF/A-3 XMP metadata.
"""

from __future__ import annotations

import hashlib
import io
from functools import cache

import facturx
from django.db import IntegrityError, transaction
from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    StreamObject,
    TextStringObject,
)

from invoicing import einvoice
from invoicing.models import Invoice, InvoiceDocument
from invoicing.pdf import InvoiceRenderer


@cache
def srgb_profile() -> bytes:
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def add_output_intent(pdf: bytes) -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(pdf))
    profile = StreamObject()
    profile.set_data(srgb_profile())
    profile[NameObject("/N")] = NumberObject(3)
    intent = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/OutputIntent"),
            NameObject("/S"): NameObject("/GTS_PDFA1"),
            NameObject("/OutputConditionIdentifier"): TextStringObject("sRGB IEC61966-2.1"),
            NameObject("/Info"): TextStringObject("sRGB IEC61966-2.1"),
            NameObject("/DestOutputProfile"): writer._add_object(profile),
        }
    )
    writer.root_object[NameObject("/OutputIntents")] = ArrayObject([writer._add_object(intent)])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def build_pdf(invoice: Invoice, *, open_amount=None) -> bytes:
    """The PDF/A-3 invoice with the Factur-X (EN 16931) XML embedded. Public-sector invoices embed
    the same content with the Factur-X identifier; their XRechnung goes out as the XML file."""
    xml = einvoice.render_xml(invoice, flavour="factur-x")
    renderer = InvoiceRenderer(invoice, open_amount=open_amount)
    plain = renderer.render()
    sender, recipient = renderer.sender, renderer.recipient  # a credit note: the cooperative's
    return facturx.generate_from_binary(
        add_output_intent(plain),
        xml,
        flavor="factur-x",
        level="en16931",
        check_xsd=False,  # drafthorse validated while serialising
        check_schematron=False,
        pdf_metadata={
            "author": sender.name,
            "keywords": "Factur-X, ZUGFeRD, Rechnung",
            "title": f"{invoice.document_title} {invoice.number}",
            "subject": f"{invoice.document_title} {invoice.number} vom "
            f"{invoice.issue_date:%d.%m.%Y} an {recipient.name}",
        },
        lang="de-DE",
    )


def pdf_filename(invoice: Invoice) -> str:
    return f"{invoice.number}.pdf"


def render_documents(invoice: Invoice) -> dict[str, InvoiceDocument]:
    """The archived PDF and XML of an issued invoice, rendered on first use and then never again
    (the rows are write-once). Safe to call twice at once: the unique constraint decides, and the
    loser reads the winner's rows."""
    if invoice.is_draft:
        raise ValueError("drafts are not archived")
    existing = {d.kind: d for d in invoice.documents.all()}
    if len(existing) == 2:
        return existing
    contents = {
        InvoiceDocument.Kind.PDF: (pdf_filename(invoice), build_pdf(invoice)),
        InvoiceDocument.Kind.XML: (einvoice.xml_filename(invoice), einvoice.render_xml(invoice)),
    }
    for kind, (filename, content) in contents.items():
        if kind in existing:
            continue
        try:
            with transaction.atomic():
                existing[kind] = InvoiceDocument.objects.create(
                    invoice=invoice,
                    kind=kind,
                    filename=filename,
                    content=content,
                    sha256=hashlib.sha256(content).hexdigest(),
                )
        except IntegrityError:
            existing[kind] = InvoiceDocument.objects.get(invoice=invoice, kind=kind)
    return existing
