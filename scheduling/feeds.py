"""Appointments as an iCalendar (RFC 5545) feed that workshops subscribe to.

One VEVENT per appointment: ``UID`` is ``{appointment.uid}@zunft`` and stays the same when a
re-plan moves the appointment (``SEQUENCE`` rises), so clients update the event instead of adding a
second one; a cancelled appointment stays in the feed as ``STATUS:CANCELLED`` so clients remove it.
DTSTART/DTEND span the whole appointment; the working days (``segments``) are listed in the
description, because a multi-day job split into one event per day would need per-day UIDs that
change whenever the planner moves a day.

Times are Europe/Berlin wall-clock time with ``TZID``. The VTIMEZONE is written here with the EU
rules as RRULEs, the form every client reads. icalendar's ``add_missing_timezones()`` writes all
transitions as one multi-valued RDATE, which ical.js (Thunderbird) and vobject misread: summer
events show in winter time (DESIGN.md §7). tests/test_feeds.py checks the rules against tzdata.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.utils import dateformat
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard

TZID = "Europe/Berlin"
BERLIN = ZoneInfo(TZID)
PRODID = "-//Zunft//Terminplanung//DE"
UID_DOMAIN = "zunft"

STATUS = {"tentative": "TENTATIVE", "accepted": "CONFIRMED", "cancelled": "CANCELLED"}


def berlin_vtimezone() -> Timezone:
    """Europe/Berlin with the EU summer-time rules (in force since 1996) as yearly RRULEs."""
    tz = Timezone()
    tz.add("tzid", TZID)
    tz.add("x-lic-location", TZID)
    for kind, name, month, day, hour, before, after in (
        (TimezoneDaylight, "CEST", 3, 29, 2, 1, 2),
        (TimezoneStandard, "CET", 10, 25, 3, 2, 1),
    ):
        part = kind()
        part.add("tzname", name)
        part.add("tzoffsetfrom", dt.timedelta(hours=before))
        part.add("tzoffsetto", dt.timedelta(hours=after))
        part.add("dtstart", dt.datetime(1970, month, day, hour))  # last Sunday, local time
        part.add("rrule", {"freq": "yearly", "bymonth": month, "byday": "-1su"})
        tz.add_component(part)
    return tz


def build_calendar(
    appointments: Iterable,
    *,
    name: str,
    now: dt.datetime | None = None,
    include_contact: bool = False,
) -> bytes:
    """The feed as UTF-8 bytes with CRLF line ends, lines folded at 75 octets.

    ``appointments`` are duck-typed (``scheduling.models.Appointment`` or stand-ins with the same
    attributes); ``now`` sets DTSTAMP (default: the current time); the customer's phone number is
    only written with ``include_contact=True``.
    """
    stamp = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", TZID)
    cal.add("refresh-interval", dt.timedelta(hours=1), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT1H")
    cal.add_component(berlin_vtimezone())
    for appointment in sorted(appointments, key=lambda a: (a.start, str(a.uid))):
        cal.add_component(_event(appointment, stamp, include_contact))
    return cal.to_ical()


def _event(appointment, stamp: dt.datetime, include_contact: bool) -> Event:
    task = appointment.task
    site = task.package.site
    event = Event()
    event.add("uid", f"{appointment.uid}@{UID_DOMAIN}")
    event.add("sequence", appointment.sequence)
    event.add("dtstamp", stamp)
    if appointment.updated_at:
        event.add("last-modified", appointment.updated_at.astimezone(dt.UTC))
    event.add("dtstart", appointment.start.astimezone(BERLIN))
    event.add("dtend", appointment.end.astimezone(BERLIN))
    status = STATUS[appointment.status]
    event.add("status", status)
    event.add("transp", "TRANSPARENT" if status == "CANCELLED" else "OPAQUE")
    event.add("summary", f"{_task_name(task)} – {site.city}")
    event.add("location", f"{site.street}, {site.postal_code} {site.city}")
    if getattr(site, "location", None) is not None:
        event.add("geo", (round(site.location.y, 6), round(site.location.x, 6)))  # lat;lon
    event.add("description", _description(appointment, include_contact))
    return event


def _task_name(task) -> str:
    """The task's name in the active language (the feed's, or the page's for a download)."""
    english = (get_language() or "de").startswith("en")
    return (english and getattr(task, "name_en", "")) or task.name_de


def _description(appointment, include_contact: bool) -> str:
    package = appointment.task.package
    lines = [_("Order: %(title)s") % {"title": package.name}]
    if appointment.segments:
        lines.append(_("Working days:"))
        lines += [f"• {_segment(s)}" for s in appointment.segments]
    phone = package.customer.phone
    if include_contact and phone:
        lines.append(_("Phone: %(phone)s") % {"phone": phone})
    if package.site.access_notes:
        lines.append(_("Access: %(notes)s") % {"notes": package.site.access_notes})
    return "\n".join(lines)


def _segment(segment: dict) -> str:
    """``{"date": "2026-03-27", "start_hour": 9, "hours": 3}`` → ``Fr 27.03.2026 09:00–12:00``
    (``Fri 27 Mar 2026 09:00–12:00`` in English)."""
    day = dt.date.fromisoformat(segment["date"])
    start = dt.datetime.combine(day, dt.time()) + dt.timedelta(hours=segment["start_hour"])
    end = start + dt.timedelta(hours=segment["hours"])
    shown = dateformat.format(day, pgettext("calendar feed: a working day", "D j M Y"))
    return f"{shown} {start:%H:%M}–{end:%H:%M}"
