"""Units of quantity are codes of one vocabulary, shown in the reader's language: an English
homeowner reads "Sockets (pcs)" and "3.9 h", a German one "Steckdosen (Stück)" and "3,9 Std.",
whichever language the quote was made in; the German quote PDF stays German."""

import importlib
import re
from decimal import Decimal
from io import BytesIO

import pytest
from django.apps import apps
from django.test import Client
from pypdf import PdfReader

from invoicing.models import InvoiceLine
from jobs.models import Quote, QuoteLine, TemplateParameter
from tests.test_journey_api import portal, revision_form, submit, wizard  # noqa: F401 - fixtures
from tests.test_planner_integration import bathroom  # noqa: F401 - fixture
from tests.test_portal import sockets, wizard_form  # noqa: F401 - fixture
from zunft.core.units import Unit, parse_unit, unit_label
from zunft.demo import catalogue

pytestmark = pytest.mark.django_db


def english() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def quantities(page: str) -> list[str]:
    """The "quantity unit" of each line on the quote page."""
    return re.findall(r'<td class="num qty"><span class="nowrap">([^<]*)</span>', page)


def units_shown(page: str) -> set[str]:
    return {quantity.split(" ", 1)[1] for quantity in quantities(page)}


def test_the_wizard_names_the_units_in_the_readers_language(sockets):  # noqa: F811
    german = Client().get("/pakete/steckdosen/anfrage/").content.decode()
    assert re.search(r"<label[^>]*>\s*Steckdosen \(Stück\)", german)
    page = english().get("/en/pakete/steckdosen/anfrage/").content.decode()
    assert re.search(r"<label[^>]*>\s*Sockets \(pcs\)", page)
    assert "Stück" not in page
    area = english().get("/en/pakete/bad/anfrage/").content.decode()
    assert re.search(r"<label[^>]*>\s*Area \(m²\)", area)


def test_the_api_names_the_unit_of_an_out_of_range_value_in_the_readers_language(sockets):  # noqa: F811
    body = wizard(template="steckdosen", parameters={"sockets": "25"})
    refused = english().post("/api/v1/requests", body, "application/json")
    assert refused.status_code == 422
    messages = [e["msg"] for e in refused.json()["detail"] if e["loc"][-1] == "sockets"]
    assert messages and messages[0].endswith("20.00 pcs.") and "Stück" not in messages[0]
    german = Client().post("/api/v1/requests", body, "application/json").json()["detail"]
    assert any("20.00 Stück ein." in e["msg"] for e in german)


def test_a_quote_made_in_german_reads_in_english_and_the_other_way_round(portal):  # noqa: F811
    browser = Client()
    made_in_german = submit(browser, wizard()).json()["quote"]["id"]
    kinds = dict(QuoteLine.objects.filter(quote_id=made_in_german).values_list("kind", "unit"))
    assert kinds["labour"] == Unit.HOUR and kinds["fee"] == Unit.LUMP_SUM  # codes, no words

    shown = browser.get(f"/en/angebot/{made_in_german}/").content.decode()
    assert units_shown(shown) >= {"h", "lump sum"}
    assert "pauschal" not in shown and "Std." not in shown
    assert units_shown(browser.get(f"/angebot/{made_in_german}/").content.decode()) >= {
        "Std.",
        "pauschal",
    }

    homeowner = english()
    made_in_english = submit(homeowner, wizard(contact__email="hugh@example.org")).json()
    made_in_english = made_in_english["quote"]["id"]
    german = homeowner.get(f"/angebot/{made_in_english}/").content.decode()
    assert units_shown(german) >= {"Std.", "pauschal"} and "lump sum" not in german


def test_the_office_picks_units_by_their_label_and_old_spellings_are_read(portal):  # noqa: F811
    quote = Quote.objects.get(pk=submit(Client(), wizard()).json()["quote"]["id"])
    office = Client()
    office.force_login(portal.olga)
    url = f"/buero/angebote/{quote.package_id}/"
    page = office.get(f"/en{url}").content.decode()
    assert re.search(r'<option value="HUR" selected>h</option>', page)
    assert re.search(r'<option value="H87">pcs</option>', page)
    german = office.get(url).content.decode()
    assert re.search(r'<option value="HUR" selected>Std.</option>', german)
    assert re.search(r'<option value="H87">Stück</option>', german)

    lines = list(quote.lines.all())
    form = revision_form(lines, extra=1)
    new = len(lines)
    form |= {
        f"lines-{new}-kind": "material",
        f"lines-{new}-text": "Vorwandelement",
        f"lines-{new}-quantity": "2",
        f"lines-{new}-unit_price": "389,00",
    }
    unknown = office.post(url, form | {f"lines-{new}-unit": "Sack"})
    assert unknown.status_code == 422 and Quote.objects.filter(package=quote.package).count() == 1
    error = unknown.content.decode().split(f'id="id_lines-{new}-unit_error">')[1]
    assert "Sack" in error.split("</div>")[0]  # said at the unit
    saved = office.post(url, form | {f"lines-{new}-unit": "Stk."})
    assert saved.status_code == 302
    revised = quote.package.quotes.get(version=2)
    assert revised.lines.get(text="Vorwandelement").unit == Unit.PIECE
    shown = english().get(f"/en/angebot/{revised.pk}/")
    assert shown.status_code in (302, 404)  # not the homeowner's browser
    office_view = office.get(f"/en/angebot/{revised.pk}/").content.decode()
    assert "2 pcs" in quantities(office_view)


