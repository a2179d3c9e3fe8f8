"""The homeowner's whole journey on a phone, in headless Chromium against the live stack."""

import email
import re
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from scheduling.models import Dispatch
from tests.test_journey_api import portal  # noqa: F401 - fixture
from tests.test_planner_integration import bathroom  # noqa: F401 - fixture

pytestmark = [pytest.mark.live, pytest.mark.browser]
PHONE = {"width": 390, "height": 844}
SHOTS = Path(settings.BASE_DIR) / ".var" / "screens"


def latest_code(mail_dir: Path, address: str) -> str:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        for path in sorted(mail_dir.glob("*.log"), key=lambda p: p.stat().st_mtime, reverse=True):
            for raw in path.read_text().split("-" * 79):
                message = email.message_from_string(raw.strip())
                if address in (message.get("To") or ""):
                    subject = str(
                        email.header.make_header(email.header.decode_header(message["Subject"]))
                    )
                    return re.search(r"(\d{6})", subject).group(1)
        time.sleep(0.3)
    raise AssertionError(f"no login code mailed to {address}")


def session_cookie(user, base_url):
    client = Client()
    client.force_login(user)
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": base_url,
    }


@pytest.mark.django_db(transaction=True)
def test_catalogue_wizard_quote_login_accept_and_a_live_package_page(
    live_stack,
    browser,
    portal,  # noqa: F811
):
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = live_stack.base_url
    phone = browser.new_context(viewport=PHONE, locale="de-DE", is_mobile=True, has_touch=True)
    page = phone.new_page()

    page.goto(f"{base}/pakete/")
    page.screenshot(path=SHOTS / "1-catalogue.png", full_page=True)
    page.locator('a[href="/pakete/bad/anfrage/"]').click()

    page.fill("#id_param_area", "9")
    page.fill("#id_street", "Lange Straße 9")
    page.fill("#id_postal_code", "26169")
    page.fill("#id_city", "Friesoythe")
    page.fill("#id_last_name", "Grote")
    page.fill("#id_email", "greta@example.org")
    page.check("#id_privacy_consent")
    page.locator("form.wizard button[type=submit]").click()

    expect(page.get_by_test_id("gross")).to_contain_text("€")
    expect(page.get_by_test_id("completion")).to_contain_text(".20")
    page.screenshot(path=SHOTS / "2-quote.png", full_page=True)
    # lines like "1 pauschal × 3.400,00 €" wrap instead of widening the page on a phone
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # The code is in the mail already: the page says so and leads straight to typing it.
    expect(page.get_by_test_id("code-sent")).to_contain_text("greta@example.org")
    page.get_by_test_id("login-to-accept").click()
    page.fill("#code", latest_code(live_stack.mail_dir, "greta@example.org"))
    page.locator("form:has(#code) button[type=submit]").click()
    page.get_by_test_id("accept").click()

    expect(page.get_by_test_id("live-state")).to_have_attribute("data-state", "live", timeout=15000)
    # The worker re-plans after the acceptance; the page shows the plan without a reload.
    expect(page.get_by_test_id("task-state").nth(1)).not_to_have_text(
        re.compile("wird geplant|being planned"), timeout=90000
    )
    page.screenshot(path=SHOTS / "3-package-planned.png", full_page=True)

    # A tradesperson of workshop A accepts the wiring offer from their own phone.
    offer = Dispatch.objects.get(appointment__task__code="wiring", status="offered")
    van = browser.new_context(viewport=PHONE, locale="de-DE")
    van.add_cookies([session_cookie(portal.anton, base)])
    tradesperson = van.new_page()
    tradesperson.goto(f"{base}/")
    csrf = next(c["value"] for c in van.cookies() if c["name"] == "csrftoken")
    answer = tradesperson.request.post(
        f"{base}/api/v1/dispatches/{offer.pk}/accept",
        data={},
        headers={"X-CSRFToken": csrf, "Referer": base + "/"},
    )
    assert answer.status == 200, answer.text()

    wiring = page.locator("li.step").nth(1)
    expect(wiring).to_have_class(re.compile("state-accepted"), timeout=15000)
    page.screenshot(path=SHOTS / "4-package-confirmed.png", full_page=True)
    van.close()
    phone.close()


