"""The office's dispatch board page (Plantafel). The page is a shell; its script loads the week
from ``GET /api/v1/board`` and follows the office group live."""

import uuid

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from customers.models import Site
from customers.selectors import search_customers
from customers.services import locate_address, save_customer, save_site
from jobs.models import Package, Request
from scheduling import board, services
from scheduling.forms import CALLER_FIELDS, EmergencyForm
from trades.models import Certification, Trade
from zunft.core.auth import office_page


def _labels() -> dict:
    """Every text the board's script shows, translated here (the script has no catalogue)."""
    return {
        "state": {
            "open": _("no appointment"),
            "tentative": _("tentative"),
            "accepted": _("accepted"),
            "in_progress": _("in progress"),
            "done": _("done"),
        },
        "offer": {
            "offered": _("offered"),
            "accepted": _("accepted"),
            "declined": _("declined"),
            "expired": _("expired"),
            "withdrawn": _("withdrawn"),
            "proposed": _("proposed"),
        },
        "replan": {
            "queued": _("Re-plan requested; it starts in a moment…"),
            "running": _("The planner is working… %(s)s s"),
            "done": _("New plan: %(moved)s appointment(s) moved."),
            "failed": _("Re-planning failed; try again, or tell the administrator."),
            "refused": _("Could not ask for a re-plan (%(status)s)."),
            "set_aside": _("Not planned: %(orders)s."),
            "order": _("order %(package)s (%(reasons)s)"),
            "order_tasks": _("order %(package)s, %(tasks)s (%(reasons)s)"),
            "reasons": {
                "no_workshop": _("no member serves the site with this trade on a working day"),
                "workshop_not_eligible": _("the workshop of a fixed appointment no longer fits"),
                "closed_day": _("a pinned appointment lies on a day its workshop does not work"),
                "cycle": _("the order of work goes round in a circle"),
                "unknown_task": _("the order of work names a task that is gone"),
                "no_room": _("a fixed appointment leaves no room for the work before or after it"),
            },
        },
        "live": {
            "connecting": _("connecting…"),
            "live": _("live"),
            "offline": _("offline — retrying"),
        },
        "request": dict(Request.Status.choices),
        "crews": _("crews"),
        "hours": _("h"),
        "nothing": _("Nothing here."),
        "no_appointment": _("no appointment"),
        "late_by": _("%(days)s day(s) late"),
        "unplanned": _("%(n)s task(s) without appointment"),
        "promised": _("promised"),
        "planned_end": _("planned end"),
        "answer_by": _("answer by"),
        "declined_by": _("declined by"),
        "expired_at": _("expired at"),
        "checking": _("The planner checks the move…"),
        "refused": _("Move refused"),
        "consequences": _("Consequences of the move"),
        "moved": _("moved"),
        "shifted": _("pushed back"),
        "new_offer": _("new offer to the workshop"),
        "confirmed": _("confirmed appointment"),
        "package_end": _("Package finishes"),
        "days_shift": _("%(n)s days"),
        "days_shift_one": _("%(n)s day"),
        "applied": _("Move applied; the workshops have been told."),
        "stale": _("The plan changed meanwhile; check again."),
        "offered": _("Offers"),
        "offers_count": _("offers"),  # after a number: "113 offers"
        "offers_answered": _("of %(answered)s answered · %(open)s open"),
        "accepted": _("accepted"),
        "revenue_share": _("Revenue share"),
        "target": _("target"),
        "target_equal": _("equal share"),
        "target_crews": _("by crews"),
        "workshop": _("Workshop"),
        "site": _("Site"),
        "log_empty": _("No events yet."),
        "unread": _("%(n)s unread"),
        "pinned": _("“%(task)s” was placed by the office; re-plans leave it where it is."),
        "drag_hint": _("Drag onto a workshop's row to plan it there"),
        "msg": {
            "homeowner": _("homeowner"),
            "office": _("office"),
            "empty": _("No messages yet."),
        },
        "urgent": _("Emergency"),
        "decline": _("Decline"),
        "reopen": _("Reopen"),
        "open_package": _("Package"),
        "revise_quote": _("Revise quote"),
        "supplement": _("Supplement"),
        "supplement_number": _("Supplement %(number)s"),
        "supplement_until": _("valid until"),
        "supplement_expired": _("expired on"),
        "week": _("Week"),
        "week_empty": _("Nothing is planned this week."),
        "week_empty_none": _("Nothing is planned this week or later."),
        "week_next_work": _("Go to the next planned work (from %(date)s)"),
        "task": _("task"),
        "kpi": {
            "appointments": _("Appointments"),
            "request_to_quote": _("Request → quote"),
            "quote_acceptance": _("Quotes accepted"),
            "dispatch_acceptance": _("Offers accepted by members"),
            "on_time": _("Finished on time"),
            "travel": _("Travel"),
            "median": _("median"),
            "last": _("last"),
            "days": _("days"),
        },
        "no_tiles": _("Without map tiles: points on a plain background."),
        # Every kind written to a package's outbox group (its log); the script shows
        # "event_other" for a kind missing here.
        "event": {
            "quote.created": _("quote created"),
            "quote.revised": _("quote revised"),
            "quote.accepted": _("quote accepted"),
            "quote.declined": _("quote declined by the homeowner"),
            "contract.withdrawn": _("contract withdrawn by the homeowner"),
            "supplement.proposed": _("supplement sent to the homeowner"),
            "supplement.accepted": _("supplement accepted by the homeowner"),
            "supplement.declined": _("supplement declined by the homeowner"),
            "supplement.retracted": _("supplement taken back by the office"),
            "dispatch.offered": _("offered to a workshop"),
            "dispatch.accepted": _("accepted by the workshop"),
            "dispatch.declined": _("declined by the workshop"),
            "dispatch.expired": _("offer expired"),
            "emergency.unanswered": _("emergency: nobody else free now"),
            "package.schedule_changed": _("schedule changed"),
            "board.moved": _("moved on the board"),
            "board.released": _("given back to the planner"),
            "field.status": _("work status reported from the site"),
            "field.checklist": _("checklist updated"),
            "field.time": _("working time recorded"),
            "field.time_changed": _("working time corrected"),
            "field.time_deleted": _("working time deleted"),
            "field.material": _("material recorded"),
            "field.material_changed": _("material corrected"),
            "field.material_deleted": _("material deleted"),
            "field.photo": _("photo added"),
            "field.signature": _("customer signed"),
            "task.done": _("task done"),
            "task.released": _("next task may start"),
            "package.accepted": _("work approved by the homeowner"),
            "package.defects": _("defects reported by the homeowner"),
            "invoice.issued": _("invoice issued"),
            "invoice.cancelled": _("invoice cancelled"),
            "invoice.paid": _("invoice paid"),
        },
        "event_other": _("other event (%(type)s)"),
        "work_started": _("work had begun: bill the work done, in proportion (§ 357a BGB)"),
    }


