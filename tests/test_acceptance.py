"""Abnahme: approve with a signature, or report defects that become rework for the right firm."""

import base64
import io
from io import BytesIO

import pytest
from django.test import Client
from PIL import Image, ImageDraw
from pypdf import PdfReader

from jobs.models import Acceptance, Package, Task
from scheduling import services
from scheduling.models import Appointment, Dispatch
from tests.test_planner_integration import TODAY, bathroom, book  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


def signature(blank=False) -> str:
    image = Image.new("RGBA", (300, 100), (255, 255, 255, 0))
    if not blank:
        ImageDraw.Draw(image).line([(10, 80), (120, 20), (290, 70)], fill="black", width=4)
    out = io.BytesIO()
    image.save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


@pytest.fixture
def finished(coop, bathroom, django_capture_on_commit_callbacks):  # noqa: F811
    package = book(coop, bathroom, coop.hanna_site)
    services.plan_cooperative(today=TODAY, time_limit=3)
    return package


def as_user(user):
    client = Client()
    client.force_login(user)
    return client


def test_the_homeowner_cannot_accept_before_everything_is_done(coop, finished):
    url = f"/api/v1/packages/{finished.pk}/acceptance"
    body = {"approved": True, "signer_name": "Hanna", "signature_png": signature()}
    refused = as_user(coop.hanna).post(url, body, "application/json")
    assert refused.status_code == 409 and "Rohinstallation" in refused.json()["detail"]


def test_an_approval_with_signature_closes_the_package_and_yields_a_protocol(coop, finished):
    finished.tasks.update(status=Task.Status.DONE)
    url = f"/api/v1/packages/{finished.pk}/acceptance"
    hanna = as_user(coop.hanna)
    assert as_user(coop.heinz).post(url, {}, "application/json").status_code in (404, 422)
    empty = hanna.post(
        url,
        {"approved": True, "signer_name": "Hanna", "signature_png": signature(True)},
        "application/json",
    )
    assert empty.status_code == 422
    ok = hanna.post(
        url,
        {"approved": True, "signer_name": "Hanna Kundin", "signature_png": signature()},
        "application/json",
    )
    assert ok.status_code == 201, ok.content
    assert Package.objects.get(pk=finished.pk).status == "done"
    again = hanna.post(
        url,
        {"approved": True, "signer_name": "H", "signature_png": signature()},
        "application/json",
    )
    assert again.status_code == 409

    pdf = hanna.get(ok.json()["protocol_url"])
    assert pdf.status_code == 200
    text = " ".join(p.extract_text() for p in PdfReader(BytesIO(pdf.content)).pages)
    assert "Abnahmeprotokoll" in text and "Hanna Kundin" in text and "§ 640 BGB" in text
    assert "Sanitär Meyer" in text  # who did the work
    assert Client().get(ok.json()["protocol_url"]).status_code == 404


def defect_in_the_wiring(package, description: str) -> tuple[Task, dict]:
    """Every part done; the Abnahme body that reports ``description`` on the wiring."""
    package.tasks.update(status=Task.Status.DONE)
    wiring = package.tasks.get(code="wiring")
    body = {
        "approved": False,
        "signer_name": "Hanna",
        "signature_png": signature(),
        "defects": [{"task": wiring.pk, "description": description}],
    }
    return wiring, body


def test_defects_become_rework_offered_to_the_workshop_that_did_the_part(
    coop, finished, django_capture_on_commit_callbacks
):
    wiring, body = defect_in_the_wiring(finished, "Steckdose neben dem Waschtisch locker")
    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(coop.hanna).post(
            f"/api/v1/packages/{finished.pk}/acceptance", body, "application/json"
        )
    assert response.status_code == 201, response.content
    (rework_id,) = response.json()["rework_tasks"]
    rework = Task.objects.get(pk=rework_id)
    assert rework.trade == wiring.trade and rework.status in ("open", "planned")
    assert Package.objects.get(pk=finished.pk).status == "in_progress"
    appointment = Appointment.objects.get(task=rework)
    assert appointment.workshop == coop.a  # Elektro Janßen did the wiring
    assert Dispatch.objects.filter(appointment=appointment, status="offered").exists()
    assert Acceptance.objects.get().defects.count() == 1


