"""The planner adapter: models → solver problem → plan → appointments and dispatch proposals.

The solver (``scheduling.solver``) knows nothing of Django; this module translates both ways and
is the only place that writes plans, in one transaction with outbox events.
"""

import datetime as dt
import logging
import math
from collections import defaultdict
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from jobs.models import Package, Task, TaskDependency
from scheduling import dispatch, notify, solver
from scheduling.models import Appointment, Dispatch, PlanRun
from trades.capacity import capacity
from trades.models import Workshop, WorkshopTrade
from trades.selectors import workshops_serving
from zunft.core.realtime import emit

logger = logging.getLogger(__name__)
BERLIN = ZoneInfo("Europe/Berlin")
PLANNER_LOCK_KEY = 0x5A554E4654  # one re-plan at a time across every worker and machine


@dataclass
class Context:
    """What the adapter needs to translate the plan back: model objects by solver id."""

    problem: solver.Problem
    tasks: dict[str, Task] = field(default_factory=dict)
    live: dict[int, Appointment] = field(default_factory=dict)  # task pk → live appointment
    travel: dict[tuple[str, str], int] = field(default_factory=dict)


def plan_start(today: dt.date | None = None) -> dt.date:
    """Plans start tomorrow: today's work is already on its way."""
    return (today or timezone.localdate()) + dt.timedelta(days=1)


def _open_tasks():
    return (
        Task.objects.filter(
            package__status__in=Package.PLANNED_STATUSES,
            status__in=[Task.Status.OPEN, Task.Status.PLANNED, Task.Status.ASSIGNED],
        )
        .select_related("package__site", "trade", "required_certification")
        .order_by("package_id", "position", "id")
    )


def build_problem(start: dt.date, days: int | None = None, tasks=None) -> Context:
    """The planning problem for ``tasks`` (default: every open task of accepted packages) from
    ``start`` on: eligible workshops through the PostGIS selector, their crew calendars,
    accepted appointments pinned, tentative ones as the previous plan (for stability)."""
    days = days or settings.PLANNER_HORIZON_DAYS
    tasks = list(tasks if tasks is not None else _open_tasks())
    live = {
        a.task_id: a for a in Appointment.objects.filter(task__in=tasks).exclude(status="cancelled")
    }
    end = start + dt.timedelta(days=days - 1)
    # An accepted or pinned appointment that already began is running: it is not planned
    # again, but its successors still wait for it (see release days below). A Notdienst from
    # today is pinned before tomorrow's plan start: pinned to a day the plan does not have, it
    # made every run infeasible while its offer was open.
    running = {
        pk
        for pk, a in live.items()
        if (a.status == "accepted" or a.pinned) and a.start.astimezone(BERLIN).date() < start
    }
    ctx = Context(problem=None)  # type: ignore[arg-type]
    solver_tasks, pairs, workshops = [], set(), {}
    eligible_cache: dict[tuple, tuple] = {}
    excluded = dispatch.excluded_workshops([t.pk for t in tasks])
    for task in tasks:
        if task.pk in running:
            continue
        key = (task.package.site_id, task.trade_id, task.required_certification_id)
        if key not in eligible_cache:
            rows = workshops_serving(
                task.package.site.location, task.trade, task.required_certification
            ).prefetch_related(None)
            eligible_cache[key] = tuple(
                solver.Eligibility(str(w.pk), travel_km=round(2 * w.distance.km)) for w in rows
            )
            for w in rows:
                workshops[str(w.pk)] = w
        eligible = tuple(
            e for e in eligible_cache[key] if int(e.workshop) not in excluded.get(task.pk, ())
        )
        for e in eligible:
            pairs.add((e.workshop, task.trade.code, task.trade))
            ctx.travel[(str(task.pk), e.workshop)] = e.travel_km
        appointment = live.get(task.pk)
        pinned = previous = None
        if appointment is not None:
            where = solver.Appointment(
                str(appointment.workshop_id),
                (appointment.start.astimezone(BERLIN).date() - start).days,
            )
            if appointment.status == "accepted" or appointment.pinned:
                pinned = where
            else:
                previous = where
        solver_tasks.append(
            solver.Task(
                id=str(task.pk),
                package=str(task.package_id),
                hours=max(1, math.ceil(task.duration_hours)),
                trade=task.trade.code,
                eligible=eligible,
                crew_size=task.crew_size,
                certification=(
                    task.required_certification.code if task.required_certification else None
                ),
                pinned=pinned,
                previous=previous,
            )
        )
        ctx.tasks[str(task.pk)] = task
    ctx.live = live
    precedences, releases = _precedences(tasks, ctx, live, running, start)
    solver_tasks = [
        t if t.id not in releases else _with_release(t, releases[t.id]) for t in solver_tasks
    ]
    calendars = tuple(
        _calendar(workshops[w], trade, start, end)
        for w, _code, trade in sorted(pairs, key=lambda p: (p[0], p[1]))
    )
    packages = {t.package for t in tasks if t.pk not in running}
    ctx.problem = solver.Problem(
        start_date=start,
        days=days,
        tasks=tuple(solver_tasks),
        calendars=calendars,
        workshops=_solver_workshops(workshops),
        packages=tuple(_package(p, start) for p in sorted(packages, key=lambda p: p.pk)),
        precedences=precedences,
        day_start_hour=settings.PLANNER_DAY_START_HOUR,
    )
    return ctx


