"""The tradesperson's app on a phone, in headless Chromium against the live stack: a live offer,
accepted; the agenda; a task done with checklist, photo and signature while the cellar has no
network; the next trade's workshop hears of the release live.
"""

import re
from pathlib import Path

import pytest

pytestmark = [pytest.mark.live, pytest.mark.browser]
PHONE = {"width": 390, "height": 844}
SHOTS = Path(__file__).resolve().parent.parent / ".var" / "screens"


@pytest.fixture
def field_stack(live_stack):
    return live_stack


def session_cookie(user, base_url):
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": base_url,
    }


def phone(browser, user, base, zone="Europe/Berlin"):
    context = browser.new_context(
        viewport=PHONE,
        locale="de-DE",
        timezone_id=zone,
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    context.add_cookies([session_cookie(user, base)])
    return context


def kitchen(coop):
    """Electrics (workshop A) first, then plumbing (workshop B)."""
    from jobs.services import save_template

    return save_template(
        {"code": "kueche", "name_de": "Küchenanschluss", "name_en": "Kitchen hook-up"},
        [],
        [
            {
                "code": "wiring",
                "name_de": "Elektroanschluss Küche",
                "name_en": "Kitchen wiring",
                "trade": "elektro",
                "duration_base_hours": 4,
            },
            {
                "code": "rough",
                "name_de": "Wasseranschluss Spüle",
                "name_en": "Sink plumbing",
                "trade": "sanitaer",
                "duration_base_hours": 3,
            },
        ],
        [{"predecessor": "wiring", "successor": "rough", "lag_hours": 0}],
    )


def photo_file(tmp_path) -> Path:
    from PIL import Image

    path = tmp_path / "messprotokoll.jpg"
    exif = Image.Exif()
    exif.get_ifd(0x8825).update({1: "N", 2: (52.0, 51.0, 30.0), 3: "E", 4: (8.0, 2.0, 15.0)})
    Image.new("RGB", (2400, 1800), (40, 110, 160)).save(path, "JPEG", exif=exif)
    return path


def material_then_finish_offline(page) -> None:
    """Two junction boxes noted and the job finished in the cellar: both wait for the net."""
    from playwright.sync_api import expect

    page.fill("#mat-text", "Abzweigdose")
    page.fill("#mat-qty", "2")
    page.fill("#mat-price", "3.40")
    page.get_by_test_id("material-form").locator("button[type=submit]").click()
    page.get_by_test_id("action-finish").click()
    expect(page.get_by_test_id("banner")).to_contain_text("2 Aktion(en) warten auf Netz")


def draw_signature(page):
    pad = page.get_by_test_id("signature-pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    x, y = box["x"], box["y"] + box["height"] / 2
    page.mouse.move(x + 20, y + 30)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(x + 20 + step * 25, y + 30 - (step % 3) * 25, steps=2)
    page.mouse.up()


@pytest.mark.django_db(transaction=True)
def test_an_offer_arrives_live_is_accepted_done_offline_and_released_to_the_next_trade(
    field_stack, browser, coop, settings, tmp_path
):
    import datetime as dt

    from django.utils import timezone
    from playwright.sync_api import expect

    from jobs.models import MaterialEntry, Package, Photo, Signature, Task, WorkLog
    from jobs.services import book_package
    from scheduling.models import Appointment, Dispatch

    settings.PLANNER_DEBOUNCE_SECONDS = 0
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = field_stack.base_url
    coop.anton.first_name, coop.anton.last_name = "Anton", "Janßen"
    coop.anton.save()
    site = coop.heinz_site
    site.customer.phone = "+49 4471 98765"
    site.customer.save()
    template = kitchen(coop)

    # Anton has the app open on his phone; there is nothing to do yet.
    van = phone(browser, coop.anton, base)
    page = van.new_page()
    page.goto(f"{base}/monteur/#/angebote")
    expect(page.get_by_test_id("live-state")).to_have_attribute("data-state", "live", timeout=15000)
    expect(page.get_by_test_id("no-offers")).to_be_visible()
    page.screenshot(path=SHOTS / "field-1-no-offers.png")

    # A homeowner's package is booked; the worker plans it and offers the wiring to workshop A.
    today = timezone.localdate()
    package = book_package(
        customer=site.customer,
        site=site,
        template=template,
        values={},
        earliest_start=today + dt.timedelta(days=1),
        status=Package.Status.ACCEPTED,
        today=today,
    )
    offer = page.get_by_test_id("offer")
    expect(offer).to_have_count(1, timeout=60000)
    expect(offer).to_contain_text("Elektroanschluss Küche")
    expect(page.get_by_test_id("offer-count")).to_have_text("1")
    page.screenshot(path=SHOTS / "field-2-offer-live.png")

    offer.get_by_test_id("accept").click()
    expect(page.get_by_test_id("no-offers")).to_be_visible(timeout=10000)
    wiring = Appointment.objects.get(task__package=package, task__code="wiring")
    assert wiring.status == "accepted" and wiring.worker == coop.anton_worker
    assert Dispatch.objects.get(appointment=wiring, status="accepted")

    page.get_by_test_id("tab-week").click()
    card = page.get_by_test_id("agenda-item")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("Elektroanschluss Küche")
    page.screenshot(path=SHOTS / "field-3-agenda.png")

    # Workshop B's admin watches the plumbing that waits for the wiring.
    office = phone(browser, coop.bob, base)
    bob = office.new_page()
    bob.goto(f"{base}/monteur/#/woche")
    expect(bob.get_by_test_id("live-state")).to_have_attribute("data-state", "live", timeout=15000)
    expect(bob.get_by_test_id("waiting")).to_contain_text("Elektroanschluss Küche")

    # On site: set off, arrive, tick the checklist, photograph the test report, get a signature.
    card.click()
    expect(page.get_by_test_id("task")).to_be_visible()
    expect(page.get_by_test_id("order-messages")).to_have_attribute(
        "href", re.compile(r"^/auftrag/\d+/#nachrichten$")
    )
    # The job is tomorrow's: the app asks before setting off today, and he goes.
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("action-travel").click()
    # Seen on his screen before the next tap: the click returns while the confirmation is
    # still open, and "arrive" could otherwise hit the button of the state before setting off.
    expect(page.get_by_test_id("field-status")).to_have_attribute("data-status", "travelling")
    page.get_by_test_id("action-arrive").click()
    expect(page.get_by_test_id("field-status")).to_have_attribute(
        "data-status", "on_site", timeout=10000
    )
    page.get_by_test_id("check-rcd").click()
    page.get_by_test_id("check-clean").click()
    page.locator("[data-testid^=photo-input-]").set_input_files(photo_file(tmp_path))
    expect(page.get_by_test_id("check-measure")).to_have_attribute(
        "aria-checked", "true", timeout=10000
    )
    draw_signature(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.get_by_test_id("save-signature").click()
    expect(page.get_by_test_id("signed")).to_be_visible(timeout=10000)
    expect(page.get_by_test_id("check-signoff")).to_have_attribute("aria-checked", "true")
    assert Photo.objects.filter(task=wiring.task).count() == 1
    assert Signature.objects.filter(task=wiring.task).count() == 1
    page.screenshot(path=SHOTS / "field-4-task.png", full_page=True)

    # His jobs in the phone's own calendar: one feed, found again on the next visit.
    from scheduling.models import FeedToken

    page.goto(f"{base}/monteur/#/woche")
    page.get_by_test_id("feed-subscribe").click()
    feed = page.get_by_test_id("feed-url")
    expect(feed).to_have_value(re.compile(r"/kalender/[^/]+\.ics$"))
    (token,) = FeedToken.objects.filter(owner=wiring.worker.user, scope="worker")
    assert feed.input_value().endswith(f"/kalender/{token.token}.ics")
    assert page.get_by_test_id("feed-open").get_attribute("href").startswith("webcal://")
    assert page.request.get(feed.input_value()).text().startswith("BEGIN:VCALENDAR")
    page.reload()
    expect(page.get_by_test_id("feed-url")).to_have_value(feed.input_value())
    assert FeedToken.objects.filter(owner=wiring.worker.user).count() == 1

    # The cellar: no network. The app and the agenda still open (service worker and cache).
    page.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller")
    van.set_offline(True)
    page.goto(f"{base}/monteur/#/woche")
    page.reload()  # a fresh start without network: shell, scripts and agenda from the caches
    expect(page.get_by_test_id("agenda-item")).to_contain_text("Elektroanschluss Küche")
    expect(page.get_by_test_id("banner")).to_contain_text("Offline")
    page.screenshot(path=SHOTS / "field-5-offline-agenda.png")

    page.get_by_test_id("agenda-item").click()
    material_then_finish_offline(page)
    # Started again in the cellar: the queued step still shows, and is not offered once more.
    page.reload()
    expect(page.get_by_test_id("field-status")).to_have_attribute("data-status", "done")
    expect(page.get_by_test_id("field-status")).to_contain_text("wartet auf Netz")
    expect(page.get_by_test_id("action-finish")).to_have_count(0)
    page.screenshot(path=SHOTS / "field-6-queued-offline.png")
    assert not WorkLog.objects.filter(task=wiring.task, status="done").exists()
    assert not MaterialEntry.objects.exists()

    # Back online: the outbox replays both, each exactly once.
    van.set_offline(False)
    expect(page.get_by_test_id("banner")).to_be_hidden(timeout=20000)
    expect(page.get_by_test_id("field-status")).to_have_attribute(
        "data-status", "done", timeout=10000
    )
    page.evaluate("window.ZunftField.outbox.flush()")
    done = WorkLog.objects.get(task=wiring.task, status="done")
    (entry,) = MaterialEntry.objects.filter(task=wiring.task)
    assert entry.unit == "H87"  # the app's first unit, "Stück", as its code
    assert Task.objects.get(pk=wiring.task_id).status == "done"
    # The same action arriving once more (a lost answer, a second tab) changes nothing.
    csrf = next(c["value"] for c in van.cookies() if c["name"] == "csrftoken")
    again = page.request.post(
        f"{base}/api/v1/field/appointments/{wiring.pk}/status",
        data={"client_id": str(done.client_id), "action": "finish"},
        headers={"X-CSRFToken": csrf, "Referer": f"{base}/monteur/"},
    )
    assert again.status == 200 and again.headers["idempotent-replayed"] == "true"
    assert WorkLog.objects.filter(task=wiring.task, status="done").count() == 1
    page.screenshot(path=SHOTS / "field-7-done.png", full_page=True)

    # Workshop B hears of the release without reloading.
    expect(bob.get_by_test_id("toast")).to_contain_text("Freigegeben", timeout=15000)
    expect(bob.get_by_test_id("released")).to_be_visible(timeout=10000)
    bob.screenshot(path=SHOTS / "field-8-released-to-b.png")
    van.close()
    office.close()


def offer_wiring(
    coop, template, days_ahead: int, deadline_hours: int, code="wiring", workshop=None
):
    """A quoted kitchen whose wiring (or task ``code``) is offered to workshop A (or
    ``workshop``) for a day ``days_ahead`` from now (made by hand: a booking would set the live
    planner off)."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    from jobs.models import Package
    from jobs.services import book_package
    from scheduling.models import Appointment, Dispatch

    today = timezone.localdate()
    package = book_package(
        customer=coop.heinz_site.customer,
        site=coop.heinz_site,
        template=template,
        values={},
        earliest_start=today + dt.timedelta(days=1),
        status=Package.Status.QUOTED,
        today=today,
    )
    day = today + dt.timedelta(days=days_ahead)
    start = dt.datetime.combine(day, dt.time(8), ZoneInfo("Europe/Berlin"))
    workshop = workshop or coop.a
    appointment = Appointment.objects.create(
        task=package.tasks.get(code=code),
        workshop=workshop,
        start=start,
        end=start + dt.timedelta(hours=4),
        segments=[{"date": day.isoformat(), "start_hour": 8, "hours": 4}],
        status=Appointment.Status.TENTATIVE,
    )
    return Dispatch.objects.create(
        appointment=appointment,
        workshop=workshop,
        status=Dispatch.Status.OFFERED,
        deadline=timezone.now() + dt.timedelta(hours=deadline_hours),
    )


@pytest.mark.django_db(transaction=True)
def test_offers_come_in_date_order_and_a_job_accepted_weeks_ahead_is_found_again(
    field_stack, browser, coop
):
    import datetime as dt

    from django.utils import timezone
    from playwright.sync_api import expect

    SHOTS.mkdir(parents=True, exist_ok=True)
    base = field_stack.base_url
    coop.anton.first_name, coop.anton.last_name = "Laura", "Niemeyer"
    coop.anton.save()
    template = kitchen(coop)
    # Made in a muddle, answered by a deadline that has nothing to do with the date of the work.
    offers = [offer_wiring(coop, template, d, h) for d, h in ((23, 1), (2, 4), (9, 2), (4, 3))]
    far = offers[0]
    today = timezone.localdate()
    far_page = (today + dt.timedelta(days=21)).isoformat()

    # One of them needs a certificate Laura does not hold.
    from jobs.models import Task
    from trades.models import Certification

    needs = offers[2]
    cert = Certification.objects.create(code="e-check", name_de="E-Check", name_en="E-check")
    Task.objects.filter(pk=needs.appointment.task_id).update(required_certification=cert)

    van = phone(browser, coop.anton, base)
    page = van.new_page()
    page.goto(f"{base}/monteur/#/angebote")
    cards = page.get_by_test_id("offer")
    expect(cards).to_have_count(4, timeout=15000)
    # It says so before she taps, and Accept is not offered; her management may give it on.
    barred = page.locator(f"[data-dispatch='{needs.pk}']")
    expect(barred.get_by_test_id("cannot-take")).to_have_text(
        "Nicht für Sie: E-Check fehlt oder ist abgelaufen. Die Betriebsleitung kann es für "
        "jemanden aus dem Team annehmen."
    )
    expect(barred.get_by_test_id("accept")).to_be_disabled()
    expect(page.locator(f"[data-dispatch='{far.pk}']").get_by_test_id("accept")).to_be_enabled()
    page.screenshot(path=SHOTS / "field-ux-1b-offer-not-for-her.png", full_page=True)
    by_start = sorted(offers, key=lambda d: d.appointment.start)
    shown = [int(cards.nth(i).get_attribute("data-dispatch")) for i in range(4)]
    assert shown == [d.pk for d in by_start]
    # The whole name in the header, wrapped if need be, never cut off.
    who = page.locator(".app-bar .who")
    expect(who).to_have_text("Laura Niemeyer")
    assert who.evaluate("el => el.scrollWidth <= el.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=SHOTS / "field-ux-1-offers-in-order.png")
    # A phone set to another zone (New York) shows the same hours: the cooperative's.
    berlin = [cards.nth(i).locator(".when").inner_text() for i in range(4)]
    abroad = phone(browser, coop.anton, base, zone="America/New_York").new_page()
    abroad.goto(f"{base}/monteur/#/angebote")
    expect(abroad.get_by_test_id("offer")).to_have_count(4, timeout=15000)
    assert [
        abroad.get_by_test_id("offer").nth(i).locator(".when").inner_text() for i in range(4)
    ] == berlin
    abroad.context.close()

    # Accepting the job in three weeks: the toast says where it went, and takes one there.
    page.locator(f"[data-dispatch='{far.pk}']").get_by_test_id("accept").click()
    link = page.get_by_test_id("toast-link")
    expect(link).to_be_visible(timeout=10000)
    expect(page.get_by_test_id("toast")).to_contain_text("Angenommen")
    page.screenshot(path=SHOTS / "field-ux-2-accepted-toast.png")
    link.click()
    expect(page.get_by_test_id("week-title")).to_have_attribute("data-start", far_page)
    item = page.get_by_test_id("agenda-item")
    expect(item).to_have_count(1, timeout=10000)
    expect(item).to_have_attribute("data-appointment", str(far.appointment_id))
    page.screenshot(path=SHOTS / "field-ux-3-far-week.png")

    # Found again later without the toast: this week points to the next appointment...
    page.get_by_test_id("tab-week").click()
    expect(page.get_by_test_id("week-title")).to_have_attribute("data-start", today.isoformat())
    expect(page.get_by_test_id("no-agenda")).to_be_visible()
    page.screenshot(path=SHOTS / "field-ux-4-empty-week-points-on.png")
    page.get_by_test_id("next-appointment").click()
    expect(page.get_by_test_id("week-title")).to_have_attribute("data-start", far_page)
    expect(page.get_by_test_id("agenda-item")).to_have_count(1, timeout=10000)
    # ...and the week pages step back and forth by seven days.
    step_week(page, "week-prev", far_page, (today + dt.timedelta(days=14)).isoformat())
    step_week(page, "week-next", (today + dt.timedelta(days=14)).isoformat(), far_page)

    # The task: the back link returns to its week; Von/Bis show date and time in full.
    open_first_agenda_item(page)
    expect(page.get_by_test_id("back")).to_have_attribute("href", f"#/woche/{far_page}")
    for field in ("#time-from", "#time-to"):
        assert page.locator(field).bounding_box()["width"] >= 300
    page.locator("#time-from").scroll_into_view_if_needed()
    page.screenshot(path=SHOTS / "field-ux-5-time-entry.png")

    # Saving an empty signature says what to do, at the pad, and hides no button.
    page.fill("#signer", "")
    save = page.get_by_test_id("save-signature")
    save.scroll_into_view_if_needed()
    save.click()
    error = page.get_by_test_id("signature-error")
    expect(error).to_have_text(
        "Bitte lassen Sie den Kunden unterschreiben und tragen Sie seinen Namen ein."
    )
    expect(page.get_by_test_id("toast")).to_be_hidden()
    assert error.bounding_box()["y"] + error.bounding_box()["height"] <= save.bounding_box()["y"]
    page.screenshot(path=SHOTS / "field-ux-6-signature-missing.png")
    draw_signature(page)
    expect(error).to_be_hidden()

    # The order's messages page leads back into the app (an installed app has no back button).
    page.goto(f"{base}/auftrag/{far.appointment.task.package_id}/")
    back = page.get_by_test_id("back-to-field")
    expect(back).to_be_visible()
    page.screenshot(path=SHOTS / "field-ux-7-package-back-link.png")
    back.click()
    page.wait_for_url(f"{base}/monteur/")
    van.close()

    # The demo's plumbers have a long trade name: the card's head row wraps, on any phone, and
    # the offer, the week and the task keep every button on screen.
    coop.trades.sanitaer.name_de = "Installateur und Heizungsbauer"
    coop.trades.sanitaer.save()
    plumbing = offer_wiring(coop, template, 3, 4, code="rough", workshop=coop.b)
    # Two working days: the second shows on its own day and opens as day 2 of 2.
    first_day = plumbing.appointment.start.date()
    second_day = first_day + dt.timedelta(days=1)
    plumbing.appointment.end += dt.timedelta(days=1)
    plumbing.appointment.segments += [{"date": second_day.isoformat(), "start_hour": 7, "hours": 6}]
    plumbing.appointment.save()
    workshop_b = phone(browser, coop.bernd, base)
    plumber = workshop_b.new_page()
    plumber.goto(f"{base}/monteur/#/angebote")
    card = f"[data-dispatch='{plumbing.pk}']"
    expect(plumber.locator(card)).to_contain_text("Installateur und Heizungsbauer", timeout=15000)
    for width in (390, 320):
        plumber.set_viewport_size({"width": width, "height": PHONE["height"]})
        fits_the_phone(plumber, f"{card} [data-testid=decline]")
        expect(plumber.locator(card).get_by_test_id("decline")).to_be_in_viewport(ratio=1)
    plumber.set_viewport_size(PHONE)
    plumber.screenshot(path=SHOTS / "field-ux-9-long-trade-offer.png")
    plumber.locator(card).get_by_test_id("accept").click()
    plumber.get_by_test_id("toast-link").click()
    days = plumber.get_by_test_id("agenda-item")
    expect(days).to_have_count(2, timeout=10000)
    expect(days.first).to_contain_text("Installateur und Heizungsbauer")
    fits_the_phone(plumber, "[data-testid=agenda-item]")
    days.nth(1).locator("a").click()
    expect(plumber.get_by_test_id("task-when")).to_contain_text("Tag 2 von 2", timeout=10000)
    expect(plumber.get_by_test_id("task-when")).to_contain_text("07:00–13:00")
    listed = plumber.get_by_test_id("task-days").locator("li")
    expect(listed).to_have_count(2)
    expect(listed.first).to_contain_text(f"{first_day:%d.%m.} 08:00–12:00")
    expect(plumber.get_by_test_id("back")).to_have_attribute("href", re.compile(r"^#/woche"))
    plumber.screenshot(path=SHOTS / "field-ux-9b-second-day.png")
    plumber.get_by_test_id("back").click()
    open_first_agenda_item(plumber)
    expect(plumber.get_by_test_id("task-when")).to_contain_text("Tag 1 von 2", timeout=10000)
    fits_the_phone(plumber, "[data-testid=action-travel]")

    # The app's own language switch, in the header of the smallest phone, keeps the task open.
    plumber.set_viewport_size({"width": 320, "height": PHONE["height"]})
    fits_the_phone(plumber, "[data-testid=field-language]")
    who = plumber.locator(".app-bar .who")  # the name keeps its room beside the switch
    assert who.evaluate("el => el.clientWidth >= 80 && el.scrollWidth <= el.clientWidth")
    gap = plumber.evaluate(
        """() => document.querySelector('[data-testid=field-language]').getBoundingClientRect().left
             - document.querySelector('.app-title').getBoundingClientRect().right"""
    )
    assert gap >= 4, gap  # the title does not run into the switch
    task_url = plumber.url
    plumber.get_by_test_id("field-language").click()
    plumber.wait_for_url(task_url)
    expect(plumber.locator("html")).to_have_attribute("lang", "en")
    expect(plumber.get_by_test_id("tab-offers")).to_contain_text("Offers")
    expect(plumber.get_by_test_id("action-travel")).to_be_visible(timeout=10000)
    plumber.screenshot(path=SHOTS / "field-ux-10-english.png")
    plumber.get_by_test_id("field-language").click()
    expect(plumber.get_by_test_id("tab-offers")).to_contain_text("Angebote")
    workshop_b.close()

    # Someone without a workshop can at least log out again.
    home = phone(browser, coop.hanna, base)
    lost = home.new_page()
    lost.goto(f"{base}/monteur/")
    logout = lost.get_by_test_id("logout")
    expect(logout).to_be_visible()
    lost.screenshot(path=SHOTS / "field-ux-8-no-access-logout.png")
    logout.click()
    lost.wait_for_url(f"{base}/monteur/anmelden/")
    home.close()


def fits_the_phone(page, selector: str) -> None:
    """Nothing sticks out sideways (no horizontal scrolling, no zooming out to fit) and the
    control at ``selector`` lies within the screen's width. Measured in one go in the page: the
    app redraws its view whenever fresh data arrives."""
    from playwright.sync_api import expect

    expect(page.locator(selector).first).to_be_visible()
    width = page.viewport_size["width"]
    seen = page.evaluate(
        """(selector) => {
            const box = document.querySelector(selector).getBoundingClientRect();
            const page = document.documentElement.scrollWidth;
            return {inner: innerWidth, page, left: box.left, right: box.right};
        }""",
        selector,
    )
    assert seen["inner"] == width and seen["page"] <= width, (seen, width)
    assert seen["left"] >= 0 and seen["right"] <= width, (seen, width)


def step_week(page, button: str, shown: str, expected: str) -> None:
    """Page the week from ``shown`` to ``expected``, tapping again only while the page has not
    moved (a tap that moved it is never repeated, so a page is never skipped)."""
    from playwright.sync_api import expect

    title = page.get_by_test_id("week-title")
    for _ in range(3):
        page.get_by_test_id(button).click()
        try:
            expect(title).to_have_attribute("data-start", expected, timeout=3000)
            return
        except AssertionError:
            if title.get_attribute("data-start") != shown:
                raise
    expect(title).to_have_attribute("data-start", expected)


def open_first_agenda_item(page) -> None:
    """Tap the first agenda card. The week is drawn from the cache and again when the fresh
    data arrives; a tap in between hits the replaced card, so tap again as a person would."""
    from playwright.sync_api import expect

    for _ in range(3):
        page.get_by_test_id("agenda-item").first.locator("a").click()
        try:
            expect(page.get_by_test_id("task")).to_be_visible(timeout=3000)
            return
        except AssertionError:
            continue
    expect(page.get_by_test_id("task")).to_be_visible()


def owner_phone(browser, owner, base):
    """A phone logged in as a workshop's owner, the second factor given (staff need it)."""
    from django.conf import settings
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=owner, name="Telefon", confirmed=True)
    client = Client()
    client.force_login(owner)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    context = browser.new_context(viewport=PHONE, locale="de-DE", timezone_id="Europe/Berlin")
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session.session_key, "url": base}]
    )
    return context


