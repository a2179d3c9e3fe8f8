import pytest

from tests.live import ROOT, Stack, end_replans, wait_for_idle_worker

STAFF_ROLES = {"office", "coop_admin", "workshop_admin"}


@pytest.fixture(autouse=True)
def _personas_have_a_second_factor(request, monkeypatch):
    """Office staff and workshop admins must confirm a second factor (zunft.core.twofactor);
    the personas of the tests log in with one already confirmed. The two-factor tests
    themselves log in without it."""
    from django.test import Client

    if request.node.get_closest_marker("without_second_factor"):
        return
    original = Client.force_login

    def force_login(client, user, backend=None):
        original(client, user, backend)
        if user.role in STAFF_ROLES or user.is_staff:
            from django_otp import DEVICE_ID_SESSION_KEY
            from django_otp.plugins.otp_totp.models import TOTPDevice

            # filter-then-create: several threads may log the same persona in at once
            device = TOTPDevice.objects.filter(user=user, name="test").first()
            device = device or TOTPDevice.objects.create(user=user, name="test", confirmed=True)
            session = client.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()

    monkeypatch.setattr(Client, "force_login", force_login)


@pytest.fixture(autouse=True)
def _each_test_starts_in_german():
    """A request through the test client leaves its language active in the thread (the locale
    middleware does not reset it): each test starts in the default language, as a worker or a
    command does, so messages outside requests do not depend on the tests before."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Personas log in with passwords; the production hasher is deliberately slow.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def live_stack(django_db_setup, django_db_blocker):
    """The ASGI server and a Celery worker as real processes on the test database."""
    # Short planner searches keep the suite quick; the benchmarks measure long ones.
    mail_dir = ROOT / ".var" / "log" / "tests" / "mail"
    stack = Stack(
        env={
            "PLANNER_TIME_LIMIT": "3",
            "PLANNER_WORKERS": "2",
            "PLANNER_DEBOUNCE_SECONDS": "0",
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(mail_dir),
        }
    )
    stack.mail_dir = mail_dir
    stack.start_web()
    stack.start_worker()
    try:
        stack.wait_healthy()
        yield stack
    finally:
        stack.stop()


@pytest.fixture(autouse=True)
def _live_worker_done_before_flush(request):
    """A test on the live stack ends only when the worker no longer plans on its data.

    Autouse fixtures of conftest are set up after pytest-django's database fixture, so this
    teardown runs before the database is flushed."""
    yield
    if "live_stack" in request.fixturenames and request.node.get_closest_marker("django_db"):
        end_replans()
        wait_for_idle_worker()


@pytest.fixture
def office_user(django_user_model):
    return django_user_model.objects.create_user(
        "birte", password="pw-birte-123", role="office", first_name="Birte"
    )


@pytest.fixture
def homeowner_user(django_user_model):
    return django_user_model.objects.create_user("karla", password="pw-karla-123", role="homeowner")


# --- personas -------------------------------------------------------------------------------------
# Two member workshops (A: electrics in Cloppenburg, B: plumbing in Friesoythe), each with an admin
# and a worker with a login; an office clerk; two homeowners with a site each; an outsider.


@pytest.fixture
def coop(db, django_user_model):
    from types import SimpleNamespace

    from django.contrib.gis.geos import Point

    from tests import factories as f

    make = django_user_model.objects.create_user
    elektro = f.TradeFactory(code="elektro", name_de="Elektrotechnik", name_en="Electrics")
    sanitaer = f.TradeFactory(code="sanitaer", name_de="Installateur", name_en="Plumbing")
    a = f.WorkshopFactory(name="Elektro Janßen")
    b = f.WorkshopFactory(
        name="Sanitär Meyer",
        city="Friesoythe",
        postal_code="26169",
        location=Point(7.8590, 53.0207, srid=4326),
    )
    f.OfferFactory(workshop=a, trade=elektro, hourly_rate="61.50")
    f.OfferFactory(workshop=b, trade=sanitaer, hourly_rate="68.00")
    people = SimpleNamespace(
        trades=SimpleNamespace(elektro=elektro, sanitaer=sanitaer),
        a=a,
        b=b,
        alice=make("alice", password="pw", role="workshop_admin"),
        bob=make("bob", password="pw", role="workshop_admin"),
        anton=make("anton", password="pw", role="tradesperson"),
        bernd=make("bernd", password="pw", role="tradesperson"),
        olga=make("olga", password="pw", role="office"),
        hanna=make("hanna", password="pw", role="homeowner"),
        heinz=make("heinz", password="pw", role="homeowner"),
        otto=make("otto", password="pw", role="homeowner"),
    )
    a.admins.add(people.alice)
    b.admins.add(people.bob)
    people.anton_worker = f.WorkerFactory(workshop=a, user=people.anton, trades=[elektro])
    people.bernd_worker = f.WorkerFactory(workshop=b, user=people.bernd, trades=[sanitaer])
    people.a_colleague = f.WorkerFactory(workshop=a, trades=[elektro])
    people.hanna_site = f.SiteFactory(customer=f.CustomerFactory(user=people.hanna))
    people.heinz_site = f.SiteFactory(
        customer=f.CustomerFactory(user=people.heinz, first_name="Heinz"),
        city="Cloppenburg",
        postal_code="49661",
        location=Point(8.05, 52.85, srid=4326),
    )
    return people


@pytest.fixture
def api_as(client):
    """``api_as(user)`` returns the test client logged in as that user (None: anonymous)."""

    def login(user):
        client.logout()
        if user is not None:
            client.force_login(user)
        return client

    return login


BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    import os

    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; the test's own ORM calls are
    # still plain synchronous code.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", args=BROWSER_ARGS
            )
            yield chromium
            chromium.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
