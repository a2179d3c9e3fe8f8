"""The office's dispatch board (Plantafel): what it shows and moving work on it.

Selectors (``board_data``, ``request_inbox``, ``package_log``) read a whole week in a constant
number of queries, whatever the number of tasks. Services (``preview_move``, ``do_move``,
``do_triage_request``) change state inside one transaction with outbox events.

A move is checked against the planner's own rules: the problem of the package is built by the
planner adapter (eligibility, certifications, crew calendars with the capacity other packages
already hold, precedence with lags, the customer's blocked days), the moved task is placed at
the new workshop and day, successors that would now start too early are pushed back, and the
resulting plan is validated by the independent checker (``solver.check_plan``) before the clerk
sees it.
"""

import datetime as dt
import hashlib
import json
import re
import statistics
from collections import defaultdict
from dataclasses import asdict, dataclass, field, replace
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, F, Max, Min, OuterRef, Q, Subquery, Sum
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from jobs.models import Message, Package, Quote, Request, Supplement, Task
from scheduling import dispatch, notify, services, solver
from scheduling.models import Appointment, Dispatch
from trades.capacity import holiday_name
from trades.models import Absence, Worker, Workshop, WorkshopTrade
from zunft.core.errors import Conflict
from zunft.core.models import Event
from zunft.core.realtime import emit

BERLIN = services.BERLIN
EXPIRING_WITHIN = dt.timedelta(hours=4)
SIDE_LIST_LIMIT = 100
KPI_DAYS = 90
PALETTE_SIZE = 12
WEEK_PATTERN = re.compile(r"^(\d{4})-W(\d{1,2})$")
DAY_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")
LIVE_TASK_STATUSES = [
    Task.Status.OPEN,
    Task.Status.PLANNED,
    Task.Status.ASSIGNED,
    Task.Status.IN_PROGRESS,
]


# --- weeks ---------------------------------------------------------------------------------------


def parse_week(value: str | None, today: dt.date | None = None) -> dt.date:
    """The Monday of an ISO week written ``2026-W48``, or of the week holding a day written
    ``2026-11-25`` (what a date field gives: most browsers have no week field); the current
    week when empty."""
    if not value:
        today = today or timezone.localdate()
        return today - dt.timedelta(days=today.weekday())
    value = value.strip()
    match = WEEK_PATTERN.match(value)
    try:
        if match is None:
            day = dt.date.fromisoformat(value) if DAY_PATTERN.match(value) else None
            if day is None:
                raise ValueError(value)
            monday = day - dt.timedelta(days=day.weekday())
        else:
            monday = dt.date.fromisocalendar(int(match[1]), int(match[2]), 1)
        # the board looks a week back and ahead; a date field mid-typing sends year 0202
        if not 2000 <= monday.year <= 2999:
            raise ValueError(value)
        return monday
    except ValueError as exc:
        raise ValidationError(
            {"week": _("Give the week as YYYY-Www (2026-W48) or a day in it (2026-11-25).")}
        ) from exc


def iso_week(monday: dt.date) -> str:
    year, week, _day = monday.isocalendar()
    return f"{year}-W{week:02d}"


def _local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=BERLIN)


# --- capacity in bulk ----------------------------------------------------------------------------


def crew_capacity(offers: list[WorkshopTrade], days: list[dt.date]) -> dict:
    """Crews and hours per (workshop, trade) and day, for many workshops at once.

    The same rules as ``trades.capacity.capacity`` (weekly hours, Bundesland holidays, company
    holidays, workers away; crews limited by the qualified workers present), in two queries
    for all offers together instead of three per workshop and trade.
    """
    workshop_ids = {o.workshop_id for o in offers}
    qualified: dict[tuple[int, int], set[int]] = defaultdict(set)
    for workshop_id, trade_id, worker_id in Worker.trades.through.objects.filter(
        worker__active=True, worker__workshop_id__in=workshop_ids
    ).values_list("worker__workshop_id", "trade_id", "worker_id"):
        qualified[(workshop_id, trade_id)].add(worker_id)
    absences: dict[int, list[tuple]] = defaultdict(list)
    if days:
        for row in Absence.objects.filter(
            workshop_id__in=workshop_ids, start__lte=days[-1], end__gte=days[0]
        ).values_list("workshop_id", "worker_id", "start", "end"):
            absences[row[0]].append(row[1:])
    out = {}
    for offer in offers:
        shop = offer.workshop
        rows = []
        for day in days:
            away = absences[shop.pk]
            closed = holiday_name(shop.state, day) or any(
                w is None and s <= day <= e for w, s, e in away
            )
            hours = Decimal(0) if closed else Decimal(shop.daily_hours[day.weekday()])
            gone = {w for w, s, e in away if w is not None and s <= day <= e}
            present = len(qualified[(shop.pk, offer.trade_id)] - gone) if hours else 0
            rows.append((hours, min(offer.crews, present)))
        out[(shop.pk, offer.trade_id)] = rows
    return out


# --- the board's data ----------------------------------------------------------------------------


def _task_state(task_status: str, appointment_status: str | None) -> str:
    """One of tentative / accepted / in_progress / done (open when nothing is planned)."""
    if task_status in (Task.Status.IN_PROGRESS, Task.Status.DONE):
        return task_status
    if appointment_status == Appointment.Status.ACCEPTED:
        return "accepted"
    return "tentative" if appointment_status else "open"


