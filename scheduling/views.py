"""The homeowner's package page (live timeline) and its calendar download."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from jobs.acceptance import acceptable
from jobs.models import Package
from scheduling.api import package_timeline, visible_package
from scheduling.feeds import build_calendar
from scheduling.models import Appointment


@login_required(login_url="login")
def package_page(request, package_id: int):
    package = visible_package(request, package_id)
    labels = {
        "confirmed": _("confirmed"),
        "done": _("done"),
        "in_progress": _("in progress"),
        "planned": _("planned"),
        "planning": _("being planned"),
        "state": {
            "connecting": _("connecting…"),
            "live": _("live"),
            "offline": _("offline — retrying"),
        },
        "package": dict(Package.Status.choices),
    }
    return render(
        request,
        "scheduling/package.html",
        {
            "package": package,
            "timeline": package_timeline(package),
            "labels": labels,
            "can_accept": package.customer.user_id == request.user.pk and not acceptable(package),
            "acceptances": package.acceptances.all(),
        },
    )


@login_required(login_url="login")
def package_ics(request, package_id: int):
    package = visible_package(request, package_id)
    appointments = Appointment.objects.filter(task__package=package).select_related(
        "task__package__site", "task__package__customer"
    )
    body = build_calendar(appointments, name=package.title)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="auftrag-{package.pk}.ics"'
    return response


def feed(request, token: str):
    """A calendar feed behind its secret token; no session needed (calendar apps have none)."""
    from django.http import Http404

    from scheduling.calendars import feed_body

    body = feed_body(token)
    if body is None:
        raise Http404
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    return response