def _solver_workshops(workshops: dict) -> tuple[solver.Workshop, ...]:
    """Workshops with the certifications their business holds (one query)."""
    held: dict[str, set[str]] = {w: set() for w in workshops}
    rows = WorkshopTrade.certifications.through.objects.filter(
        workshoptrade__workshop_id__in=[int(w) for w in workshops]
    ).values_list("workshoptrade__workshop_id", "certification__code")
    for workshop_id, code in rows:
        held[str(workshop_id)].add(code)
    return tuple(solver.Workshop(w, frozenset(held[w])) for w in sorted(workshops))


def _with_release(task: solver.Task, day: int) -> solver.Task:
    return replace(task, release_day=max(task.release_day, day))


def _precedences(tasks, ctx: Context, live, running, start):
    ids = {t.pk for t in tasks}
    precedences, releases = [], {}
    dependencies = list(TaskDependency.objects.filter(successor__in=ids))
    # Work under way (a worker tapped start) is no longer planned, but what follows it still
    # waits for its appointment's end, as for a running one (a supplement's work "after" it).
    under_way = {
        a.task_id: a
        for a in Appointment.objects.filter(
            task__in={d.predecessor_id for d in dependencies} - ids,
            task__status=Task.Status.IN_PROGRESS,
        ).exclude(status="cancelled")
    }
    for dep in dependencies:
        if dep.predecessor_id in running or dep.predecessor_id in under_way:
            appointment = live.get(dep.predecessor_id) or under_way[dep.predecessor_id]
            done = appointment.end.astimezone(BERLIN)
            ready = done + dt.timedelta(hours=dep.lag_hours)
            day = (ready.date() - start).days + (
                1 if ready.time() > dt.time(settings.PLANNER_DAY_START_HOUR) else 0
            )
            releases[str(dep.successor_id)] = max(releases.get(str(dep.successor_id), 0), day)
        elif str(dep.predecessor_id) in ctx.tasks and str(dep.successor_id) in ctx.tasks:
            precedences.append(
                solver.Precedence(str(dep.predecessor_id), str(dep.successor_id), dep.lag_hours)
            )
    return tuple(precedences), releases


def _calendar(workshop: Workshop, trade, start: dt.date, end: dt.date) -> solver.CrewCalendar:
    days = capacity(workshop, trade, start, end)
    return solver.CrewCalendar(
        workshop=str(workshop.pk),
        trade=trade.code,
        crews=tuple(d.crews for d in days),
        hours=tuple(int(d.hours) for d in days),
    )


def _package(package: Package, start: dt.date) -> solver.Package:
    return solver.Package(
        id=str(package.pk),
        release_day=max(0, (package.earliest_start - start).days),
        promised_day=(package.promised_date - start).days if package.promised_date else None,
        blocked_days=frozenset((d - start).days for d in package.blocked_days if d >= start),
    )


