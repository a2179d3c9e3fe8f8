"""The demo's past: jobs finished in the two months before its start, invoiced and (mostly) paid,
and the earlier month settled with the members, so the invoicing pages, the dunning list, the
month-end run and a member's settlements have something to show.

Each job is booked, staffed and finished the way the planner and the field app would have left
it: the nearest member serving the site in the trade, its first worker with the trade, working
days from the member's capacity calendar (weekends, public holidays), predecessors and drying
times first. Invoices are issued, paid and settled through the invoicing services on the dates
they would have happened. Found again by (customer, template), so a re-run adds nothing; a step
whose date is still ahead of the real clock is left out (a demo dated in the future has less
past).
"""

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Min
from django.utils import timezone

from customers.models import Customer
from jobs.models import (
    Package,
    PackageTemplate,
    Quote,
    Request,
    Task,
    TaskDependency,
    WorkLog,
)
from jobs.quotes import Slot, price
from jobs.services import book_package, store_quote
from trades.capacity import capacity
from trades.selectors import workshops_serving


@dataclass(frozen=True)
class PastJob:
    template: str
    customer: tuple[str, int]  # kind of customer, and which of them (by e-mail)
    month: int  # 2: the month before last, 1: last month (counted back from the start)
    day: int  # day of that month the work starts (or the next working day)
    paid_after: int | None  # days from issue to payment; None: unpaid
    invoiced: bool = True


# In the order the invoices are issued. The month before last is settled; last month waits for
# the office's month-end run, which also invoices the roof repair finished at its end.
PAST_JOBS = [
    PastJob("zimmer-streichen", ("private", 0), month=2, day=2, paid_after=9),
    PastJob("steckdosen", ("private", 1), month=2, day=7, paid_after=12),
    PastJob("wohnung-streichen", ("private", 2), month=2, day=10, paid_after=None),  # overdue
    PastJob("wc-tauschen", ("business", 0), month=2, day=21, paid_after=20),
    PastJob("elektro-altbau", ("public", 0), month=1, day=1, paid_after=16),
    PastJob("dach-reparatur", ("private", 3), month=1, day=20, paid_after=None, invoiced=False),
]
# Private customers after these many (ordered by e-mail) have no packages yet.
FIRST_FREE_PRIVATE = 20
# A past job was asked for this long before its work began (not on the day the demo was seeded).
REQUESTED_BEFORE = timedelta(days=18)


def month_start(start: date, back: int) -> date:
    first = start.replace(day=1)
    for _ in range(back):
        first = (first - timedelta(days=1)).replace(day=1)
    return first


def _customer(kind: str, index: int, domain: str) -> Customer:
    customers = Customer.objects.filter(email__endswith=f"@{domain}", kind=kind, user__isnull=True)
    offset = FIRST_FREE_PRIVATE if kind == Customer.Kind.PRIVATE else 0
    return customers.order_by("email")[offset + index]


def _days_of_work(workshop, trade, first: date, hours: Decimal) -> list[tuple[date, int]]:
    """(day, hours) from ``first`` on until ``hours`` are done, on the workshop's working days."""
    days, left, day = [], hours, first
    while left > 0:
        for cap in capacity(workshop, trade, day, day + timedelta(days=13)):
            if cap.hours > 0 and cap.crews > 0:
                take = min(left, cap.hours)
                days.append((cap.day, int(take.to_integral_value(rounding="ROUND_CEILING"))))
                left -= take
                if left <= 0:
                    break
        day += timedelta(days=14)
    return days


def _finish(package: Package, first_day: date, day_start: int) -> date:
    """Staff and finish every task of ``package`` from ``first_day`` on; returns the last day."""
    from scheduling.models import Appointment, Dispatch

    tasks = list(package.tasks.select_related("trade").order_by("position", "pk"))
    before = {t.pk: [] for t in tasks}
    for dep in TaskDependency.objects.filter(successor__package=package):
        before[dep.successor_id].append((dep.predecessor_id, dep.lag_hours))
    ends: dict[int, datetime] = {}
    last = first_day
    for task in tasks:  # positions follow the template's order, predecessors first
        ready = datetime.combine(first_day, time(day_start))
        for predecessor, lag in before[task.pk]:
            ready = max(ready, ends[predecessor] + timedelta(hours=lag))
        certification = task.required_certification
        serving = workshops_serving(package.site.location, task.trade, certification)
        # Among those, one whose owner has a demo login, so the settlement can be looked at.
        workshop = serving.filter(admins__isnull=False).first() or serving.first()
        workers = workshop.workers.filter(active=True, trades=task.trade)
        if certification is not None:
            workers = workers.filter(certifications__certification=certification)
        worker = workers.order_by("pk").first()
        begin = ready.date() if ready.time() <= time(day_start) else ready.date() + timedelta(1)
        days = _days_of_work(workshop, task.trade, begin, task.duration_hours)
        zone = timezone.get_current_timezone()
        start = datetime.combine(days[0][0], time(day_start), zone)
        end = datetime.combine(days[-1][0], time(day_start + days[-1][1]), zone)
        appointment = Appointment.objects.create(
            task=task,
            workshop=workshop,
            worker=worker,
            start=start,
            end=end,
            segments=[
                {"date": d.isoformat(), "start_hour": day_start, "hours": h} for d, h in days
            ],
            status=Appointment.Status.ACCEPTED,
            travel_km=round(2 * workshop.distance.km),
        )
        # Offered to the member two weeks ahead and taken the next morning; finished on the
        # phone at the planned end (the office's KPIs and fairness ledger count both).
        offered = start - timedelta(days=14)
        offer = Dispatch.objects.create(
            appointment=appointment,
            workshop=workshop,
            worker=worker,
            status=Dispatch.Status.ACCEPTED,
            deadline=offered + timedelta(hours=48),
            answered_at=offered + timedelta(hours=18),
            answered_by=worker.user,
        )
        Dispatch.objects.filter(pk=offer.pk).update(created_at=offered)
        WorkLog.objects.create(
            client_id=uuid.uuid5(uuid.NAMESPACE_URL, f"zunft-demo-done-{task.pk}"),
            task=task,
            worker=worker,
            status=WorkLog.Status.DONE,
            at=end,
            created_by=worker.user,
        )
        ends[task.pk] = end.replace(tzinfo=None)
        last = max(last, days[-1][0])
    package.tasks.update(status=Task.Status.DONE)
    Package.objects.filter(pk=package.pk).update(status=Package.Status.DONE)
    return last


