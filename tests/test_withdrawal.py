"""A homeowner withdraws from the contract online (§ 355, § 356a BGB): the button on the order,
the statement to confirm, the acknowledgement by mail; the work stops and its appointments
and offers go."""

import datetime as dt
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone

from jobs.models import Package, Quote, Task
from jobs.services import accept_quote
from jobs.withdrawal import withdrawal_deadline
from scheduling.dispatch import offer
from scheduling.models import Appointment, Dispatch
from tests.test_journey_api import portal, submit, wizard  # noqa: F401 - fixture
from tests.test_planner_integration import bathroom  # noqa: F401 - fixture
from zunft.core.models import Event

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def ordered(portal, django_capture_on_commit_callbacks):  # noqa: F811
    """Greta's accepted bathroom: one task accepted by Anton, the next offered to workshop B."""
    quote = Quote.objects.get(pk=submit(Client(), wizard()).json()["quote"]["id"])
    package = quote.package
    user = package.customer.user
    with django_capture_on_commit_callbacks(execute=True):
        accept_quote(quote.pk, version=1, user=user, early_start_consent=True)
    first, second = package.tasks.order_by("position", "id")[:2]
    start = timezone.now().replace(microsecond=0) + dt.timedelta(days=21)
    accepted = Appointment.objects.create(
        task=first,
        workshop=portal.a,
        worker=portal.anton_worker,
        start=start,
        end=start + dt.timedelta(hours=4),
        segments=[],
        status=Appointment.Status.ACCEPTED,
    )
    Dispatch.objects.create(
        appointment=accepted, workshop=portal.a, status=Dispatch.Status.ACCEPTED
    )
    offered = offer(
        Appointment.objects.create(
            task=second,
            workshop=portal.b,
            start=start + dt.timedelta(days=1),
            end=start + dt.timedelta(days=1, hours=4),
            segments=[],
        )
    )
    homeowner = Client()
    homeowner.force_login(user)
    mail.outbox.clear()
    return SimpleNamespace(
        package=package, quote=quote, user=user, client=homeowner, accepted=accepted, offer=offered
    )