APPOINTMENT_FIELDS = (
    "id",
    "task_id",
    "task__name_de",
    "task__name_en",
    "task__status",
    "task__code",
    "task__duration_hours",
    "task__trade__code",
    "task__trade__name_de",
    "task__trade__name_en",
    "task__package_id",
    "task__package__title",
    "task__package__promised_date",
    "task__package__customer__first_name",
    "task__package__customer__last_name",
    "task__package__customer__company",
    "task__package__site_id",
    "task__package__site__street",
    "task__package__site__city",
    "task__package__site__location",
    "workshop_id",
    "worker__first_name",
    "worker__last_name",
    "start",
    "end",
    "segments",
    "pinned",
    "status",
    "sequence",
    "travel_km",
    "offer_status",
    "offer_deadline",
)


def _week_appointments(start: dt.datetime, end: dt.datetime) -> list[dict]:
    """The live appointments overlapping the week as plain rows (one query; rows, not model
    instances, because a busy week has hundreds and the board needs a dozen columns)."""
    latest = Dispatch.objects.filter(appointment=OuterRef("pk")).order_by("-id")
    return list(
        Appointment.objects.exclude(status=Appointment.Status.CANCELLED)
        .filter(start__lt=end, end__gt=start)
        .annotate(
            offer_status=Subquery(latest.values("status")[:1]),
            offer_deadline=Subquery(latest.values("deadline")[:1]),
        )
        .order_by("start", "id")
        .values(*APPOINTMENT_FIELDS)
    )


def _next_work(after: dt.datetime) -> dict | None:
    """The week and day of the next live appointment after an empty week, so the board can
    lead there instead of showing nothing (e.g. the work of newly accepted packages starts next
    week)."""
    start = (
        Appointment.objects.exclude(status=Appointment.Status.CANCELLED)
        .filter(start__gte=after)
        .order_by("start")
        .values_list("start", flat=True)
        .first()
    )
    if start is None:
        return None
    day = start.astimezone(BERLIN).date()
    return {"week": iso_week(day - dt.timedelta(days=day.weekday())), "date": day}


def _english() -> bool:
    return (get_language() or "de").startswith("en")


def _name(row: dict, prefix: str) -> str:
    return row[f"{prefix}name_en"] if _english() else row[f"{prefix}name_de"]


def board_data(monday: dt.date, *, now: dt.datetime | None = None) -> dict:
    """Everything the board shows for the week starting ``monday``: workshops with their crews
    per trade, the week's appointments, the side lists, the capacity heatmap, the fairness
    ledger, KPIs and the map. A constant number of queries (about fifteen) however many tasks
    there are."""
    now = now or timezone.now()
    days = [monday + dt.timedelta(days=i) for i in range(7)]
    start, end = _local_midnight(days[0]), _local_midnight(days[-1] + dt.timedelta(days=1))
    workshops = list(Workshop.objects.filter(active=True).order_by("name", "id"))
    by_id = {w.pk: w for w in workshops}
    offers = list(
        WorkshopTrade.objects.filter(workshop__active=True)
        .select_related("trade")
        .order_by("workshop_id", "trade__code")
    )
    for offer in offers:
        offer.workshop = by_id[offer.workshop_id]
    capacity = crew_capacity(offers, days)
    appointments = _week_appointments(start, end)
    ledger = fairness(offers)
    return {
        "week": iso_week(monday),
        "start": days[0],
        "end": days[-1],
        "previous": iso_week(monday - dt.timedelta(days=7)),
        "next": iso_week(monday + dt.timedelta(days=7)),
        "days": [_day_info(d, workshops) for d in days],
        "groups": _groups(workshops, offers, capacity),
        "items": [_item(a) for a in appointments],
        "next_work": _next_work(end) if not appointments else None,
        "lists": side_lists(now),
        "heatmap": _heatmap(workshops, offers, capacity, appointments, days),
        "fairness": ledger,
        "kpis": kpis(appointments, ledger, now),
        "map": _map(workshops, appointments),
        "last_event": Event.objects.filter(group="office").aggregate(m=Max("id"))["m"] or 0,
    }


def _day_info(day: dt.date, workshops) -> dict:
    states = {w.state for w in workshops}
    names = sorted({n for s in states if (n := holiday_name(s, day))})
    return {"date": day, "weekend": day.weekday() >= 5, "holidays": names}


def _groups(workshops, offers, capacity) -> list[dict]:
    trades = defaultdict(list)
    for offer in offers:
        crews = max((c for _h, c in capacity[(offer.workshop_id, offer.trade_id)]), default=0)
        trades[offer.workshop_id].append(
            {
                "id": f"{offer.workshop_id}:{offer.trade.code}",
                "workshop": offer.workshop_id,
                "trade": offer.trade.code,
                "trade_name": offer.trade.name,
                "crews": offer.crews,
                "crews_present": crews,
            }
        )
    return [
        {"id": f"w{w.pk}", "workshop": w.pk, "name": w.name, "city": w.city, "rows": trades[w.pk]}
        for w in workshops
        if trades[w.pk]
    ]


def _item(a: dict) -> dict:
    promised = a["task__package__promised_date"]
    customer = a["task__package__customer__company"] or " ".join(
        filter(
            None,
            (a["task__package__customer__first_name"], a["task__package__customer__last_name"]),
        )
    )
    worker = " ".join(filter(None, (a["worker__first_name"], a["worker__last_name"])))
    return {
        "id": a["id"],
        "task": a["task_id"],
        "task_name": _name(a, "task__"),
        "trade": a["task__trade__code"],
        "trade_name": _name(a, "task__trade__"),
        "package": a["task__package_id"],
        "package_title": a["task__package__title"],
        "customer": customer,
        "city": a["task__package__site__city"],
        "colour": a["task__package_id"] % PALETTE_SIZE,
        "group": f"{a['workshop_id']}:{a['task__trade__code']}",
        "workshop": a["workshop_id"],
        "worker": worker or None,
        "start": a["start"],
        "end": a["end"],
        "segments": a["segments"],
        "state": _task_state(a["task__status"], a["status"]),
        "offer": a["offer_status"],
        "deadline": a["offer_deadline"],
        "hours": float(a["task__duration_hours"]),
        "sequence": a["sequence"],
        "pinned": a["pinned"],
        "urgent": a["task__code"] == services.EMERGENCY_TASK_CODE,  # a Notdienst: today, now
        "promised": promised,
        "late": bool(promised and a["end"].astimezone(BERLIN).date() > promised),
    }


