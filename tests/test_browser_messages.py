"""Messages in real Chromium against the live stack: the homeowner writes on her phone, the office
reads it on the board and answers, and the answer appears on her page without a reload."""

import re
from html import unescape as html_unescape
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from jobs.models import Message
from scheduling import services
from tests.live import wait_for_replans
from tests.test_browser_board import desktop, session
from tests.test_planner_integration import TODAY, bathroom, book  # noqa: F401 - fixture

pytestmark = [pytest.mark.live, pytest.mark.browser]
PHONE = {"width": 390, "height": 844}
SHOTS = Path(settings.BASE_DIR) / ".var" / "screens"


@pytest.mark.django_db(transaction=True)
def test_homeowner_and_office_exchange_messages_live(live_stack, browser, coop, bathroom):  # noqa: F811
    package = book(coop, bathroom, coop.hanna_site)
    wait_for_replans()  # the re-plan the booking asked for, before planning here: one at a time
    services.plan_cooperative(today=TODAY, time_limit=3)
    base = live_stack.base_url

    phone = browser.new_context(viewport=PHONE, locale="de-DE", timezone_id="Europe/Berlin")
    phone.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session(coop.hanna), "url": base}]
    )
    hanna = phone.new_page()
    hanna.goto(f"{base}/auftrag/{package.pk}/")
    expect(hanna.get_by_test_id("live-state")).to_have_attribute(
        "data-state", "live", timeout=15000
    )
    hanna.fill("#message-body", "Bitte vor dem Termin kurz anrufen.")
    hanna.get_by_test_id("message-send").click()
    expect(hanna.get_by_test_id("message-log")).to_contain_text(
        "Bitte vor dem Termin kurz anrufen."
    )
    assert Message.objects.filter(package=package, sender="homeowner").count() == 1

    # The office opens the package from a link (the mail and the inbox link the same way).
    office = desktop(browser, coop.olga, base).new_page()
    office.goto(f"{base}/buero/plantafel/?paket={package.pk}")
    expect(office.get_by_test_id("log-dialog")).to_be_visible(timeout=15000)
    expect(office.locator("#log-title")).to_have_text(f"{package.title} #{package.pk}")
    expect(office.get_by_test_id("board-messages")).to_contain_text("kurz anrufen", timeout=10000)
    expect(office.get_by_test_id("log-to").locator("option")).to_have_count(3)  # her + 2 firms
    office.get_by_test_id("log-to").select_option("homeowner")
    office.get_by_test_id("log-text").fill("Machen wir, der Elektriker ruft an.")
    office.get_by_test_id("log-send").click()
    expect(office.get_by_test_id("board-messages")).to_contain_text("Elektriker ruft an")

    # Her page shows the answer without a reload; the workshops never see her thread.
    expect(hanna.get_by_test_id("message-log")).to_contain_text("Elektriker ruft an", timeout=10000)
    SHOTS.mkdir(parents=True, exist_ok=True)
    hanna.locator("#nachrichten").scroll_into_view_if_needed()
    hanna.screenshot(path=str(SHOTS / "package-messages-390.png"), full_page=True)
    office.screenshot(path=str(SHOTS / "board-messages.png"))
    answer = Message.objects.get(sender="office")
    for _ in range(50):  # her page marks it read right after showing it
        answer.refresh_from_db()
        if answer.read_at:
            break
        hanna.wait_for_timeout(100)
    assert answer.read_at is not None

    # Redrawn by the script from the API, the timeline's dates read as the server wrote them
    # ("Do 10.12.2026 08:00–12:00"), not Intl's "Do., 10.12."
    served = Client()
    served.force_login(coop.hanna)
    html = served.get(f"/auftrag/{package.pk}/").content.decode()
    when = re.search(r'<span class="when">([^<]+)</span>', html)[1]
    assert re.match(r"[A-Z][a-z] \d\d\.\d\d\.", when), when
    with hanna.expect_response(lambda r: r.url.endswith(f"/api/v1/packages/{package.pk}")):
        hanna.reload()
    hanna.wait_for_timeout(300)  # the answer drawn
    expect(hanna.locator("#timeline li").first).to_contain_text(html_unescape(when))

    # Her page in English (the phone itself is German): what the page re-reads live from the
    # API is in the page's language too, not the phone's.
    task = package.tasks.order_by("position", "id").first()
    with hanna.expect_response(lambda r: r.url.endswith(f"/api/v1/packages/{package.pk}")):
        hanna.goto(f"{base}/en/auftrag/{package.pk}/")
    hanna.wait_for_timeout(300)  # the answer drawn
    timeline = hanna.locator("#timeline")
    expect(timeline).to_contain_text(task.name_en)
    expect(timeline).not_to_contain_text(task.name_de)
    # Its dates as the server writes them on English pages ("Mon 7 Dec 2026, 08:00–12:00"),
    # not Intl's "Mon 07/12", after the script re-drew them; the messages' times alike.
    html = served.get(f"/en/auftrag/{package.pk}/").content.decode()
    when = re.search(r'<span class="when">([^<]+)</span>', html)[1]
    assert re.match(r"[A-Z][a-z]{2} \d{1,2} [A-Z][a-z]{2}", when), when
    expect(timeline.locator("li").first).to_contain_text(html_unescape(when))
    stamp = re.compile(r"^\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2}$")
    for shown in hanna.locator("#message-log time").all_inner_texts():
        assert stamp.match(shown), shown
    phone.close()
    office.context.close()
