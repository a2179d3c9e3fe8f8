"""Building crew calendars from weekly hours, closed dates and absences (pure, no I/O).

Public holidays are passed in as dates: the adapter looks them up for the workshop's Bundesland
(``holidays`` package) so the solver stays free of data sources.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from .problem import CrewCalendar

MON_TO_FRI_8 = (8, 8, 8, 8, 8, 0, 0)


def crew_calendar(
    workshop: str,
    trade: str,
    start: dt.date,
    days: int,
    *,
    crews: int = 1,
    weekly_hours: tuple[int, ...] = MON_TO_FRI_8,
    closed: Iterable[dt.date] = (),
    absent_crews: Mapping[dt.date, int] | None = None,
) -> CrewCalendar:
    """Calendar of ``crews`` crews working ``weekly_hours[weekday]`` hours.

    ``closed`` days (public holidays, Betriebsferien) have no hours; ``absent_crews`` lowers the
    number of crews on a date (illness, training).
    """
    closed = set(closed)
    absent = absent_crews or {}
    hours, available = [], []
    for d in range(days):
        date = start + dt.timedelta(days=d)
        hours.append(0 if date in closed else weekly_hours[date.weekday()])
        available.append(max(0, crews - absent.get(date, 0)))
    return CrewCalendar(workshop, trade, tuple(available), tuple(hours))