@pytest.mark.django_db(transaction=True)
def test_the_workshop_owner_sees_the_team_and_reports_a_worker_ill(field_stack, browser, coop):
    """Owners had no screen at all: team, certificates and absences were API-only."""
    import datetime as dt

    from django.utils import timezone
    from playwright.sync_api import expect

    from scheduling.models import Appointment
    from tests import factories as f
    from trades.models import Absence, WorkerCertification

    base = field_stack.base_url
    today = timezone.localdate()
    WorkerCertification.objects.create(
        worker=coop.anton_worker,
        certification=f.CertificationFactory(code="e-check"),
        valid_until=today - dt.timedelta(days=30),
    )
    context = owner_phone(browser, coop.alice, base)
    page = context.new_page()
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(f"{base}/monteur/#/team")
    anton = page.locator(f"[data-testid=team-worker][data-worker='{coop.anton_worker.pk}']")
    expect(anton).to_contain_text("Elektrotechnik")
    expect(anton.get_by_test_id("cert-expired")).to_contain_text("Zertifikat e-check · abgelaufen")
    expect(page.locator("[data-testid=team-worker]")).to_have_count(2)  # not workshop B's

    anton.locator("details.absence-add summary").click()
    anton.locator(f"#from-{coop.anton_worker.pk}").fill((today + dt.timedelta(days=2)).isoformat())
    anton.locator(f"#to-{coop.anton_worker.pk}").fill((today + dt.timedelta(days=1)).isoformat())
    anton.get_by_role("button", name="Abwesenheit eintragen").click()
    expect(anton.get_by_test_id("error-end")).to_have_text(
        "Der letzte Tag liegt vor dem ersten Tag."
    )
    expect(page.get_by_test_id("toast")).to_have_class(re.compile(r"\berror\b"))
    # Corrected: the error goes, and the toast says it is in.
    anton.locator(f"#from-{coop.anton_worker.pk}").fill(today.isoformat())
    anton.get_by_role("button", name="Abwesenheit eintragen").click()
    expect(page.get_by_test_id("toast")).to_contain_text("Eingetragen")
    expect(page.get_by_test_id("toast")).to_have_class(re.compile(r"\bok\b"))
    expect(anton.get_by_test_id("absences")).to_contain_text("Krankheit")
    absence = Absence.objects.get(worker=coop.anton_worker)
    assert (absence.kind, absence.start, absence.end) == (
        "illness",
        today,
        today + dt.timedelta(days=1),
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=SHOTS / "field-team.png", full_page=True)

    # A holiday over the sick days is refused at its first day, naming the absence it meets.
    anton.locator("details.absence-add summary").click()
    anton.locator(f"#kind-{coop.anton_worker.pk}").select_option("holiday")
    anton.locator(f"#from-{coop.anton_worker.pk}").fill((today + dt.timedelta(days=1)).isoformat())
    anton.locator(f"#to-{coop.anton_worker.pk}").fill((today + dt.timedelta(days=3)).isoformat())
    anton.get_by_role("button", name="Abwesenheit eintragen").click()
    expect(anton.get_by_test_id("error-start")).to_contain_text(
        f"ist vom {today:%d.%m.%Y} bis {today + dt.timedelta(days=1):%d.%m.%Y} bereits abwesend "
        "(Krankheit)"
    )
    expect(anton.locator(f"#from-{coop.anton_worker.pk}")).to_have_attribute("aria-invalid", "true")
    assert Absence.objects.filter(worker=coop.anton_worker).count() == 1

    # He is well again after all: taken back once the owner confirms, as it re-plans.
    asked, answers = [], iter([False, True])

    def answer(dialog):
        asked.append(dialog.message)
        dialog.accept() if next(answers, False) else dialog.dismiss()

    page.on("dialog", answer)
    anton.get_by_test_id("absence-lift").click()  # not confirmed: nothing happens
    assert asked and "wirklich aufheben? Die Planung wird neu berechnet." in asked[0]
    assert f"{coop.anton_worker} (Krankheit: " in asked[0]
    assert Absence.objects.filter(worker=coop.anton_worker).exists()
    anton.get_by_test_id("absence-lift").click()
    expect(page.get_by_test_id("toast")).to_contain_text("Aufgehoben")
    page.remove_listener("dialog", answer)
    expect(anton.get_by_test_id("absences")).to_have_count(0)
    assert not Absence.objects.filter(worker=coop.anton_worker).exists()

    # The renewed E-Check, with its date and number.
    anton.get_by_text("Qualifikation eintragen", exact=True).first.click()
    form = anton.get_by_test_id("cert-form")
    expect(form.locator("select option")).to_have_text(["Zertifikat e-check (erneuern)"])
    form.get_by_label("Gültig bis").fill("2020-01-01")  # the old certificate's date
    form.get_by_role("button", name="Qualifikation eintragen").click()
    expect(form.get_by_test_id("error-valid_until")).to_contain_text(
        "Dieses Datum liegt in der Vergangenheit"
    )
    expect(form.get_by_label("Gültig bis")).to_have_attribute("aria-invalid", "true")
    next_year = today + dt.timedelta(days=365)
    form.get_by_label("Gültig bis").fill(next_year.isoformat())
    form.get_by_label("Nachweis-Nr.").fill("EC-2041")
    form.get_by_role("button", name="Qualifikation eintragen").click()
    expect(anton.get_by_test_id("cert")).to_contain_text(
        f"Zertifikat e-check · gültig bis {next_year:%d.%m.%Y}"
    )
    held = WorkerCertification.objects.get(worker=coop.anton_worker)
    assert (held.valid_until, held.reference) == (next_year, "EC-2041")

    # A new electrician joins; the colleague has left.
    new = page.get_by_test_id("worker-new")
    page.locator("details.card > summary", has_text="Mitarbeiter anlegen").click()
    new.get_by_label("Vorname").fill("Berta")
    new.get_by_label("Nachname").fill("Neumann")
    new.get_by_role("button", name="Mitarbeiter anlegen").click()  # no trade ticked yet
    expect(new.get_by_test_id("error-trades")).to_contain_text("mindestens ein Gewerk")
    expect(page.get_by_test_id("toast")).to_contain_text("Gewerke: Wählen Sie")
    page.screenshot(path=SHOTS / "field-team-no-trade.png")
    new.get_by_label("Elektrotechnik").check()
    new.get_by_label("Meister").check()
    new.get_by_role("button", name="Mitarbeiter anlegen").click()
    berta = page.locator("[data-testid=team-worker]", has_text="Berta Neumann")
    expect(berta).to_contain_text("Meister")
    expect(berta).to_contain_text("Elektrotechnik")
    colleague = page.locator(f"[data-testid=team-worker][data-worker='{coop.a_colleague.pk}']")
    colleague.get_by_text("Bearbeiten", exact=True).click()
    colleague.get_by_label("Ausgeschieden").check()
    colleague.get_by_test_id("worker-save").click()
    expect(page.get_by_test_id("inactive")).to_contain_text("Nicht mehr im Team (1)")
    expect(page.locator("[data-testid=team-worker]")).to_have_count(2)
    coop.a_colleague.refresh_from_db()
    assert not coop.a_colleague.active
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=SHOTS / "field-team-edit.png", full_page=True)

    # An offer comes in: the owner accepts it for Berta, who has no app login (yet).
    offer = offer_wiring(coop, kitchen(coop), days_ahead=2, deadline_hours=24)
    page.reload()
    page.get_by_test_id("tab-offers").click()
    page.get_by_test_id("accept").click()
    who = page.get_by_test_id("accept-worker")
    expect(who.locator("option")).to_have_text(
        [
            str(coop.anton_worker),
            "Berta Neumann (ohne App-Zugang)",
            "Später entscheiden (unter Team)",
        ]
    )
    who.select_option(label="Berta Neumann (ohne App-Zugang)")
    fits_the_phone(page, "[data-testid=accept-confirm]")
    page.screenshot(path=SHOTS / "field-accept-for.png")
    page.get_by_test_id("accept-confirm").click()
    expect(page.get_by_test_id("toast")).to_contain_text("Angenommen")
    job = Appointment.objects.get(pk=offer.appointment_id)
    assert job.status == "accepted" and str(job.worker) == "Berta Neumann"
    assert problems == [], problems
    context.close()


