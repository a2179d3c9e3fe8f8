"""The iCalendar feed, read back by parsers other than the icalendar package that writes it:
vobject (Python), node-ical and ical.js (Thunderbird's parser) via tests/ical/check.mjs.

No database: appointments are SimpleNamespace stand-ins with the model's attributes.
"""

import datetime as dt
import json
import shutil
import subprocess
import uuid
from pathlib import Path
from types import SimpleNamespace as NS

import icalendar
import pytest

from scheduling.feeds import BERLIN, berlin_vtimezone, build_calendar

CHECKER = Path(__file__).parent / "ical"
NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
UTC = dt.UTC

SITE = NS(
    street="Lange Straße 12",
    postal_code="49661",
    city="Cloppenburg",
    location=NS(x=8.0451, y=52.8476),  # a PostGIS point: x is longitude, y latitude
    access_notes="Schlüssel bei Frau Müller (Nachbarhaus), Zufahrt über den Hof, Hund ist harmlos",
)
PACKAGE = NS(
    title="Bad komplett – Familie Jürgens",
    name="Bad komplett – Familie Jürgens",  # the title in the reader's language
    site=SITE,
    customer=NS(phone="+49 4471 987654"),
)
TASK = NS(name_de="Elektroinstallation Bad (Fußbodenheizung anschließen)", package=PACKAGE)


def appointment(n, start, end, segments, *, status="accepted", sequence=0):
    """Start and end as Berlin wall-clock tuples; segments as (date, start_hour, hours)."""
    return NS(
        uid=uuid.UUID(int=n),
        sequence=sequence,
        status=status,
        start=dt.datetime(*start, tzinfo=BERLIN),
        end=dt.datetime(*end, tzinfo=BERLIN),
        updated_at=dt.datetime(2026, 2, 20, 8, 15, tzinfo=UTC),
        segments=[{"date": d, "start_hour": h, "hours": hours} for d, h, hours in segments],
        task=TASK,
    )


# 09:00–12:00 local around both daylight-saving changes of 2026 (29 March, 25 October), and a
# cancelled three-day job across the March change.
APPOINTMENTS = [
    appointment(1, (2026, 3, 27, 9), (2026, 3, 27, 12), [("2026-03-27", 9, 3)], status="tentative"),
    appointment(2, (2026, 3, 30, 9), (2026, 3, 30, 12), [("2026-03-30", 9, 3)], sequence=2),
    appointment(3, (2026, 10, 23, 9), (2026, 10, 23, 12), [("2026-10-23", 9, 3)], sequence=1),
    appointment(4, (2026, 10, 26, 9), (2026, 10, 26, 12), [("2026-10-26", 9, 3)]),
    appointment(
        5,
        (2026, 3, 27, 7),
        (2026, 3, 30, 16),
        [("2026-03-27", 7, 9), ("2026-03-30", 7, 9)],
        status="cancelled",
        sequence=3,
    ),
]


def uid(n):
    return f"{uuid.UUID(int=n)}@zunft"


EXPECTED = [  # what every parser must read, in UTC
    {"uid": uid(1), "start_utc": "2026-03-27T08:00:00Z", "end_utc": "2026-03-27T11:00:00Z",
     "status": "TENTATIVE", "sequence": 0},
    {"uid": uid(2), "start_utc": "2026-03-30T07:00:00Z", "end_utc": "2026-03-30T10:00:00Z",
     "status": "CONFIRMED", "sequence": 2},
    {"uid": uid(3), "start_utc": "2026-10-23T07:00:00Z", "end_utc": "2026-10-23T10:00:00Z",
     "status": "CONFIRMED", "sequence": 1},
    {"uid": uid(4), "start_utc": "2026-10-26T08:00:00Z", "end_utc": "2026-10-26T11:00:00Z",
     "status": "CONFIRMED", "sequence": 0},
    {"uid": uid(5), "start_utc": "2026-03-27T06:00:00Z", "end_utc": "2026-03-30T14:00:00Z",
     "status": "CANCELLED", "sequence": 3},
]  # fmt: skip