def _open_task_rows() -> list[dict]:
    live = Appointment.objects.filter(task=OuterRef("pk")).exclude(status="cancelled")
    return list(
        Task.objects.filter(
            package__status__in=Package.PLANNED_STATUSES, status__in=LIVE_TASK_STATUSES
        )
        .annotate(live_end=Subquery(live.values("end")[:1]))
        .order_by("package__earliest_start", "package_id", "position", "id")
        .values(
            "id",
            "name_de",
            "name_en",
            "trade__name_de",
            "trade__name_en",
            "package_id",
            "package__title",
            "package__promised_date",
            "duration_hours",
            "live_end",
        )
    )


def _last_offers(task_ids: list[int]) -> dict[int, dict]:
    """The latest offer of each task (one query, DISTINCT ON)."""
    rows = (
        Dispatch.objects.filter(appointment__task_id__in=task_ids)
        .order_by("appointment__task_id", "-id")
        .distinct("appointment__task_id")
        .values("appointment__task_id", "status", "workshop__name", "decline_reason")
    )
    return {r["appointment__task_id"]: r for r in rows}


def side_lists(now: dt.datetime) -> dict:
    """Unassigned, declined, expiring (deadline within 4 h) and at-risk work, three queries."""
    unassigned, declined, risk = [], [], {}
    rows = _open_task_rows()
    offers = _last_offers([t["id"] for t in rows if t["live_end"] is None])
    for t in rows:
        row = {
            "task": t["id"],
            "task_name": _name(t, ""),
            "trade_name": _name(t, "trade__"),
            "package": t["package_id"],
            "package_title": t["package__title"],
            "hours": float(t["duration_hours"]),
        }
        entry = risk.setdefault(
            t["package_id"],
            {
                "package": t["package_id"],
                "package_title": t["package__title"],
                "promised": t["package__promised_date"],
                "planned_end": None,
                "unplanned": 0,
            },
        )
        if t["live_end"] is None:
            entry["unplanned"] += 1
            offer = offers.get(t["id"])
            if offer and offer["status"] in (Dispatch.Status.DECLINED, Dispatch.Status.EXPIRED):
                declined.append(
                    {
                        **row,
                        "status": offer["status"],
                        "workshop": offer["workshop__name"],
                        "reason": offer["decline_reason"],
                    }
                )
            else:
                unassigned.append(row)
        else:
            end = t["live_end"].astimezone(BERLIN).date()
            entry["planned_end"] = max(entry["planned_end"] or end, end)
    at_risk = [
        {**e, "late_days": (e["planned_end"] - e["promised"]).days if _late(e) else 0}
        for e in risk.values()
        if e["unplanned"] or _late(e)
    ]
    expiring = (
        Dispatch.objects.filter(
            status="offered", deadline__gt=now, deadline__lte=now + EXPIRING_WITHIN
        )
        .select_related("appointment__task__package", "workshop")
        .order_by("deadline", "id")[:SIDE_LIST_LIMIT]
    )
    return {
        "unassigned": unassigned[:SIDE_LIST_LIMIT],
        "declined": declined[:SIDE_LIST_LIMIT],
        "expiring": [
            {
                "dispatch": d.pk,
                "task": d.appointment.task_id,
                "task_name": d.appointment.task.name,
                "package": d.appointment.task.package_id,
                "package_title": d.appointment.task.package.title,
                "workshop": d.workshop.name,
                "deadline": d.deadline,
            }
            for d in expiring
        ],
        "at_risk": at_risk[:SIDE_LIST_LIMIT],
        "messages": unread_messages(),
        "supplements": open_supplements(now),
    }


def open_supplements(now: dt.datetime) -> list[dict]:
    """Supplements the homeowner has not decided on, the soonest to expire first (an expired
    one too: the work it is about waits until the office talks to her). One query."""
    today = now.astimezone(BERLIN).date()
    rows = (
        Supplement.objects.filter(
            status=Supplement.Status.OPEN, package__status__in=Package.PLANNED_STATUSES
        )
        .select_related("package")
        .order_by("valid_until", "id")[:SIDE_LIST_LIMIT]
    )
    return [
        {
            "package": s.package_id,
            "package_title": s.package.title,
            "number": s.number,
            "gross": s.gross,
            "valid_until": s.valid_until,
            "expired": s.valid_until < today,
        }
        for s in rows
    ]


def unread_messages() -> list[dict]:
    """Packages with messages from homeowners or workshops the office has not read yet, the
    newest first (one query)."""
    rows = (
        Message.objects.filter(read_at__isnull=True)
        .exclude(sender=Message.Sender.OFFICE)
        .values("package_id", "package__title")
        .annotate(unread=Count("id"), last=Max("created_at"))
        .order_by("-last")[:SIDE_LIST_LIMIT]
    )
    return [
        {
            "package": r["package_id"],
            "package_title": r["package__title"],
            "unread": r["unread"],
            "last": r["last"],
        }
        for r in rows
    ]


def _late(entry: dict) -> bool:
    return bool(
        entry["promised"] and entry["planned_end"] and entry["planned_end"] > entry["promised"]
    )


