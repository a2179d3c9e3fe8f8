"""The homeowner portal: single-trade jobs in the catalogue and the wizard, the map pin on the
site, the public member directory with consented photos only, and the photo consent."""

import datetime as dt
import io
import re
import uuid
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.contrib.gis.geos import Point
from django.core.files.base import ContentFile
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.utils import timezone, translation
from PIL import Image

from customers.models import PostalCode, Site
from jobs.models import ChecklistItem, Package, PackageTemplate, Photo, Request, Task
from jobs.services import book_package, save_template
from tests import factories as f
from tests.invoicing.test_documents import pdf_text
from tests.test_journey_api import portal  # noqa: F401 - fixture
from tests.test_planner_integration import bathroom  # noqa: F401 - fixture
from trades.models import Workshop
from zunft.core.models import Consent

pytestmark = pytest.mark.django_db

FRIESOYTHE = (53.0207, 7.8590)  # the postcode centre of 26169 in the factories


@pytest.fixture
def sockets(portal):  # noqa: F811
    """A single-trade job of the catalogue: electricians fit sockets, priced per socket."""
    return save_template(
        {
            "code": "steckdosen",
            "kind": "single",
            "name_de": "Steckdosen nachrüsten",
            "name_en": "Add sockets",
        },
        [
            {
                "code": "sockets",
                "name_de": "Steckdosen",
                "name_en": "Sockets",
                "kind": "integer",
                "unit": "Stück",
                "minimum": 1,
                "maximum": 20,
                "default": 6,
            }
        ],
        [
            {
                "code": "steckdosen",
                "name_de": "Steckdosen setzen",
                "name_en": "Fit sockets",
                "trade": "elektro",
                "duration_base_hours": Decimal("1.5"),
                "duration_per_unit": {"sockets": Decimal("0.6")},
                "material_per_unit": {"sockets": Decimal("18")},
            }
        ],
        [],
    )


def greta_site() -> Site:
    return Site.objects.get(customer__email="greta@example.org")


def wizard_form(**changes) -> dict:
    form = {
        "param_area": "8",
        "street": "Lange Straße 9",
        "postal_code": "26169",
        "city": "Friesoythe",
        "earliest_start": (timezone.localdate() + dt.timedelta(days=21)).isoformat(),
        "last_name": "Grote",
        "email": "greta@example.org",
        "privacy_consent": "on",
    }
    form.update(changes)
    return form


# --- single-trade jobs ----------------------------------------------------------------------------


def test_the_catalogue_shows_packages_and_single_jobs_grouped_by_trade(sockets):
    page = Client().get("/pakete/").content.decode()
    packages, singles = page.split('data-testid="singles"')
    assert "Bad" in packages and "Steckdosen nachrüsten" not in packages
    # The single job sits under its trade's heading, with its indicative price range.
    assert re.search(
        r"<h3[^>]*>Elektrotechnik</h3>\s*<ul[^>]*>\s*<li[^>]*>\s*<h4[^>]*>Steckdosen", singles
    )
    assert re.search(r"ca\. [\d.]+ – [\d.]+ € inkl\. MwSt", singles)
    assert "Rund-um-sorglos-Pakete" in packages and "Einzelaufträge nach Gewerk" in singles
    assert 'href="/mitglieder/"' in page


@pytest.mark.django_db
def test_the_home_page_leads_every_kind_of_user_in():
    page = Client().get("/").content.decode()
    for href in ("/pakete/", "/mitglieder/", "/meine-auftraege/", "/monteur/"):
        assert f'href="{href}"' in page, href
    assert "Schon Kunde? Ihre Aufträge" in page and "Zur Monteur-App" in page
    # The office login refuses workshop owners and tradespeople: it shows them their way in.
    office_login = Client().get("/admin/login/").content.decode()
    assert 'data-testid="field-login-hint"' in office_login
    assert 'href="/monteur/anmelden/"' in office_login


def test_the_code_mailed_with_the_quote_opens_the_quote_and_is_not_burnt_by_the_login_page(
    sockets, django_capture_on_commit_callbacks
):
    from django.core import mail

    visitor = Client()
    form = wizard_form(param_sockets="4")
    del form["param_area"]
    with django_capture_on_commit_callbacks(execute=True):
        response = visitor.post("/pakete/steckdosen/anfrage/", form)
    quote_url = response.url
    assert len(mail.outbox) == 1 and f"next={quote_url.replace('/', '%2F')}" in mail.outbox[0].body
    code = re.search(r"\b(\d{6})\b", mail.outbox[0].subject).group(1)

    # The quote page says the code is on its way and leads straight to typing it.
    quote_page = visitor.get(quote_url).content.decode()
    assert 'data-testid="code-sent"' in quote_page and "greta@example.org" in quote_page
    assert "step=code" in quote_page
    # "Log in by code to accept" -> "I already have a code": no second code that burns the first
    page = visitor.get("/anmelden/", {"email": "greta@example.org", "next": quote_url}).content
    assert b'data-testid="have-code"' in page
    # The page and the mail give the code the same life.
    assert "der 20 Minuten gültig ist" in page.decode() and "20 Minuten" in mail.outbox[0].body
    step = visitor.get(
        "/anmelden/", {"email": "greta@example.org", "next": quote_url, "step": "code"}
    ).content.decode()
    assert 'name="code"' in step and 'data-testid="resend-code"' in step
    assert len(mail.outbox) == 1
    landed = visitor.post(
        "/anmelden/", {"email": "greta@example.org", "code": code, "next": quote_url}
    )
    assert landed.status_code == 302 and landed["Location"] == quote_url


def test_a_known_address_in_the_wizard_files_nothing_until_its_owner_logs_in(
    sockets, django_capture_on_commit_callbacks
):
    """Somebody types Greta's address into the wizard: nothing lands in her account (it would
    show in her orders, put her name and home on a stranger's quote and hold up her erasure).
    Greta herself gets the code, logs in, and her answers are sent without typing them again."""
    from django.core import mail

    from jobs.models import Package, Request
    from zunft.core.login import homeowner_for_email

    greta, _created = homeowner_for_email("greta@example.org")  # she has asked before
    form = wizard_form(param_sockets="4")
    del form["param_area"]
    stranger = Client()
    with django_capture_on_commit_callbacks(execute=True):
        response = stranger.post("/pakete/steckdosen/anfrage/", form)
    assert response.status_code == 302 and response.url.startswith("/anmelden/?")
    assert not Request.objects.exists() and not Package.objects.exists()
    # The code step, not the email step whose button would send a second code.
    landing = stranger.get(response.url).content.decode()
    assert 'name="code"' in landing and 'value="greta@example.org"' in landing
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["greta@example.org"]
    assert Client().get("/pakete/steckdosen/anfrage/?fortsetzen=1").status_code == 200

    # Greta, in the browser she typed it in: the code, and the request is there.
    code = re.search(r"\b(\d{6})\b", mail.outbox[0].subject).group(1)
    resume = "/pakete/steckdosen/anfrage/?fortsetzen=1"
    landed = stranger.post(
        "/anmelden/", {"email": "greta@example.org", "code": code, "next": resume}
    )
    assert landed.status_code == 302 and landed.url == resume
    with django_capture_on_commit_callbacks(execute=True):
        sent = stranger.get(resume)
    assert sent.status_code == 302 and sent.url.startswith("/angebot/")
    (request,) = Request.objects.all()
    assert request.customer.user == greta and request.package.parameters["sockets"] == "4"
    assert stranger.get(sent.url).status_code == 200
    assert stranger.get(resume).status_code == 200  # once: the answers are gone
    assert Request.objects.count() == 1


