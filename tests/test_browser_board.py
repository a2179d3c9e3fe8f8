"""The office's dispatch board in headless Chromium at desktop size against a live ASGI server:
a tradesperson's accept shows up live, a precedence-breaking move is refused with its reason,
a valid move shows its consequences, applies, and the affected workshop hears of it."""

import datetime as dt
import json
import random
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from tests.live import in_a_thread, wait_for_replans
from tests.test_planner_integration import bathroom  # noqa: F401 - fixture

pytestmark = [pytest.mark.live, pytest.mark.browser]
DESKTOP = {"width": 1440, "height": 900}
LAPTOP = {"width": 1366, "height": 768}  # the office's usual screen
PHONE = {"width": 390, "height": 844}
SHOTS = Path(settings.BASE_DIR) / ".var" / "screens"
BERLIN = "Europe/Berlin"


@pytest.fixture
def board_stack(live_stack):
    return live_stack


def session(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


# Every page of the context records what the Content-Security-Policy blocked, from the first byte.
RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => window.__cspViolations.push(
  `${e.effectiveDirective} blocked ${e.blockedURI} (${e.sourceFile}:${e.lineNumber})`));
"""


def desktop(browser, user, base, viewport=DESKTOP):
    context = browser.new_context(viewport=viewport, locale="de-DE", timezone_id=BERLIN)
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session(user), "url": base}]
    )
    context.add_init_script(RECORD_CSP_VIOLATIONS)
    return context


def open_board(context, base, week):
    page = context.new_page()
    page.on("pageerror", lambda error: print("page error:", error))
    page.on("console", lambda m: m.type in ("error", "warning") and print("console:", m.text))
    page.goto(f"{base}/buero/plantafel/?woche={week}")
    expect(page.get_by_test_id("live-state")).to_have_attribute("data-state", "live", timeout=15000)
    expect(page.locator(".it").first).to_be_visible(timeout=15000)
    # The vendored libraries load under the strict policy: nothing (an injected <style>) blocked.
    assert page.evaluate("window.__cspViolations") == []
    return page


# What a cramped layout looks like from the inside: the page scrolls sideways, or a box inside the
# given cards does (days cut off the heatmap), or a label is cut short with no tooltip to read it.
CRAMPED = """(cards) => {
  const out = [];
  const page = document.documentElement;
  const [wide, seen] = [page.scrollWidth, page.clientWidth];
  if (wide > seen) out.push(`page ${wide} > ${seen}`);
  for (const card of cards) {
    const box = document.querySelector(`[data-testid="${card}"]`);
    for (const e of [box, ...box.querySelectorAll("*")]) {
      const style = getComputedStyle(e);
      if (e.closest(".visually-hidden")) continue; // a 1 px box on purpose, for screen readers
      if (style.overflowX === "visible" || e.scrollWidth <= e.clientWidth + 1) continue;
      const what = `${card} <${e.tagName.toLowerCase()} class="${e.getAttribute("class") || ""}">`;
      if (style.textOverflow !== "ellipsis") out.push(`${what} ${e.scrollWidth}/${e.clientWidth}`);
      else if (e.title !== e.textContent) out.push(`${what} "${e.textContent}" cut, no tooltip`);
    }
  }
  return out;
}"""

# The fairness chart drawn at what scale of its 11 px labels, and the members whose offer count
# runs into their revenue-share bar.
FAIRNESS_LEGIBILITY = """() => {
  const chart = document.querySelector("#fairness svg");
  const scale = chart.getBoundingClientRect().width / chart.viewBox.baseVal.width;
  const clashes = [...chart.querySelectorAll("g.row")].filter((row) =>
    row.querySelector("text.value").getBoundingClientRect().right
      > row.querySelector("rect.share").getBoundingClientRect().left
  ).map((row) => row.querySelector("text.label").textContent);
  return { scale, clashes };
}"""


def day_width(page) -> float:
    """Pixels per calendar day on the time axis (nights are hidden, weekends shown)."""
    xs = page.eval_on_selector_all(
        ".vis-time-axis .vis-text.vis-minor",
        "els => els.filter(e => /\\d\\d\\./.test(e.textContent))"
        "  .map(e => e.getBoundingClientRect().left).sort((a, b) => a - b)",
    )
    return xs[1] - xs[0]


def drag(page, task_id: int, days: int, to_row=None):
    item = page.locator(f".vis-item:has(.it[data-task='{task_id}'])")
    box = item.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2  # not the resize handles
    target_y = y
    if to_row is not None:
        row = to_row.bounding_box()
        target_y = row["y"] + row["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 5, y, steps=3)
    page.mouse.move(x + days * day_width(page), target_y, steps=15)
    page.mouse.up()


def next_monday(after: dt.date) -> dt.date:
    return after + dt.timedelta(days=7 - after.weekday())


def bathroom_next_week(coop, bathroom):  # noqa: F811
    """Hanna's bathroom booked from next Monday and planned: (monday, appointments by task code)."""
    from jobs.models import Package
    from jobs.services import book_package
    from scheduling import services
    from scheduling.models import Appointment

    today = timezone.localdate()
    monday = next_monday(today + dt.timedelta(days=1))
    book_package(
        customer=coop.hanna_site.customer,
        site=coop.hanna_site,
        template=bathroom,
        values={"area": 8},
        earliest_start=monday,
        status=Package.Status.ACCEPTED,
        today=today,
    )
    wait_for_replans()
    services.plan_cooperative(today=today, time_limit=3)
    return monday, {a.task.code: a for a in Appointment.objects.select_related("task")}