@office_page
def board_page(request):
    raw = request.GET.get("woche") or request.GET.get("week")
    try:
        monday = board.parse_week(raw)
    except ValidationError:
        monday = board.parse_week(None)
    config = {
        "week": board.iso_week(monday),
        "api": "/api/v1/board",
        # in the page's language (an English clerk stays on English pages); 0 stands for the id
        "revise_url": reverse("jobs:revise-quote", args=[0]),
        "supplement_url": reverse("jobs:new-supplement", args=[0]),
        "order_url": reverse("package", args=[0]),
        "tiles": getattr(settings, "MAP_TILE_URL", ""),
        "tiles_attribution": getattr(settings, "MAP_TILE_ATTRIBUTION", ""),
        "labels": _labels(),
    }
    return render(
        request,
        "scheduling/office/board.html",
        {"config": config, "week": config["week"], "monday": monday},
    )


def _matching_sites(query: str):
    """Known sites for a caller, by phone number, name, company, e-mail, street, postal code or
    city (at most 20)."""
    if not query.split():
        return []
    sites = search_customers(
        Site.objects.select_related("customer"),
        query,
        prefix="customer__",
        street="icontains",
        postal_code="startswith",
        city="icontains",
    )
    return list(sites.order_by("customer__last_name", "street", "pk")[:20])