def page_of(client, package) -> str:
    response = client.get(f"/auftrag/{package.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_homeowner_withdraws_on_her_order_and_the_work_stops(
    ordered,
    portal,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    package, client = ordered.package, ordered.client
    deadline = withdrawal_deadline(Quote.objects.get(pk=ordered.quote.pk).accepted_at)
    order = page_of(client, package)
    assert "Vertrag hier widerrufen" in order
    assert f"bis einschließlich {deadline:%d.%m.%Y}" in order

    statement = client.get(f"/auftrag/{package.pk}/widerruf/").content.decode()
    assert "Hiermit widerrufe ich den oben genannten Vertrag." in statement
    assert "greta@example.org" in statement  # where the acknowledgement goes
    assert f"Angebot {package.pk}-1, angenommen am" in statement
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = client.post(f"/auftrag/{package.pk}/widerruf/")
    assert confirmed.status_code == 302 and confirmed["Location"] == f"/auftrag/{package.pk}/"

    package.refresh_from_db()
    assert package.status == Package.Status.CANCELLED and package.withdrawn_by == ordered.user
    assert set(package.tasks.values_list("status", flat=True)) == {Task.Status.CANCELLED}
    for appointment in (ordered.accepted, ordered.offer.appointment):
        before = appointment.sequence
        appointment.refresh_from_db()
        # Gone from the planner, the workshop's board and the worker's calendar.
        assert appointment.status == Appointment.Status.CANCELLED
        assert appointment.sequence == before + 1
    assert not Dispatch.objects.exclude(status=Dispatch.Status.WITHDRAWN).exists()
    groups = set(Event.objects.filter(type="contract.withdrawn").values_list("group", flat=True))
    assert groups == {"office", f"package.{package.pk}"}
    told = set(
        Event.objects.filter(type__endswith="schedule_changed").values_list("group", flat=True)
    )
    assert {f"worker.{portal.anton_worker.pk}", f"workshop.{portal.a.pk}"} <= told
    assert f"workshop.{portal.b.pk}" in told

    acknowledgement = mail.outbox[-1]
    assert acknowledgement.to == ["greta@example.org"]
    received = timezone.localtime(package.withdrawn_at)
    assert f"Eingegangen: {received:%d.%m.%Y}, {received:%H:%M} Uhr" in acknowledgement.body
    assert "„Hiermit widerrufe ich den oben genannten Vertrag.“" in acknowledgement.body
    assert "anteilig" not in acknowledgement.body  # no work had begun
    order = page_of(client, package)
    assert "Sie haben diesen Vertrag am" in order and "Vertrag hier widerrufen" not in order

    # A second click (another tab, a retry) changes nothing and mails nothing.
    sent = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/auftrag/{package.pk}/widerruf/").status_code == 302
    assert len(mail.outbox) == sent
    api = client.post(f"/api/v1/packages/{package.pk}/withdrawal")
    assert api.status_code == 200 and api.json()["possible"] is False


def test_work_begun_at_her_request_is_paid_in_proportion_and_the_office_hears_of_it(
    ordered, django_capture_on_commit_callbacks
):
    Task.objects.filter(pk=ordered.accepted.task_id).update(status=Task.Status.IN_PROGRESS)
    client, package = ordered.client, ordered.package
    statement = client.get(f"/auftrag/{package.pk}/widerruf/").content.decode()
    assert 'data-testid="withdrawal-work-started"' in statement
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(f"/api/v1/packages/{package.pk}/withdrawal")
    assert answer.status_code == 200 and answer.json()["withdrawn_at"]
    assert "anteilig (§ 357a Abs. 2 BGB)" in mail.outbox[-1].body
    event = Event.objects.get(type="contract.withdrawn", group="office")
    assert event.data["work_started"] is True


def test_after_the_period_there_is_no_button_and_a_withdrawal_is_refused_with_the_date(ordered):
    package, client = ordered.package, ordered.client
    deadline = withdrawal_deadline(Quote.objects.get(pk=ordered.quote.pk).accepted_at)
    with time_machine.travel(dt.datetime.combine(deadline, dt.time(23, 59), BERLIN), tick=False):
        client.force_login(ordered.user)  # a session of today
        assert "Vertrag hier widerrufen" in page_of(client, package)  # the last day counts
    after = dt.datetime.combine(deadline + dt.timedelta(days=1), dt.time(0, 1), BERLIN)
    with time_machine.travel(after, tick=False):
        client.force_login(ordered.user)
        assert "Vertrag hier widerrufen" not in page_of(client, package)
        refused = client.post(f"/api/v1/packages/{package.pk}/withdrawal")
        assert refused.status_code == 409
        assert refused.json()["detail"] == (
            f"Die Widerrufsfrist ist am {deadline:%d.%m.%Y} abgelaufen."
        )
        page = client.post(f"/auftrag/{package.pk}/widerruf/")
        assert page.status_code == 409 and "abgelaufen" in page.content.decode()
    package.refresh_from_db()
    assert package.status == Package.Status.ACCEPTED and package.withdrawn_at is None
    assert not mail.outbox


def test_a_business_an_open_quote_and_a_stranger_have_nothing_to_withdraw(
    ordered,
    portal,  # noqa: F811
):
    package, client = ordered.package, ordered.client
    fresh = Quote.objects.get(pk=submit(client, wizard()).json()["quote"]["id"])
    refused = client.post(f"/api/v1/packages/{fresh.package_id}/withdrawal")
    assert refused.status_code == 409  # not accepted: she declines the quote instead
    assert refused.json()["detail"] == "Es gibt keinen Auftrag, der widerrufen werden könnte."

    customer = package.customer
    customer.kind = customer.Kind.BUSINESS
    customer.company = "Grote GmbH"
    customer.save()
    assert "Vertrag hier widerrufen" not in page_of(client, package)
    refused = client.post(f"/api/v1/packages/{package.pk}/withdrawal")
    assert refused.status_code == 409
    assert "kein gesetzliches Widerrufsrecht" in refused.json()["detail"]

    stranger = Client()
    stranger.force_login(portal.heinz)
    assert stranger.post(f"/api/v1/packages/{package.pk}/withdrawal").status_code == 404
    assert stranger.get(f"/auftrag/{package.pk}/widerruf/").status_code == 404
    package.refresh_from_db()
    assert package.withdrawn_at is None and package.status == Package.Status.ACCEPTED


@pytest.mark.parametrize(
    ("accepted", "last_day"),
    [
        ("2026-12-09 10:00", "2026-12-23"),  # a Wednesday: fourteen days later
        ("2026-11-28 10:00", "2026-12-14"),  # ends on a Saturday: the Monday after
        ("2026-12-11 10:00", "2026-12-28"),  # Christmas Day, Boxing Day, Sunday: Monday
        ("2026-12-09 23:30", "2026-12-23"),  # late in the evening counts as that day, not UTC's
    ],
)
def test_the_period_runs_fourteen_days_from_the_contract_to_a_working_day(
    portal,  # noqa: F811
    accepted,
    last_day,
):
    at = dt.datetime.fromisoformat(accepted).replace(tzinfo=BERLIN)
    assert withdrawal_deadline(at) == dt.date.fromisoformat(last_day)


def test_the_order_confirmation_links_the_withdrawal_function(
    portal,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    quote = Quote.objects.get(pk=submit(Client(), wizard()).json()["quote"]["id"])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        accept_quote(
            quote.pk, version=1, user=quote.package.customer.user, early_start_consent=True
        )
    assert f"/auftrag/{quote.package_id}/widerruf/" in mail.outbox[-1].body


def test_a_plan_solved_while_the_homeowner_withdrew_writes_nothing_for_her_order(
    coop,
    bathroom,  # noqa: F811
    monkeypatch,
):
    from scheduling import services
    from scheduling.solver import planner
    from tests.test_planner_integration import TODAY, book

    package = book(coop, bathroom, coop.hanna_site)
    other = book(coop, bathroom, coop.heinz_site)
    solve = planner.plan

    def withdrawn_meanwhile(problem, options):
        result = solve(problem, options)
        # She withdraws while the planner was solving (the package's status as a withdrawal
        # leaves it; the rule for her right is tested above).
        Package.objects.filter(pk=package.pk).update(status=Package.Status.CANCELLED)
        return result

    monkeypatch.setattr(services.solver, "plan", withdrawn_meanwhile)
    services.plan_cooperative(today=TODAY, time_limit=3)
    assert not Appointment.objects.filter(task__package=package).exists()
    assert Appointment.objects.filter(task__package=other).count() == 3


def test_her_order_list_shows_the_withdrawn_order_as_withdrawn_and_leads_to_it(ordered):
    client, package = ordered.client, ordered.package
    assert client.post(f"/api/v1/packages/{package.pk}/withdrawal").status_code == 200
    listed = client.get("/meine-auftraege/").content.decode()
    card = listed.split(f'data-package="{package.pk}"')[1].split("</li>")[0]
    today = timezone.localdate()
    assert f"am {today:%d.%m.%Y} von Ihnen widerrufen" in card
    assert f'href="/auftrag/{package.pk}/"' in card and "gültig bis" not in card


def test_finished_work_ends_the_right_only_when_she_asked_for_the_early_start(ordered):
    from jobs.withdrawal import withdrawal_state

    package = ordered.package
    Package.objects.filter(pk=package.pk).update(status=Package.Status.DONE)
    package.refresh_from_db()
    state = withdrawal_state(package)
    assert not state.possible and "§ 356 Abs. 4 BGB" in state.reason  # she consented
    Quote.objects.filter(pk=ordered.quote.pk).update(early_start_consent=False)
    state = withdrawal_state(package)
    assert "vorzeitig" not in state.reason  # no early start was asked for: not that reason
    deadline = withdrawal_deadline(Quote.objects.get(pk=ordered.quote.pk).accepted_at)
    later = dt.datetime.combine(deadline + dt.timedelta(days=3), dt.time(9), BERLIN)
    with time_machine.travel(later, tick=False):
        state = withdrawal_state(package)
    assert state.reason == f"Die Widerrufsfrist ist am {deadline:%d.%m.%Y} abgelaufen."


def test_the_office_reads_that_the_homeowner_withdrew_not_that_it_did(
    ordered,
    portal,  # noqa: F811
):
    assert (
        ordered.client.post(f"/api/v1/packages/{ordered.package.pk}/withdrawal").status_code == 200
    )
    office = Client()
    office.force_login(portal.olga)
    page = office.get(f"/auftrag/{ordered.package.pk}/").content.decode()
    assert "Der Kunde hat diesen Vertrag am" in page and "Sie haben diesen Vertrag" not in page


def test_the_early_start_consent_is_asked_up_to_the_periods_real_last_day(
    portal,  # noqa: F811
):
    from jobs.services import needs_early_start_consent

    quote = Quote.objects.get(pk=submit(Client(), wizard()).json()["quote"]["id"])
    friday = dt.date(2026, 11, 27)  # fourteen days on is Friday 11 December: a working day
    quote.start_date = dt.date(2026, 12, 14)
    assert not needs_early_start_consent(quote, friday)
    saturday_start = dt.date(2026, 11, 28)  # the period would end on a Saturday: Monday 14th
    assert needs_early_start_consent(quote, saturday_start)