@pytest.mark.django_db(transaction=True)
def test_the_owner_hears_of_a_job_left_without_worker_and_gives_it_to_a_colleague(
    field_stack, browser, coop
):
    """Anton and his colleague are both away on a job's day: the planner clears the worker, the
    owner is told live, sees it under Team and, once the colleague is back, hands it to him."""
    import datetime as dt
    import threading

    from django.db import connection, transaction
    from django.utils import timezone
    from playwright.sync_api import expect

    from scheduling import services
    from scheduling.models import Appointment, Dispatch
    from trades.models import Absence

    base = field_stack.base_url
    template = kitchen(coop)
    offer = offer_wiring(coop, template, days_ahead=3, deadline_hours=24)
    offer_wiring(coop, template, days_ahead=3, deadline_hours=24)  # same day, still offered
    Dispatch.objects.filter(pk=offer.pk).update(status="accepted")
    job = Appointment.objects.get(pk=offer.appointment_id)
    Appointment.objects.filter(pk=job.pk).update(status="accepted", worker=coop.anton_worker)
    day = timezone.localdate() + dt.timedelta(days=3)
    for worker in (coop.anton_worker, coop.a_colleague):
        Absence.objects.create(workshop=coop.a, worker=worker, kind="illness", start=day, end=day)

    context = owner_phone(browser, coop.alice, base)
    page = context.new_page()
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(f"{base}/monteur/#/team")
    expect(page.get_by_test_id("team-worker")).to_have_count(2)
    expect(page.get_by_test_id("live-state")).to_have_attribute("data-state", "live")
    expect(page.get_by_test_id("team-count")).to_be_hidden()

    job.refresh_from_db()
    covered = []

    def plan_run():
        # In a thread of its own, as in the worker: Playwright runs an event loop in this one,
        # where the on-commit publish (async_to_sync) cannot run.
        try:
            with transaction.atomic():
                covered.extend(services.cover_absent_workers([job]))
        finally:
            connection.close()

    run = threading.Thread(target=plan_run)
    run.start()
    run.join()
    assert covered == [job]
    toast = page.get_by_test_id("toast")
    expect(toast).to_contain_text("Termin ohne Monteur")
    expect(page.get_by_test_id("team-count")).to_have_text("1")
    listed = page.get_by_test_id("unstaffed").get_by_test_id("agenda-item")
    expect(listed).to_have_count(1)
    expect(listed).to_contain_text("Elektroanschluss Küche")
    expect(listed.get_by_test_id("no-worker")).to_have_text("Ohne Monteur")

    # In the week, the job says so too; each card of the day shows its hours only.
    page.get_by_test_id("tab-week").click()
    cards = page.locator(f"[data-testid=agenda-item][data-appointment='{job.pk}']")
    expect(cards.get_by_test_id("no-worker")).to_have_text("Ohne Monteur")
    times = page.locator("[data-testid=agenda-item] .time")
    expect(times).to_have_count(2)
    assert all(re.fullmatch(r"\d\d:\d\d–\d\d:\d\d", t) for t in times.all_inner_texts())
    # The colleague is back after all; the owner opens the job and chooses him.
    Absence.objects.filter(worker=coop.a_colleague).delete()
    page.get_by_test_id("tab-team").click()
    colleague = page.locator(f"[data-testid=team-worker][data-worker='{coop.a_colleague.pk}']")
    expect(colleague.get_by_test_id("absences")).to_have_count(0)  # the tab has read the team
    listed.locator("a").click()
    staff = page.get_by_test_id("staff")
    expect(staff.get_by_test_id("staff-current")).to_contain_text("Noch kein Monteur")
    staff.get_by_test_id("choose-worker").click()
    select = staff.get_by_test_id("worker-select")
    expect(select.locator("option")).to_have_count(2)
    expect(select.locator("option[disabled]")).to_contain_text("abwesend")  # Anton, still ill
    expect(select).to_have_value(str(coop.a_colleague.pk))
    fits_the_phone(page, "[data-testid=assign]")
    page.screenshot(path=SHOTS / "field-choose-worker.png", full_page=True)
    staff.get_by_test_id("assign").click()
    expect(toast).to_contain_text("Zugewiesen")
    expect(staff.get_by_test_id("staff-current")).to_have_text(str(coop.a_colleague))
    job.refresh_from_db()
    assert job.worker == coop.a_colleague
    expect(page.get_by_test_id("team-count")).to_be_hidden()
    assert problems == [], problems
    context.close()