def z(value: dt.datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture(scope="module")
def feed() -> bytes:
    return build_calendar(APPOINTMENTS, name="Elektro Janßen – Einsätze", now=NOW)


@pytest.fixture(scope="module")
def feed_file(feed, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("feed") / "zunft.ics"
    path.write_bytes(feed)
    return path


@pytest.fixture(scope="session")
def node_checker():
    """`npm ci` the checker's pinned parsers once, if they are not installed yet."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node/npm not on PATH: cannot run node-ical and ical.js")
    if not (CHECKER / "node_modules").is_dir():
        npm = subprocess.run(
            ["npm", "ci", "--prefix", str(CHECKER), "--no-audit", "--no-fund", "--ignore-scripts"],
            capture_output=True,
            text=True,
            timeout=240,
        )
        if npm.returncode:
            pytest.fail(f"npm ci --prefix {CHECKER} failed:\n{npm.stderr}")
    return CHECKER / "check.mjs"


@pytest.mark.parametrize("parser", ["node-ical", "ical.js"])
def test_node_parsers_read_the_right_instants(node_checker, feed_file, parser):
    out = subprocess.run(
        ["node", str(node_checker), str(feed_file)],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert json.loads(out.stdout)[parser] == EXPECTED


def test_vobject_reads_the_right_instants(feed):
    import vobject  # pinned in the dev extras

    cal = vobject.readOne(feed.decode())
    got = [
        {
            "uid": e.uid.value,
            "start_utc": z(e.dtstart.value),
            "end_utc": z(e.dtend.value),
            "status": e.status.value,
            "sequence": int(e.sequence.value),
        }
        for e in cal.vevent_list
    ]
    assert sorted(got, key=lambda e: e["uid"]) == EXPECTED


def test_icalendar_reads_it_back(feed):
    cal = icalendar.Calendar.from_ical(feed)
    events = {str(e["UID"]): e for e in cal.events}
    assert len(events) == len(EXPECTED)
    for want in EXPECTED:
        event = events[want["uid"]]
        assert z(event.start) == want["start_utc"]
        assert z(event.end) == want["end_utc"]
        assert event["STATUS"] == want["status"]
        assert event["SEQUENCE"] == want["sequence"]
    first = events[uid(1)]
    assert first["SUMMARY"] == "Elektroinstallation Bad (Fußbodenheizung anschließen) – Cloppenburg"
    assert first["LOCATION"] == "Lange Straße 12, 49661 Cloppenburg"
    assert (first["GEO"].latitude, first["GEO"].longitude) == (52.8476, 8.0451)
    assert first.decoded("LAST-MODIFIED") == dt.datetime(2026, 2, 20, 8, 15, tzinfo=UTC)
    assert first.decoded("DTSTAMP") == NOW
    assert first["DESCRIPTION"].splitlines() == [
        "Auftrag: Bad komplett – Familie Jürgens",
        "Arbeitstage:",
        "• Fr 27.03.2026 09:00–12:00",
        f"Zugang: {SITE.access_notes}",
    ]
    assert "Mo 30.03.2026 07:00–16:00" in events[uid(5)]["DESCRIPTION"]
    assert cal["X-WR-CALNAME"] == "Elektro Janßen – Einsätze"
    assert cal["X-WR-TIMEZONE"] == "Europe/Berlin"


def test_times_are_berlin_local_with_an_rrule_vtimezone(feed):
    text = feed.decode()
    assert "DTSTART;TZID=Europe/Berlin:20260330T090000\r\n" in text
    assert text.count("BEGIN:VTIMEZONE") == 1
    assert "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\r\n" in text
    assert "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\r\n" in text
    assert "RDATE" not in text


def test_vtimezone_rules_agree_with_tzdata():
    """The hand-written EU rules against the tz database, 2026–2040, at 00:30 and 01:30 UTC of
    every day (the changes happen at 01:00 UTC): fails if the EU rules ever change."""
    ours = berlin_vtimezone().to_tz(lookup_tzid=False)  # built from the RRULEs, not by name
    day = dt.datetime(2026, 1, 1, tzinfo=UTC)
    while day.year <= 2040:
        for t in (day + dt.timedelta(minutes=30), day + dt.timedelta(minutes=90)):
            assert t.astimezone(ours).utcoffset() == t.astimezone(BERLIN).utcoffset(), t
        day += dt.timedelta(days=1)


def test_uids_are_stable_across_builds(feed):
    later = build_calendar(reversed(APPOINTMENTS), name="x", now=NOW + dt.timedelta(days=3))
    uids = [str(e["UID"]) for e in icalendar.Calendar.from_ical(feed).events]
    assert uids == [str(e["UID"]) for e in icalendar.Calendar.from_ical(later).events]
    assert sorted(uids) == [uid(n) for n in range(1, 6)]
    assert build_calendar(APPOINTMENTS, name="Elektro Janßen – Einsätze", now=NOW) == feed


def test_phone_only_with_include_contact(feed):
    assert b"4471" not in feed
    with_contact = build_calendar(APPOINTMENTS[:1], name="x", now=NOW, include_contact=True)
    description = icalendar.Calendar.from_ical(with_contact).events[0]["DESCRIPTION"]
    assert "Telefon: +49 4471 987654" in description.splitlines()


def test_utf8_and_lines_folded_at_75_octets(feed):
    assert feed.endswith(b"END:VCALENDAR\r\n")
    lines = feed.split(b"\r\n")[:-1]
    assert all(len(line) <= 75 for line in lines)
    assert all(b"\n" not in line and b"\r" not in line for line in lines)
    assert any(line.startswith(b" ") for line in lines)  # long lines were folded …
    for line in lines:
        line.decode("utf-8")  # … never inside a multi-byte character
    unfolded = feed.replace(b"\r\n ", b"").decode("utf-8")
    assert "SUMMARY:Elektroinstallation Bad (Fußbodenheizung anschließen) – Cloppenburg" in unfolded
    assert "Schlüssel bei Frau Müller (Nachbarhaus)\\, Zufahrt über den Hof" in unfolded