def _asked_and_accepted(package: Package, requested: datetime) -> None:
    """The request the job began with and its instant quote, priced from the schedule the work
    was then done on and accepted two days later; the completion it named is the date promised.
    The office's KPIs (request to quote, quotes accepted, finished on time) count them, and the
    invoice charges the accepted quote's coordination fee, as for any order."""
    from scheduling.models import Appointment

    schedule = {
        a.task_id: Slot(a.workshop_id, a.start, a.end, len(a.segments), a.travel_km)
        for a in Appointment.objects.filter(task__package=package)
    }
    pricing = price(package, schedule)
    quote = store_quote(
        package,
        pricing,
        today=requested.date(),
        status=Quote.Status.ACCEPTED,
        accepted_at=requested + timedelta(days=2),
    )
    Quote.objects.filter(pk=quote.pk).update(created_at=requested)
    Package.objects.filter(pk=package.pk).update(promised_date=pricing.completion)
    request = Request.objects.create(
        customer=package.customer,
        site=package.site,
        template=package.template,
        earliest_start=package.earliest_start,
        package=package,
        status=Request.Status.ACCEPTED,
    )
    Request.objects.filter(pk=request.pk).update(created_at=requested)


def due_jobs(start: date) -> list[PastJob]:
    """The past jobs that have begun by the real clock (all of them for the reference date)."""
    today = timezone.localdate()
    return [
        job
        for job in PAST_JOBS
        if month_start(start, job.month) + timedelta(days=job.day - 1) <= today
    ]


def seed_history(start: date, domain: str) -> None:
    """Book, finish, invoice, pay and settle the demo's past (see the module's description)."""
    from django.conf import settings

    from invoicing import dunning, payments, services, settlement
    from invoicing.models import DunningNotice, Invoice, InvoiceMail

    real_today = timezone.localdate()
    invoices = []
    for job in due_jobs(start):
        customer = _customer(*job.customer, domain)
        template = PackageTemplate.objects.get(code=job.template)
        if Package.objects.filter(customer=customer, template=template).exists():
            continue
        first_day = month_start(start, job.month) + timedelta(days=job.day - 1)
        package = book_package(
            customer=customer,
            site=customer.sites.order_by("id").first(),
            template=template,
            values={},
            earliest_start=first_day,
            status=Package.Status.ACCEPTED,
            today=first_day,
        )
        requested = datetime.combine(
            first_day - REQUESTED_BEFORE, time(10, 15), timezone.get_current_timezone()
        )
        Package.objects.filter(pk=package.pk).update(created_at=requested)
        done = _finish(package, first_day, settings.PLANNER_DAY_START_HOUR)
        _asked_and_accepted(package, requested)
        if job.invoiced:
            invoices.append((done + timedelta(days=1), package, job.paid_after))
    if not invoices:
        return  # the past is there already (a re-run, perhaps dated otherwise): leave it be
    # Invoices and the settlement's credit notes and fee invoices share the cooperative's number
    # series, so they are written in the order of their dates.
    settled = month_start(start, 2)
    closed_on = month_start(start, 1) + timedelta(days=1)
    steps = [*invoices, (closed_on, None, None)]
    for day, package, paid_after in sorted(steps, key=lambda step: step[0]):
        if day > real_today:
            break
        if package is None:
            run = settlement.settle_month(settled, today=day)
            transferred = day + timedelta(days=3)  # the bank executed the payout file
            if transferred <= real_today:
                settlement.record_payouts(run, booked_on=transferred)
            continue
        draft = services.generate_package_invoice(package)
        invoice = services.issue_invoice(draft, issue_date=day, today=day)
        # E-mailed on its day, not now (a send still waiting for the commit finds it claimed).
        InvoiceMail.objects.filter(invoice=invoice).update(
            sent_at=datetime.combine(day, time(8), tzinfo=timezone.get_current_timezone())
        )
        if paid_after is not None and day + timedelta(days=paid_after) <= real_today:
            payments.record_payment(
                invoice,
                amount=invoice.gross_total,
                booked_on=day + timedelta(days=paid_after),
                reference=invoice.number,
                payer_name=str(package.customer),
            )
    # The daily dunning run (Celery beat) on each day since the first invoice fell due.
    first_due = Invoice.objects.filter(package__in=[p for _d, p, _a in invoices]).aggregate(
        first=Min("due_date")
    )["first"]
    day = first_due
    while day is not None and day <= real_today:
        run = dunning.run_dunning(today=day)
        # Sent now, but the letters say they went out that morning: so should the dunning list.
        DunningNotice.objects.filter(
            pk__in=[n.pk for n in run.notices], emailed_at__isnull=False
        ).update(emailed_at=datetime.combine(day, time(7), tzinfo=timezone.get_current_timezone()))
        day += timedelta(days=1)