def _local(problem: solver.Problem, absolute_hour: int) -> dt.datetime:
    return problem.datetime(absolute_hour).replace(tzinfo=BERLIN)


def _segments_json(problem: solver.Problem, segments) -> list[dict]:
    return [
        {
            "date": (problem.start_date + dt.timedelta(days=s.day)).isoformat(),
            "start_hour": s.start_hour,
            "hours": s.hours,
        }
        for s in segments
    ]


def stored_plan(ctx: Context) -> solver.Plan:
    """The plan as it stands in the database, in the solver's terms (for the plan checker)."""
    problem = ctx.problem
    origin = dt.datetime.combine(problem.start_date, dt.time())

    def hours(moment: dt.datetime) -> int:
        # Plan hours are wall-clock hours: across a DST change elapsed time differs by one.
        return round(
            (moment.astimezone(BERLIN).replace(tzinfo=None) - origin).total_seconds() / 3600
        )

    assignments = []
    for a in Appointment.objects.filter(task_id__in=[int(t) for t in ctx.tasks]).exclude(
        status="cancelled"
    ):
        segments = tuple(
            solver.Segment(
                (dt.date.fromisoformat(s["date"]) - problem.start_date).days,
                s["start_hour"],
                s["hours"],
            )
            for s in a.segments
        )
        assignments.append(
            solver.Assignment(
                task=str(a.task_id),
                workshop=str(a.workshop_id),
                start=hours(a.start),
                end=hours(a.end),
                segments=segments,
            )
        )
    return solver.Plan(status="stored", assignments=tuple(assignments))


def _set_aside(result: solver.Plan) -> list[dict]:
    """The orders a run set aside, as stored on it: each with its reason codes and the tasks
    its problems are about, named in both languages (the office sees them live, each clerk in
    their own)."""
    tasks = result.set_aside_tasks
    ids = [int(t) for package in tasks.values() for t in package]
    names = {
        pk: {"id": pk, "name_de": de, "name_en": en}
        for pk, de, en in Task.objects.filter(pk__in=ids).values_list("pk", "name_de", "name_en")
    }
    return [
        {
            "package": int(p),
            "reasons": list(reasons),
            "tasks": [names[int(t)] for t in tasks[p] if int(t) in names],  # or deleted since
        }
        for p, reasons in sorted(result.set_aside_reasons.items(), key=lambda item: int(item[0]))
    ]


