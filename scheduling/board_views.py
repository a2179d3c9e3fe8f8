"""The office's dispatch board page (Plantafel). The page is a shell; its script loads the week
from ``GET /api/v1/board`` and follows the office group live."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from jobs.models import Request
from scheduling import board
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
        "applied": _("Move applied; the workshops have been told."),
        "stale": _("The plan changed meanwhile; check again."),
        "offered": _("Offers"),
        "offers_count": _("offers"),  # after a number: "113 offers"
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
        "decline": _("Decline"),
        "reopen": _("Reopen"),
        "open_package": _("Package"),
        "revise_quote": _("Revise quote"),
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
            "dispatch.offered": _("offered to a workshop"),
            "dispatch.accepted": _("accepted by the workshop"),
            "dispatch.declined": _("declined by the workshop"),
            "dispatch.expired": _("offer expired"),
            "package.schedule_changed": _("schedule changed"),
            "board.moved": _("moved on the board"),
            "board.released": _("given back to the planner"),
            "field.status": _("work status reported from the site"),
            "field.checklist": _("checklist updated"),
            "field.time": _("working time recorded"),
            "field.material": _("material recorded"),
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
        "tiles": getattr(settings, "MAP_TILE_URL", ""),
        "tiles_attribution": getattr(settings, "MAP_TILE_ATTRIBUTION", ""),
        "labels": _labels(),
    }
    return render(
        request, "scheduling/office/board.html", {"config": config, "week": config["week"]}
    )