def test_a_quote_link_opened_logged_out_asks_for_the_login_and_comes_back(coop, bathroom):  # noqa: F811
    """The link in the mail about a revised quote, opened on another device."""
    from django.core import mail

    coop.hanna.email = "hanna@example.org"
    coop.hanna.save(update_fields=["email"])
    quote = hannas_quote(coop, bathroom)
    for url in (f"/angebot/{quote.pk}/", f"/angebot/{quote.pk}/pdf/", "/angebot/999999/"):
        response = Client().get(url)
        assert response.status_code == 302, url
        assert response.url == "/anmelden/?" + urlencode({"next": url}, safe="/"), url

    client = Client()
    client.post("/anmelden/", {"email": coop.hanna.email, "next": f"/angebot/{quote.pk}/"})
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].subject).group(1)
    landed = client.post(
        "/anmelden/", {"email": coop.hanna.email, "code": code, "next": f"/angebot/{quote.pk}/"}
    )
    assert landed.url == f"/angebot/{quote.pk}/" and client.get(landed.url).status_code == 200
    heinz = Client()
    heinz.force_login(coop.heinz)  # logged in as somebody else: the quote does not exist
    assert heinz.get(f"/angebot/{quote.pk}/").status_code == 404


def test_a_single_trade_job_goes_through_wizard_quote_and_acceptance(
    sockets, django_capture_on_commit_callbacks
):
    browser = Client()
    page = browser.get("/pakete/steckdosen/anfrage/").content.decode()
    assert "Einzelauftrag" in page and "Elektrotechnik" in page
    # a count reads 6, not 6.00, and its limit in the error 20, not 20.00
    assert re.search(r'name="param_sockets" value="6"', page)
    too_many = wizard_form(param_sockets="25")
    del too_many["param_area"]
    refused = browser.post("/pakete/steckdosen/anfrage/", too_many).content.decode()
    assert "Höchstens 20." in refused and "20.00" not in refused
    form = wizard_form(param_sockets="4")
    del form["param_area"]
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post("/pakete/steckdosen/anfrage/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    package = Package.objects.get()
    assert package.template == sockets and package.title == "Steckdosen nachrüsten"
    assert [(t.code, t.trade.code, t.duration_hours) for t in package.tasks.all()] == [
        ("steckdosen", "elektro", Decimal("3.90"))
    ]
    quote = package.quotes.get()
    assert {line.kind for line in quote.lines.all()} >= {"labour", "material", "fee"}
    assert quote.gross == quote.net + quote.vat and quote.completion_date
    quote_page = browser.get(response.url).content.decode()
    assert "Steckdosen nachrüsten" in quote_page
    browser.force_login(package.customer.user)
    from django.core import mail

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        accepted = browser.post(f"/angebot/{quote.pk}/annehmen/", {"version": 1})
    assert accepted.status_code == 302
    package.refresh_from_db()
    assert package.status == Package.Status.ACCEPTED
    # The order confirmation on a durable medium (§ 312f BGB): a mail with the accepted quote,
    # which now says when and how it was accepted instead of inviting her to accept it.
    (confirmation,) = mail.outbox
    assert confirmation.subject == "Auftragsbestätigung: Steckdosen nachrüsten"
    assert confirmation.to == [package.customer.email]
    assert f"/auftrag/{package.pk}/" in confirmation.body
    (name, content, mimetype) = confirmation.attachments[0]
    assert name == f"angebot-{package.pk}-1.pdf" and mimetype == "application/pdf"
    text = " ".join(pdf_text(content).split())
    assert "Auftragsbestätigung Angenommen am" in text and "im Kundenportal an" not in text


def test_the_api_exposes_and_filters_the_kind_of_template(sockets, bathroom):  # noqa: F811
    client = Client()
    everything = client.get("/api/v1/package-templates").json()["items"]
    assert {t["code"]: t["kind"] for t in everything} == {"bad": "package", "steckdosen": "single"}
    singles = client.get("/api/v1/package-templates?kind=single").json()["items"]
    assert [t["code"] for t in singles] == ["steckdosen"]
    bad = client.get("/api/v1/package-templates?kind=everything")
    assert bad.status_code == 422 and "kind" in str(bad.json()["detail"][0]["loc"])


def test_a_single_trade_job_with_two_trades_is_refused(coop, api_as):
    body = {
        "code": "zwei",
        "kind": "single",
        "name_de": "Zwei Gewerke",
        "name_en": "Two trades",
        "tasks": [
            {
                "code": "a",
                "name_de": "A",
                "name_en": "A",
                "trade": "elektro",
                "duration_base_hours": 1,
            },
            {
                "code": "b",
                "name_de": "B",
                "name_en": "B",
                "trade": "sanitaer",
                "duration_base_hours": 1,
            },
        ],
    }
    response = api_as(coop.olga).post("/api/v1/package-templates", body, "application/json")
    assert response.status_code == 422
    assert ["body", "tasks"] in [e["loc"] for e in response.json()["detail"]]
    assert not PackageTemplate.objects.filter(code="zwei").exists()
    body["kind"] = "package"
    assert (
        api_as(coop.olga).post("/api/v1/package-templates", body, "application/json").status_code
        == 201
    )


# --- the pin on the map ---------------------------------------------------------------------------


def test_an_english_homeowner_reads_her_order_and_the_offices_mails_in_english(
    sockets, office_user, django_capture_on_commit_callbacks
):
    """Asked for in English: the pages name the job in English (stored in German for the
    invoices and the board), and mails sent later by the office, working in German, are
    English too and lead to the English pages."""
    from django.core import mail

    from jobs.models import Message
    from scheduling import messages

    browser = Client()
    form = wizard_form(param_sockets="4")
    del form["param_area"]
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post("/en/pakete/steckdosen/anfrage/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    package = Package.objects.get()
    assert package.title == "Steckdosen nachrüsten" and package.customer.language == "en"
    browser.force_login(package.customer.user)
    quote = package.quotes.get()
    english = browser.get(f"/en/angebot/{quote.pk}/").content.decode()
    assert "<h1>Your quote: Add sockets</h1>" in english
    # Amounts as English writes them (the German page: 1.234,56 €).
    assert f'data-testid="gross">€{quote.gross:,.2f}</strong>' in english

    # The PDF is a German document throughout, legal texts included: no stray English line.
    text = " ".join(pdf_text(browser.get(f"/en/angebot/{quote.pk}/pdf/").content).split())
    assert "in Ihrem Kundenportal an" in text and "customer portal" not in text

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        browser.post(f"/en/angebot/{quote.pk}/annehmen/", {"version": 1})
    (confirmation,) = mail.outbox
    assert confirmation.subject == "Order confirmation: Add sockets"
    assert f"/en/auftrag/{package.pk}/" in confirmation.body

    mail.outbox.clear()
    with translation.override("de"), django_capture_on_commit_callbacks(execute=True):
        messages.post_message(
            office_user, package, body="Wir kommen am Dienstag.", thread="homeowner"
        )
    (told,) = mail.outbox
    assert told.subject == "New message about your order"
    assert f"/en/auftrag/{package.pk}/#nachrichten" in told.body and "Add sockets" in told.body
    assert Message.objects.get().body == "Wir kommen am Dienstag."


def test_the_wizard_marks_its_optional_fields_as_optional(portal):  # noqa: F811
    german = Client().get("/pakete/bad/anfrage/").content.decode()
    english = Client().get("/en/pakete/bad/anfrage/").content.decode()
    for label in ("Vorname (optional)", "Telefon (optional)", "Hinweise zum Zugang (optional)"):
        assert f"{label}</label>" in german
    for label in ("First name (optional)", "Phone (optional)", "How to get in (optional)"):
        assert f"{label}</label>" in english
    assert "Nachname</label>" in german and "Last name</label>" in english


def test_a_quantity_names_its_unit_without_a_second_pair_of_brackets(portal):  # noqa: F811
    from jobs.models import TemplateParameter

    area = TemplateParameter.objects.get(template__code="bad", code="area")
    area.name_de, area.unit = "Fläche", "MTK"
    area.save()
    assert "Fläche (m²)</label>" in Client().get("/pakete/bad/anfrage/").content.decode()
    area.name_de = "Wandfläche (Fliesen)"
    area.save()
    page = Client().get("/pakete/bad/anfrage/").content.decode()
    assert "Wandfläche (Fliesen), m²</label>" in page and "(Fliesen) (m²)" not in page


def test_a_wrong_postcode_is_the_one_error_not_also_the_town_it_would_fill_in(portal):  # noqa: F811
    page = Client().post("/pakete/bad/anfrage/", wizard_form(postal_code="4966", city=""))
    assert page.status_code == 200
    form = page.context["form"]
    assert form.errors["postal_code"] == ["Eine deutsche Postleitzahl hat fünf Ziffern."]
    assert "city" not in form.errors
    # a right postal code and no town: the town is asked for
    nameless = Client().post("/pakete/bad/anfrage/", wizard_form(city=""))
    assert "city" in nameless.context["form"].errors


def test_the_wizard_stores_the_pin_the_homeowner_placed(portal):  # noqa: F811
    response = Client().post(
        "/pakete/bad/anfrage/", wizard_form(latitude="53.031234", longitude="7.871234")
    )
    assert response.status_code == 302
    site = greta_site()
    assert (site.location.y, site.location.x) == (53.031234, 7.871234)
    assert site.location_source == Site.Source.MANUAL


def test_without_a_pin_the_postcode_centre_is_used(portal):  # noqa: F811
    assert Client().post("/pakete/bad/anfrage/", wizard_form()).status_code == 302
    site = greta_site()
    assert (site.location.y, site.location.x) == FRIESOYTHE
    assert site.location_source == Site.Source.POSTCODE


@pytest.mark.parametrize(
    ("pin", "message"),
    [
        ({"latitude": "52.52", "longitude": "13.40"}, "km von der Postleitzahl 26169"),  # Berlin
        ({"latitude": "53.03"}, "noch einmal"),
        ({"latitude": "60.1", "longitude": "7.8"}, "kleiner oder gleich 55"),
    ],
)
def test_a_pin_far_from_the_postcode_or_half_a_pin_is_a_field_error(portal, pin, message):  # noqa: F811
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.count()
    response = Client().post("/pakete/bad/anfrage/", wizard_form(**pin))
    assert response.status_code == 200
    errors = re.findall(r'data-testid="pin-error">([^<]*)<', response.content.decode())
    assert errors and message in errors[0], errors
    assert not Site.objects.filter(customer__email="greta@example.org").exists()
    assert not Request.objects.exists()
    assert get_user_model().objects.count() == users


def test_the_api_refuses_a_pin_far_from_the_postcode_naming_the_field(portal):  # noqa: F811
    from tests.test_journey_api import submit, wizard

    response = submit(Client(), wizard(site__latitude=52.52, site__longitude=13.40))
    assert response.status_code == 422
    assert ["body", "latitude"] in [e["loc"] for e in response.json()["detail"]]
    assert not Package.objects.exists()
    near = submit(Client(), wizard(site__latitude=53.025, site__longitude=7.865))
    assert near.status_code == 201
    assert greta_site().location_source == "manual"


def test_the_postcode_lookup_gives_the_centre_for_the_map(portal):  # noqa: F811
    PostalCode.objects.create(code="26169", place="Markhausen", location=Point(7.95, 52.95))
    client = Client()
    found = client.get("/pakete/plz/26169/").json()
    assert (found["lat"], found["lon"], found["place"]) == (*FRIESOYTHE, "Friesoythe")
    assert found["max_km"] == 30
    other = client.get("/pakete/plz/26169/?ort=Markhausen").json()
    assert (other["lat"], other["lon"]) == (52.95, 7.95)
    assert found["served"] is True
    unknown = client.get("/pakete/plz/99999/")
    assert unknown.status_code == 404 and unknown.json()["detail"][0]["loc"] == ["postal_code"]
    assert client.get("/pakete/plz/2616/").status_code == 400
    PostalCode.objects.create(
        code="10115", place="Berlin", state="BE", location=Point(13.3846, 52.5323)
    )
    assert client.get("/pakete/plz/10115/").json()["served"] is False


def test_a_known_postcode_outside_the_area_is_told_apart_from_an_unknown_one(portal):  # noqa: F811
    """Berlin is a real place where the cooperative does not work (yet); 99999 is no place."""
    PostalCode.objects.create(
        code="10115", place="Berlin", state="BE", location=Point(13.3846, 52.5323)
    )

    def postal_code_error(language: str, **address) -> str:
        page = Client().post(f"{language}/pakete/bad/anfrage/", wizard_form(**address))
        assert page.status_code == 200
        field = page.content.decode().split('for="id_postal_code"', 1)[1].split("</div>", 1)[0]
        return re.search(r'class="field-error" role="alert">([^<]*)<', field)[1]

    outside = postal_code_error("/en", postal_code="10115", city="Berlin")
    assert outside == (
        "No member of the cooperative works at 10115 Berlin yet, so we cannot take this request."
    )
    german = postal_code_error("", postal_code="10115", city="Berlin")
    assert german.startswith("In 10115 Berlin arbeitet noch kein Mitglied")
    assert "do not know" in postal_code_error("/en", postal_code="99999", city="Nirgendwo")
    assert not Package.objects.exists() and not Site.objects.filter(postal_code="10115").exists()


def test_the_wizard_loads_the_vendored_leaflet_and_the_tile_setting_without_inline_script(
    portal,  # noqa: F811
    settings,
):
    settings.MAP_TILE_URL = "https://tiles.example.org/{z}/{x}/{y}.png"
    page = Client().get("/pakete/bad/anfrage/").content.decode()
    assert "/static/zunft/office/vendor/leaflet/leaflet" in page and "zunft/portal" in page
    assert '"tiles": "https://tiles.example.org/{z}/{x}/{y}.png"' in page
    assert re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)", page) == []
    # Without JavaScript the map stays hidden and the form needs no pin.
    assert re.search(r'<div class="pin" id="pin" hidden', page)
    assert 'type="hidden" name="latitude"' in page


# --- the public member directory ------------------------------------------------------------------


def jpeg(colour=(180, 120, 60)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(out, "JPEG")
    return out.getvalue()


def photo(task, by, *, checklist_item=None) -> Photo:
    p = Photo(
        client_id=uuid.uuid4(),
        task=task,
        created_by=by,
        checklist_item=checklist_item,
        width=64,
        height=48,
    )
    p.image.save("x.jpg", ContentFile(jpeg()), save=False)
    p.save()
    return p


@pytest.fixture
def work(coop, bathroom, settings, tmp_path):  # noqa: F811
    """Two finished bathrooms: Hanna agreed to photos, Heinz did not. Anton (workshop A) and
    Bernd (workshop B) photographed both."""
    settings.MEDIA_ROOT = tmp_path
    today = timezone.localdate()
    packages = {}
    for name, site in (("hanna", coop.hanna_site), ("heinz", coop.heinz_site)):
        package = book_package(
            customer=site.customer,
            site=site,
            template=bathroom,
            values={"area": 8},
            earliest_start=today,
            status=Package.Status.DONE,
            today=today,
        )
        package.tasks.update(status=Task.Status.DONE)
        packages[name] = package
    Package.objects.filter(pk=packages["hanna"].pk).update(
        photos_public=True, photos_public_since=timezone.now()
    )
    tasks = {name: {t.code: t for t in p.tasks.all()} for name, p in packages.items()}
    shots = {
        "hanna_wiring": photo(tasks["hanna"]["wiring"], coop.anton),
        "hanna_rough": photo(tasks["hanna"]["rough"], coop.bernd),
        "heinz_wiring": photo(tasks["heinz"]["wiring"], coop.anton),
    }
    evidence = ChecklistItem.objects.create(
        task=tasks["hanna"]["wiring"],
        code="measure",
        name_de="Messprotokoll",
        name_en="Test report",
        evidence="photo",
    )
    shots["hanna_evidence"] = photo(tasks["hanna"]["wiring"], coop.anton, checklist_item=evidence)
    return {"packages": packages, "tasks": tasks, "photos": shots}


def names(html: str) -> list[str]:
    return re.findall(r'<h2><a href="/mitglieder/\d+/">([^<]+)<', html)


def photo_ids(html: str) -> set[int]:
    return {int(i) for i in re.findall(r"/mitglieder/foto/(\d+)(?:-klein)?\.jpg", html)}


def test_the_directory_shows_members_with_trades_area_and_meister_but_nothing_private(coop):
    Workshop.objects.filter(pk=coop.a.pk).update(master_business=True)
    f.WorkshopFactory(name="Ruhender Betrieb", active=False)
    page = Client().get("/mitglieder/").content.decode()
    assert names(page) == ["Elektro Janßen", "Sanitär Meyer"]
    janssen, meyer = page.split('data-testid="member"')[1:]
    assert "Elektrotechnik" in janssen and "Cloppenburg und bis zu 40 km im Umkreis" in janssen
    assert "Meisterbetrieb" in janssen and "Meisterbetrieb" not in meyer
    for private in (
        coop.a.street,
        coop.a.iban,
        coop.a.email,
        coop.a.owner_name,
        "61,50",
        "61.50",
        "€",
    ):
        assert private not in page, private
    assert "Ruhender Betrieb" not in page
    assert (
        Client().get(f"/mitglieder/{Workshop.objects.get(name='Ruhender Betrieb').pk}/").status_code
        == 404
    )


def test_the_directory_filters_by_trade_and_by_postcode(coop):
    f.PostalCodeFactory()  # 26169 Friesoythe
    far = f.WorkshopFactory(
        name="Weit weg", location=Point(9.9937, 53.5511), city="Hamburg", service_radius_km=30
    )
    f.OfferFactory(workshop=far, trade=coop.trades.elektro)
    client = Client()
    electricians = client.get("/mitglieder/?gewerk=elektro").content.decode()
    assert "Elektro Janßen" in electricians and "Weit weg" in electricians
    assert "Sanitär Meyer" not in electricians
    # Serving Friesoythe: both members of the region, nearest first, not the one in Hamburg.
    serving = client.get("/mitglieder/?plz=26169").content.decode()
    assert names(serving) == ["Sanitär Meyer", "Elektro Janßen"]
    assert "0 km entfernt" in serving and "23 km entfernt" in serving
    both = client.get("/mitglieder/?plz=26169&gewerk=elektro").content.decode()
    assert names(both) == ["Elektro Janßen"]
    nobody = client.get("/mitglieder/?plz=26169&gewerk=dachdecker")
    assert nobody.status_code == 400  # not a trade any member offers
    PostalCode.objects.create(code="20095", place="Hamburg", location=Point(9.9937, 53.5511))
    empty = client.get("/mitglieder/?plz=20095&gewerk=sanitaer").content.decode()
    assert names(empty) == [] and 'data-testid="empty"' in empty
    assert "Kein Mitgliedsbetrieb passt zu diesen Filtern." in empty


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("plz=99999", "plz", "Die Postleitzahl 99999 kennen wir nicht."),
        ("plz=2616", "plz", "Eine deutsche Postleitzahl hat fünf Ziffern."),
        ("gewerk=zauberei", "gewerk", "Bitte eine gültige Auswahl treffen."),
    ],
)
def test_bad_directory_filters_are_a_400_naming_the_field(coop, query, field, message):
    response = Client().get(f"/mitglieder/?{query}")
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert re.search(rf'id="id_{field}"[\s\S]*?class="field-error"', page)