def _heatmap(workshops, offers, capacity, appointments, days) -> dict:
    """Crews held per workshop and day (each working day of a task holds one crew, as in the
    planner) against the crews present."""
    index = {d.isoformat(): i for i, d in enumerate(days)}
    used = defaultdict(lambda: [0] * len(days))
    hours_used = defaultdict(lambda: [0] * len(days))
    for a in appointments:
        for s in a["segments"]:
            i = index.get(s["date"])
            if i is not None:
                used[a["workshop_id"]][i] += 1
                hours_used[a["workshop_id"]][i] += s["hours"]
    crews = defaultdict(lambda: [0] * len(days))
    hours = defaultdict(lambda: [Decimal(0)] * len(days))
    for offer in offers:
        for i, (h, c) in enumerate(capacity[(offer.workshop_id, offer.trade_id)]):
            crews[offer.workshop_id][i] += c
            hours[offer.workshop_id][i] += h * c
    rows = []
    for w in workshops:
        if w.pk not in crews:
            continue
        cells = []
        for i in range(len(days)):
            available, held = crews[w.pk][i], used[w.pk][i]
            load = held / available if available else (1.5 if held else None)
            cells.append(
                {
                    "crews": available,
                    "used": held,
                    "hours": float(hours[w.pk][i]),
                    "hours_used": hours_used[w.pk][i],
                    "load": round(load, 3) if load is not None else None,
                }
            )
        rows.append({"workshop": w.pk, "name": w.name, "cells": cells})
    return {"days": days, "rows": rows}


def fairness(offers) -> list[dict]:
    """The fairness ledger per member: offers made and accepted, and the revenue share of the
    accepted work (hours at the member's own rate plus material) against its target share —
    equal for every member, or in proportion to its crews. Two queries."""
    rows = (
        Dispatch.objects.exclude(status__in=["proposed", "withdrawn"])
        .values("workshop_id")
        .annotate(
            offered=Count("id"),
            accepted=Count("id", filter=Q(status="accepted")),
            declined=Count("id", filter=Q(status__in=["declined", "expired"])),
        )
    )
    counts = {r["workshop_id"]: r for r in rows}
    rates = {(o.workshop_id, o.trade_id): o.hourly_rate for o in offers}
    revenue: dict[int, Decimal] = defaultdict(Decimal)
    for r in (
        Dispatch.objects.filter(status="accepted")
        .values("workshop_id", "appointment__task__trade_id")
        .annotate(
            hours=Sum("appointment__task__duration_hours"),
            material=Sum("appointment__task__material_cost"),
        )
    ):
        rate = rates.get((r["workshop_id"], r["appointment__task__trade_id"]), Decimal(0))
        revenue[r["workshop_id"]] += r["hours"] * rate + r["material"]
    members = {}
    for o in offers:
        m = members.setdefault(o.workshop_id, {"name": o.workshop.name, "crews": 0})
        m["crews"] += o.crews
    total_revenue = sum(revenue.values(), Decimal(0))
    total_crews = sum(m["crews"] for m in members.values()) or 1
    out = []
    for pk, m in members.items():
        c = counts.get(pk, {})
        out.append(
            {
                "workshop": pk,
                "name": m["name"],
                "offered": c.get("offered", 0),
                "accepted": c.get("accepted", 0),
                "declined": c.get("declined", 0),
                "revenue": float(round(revenue[pk], 2)),
                "share": float(revenue[pk] / total_revenue) if total_revenue else 0.0,
                "target_equal": 1 / len(members),
                "target_crews": m["crews"] / total_crews,
            }
        )
    return sorted(out, key=lambda r: (-r["share"], -r["offered"], r["name"]))


def kpis(appointments, ledger, now: dt.datetime) -> dict:
    """Request → quote time, acceptance rates, on-time completion, travel: three queries."""
    since = now - dt.timedelta(days=KPI_DAYS)
    waits = [
        (first - created).total_seconds() / 3600
        for created, first in Request.objects.filter(created_at__gte=since)
        .annotate(first=Min("package__quotes__created_at"))
        .filter(first__isnull=False)
        .values_list("created_at", "first")
    ]
    quotes = Quote.objects.filter(created_at__gte=since).aggregate(
        packages=Count("package", distinct=True),
        accepted=Count("package", distinct=True, filter=Q(status="accepted")),
    )
    done = (
        Package.objects.filter(status=Package.Status.DONE, promised_date__isnull=False)
        .annotate(finished=Max("tasks__work_logs__at", filter=Q(tasks__work_logs__status="done")))
        .filter(finished__gte=since)
        .values_list("finished", "promised_date")
    )
    on_time = [f.astimezone(BERLIN).date() <= p for f, p in done]
    offered = sum(r["offered"] for r in ledger)
    accepted = sum(r["accepted"] for r in ledger)
    # Open offers are not refusals: the rate is of those the members answered (or let lapse).
    answered = accepted + sum(r["declined"] for r in ledger)  # declined or expired
    return {
        "days": KPI_DAYS,
        "request_to_quote_hours": round(statistics.median(waits), 1) if waits else None,
        "requests_quoted": len(waits),
        "quote_acceptance": _rate(quotes["accepted"], quotes["packages"]),
        "quotes": quotes["packages"],
        "dispatch_acceptance": _rate(accepted, answered),
        "offers": offered,
        "offers_answered": answered,
        "offers_open": offered - answered,
        "on_time": _rate(sum(on_time), len(on_time)),
        "completed": len(on_time),
        "travel_km": sum(a["travel_km"] for a in appointments),
        "appointments": len(appointments),
    }


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def _map(workshops, appointments) -> dict:
    sites = {}
    for a in appointments:
        point = a["task__package__site__location"]
        entry = sites.setdefault(
            a["task__package__site_id"],
            {
                "site": a["task__package__site_id"],
                "label": f"{a['task__package__site__street']}, {a['task__package__site__city']}",
                "lat": point.y,
                "lon": point.x,
                "packages": set(),
                "workshops": set(),
            },
        )
        entry["packages"].add(a["task__package_id"])
        entry["workshops"].add(a["workshop_id"])
    return {
        "workshops": [
            {"workshop": w.pk, "name": w.name, "lat": w.location.y, "lon": w.location.x}
            for w in workshops
        ],
        "sites": [
            {**s, "packages": sorted(s["packages"]), "workshops": sorted(s["workshops"])}
            for s in sites.values()
        ],
    }