def test_the_api_refuses_an_unknown_unit_at_the_field_and_writes_nothing(portal):  # noqa: F811
    quote = submit(Client(), wizard()).json()["quote"]
    office = Client()
    office.force_login(portal.olga)
    lines = [
        {k: line[k] for k in ("kind", "trade", "text", "quantity", "unit", "unit_price")}
        for line in quote["lines"]
    ]
    assert {line["unit"] for line in lines} <= set(Unit.values)  # the API speaks codes
    url = f"/api/v1/packages/{quote['package_id']}/quotes"
    bad = office.post(url, {"lines": [*lines, {**lines[0], "unit": "Eimer"}]}, "application/json")
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "lines", str(len(lines) + 1), "unit"]
    assert Quote.objects.filter(package_id=quote["package_id"]).count() == 1
    ok = office.post(url, {"lines": [*lines, {**lines[0], "unit": "m2"}]}, "application/json")
    assert ok.status_code == 201 and ok.json()["lines"][-1]["unit"] == "MTK"
    # next to the code, the unit as the reader writes it
    hours = [line for line in ok.json()["lines"] if line["unit"] == "HUR"]
    assert hours and {line["unit_label"] for line in hours} == {"Std."}


def test_a_template_takes_codes_or_common_spellings_and_refuses_other_units(coop, api_as):
    template = {
        "code": "leitungen",
        "kind": "single",
        "name_de": "Leitungen verlegen",
        "name_en": "Lay cables",
        "parameters": [
            {
                "code": "area",
                "name_de": "Fläche",
                "name_en": "Area",
                "unit": "qm",
                "maximum": "100",
                "default": "30",
            }
        ],
        "tasks": [
            {
                "code": "verlegen",
                "name_de": "Verlegen",
                "name_en": "Laying",
                "trade": "elektro",
                "duration_per_unit": {"area": "0.2"},
            }
        ],
    }
    office = api_as(coop.olga)
    bad = {**template, "parameters": [{**template["parameters"][0], "unit": "Eimer"}]}
    refused = office.post("/api/v1/package-templates", bad, "application/json")
    assert refused.status_code == 422, refused.content
    assert refused.json()["detail"][0]["loc"] == ["body", "parameters", "area"]
    assert "Eimer" in refused.json()["detail"][0]["msg"]
    assert not TemplateParameter.objects.filter(template__code="leitungen").exists()
    created = office.post("/api/v1/package-templates", template, "application/json")
    assert created.status_code == 201, created.content
    assert created.json()["parameters"][0]["unit"] == "MTK"


def test_the_quote_pdf_stays_german_whoever_asks(portal):  # noqa: F811
    homeowner = english()
    quote = submit(homeowner, wizard()).json()["quote"]
    response = homeowner.get(f"/en/angebot/{quote['id']}/pdf/")
    assert response.status_code == 200
    text = " ".join(page.extract_text() for page in PdfReader(BytesIO(response.content)).pages)
    assert re.search(r"\d Std\.", text) and re.search(r"1 pauschal", text)
    assert not re.search(r"\b(HUR|LS|lump sum)\b", text)
    # the line texts too: the quote is stored in German whatever language it was asked in
    assert "Koordination und Bauleitung" in text and "Coordination" not in text
    texts = list(QuoteLine.objects.filter(quote_id=quote["id"]).values_list("text", flat=True))
    assert not [t for t in texts if t.startswith(("Travel:", "Coordination"))]