@pytest.mark.django_db(transaction=True)
def test_a_job_handed_on_says_so_on_the_first_workers_phone(field_stack, browser, coop):
    """Anton has the job open; the management gives it to Carl. His phone hears of it live and
    says the job is no longer his (the server answers 404 for it), instead of claiming the
    network is gone."""
    import json
    import time

    from playwright.sync_api import expect

    from scheduling.dispatch import assign_worker
    from scheduling.models import Appointment
    from tests import factories as f
    from tests.live import in_a_thread

    base = field_stack.base_url
    offer = offer_wiring(coop, kitchen(coop), days_ahead=1, deadline_hours=24)
    Appointment.objects.filter(pk=offer.appointment_id).update(
        status=Appointment.Status.ACCEPTED, worker=coop.anton_worker
    )
    carl = f.WorkerFactory(
        workshop=coop.a, first_name="Carl", last_name="Kollege", trades=[coop.trades.elektro]
    )
    van = phone(browser, coop.anton, base)
    page = van.new_page()
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    heard = []  # what the phone received on its socket and from the job's URL, in order
    detail = f"/api/v1/field/appointments/{offer.appointment_id}"
    page.on(
        "websocket",
        lambda ws: ws.on("framereceived", lambda frame: heard.append(json.loads(frame))),
    )
    page.on(
        "response",
        lambda r: heard.append({"detail": r.status}) if r.url.endswith(detail) else None,
    )

    def until(condition, timeout=15):
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, heard
            page.wait_for_timeout(50)

    page.goto(f"{base}/monteur/#/termin/{offer.appointment_id}")
    expect(page.get_by_test_id("action-travel")).to_be_visible()

    # Both groups joined and the job read again after the last join (the app's resync), so
    # that only the live event can tell the page of the hand-over.
    def settled():
        joined = [i for i, m in enumerate(heard) if m.get("type") == "subscribed"]
        return len(joined) == 2 and any("detail" in m for m in heard[joined[-1] :])

    until(settled)
    expect(page.get_by_test_id("live-state")).to_have_attribute("data-state", "live")

    # The owner gives it to Carl, as a request does: in a thread of its own (see in_a_thread).
    in_a_thread(assign_worker, offer.appointment_id, user=coop.alice, worker_id=carl.pk)

    # told live (the worker's group hears of the change), the open job's page says so
    expect(page.get_by_test_id("task-gone")).to_contain_text(
        "nicht mehr in Ihrer Liste", timeout=15000
    )

    def asked_again_when_told():  # (the browser reports frames and responses a little later)
        told = [i for i, m in enumerate(heard) if m.get("type") == "appointment.worker_changed"]
        return told and {"detail": 404} in heard[told[0] :]

    until(asked_again_when_told)
    expect(page.get_by_test_id("banner")).to_be_hidden()  # not "offline"
    page.screenshot(path=SHOTS / "field-handed-on.png")
    assert problems == [], problems
    van.close()