@transaction.atomic
def write_plan(ctx: Context, result: solver.Plan, run: PlanRun) -> int:
    """Store the plan: update live appointments in place (raising their sequence), create the
    missing ones with a dispatch proposal to the chosen workshop, and tell the office, the
    packages and the workshops concerned. Returns how many existing appointments moved."""
    problem = ctx.problem
    moved = 0
    offered = []
    touched_packages, touched_workshops = set(), set()
    # The packages this plan creates or moves appointments for, still to be done, locked before
    # their appointments (as a withdrawal does): a homeowner withdrawing during the solve has
    # withdrawn (nothing is written for the package) or waits for this plan and then cancels
    # what it wrote.
    placed = {
        a.task: (int(a.workshop), _local(problem, a.start), _local(problem, a.end))
        for a in result.assignments
    }
    writes = set()
    for a in result.assignments:
        task = ctx.tasks[a.task]
        current = ctx.live.get(task.pk)
        if current is None or (current.workshop_id, current.start, current.end) != placed[a.task]:
            writes.add(task.package_id)
    planned = set(
        Package.objects.select_for_update(of=("self",))
        .filter(pk__in=writes, status__in=Package.PLANNED_STATUSES)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for a in result.assignments:
        task = ctx.tasks[a.task]
        if task.package_id not in planned:
            continue  # unchanged, or no longer to be done
        workshop_id, start, end = placed[a.task]
        segments = _segments_json(problem, a.segments)
        current = ctx.live.get(task.pk)
        if current is not None:
            if (current.workshop_id, current.start, current.end) == (workshop_id, start, end):
                continue
            # Only the placement, on the row as it is now: ``current`` was read before the
            # solve, and writing it back whole would undo an offer accepted, a worker chosen or
            # an appointment cancelled meanwhile. One cancelled meanwhile is left alone.
            updated = (
                Appointment.objects.filter(pk=current.pk)
                .exclude(status=Appointment.Status.CANCELLED)
                .update(
                    workshop_id=workshop_id,
                    start=start,
                    end=end,
                    segments=segments,
                    sequence=F("sequence") + 1,
                    plan_run=run,
                    travel_km=ctx.travel.get((a.task, a.workshop), 0),
                    updated_at=timezone.now(),
                )
            )
            if not updated:
                continue
            moved += 1
            touched_workshops.add(current.workshop_id)
            if current.workshop_id != workshop_id:
                current.refresh_from_db()
                offered.append(dispatch.offer(current))
        else:
            appointment = Appointment.objects.create(
                task=task,
                workshop_id=workshop_id,
                start=start,
                end=end,
                segments=segments,
                plan_run=run,
                travel_km=ctx.travel.get((a.task, a.workshop), 0),
            )
            offered.append(dispatch.offer(appointment))
        if task.status == Task.Status.OPEN:
            Task.objects.filter(pk=task.pk).update(status=Task.Status.PLANNED)
        touched_packages.add(task.package_id)
        touched_workshops.add(workshop_id)
    notify.mail_offers(offered)  # one mail per workshop, not one per task
    run.moved = moved
    run.save(update_fields=["moved"])
    emit("office", "plan.updated", run.summary())
    for pk in sorted(touched_packages):
        emit(f"package.{pk}", "package.schedule_changed", {"package": pk, "plan_run": run.pk})
    for pk in sorted(touched_workshops):
        emit(f"workshop.{pk}", "workshop.schedule_changed", {"workshop": pk, "plan_run": run.pk})
    return moved


def cover_absent_workers(appointments) -> list[Appointment]:
    """Appointments whose worker cannot do them any more (away on one of their days, the
    workshop closed, no longer in the team or without the trade) go to a free colleague of the
    workshop with the trade; without one the worker is cleared for the workshop to choose. The
    planner counts crews per workshop and trade, so an absence that leaves the workshop enough
    crews moves nothing, but the ill worker kept the job. The workshop, the office and both
    workers are told. Returns the appointments changed."""
    from trades.models import Absence, Worker, WorkerCertification

    changed, cleared = [], []
    staffed = [a for a in appointments if a.worker_id is not None]
    if not staffed:
        return changed
    # A few queries for which of them may have lost their worker at all; only those are looked
    # at closely (this runs after every plan, over all of them).
    earliest = min(timezone.localdate(a.start) for a in staffed)
    worker_ids = {a.worker_id for a in staffed}
    absences = list(
        Absence.objects.filter(
            Q(worker_id__in=worker_ids)
            | Q(workshop_id__in={a.workshop_id for a in staffed}, worker__isnull=True),
            end__gte=earliest,
        ).values_list("workshop_id", "worker_id", "start", "end")
    )
    able = set(
        Worker.trades.through.objects.filter(
            worker_id__in=worker_ids, worker__active=True
        ).values_list("worker_id", "trade_id")
    )
    needs = {
        pk: (trade, certification)
        for pk, trade, certification in Task.objects.filter(
            pk__in={a.task_id for a in staffed}
        ).values_list("pk", "trade_id", "required_certification_id")
    }
    held = defaultdict(list)
    for worker_id, certification, until in WorkerCertification.objects.filter(
        worker_id__in=worker_ids
    ).values_list("worker_id", "certification_id", "valid_until"):
        held[worker_id].append((certification, until))

    def may_have_lost_its_worker(a) -> bool:
        days = dispatch.working_days(a)
        trade, certification = needs[a.task_id]
        if (a.worker_id, trade) not in able:
            return True  # let go, or the trade taken off
        for workshop_id, worker_id, start, end in absences:
            mine = worker_id == a.worker_id or (worker_id is None and workshop_id == a.workshop_id)
            if mine and start <= days[-1] and end >= days[0]:
                return True
        return certification is not None and not any(
            c == certification and (until is None or until >= days[-1])
            for c, until in held[a.worker_id]
        )

    ids = [a.pk for a in staffed if may_have_lost_its_worker(a)]
    if not ids:
        return changed
    fresh = list(
        Appointment.objects.select_for_update(of=("self",))
        .select_related("task__required_certification", "workshop")
        .filter(pk__in=ids, worker__isnull=False)
        .exclude(status="cancelled")
        .order_by("pk")
    )
    # The workshops' workers locked once, in id order: locking each appointment's candidates
    # in turn would take them in no global order and could deadlock with an owner's choice.
    list(
        Worker.objects.select_for_update()
        .filter(workshop_id__in={a.workshop_id for a in fresh})
        .order_by("id")
        .values_list("id", flat=True)
    )
    for a in fresh:
        candidates = dispatch.staffing(a)
        mine = next((c for c in candidates if c.worker.pk == a.worker_id), None)
        # Still theirs unless away, let go, without the trade or the certificate (another job
        # at the same hours is the workshop's to sort out, not a reason to hand this one on).
        if mine is not None and mine.kind in ("", "busy"):
            continue
        previous = a.worker_id
        free = [c.worker for c in candidates if not c.reason and c.worker.pk != previous]
        a.worker = free[0] if free else None
        a.sequence += 1
        a.save(update_fields=["worker", "sequence", "updated_at"])
        dispatch.announce_worker_change(a, previous)
        if a.worker is None:
            cleared.append(a)
        changed.append(a)
    notify.mail_unstaffed(cleared)
    return changed


def plan_cooperative(
    *,
    reason: str = "",
    kind: str = PlanRun.Kind.FULL,
    today: dt.date | None = None,
    time_limit: float | None = None,
    on_progress: Callable[[float, int, int], None] | None = None,
) -> PlanRun:
    """Plan every open task of accepted packages and store the plan. Keeps accepted appointments
    fixed and tentative ones where they were when that costs little. Call it with the planner
    lock held (``planner_lock``) when it may run concurrently."""
    ctx = build_problem(plan_start(today))
    options = solver.SolveOptions(
        time_limit=time_limit if time_limit is not None else settings.PLANNER_TIME_LIMIT,
        workers=settings.PLANNER_WORKERS,
        seed=0,
        on_solution=on_progress,
    )
    result = solver.plan(ctx.problem, options) if ctx.problem.tasks else solver.Plan("optimal")
    run = PlanRun.objects.create(
        kind=kind,
        reason=reason[:200],
        status=result.status,
        tasks=len(ctx.problem.tasks),
        objective=result.objective,
        bound=result.bound,
        gap=result.gap,
        wall_time=result.wall_time,
        parts=result.parts.__dict__,
        messages=list(result.messages),
        set_aside=_set_aside(result),
    )
    with transaction.atomic():
        if result.assignments:
            write_plan(ctx, result, run)
        # Also when nothing was (re)planned: an illness may only touch running jobs.
        cover_absent_workers(ctx.live.values())
    if result.set_aside:
        # Their tasks stay on the board's "unassigned" list; the run's messages say why.
        logger.warning(
            "plan run %s set packages %s aside: %s",
            run.pk,
            ", ".join(result.set_aside),
            "; ".join(result.messages),
        )
    logger.info(
        "plan run %s: %s tasks, status %s, gap %.3f, %.1fs",
        run.pk,
        run.tasks,
        run.status,
        run.gap,
        run.wall_time,
    )
    return run


@contextmanager
def planner_lock():
    """A PostgreSQL advisory lock: at most one re-plan at a time on any worker or machine.
    Yields whether it was acquired (never waits)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [PLANNER_LOCK_KEY])
        acquired = cursor.fetchone()[0]
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [PLANNER_LOCK_KEY])


def request_replan(reason: str, countdown: int | None = None):
    """Ask for a re-plan soon. Requests arriving while one is queued join it (debounce), so a
    burst of changes costs one re-plan; the task itself runs one at a time (``planner_lock``)."""
    from scheduling import tasks
    from zunft.core.models import Operation
    from zunft.core.services import start_operation

    countdown = settings.PLANNER_DEBOUNCE_SECONDS if countdown is None else countdown
    with transaction.atomic():
        with connection.cursor() as cursor:  # serialises concurrent requests
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [PLANNER_LOCK_KEY + 1])
        queued = Operation.objects.filter(kind="replan", state=Operation.State.QUEUED).first()
        if queued is not None:
            queued.params.setdefault("reasons", []).append(reason)
            queued.save(update_fields=["params"])
            return queued
        return start_operation(
            "replan", task=tasks.replan, params={"reasons": [reason]}, countdown=countdown
        )


EMERGENCY_TASK_CODE = "notdienst"


@dataclass(frozen=True)
class EmergencyMatch:
    appointment: Appointment
    dispatch: Dispatch
    distance_km: float


def _free_emergency_worker(site, trade, certification, now, until, passed_over=()):
    """The nearest qualified worker free from ``now`` to ``until`` and their workshop (with its
    ``distance``), or None. ``passed_over``: workers who had this call already.

    Locks the rows of every worker of the candidate workshops (one statement, in id order, as
    the absence cover and the owner's choice of a worker do) before it looks who is busy: of
    two calls at once, the second waits and then counts the appointment the first gave."""
    from trades.models import Absence, Worker

    today = timezone.localdate(now)
    busy = Appointment.objects.filter(start__lt=until, end__gt=now).exclude(status="cancelled")
    serving = workshops_serving(site.location, trade, certification).prefetch_related(None)
    workshops = list(serving[:25])
    # No key update: inserts that only point at a worker (a time entry from the site) need
    # not wait for a Notdienst being placed.
    list(
        Worker.objects.select_for_update(no_key=True)
        .filter(workshop__in=[w.pk for w in workshops])
        .order_by("id")
        .values_list("id", flat=True)
    )
    for workshop in workshops:
        workers = (
            Worker.objects.filter(workshop=workshop, active=True, trades=trade)
            # One absence covering today (chained to-many conditions in exclude() would take
            # a past and a future absence for one).
            .exclude(
                pk__in=Absence.objects.filter(
                    worker__isnull=False, start__lte=today, end__gte=today
                ).values("worker_id")
            )
            .exclude(pk__in=busy.filter(worker__isnull=False).values("worker_id"))
            .exclude(pk__in=list(passed_over))
            .order_by("id")
        )
        if workshop.absences.filter(worker__isnull=True, start__lte=today, end__gte=today).exists():
            continue
        if certification is not None:
            workers = workers.filter(
                Q(certifications__certification=certification)
                & (
                    Q(certifications__valid_until__isnull=True)
                    | Q(certifications__valid_until__gte=today)
                )
            )
        # One who can be reached: the offer's live event goes to the worker's login.
        worker = workers.filter(user__isnull=False).first() or workers.first()
        if worker is not None:
            return workshop, worker
    return None


def _offer_emergency(task, workshop, worker, now, until) -> EmergencyMatch:
    """The call-out as a pinned appointment from now, offered to ``worker`` with a short
    deadline (``EMERGENCY_OFFER_MINUTES``), told live and by mail."""
    appointment = Appointment.objects.create(
        task=task,
        workshop=workshop,
        worker=worker,
        # Now, not whenever a re-plan finds room: the planner keeps it where it is.
        pinned=True,
        start=now,
        end=until,
        segments=[
            {
                "date": timezone.localdate(now).isoformat(),
                "start_hour": timezone.localtime(now).hour,
                "hours": math.ceil(task.duration_hours),
            }
        ],
        travel_km=round(2 * workshop.distance.km),
    )
    offer = Dispatch.objects.create(
        appointment=appointment,
        workshop=workshop,
        status=Dispatch.Status.OFFERED,
        deadline=now + dt.timedelta(minutes=settings.EMERGENCY_OFFER_MINUTES),
    )
    payload = {
        "dispatch": offer.pk,
        "task": task.pk,
        "urgent": True,
        "distance_km": round(workshop.distance.km, 1),
    }
    emit([f"worker.{worker.pk}", f"workshop.{workshop.pk}", "office"], "dispatch.offered", payload)
    notify.mail_offers([offer])
    return EmergencyMatch(appointment, offer, round(workshop.distance.km, 1))


@transaction.atomic
def dispatch_emergency(
    *,
    site,
    trade,
    hours: int = 2,
    certification=None,
    description: str = "",
    now=None,
    form_token=None,
) -> EmergencyMatch:
    """Urgent single job (Notdienst): offer it to the nearest qualified worker who is free now.

    Candidates come from the eligibility selector (trade, certification, service area), nearest
    first; a worker qualifies with the trade, a valid certification where one is required, no
    absence today and no live appointment overlapping the next ``hours``. The offer has a short
    deadline (``EMERGENCY_OFFER_MINUTES``); declined or left unanswered, the call goes on to the
    next one (``pass_emergency_on``). Raises ``ValidationError`` when nobody is free.
    """
    from django.core.exceptions import ValidationError
    from django.utils import translation
    from django.utils.translation import gettext as _

    now = now or timezone.now()
    until = now + dt.timedelta(hours=hours)
    found = _free_emergency_worker(site, trade, certification, now, until)
    if found is None:
        raise ValidationError({"trade": _("No qualified worker is free near this site right now.")})
    workshop, worker = found
    with translation.override("de"):  # stored for the record, in its language
        title, call_out = _("Emergency: %s") % trade.name_de, _("Emergency call-out")
    package = Package.objects.create(
        customer=site.customer,
        site=site,
        title=title,
        status=Package.Status.ACCEPTED,
        earliest_start=timezone.localdate(now),
        form_token=form_token,
    )
    task = Task.objects.create(
        package=package,
        code=EMERGENCY_TASK_CODE,
        name_de=description or call_out,
        name_en=description or "Emergency call-out",
        trade=trade,
        required_certification=certification,
        duration_hours=hours,
        status=Task.Status.PLANNED,
    )
    return _offer_emergency(task, workshop, worker, now, until)


@transaction.atomic
def pass_emergency_on(task_id: int, now=None) -> EmergencyMatch | None:
    """A Notdienst declined or left unanswered goes to the next nearest qualified worker free
    now, at once: the caller is waiting, a re-plan would put it into tomorrow's work. None
    when nobody else is free; the office is told, the call stays on its board (declined), and
    the next re-plan gives it the earliest place in the regular plan."""
    now = now or timezone.now()
    task = (
        Task.objects.select_for_update(of=("self",))
        .select_related("package__site", "trade", "required_certification")
        .filter(pk=task_id, code=EMERGENCY_TASK_CODE, status=Task.Status.OPEN)
        .first()
    )
    if task is None or task.appointments.exclude(status="cancelled").exists():
        return None  # taken meanwhile (a clerk on the board), or no longer open
    until = now + dt.timedelta(hours=float(task.duration_hours))
    had_it = set(task.appointments.exclude(worker=None).values_list("worker_id", flat=True))
    site = task.package.site
    found = _free_emergency_worker(
        site, task.trade, task.required_certification, now, until, passed_over=had_it
    )
    if found is None:
        emit(
            ["office", f"package.{task.package_id}"],
            "emergency.unanswered",
            {"task": task.pk, "package": task.package_id},
        )
        return None
    Task.objects.filter(pk=task.pk).update(status=Task.Status.PLANNED)
    return _offer_emergency(task, *found, now, until)


def _free_calendars(ctx: Context) -> solver.Problem:
    """The problem with every crew already held by a live appointment taken off its calendar,
    so a quoted package fits around the work that is planned."""
    problem = ctx.problem
    pairs = {(c.workshop, c.trade) for c in problem.calendars}
    used: dict[tuple[str, str], dict[int, int]] = {}
    live = (
        Appointment.objects.filter(workshop_id__in={int(w) for w, _t in pairs})
        .exclude(status="cancelled")
        .exclude(task__in=[int(t) for t in ctx.tasks])
        .values_list("workshop_id", "task__trade__code", "segments")
    )
    for workshop_id, trade, segments in live:
        key = (str(workshop_id), trade)
        if key not in pairs:
            continue
        for s in segments:
            day = (dt.date.fromisoformat(s["date"]) - problem.start_date).days
            if 0 <= day < problem.days:
                used.setdefault(key, {}).setdefault(day, 0)
                used[key][day] += 1
    calendars = tuple(
        replace(
            c,
            crews=tuple(
                max(0, n - used.get((c.workshop, c.trade), {}).get(d, 0))
                for d, n in enumerate(c.crews)
            ),
        )
        for c in problem.calendars
    )
    return replace(problem, calendars=calendars)


def tentative_schedule(package: Package) -> dict:
    """Where the planner would put the package's tasks now, without moving anyone else's work:
    the construction heuristic on the capacity left free (the instant-quote path). Raises
    ``ValidationError`` when a task cannot be placed (no eligible workshop, no capacity)."""
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    from jobs.quotes import Slot

    tasks = package.tasks.select_related("package__site", "trade", "required_certification")
    ctx = build_problem(max(plan_start(), package.earliest_start), tasks=tasks)
    problem = _free_calendars(ctx)
    result = solver.heuristic_plan(problem, passes=4)
    if result.status not in ("feasible", "optimal") or len(result.assignments) != len(ctx.tasks):
        names = ", ".join(
            t.name for t in ctx.tasks.values() if not any(e for e in _eligible(problem, t.pk))
        )
        detail = (
            _("No member workshop can do this at the site: %s") % names
            if names
            else _("No free capacity within the planning horizon.")
        )
        raise ValidationError({"site": detail})
    slots = {}
    for a in result.assignments:
        slots[int(a.task)] = Slot(
            workshop_id=int(a.workshop),
            start=_local(problem, a.start),
            end=_local(problem, a.end),
            days=len(a.segments),
            travel_km=ctx.travel.get((a.task, a.workshop), 0),
        )
    return slots


def _eligible(problem: solver.Problem, task_pk: int):
    for t in problem.tasks:
        if t.id == str(task_pk):
            return t.eligible
    return ()


def plan_rework(rework) -> PlanRun:
    """Plan rework tasks at the workshops that did the defective work (``rework`` is a list of
    ``(rework_task, defective_task)``), into their free capacity, and offer them."""
    workshop_of = {
        original.pk: a.workshop_id
        for _r, original in rework
        for a in Appointment.objects.filter(task=original).exclude(status="cancelled")[:1]
    }
    tasks = Task.objects.filter(pk__in=[r.pk for r, _o in rework]).select_related(
        "package__site", "trade", "required_certification"
    )
    ctx = build_problem(plan_start(), tasks=tasks)
    responsible = {str(r.pk): workshop_of.get(o.pk) for r, o in rework}
    restricted = tuple(
        replace(t, eligible=tuple(e for e in t.eligible if int(e.workshop) == responsible[t.id]))
        if responsible.get(t.id) and any(int(e.workshop) == responsible[t.id] for e in t.eligible)
        else t
        for t in ctx.problem.tasks
    )
    ctx.problem = _free_calendars(replace(ctx, problem=replace(ctx.problem, tasks=restricted)))
    result = solver.heuristic_plan(ctx.problem, passes=4)
    run = PlanRun.objects.create(
        kind=PlanRun.Kind.REPLAN,
        reason="rework after Abnahme",
        status=result.status,
        tasks=len(restricted),
        objective=result.objective,
        bound=result.bound,
        wall_time=result.wall_time,
        parts=result.parts.__dict__,
        messages=list(result.messages),
    )
    if result.assignments:
        write_plan(ctx, result, run)
    return run


def cover_for_worker(worker) -> list[Appointment]:
    """After a worker's record changed (let go, a trade taken off): their coming jobs that
    they can no longer do are handed over as after an absence."""
    live = (
        Appointment.objects.filter(worker=worker, end__gte=timezone.now())
        .exclude(status=Appointment.Status.CANCELLED)
        .exclude(task__status__in=[Task.Status.DONE, Task.Status.CANCELLED])
    )
    return cover_absent_workers(list(live))