def request_inbox(status: str | None = None, limit: int = 100) -> dict:
    """Requests for triage, newest first, with counts per status (two queries)."""
    counts = dict(Request.objects.values_list("status").annotate(n=Count("id")).order_by())
    qs = Request.objects.select_related("customer", "site", "template", "trade", "package")
    if status:
        qs = qs.filter(status=status)
    rows = [
        {
            "id": r.pk,
            "status": r.status,
            "status_label": r.get_status_display(),
            "customer": r.customer.display_name,
            "city": r.site.city,
            "what": str(r.template or r.trade or ""),
            "description": r.description[:200],
            "earliest_start": r.earliest_start,
            "created_at": r.created_at,
            "package": r.package_id,
            "package_status": r.package.status if r.package else None,
        }
        for r in qs.order_by("-created_at", "-id")[:limit]
    ]
    return {
        "counts": {s: counts.get(s, 0) for s, _label in Request.Status.choices},
        "labels": dict(Request.Status.choices),
        "requests": rows,
    }


def package_log(package_id: int, limit: int = 200) -> list[Event]:
    """The package's outbox events, oldest first (the board shows its messages beside them)."""
    return list(Event.objects.filter(group=f"package.{package_id}").order_by("-id")[:limit])[::-1]


TRIAGE = {
    Request.Status.NEW: {Request.Status.DECLINED},
    Request.Status.DECLINED: {Request.Status.NEW},
}


@transaction.atomic
def do_triage_request(request_id: int, status: str, *, user) -> Request:
    """Triage a request: decline a new one (no package will be made) or reopen a declined one.
    Claims the row with a conditional update, so two clerks cannot both change it."""
    allowed = {old for old, targets in TRIAGE.items() if status in targets}
    if not allowed:
        raise ValidationError({"status": _("A request can only be declined or reopened here.")})
    changed = Request.objects.filter(pk=request_id, status__in=allowed).update(status=status)
    if changed != 1:
        if not Request.objects.filter(pk=request_id).exists():
            raise Request.DoesNotExist
        raise Conflict(_("The request has changed in the meantime; reload the inbox."))
    emit("office", "request.triaged", {"request": request_id, "status": status, "by": user.pk})
    return Request.objects.get(pk=request_id)


# --- moving work ---------------------------------------------------------------------------------


@dataclass
class Change:
    task: int
    task_name: str
    package: int
    kind: str  # "moved" (by the clerk) or "shifted" (a successor pushed back)
    workshop_from: int | None
    workshop_from_name: str | None
    workshop_to: int
    workshop_to_name: str
    start_from: dt.datetime | None
    start_to: dt.datetime
    end_from: dt.datetime | None
    end_to: dt.datetime
    accepted: bool = False
    new_offer: bool = False
    segments: list = field(default_factory=list)
    travel_km: int = 0


@dataclass
class MovePreview:
    ok: bool
    code: str = ""
    reason: str = ""
    changes: list[Change] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    package: int | None = None
    promised: dt.date | None = None
    end_before: dt.datetime | None = None
    end_after: dt.datetime | None = None
    token: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


class Refused(Exception):
    def __init__(self, code: str, reason: str):
        super().__init__(reason)
        self.code, self.reason = code, reason


def _date_label(day: dt.date) -> str:
    return day.strftime("%d.%m.%Y")


@dataclass
class _Move:
    """The package's problem and plan while a move is worked out."""

    ctx: services.Context
    problem: solver.Problem  # crews other packages hold taken off the calendars
    plan: dict[str, solver.Assignment]
    usage: dict = field(default_factory=lambda: defaultdict(int))
    names: dict | None = None

    def task(self, task_id: str) -> solver.Task:
        return next(t for t in self.problem.tasks if t.id == task_id)

    def name(self, task_id: str) -> str:
        return self.ctx.tasks[task_id].name

    def day(self, d: int) -> dt.date:
        return self.problem.start_date + dt.timedelta(days=d)

    def place(self, task: solver.Task, workshop: str, first: int) -> solver.Assignment:
        """Segments from day ``first`` on ``workshop``'s calendar, each day with a free crew;
        raises ``Refused`` with the reason when the task cannot start there."""
        problem, workshop_name = self.problem, _workshop_name(self, workshop)
        base = self.ctx.problem.calendar(workshop, task.trade)
        free = problem.calendar(workshop, task.trade)
        blocked = problem.package(task.package).blocked_days
        day = _date_label(self.day(first))
        if first in blocked:
            raise Refused(
                "blocked_day",
                _("The customer has blocked %(day)s for work on site.") % {"day": day},
            )
        if base.hours[first] <= 0:
            raise Refused(
                "non_working_day",
                _(
                    "%(day)s is not a working day at %(workshop)s (weekend, public holiday or "
                    "company holiday)."
                )
                % {"day": day, "workshop": workshop_name},
            )
        segments, left, d = [], task.hours, first
        while left > 0:
            if d >= problem.days:
                raise Refused("horizon", _("The work would run past the planning horizon."))
            if base.working(d) and d not in blocked:
                if free.crews[d] - self.usage[(workshop, task.trade, d)] <= 0:
                    raise Refused(
                        "capacity",
                        _("%(workshop)s has no free %(trade)s crew on %(day)s.")
                        % {
                            "workshop": workshop_name,
                            "trade": self.ctx.tasks[task.id].trade.name,
                            "day": _date_label(self.day(d)),
                        },
                    )
                hours = min(left, base.hours[d])
                segments.append(solver.Segment(d, problem.day_start_hour, hours))
                left -= hours
            d += 1
        start = 24 * segments[0].day + segments[0].start_hour
        end = 24 * segments[-1].day + segments[-1].start_hour + segments[-1].hours
        return solver.Assignment(task.id, workshop, start, end, tuple(segments))

    def hold(self, a: solver.Assignment, trade: str) -> None:
        for s in a.segments:
            self.usage[(a.workshop, trade, s.day)] += 1

    def fits(self, a: solver.Assignment, trade: str) -> bool:
        free = self.problem.calendar(a.workshop, trade)
        return free is not None and all(
            free.crews[s.day] - self.usage[(a.workshop, trade, s.day)] > 0
            for s in a.segments
            if 0 <= s.day < self.problem.days
        )