# First key of the two-key advisory lock one Notdienst form's sends take ("ND").
EMERGENCY_FORM_LOCK_CLASS = 0x4E44


class AlreadySent(Exception):
    """This form was sent before (a double click): the job it made, not a second one."""

    def __init__(self, package):
        super().__init__(package)
        self.package = package


def _place_emergency(data: dict) -> services.EmergencyMatch:
    """The caller's site (known, or made from what she said) and the offer to the nearest free
    worker, in one transaction: when nobody is free, no customer is left behind. A new
    caller's address is located before that transaction. A form sent twice (even at once: the
    token is unique) raises :class:`AlreadySent`."""
    earlier = Package.objects.filter(form_token=data["token"]).first()
    if earlier is not None:
        raise AlreadySent(earlier)
    try:
        return _place_emergency_once(data)
    except IntegrityError:
        earlier = Package.objects.filter(form_token=data["token"]).first()
        if earlier is None:
            raise
        raise AlreadySent(earlier) from None


def _place_emergency_once(data: dict) -> services.EmergencyMatch:
    address = {name: data[name] for name in ("street", "postal_code", "city")}
    # Before the transaction: an online geocoder may take seconds, and nothing should wait on
    # the locks the placement takes meanwhile.
    located = locate_address(**address) if data["site"] is None else None
    with transaction.atomic():
        # A second click waits here until the first is done, then finds its job: without this
        # it would wait for the first's worker locks and then see that worker busy.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s::int, hashtext(%s))",
                [EMERGENCY_FORM_LOCK_CLASS, str(data["token"])],
            )
        earlier = Package.objects.filter(form_token=data["token"]).first()
        if earlier is not None:
            raise AlreadySent(earlier)
        if data["site"] is not None:
            site = Site.objects.get(pk=data["site"])
        else:
            # The site's address is also the customer's, to send the invoice to.
            customer = save_customer({name: data[name] for name in CALLER_FIELDS})
            site = save_site(customer, address, located=located)
        return services.dispatch_emergency(
            site=site,
            trade=Trade.objects.get(code=data["trade"]),
            certification=Certification.objects.filter(code=data["certification"]).first(),
            hours=data["hours"],
            description=data["description"],
            form_token=data["token"],
        )


@office_page
def emergency_page(request):
    """Notdienst: the office takes the call, the nearest qualified worker free now gets a short
    offer on the phone. ``?suche=`` finds the caller among the known sites; a new caller's
    address is located by its postal code."""
    query = request.GET.get("suche", "").strip()
    chosen = None
    if request.method == "POST":
        form = EmergencyForm(request.POST)
        if form.is_valid():
            try:
                match = _place_emergency(form.cleaned_data)
            except Site.DoesNotExist:
                form.add_error(None, _("That site no longer exists; search again."))
            except AlreadySent as sent:
                messages.info(
                    request,
                    _("This call was sent already (#%(package)s); no second worker is sent.")
                    % {"package": sent.package.pk},
                )
                return redirect("office-board")
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                a = match.appointment
                messages.success(
                    request,
                    _(
                        "Emergency offered to %(worker)s (%(workshop)s, %(km)s km away); "
                        "answer by %(deadline)s."
                    )
                    % {
                        "worker": a.worker,
                        "workshop": a.workshop.name,
                        "km": number_format(match.distance_km, decimal_pos=1),
                        "deadline": date_format(
                            timezone.localtime(match.dispatch.deadline), "TIME_FORMAT"
                        ),
                    },
                )
                return redirect("office-board")
        site_id = form.data.get("site")
        chosen = Site.objects.filter(pk=site_id).first() if str(site_id).isdigit() else None
        status = 422
    else:
        site_id = request.GET.get("ort", "")
        chosen = Site.objects.filter(pk=site_id).first() if site_id.isdigit() else None
        form = EmergencyForm(initial={"site": chosen.pk if chosen else None, "token": uuid.uuid4()})
        status = 200
    context = {
        "form": form,
        "query": query,
        "sites": [] if chosen else _matching_sites(query),
        "chosen": chosen,
        "caller_fields": [form[name] for name in CALLER_FIELDS],
    }
    return render(request, "scheduling/office/emergency.html", context, status=status)
