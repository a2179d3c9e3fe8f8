"""The demo cooperative's open packages planned end to end, checked by the independent checker."""

import re

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.test import Client, override_settings
from django.utils import timezone

from jobs.models import Package
from scheduling import services
from scheduling.models import Appointment
from scheduling.solver import check_plan
from zunft.core.models import User
from zunft.demo import data

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def planned_demo(django_db_setup, django_db_blocker):
    """The demo seeded and planned once for the module, as `make run` does; rolled back after."""
    quick = override_settings(
        PLANNER_WORKERS=2,
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
    )
    with quick, django_db_blocker.unblock(), transaction.atomic():
        data.seed()
        yield services.plan_cooperative(today=data.REFERENCE_DATE, time_limit=8)
        transaction.set_rollback(True)


def test_the_demo_cooperative_is_planned_and_the_checker_accepts_the_stored_plan(planned_demo):
    run = planned_demo
    assert run.status in {"optimal", "feasible"}, run.messages
    assert run.tasks > 50
    planned = Appointment.objects.exclude(task__package__status=Package.Status.DONE)
    assert planned.count() == run.tasks  # the demo's past (finished jobs) is not re-planned

    ctx = services.build_problem(services.plan_start(data.REFERENCE_DATE))
    assert check_plan(ctx.problem, services.stored_plan(ctx)) == []
    # every appointment keeps clear of the day its customer blocked
    for a in planned.select_related("task__package"):
        blocked = {d.isoformat() for d in a.task.package.blocked_days}
        assert not blocked & {s["date"] for s in a.segments}


def log_in_by_code(email: str) -> tuple[Client, str]:
    client = Client()
    client.post("/anmelden/", {"email": email})
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].subject).group(1)
    landed = client.post("/anmelden/", {"email": email, "code": code})
    return client, landed["Location"]


def test_the_demo_homeowner_sees_her_planned_order_and_the_quote_she_can_accept(planned_demo):
    """The README's homeowner login shows her side of the portal, not an empty list."""
    homeowner = User.objects.get(username=data.HOMEOWNER)
    client, landed = log_in_by_code(homeowner.email)
    assert landed == "/meine-auftraege/"

    mine = Package.objects.filter(customer__user=homeowner)
    bathroom = mine.get(status=Package.Status.ACCEPTED)
    windows = mine.get(status=Package.Status.QUOTED)
    offer = windows.quotes.get(status="open")
    planned = Appointment.objects.filter(task__package=bathroom).exclude(status="cancelled")
    assert planned.count() == bathroom.tasks.count() > 0
    first = timezone.localtime(min(a.start for a in planned)).date()
    last = timezone.localtime(max(a.end for a in planned)).date()
    assert first >= bathroom.earliest_start

    # "Meine Aufträge": both, the bathroom with the days the planner gave it.
    page = client.get("/meine-auftraege/").content.decode()
    cards = dict(re.findall(r'<li class="card order" data-package="(\d+)">(.*?)</li>', page, re.S))
    assert set(cards) == {str(bathroom.pk), str(windows.pk)}
    assert f'href="/auftrag/{bathroom.pk}/"' in cards[str(bathroom.pk)]
    work_days = re.search(r'data-testid="work-days">(.*?)</p>', cards[str(bathroom.pk)], re.S)
    assert f'datetime="{first:%Y-%m-%d}"' in work_days.group(1)
    assert f'datetime="{last:%Y-%m-%d}"' in work_days.group(1)
    assert f'href="/angebot/{offer.pk}/"' in cards[str(windows.pk)]

    # Her order's page: every part of the bathroom with its planned dates.
    order = client.get(f"/auftrag/{bathroom.pk}/").content.decode()
    assert order.count('class="when"') == bathroom.tasks.count()
    assert first.strftime("%d.%m.") in order
    # The accepted quote is among her documents.
    assert 'data-testid="documents"' in order and "/angebot/" in order
    assert f"Angebot {bathroom.pk}-1" in order  # named as the quote names itself
    site = bathroom.site
    assert f"{site.street}, {site.postal_code} {site.city}</span>" in order  # where, in full
    # A tradesperson on the job sees no prices, and is told why the list is empty.
    from trades.models import Worker

    worker = Worker.objects.filter(workshop=planned.first().workshop, user__isnull=False).first()
    member = Client()
    member.force_login(worker.user)
    theirs = member.get(f"/auftrag/{bathroom.pk}/").content.decode()
    assert 'data-testid="documents-members"' in theirs and "/angebot/" not in theirs

    # The windows' quote waits for her: she can accept it (on the demo's day; it expires a month
    # later), and then it is planned too.
    with time_machine.travel(f"{data.REFERENCE_DATE} 10:00 +01:00", tick=False):
        assert 'data-testid="accept"' in client.get(f"/angebot/{offer.pk}/").content.decode()
    from jobs.services import accept_quote

    accept_quote(offer.pk, version=offer.version, user=homeowner, today=data.REFERENCE_DATE)
    with override_settings(PLANNER_WORKERS=2):
        run = services.plan_cooperative(today=data.REFERENCE_DATE, time_limit=8)
    assert run.status in {"optimal", "feasible"}, run.messages
    assert Appointment.objects.filter(task__package=windows).count() == windows.tasks.count()
    assert Appointment.objects.exclude(task__package__status="done").count() == run.tasks