def _workshop_name(move: _Move, workshop: str) -> str:
    if move.names is None:
        move.names = dict(Workshop.objects.values_list("id", "name"))
    return move.names.get(int(workshop), workshop)


def _first_day(problem: solver.Problem, hour: int) -> int:
    """The first day whose working start lies at or after absolute hour ``hour``."""
    day = hour // 24
    return day if 24 * day + problem.day_start_hour >= hour else day + 1


def _order(problem: solver.Problem) -> list[str]:
    """Tasks in precedence order (Kahn), ties by id."""
    after = defaultdict(list)
    indegree = {t.id: 0 for t in problem.tasks}
    for p in problem.precedences:
        if p.before in indegree and p.after in indegree:
            after[p.before].append(p.after)
            indegree[p.after] += 1
    ready = sorted((t for t, n in indegree.items() if n == 0), key=int)
    out = []
    while ready:
        t = ready.pop(0)
        out.append(t)
        for s in after[t]:
            indegree[s] -= 1
            if indegree[s] == 0:
                ready.append(s)
        ready.sort(key=int)
    return out


def _needed(problem: solver.Problem, plan: dict, task_id: str):
    """The earliest absolute hour ``task_id`` may start, and the precedence that sets it."""
    need, why = None, None
    for p in problem.precedences:
        if p.after == task_id and p.before in plan:
            ready = plan[p.before].end + p.lag_hours
            if need is None or ready > need:
                need, why = ready, p
    return need, why


def _descendants(problem: solver.Problem, task_id: str) -> set[str]:
    out, todo = set(), [task_id]
    while todo:
        t = todo.pop()
        for p in problem.precedences:
            if p.before == t and p.after not in out:
                out.add(p.after)
                todo.append(p.after)
    return out


def _check_target(move: _Move, task: Task, st: solver.Task, workshop: Workshop, first: int):
    """Refuse moves the planner would never make, with the reason in the clerk's words."""
    problem = move.problem
    if task.status in (Task.Status.IN_PROGRESS, Task.Status.DONE):
        raise Refused("started", _("Work on this task has already begun; it cannot be moved."))
    if first < 0:
        raise Refused(
            "past",
            _("Appointments can be moved to %(day)s at the earliest.")
            % {"day": _date_label(problem.start_date)},
        )
    if first >= problem.days:
        raise Refused("horizon", _("The day lies beyond the planning horizon."))
    if str(workshop.pk) not in {e.workshop for e in st.eligible}:
        declined = workshop.pk in dispatch.excluded_workshops([task.pk]).get(task.pk, set())
        if declined:
            raise Refused(
                "declined_before",
                _("%(workshop)s has already declined this task.") % {"workshop": workshop.name},
            )
        cert = task.required_certification
        raise Refused(
            "not_eligible",
            (
                _(
                    "%(workshop)s cannot take this task: it needs %(trade)s with the "
                    "certification “%(cert)s” at a site inside the workshop's service area."
                )
                if cert
                else _(
                    "%(workshop)s cannot take this task: it needs %(trade)s at a site "
                    "inside the workshop's service area."
                )
            )
            % {
                "workshop": workshop.name,
                "trade": task.trade.name,
                "cert": cert.name if cert else "",
            },
        )
    release = max(st.release_day, problem.package(st.package).release_day)
    if first < release:
        raise Refused(
            "release",
            _(
                "This task cannot start before %(day)s (the package's earliest start or work "
                "still running)."
            )
            % {"day": _date_label(move.day(release))},
        )


def _precedence_refusal(move: _Move, st: solver.Task, workshop: str, need: int, why) -> Refused:
    earliest = _first_day(move.problem, need)
    lag = why.lag_hours
    detail = (
        _(
            "“%(task)s” may start only %(lag)s h after “%(before)s” ends (drying or waiting "
            "time): at the earliest on %(day)s."
        )
        if lag
        else _("“%(task)s” may start only after “%(before)s” ends: at the earliest on %(day)s.")
    )
    return Refused(
        "precedence",
        detail
        % {
            "task": move.name(st.id),
            "before": move.name(why.before),
            "lag": lag,
            "day": _date_label(move.day(earliest)),
        },
    )