@pytest.mark.django_db(transaction=True)
def test_starting_early_asks_first_a_save_is_confirmed_and_a_checklist_row_toggles(
    field_stack, browser, coop
):
    """The sink plumbing is planned for next week and waits for the wiring: hours for today and
    setting off ask first, and setting off goes ahead once confirmed; a corrected entry of hours
    clears its error and says it is saved; a tap on a checklist item's words ticks it."""
    import datetime as dt

    from django.utils import timezone
    from playwright.sync_api import expect

    from scheduling.models import Appointment

    base = field_stack.base_url
    offer = offer_wiring(coop, kitchen(coop), days_ahead=10, deadline_hours=24, code="rough")
    Appointment.objects.filter(pk=offer.appointment_id).update(
        status=Appointment.Status.ACCEPTED, worker=coop.anton_worker
    )
    day = timezone.localdate() + dt.timedelta(days=10)
    weekday = ["Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"][day.weekday()]
    van = phone(browser, coop.anton, base)
    page = van.new_page()
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(f"{base}/monteur/#/termin/{offer.appointment_id}")
    status = page.get_by_test_id("field-status")
    expect(page.get_by_test_id("action-travel")).to_be_visible()

    # Hours for today on the job not begun yet (the form comes filled in with the last hour,
    # which began yesterday in the first hour after midnight): asked first, and answered no,
    # nothing is recorded.
    time_asked = []
    form = page.get_by_test_id("time-form")
    hour_day = dt.date.fromisoformat(
        form.locator("input[type=datetime-local]").first.input_value()[:10]
    )
    assert hour_day in (timezone.localdate(), timezone.localdate() - dt.timedelta(days=1))
    page.once("dialog", lambda dialog: (time_asked.append(dialog.message), dialog.dismiss()))
    form.locator("button[type=submit]").click()
    expect(page.get_by_test_id("time-form")).to_be_visible()
    assert time_asked == [
        f"Dieser Auftrag ist für {weekday} {day:%d.%m.} geplant und noch nicht begonnen, die "
        f"Zeit ist für {['Mo', 'Di', 'Mi', 'Do', 'Fr', 'Sa', 'So'][hour_day.weekday()]} "
        f"{hour_day:%d.%m.}.\n\nTrotzdem speichern?"
    ]
    expect(page.get_by_test_id("time-entries").locator("li")).to_have_count(0)

    asked = []
    answers = iter([False, True])  # no on the first tap, yes on the second

    def answer(dialog):
        asked.append(dialog.message)
        dialog.accept() if next(answers, False) else dialog.dismiss()

    page.on("dialog", answer)
    page.get_by_test_id("action-travel").click()
    assert asked[0] == (
        f"Dieser Auftrag ist für {weekday} {day:%d.%m.} geplant, nicht für heute. "
        "Vorher muss noch erledigt werden: Elektroanschluss Küche.\n\nTrotzdem beginnen?"
    )
    expect(status).to_have_attribute("data-status", "")
    page.get_by_test_id("action-travel").click()
    expect(page.get_by_test_id("toast")).to_have_text("Gespeichert: Unterwegs", timeout=10000)
    expect(status).to_have_attribute("data-status", "travelling")
    page.get_by_test_id("action-arrive").click()  # started: no second question
    expect(status).to_have_attribute("data-status", "on_site", timeout=10000)
    assert len(asked) == 2
    page.remove_listener("dialog", answer)  # begun: hours on any day go in without a question

    # Hours typed in for tomorrow by mistake: refused; corrected: saved, and said so.
    toast = page.get_by_test_id("toast")
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    page.fill("#time-from", f"{tomorrow}T08:00")
    page.fill("#time-to", f"{tomorrow}T09:00")
    page.get_by_test_id("time-form").locator("button[type=submit]").click()
    expect(toast).to_contain_text("Nicht übernommen: Arbeitszeit", timeout=10000)
    expect(toast).to_have_class(re.compile(r"\berror\b"))
    hour_ago = timezone.localtime() - dt.timedelta(hours=1)
    page.fill("#time-from", f"{hour_ago - dt.timedelta(minutes=30):%Y-%m-%dT%H:%M}")
    page.fill("#time-to", f"{hour_ago:%Y-%m-%dT%H:%M}")
    page.get_by_test_id("time-form").locator("button[type=submit]").click()
    expect(toast).to_have_text("Arbeitszeit gespeichert", timeout=10000)
    expect(toast).to_have_class(re.compile(r"\bok\b"))
    page.screenshot(path=SHOTS / "field-time-saved.png")
    toast.click()  # a tap puts the notice away, off the buttons under it
    expect(toast).to_be_hidden()

    # The item's words tick it; the box is named by them.
    page.get_by_test_id("check-text-clean").click()
    box = page.get_by_role("checkbox", name="Arbeitsbereich sauber hinterlassen")
    expect(box).to_have_attribute("aria-checked", "true")
    expect(page.get_by_role("checkbox", name="Alle Verbindungen dicht")).to_have_attribute(
        "aria-checked", "false"
    )
    expect(page.get_by_test_id("banner")).to_be_hidden(timeout=10000)  # the tick is in
    expect(box).to_have_attribute("aria-checked", "true")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # (in the page, in one go: the view is redrawn whenever fresh data arrives)
    page.evaluate("document.querySelector('[data-testid=checklist]').scrollIntoView()")
    page.screenshot(path=SHOTS / "field-checklist-row.png")
    assert problems == [], problems
    van.close()