def test_the_migration_turns_the_units_typed_so_far_into_codes(portal):  # noqa: F811
    migration = importlib.import_module("jobs.migrations.0010_units_as_unece_codes")
    quote = Quote.objects.get(pk=submit(Client(), wizard()).json()["quote"]["id"])
    typed = ["h", "pauschal", "flat", "km", "Stk.", " m² ", "Sack"]
    lines = list(quote.lines.all())
    QuoteLine.objects.bulk_create(
        QuoteLine(
            quote=quote,
            position=len(lines) + i,
            kind="material",
            text=unit,
            quantity=Decimal(1),
            unit=unit,
            unit_price=Decimal(1),
            net=Decimal(1),
            vat_rate=Decimal(19),
        )
        for i, unit in enumerate(typed, start=1)
    )
    TemplateParameter.objects.filter(code="area").update(unit="m²")
    signed = submit(Client(), wizard(contact__email="signed@example.org")).json()["quote"]["id"]
    Quote.objects.filter(pk=signed).update(status=Quote.Status.ACCEPTED)
    QuoteLine.objects.filter(quote_id=signed).update(unit="h")
    migration.to_codes(apps, None)
    # an accepted quote keeps the words it was signed with
    assert set(QuoteLine.objects.filter(quote_id=signed).values_list("unit", flat=True)) == {"h"}
    stored = dict(quote.lines.filter(text__in=typed).values_list("text", "unit"))
    assert stored == {
        "h": "HUR",
        "pauschal": "LS",
        "flat": "LS",
        "km": "KMT",
        "Stk.": "H87",
        " m² ": "MTK",
        "Sack": "Sack",  # unknown: kept, and shown as typed
    }
    assert TemplateParameter.objects.get(code="area").unit == "MTK"
    assert QuoteLine.objects.get(text="Sack").get_unit_display() == "Sack"
    migration.to_german(apps, None)
    assert TemplateParameter.objects.get(code="area").unit == "m²"
    assert QuoteLine.objects.get(text="Stk.").unit == "Stück"


@pytest.mark.django_db(False)
def test_the_demo_catalogue_and_the_invoices_use_codes_of_the_one_vocabulary():
    parameters = [
        p for t in catalogue.TEMPLATES + catalogue.SINGLE_TRADE_TEMPLATES for p in t["parameters"]
    ]
    assert {p["unit"] for p in parameters} <= set(Unit.values)
    # An invoice line's unit is a code of the same vocabulary, so a quote's code carries over.
    assert set(InvoiceLine.Unit.values) <= set(Unit.values)


@pytest.mark.django_db(False)
@pytest.mark.parametrize(
    "typed, code",
    [
        ("Stück", "H87"),
        ("stk.", "H87"),
        ("H87", "H87"),
        ("Std.", "HUR"),
        ("m2", "MTK"),
        ("lfm", "LM"),
        ("pauschal", "LS"),
        ("kWh", "KWH"),
        ("", ""),
        ("Eimer", None),
    ],
)
def test_common_spellings_are_read_as_codes(typed, code):
    assert parse_unit(typed) == code


@pytest.mark.django_db(False)
def test_labels_follow_the_language_and_unknown_values_show_as_typed():
    assert [unit_label(Unit.PIECE, "en"), unit_label(Unit.PIECE, "de")] == ["pcs", "Stück"]
    assert [unit_label(Unit.HOUR, "en"), unit_label(Unit.HOUR, "de")] == ["h", "Std."]
    assert unit_label(Unit.LUMP_SUM, "de") == "pauschal"
    assert unit_label(Unit.SQUARE_METRE, "en") == unit_label(Unit.SQUARE_METRE, "de") == "m²"
    assert unit_label("Sack", "en") == "Sack"


def test_a_unit_typed_before_the_vocabulary_survives_a_revision(portal):  # noqa: F811
    quote = Quote.objects.get(pk=submit(Client(), wizard()).json()["quote"]["id"])
    old = quote.lines.filter(kind="material").first() or quote.lines.first()
    QuoteLine.objects.filter(pk=old.pk).update(unit="Sack")  # as the migration keeps it
    office = Client()
    office.force_login(portal.olga)
    url = f"/buero/angebote/{quote.package_id}/"
    page = office.get(url).content.decode()
    assert re.search(r'<option value="Sack" selected>Sack</option>', page)

    lines = list(quote.lines.order_by("position", "id"))
    form = revision_form(lines)
    assert office.post(url, form).status_code == 302
    revised = quote.package.quotes.get(version=2)
    assert revised.lines.get(text=old.text, kind=old.kind).unit == "Sack"
    # a word that was never on the quote is still refused
    third = revised.lines.count()
    other = office.post(url, form | {"lines-0-unit": "Eimer"})
    assert other.status_code == 422 and revised.lines.count() == third
    assert quote.package.quotes.count() == 2
