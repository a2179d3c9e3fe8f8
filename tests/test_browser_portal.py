"""The portal on a phone (390×844) in headless Chromium: the wizard's map pin with and without map
tiles, screenshots of the catalogue, the wizard's address step and the member directory, and the
homeowner's quote and order at 320 and 390 px without sideways scrolling."""

import io
import re
import time
import uuid
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from customers.models import Site
from tests.live import Stack
from tests.test_browser_board import session
from tests.test_journey_api import portal  # noqa: F401 - fixture
from tests.test_planner_integration import bathroom  # noqa: F401 - fixture

pytestmark = [pytest.mark.live, pytest.mark.browser]
PHONE = {"width": 390, "height": 844}
SHOTS = Path(settings.BASE_DIR) / ".var" / "screens"
TILE_HOST = "https://tiles.zunft.test"  # never resolves: the tests answer for it


@pytest.fixture(scope="module")
def media_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("portal-media")


@pytest.fixture
def tiles_stack(django_db_setup, django_db_blocker, media_dir):
    """A web server with a tile server configured (``MAP_TILE_URL``, as an operator would) and
    its own media folder. No worker: the wizard's instant quote needs none."""
    stack = Stack(
        env={"MAP_TILE_URL": f"{TILE_HOST}/{{z}}/{{x}}/{{y}}.png", "MEDIA_ROOT": str(media_dir)}
    )
    stack.start_web()
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{stack.base_url}/pakete/", timeout=10).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError("the portal's web server did not answer")
            time.sleep(0.3)
        yield stack
    finally:
        stack.stop()


def tile_png() -> bytes:
    """A map-like tile: a light ground with a few streets and a house block."""
    image = Image.new("RGB", (256, 256), (236, 233, 226))
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 118, 256, 138], fill=(255, 255, 255))
    draw.rectangle([96, 0, 112, 256], fill=(255, 255, 255))
    draw.rectangle([140, 40, 200, 90], fill=(217, 208, 201))
    draw.rectangle([20, 160, 80, 220], fill=(200, 225, 190))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def phone(browser, **options):
    context = browser.new_context(
        viewport=PHONE, locale="de-DE", is_mobile=True, has_touch=True, **options
    )
    return context, context.new_page()


def fill_wizard(page, *, postcode=True, city=True):
    page.fill("#id_param_area", "9")
    page.fill("#id_street", "Lange Straße 9")
    if city:
        page.fill("#id_city", "Friesoythe")
    if postcode:
        page.fill("#id_postal_code", "26169")


def finish_wizard(page):
    page.fill("#id_last_name", "Grote")
    page.fill("#id_email", "greta@example.org")
    page.check("#id_privacy_consent")
    page.locator("form.wizard button[type=submit]").click()
    expect(page.get_by_test_id("gross")).to_contain_text("€")


@pytest.mark.django_db(transaction=True)
def test_the_homeowner_drags_the_pin_onto_the_house_and_the_site_is_stored_there(
    tiles_stack,
    browser,
    portal,  # noqa: F811
):
    SHOTS.mkdir(parents=True, exist_ok=True)
    context, page = phone(browser)
    tile = tile_png()
    page.route(f"{TILE_HOST}/**", lambda route: route.fulfill(body=tile, content_type="image/png"))
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{tiles_stack.base_url}/pakete/bad/anfrage/")
    expect(page.get_by_test_id("pin")).to_be_hidden()  # no postcode yet: no map
    fill_wizard(page, city=False)

    expect(page.get_by_test_id("pin")).to_be_visible()
    expect(page.get_by_test_id("pin-status")).to_contain_text("Mitte des Postleitzahlgebiets 26169")
    expect(page.locator("#id_city")).to_have_value("Friesoythe")  # known from the code
    expect(page.locator("#pin-map .leaflet-tile-loaded").first).to_be_visible()
    expect(page.get_by_test_id("pin-note")).to_be_hidden()
    assert page.input_value("#id_latitude") == ""  # the centre is not a pin the user set

    marker = page.locator(".pin-marker")
    marker.scroll_into_view_if_needed()
    box = marker.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 70, y - 45, steps=10)
    page.mouse.up()

    expect(page.get_by_test_id("pin-status")).to_contain_text("Von Ihnen gesetzt")
    lat, lon = float(page.input_value("#id_latitude")), float(page.input_value("#id_longitude"))
    # Dragged right (east) and up (north) from the postcode centre, by some tens of metres.
    assert 53.0207 < lat < 53.03 and 7.859 < lon < 7.87, (lat, lon)
    page.get_by_test_id("pin").screenshot(path=SHOTS / "portal-wizard-pin.png")
    page.screenshot(path=SHOTS / "portal-wizard-address.png")

    finish_wizard(page)
    site = Site.objects.get(customer__email="greta@example.org")
    assert (site.location.y, site.location.x) == (lat, lon)
    assert site.location_source == Site.Source.MANUAL
    assert errors == []
    context.close()