def test_the_directory_pages_through_many_members_in_constant_queries(
    coop, django_assert_max_num_queries
):
    for n in range(11):
        f.OfferFactory(
            workshop=f.WorkshopFactory(name=f"Zimmerei {n:02d}"), trade=coop.trades.elektro
        )
    client = Client()
    with django_assert_max_num_queries(12):
        first = client.get("/mitglieder/").content.decode()
    assert first.count('data-testid="member"') == 10 and "Seite 1 von 2" in first
    second = client.get("/mitglieder/?seite=2").content.decode()
    assert second.count('data-testid="member"') == 3
    filtered = client.get("/mitglieder/?gewerk=elektro&seite=2").content.decode()
    assert 'href="?gewerk=elektro&amp;seite=1"' in filtered


def test_only_consented_photos_of_finished_work_are_shown_and_served(coop, work):
    shots = work["photos"]
    client = Client()
    listing = client.get("/mitglieder/").content.decode()
    a_page = client.get(f"/mitglieder/{coop.a.pk}/").content.decode()
    b_page = client.get(f"/mitglieder/{coop.b.pk}/").content.decode()
    assert photo_ids(listing) == {shots["hanna_wiring"].pk, shots["hanna_rough"].pk}
    assert photo_ids(a_page) == {shots["hanna_wiring"].pk}  # the tradesperson's own workshop
    assert photo_ids(b_page) == {shots["hanna_rough"].pk}
    served = client.get(f"/mitglieder/foto/{shots['hanna_wiring'].pk}.jpg")
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    assert b"".join(served.streaming_content)[:2] == b"\xff\xd8"
    small = client.get(f"/mitglieder/foto/{shots['hanna_wiring'].pk}-klein.jpg")
    assert small.status_code == 200 and Image.open(io.BytesIO(small.content)).size == (64, 48)
    for refused in ("heinz_wiring", "hanna_evidence"):
        for suffix in (".jpg", "-klein.jpg"):
            assert client.get(f"/mitglieder/foto/{shots[refused].pk}{suffix}").status_code == 404
    # No other customer's data: names, streets, towns of sites, prices, package or quote numbers.
    hanna = work["packages"]["hanna"]
    for page in (listing, a_page, b_page):
        for private in (
            hanna.customer.last_name,
            hanna.site.street,
            "€",
            f"/auftrag/{hanna.pk}/",
            "Heinz",
        ):
            assert private not in page, private
    # An unfinished task's photo stays private even with consent.
    Task.objects.filter(pk=work["tasks"]["hanna"]["wiring"].pk).update(
        status=Task.Status.IN_PROGRESS
    )
    assert client.get(f"/mitglieder/foto/{shots['hanna_wiring'].pk}.jpg").status_code == 404


