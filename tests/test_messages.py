"""A package's messages: homeowner ↔ office and office ↔ each workshop, each seen only by its
two sides, announced live, with the package's documents listed beside them."""

import re

import pytest
from django.test import Client

from jobs.models import Message
from jobs.services import create_quote
from scheduling import services
from tests.test_planner_integration import TODAY, bathroom, book  # noqa: F401 - fixture
from zunft.core.models import Event
from zunft.core.realtime import may_join

pytestmark = pytest.mark.django_db


@pytest.fixture
def planned(coop, bathroom, django_capture_on_commit_callbacks):  # noqa: F811
    """Hanna's bathroom, planned: the plumber (b) and the electrician (a) both work on it."""
    package = book(coop, bathroom, coop.hanna_site)
    services.plan_cooperative(today=TODAY, time_limit=3)
    return package


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post(user, package, body):
    return as_user(user).post(f"/api/v1/packages/{package.pk}/messages", body, "application/json")


def read(user, package):
    return as_user(user).get(f"/api/v1/packages/{package.pk}/messages")


def test_the_homeowner_and_the_office_talk_and_no_workshop_listens(
    coop, planned, mailoutbox, django_capture_on_commit_callbacks
):
    asked = post(coop.hanna, planned, {"body": "Kann der Elektriker erst ab 9 Uhr kommen?"})
    assert asked.status_code == 201 and asked.json()["sender"] == "homeowner"
    with django_capture_on_commit_callbacks(execute=True):
        answered = post(
            coop.olga, planned, {"body": "Ja, wir sagen Bescheid.", "thread": "homeowner"}
        )
    assert answered.status_code == 201

    assert [m["body"] for m in read(coop.hanna, planned).json()] == [
        "Kann der Elektriker erst ab 9 Uhr kommen?",
        "Ja, wir sagen Bescheid.",
    ]
    assert len(read(coop.olga, planned).json()) == 2
    # The workshops on the package follow its page but not the homeowner's thread.
    for member in (coop.alice, coop.anton, coop.bob):
        assert read(member, planned).json() == []
    # Another homeowner does not even see the package.
    assert read(coop.heinz, planned).status_code == 404
    assert post(coop.heinz, planned, {"body": "Hallo"}).status_code == 404

    # The homeowner learns of the answer by mail (without its text) and live on their own group.
    assert len(mailoutbox) == 1 and mailoutbox[0].to == [planned.customer.email]
    assert "Bescheid" not in mailoutbox[0].body and f"/auftrag/{planned.pk}/" in mailoutbox[0].body
    groups = set(Event.objects.filter(type="message.created").values_list("group", flat=True))
    assert groups == {"office", f"owner.{planned.pk}"}
    assert may_join(coop.hanna, f"owner.{planned.pk}")
    assert not may_join(coop.alice, f"owner.{planned.pk}")
    assert not may_join(coop.heinz, f"owner.{planned.pk}")


def test_each_workshop_reads_only_its_own_thread_with_the_office(
    coop, planned, mailoutbox, django_capture_on_commit_callbacks
):
    to_a = {"body": "Fliesen kommen Dienstag", "thread": "workshop", "workshop_id": coop.a.pk}
    with django_capture_on_commit_callbacks(execute=True):
        assert post(coop.olga, planned, to_a).status_code == 201
    # Workshop A's office address hears of it, without the text.
    [mail] = mailoutbox
    assert mail.to == [coop.a.email] and "Dienstag" not in mail.body
    assert post(coop.bob, planned, {"body": "Wasser ist abgestellt"}).status_code == 201
    assert post(coop.anton, planned, {"body": "Bin vor Ort"}).status_code == 201

    assert [m["body"] for m in read(coop.alice, planned).json()] == [
        "Fliesen kommen Dienstag",
        "Bin vor Ort",
    ]
    assert [m["body"] for m in read(coop.bob, planned).json()] == ["Wasser ist abgestellt"]
    assert read(coop.hanna, planned).json() == []
    assert len(read(coop.olga, planned).json()) == 3
    assert set(
        Event.objects.filter(type="message.created", data__workshop=coop.b.pk).values_list(
            "group", flat=True
        )
    ) == {"office", f"workshop.{coop.b.pk}"}