def _replan_package(move: _Move, moved: str, workshop: str, first: int) -> set[str]:
    """Walk the package's tasks in precedence order: the moved task starts at ``workshop`` on
    day ``first``,
    successors that would start too early (or clash with it for a crew) are pushed back to
    their earliest feasible day at their own workshop. Returns the ids of tasks that changed."""
    problem, plan = move.problem, move.plan
    later = _descendants(problem, moved)
    changed = {moved}
    for task_id in _order(problem):
        st = move.task(task_id)
        if task_id == moved:
            need, why = _needed(problem, plan, task_id)
            if need is not None and 24 * first + problem.day_start_hour < need:
                raise _precedence_refusal(move, st, workshop, need, why)
            target = move.place(st, workshop, first)
            plan[task_id] = target
            move.hold(target, st.trade)
            continue
        current = plan.get(task_id)
        if current is None:
            continue
        need, _why = _needed(problem, plan, task_id)
        if (need is None or current.start >= need) and move.fits(current, st.trade):
            move.hold(current, st.trade)
            continue
        if task_id not in later:
            raise Refused(
                "conflict",
                _("The move clashes with “%(task)s” of the same package, which cannot move.")
                % {"task": move.name(task_id)},
            )
        first = max(current.start_day, _first_day(problem, need or 0))
        placed = None
        while placed is None and first < problem.days:
            try:
                placed = move.place(st, current.workshop, first)
            except Refused as exc:
                if exc.code == "horizon":
                    raise
                first += 1
        if placed is None:
            raise Refused("horizon", _("The work would run past the planning horizon."))
        plan[task_id] = placed
        move.hold(placed, st.trade)
        changed.add(task_id)
    return changed


def _build_move(task: Task, today: dt.date | None) -> _Move:
    tasks = (
        Task.objects.filter(package_id=task.package_id, status__in=LIVE_TASK_STATUSES)
        .select_related("package__site", "trade", "required_certification")
        .order_by("position", "id")
    )
    ctx = services.build_problem(services.plan_start(today), tasks=tasks)
    problem = replace(services._free_calendars(ctx), allow_moving_pinned=True)
    stored = services.stored_plan(ctx)
    plan = {a.task: a for a in stored.assignments if a.task in ctx.tasks}
    return _Move(ctx=ctx, problem=problem, plan=plan)


def preview_move(task_id: int, workshop_id: int, day: dt.date, *, today=None) -> MovePreview:
    """What moving a task to ``workshop_id`` starting on ``day`` would do: every task that
    changes (the moved one, successors pushed back), the package's new end against its promised
    date, and a token that ``do_move`` checks so the clerk confirms exactly what they saw.
    A move the planner's rules forbid comes back with ``ok=False`` and the reason."""
    task = Task.objects.select_related("package", "trade", "required_certification").get(
        pk=task_id, package__status__in=Package.PLANNED_STATUSES
    )
    workshop = Workshop.objects.filter(pk=workshop_id, active=True).first()
    if workshop is None:
        return MovePreview(ok=False, code="workshop", reason=_("No such active member workshop."))
    try:
        move = _build_move(task, today)
        key = str(task.pk)
        if key not in move.ctx.tasks or all(t.id != key for t in move.problem.tasks):
            raise Refused("started", _("Work on this task has already begun; it cannot be moved."))
        st = move.task(key)
        first = (day - move.problem.start_date).days
        _check_target(move, task, st, workshop, first)
        before = dict(move.plan)
        changed = _replan_package(move, key, str(workshop.pk), first)
        _final_check(move, changed)
    except Refused as exc:
        return MovePreview(ok=False, code=exc.code, reason=exc.reason, package=task.package_id)
    return _preview(move, task, before, changed)


def _final_check(move: _Move, changed: set[str]) -> None:
    """The independent checker must accept the package's new plan (for the tasks that move)."""
    plan = solver.Plan("preview", tuple(move.plan.values()))
    problems = [v for v in solver.check_plan(move.problem, plan) if any(t in v for t in changed)]
    if problems:
        raise Refused(
            "invalid",
            _("The planner's check refuses this move: %(detail)s") % {"detail": problems[0]},
        )


def _preview(move: _Move, task: Task, before: dict, changed: set[str]) -> MovePreview:
    problem, ctx = move.problem, move.ctx
    changes = []
    for task_id in sorted(changed, key=lambda t: move.plan[t].start):
        new, old = move.plan[task_id], before.get(task_id)
        live = ctx.live.get(int(task_id))
        if old is not None and (old.workshop, old.start, old.end) == (
            new.workshop,
            new.start,
            new.end,
        ):
            continue
        moved_workshop = old is None or old.workshop != new.workshop
        changes.append(
            Change(
                task=int(task_id),
                task_name=move.name(task_id),
                package=task.package_id,
                kind="moved" if int(task_id) == task.pk else "shifted",
                workshop_from=int(old.workshop) if old else None,
                workshop_from_name=_workshop_name(move, old.workshop) if old else None,
                workshop_to=int(new.workshop),
                workshop_to_name=_workshop_name(move, new.workshop),
                start_from=live.start if live else None,
                start_to=services._local(problem, new.start),
                end_from=live.end if live else None,
                end_to=services._local(problem, new.end),
                accepted=bool(live and live.status == Appointment.Status.ACCEPTED),
                new_offer=moved_workshop,
                segments=services._segments_json(problem, new.segments),
                travel_km=ctx.travel.get((task_id, new.workshop), 0),
            )
        )
    ends_before = [services._local(problem, a.end) for a in before.values()]
    ends_after = [services._local(problem, a.end) for a in move.plan.values()]
    preview = MovePreview(
        ok=True,
        changes=changes,
        package=task.package_id,
        promised=task.package.promised_date,
        end_before=max(ends_before) if ends_before else None,
        end_after=max(ends_after) if ends_after else None,
    )
    preview.warnings = _warnings(preview, changes)
    preview.token = _token(ctx, changes)
    return preview