@pytest.mark.django_db(transaction=True)
def test_a_worker_corrects_his_hours_and_deletes_material_on_the_phone(field_stack, browser, coop):
    """Heute names its day when it is free; on the job, the worker's own hours get Ändern (the
    form filled in) and his material Löschen (asked first), thumb-sized; offline both say that
    they need the network."""
    import datetime as dt
    import uuid

    from django.utils import timezone
    from playwright.sync_api import expect

    from jobs.models import MaterialEntry, TimeEntry
    from scheduling.models import Appointment

    base = field_stack.base_url
    offer = offer_wiring(coop, kitchen(coop), days_ahead=3, deadline_hours=24)
    Appointment.objects.filter(pk=offer.appointment_id).update(
        status=Appointment.Status.ACCEPTED, worker=coop.anton_worker
    )
    task_id = Appointment.objects.get(pk=offer.appointment_id).task_id
    now = timezone.localtime().replace(second=0, microsecond=0)
    TimeEntry.objects.create(
        client_id=uuid.uuid4(),
        task_id=task_id,
        worker=coop.anton_worker,
        start=now - dt.timedelta(hours=3),
        end=now - dt.timedelta(hours=2),
        hours=1,
        note="Schlitze",
        created_by=coop.anton,
    )
    MaterialEntry.objects.create(
        client_id=uuid.uuid4(),
        task_id=task_id,
        text="Abzweigdose",
        quantity=4,
        unit="H87",
        unit_price="1.20",
        created_by=coop.anton,
    )
    today = timezone.localdate()
    weekday = ["Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"][today.weekday()]
    van = phone(browser, coop.anton, base)
    page = van.new_page()
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(f"{base}/monteur/#/heute")
    expect(page.get_by_test_id("today-title")).to_have_text(f"Heute, {weekday} {today:%d.%m.}")
    expect(page.get_by_test_id("no-agenda")).to_have_text("Keine Termine heute.")
    page.screenshot(path=SHOTS / "field-today-free.png")

    page.goto(f"{base}/monteur/#/termin/{offer.appointment_id}")
    row = page.get_by_test_id("time-entry")
    expect(row).to_have_count(1, timeout=10000)
    # (measured in the page, in one go: the view is redrawn whenever fresh data arrives)
    size = "el => { const r = el.getBoundingClientRect(); return [r.width, r.height]; }"
    for button in ("change-time", "delete-time"):
        expect(row.get_by_test_id(button)).to_be_visible(timeout=10000)
        width, height = row.get_by_test_id(button).evaluate(size)
        assert width >= 48 and height >= 48, (button, width, height)
    row.get_by_test_id("change-time").click()
    form = page.get_by_test_id("time-edit")
    expect(form.locator("input").nth(2)).to_have_value("Schlitze")
    expect(form.locator("input").nth(0)).to_have_value(
        f"{now - dt.timedelta(hours=3):%Y-%m-%dT%H:%M}"
    )
    form.locator("input").nth(1).fill(f"{now - dt.timedelta(minutes=90):%Y-%m-%dT%H:%M}")
    form.locator("input").nth(2).fill("Schlitze gestemmt")
    form.scroll_into_view_if_needed()
    page.screenshot(path=SHOTS / "field-time-change.png")
    form.get_by_test_id("save-time-change").click()
    toast = page.get_by_test_id("toast")
    expect(toast).to_have_text("Arbeitszeit geändert", timeout=10000)
    expect(row).to_contain_text("1,5 Std. · Schlitze gestemmt", timeout=10000)
    assert str(TimeEntry.objects.get().hours) == "1.50"

    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    page.get_by_test_id("material-entry").get_by_test_id("delete-material").click()
    expect(toast).to_have_text("Material gelöscht: Abzweigdose", timeout=10000)
    assert asked == ["Material „Abzweigdose“ löschen?"]
    expect(page.get_by_test_id("material-entry")).to_have_count(0, timeout=10000)
    assert not MaterialEntry.objects.exists()

    # In the cellar without a network: said at once, nothing queued.
    van.set_offline(True)
    row.get_by_test_id("delete-time").click()
    expect(toast).to_have_text("Nur mit Netz möglich")
    row.get_by_test_id("change-time").click()
    expect(toast).to_have_text("Nur mit Netz möglich")
    expect(page.get_by_test_id("time-edit")).to_have_count(0)
    assert TimeEntry.objects.count() == 1
    # In one go in the page: a redraw between finding the row and scrolling detached it.
    page.evaluate("document.querySelector('[data-testid=time-entry]').scrollIntoView()")
    page.screenshot(path=SHOTS / "field-time-entry-row.png")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert problems == [], problems
    van.close()
