"""Capacity calendars: how many hours a workshop can give a trade on each day."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache

import holidays

from trades.models import Absence, Workshop, WorkshopTrade


@lru_cache(maxsize=64)
def public_holidays(state: str, year: int) -> dict[date, str]:
    """The public holidays of a German federal state, with German names."""
    return dict(holidays.country_holidays("DE", subdiv=state, years=year, language="de"))


def holiday_name(state: str, day: date) -> str | None:
    return public_holidays(state, day.year).get(day)


@dataclass(frozen=True)
class DayCapacity:
    day: date
    hours: Decimal  # length of the working day (0 on weekends, holidays, closures)
    workers: int  # qualified workers present
    crews: int  # crews that can be sent out (each needs at least one worker)
    person_hours: Decimal  # workers × hours
    reason: str = ""  # why the day is short: holiday name, company holiday

    @property
    def crew_hours(self) -> Decimal:
        return self.crews * self.hours


def capacity(workshop: Workshop, trade, start: date, end: date) -> list[DayCapacity]:
    """Capacity of ``workshop`` in ``trade`` for each day from ``start`` to ``end`` inclusive.

    A day's length comes from the workshop's weekly hours, zero on the public holidays of its
    federal state and during company holidays; workers away (holiday, illness, training) do not
    count. Three queries whatever the range.
    """
    if end < start:
        raise ValueError("end lies before start")
    offer = WorkshopTrade.objects.filter(workshop=workshop, trade=trade).first()
    if offer is None:
        return [DayCapacity(d, Decimal(0), 0, 0, Decimal(0), "") for d in _days(start, end)]
    worker_ids = set(
        workshop.workers.filter(active=True, trades=trade).values_list("id", flat=True)
    )
    absences = list(
        Absence.objects.filter(workshop=workshop, start__lte=end, end__gte=start).values_list(
            "worker_id", "kind", "start", "end"
        )
    )
    result = []
    for day in _days(start, end):
        hours = Decimal(workshop.daily_hours[day.weekday()])
        reason = holiday_name(workshop.state, day) or ""
        if any(w is None and s <= day <= e for w, _k, s, e in absences):
            reason = reason or str(Absence.Kind.CLOSURE.label)
        if reason:
            hours = Decimal(0)
        away = {w for w, _k, s, e in absences if w is not None and s <= day <= e}
        present = len(worker_ids - away) if hours else 0
        crews = min(offer.crews, present)
        result.append(DayCapacity(day, hours, present, crews, hours * present, reason))
    return result


def _days(start: date, end: date):
    for offset in range((end - start).days + 1):
        yield start + timedelta(days=offset)