def _warnings(preview: MovePreview, changes: list[Change]) -> list[str]:
    out = []
    if not changes:
        out.append(_("Nothing changes: the task is already there."))
    end = preview.end_after.astimezone(BERLIN).date() if preview.end_after else None
    if preview.promised and end and end > preview.promised:
        out.append(
            _("The package would finish on %(end)s, %(days)s day(s) after the promised %(date)s.")
            % {
                "end": _date_label(end),
                "days": (end - preview.promised).days,
                "date": _date_label(preview.promised),
            }
        )
    for c in changes:
        if c.accepted and c.new_offer:
            out.append(
                _(
                    "“%(task)s” was confirmed by %(workshop)s; the confirmation lapses and the "
                    "new workshop is asked."
                )
                % {"task": c.task_name, "workshop": c.workshop_from_name}
            )
        elif c.accepted:
            out.append(
                _(
                    "“%(task)s” was confirmed by %(workshop)s; the workshop is told of the new "
                    "dates."
                )
                % {"task": c.task_name, "workshop": c.workshop_to_name}
            )
    return out


def _token(ctx: services.Context, changes: list[Change]) -> str:
    """A fingerprint of the package's appointments as they stand and of the changes shown."""
    state = sorted((a.pk, a.sequence, a.status, a.workshop_id) for a in ctx.live.values())
    shown = [(c.task, c.workshop_to, c.start_to.isoformat(), c.end_to.isoformat()) for c in changes]
    return hashlib.sha256(json.dumps([state, shown]).encode()).hexdigest()[:32]


def _lock_planner() -> None:
    """Moves and re-plans exclude each other: the planner's advisory lock, for this
    transaction; a re-plan in progress makes the move wait for nobody but answer 409."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [services.PLANNER_LOCK_KEY])
        if not cursor.fetchone()[0]:
            raise Conflict(_("The planner is re-planning right now; try again in a moment."))


@transaction.atomic
def do_move(task_id: int, workshop_id: int, day: dt.date, token: str, *, user, today=None):
    """Apply a previewed move in one transaction: takes the planner's lock and the package's
    row lock, checks the move again and that nothing changed since the preview (``token``),
    updates the appointments in place (raising their calendar ``sequence``), withdraws the
    confirmation and offers the task anew where the workshop changed, and tells the office, the
    package and every affected workshop and worker. Raises ``ValidationError`` with the reason
    when the move is refused, ``Conflict`` when the plan changed since the preview."""
    _lock_planner()
    task = Task.objects.select_related("package").get(pk=task_id)
    Package.objects.select_for_update().filter(pk=task.package_id).first()
    list(
        Appointment.objects.select_for_update()
        .filter(task__package_id=task.package_id)
        .exclude(status=Appointment.Status.CANCELLED)
    )
    preview = preview_move(task_id, workshop_id, day, today=today)
    if not preview.ok:
        raise ValidationError({preview.code or "task": preview.reason})
    if preview.token != token:
        raise Conflict(_("The plan has changed since the preview; check the move again."))
    workshops, workers = set(), set()
    for change in preview.changes:
        # The clerk placed this one by hand: re-plans keep it there until it is released.
        appointment = _apply(change, pin=change.task == task_id)
        workshops |= {change.workshop_to, change.workshop_from} - {None}
        if appointment.worker_id:
            workers.add(appointment.worker_id)
    payload = {
        "task": task_id,
        "package": task.package_id,
        "moved": [c.task for c in preview.changes],
        "by": user.pk,
    }
    emit("office", "board.moved", payload)
    emit(f"package.{task.package_id}", "package.schedule_changed", payload)
    for pk in sorted(workshops):
        emit(f"workshop.{pk}", "workshop.schedule_changed", {**payload, "workshop": pk})
    for pk in sorted(workers):
        emit(f"worker.{pk}", "worker.schedule_changed", {**payload, "worker": pk})
    return preview


def _apply(change: Change, *, pin: bool = False) -> Appointment:
    values = {
        "workshop_id": change.workshop_to,
        "start": change.start_to,
        "end": change.end_to,
        "segments": change.segments,
        "travel_km": change.travel_km,
    }
    if pin:
        values["pinned"] = True
    appointment = (
        Appointment.objects.exclude(status=Appointment.Status.CANCELLED)
        .filter(task_id=change.task)
        .first()
    )
    if appointment is None:
        appointment = Appointment.objects.create(task_id=change.task, **values)
        Task.objects.filter(pk=change.task, status=Task.Status.OPEN).update(
            status=Task.Status.PLANNED
        )
        notify.mail_offers([dispatch.offer(appointment)])
        return appointment
    previous_worker = appointment.worker_id
    for name, value in values.items():
        setattr(appointment, name, value)
    appointment.sequence = F("sequence") + 1
    if change.new_offer:
        # A confirmation belongs to the workshop that gave it; the new one is asked.
        appointment.dispatches.filter(status=Dispatch.Status.ACCEPTED).update(
            status=Dispatch.Status.WITHDRAWN
        )
        appointment.status = Appointment.Status.TENTATIVE
        appointment.worker = None
        Task.objects.filter(pk=change.task).update(status=Task.Status.PLANNED)
    appointment.save()
    appointment.refresh_from_db()
    if change.new_offer:
        notify.mail_offers([dispatch.offer(appointment)])
        appointment.worker_id = previous_worker  # tell the worker who had it
    return appointment


@transaction.atomic
def release_pin(appointment_id: int, *, user) -> Appointment:
    """Give a hand-placed appointment back to the planner; the next re-plan may move it. A
    Notdienst is pinned to now, not by hand: it is not given back."""
    appointment = (
        Appointment.objects.select_for_update()
        .exclude(task__code=services.EMERGENCY_TASK_CODE)
        .get(
            pk=appointment_id,
            pinned=True,
            status__in=(Appointment.Status.TENTATIVE, Appointment.Status.ACCEPTED),
        )
    )
    appointment.pinned = False
    appointment.save(update_fields=["pinned", "updated_at"])
    emit(
        "office",
        "board.released",
        {"task": appointment.task_id, "package": appointment.task.package_id, "by": user.pk},
    )
    return appointment
