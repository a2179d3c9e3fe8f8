"""Mails to member workshops about what must not wait until someone opens the field app: new
offers (one mail per workshop and plan, a Notdienst at once) and jobs left without a worker.
Short, with a link: the details are read behind the login. Sent after the commit, to the
workshop's address and its admins'."""

from collections import defaultdict
from functools import wraps

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from scheduling.models import Appointment, Dispatch

FIELD_URL = "/monteur/"


def _recipients(workshop) -> list[str]:
    admins = workshop.admins.filter(is_active=True).exclude(email="")
    emails = [workshop.email, *admins.values_list("email", flat=True)]
    return sorted({e.strip().lower() for e in emails if e and e.strip()})


def _when(moment) -> str:
    return date_format(timezone.localtime(moment), "D d.m.Y H:i")


def _send(subject: str, lines: list[str], recipients: list[str]) -> None:
    # Robust: a mail server that fails must not turn the committed plan into an error, nor
    # keep the live events queued after it from going out.
    if recipients:
        text = "\n".join(lines)
        transaction.on_commit(lambda: send_mail(subject, text, None, recipients), robust=True)


def in_the_cooperatives_language(function):
    """The workshops read German, whoever's click (an English office page, a homeowner's
    Notdienst) set the mail off."""

    @wraps(function)
    def wrapped(*args, **kwargs):
        with translation.override(settings.LANGUAGE_CODE):
            return function(*args, **kwargs)

    return wrapped


@in_the_cooperatives_language
def mail_offers(dispatches) -> None:
    """New offers, grouped per workshop: what, where (the town only), when, answer by when."""
    by_workshop = defaultdict(list)
    for d in (
        Dispatch.objects.filter(pk__in=[d.pk for d in dispatches], status="offered")
        .select_related("workshop", "appointment__task__trade", "appointment__task__package__site")
        .order_by("appointment__start", "pk")
    ):
        by_workshop[d.workshop].append(d)
    from scheduling.services import EMERGENCY_TASK_CODE

    for workshop, offers in by_workshop.items():
        urgent = any(d.appointment.task.code == EMERGENCY_TASK_CODE for d in offers)
        first = offers[0].appointment.task
        if urgent:
            subject = _("NOTDIENST: %(task)s in %(city)s, answer at once") % {
                "task": first.name,
                "city": first.package.site.city,
            }
        elif len(offers) == 1:
            subject = _("New offer: %(task)s in %(city)s") % {
                "task": first.name,
                "city": first.package.site.city,
            }
        else:
            subject = ngettext(
                "%(count)s new offer for %(workshop)s",
                "%(count)s new offers for %(workshop)s",
                len(offers),
            ) % {"count": len(offers), "workshop": workshop.name}
        lines = [_("New offers for %(workshop)s:") % {"workshop": workshop.name}, ""]
        for d in offers:
            a, task = d.appointment, d.appointment.task
            lines.append(
                _("- %(task)s (%(trade)s), %(city)s, from %(start)s, %(hours)s h")
                % {
                    "task": task.name,
                    "trade": task.trade.name,
                    "city": task.package.site.city,
                    "start": _when(a.start),
                    "hours": _hours(task.duration_hours),
                }
            )
            lines.append("  " + _("answer by %(deadline)s") % {"deadline": _when(d.deadline)})
        lines += ["", _("Accept or decline in the app: %(url)s") % {"url": _offers_url()}]
        _send(subject, lines, _recipients(workshop))


@in_the_cooperatives_language
def mail_unstaffed(appointments: list[Appointment]) -> None:
    """Jobs whose worker cannot do them (away, let go) and no colleague was free: the workshop
    chooses someone."""
    by_workshop = defaultdict(list)
    for a in appointments:
        by_workshop[a.workshop].append(a)
    for workshop, jobs in by_workshop.items():
        if len(jobs) == 1:
            subject = _("A job needs a worker: %(task)s") % {"task": jobs[0].task.name}
        else:
            subject = ngettext(
                "%(count)s job needs a worker", "%(count)s jobs need a worker", len(jobs)
            ) % {"count": len(jobs)}
        lines = [
            _(
                "Nobody of your team who can do it is free then (the worker is away or no "
                "longer in the team). Please choose someone in the app (Team), or ask the "
                "office to move the job:"
            ),
            "",
        ]
        lines += [f"- {a.task.name}, {_when(a.start)}: {_job_url(a)}" for a in jobs]
        _send(subject, lines, _recipients(workshop))


def _hours(value) -> str:
    whole = value == value.to_integral_value()
    return number_format(value, decimal_pos=0 if whole else 1)


def _offers_url() -> str:
    return f"{settings.SITE_URL}{FIELD_URL}#/angebote"


def _job_url(appointment: Appointment) -> str:
    return f"{settings.SITE_URL}{FIELD_URL}#/termin/{appointment.pk}"