@pytest.mark.django_db(transaction=True)
def test_without_tiles_the_pin_still_works_on_grey_with_a_note(
    tiles_stack,
    browser,
    portal,  # noqa: F811
):
    SHOTS.mkdir(parents=True, exist_ok=True)
    context, page = phone(browser)
    page.route(f"{TILE_HOST}/**", lambda route: route.abort("blockedbyclient"))
    page.goto(f"{tiles_stack.base_url}/pakete/bad/anfrage/")
    fill_wizard(page)

    note = page.get_by_test_id("pin-note")
    expect(note).to_be_visible()
    expect(note).to_contain_text("Kartenhintergrund kann gerade nicht angezeigt werden")
    expect(page.get_by_test_id("pin-map")).to_have_class(re.compile(r"\bno-tiles\b"))
    # Tapping the map moves the pin there.
    page.get_by_test_id("pin-map").scroll_into_view_if_needed()
    page.get_by_test_id("pin-map").click(position={"x": 60, "y": 60})
    expect(page.get_by_test_id("pin-status")).to_contain_text("Von Ihnen gesetzt")
    lat, lon = float(page.input_value("#id_latitude")), float(page.input_value("#id_longitude"))
    assert lat > 53.0207 and lon < 7.859  # up and left of the centre
    page.get_by_test_id("pin").screenshot(path=SHOTS / "portal-wizard-no-tiles.png")
    finish_wizard(page)
    site = Site.objects.get(customer__email="greta@example.org")
    assert (site.location.y, site.location.x) == (lat, lon)
    context.close()


@pytest.mark.django_db(transaction=True)
def test_without_javascript_the_wizard_uses_the_postcode_centre(
    tiles_stack,
    browser,
    portal,  # noqa: F811
):
    context, page = phone(browser, java_script_enabled=False)
    page.goto(f"{tiles_stack.base_url}/pakete/bad/anfrage/")
    fill_wizard(page)
    expect(page.get_by_test_id("pin")).to_be_hidden()
    finish_wizard(page)
    site = Site.objects.get(customer__email="greta@example.org")
    assert (site.location.y, site.location.x) == (53.0207, 7.859)
    assert site.location_source == Site.Source.POSTCODE
    context.close()


# --- screenshots on the demo cooperative ----------------------------------------------------------