def test_refused_messages_name_the_field_and_write_nothing(coop, planned, bathroom):  # noqa: F811
    elsewhere = book(coop, bathroom, coop.heinz_site)  # no appointment for anyone yet
    cases = [
        (coop.hanna, planned, {"body": "   "}, "body"),
        (coop.hanna, planned, {"body": "x" * 4001}, "body"),
        (coop.hanna, planned, {"body": "An die Firma", "thread": "workshop"}, "thread"),
        (
            coop.olga,
            elsewhere,
            {"body": "Hallo", "thread": "workshop", "workshop_id": coop.a.pk},
            "workshop_id",
        ),
        (coop.bob, planned, {"body": "Hallo", "workshop_id": coop.a.pk}, "workshop_id"),
    ]
    for user, package, body, field in cases:
        response = post(user, package, body)
        assert response.status_code == 422, (body, response.content)
        assert field in str(response.json()["detail"])
    assert not Message.objects.exists()


def test_reading_marks_the_other_sides_messages_read(coop, planned):
    post(coop.hanna, planned, {"body": "Frage"})
    client = as_user(coop.olga)
    assert client.post(f"/api/v1/packages/{planned.pk}/messages/read").json() == {"marked": 1}
    assert Message.objects.get().read_at is not None
    # The homeowner's own message does not count as unread for her.
    assert as_user(coop.hanna).post(f"/api/v1/packages/{planned.pk}/messages/read").json() == {
        "marked": 0
    }


def test_the_package_page_shows_the_thread_the_form_and_the_documents(coop, planned):
    post(coop.olga, planned, {"body": "Willkommen <b>Hanna</b>", "thread": "homeowner"})
    hanna = as_user(coop.hanna)
    page = hanna.get(f"/auftrag/{planned.pk}/").content.decode()
    assert "Willkommen &lt;b&gt;Hanna&lt;/b&gt;" in page  # escaped, not markup
    assert 'id="message-form"' in page
    quote = create_quote(planned, today=TODAY)
    page = hanna.get(f"/auftrag/{planned.pk}/").content.decode()
    assert f"/angebot/{quote.pk}/pdf/" in page

    # Without JavaScript the form posts to the page's own view.
    sent = hanna.post(f"/auftrag/{planned.pk}/nachricht/", {"body": "Danke!"})
    assert sent.status_code == 302 and sent["Location"].endswith("#nachrichten")
    assert Message.objects.filter(sender="homeowner", body="Danke!").exists()
    refused = hanna.post(f"/auftrag/{planned.pk}/nachricht/", {"body": ""}, follow=True)
    error = re.search(
        r'id="message-error" role="alert"( hidden)?>([^<]*)<', refused.content.decode()
    )
    assert error and not error.group(1) and error.group(2).strip()
    assert Message.objects.count() == 2

    # A workshop on the package sees the page without the homeowner's thread or the quote.
    alice_page = as_user(coop.alice).get(f"/auftrag/{planned.pk}/").content.decode()
    assert "Willkommen" not in alice_page
    assert f"/angebot/{quote.pk}/pdf/" not in alice_page
    assert 'id="message-form"' in alice_page  # she writes to the office in her own thread


def test_a_finished_package_page_asks_its_homeowner_about_photos(coop, planned):
    hanna = as_user(coop.hanna)
    assert (
        'data-testid="photo-consent"' not in hanna.get(f"/auftrag/{planned.pk}/").content.decode()
    )
    planned.status = "done"
    planned.save(update_fields=["status"])
    page = hanna.get(f"/auftrag/{planned.pk}/").content.decode()
    assert 'data-testid="photo-consent"' in page and 'data-public="false"' in page
    allowed = hanna.post(f"/auftrag/{planned.pk}/fotos-freigeben/", {"photos_public": "1"})
    assert allowed.status_code == 302
    planned.refresh_from_db()
    assert planned.photos_public and planned.photos_public_since is not None
    # The workshop on the package sees no such choice.
    alice_page = as_user(coop.alice).get(f"/auftrag/{planned.pk}/").content.decode()
    assert 'data-testid="photo-consent"' not in alice_page
