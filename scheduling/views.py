"""The homeowner's package page (live timeline) and its calendar download."""

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jobs.acceptance import acceptable
from jobs.documents import documents_for
from jobs.models import Package
from jobs.supplement_views import supplements_for_page
from jobs.supplements import supplementable
from jobs.withdrawal import withdrawal_state
from scheduling import messages
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
        "withdrawn": _("withdrawn from the contract"),
        "dropped": _("dropped"),
        "message_empty": _("No messages yet."),
        "message_sent": _("sent"),
        "message_failed": _("Could not send; please try again."),
    }
    is_owner = package.customer.user_id == request.user.pk
    sees_prices = is_owner or request.user.is_office
    closed = bool(supplementable(package))
    return render(
        request,
        "scheduling/package.html",
        {
            "package": package,
            "timeline": package_timeline(package),
            "labels": labels,
            "can_accept": is_owner and not acceptable(package),
            "is_owner": is_owner,
            "messages_log": messages.visible_messages(request.user, package).order_by("id"),
            "may_write": is_owner or bool(messages.own_working_workshops(request.user, package)),
            "documents": documents_for(request.user, package),
            "message_error": request.session.pop("message_error", None),
            "withdrawal": withdrawal_state(package) if is_owner else None,
            "supplements": supplements_for_page(package) if sees_prices else None,
            # A withdrawn, finished or cancelled order takes no decisions on supplements either.
            "supplements_closed": closed,
            "may_supplement": request.user.is_office and not closed,
            "today": timezone.localdate(),
        },
    )


@login_required(login_url="login")
@require_POST
def package_message(request, package_id: int):
    """The message form without JavaScript (the script posts to the API instead)."""
    package = visible_package(request, package_id)
    try:
        messages.post_message(request.user, package, request.POST.get("body", ""))
    except ValidationError as error:
        request.session["message_error"] = " ".join(error.messages)
    else:
        flash.success(request, _("Your message has been sent to the office."))
    return redirect(f"{reverse('package', args=[package.pk])}#nachrichten")


@login_required(login_url="login")
def package_ics(request, package_id: int):
    package = visible_package(request, package_id)
    appointments = Appointment.objects.filter(task__package=package).select_related(
        "task__package__site", "task__package__customer", "task__package__template"
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