def test_the_directory_shows_each_members_three_newest_photos_and_counts_them_all(coop, work):
    # Anton also runs his workshop, Alice runs both: each photo counts once per workshop.
    coop.a.admins.add(coop.anton)
    coop.b.admins.add(coop.alice)
    wiring = work["tasks"]["hanna"]["wiring"]
    more = [photo(wiring, coop.anton) for _ in range(4)]
    by_alice = photo(wiring, coop.alice)
    a_photos = [work["photos"]["hanna_wiring"], *more, by_alice]
    b_photos = [work["photos"]["hanna_rough"], by_alice]
    client = Client()
    listing = client.get("/mitglieder/").content.decode()
    janssen, meyer = listing.split('data-testid="member"')[1:]
    assert photo_ids(janssen) == {p.pk for p in a_photos[-3:]}
    assert "6 Fotos fertiger Arbeiten" in janssen
    assert photo_ids(meyer) == {p.pk for p in b_photos}
    assert "2 Fotos fertiger Arbeiten" in meyer
    a_page = client.get(f"/mitglieder/{coop.a.pk}/").content.decode()
    assert re.findall(r"/mitglieder/foto/(\d+)\.jpg", a_page) == [
        str(p.pk) for p in reversed(a_photos)
    ]


def test_withdrawing_consent_hides_the_photos_at_once(coop, work):
    hanna = work["packages"]["hanna"]
    owner = Client()
    owner.force_login(coop.hanna)
    response = owner.post(f"/auftrag/{hanna.pk}/fotos-freigeben/", {"photos_public": "0"})
    assert response.status_code == 302 and response.url == f"/auftrag/{hanna.pk}/#fotos"
    assert photo_ids(Client().get("/mitglieder/").content.decode()) == set()
    assert (
        Client().get(f"/mitglieder/foto/{work['photos']['hanna_wiring'].pk}.jpg").status_code == 404
    )
    hanna.refresh_from_db()
    assert not hanna.photos_public and hanna.photos_public_since is None


