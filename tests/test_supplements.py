"""Supplements to a running order (Nachträge): the office writes up work found on site, the
homeowner accepts or declines it on her order page; accepted, it is planned and invoiced."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.utils import timezone

from jobs.models import Package, QuoteLine, Supplement, Task, TaskDependency
from jobs.supplements import accept_supplement, propose_supplement
from tests.test_journey_api import portal, submit, wizard  # noqa: F401 - fixture
from tests.test_planner_integration import TODAY, bathroom, book  # noqa: F401 - fixture
from tests.test_withdrawal import ordered  # noqa: F401 - fixture
from zunft.core.models import Event, Operation

pytestmark = pytest.mark.django_db


def office_client(portal) -> Client:  # noqa: F811
    client = Client()
    client.force_login(portal.olga)
    return client


def work(**changes) -> dict:
    return {"name": "Wand abdichten", "trade": "sanitaer", "duration_hours": 3, **changes}


def test_the_office_writes_a_supplement_and_the_homeowner_orders_it_on_her_order_page(
    ordered,  # noqa: F811
    portal,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    package, homeowner = ordered.package, ordered.client
    rough, wiring = package.tasks.order_by("position", "id")[:2]
    office = office_client(portal)
    form = office.get(f"/buero/auftraege/{package.pk}/nachtrag/")
    assert form.status_code == 200 and "Neuer Nachtrag" in form.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        sent = office.post(
            f"/buero/auftraege/{package.pk}/nachtrag/",
            {
                "reason": "Hinter den Fliesen ist die Wand nass: sie muss abgedichtet werden.",
                "tasks-TOTAL_FORMS": "3",
                "tasks-INITIAL_FORMS": "0",
                "tasks-0-name": "Wand abdichten",
                "tasks-0-trade": "sanitaer",
                "tasks-0-duration_hours": "3,5",
                "tasks-0-crew_size": "2",
                "tasks-0-material_cost": "1.120,00",
                "tasks-0-after": str(rough.pk),
                "tasks-0-before": str(wiring.pk),
                "tasks-1-crew_size": "1",  # an untouched extra row
            },
        )
    assert sent.status_code == 302 and sent["Location"] == f"/auftrag/{package.pk}/#nachtraege"

    supplement = Supplement.objects.get(package=package)
    agreed = QuoteLine.objects.get(
        quote=ordered.quote, kind="labour", trade="Installateur", text=rough.name_de
    ).unit_price
    lines = {line.kind: line for line in supplement.lines.all()}
    # 3.5 h × 2 people at the plumbing rate she accepted, the material, the coordination fee
    assert lines["labour"].quantity == Decimal("7.00") and lines["labour"].unit_price == agreed
    assert lines["material"].net == Decimal("1120.00")
    assert lines["fee"].net > 0
    assert supplement.gross == supplement.net + supplement.vat
    assert supplement.net == sum(line.net for line in lines.values())
    assert not package.tasks.filter(code__startswith="nachtrag").exists()  # not before she says yes
    told = mail.outbox[-1]
    assert told.to == ["greta@example.org"] and "Nachtrag" in told.subject
    assert "Hinter den Fliesen ist die Wand nass" in told.body
    assert f"/auftrag/{package.pk}/#nachtraege" in told.body

    orders = homeowner.get("/meine-auftraege/").content.decode()
    assert "Ein Nachtrag wartet auf Ihre Entscheidung" in orders
    from scheduling.board import side_lists

    waiting = side_lists(timezone.now())["supplements"]
    assert [(s["package"], s["number"], s["expired"]) for s in waiting] == [(package.pk, 1, False)]
    page = homeowner.get(f"/auftrag/{package.pk}/").content.decode()
    assert "Nachtrag 1" in page and "sie muss abgedichtet werden" in page
    assert "Nachtrag zahlungspflichtig beauftragen" in page
    with django_capture_on_commit_callbacks(execute=True):
        unticked = homeowner.post(f"/auftrag/{package.pk}/nachtrag/{supplement.pk}/annehmen/")
        assert not package.tasks.filter(code__startswith="nachtrag").exists()
        ordered_it = homeowner.post(
            f"/auftrag/{package.pk}/nachtrag/{supplement.pk}/annehmen/",
            {"early_start_consent": "on"},
        )
    assert unticked.status_code == 302 and ordered_it.status_code == 302
    assert Supplement.objects.get(pk=supplement.pk).early_start_consent

    new = package.tasks.get(code="nachtrag-1-1")
    assert (new.name_de, new.trade.code, new.crew_size) == ("Wand abdichten", "sanitaer", 2)
    assert new.duration_hours == Decimal("3.5") and new.material_cost == Decimal("1120.00")
    assert TaskDependency.objects.filter(predecessor=rough, successor=new).exists()
    assert TaskDependency.objects.filter(predecessor=new, successor=wiring).exists()
    groups = set(Event.objects.filter(type="supplement.accepted").values_list("group", flat=True))
    assert groups == {"office", f"package.{package.pk}"}
    replan = Operation.objects.filter(kind="replan").latest("id")
    assert f"supplement 1 to package {package.pk} accepted" in replan.params["reasons"]
    confirmation = mail.outbox[-1]
    assert "Nachtrag 1 angenommen" in confirmation.subject
    assert "1. Wand abdichten: 7 Std." in confirmation.body
    ((name, content, mimetype),) = confirmation.attachments
    assert name == f"nachtrag-{package.pk}-1.pdf" and mimetype == "application/pdf"
    assert content.startswith(b"%PDF")
    pdf = homeowner.get(f"/auftrag/{package.pk}/nachtrag/{supplement.pk}.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    page = homeowner.get(f"/auftrag/{package.pk}/").content.decode()
    assert "angenommen am" in page and "zahlungspflichtig" not in page
    assert f'href="/auftrag/{package.pk}/nachtrag/{supplement.pk}.pdf"' in page  # her documents
    assert "wartet auf Ihre Entscheidung" not in homeowner.get("/meine-auftraege/").content.decode()
    assert side_lists(timezone.now())["supplements"] == []
    assert "Wand abdichten" in page  # in the timeline too, being planned

    # A second tab's click changes nothing; saying no now is too late.
    accept_supplement(supplement.pk, user=ordered.user, early_start_consent=True)
    assert package.tasks.filter(code__startswith="nachtrag").count() == 1
    late = homeowner.post(f"/api/v1/supplements/{supplement.pk}/decline")
    assert late.status_code == 409


def test_a_supplement_refused_names_each_field_and_writes_nothing(
    ordered,  # noqa: F811
    portal,  # noqa: F811
):
    package = ordered.package
    rough, wiring = package.tasks.order_by("position", "id")[:2]
    Task.objects.filter(pk=wiring.pk).update(status=Task.Status.IN_PROGRESS)
    office = office_client(portal)
    answer = office.post(
        f"/api/v1/packages/{package.pk}/supplements",
        {
            "reason": "Wand nass",
            "tasks": [
                work(trade="dachdecker"),
                work(before=wiring.pk),
                work(after=wiring.pk, before=rough.pk),
                work(after=999_999),
            ],
        },
        content_type="application/json",
    )
    assert answer.status_code == 422
    errors = {".".join(e["loc"][1:]): e["msg"] for e in answer.json()["detail"]}
    assert errors["tasks.1.trade"] == "Bitte wählen Sie eines der Gewerke der Genossenschaft."
    assert "hat bereits begonnen" in errors["tasks.2.before"]
    assert "kommt vor" in errors["tasks.3.before"]  # the rough-in comes before the wiring
    assert errors["tasks.4.after"] == "Bitte wählen Sie einen Teil dieses Auftrags."
    assert not Supplement.objects.exists()

    # Two pieces that would wait for each other through the order of work: a circle too (the
    # rough-in and the final fit made independent for it).
    finish = package.tasks.get(code="finish")
    TaskDependency.objects.filter(package=package).delete()
    Task.objects.filter(pk=wiring.pk).update(status=Task.Status.PLANNED)
    circle = office.post(
        f"/api/v1/packages/{package.pk}/supplements",
        {
            "reason": "Wand nass",
            "tasks": [
                work(after=rough.pk, before=finish.pk),
                work(after=finish.pk, before=rough.pk),
            ],
        },
        content_type="application/json",
    )
    assert circle.status_code == 422
    assert [e["loc"][1:] for e in circle.json()["detail"]] == [["tasks", "2", "before"]]
    # Nor before work a worker has accepted (the planner keeps it where it is), nor with a
    # trade nobody does at this site.
    Task.objects.filter(pk=wiring.pk).update(status=Task.Status.ASSIGNED)
    from tests import factories as f

    f.TradeFactory(code="dach", name_de="Dachdecker", name_en="Roofing")
    accepted = office.post(
        f"/api/v1/packages/{package.pk}/supplements",
        {"reason": "Wand nass", "tasks": [work(before=wiring.pk), work(trade="dach")]},
        content_type="application/json",
    )
    errors = {".".join(e["loc"][1:]): e["msg"] for e in accepted.json()["detail"]}
    assert "von einem Monteur angenommen" in errors["tasks.1.before"]
    assert "an diesem Ort" in errors["tasks.2.trade"]
    assert not Supplement.objects.exists()

    # The page says the same at each row's field.
    page = office.post(
        f"/buero/auftraege/{package.pk}/nachtrag/",
        {
            "reason": "",
            "tasks-TOTAL_FORMS": "1",
            "tasks-INITIAL_FORMS": "0",
            "tasks-0-name": "Wand abdichten",
            "tasks-0-trade": "sanitaer",
            "tasks-0-duration_hours": "2",
            "tasks-0-crew_size": "1",
            "tasks-0-before": str(wiring.pk),
        },
    )
    body = page.content.decode()
    assert page.status_code == 422
    # In one round: the missing reason and the row's place in the order of work.
    assert "Begründung für den Eigentümer – Bitte schreiben Sie dem Eigentümer" in body
    assert "Arbeit 1: fertig vor – „Elektro“ hat bereits begonnen" in body
    assert not Supplement.objects.exists()

    # Only the office writes them; the workshops do not even see them.
    homeowner = ordered.client.post(
        f"/api/v1/packages/{package.pk}/supplements",
        {"reason": "x", "tasks": [work()]},
        content_type="application/json",
    )
    assert homeowner.status_code == 403
    workshop = Client()
    workshop.force_login(portal.alice)
    assert workshop.get(f"/api/v1/packages/{package.pk}/supplements").status_code == 404
    assert "Nachträge" not in workshop.get(f"/auftrag/{package.pk}/").content.decode()
    supplement = propose_supplement(package, reason="Wand nass", tasks=[work()])
    order = workshop.get(f"/auftrag/{package.pk}/").content.decode()
    assert "Nachtrag 1" not in order and "nachtrag" not in order
    assert workshop.get(f"/auftrag/{package.pk}/nachtrag/{supplement.pk}.pdf").status_code == 404


def test_an_order_not_running_takes_no_supplement(portal):  # noqa: F811
    quoted = Package.objects.get(pk=submit(Client(), wizard()).json()["package_id"])
    office = office_client(portal)
    answer = office.post(
        f"/api/v1/packages/{quoted.pk}/supplements",
        {"reason": "Wand nass", "tasks": [work()]},
        content_type="application/json",
    )
    assert answer.status_code == 409 and "Angebot" in answer.json()["detail"]
    page = office.get(f"/buero/auftraege/{quoted.pk}/nachtrag/").content.decode()
    assert "Dieser Auftrag nimmt keinen Nachtrag an" in page


def test_declined_taken_back_and_expired_supplements_cannot_be_ordered(
    ordered,  # noqa: F811
    portal,  # noqa: F811
):
    package, homeowner = ordered.package, ordered.client
    first = propose_supplement(package, reason="Wand nass", tasks=[work()])
    declined = homeowner.post(f"/api/v1/supplements/{first.pk}/decline")
    assert declined.status_code == 200 and declined.json()["status"] == "declined"
    assert Event.objects.filter(group="office", type="supplement.declined").exists()
    again = homeowner.post(
        f"/api/v1/supplements/{first.pk}/accept",
        {"early_start_consent": True},
        content_type="application/json",
    )
    assert again.status_code == 409 and "abgelehnt" in again.json()["detail"]

    second = propose_supplement(package, reason="Noch eine Dose", tasks=[work(trade="elektro")])
    assert second.number == 2
    office = office_client(portal)
    taken = office.post(f"/buero/nachtraege/{second.pk}/zuruecknehmen/")
    assert taken.status_code == 302
    refused = homeowner.post(
        f"/api/v1/supplements/{second.pk}/accept",
        {"early_start_consent": True},
        content_type="application/json",
    )
    assert refused.status_code == 409 and "zurückgenommen" in refused.json()["detail"]

    third = propose_supplement(package, reason="Rohr", tasks=[work()])
    with pytest.raises(ValidationError) as late:
        accept_supplement(
            third.pk,
            user=ordered.user,
            early_start_consent=True,
            today=timezone.localdate() + dt.timedelta(days=15),
        )
    assert "abgelaufen" in late.value.message_dict["supplement"][0]
    assert not package.tasks.filter(code__startswith="nachtrag").exists()

    listed = homeowner.get(f"/api/v1/packages/{package.pk}/supplements").json()
    assert [(s["number"], s["status"]) for s in listed] == [
        (1, "declined"),
        (2, "retracted"),
        (3, "open"),
    ]
    # Somebody else's supplement does not exist for her.
    stranger = Client()
    stranger.force_login(portal.heinz)
    answer = stranger.post(
        f"/api/v1/supplements/{third.pk}/accept",
        {"early_start_consent": True},
        content_type="application/json",
    )
    assert answer.status_code == 404


@pytest.mark.django_db(transaction=True)
def test_two_tabs_ordering_one_supplement_add_its_work_once(portal):  # noqa: F811
    from jobs.models import Quote
    from jobs.services import accept_quote

    quote = Quote.objects.get(pk=submit(Client(), wizard()).json()["quote"]["id"])
    user = quote.package.customer.user
    accept_quote(quote.pk, version=1, user=user, early_start_consent=True)
    supplement = propose_supplement(quote.package, reason="Wand nass", tasks=[work()])
    barrier = threading.Barrier(2)
    results = []

    def tab():
        try:
            barrier.wait()
            results.append(
                accept_supplement(supplement.pk, user=user, early_start_consent=True).decided_at
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=tab) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 2 and results[0] == results[1]
    assert Task.objects.filter(package=quote.package, code__startswith="nachtrag").count() == 1


def test_the_invoice_charges_the_supplements_coordination_fee(ordered):  # noqa: F811
    from invoicing.services import coordination_fee_lines

    supplement = propose_supplement(ordered.package, reason="Wand nass", tasks=[work()])
    before = coordination_fee_lines(ordered.package)
    accept_supplement(supplement.pk, user=ordered.user, early_start_consent=True)
    after = coordination_fee_lines(ordered.package)
    assert len(after) == len(before) + 1
    fee = supplement.lines.get(kind="fee")
    assert after[-1].unit_price == fee.net
    assert after[-1].detail == f"gemäß angenommenem Nachtrag {ordered.package.pk}-N1"


def test_a_supplement_promises_only_what_the_order_leaves_of_the_35a_cap(ordered):  # noqa: F811
    from io import BytesIO

    from pypdf import PdfReader

    from invoicing.quote_pdf import render_supplement
    from jobs.quotes import TAX_REDUCTION_CAP

    quoted = ordered.quote.tax_reduction
    assert 0 < quoted < TAX_REDUCTION_CAP
    # 60 h of plumbing alone come to more than 1,200 € of reduction
    big = work(duration_hours=30, crew_size=2)
    first = propose_supplement(ordered.package, reason="Wand nass", tasks=[big])
    assert first.tax_reduction == TAX_REDUCTION_CAP - quoted
    accept_supplement(first.pk, user=ordered.user, early_start_consent=True)
    second = propose_supplement(ordered.package, reason="Decke nass", tasks=[big])
    assert second.labour_gross > 0 and second.tax_reduction == 0
    _name, _type, content = render_supplement(second)
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(BytesIO(content)).pages)
    assert "schöpft Ihr Auftrag voraussichtlich schon aus" in text
    assert "ca. 0,00 €" not in text
    page = ordered.client.get(f"/auftrag/{ordered.package.pk}/").content.decode()
    assert "schöpft die Steuerermäßigung für Handwerkerleistungen" in page


def order_circuit_between_rough_and_finish(coop, package, tasks, **changes) -> None:
    """Hanna orders a second circuit to be laid after the rough-in and before the finishing."""
    supplement = propose_supplement(
        package,
        reason="Zweiter Stromkreis",
        tasks=[
            work(
                name="Stromkreis",
                trade="elektro",
                after=tasks["rough"].pk,
                before=tasks["finish"].pk,
                **changes,
            )
        ],
        today=TODAY,
    )
    accept_supplement(supplement.pk, user=coop.hanna, early_start_consent=True, today=TODAY)


def test_the_planner_places_an_ordered_supplement_between_the_tasks_it_named(coop, bathroom):  # noqa: F811
    from scheduling import services
    from scheduling.models import Appointment
    from scheduling.solver import check_plan

    with time_machine.travel(dt.datetime(2025, 10, 22, 9, tzinfo=dt.UTC), tick=False):
        package = book(coop, bathroom, coop.hanna_site)
        services.plan_cooperative(today=TODAY, time_limit=3)
        tasks = {t.code: t for t in package.tasks.all()}
        order_circuit_between_rough_and_finish(coop, package, tasks)
        services.plan_cooperative(today=TODAY, time_limit=3)
    planned = {
        a.task.code: a
        for a in Appointment.objects.select_related("task").exclude(status="cancelled")
    }
    new = planned["nachtrag-1-1"]
    assert new.workshop == coop.a  # the electrician
    assert new.start >= planned["rough"].end and new.end <= planned["finish"].start
    # The electrician's phone says it is ordered extra work, and why (no prices).
    electrician = Client()
    electrician.force_login(coop.alice)
    card = electrician.get(f"/api/v1/field/appointments/{new.pk}").json()
    assert card["supplement"] == {"number": 1, "reason": "Zweiter Stromkreis"}
    other = electrician.get(f"/api/v1/field/appointments/{planned['wiring'].pk}").json()
    assert other["supplement"] is None
    ctx = services.build_problem(services.plan_start(TODAY))
    assert check_plan(ctx.problem, services.stored_plan(ctx)) == []


def test_new_work_before_a_pinned_appointment_that_leaves_no_room_stops_only_its_order(
    coop,
    bathroom,  # noqa: F811
):
    # The office pinned the finishing to its day; the homeowner then orders a week of new work
    # that must come before it. Her order cannot be planned until the office moves the pin,
    # and the run says why: the cooperative's other orders are planned all the same.
    from scheduling import services
    from scheduling.models import Appointment

    with time_machine.travel(dt.datetime(2025, 10, 22, 9, tzinfo=dt.UTC), tick=False):
        package = book(coop, bathroom, coop.hanna_site)
        services.plan_cooperative(today=TODAY, time_limit=3)
        tasks = {t.code: t for t in package.tasks.all()}
        finish = Appointment.objects.get(task=tasks["finish"])
        Appointment.objects.filter(pk=finish.pk).update(pinned=True)
        order_circuit_between_rough_and_finish(coop, package, tasks, duration_hours=40)
        other = book(coop, bathroom, coop.heinz_site)
        run = services.plan_cooperative(today=TODAY, time_limit=3)
    new = package.tasks.get(code="nachtrag-1-1")
    # The office is told which appointment to move.
    pinned = {"id": tasks["finish"].pk, "name_de": "Endmontage", "name_en": "Final fit"}
    assert run.set_aside == [{"package": package.pk, "reasons": ["no_room"], "tasks": [pinned]}]
    assert run.messages == [
        f"a fixed appointment leaves no room for the order of work (tasks {tasks['finish'].pk})"
    ]
    live = Appointment.objects.exclude(status="cancelled")
    assert live.filter(task__package=other).count() == other.tasks.count()
    assert not live.filter(task=new).exists()
    kept = live.get(task=tasks["finish"])
    assert kept.pinned and (kept.start, kept.end) == (finish.start, finish.end)


def test_a_supplement_the_work_has_overtaken_is_refused_and_a_double_click_sends_one(
    ordered,  # noqa: F811
    portal,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    package = ordered.package
    wiring = package.tasks.get(code="wiring")
    with django_capture_on_commit_callbacks(execute=True):
        first = propose_supplement(
            package, reason="Wand nass", tasks=[work(before=wiring.pk)], by=portal.olga
        )
        again = propose_supplement(
            package, reason="Wand nass", tasks=[work(before=wiring.pk)], by=portal.olga
        )
    assert again.pk == first.pk and package.supplements.count() == 1
    assert len([m for m in mail.outbox if "Nachtrag" in m.subject]) == 1
    # The wiring began while she was deciding: the new work can no longer come before it.
    Task.objects.filter(pk=wiring.pk).update(status=Task.Status.IN_PROGRESS)
    unticked = ordered.client.post(
        f"/api/v1/supplements/{first.pk}/accept", {}, content_type="application/json"
    )
    assert unticked.status_code == 422
    assert unticked.json()["detail"][0]["loc"][-1] == "early_start_consent"
    late = ordered.client.post(
        f"/api/v1/supplements/{first.pk}/accept",
        {"early_start_consent": True},
        content_type="application/json",
    )
    assert late.status_code == 409 and "nicht mehr wie beschrieben" in late.json()["detail"]
    assert not package.tasks.filter(code__startswith="nachtrag").exists()
    assert Supplement.objects.get(pk=first.pk).status == "open"


def test_work_ordered_after_a_task_under_way_waits_for_its_end_and_is_billed(coop, bathroom):  # noqa: F811
    from invoicing.services import default_billings
    from scheduling import services
    from scheduling.models import Appointment

    with time_machine.travel(dt.datetime(2025, 10, 22, 9, tzinfo=dt.UTC), tick=False):
        package = book(coop, bathroom, coop.hanna_site)
        services.plan_cooperative(today=TODAY, time_limit=3)
        rough = package.tasks.get(code="rough")
        # The plumber started the rough-in; it runs until a week on.
        until = timezone.make_aware(dt.datetime(2025, 10, 30, 16))
        Appointment.objects.filter(task=rough).update(
            status="accepted", start=timezone.make_aware(dt.datetime(2025, 10, 22, 7)), end=until
        )
        Task.objects.filter(pk=rough.pk).update(status=Task.Status.IN_PROGRESS)
        supplement = propose_supplement(
            package,
            reason="Leitung verlegen",
            tasks=[work(name="Leitung", trade="elektro", after=rough.pk)],
            today=TODAY,
        )
        accept_supplement(supplement.pk, user=coop.hanna, early_start_consent=True, today=TODAY)
        services.plan_cooperative(today=TODAY, time_limit=3)
    new = Appointment.objects.exclude(status="cancelled").get(task__code="nachtrag-1-1")
    assert new.start >= until
    billed = {b.task.code for b in default_billings(package)}
    assert "nachtrag-1-1" in billed


def test_gas_work_in_a_supplement_requires_a_certified_member_and_keeps_the_requirement(
    ordered,  # noqa: F811
    portal,  # noqa: F811
):
    from trades.models import Certification, Trade

    gas = Certification.objects.create(code="gas", name_de="Gas (TRGI)", name_en="Gas (TRGI)")
    office = office_client(portal)
    url = f"/api/v1/packages/{ordered.package.pk}/supplements"
    body = {"reason": "Gastherme anschließen", "tasks": [work(certification="gas")]}

    def refused() -> str:
        answer = office.post(url, body, content_type="application/json")
        assert answer.status_code == 422
        (error,) = answer.json()["detail"]
        assert error["loc"][1:] == ["tasks", "1", "certification"]
        return error["msg"]

    assert "Qualifikationen" in refused()  # plumbing work does not ask for it yet
    Trade.objects.get(code="sanitaer").certifications.add(gas)
    assert "mit dieser Qualifikation" in refused()  # nobody holds it
    portal.b.offers.get(trade__code="sanitaer").certifications.add(gas)
    answer = office.post(url, body, content_type="application/json")
    assert answer.status_code == 201 and answer.json()["tasks"][0]["certification"] == "gas"
    accept_supplement(answer.json()["id"], user=ordered.user, early_start_consent=True)
    assert ordered.package.tasks.get(code="nachtrag-1-1").required_certification == gas