def rough_in_waiting(board_stack, browser, coop, bathroom):  # noqa: F811
    """The bathroom planned next week, its rough-in without appointment (say the member gave it
    back), and the clerk's board showing it in the unassigned list: (monday, live, page, card)."""
    from scheduling import board
    from scheduling.models import Appointment

    base = board_stack.base_url
    monday, live = bathroom_next_week(coop, bathroom)
    Appointment.objects.filter(pk=live["rough"].pk).update(status="cancelled")
    page = open_board(desktop(browser, coop.olga, base), base, board.iso_week(monday))
    card = page.locator(f"#list-unassigned [data-task='{live['rough'].task_id}']")
    expect(card).to_be_visible(timeout=15000)
    return monday, live, page, card


@pytest.mark.django_db(transaction=True)
def test_a_live_accept_a_refused_move_and_a_valid_move_that_tells_the_workshop(
    board_stack,
    browser,
    coop,
    bathroom,  # noqa: F811
):
    from websockets.sync.client import connect

    from scheduling import board
    from scheduling.models import Appointment, Dispatch

    SHOTS.mkdir(parents=True, exist_ok=True)
    base = board_stack.base_url
    monday, live = bathroom_next_week(coop, bathroom)
    rough, wiring = live["rough"], live["wiring"]
    week = board.iso_week(monday)

    office = desktop(browser, coop.olga, base)
    page = open_board(office, base, week)

    # A tradesperson of workshop A accepts the wiring from their phone: the board follows live.
    wiring_item = page.locator(f".it[data-task='{wiring.task_id}']")
    expect(wiring_item).to_have_attribute("data-state", "tentative")
    offer = Dispatch.objects.get(appointment=wiring, status="offered")
    van = browser.new_context(viewport={"width": 390, "height": 844}, locale="de-DE")
    van.add_cookies([{"name": "sessionid", "value": session(coop.anton), "url": base}])
    phone = van.new_page()
    phone.goto(f"{base}/")
    csrf = next(c["value"] for c in van.cookies() if c["name"] == "csrftoken")
    answer = phone.request.post(
        f"{base}/api/v1/dispatches/{offer.pk}/accept",
        data={},
        headers={"X-CSRFToken": csrf, "Referer": base + "/"},
    )
    assert answer.status == 200, answer.text()
    expect(wiring_item).to_have_attribute("data-state", "accepted", timeout=15000)
    van.close()
    # Selected, it offers no ✕: removing it would only have hidden the job from the board.
    wiring_item.click()
    expect(page.locator(".vis-item.vis-selected")).to_have_count(1)
    expect(page.locator(".vis-item.vis-selected .vis-delete")).to_have_count(0)

    # The wiring dragged before the rough-in is done: refused, with the reason.
    drag(page, wiring.task_id, -2)
    refused = page.get_by_test_id("move-refused")
    expect(refused).to_be_visible(timeout=15000)
    expect(refused).to_have_attribute("data-code", "precedence")
    expect(refused).to_contain_text("Rohinstallation")
    page.screenshot(path=SHOTS / "board-move-refused.png")
    page.get_by_test_id("move-dialog").locator("button[value=cancel]").click()
    assert Appointment.objects.get(pk=wiring.pk).start == wiring.start

    # The rough-in one day later: the wiring and the final fit move with it.
    with connect(
        f"{board_stack.ws_url}/ws/events/",
        origin=base,
        additional_headers={"Cookie": f"sessionid={session(coop.alice)}"},
        open_timeout=10,
    ) as socket:
        assert json.loads(socket.recv(10))["type"] == "hello"
        socket.send(json.dumps({"subscribe": f"workshop.{coop.a.pk}"}))
        assert json.loads(socket.recv(10))["type"] == "subscribed"

        drag(page, rough.task_id, 1)
        changes = page.get_by_test_id("move-change")
        expect(changes).to_have_count(3, timeout=15000)
        expect(page.get_by_test_id("move-body")).to_contain_text("Elektro Janßen")
        # The package's end before and after, and by how much.
        expect(page.get_by_test_id("move-end")).to_have_text(
            re.compile(r"^\d\d\.\d\d\.\d{4} → \d\d\.\d\d\.\d{4} \(\+\d+ Tage?\)$")
        )
        page.screenshot(path=SHOTS / "board-move-preview.png")
        page.get_by_test_id("move-confirm").click()
        expect(page.get_by_test_id("move-applied")).to_be_visible(timeout=15000)

        heard = []
        while not any(m.get("type") == "workshop.schedule_changed" for m in heard):
            heard.append(json.loads(socket.recv(15)))
    moved = Appointment.objects.get(pk=rough.pk)
    assert moved.start.date() > rough.start.date() and moved.sequence == rough.sequence + 1
    assert Appointment.objects.get(pk=wiring.pk).start > wiring.start
    office.close()