def test_the_signed_protocol_stays_as_signed_after_the_rework_and_in_any_language(
    coop, finished, django_capture_on_commit_callbacks
):
    _wiring, body = defect_in_the_wiring(finished, "Steckdose locker")
    hanna = as_user(coop.hanna)
    with django_capture_on_commit_callbacks(execute=True):
        url = hanna.post(
            f"/api/v1/packages/{finished.pk}/acceptance", body, "application/json"
        ).json()["protocol_url"]

    def protocol(path):
        pdf = hanna.get(path)
        assert pdf.status_code == 200
        return " ".join(p.extract_text() for p in PdfReader(BytesIO(pdf.content)).pages)

    signed = protocol(url)
    assert "Nacharbeit: " in signed and "Steckdose locker" in signed
    assert coop.hanna_site.street in signed  # where, not only a label
    # The rework is done and goes to another firm; the protocol signed before says what it said.
    Task.objects.filter(package=finished, code__startswith="nacharbeit").update(
        status=Task.Status.DONE
    )
    Appointment.objects.filter(task__package=finished).update(workshop=coop.b)
    assert protocol(url) == signed
    assert protocol("/en" + url) == signed  # a German document, whoever downloads it


@pytest.mark.live
@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_homeowner_signs_the_abnahme_on_the_phone(live_stack, browser, coop, bathroom):  # noqa: F811
    from django.conf import settings
    from playwright.sync_api import expect

    package = book(coop, bathroom, coop.hanna_site)
    services.plan_cooperative(today=TODAY, time_limit=3)
    package.tasks.update(status=Task.Status.DONE)
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="de-DE")
    client = Client()
    client.force_login(coop.hanna)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "url": live_stack.base_url,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
            }
        ]
    )
    page = context.new_page()
    page.goto(f"{live_stack.base_url}/auftrag/{package.pk}/")
    page.fill("#signer", "Hanna Kundin")
    page.get_by_test_id("acceptance-submit").click()  # not signed yet: refused
    error = page.locator("#acceptance-error")
    expect(error).to_contain_text("Unterschrift")
    pad = page.get_by_test_id("signature-pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + 100)
    page.mouse.down()
    page.mouse.move(box["x"] + 120, box["y"] + 40, steps=8)
    page.mouse.move(box["x"] + 250, box["y"] + 110, steps=8)
    page.mouse.up()
    expect(error).to_be_hidden()  # signed now: the old complaint goes
    page.screenshot(
        path=str(live_stack.log_dir.parent.parent / "screens" / "abnahme.png"), full_page=True
    )
    page.get_by_test_id("acceptance-submit").click()
    page.wait_for_selector("a[href*='/abnahme/']")
    assert Package.objects.get(pk=package.pk).status == "done"
    assert Acceptance.objects.get(package=package).outcome == "approved"
    context.close()


def test_the_abnahme_form_says_what_signing_means(coop, finished):
    from django.conf import settings

    finished.tasks.update(status=Task.Status.DONE)
    hanna = as_user(coop.hanna)

    def form(url: str) -> str:
        page = hanna.get(url).content.decode()
        start = page.index('id="acceptance-form"')
        return page[start : page.index("</form>", start)]

    german = form(f"/auftrag/{finished.pk}/")
    # Next to the signature, and read out with the button that signs.
    assert 'id="acceptance-meaning"' in german
    assert 'data-testid="acceptance-submit" aria-describedby="acceptance-meaning"' in german
    assert "im Wesentlichen mangelfrei" in german and "(§ 640 BGB)" in german
    # The wording of the protocol PDF.
    assert "Mit der Abnahme beginnt die Gewährleistungsfrist; die Schlussrechnung wird fällig." in (
        german
    )
    assert "Mangel" in german and "oben" in german  # defects go into the fields above

    hanna.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = form(f"/en/auftrag/{finished.pk}/")
    assert "essentially free of defects" in english and "warranty period" in english
    assert "final invoice" in english