def test_only_the_homeowner_grants_the_photo_consent(coop, work):
    heinz = work["packages"]["heinz"]
    url = f"/auftrag/{heinz.pk}/fotos-freigeben/"
    for intruder in (coop.hanna, coop.olga, coop.alice, coop.anton):
        client = Client()
        client.force_login(intruder)
        assert client.post(url, {"photos_public": "1"}).status_code == 404
    anonymous = Client().post(url, {"photos_public": "1"})
    assert anonymous.status_code == 302 and anonymous.url.startswith("/anmelden/")
    heinz.refresh_from_db()
    assert not heinz.photos_public
    owner = Client()
    owner.force_login(coop.heinz)
    assert owner.get(url).status_code == 405
    bad = owner.post(url, {"photos_public": "yes"})
    assert bad.status_code == 400 and b"photos_public" in bad.content
    before = timezone.now()
    assert owner.post(url, {"photos_public": "1"}).status_code == 302
    heinz.refresh_from_db()
    assert heinz.photos_public and heinz.photos_public_since >= before
    consent = Consent.objects.get(user=coop.heinz, kind=Consent.Kind.PHOTO_PUBLICATION)
    assert consent.subject == f"package {heinz.pk}"
    assert work["photos"]["heinz_wiring"].pk in photo_ids(
        Client().get("/mitglieder/").content.decode()
    )


def test_the_consent_snippet_shows_to_the_homeowner_only(coop, work):
    package = Package.objects.get(pk=work["packages"]["hanna"].pk)

    def render(user):
        request = RequestFactory().get("/")
        request.user = user
        return render_to_string("jobs/_photo_consent.html", {"package": package}, request=request)

    mine = render(coop.hanna)
    assert (
        'data-public="true"' in mine and f'action="/auftrag/{package.pk}/fotos-freigeben/"' in mine
    )
    assert 'name="photos_public" value="0"' in mine and "csrfmiddlewaretoken" in mine
    assert render(coop.heinz).strip() == "" and render(coop.olga).strip() == ""


def hannas_package(coop, bathroom):  # noqa: F811
    """A bathroom Hanna requested for a month from now, not quoted yet."""
    return book_package(
        customer=coop.hanna_site.customer,
        site=coop.hanna_site,
        template=bathroom,
        values={"area": 8},
        earliest_start=timezone.localdate() + dt.timedelta(days=30),
    )


def hannas_quote(coop, bathroom):  # noqa: F811
    """That bathroom quoted and not yet decided."""
    from jobs.services import create_quote

    return create_quote(hannas_package(coop, bathroom))


def test_a_returning_homeowner_finds_her_orders_and_nobody_elses(coop, bathroom):  # noqa: F811
    from django.core import mail

    from jobs.models import Message
    from tests.test_planner_integration import book

    coop.hanna.email = "hanna@example.org"
    coop.hanna.save(update_fields=["email"])
    accepted = book(coop, bathroom, coop.hanna_site)
    quote = hannas_quote(coop, bathroom)
    book(coop, bathroom, coop.heinz_site)  # Heinz's
    Message.objects.create(
        package=accepted, thread="homeowner", sender="office", body="Termin steht"
    )

    # Logging in by code without a destination lands on her orders.
    client = Client()
    client.post("/anmelden/", {"email": coop.hanna.email})
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].subject).group(1)
    landed = client.post("/anmelden/", {"email": coop.hanna.email, "code": code})
    assert landed.status_code == 302 and landed["Location"] == "/meine-auftraege/"

    page = client.get("/meine-auftraege/").content.decode()
    assert page.count('class="card order"') == 2
    assert f"/auftrag/{accepted.pk}/" in page and f"/angebot/{quote.pk}/" in page
    # named as the quote itself names it
    assert f"Angebot {quote.package_id}-{quote.version}, gültig bis" in page
    assert 'data-testid="unread"' in page
    assert 'data-testid="nav-my-orders"' in page

    heinz = Client()
    heinz.force_login(coop.heinz)
    theirs = heinz.get("/meine-auftraege/").content.decode()
    assert f"/auftrag/{accepted.pk}/" not in theirs and f"/angebot/{quote.pk}/" not in theirs
    assert theirs.count('class="card order"') == 1
    otto = Client()
    otto.force_login(coop.otto)
    assert 'data-testid="no-orders"' in otto.get("/meine-auftraege/").content.decode()
    assert Client().get("/meine-auftraege/").status_code == 302  # to the login
    # A visitor finds the way in from every public page, the catalogue too.
    visitor = Client().get("/pakete/").content.decode()
    assert 'href="/meine-auftraege/" data-testid="nav-login">Anmelden</a>' in visitor
    assert 'data-testid="nav-login"' not in page