@pytest.mark.django_db(transaction=True)
def test_screenshots_of_the_demo_week(board_stack, browser):
    """The demo cooperative planned, some offers answered: board, heatmap and fairness chart; on
    the office's 1366×768 laptop the heatmap shows every day and every workshop's name (in full
    as its tooltip), the fairness chart is drawn at its own size, and nothing scrolls the page
    sideways, not even on a phone."""
    from scheduling import board, services
    from scheduling.models import Dispatch
    from zunft.core.models import User
    from zunft.demo import data

    data.seed()
    # The seed asked the live worker for a re-plan: let it land before planning here, so two
    # plans never write at once (the worker's would fail, and the board would say so).
    wait_for_replans()
    services.plan_cooperative(today=data.REFERENCE_DATE, time_limit=8)
    rng = random.Random(7)
    offers = list(Dispatch.objects.filter(status="offered").order_by("id"))
    for offer in offers:
        roll = rng.random()
        if roll < 0.55:
            Dispatch.objects.filter(pk=offer.pk).update(status="accepted")
            offer.appointment.__class__.objects.filter(pk=offer.appointment_id).update(
                status="accepted"
            )
        elif roll < 0.62:
            Dispatch.objects.filter(pk=offer.pk).update(
                status="declined", decline_reason="Kein Monteur frei"
            )
    soon = timezone.now() + dt.timedelta(hours=3)
    for offer in Dispatch.objects.filter(status="offered").order_by("id")[:2]:
        Dispatch.objects.filter(pk=offer.pk).update(deadline=soon)
    from collections import Counter

    from scheduling.models import Appointment

    busiest = Counter(
        board.iso_week(a.start.date() - dt.timedelta(days=a.start.weekday()))
        for a in Appointment.objects.all()
    )
    week = busiest.most_common(1)[0][0]
    office = desktop(browser, User.objects.get(username="buero"), board_stack.base_url)
    page = open_board(office, board_stack.base_url, week)
    page.wait_for_timeout(600)
    page.screenshot(path=SHOTS / "board-week.png")
    page.get_by_test_id("heatmap-card").screenshot(path=SHOTS / "board-heatmap.png")
    page.get_by_test_id("fairness-card").screenshot(path=SHOTS / "board-fairness.png")
    page.screenshot(path=SHOTS / "board-full.png", full_page=True)
    expect(page.get_by_test_id("kpis")).to_contain_text(re.compile(r"\d+ km"))
    office.close()

    buero = User.objects.get(username="buero")
    laptop = desktop(browser, buero, board_stack.base_url, viewport=LAPTOP)
    page = open_board(laptop, board_stack.base_url, week)
    page.wait_for_timeout(600)
    page.screenshot(path=SHOTS / "board-1366.png")
    page.screenshot(path=SHOTS / "board-1366-full.png", full_page=True)
    assert page.evaluate(CRAMPED, ["heatmap-card", "fairness-card"]) == []
    fairness = page.evaluate(FAIRNESS_LEGIBILITY)
    assert fairness["scale"] >= 0.95, fairness
    assert fairness["clashes"] == []
    laptop.close()

    phone = desktop(browser, buero, board_stack.base_url, viewport=PHONE)
    page = open_board(phone, board_stack.base_url, week)
    page.wait_for_timeout(600)
    page.screenshot(path=SHOTS / "board-390-full.png", full_page=True)
    assert page.evaluate(CRAMPED, []) == []
    page.set_viewport_size({"width": 320, "height": 720})  # the smallest phone: KPI words wrap
    page.wait_for_timeout(300)
    assert page.evaluate(CRAMPED, ["kpis"]) == []
    phone.close()