@pytest.mark.django_db(transaction=True)
def test_the_homeowner_withdraws_from_her_order_on_a_phone(
    live_stack,
    browser,
    portal,  # noqa: F811
):
    """The withdrawal function (§ 356a BGB): a button on the order, the statement to confirm,
    the order shown as withdrawn — on a phone, without sideways scrolling."""
    from jobs.models import Package, Quote
    from jobs.services import accept_quote
    from tests.test_journey_api import submit, wizard

    SHOTS.mkdir(parents=True, exist_ok=True)
    base = live_stack.base_url
    quote = Quote.objects.get(pk=submit(Client(), wizard()).json()["quote"]["id"])
    user = quote.package.customer.user
    accept_quote(quote.pk, version=1, user=user, early_start_consent=True)
    phone = browser.new_context(viewport=PHONE, locale="de-DE", is_mobile=True, has_touch=True)
    phone.add_cookies([session_cookie(user, base)])
    page = phone.new_page()

    page.goto(f"{base}/auftrag/{quote.package_id}/")
    link = page.get_by_test_id("withdrawal-link")
    expect(link).to_have_text("Vertrag hier widerrufen")
    link.click()
    statement = page.get_by_test_id("withdrawal-statement")
    expect(statement).to_contain_text("Hiermit widerrufe ich den oben genannten Vertrag.")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=SHOTS / "withdrawal-statement.png", full_page=True)
    page.get_by_test_id("withdrawal-confirm").click()

    expect(page.get_by_test_id("withdrawn")).to_contain_text("Sie haben diesen Vertrag am")
    expect(page.locator("ul.messages")).to_contain_text("Eingangsbestätigung")
    expect(page.get_by_test_id("package-status")).to_have_text("widerrufen")
    expect(page.get_by_test_id("task-state").first).to_have_text("entfällt")
    page.screenshot(path=SHOTS / "withdrawal-done.png", full_page=True)
    assert Package.objects.get(pk=quote.package_id).withdrawn_at is not None
    phone.close()


@pytest.mark.django_db(transaction=True)
def test_the_homeowner_approves_the_work_with_the_keyboard_alone(
    live_stack,
    browser,
    portal,  # noqa: F811
):
    """The Abnahme without mouse or touch: the typed name goes into the signature field."""
    import io

    from PIL import Image

    from jobs.models import Acceptance, Quote, Task
    from jobs.services import accept_quote
    from tests.test_journey_api import submit, wizard

    base = live_stack.base_url
    quote = Quote.objects.get(pk=submit(Client(), wizard()).json()["quote"]["id"])
    user = quote.package.customer.user
    accept_quote(quote.pk, version=1, user=user, early_start_consent=True)
    Task.objects.filter(package=quote.package).update(status=Task.Status.DONE)
    context = browser.new_context(viewport=PHONE, locale="de-DE")
    context.add_cookies([session_cookie(user, base)])
    page = context.new_page()
    page.goto(f"{base}/auftrag/{quote.package_id}/#abnahme")

    signer = page.locator("#signer")
    signer.fill("")
    signer.focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # past "Löschen" to the typed signature
    expect(page.get_by_test_id("signature-typed")).to_be_focused()
    page.keyboard.press("Enter")  # no name yet: it says so and goes back to the name
    expect(page.locator("#acceptance-error")).to_have_text("Bitte zuerst Ihren Namen eintragen.")
    expect(signer).to_be_focused()
    page.keyboard.type("Greta Grote")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator("#acceptance-error")).to_be_hidden()
    page.keyboard.press("Tab")
    expect(page.get_by_test_id("acceptance-submit")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.locator("#acceptance-form")).to_have_count(0)  # recorded, the page reloaded
    acceptance = Acceptance.objects.get(package=quote.package)
    assert (acceptance.outcome, acceptance.signer_name) == ("approved", "Greta Grote")
    with acceptance.signature.open("rb") as stored:
        ink = Image.open(io.BytesIO(stored.read())).convert("RGBA").getchannel("A")
        assert ink.getbbox() is not None  # the name is written in it, not an empty field
    context.close()