def work_photo(kind: str, shade: int) -> bytes:
    """A stand-in for a photo of finished work, drawn (the demo has no real photos)."""
    image = Image.new("RGB", (800, 600), (200, 200, 200))
    draw = ImageDraw.Draw(image)
    if kind == "maler":
        draw.rectangle([0, 0, 800, 470], fill=(226 - shade, 214, 170 + shade))
        draw.rectangle([500, 90, 700, 330], fill=(190, 220, 240), outline=(255, 255, 255), width=14)
        draw.rectangle([0, 470, 800, 600], fill=(150, 110, 80))
    elif kind == "dachdecker":
        draw.rectangle([0, 0, 800, 600], fill=(170, 205, 235))
        draw.polygon([(0, 600), (400, 120), (800, 600)], fill=(150, 60 + shade, 45))
        for row in range(150, 600, 36):
            draw.line([(0, row), (800, row)], fill=(110, 40, 30), width=3)
    else:
        draw.rectangle([0, 0, 800, 600], fill=(240, 238, 232))
        for n in range(3):
            left = 140 + n * 200 + shade
            draw.rounded_rectangle(
                [left, 230, left + 140, 370],
                18,
                fill=(252, 252, 250),
                outline=(170, 170, 170),
                width=4,
            )
            draw.ellipse([left + 40, 270, left + 60, 290], fill=(90, 90, 90))
            draw.ellipse([left + 80, 270, left + 100, 290], fill=(90, 90, 90))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_screenshots_of_the_catalogue_and_the_member_directory(
    tiles_stack, browser, media_dir, settings
):
    """The demo cooperative with three finished single jobs, two with the homeowner's consent."""
    from customers.models import Customer
    from jobs.models import Package, PackageTemplate, Photo, Quote, Task
    from jobs.services import book_package
    from trades.models import Workshop
    from zunft.core.models import User
    from zunft.demo import data

    settings.MEDIA_ROOT = media_dir
    SHOTS.mkdir(parents=True, exist_ok=True)
    data.seed()
    customers = list(Customer.objects.filter(kind="private").order_by("email")[20:23])
    jobs = [
        ("zimmer-streichen", "meister.thole", True),
        ("dach-reparatur", "meister.tapken", True),
        ("steckdosen", "meister.janssen", False),
    ]
    for customer, (code, admin, consent) in zip(customers, jobs, strict=True):
        package = book_package(
            customer=customer,
            site=customer.sites.first(),
            template=PackageTemplate.objects.get(code=code),
            values={},
            earliest_start=timezone.localdate(),
            status=Package.Status.DONE,
        )
        package.tasks.update(status=Task.Status.DONE)
        Package.objects.filter(pk=package.pk).update(
            photos_public=consent, photos_public_since=timezone.now() if consent else None
        )
        task = package.tasks.get()
        for shade in (0, 30, 60):
            photo = Photo(
                client_id=uuid.uuid4(),
                task=task,
                created_by=User.objects.get(username=admin),
                width=800,
                height=600,
            )
            photo.image.save("x.jpg", ContentFile(work_photo(task.trade.code, shade)), save=False)
            photo.save()

    base = tiles_stack.base_url
    context, page = phone(browser)
    page.goto(f"{base}/pakete/")
    expect(page.get_by_test_id("singles")).to_contain_text("Steckdosen nachrüsten")
    page.screenshot(path=SHOTS / "portal-catalogue.png", full_page=True)
    page.get_by_test_id("singles").screenshot(path=SHOTS / "portal-catalogue-singles.png")

    page.goto(f"{base}/mitglieder/")
    expect(page.get_by_test_id("member").first).to_be_visible()
    page.screenshot(path=SHOTS / "portal-directory.png", full_page=True)
    page.screenshot(path=SHOTS / "portal-directory-top.png")
    thole = Workshop.objects.get(name="Malerbetrieb Thole")
    page.goto(f"{base}/mitglieder/?gewerk=maler")
    expect(page.get_by_role("link", name="Malerbetrieb Thole")).to_be_visible()
    expect(page.get_by_test_id("photo")).to_have_count(3)
    page.screenshot(path=SHOTS / "portal-directory-painters.png", full_page=True)
    page.goto(f"{base}/mitglieder/{thole.pk}/")
    expect(page.get_by_test_id("photo")).to_have_count(3)
    for image in page.get_by_test_id("photo").all():
        # The lists load small copies (480 px), not the full photos.
        assert image.evaluate("img => img.complete && img.naturalWidth") == 480
    page.screenshot(path=SHOTS / "portal-member.png", full_page=True)
    janssen = Workshop.objects.get(name="Elektro Janßen")
    page.goto(f"{base}/mitglieder/{janssen.pk}/")
    expect(page.get_by_test_id("no-photos")).to_be_visible()  # no consent for the sockets
    context.close()

    # The demo homeowner's open quote and her order on the narrowest phones, in both languages:
    # nothing sticks out sideways (the line tables did by a few pixels at 320 px).
    homeowner = User.objects.get(username=data.HOMEOWNER)
    quote = Quote.objects.get(package__customer__user=homeowner, status=Quote.Status.OPEN)
    order = Package.objects.filter(customer__user=homeowner, status=Package.Status.ACCEPTED)[0]
    cookie = {"name": settings.SESSION_COOKIE_NAME, "value": session(homeowner), "url": base}
    pages = {"quote": f"angebot/{quote.pk}/", "order": f"auftrag/{order.pk}/"}
    for width in (320, 390):
        context = browser.new_context(viewport={"width": width, "height": 844}, locale="de-DE")
        context.add_cookies([cookie])
        page = context.new_page()
        for prefix in ("/en", ""):
            for name, path in pages.items():
                page.goto(f"{base}{prefix}/{path}")
                wide = page.evaluate("document.documentElement.scrollWidth")
                assert wide <= width, (prefix, path, width, wide)
                if prefix:
                    page.screenshot(path=SHOTS / f"portal-{name}-en-{width}.png", full_page=True)
        context.close()