@pytest.mark.django_db(transaction=True)
def test_the_office_takes_an_emergency_call_on_a_phone_and_sees_it_on_the_board(
    board_stack, browser, coop
):
    """The Notdienst page on the smallest phone: the caller found by name, the trade chosen,
    sent; the board says who got it and shows the job red and readable in today's week."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = board_stack.base_url
    office = desktop(browser, coop.olga, base, viewport={"width": 320, "height": 720})
    page = office.new_page()
    page.goto(f"{base}/buero/plantafel/")
    page.get_by_test_id("nav-emergency").click()
    page.get_by_test_id("site-search").fill(coop.hanna_site.customer.last_name)
    page.get_by_test_id("site-search").press("Enter")
    page.get_by_test_id("pick-site").first.click()
    expect(page.get_by_test_id("chosen-site")).to_contain_text(coop.hanna_site.street)
    page.select_option("#id_trade", "elektro")
    assert page.evaluate(CRAMPED, ["emergency-page"]) == []
    page.fill("#id_description", "Sicherung fliegt raus, kein Strom in der Küche")
    page.screenshot(path=SHOTS / "emergency-320.png", full_page=True)
    page.get_by_test_id("emergency-send").click()
    page.wait_for_url(f"{base}/buero/plantafel/")
    expect(page.locator(".messages")).to_contain_text("Notdienst an")
    expect(page.locator(".messages")).to_contain_text("Elektro Janßen")
    office.close()

    board_page = open_board(desktop(browser, coop.olga, base, viewport=LAPTOP), base, "")
    urgent = board_page.locator(".vis-item.urgent")
    expect(urgent).to_have_count(1)
    expect(urgent).to_contain_text("Notdienst: Sicherung fliegt raus")
    assert urgent.bounding_box()["width"] >= 110  # readable, not a sliver of two hours
    urgent.screenshot(path=SHOTS / "emergency-on-board.png")
    # Pinned to now, not by a clerk: it is not offered back to the planner.
    urgent.click()
    expect(board_page.locator("#pin-bar")).to_be_hidden()

    # A call at 22:40 (the board hides the night) starts on its own day, not next morning.
    from django.utils import timezone

    from scheduling import services

    late = timezone.localtime().replace(hour=22, minute=40, second=0, microsecond=0)
    services.dispatch_emergency(
        site=coop.hanna_site, trade=coop.trades.elektro, now=late, description="Spätruf"
    )
    board_page.reload()
    night = board_page.locator(".vis-item.urgent", has_text="Spätruf")
    expect(night).to_have_count(1)
    expect(night).to_contain_text("22:40")
    assert day_at(board_page, night) == f"{late:%d.%m.}"


@pytest.mark.django_db(transaction=True)
def test_an_unassigned_task_is_dragged_from_the_side_list_onto_a_workshop(
    board_stack,
    browser,
    coop,
    bathroom,  # noqa: F811
):
    from scheduling.models import Appointment

    _monday, live, page, card = rough_in_waiting(board_stack, browser, coop, bathroom)
    task = live["rough"].task_id
    target = day_of_segment(live["rough"])
    # Dropped on the plumber's row, on the day it had before.
    page.locator("#all-workshops").check()
    row = page.locator(".vis-labelset .vis-label", has_text="Installateur").bounding_box()
    day = page.locator(".vis-time-axis .vis-text.vis-minor", has_text=target.strftime("%d.%m."))
    x, y = day.first.bounding_box()["x"] + 30, row["y"] + row["height"] / 2
    start = card.bounding_box()
    page.mouse.move(start["x"] + 20, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(x, y, steps=20)
    page.mouse.up()

    dialog = page.get_by_test_id("move-dialog")
    expect(dialog).to_have_attribute("data-result", "ok", timeout=15000)
    page.get_by_test_id("move-confirm").click()
    expect(dialog).to_have_attribute("data-result", "applied", timeout=15000)
    placed = Appointment.objects.exclude(status="cancelled").get(task_id=task)
    assert placed.workshop_id == coop.b.pk and placed.pinned
    assert placed.start.astimezone(dt.timezone(dt.timedelta(hours=1))).date() == target
    expect(page.locator(f".it[data-task='{task}']")).to_have_attribute("data-pinned", "1")
    page.screenshot(path=str(SHOTS / "board-dragged-from-list.png"))


@pytest.mark.django_db(transaction=True)
def test_a_re_plan_started_on_the_board_shows_its_progress_and_plans_what_waits(
    board_stack,
    browser,
    coop,
    bathroom,  # noqa: F811
):
    from scheduling import board
    from scheduling.models import Appointment

    base = board_stack.base_url
    monday, live, page, card = rough_in_waiting(board_stack, browser, coop, bathroom)
    task = live["rough"].task_id
    other = open_board(desktop(browser, coop.olga, base), base, board.iso_week(monday))

    page.get_by_test_id("replan").click()
    state = page.get_by_test_id("replan-state")
    expect(state).to_have_attribute("data-state", "done", timeout=60000)
    expect(state).to_contain_text("Neuer Plan")
    expect(page.get_by_test_id("replan")).to_be_enabled()
    # The worker planned the task that waited, and the list and a second clerk's board know it.
    assert Appointment.objects.exclude(status="cancelled").filter(task_id=task).exists()
    expect(card).to_have_count(0, timeout=15000)
    expect(other.get_by_test_id("replan-state")).to_have_attribute("data-state", "done")
    page.screenshot(path=str(SHOTS / "board-replanned.png"))

    # Without a mouse: a task on the timeline takes the focus, Enter opens its package's log,
    # where events name their task, not its id.
    from zunft.core.realtime import emit

    rough = live["rough"].task
    emit([f"package.{rough.package_id}"], "field.status", {"task": rough.pk, "status": "on_site"})
    item = page.locator(f".it[data-task='{rough.pk}']")
    item.focus()
    expect(item).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#log-dialog")).to_have_attribute("open", "")
    expect(page.locator("#log-body")).to_contain_text(rough.name_de)
    # The map's dots are not tab stops.
    assert page.locator(".leaflet-interactive[tabindex='-1']").count() >= 2

    # A run that had to set an order aside (its own problem) says which, beside the new plan.
    page.keyboard.press("Escape")
    pinned = {"id": rough.pk, "name_de": rough.name_de, "name_en": rough.name_en}
    aside = [{"package": rough.package_id, "reasons": ["no_room"], "tasks": [pinned]}]
    result = {"status": "feasible", "moved": 0, "set_aside": aside}
    done = {"kind": "replan", "state": "done", "result": result}
    in_a_thread(emit, ["office"], "operation.progress", done)
    expect(state).to_contain_text(
        f"Nicht geplant: Auftrag #{rough.package_id}, {rough.name_de} (ein fester Termin lässt "
        "der Arbeit davor oder danach keinen Platz)."
    )
    expect(state).to_contain_text("Neuer Plan")
    state.screenshot(path=str(SHOTS / "board-set-aside.png"))


def day_of_segment(appointment) -> dt.date:
    return dt.date.fromisoformat(appointment.segments[0]["date"])


def shown_days(page) -> list[str]:
    """The dates ("08.12.") the time axis labels inside its visible panel, left to right."""
    return page.eval_on_selector_all(
        ".vis-time-axis.vis-foreground .vis-text.vis-minor",
        """els => {
          const panel = document.querySelector(".vis-panel.vis-center").getBoundingClientRect();
          const dayOf = (e) => (e.textContent.match(/\\d\\d\\.\\d\\d\\./) || [])[0];
          return els.map(e => [e.getBoundingClientRect().left, dayOf(e)])
            .filter(([x, date]) => date && x >= panel.left - 1 && x < panel.right)
            .sort((a, b) => a[0] - b[0]).map(([, date]) => date);
        }""",
    )


def day_at(page, item) -> str:
    """The date ("08.12.") of the axis day the item starts in (its left edge)."""
    edge = item.bounding_box()["x"] + 1
    return page.eval_on_selector_all(
        ".vis-time-axis.vis-foreground .vis-text.vis-minor",
        """(els, x) => els
          .map(e => [e.getBoundingClientRect().left, e.textContent.match(/\\d\\d\\.\\d\\d\\./)])
          .filter(([left, date]) => date && left <= x)
          .map(([left, date]) => [left, date[0]])
          .sort((a, b) => a[0] - b[0]).map(([, date]) => date).pop()""",
        edge,
    )


def expect_week_shown(page, monday: dt.date) -> None:
    """Header, week field, address and time axis all show the ISO week starting ``monday``."""
    from scheduling import board

    week = board.iso_week(monday)
    sunday = monday + dt.timedelta(days=6)
    expect(page.locator("#week-input")).to_have_value(f"{monday:%Y-%m-%d}", timeout=15000)
    expect(page.get_by_test_id("week-range")).to_have_text(
        f"{monday:%d.%m.%Y} – {sunday:%d.%m.%Y}", timeout=15000
    )
    assert page.url.endswith(f"?woche={week}")
    expected = [f"{monday + dt.timedelta(days=n):%d.%m.}" for n in range(7)]
    for _attempt in range(20):  # the axis redraws on the next animation frame
        shown = shown_days(page)
        if shown == expected:
            break
        page.wait_for_timeout(100)
    assert shown == expected, f"{week}: header {expected[0]}–{expected[-1]}, axis {shown}"


@pytest.mark.django_db(transaction=True)
def test_weeks_navigated_in_the_page_show_the_days_named_in_the_header(
    board_stack,
    browser,
    coop,
    bathroom,  # noqa: F811
):
    """Five weeks ahead and seven back: the axis follows the header each time (the timeline's
    bounds move with the week instead of keeping those of the week first opened). An empty week
    leads to the next planned work."""
    from scheduling import board

    SHOTS.mkdir(parents=True, exist_ok=True)
    base = board_stack.base_url
    monday, _live = bathroom_next_week(coop, bathroom)
    office = desktop(browser, coop.olga, base)
    page = open_board(office, base, board.iso_week(monday))
    expect_week_shown(page, monday)
    expect(page.get_by_test_id("week-empty")).to_be_hidden()
    first = monday

    for n, (step, button) in enumerate([(1, "#week-next")] * 5 + [(-1, "#week-prev")] * 7):
        monday += dt.timedelta(weeks=step)
        page.locator(button).click()
        expect_week_shown(page, monday)
        if n == 4:
            page.screenshot(path=SHOTS / "board-far-week.png")

    # Two weeks before the work: the board says the week is empty and leads to the work.
    assert monday == first - dt.timedelta(weeks=2)
    empty = page.get_by_test_id("week-empty")
    expect(empty).to_contain_text("In dieser Woche ist nichts geplant.")
    page.screenshot(path=SHOTS / "board-empty-week.png")
    page.get_by_test_id("week-next-work").click()
    expect_week_shown(page, first)
    expect(page.locator(".it").first).to_be_visible()
    expect(empty).to_be_hidden()
    # Any day picked in the date field opens its week (the address names the week).
    page.locator("#week-input").fill(f"{first + dt.timedelta(weeks=3, days=3):%Y-%m-%d}")
    expect_week_shown(page, first + dt.timedelta(weeks=3))
    office.close()