@pytest.mark.django_db(transaction=True)
def test_the_office_writes_a_supplement_and_the_homeowner_orders_it_on_her_phone(
    live_stack,
    browser,
    portal,  # noqa: F811
):
    """A supplement (Nachtrag): the office writes it on its page, the homeowner's open order
    shows it live, and she orders it there — on a phone, without sideways scrolling."""
    from jobs.models import Quote, Supplement
    from jobs.services import accept_quote
    from tests.test_journey_api import submit, wizard

    SHOTS.mkdir(parents=True, exist_ok=True)
    base = live_stack.base_url
    quote = Quote.objects.get(pk=submit(Client(), wizard()).json()["quote"]["id"])
    package = quote.package
    user = package.customer.user
    accept_quote(quote.pk, version=1, user=user, early_start_consent=True)
    phone = browser.new_context(viewport=PHONE, locale="de-DE", is_mobile=True, has_touch=True)
    phone.add_cookies([session_cookie(user, base)])
    order = phone.new_page()
    order.goto(f"{base}/auftrag/{package.pk}/")
    expect(order.get_by_test_id("live-state")).to_have_text("aktuell")
    expect(order.get_by_test_id("supplements")).to_have_count(0)

    desk = browser.new_context(viewport={"width": 1366, "height": 900}, locale="de-DE")
    desk.add_cookies([session_cookie(portal.olga, base)])
    office = desk.new_page()
    office.goto(f"{base}/buero/auftraege/{package.pk}/nachtrag/")
    office.get_by_label("Begründung für den Eigentümer").fill(
        "Unter dem alten Estrich ist ein Abflussrohr gebrochen; es muss ersetzt werden."
    )
    office.get_by_label("Arbeit 1: Arbeit").fill("Abflussrohr ersetzen")
    office.get_by_label("Arbeit 1: Gewerk").select_option(value="sanitaer")
    office.get_by_label("Arbeit 1: Stunden").fill("4,5")
    office.get_by_label("Arbeit 1: Material (netto, €)").fill("85,50")
    office.screenshot(path=SHOTS / "supplement-office.png", full_page=True)
    office.get_by_test_id("supplement-submit").click()
    expect(office.get_by_test_id("supplement")).to_contain_text("Nachtrag 1")
    expect(office.get_by_test_id("supplement-retract")).to_be_visible()
    # The board keeps it in sight until she decides.
    office.goto(f"{base}/buero/plantafel/")
    expect(office.get_by_test_id("list-supplements")).to_contain_text("Nachtrag 1")
    expect(office.get_by_test_id("list-supplements")).to_contain_text("gültig bis")

    # Her open page shows it without her reloading.
    card = order.get_by_test_id("supplement")
    expect(card).to_contain_text("ein Abflussrohr gebrochen")
    expect(card).to_contain_text("wartet bis")
    assert order.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    order.screenshot(path=SHOTS / "supplement-order.png", full_page=True)
    order.get_by_test_id("supplement-consent").check()
    order.get_by_test_id("supplement-accept").click()
    expect(order.locator("ul.messages")).to_contain_text("Sie haben Nachtrag 1 beauftragt")
    expect(order.get_by_test_id("supplement-state")).to_contain_text("angenommen am")
    expect(order.locator("#timeline")).to_contain_text("Abflussrohr ersetzen")
    assert Supplement.objects.get(package=package).status == "accepted"
    phone.close()
    desk.close()