def test_error_pages_speak_german_and_lead_back_home(coop):
    homeowner = Client()
    homeowner.force_login(coop.hanna)
    refused = homeowner.get("/buero/plantafel/")
    assert refused.status_code == 403
    assert "Kein Zugang" in refused.content.decode() and 'href="/"' in refused.content.decode()
    missing = homeowner.get("/auftrag/999999/")
    assert missing.status_code == 404 and "Seite nicht gefunden" in missing.content.decode()
    assert 'data-testid="back-to-field"' not in refused.content.decode()
    # Tradespeople and workshop owners are led back to the field app, their home.
    for member in (coop.anton, coop.alice):
        client = Client()
        client.force_login(member)
        refused = client.get("/buero/plantafel/")
        assert refused.status_code == 403
        assert re.search(
            r'<a class="button" href="/monteur/" data-testid="back-to-field">'
            r"Zurück zur Monteur-App</a>",
            refused.content.decode(),
        )
    # An API path nobody serves answers like the API: JSON.
    unknown = homeowner.get("/api/v1/gibt-es-nicht")
    assert unknown.status_code == 404 and unknown.json() == {"detail": "Not Found"}
    # A form sent with a stale token (logged in again in another tab) is refused in the layout.
    stale = Client(enforce_csrf_checks=True)
    stale.force_login(coop.hanna)
    refused = stale.post("/anmelden/", {"email": "hanna@example.org"})
    assert refused.status_code == 403
    assert "Bitte senden Sie das Formular noch einmal" in refused.content.decode()
    assert 'href="/"' in refused.content.decode()
    # the 500 page is rendered without a request or a database
    crashed = render_to_string("500.html")
    assert "Etwas ist schiefgelaufen" in crashed and 'href="/"' in crashed


@pytest.mark.django_db
def test_outside_the_language_prefixes_the_users_choice_decides_the_language():
    # The field app and the API have no /en/ prefix; an English user's choice still holds there,
    # while the portal's German URLs stay German and /en/ ones English.
    german, english, browser = Client(), Client(), Client(HTTP_ACCEPT_LANGUAGE="en")
    english.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert '<html lang="de"' in german.get("/monteur/anmelden/").content.decode()
    assert '<html lang="en"' in english.get("/monteur/anmelden/").content.decode()
    assert '<html lang="en"' in browser.get("/monteur/anmelden/").content.decode()
    assert english.get("/api/v1/package-templates")["Content-Language"] == "en"
    assert '<html lang="de"' in english.get("/pakete/").content.decode()
    assert '<html lang="en"' in german.get("/en/pakete/").content.decode()


def test_imprint_and_privacy_notice_name_the_cooperative_and_are_linked_where_consent_is_asked(
    coop, sockets
):
    from trades.models import Cooperative

    cooperative = Cooperative.objects.get()
    imprint = Client().get("/impressum/").content.decode()
    assert cooperative.legal_name in imprint and cooperative.vat_id in imprint
    privacy = Client().get("/datenschutz/").content.decode()
    assert cooperative.legal_name in privacy and f"mailto:{cooperative.email}" in privacy
    assert "Art. 6 Abs. 1 lit. b DSGVO" in privacy and "8 Jahre" in privacy
    assert 'data-testid="privacy-export"' not in privacy  # only for a logged-in homeowner
    homeowner = Client()
    homeowner.force_login(coop.hanna)
    assert 'data-testid="privacy-export"' in homeowner.get("/datenschutz/").content.decode()
    english = Client().get("/en/datenschutz/").content.decode()
    assert "Art. 6(1)(b) GDPR" in english
    wizard = Client().get("/pakete/steckdosen/anfrage/").content.decode()
    assert 'href="/datenschutz/"' in wizard and 'href="/impressum/"' in wizard
    refused = Client().post("/pakete/steckdosen/anfrage/", {"param_sockets": "4"})
    assert "Bitte bestätigen Sie die Datenschutzhinweise." in refused.content.decode()


@pytest.mark.django_db
def test_the_legal_pages_work_before_the_cooperative_is_entered():
    page = Client().get("/impressum/")
    assert page.status_code == 200 and 'data-testid="provider-missing"' in page.content.decode()


# --- the dates on "Meine Aufträge" ---------------------------------------------------------------


def _order_cards(page: str) -> dict[int, str]:
    return {
        int(pk): card
        for pk, card in re.findall(
            r'<li class="card order" data-package="(\d+)">(.*?)</li>', page, flags=re.S
        )
    }


def test_each_order_card_says_when_it_was_requested_ordered_done_and_approved(
    coop,
    bathroom,  # noqa: F811
    django_assert_max_num_queries,
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from jobs.models import Acceptance, Quote
    from jobs.services import accept_quote, create_quote
    from scheduling.models import Appointment
    from scheduling.services import plan_cooperative
    from tests.test_planner_integration import TODAY, book

    def at(day: int, month: int = 10):
        return timezone.make_aware(dt.datetime(2025, month, day, 9, 30))

    # Ordered by accepting its quote, then planned.
    planned = book_package(
        customer=coop.hanna_site.customer,
        site=coop.hanna_site,
        template=bathroom,
        values={"area": 8},
        earliest_start=TODAY + dt.timedelta(days=1),
        today=TODAY,
    )
    quote = create_quote(planned, today=TODAY)
    accept_quote(
        quote.pk, version=quote.version, user=coop.hanna, early_start_consent=True, today=TODAY
    )
    plan_cooperative(today=TODAY, time_limit=3)
    live = Appointment.objects.filter(task__package=planned).exclude(status="cancelled")
    assert live.exists()
    first = timezone.localdate(min(a.start for a in live))
    last = timezone.localdate(max(a.end for a in live))
    # Booked after the planner ran: accepted, not planned yet.
    waiting = book(coop, bathroom, coop.hanna_site)
    # Finished and approved.
    done = book(coop, bathroom, coop.hanna_site)
    Package.objects.filter(pk=done.pk).update(status=Package.Status.DONE)
    approval = Acceptance.objects.create(
        package=done, outcome="approved", signer_name="Hanna", created_by=coop.hanna
    )
    Acceptance.objects.filter(pk=approval.pk).update(created_at=at(14, 11))
    Package.objects.filter(pk=planned.pk).update(created_at=at(1))
    Package.objects.filter(pk=waiting.pk).update(created_at=at(2))
    Package.objects.filter(pk=done.pk).update(created_at=at(3))
    Quote.objects.filter(pk=quote.pk).update(accepted_at=at(6))

    client = Client()
    client.force_login(coop.hanna)
    with CaptureQueriesContext(connection) as three:
        cards = _order_cards(client.get("/meine-auftraege/").content.decode())

    card = cards[planned.pk]
    assert re.search(r"Angefragt.*01\.10\.2025", card, re.S)
    assert re.search(r"Beauftragt.*06\.10\.2025", card, re.S)
    assert re.search(rf"Ausführung.*{first:%d\.%m\.}.*{last:%d\.%m\.%Y}", card, re.S), card
    assert "noch nicht eingeplant" not in card and "Abgenommen" not in card

    card = cards[waiting.pk]
    assert re.search(r"Angefragt.*02\.10\.2025", card, re.S)
    assert re.search(r"Ausführung.*noch nicht eingeplant", card, re.S), card

    card = cards[done.pk]
    assert re.search(r"Abgenommen.*14\.11\.2025", card, re.S), card
    assert "noch nicht eingeplant" not in card

    # Two more orders cost no further query: the page reads each kind of date in one go.
    for _ in range(2):
        create_quote(book(coop, bathroom, coop.hanna_site), today=TODAY)
    with CaptureQueriesContext(connection) as five:
        assert len(_order_cards(client.get("/meine-auftraege/").content.decode())) == 5
    assert len(five) == len(three)
    # session, user, packages (with unread messages and approval), quotes, days of work
    with django_assert_max_num_queries(5):
        client.get("/meine-auftraege/")


def test_an_expired_quote_offers_a_new_one_instead_of_an_accept_button(coop, bathroom):  # noqa: F811
    from jobs.models import Quote

    quote = hannas_quote(coop, bathroom)
    package = quote.package
    client = Client()
    client.force_login(coop.hanna)
    fresh = client.get(f"/angebot/{quote.pk}/").content.decode()
    assert 'data-testid="accept"' in fresh and 'data-testid="expired"' not in fresh
    assert 'data-testid="quote-expired"' not in client.get("/meine-auftraege/").content.decode()

    Quote.objects.filter(pk=quote.pk).update(
        valid_until=timezone.localdate() - dt.timedelta(days=1)
    )
    card = client.get("/meine-auftraege/").content.decode()
    assert 'data-testid="quote-expired"' in card and "abgelaufen" in card
    page = client.get(f"/angebot/{quote.pk}/").content.decode()
    assert 'data-testid="accept"' not in page
    assert f"Angebot {package.pk}-1, abgelaufen am" in page
    ask = re.search(r'href="([^"]+)" data-testid="ask-new-quote"', page).group(1)
    assert ask == f"/auftrag/{package.pk}/#nachrichten"
    # The order page she is sent to has the message form for the office.
    assert 'id="nachrichten"' in client.get(f"/auftrag/{package.pk}/").content.decode()
    # The browser that asked for it, not logged in: the way in by code.
    browser = Client()
    session = browser.session
    session["quotes"] = [quote.pk]
    session.save()
    visitor = browser.get(f"/angebot/{quote.pk}/").content.decode()
    assert 'data-testid="login-to-ask"' in visitor and 'data-testid="ask-new-quote"' not in visitor


def test_the_english_quote_page_heads_the_lines_with_english_trade_names(coop, bathroom):  # noqa: F811
    from trades.models import Trade

    quote = hannas_quote(coop, bathroom)
    client = Client()
    client.force_login(coop.hanna)
    stored = set(quote.lines.exclude(trade="").values_list("trade", flat=True))
    trades = Trade.objects.filter(name_de__in=stored)
    assert trades.count() == len(stored) >= 2
    english = client.get(f"/en/angebot/{quote.pk}/").content.decode()
    german = client.get(f"/angebot/{quote.pk}/").content.decode()
    for trade in trades:
        assert f">{trade.name_en}<" in english and f">{trade.name_de}<" not in english
        assert f">{trade.name_de}<" in german


def test_the_english_quote_page_words_the_lines_in_english_but_office_typed_ones_in_german(
    portal,  # noqa: F811 - with the cooperative's fee
    bathroom,  # noqa: F811
):
    """The stored texts are German (the quote is a German contract); the English page derives
    each line's text from its task. A line the office typed stays German, marked as such."""
    from jobs.models import QuoteLine
    from jobs.services import create_quote
    from zunft.core.units import Unit

    coop = portal
    package = hannas_package(coop, bathroom)
    package.tasks.update(material_cost=Decimal("50.00"))
    quote = create_quote(package)
    client = Client()
    client.force_login(coop.hanna)
    kinds = set(quote.lines.values_list("kind", flat=True))
    assert {"labour", "material", "travel", "fee"} <= kinds
    english = client.get(f"/en/angebot/{quote.pk}/").content.decode()
    for task in quote.package.tasks.all():
        assert f"<td>{task.name_en}</td>" in english and task.name_de not in english
        assert f"<td>Material: {task.name_en}</td>" in english
    assert "<td>Travel: " in english and "Anfahrt" not in english
    assert "<td>Coordination and site management</td>" in english
    assert '<td lang="de">' not in english and 'data-testid="german-line-texts"' not in english
    german = client.get(f"/angebot/{quote.pk}/").content.decode()
    for line in quote.lines.all():
        assert f"<td>{line.text}</td>" in german
    assert 'data-testid="german-line-texts"' not in german

    QuoteLine.objects.create(
        quote=quote,
        position=99,
        kind="material",
        trade=quote.lines.first().trade,
        text="Silikonfugen erneuern",
        quantity=1,
        unit=Unit.LUMP_SUM,
        unit_price=40,
        net=40,
        vat_rate=19,
    )
    english = client.get(f"/en/angebot/{quote.pk}/").content.decode()
    assert '<td lang="de">Silikonfugen erneuern</td>' in english
    assert 'data-testid="german-line-texts"' in english
    german = client.get(f"/angebot/{quote.pk}/").content.decode()
    assert "<td>Silikonfugen erneuern</td>" in german and '<td lang="de">' not in german


def test_the_homeowner_declines_a_quote_and_the_request_is_closed(coop, bathroom):  # noqa: F811
    """Not wanted after all (or filed by somebody else before addresses were checked): she says
    no on the quote page; the order is cancelled, the office sees it, and her erasure is no
    longer held up by an "open quote"."""
    from customers.privacy import erasure_blockers
    from jobs.models import Quote
    from zunft.core.models import Event

    quote = hannas_quote(coop, bathroom)
    hanna = Client()
    hanna.force_login(coop.hanna)
    page = hanna.get(f"/angebot/{quote.pk}/").content.decode()
    assert 'data-testid="decline-quote"' in page
    assert erasure_blockers(quote.package.customer)
    other = Client()
    other.force_login(coop.heinz)
    url = f"/angebot/{quote.pk}/ablehnen/"
    assert other.post(url, {"version": quote.version}).status_code == 404
    assert hanna.post(url, {"version": quote.version + 1}).status_code == 302  # outdated
    quote.refresh_from_db()
    assert quote.status == Quote.Status.OPEN

    done = hanna.post(url, {"version": quote.version})
    assert done.status_code == 302 and done.url == "/meine-auftraege/"
    quote.refresh_from_db()
    quote.package.refresh_from_db()
    assert quote.status == Quote.Status.DECLINED
    assert quote.package.status == Package.Status.CANCELLED
    assert Event.objects.filter(type="quote.declined", group="office").exists()
    assert not erasure_blockers(quote.package.customer)
    page = hanna.get(f"/angebot/{quote.pk}/").content.decode()
    assert 'data-testid="declined"' in page and 'data-testid="accept"' not in page
    # Saying no twice is still no; accepting afterwards is refused.
    assert hanna.post(url, {"version": quote.version}).status_code == 302
    hanna.post(f"/angebot/{quote.pk}/annehmen/", {"version": quote.version})
    quote.package.refresh_from_db()
    assert quote.package.status == Package.Status.CANCELLED


def test_a_declined_quote_reads_as_her_no_on_my_orders_not_as_a_live_offer(coop, bathroom):  # noqa: F811
    """Declined by her, on the day she did; no validity, no button urging her to the quote
    (it stays readable through a plain link); a decline from before the day was kept still
    reads as hers."""
    from jobs.models import Quote

    quote = hannas_quote(coop, bathroom)
    hanna = Client()
    hanna.force_login(coop.hanna)
    hanna.post(f"/angebot/{quote.pk}/ablehnen/", {"version": quote.version})
    quote.refresh_from_db()

    card = _order_cards(hanna.get("/meine-auftraege/").content.decode())[quote.package_id]
    declined_on = timezone.localdate(quote.declined_at)
    assert (
        f'data-testid="order-status">am {declined_on:%d.%m.%Y} von Ihnen abgelehnt</strong>' in card
    )
    assert "storniert" not in card and "gültig bis" not in card
    assert 'class="button"' not in card
    link = re.search(r'<a href="([^"]+)" data-testid="declined-quote-link">([^<]+)</a>', card)
    assert link.groups() == (f"/angebot/{quote.pk}/", "Abgelehntes Angebot ansehen (Version 1)")
    english = _order_cards(hanna.get("/en/meine-auftraege/").content.decode())
    assert "declined by you on" in english[quote.package_id]

    Quote.objects.filter(pk=quote.pk).update(declined_at=None)
    card = _order_cards(hanna.get("/meine-auftraege/").content.decode())[quote.package_id]
    assert 'data-testid="order-status">von Ihnen abgelehnt</strong>' in card


def test_the_quote_page_writes_quantities_as_its_language_does(coop, bathroom):  # noqa: F811
    """The page follows its reader (2.6 h in English); the PDF is a German document (2,6)."""
    quote = hannas_quote(coop, bathroom)
    line = quote.lines.filter(kind="labour").first()
    line.quantity = Decimal("1234.50")
    line.save(update_fields=["quantity"])
    client = Client()
    client.force_login(coop.hanna)
    english = client.get(f"/en/angebot/{quote.pk}/").content.decode()
    german = client.get(f"/angebot/{quote.pk}/").content.decode()
    assert '<span class="nowrap">1,234.5 h</span>' in english and "1.234,5" not in english
    assert '<span class="nowrap">1.234,5 Std.</span>' in german
    assert "1.234,5 Std." in pdf_text(client.get(f"/en/angebot/{quote.pk}/pdf/").content)


def test_english_portal_pages_name_the_month_in_their_dates_and_german_ones_stay_numeric(
    coop,
    bathroom,  # noqa: F811
):
    """One style on English pages, never 07/12 (7 December or 12 July?): 7 Dec 2026."""
    quote = hannas_quote(coop, bathroom)
    package = quote.package
    requested = timezone.make_aware(dt.datetime(2026, 10, 5, 9, 30))
    Package.objects.filter(pk=package.pk).update(created_at=requested)
    until, done = quote.valid_until, quote.completion_date

    def english(day: dt.date, weekday: bool = False) -> str:
        # strftime's names are English here (the C locale), as Django's are on English pages
        return (f"{day:%A} " if weekday else "") + f"{day.day} {day:%b %Y}"

    client = Client()
    client.force_login(coop.hanna)
    page = client.get(f"/en/angebot/{quote.pk}/").content.decode()
    assert f"valid until {english(until)}" in page
    assert f'data-testid="completion">{english(done, weekday=True)}</strong>' in page
    assert f"{until:%d.%m.%Y}" not in page
    page = client.get(f"/angebot/{quote.pk}/").content.decode()
    assert f"gültig bis {until:%d.%m.%Y}" in page
    assert f", {done:%d.%m.%Y}</strong>" in page  # after the weekday, as before

    page = client.get("/en/meine-auftraege/").content.decode()
    assert '<time datetime="2026-10-05">5 Oct 2026</time>' in page
    assert f"valid until {english(until)}" in page
    page = client.get("/meine-auftraege/").content.decode()
    assert '<time datetime="2026-10-05">05.10.2026</time>' in page

    issued = timezone.localdate(quote.created_at)
    page = client.get(f"/en/auftrag/{package.pk}/").content.decode()
    assert f'<span class="muted">{english(issued)} · PDF</span>' in page
    page = client.get(f"/auftrag/{package.pk}/").content.decode()
    assert f'<span class="muted">{issued:%d.%m.%Y} · PDF</span>' in page


def test_a_trade_nobody_offers_at_the_site_is_named_in_the_readers_language(portal):  # noqa: F811
    from trades.models import WorkshopTrade

    WorkshopTrade.objects.filter(trade__code="elektro").delete()
    page = Client().post("/en/pakete/bad/anfrage/", wizard_form()).content.decode()
    assert "Wiring" in page  # the task as the English page names it, not "Elektro"
    assert not Package.objects.exists()


def test_the_calendar_download_is_offered_once_something_is_planned(coop, bathroom):  # noqa: F811
    """An order not planned yet would give an empty calendar file: it says so instead."""
    from scheduling.models import Appointment
    from tests.test_planner_integration import book

    package = book(coop, bathroom, coop.hanna_site)  # ordered, not planned yet
    client = Client()
    client.force_login(coop.hanna)
    ics = f'href="/auftrag/{package.pk}/termine.ics"'
    page = client.get(f"/auftrag/{package.pk}/").content.decode()
    assert ics not in page and "Noch keine Termine für Ihren Kalender." in page

    task = package.tasks.order_by("position").last()
    start = timezone.make_aware(dt.datetime(2025, 11, 3, 8))
    end = start + dt.timedelta(hours=8)
    Appointment.objects.create(task=task, workshop=coop.a, start=start, end=end, status="cancelled")
    assert ics not in client.get(f"/auftrag/{package.pk}/").content.decode()

    Appointment.objects.create(task=task, workshop=coop.a, start=start, end=end)
    page = client.get(f"/auftrag/{package.pk}/").content.decode()
    assert ics in page and "Noch keine Termine" not in page
