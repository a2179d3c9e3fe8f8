"""Second factor (TOTP) for office staff and workshop admins: setup, verification, enforcement.

Codes are computed from the device's key as an authenticator app would (django-otp's TOTP), with
the clock frozen and moved on between codes: a code is accepted once, and wrong codes slow the
next try down by a second or more.
"""

import pytest
import time_machine
from django.conf import settings

START = 1_772_442_000  # 2026-03-02 10:00 +01:00


pytestmark = pytest.mark.without_second_factor


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def staff(db, django_user_model):
    from types import SimpleNamespace

    make = django_user_model.objects.create_user
    return SimpleNamespace(
        olga=make("olga", password="pw-olga-123", role="office", is_staff=True),
        alice=make("alice", password="pw-alice-123", role="workshop_admin"),
        hanna=make("hanna", password="pw-hanna-123", role="homeowner"),
    )


def code_for(device, offset_steps: int = 0) -> str:
    """What the authenticator app shows now (or ``offset_steps`` steps later)."""
    import time

    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + offset_steps * device.step
    return f"{totp.token():0{device.digits}d}"


def backup_codes(html: str) -> list[str]:
    import re

    return re.findall(r"<li><code>([a-z2-7]{4} [a-z2-7]{4})</code></li>", html)


def unconfirmed_device(user):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.get(user=user, confirmed=False)


def set_up(client, user, clock):
    """Log in with the password and set up an authenticator through the pages."""
    client.force_login(user)
    client.get("/zwei-faktor/einrichten/")
    device = unconfirmed_device(user)
    response = client.post("/zwei-faktor/einrichten/", {"code": code_for(device)})
    assert response.status_code == 302
    device.refresh_from_db()
    return device


def test_setup_shows_a_qr_code_and_accepts_only_the_right_code(staff, client, clock):
    client.force_login(staff.olga)
    page = client.get("/zwei-faktor/einrichten/?next=/admin/")
    assert page.status_code == 200
    assert b"data:image/svg+xml" in page.content
    device = unconfirmed_device(staff.olga)
    assert device.config_url.startswith("otpauth://totp/Zunft%3Aolga?")

    wrong = client.post("/zwei-faktor/einrichten/", {"code": "000000", "next": "/admin/"})
    assert wrong.status_code == 200
    assert b'role="alert"' in wrong.content
    device.refresh_from_db()
    assert not device.confirmed
    assert client.get("/admin/").status_code == 302  # still not verified

    clock.shift(2)  # past the one-second pause after a wrong code
    right = client.post("/zwei-faktor/einrichten/", {"code": code_for(device), "next": "/admin/"})
    assert (right.status_code, right.url) == (302, "/zwei-faktor/notfallcodes/?next=%2Fadmin%2F")
    device.refresh_from_db()
    assert device.confirmed
    # The backup codes, shown once, then only counted.
    shown = client.get(right.url).content.decode()
    assert len(backup_codes(shown)) == 10 and 'href="/admin/"' in shown
    again = client.get(right.url).content.decode()
    assert backup_codes(again) == [] and "10 unbenutzte Notfallcodes" in again
    # In: the admin's start page (her lookups) and the board.
    assert client.get("/admin/").status_code == 200
    assert client.get("/buero/plantafel/").status_code == 200


def test_login_asks_for_the_code_and_refuses_a_wrong_or_reused_one(staff, client, clock):
    device = set_up(client, staff.olga, clock)
    used = code_for(device)
    client.logout()

    login = client.post("/admin/login/", {"username": "olga", "password": "pw-olga-123"})
    assert login.status_code == 302
    page = client.get("/admin/")
    assert (page.status_code, page.url) == (302, "/zwei-faktor/pruefen/?next=%2Fadmin%2F")

    assert client.post("/zwei-faktor/pruefen/", {"code": used}).status_code == 200  # replayed
    clock.shift(2)
    wrong = client.post("/zwei-faktor/pruefen/", {"code": "123456"})
    assert wrong.status_code == 200 and "warten" in wrong.content.decode()
    # Whoever lost the phone reads how to get back in.
    assert "Administration des Verbunds setzt Ihren zweiten Faktor" in wrong.content.decode()
    assert client.get("/admin/").status_code == 302
    clock.shift(device.step + 5)
    response = client.post("/zwei-faktor/pruefen/", {"code": code_for(device), "next": "/admin/"})
    assert (response.status_code, response.url) == (302, "/admin/")
    assert client.get("/buero/plantafel/").status_code == 200


@pytest.mark.parametrize("who", ["olga", "alice"])
def test_unverified_office_and_workshop_admin_sessions_are_stopped(staff, client, who):
    user = getattr(staff, who)
    client.force_login(user)
    page = client.get("/admin/")
    assert page.status_code == 302
    assert page.url.startswith("/zwei-faktor/einrichten/?next=")

    api = client.get("/api/v1/customers")
    assert api.status_code == 403
    assert "zwei-faktor" in api.json()["detail"]


@pytest.mark.parametrize("who", ["olga", "alice"])
def test_api_tokens_stay_usable_without_the_second_factor(staff, api_as, who):
    from zunft.core.auth import issue_token

    _token, secret = issue_token(getattr(staff, who), "Skript")
    response = api_as(None).get("/api/v1/customers", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200


def test_a_bad_token_does_not_fall_back_to_the_unverified_session(staff, client):
    client.force_login(staff.olga)
    response = client.get("/api/v1/customers", HTTP_AUTHORIZATION="Bearer zft_wrong")
    assert response.status_code == 401


def test_a_verified_workshop_admin_reaches_the_api(staff, client, clock):
    set_up(client, staff.alice, clock)
    assert client.get("/api/v1/customers").status_code == 200


def test_homeowners_are_not_asked_for_a_second_factor(staff, api_as):
    client = api_as(staff.hanna)
    assert client.get("/api/v1/customers").status_code == 200
    assert client.get("/").status_code == 200
    assert client.get("/zwei-faktor/einrichten/").status_code == 302  # nothing to set up


def test_someone_with_a_device_must_verify_before_adding_another(staff, client, clock):
    set_up(client, staff.olga, clock)
    client.logout()
    client.force_login(staff.olga)
    response = client.get("/zwei-faktor/einrichten/")
    assert (response.status_code, response.url) == (302, "/zwei-faktor/pruefen/")


def test_the_pages_work_under_the_content_security_policy(staff, client, clock):
    client.force_login(staff.olga)
    page = client.get("/zwei-faktor/einrichten/")
    policy = page["Content-Security-Policy"]
    assert "img-src 'self' data:" in policy
    assert b"<script>" not in page.content and b"style=" not in page.content
    assert settings.SESSION_COOKIE_AGE > 0


@pytest.mark.live
@pytest.mark.django_db(transaction=True)
def test_office_websockets_need_the_second_factor_too(live_stack, staff):
    """A password alone opens no office socket: the same rule as the pages and the API."""
    import asyncio
    import json
    from concurrent.futures import ThreadPoolExecutor

    import websockets
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client()
    client.force_login(staff.olga)  # this module's personas have no second factor yet
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"

    async def hello():
        async with websockets.connect(
            f"{live_stack.ws_url}/ws/events/",
            additional_headers={"Cookie": cookie, "Origin": live_stack.base_url},
        ) as ws:
            return json.loads(await asyncio.wait_for(ws.recv(), 10))

    def run(coroutine):
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, coroutine).result()

    with pytest.raises(websockets.InvalidStatus) as refused:
        run(hello())
    assert refused.value.response.status_code == 403

    device = TOTPDevice.objects.create(user=staff.olga, name="phone", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    assert "office" in run(hello())["groups"]


def verified(client) -> bool:
    """Whether the session passed the second factor (the middleware lets a staff page open)."""
    return client.get("/zwei-faktor/notfallcodes/").status_code == 200


def test_a_lost_phone_is_replaced_with_a_backup_code(staff, client, clock):
    """Each backup code logs in once; with it the person sets up the new phone themselves, and
    the old phone's codes and the old backup codes stop working."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    old_phone = set_up(client, staff.alice, clock)
    codes = backup_codes(client.get("/zwei-faktor/notfallcodes/").content.decode())
    client.logout()

    client.force_login(staff.alice)
    assert not verified(client)
    # Typed in capitals, with the space, and 0 for o or 1 for l (a code never has 0 or 1).
    used = codes[0].upper().replace("O", "0").replace("L", "1")
    login = client.post("/zwei-faktor/pruefen/", {"code": used, "next": "/monteur/"})
    assert (login.status_code, login.url) == (302, "/zwei-faktor/notfallcodes/?next=%2Fmonteur%2F")
    page = client.get(login.url).content.decode()
    assert "9 unbenutzte Notfallcodes" in page and "Neues Handy einrichten" in page
    client.logout()
    client.force_login(staff.alice)
    clock.shift(2)
    client.post("/zwei-faktor/pruefen/", {"code": used})
    assert not verified(client)  # once only
    clock.shift(2)
    client.post("/zwei-faktor/pruefen/", {"code": codes[1]})
    assert verified(client)

    replaced = client.post("/zwei-faktor/notfallcodes/?next=/monteur/", {"action": "new-phone"})
    assert (replaced.status_code, replaced.url) == (
        302,
        "/zwei-faktor/einrichten/?next=%2Fmonteur%2F",
    )
    assert b"data:image/svg+xml" in client.get(replaced.url).content
    # Until the new phone is confirmed the old one still works (a setup left halfway).
    assert TOTPDevice.objects.filter(pk=old_phone.pk, confirmed=True).exists()
    new_phone = TOTPDevice.objects.get(user=staff.alice, confirmed=False)
    clock.shift(2)
    done = client.post(replaced.url, {"code": code_for(new_phone)})
    assert done.status_code == 302
    assert not TOTPDevice.objects.filter(pk=old_phone.pk).exists()
    client.logout()
    client.force_login(staff.alice)
    clock.shift(2)
    client.post("/zwei-faktor/pruefen/", {"code": codes[2]})
    assert not verified(client)  # the old backup codes are void


def test_new_backup_codes_after_logging_in_with_one_keep_the_session(staff, client, clock):
    """Renewing the codes right after using one (the page suggests it) shows the new ones and
    keeps the person logged in."""
    set_up(client, staff.olga, clock)
    codes = backup_codes(client.get("/zwei-faktor/notfallcodes/").content.decode())
    client.logout()
    client.force_login(staff.olga)
    client.post("/zwei-faktor/pruefen/", {"code": codes[0]})
    assert verified(client)
    renewed = client.post("/zwei-faktor/notfallcodes/")
    fresh = backup_codes(client.get(renewed.url).content.decode())
    assert len(fresh) == 10 and not set(fresh) & set(codes)
    assert verified(client)


def test_changing_the_second_factor_later_asks_for_a_current_code(staff, client, clock):
    """Someone at a session left open cannot read new backup codes or put their own phone in:
    some minutes after the last code, both ask for a current one (from the app or a backup
    code), and without it nothing changes."""
    from django_otp.plugins.otp_static.models import StaticToken
    from django_otp.plugins.otp_totp.models import TOTPDevice

    phone = set_up(client, staff.olga, clock)
    codes = backup_codes(client.get("/zwei-faktor/notfallcodes/").content.decode())
    # Right after a code, nothing more is asked (the lost-phone path stays one step).
    assert 'data-testid="ask-code"' not in client.get("/zwei-faktor/notfallcodes/").content.decode()

    clock.shift(11 * 60)
    page = client.get("/zwei-faktor/notfallcodes/").content.decode()
    assert 'data-testid="ask-code"' in page and 'name="code"' in page
    tokens = set(StaticToken.objects.values_list("token", flat=True))
    for attempt in ({}, {"code": "123456"}, {"action": "new-phone", "code": "zzzz zzzz"}):
        refused = client.post("/zwei-faktor/notfallcodes/", attempt)
        assert refused.status_code == 422
        assert "Bitte bestätigen Sie mit einem aktuellen Code" in refused.content.decode()
        clock.shift(5)  # past django-otp's slow-down after a wrong code
    assert set(StaticToken.objects.values_list("token", flat=True)) == tokens
    assert client.get("/zwei-faktor/einrichten/").status_code == 302  # no new phone under way
    assert list(TOTPDevice.objects.filter(user=staff.olga)) == [phone]

    clock.shift(60)
    renewed = client.post("/zwei-faktor/notfallcodes/", {"code": code_for(phone)})
    assert renewed.status_code == 302
    fresh = backup_codes(client.get(renewed.url).content.decode())
    assert len(fresh) == 10 and not set(fresh) & set(codes)

    # A backup code confirms too (the phone may be the thing that is lost).
    clock.shift(11 * 60)
    moving = client.post("/zwei-faktor/notfallcodes/", {"action": "new-phone", "code": fresh[0]})
    assert (moving.status_code, moving.url) == (302, "/zwei-faktor/einrichten/?")


def test_a_new_phone_started_and_left_is_no_way_in_later(staff, client, clock):
    """ "Set up a new phone" pressed and then walked away from: minutes later the setup page no
    longer offers to put another phone in for the open session."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    phone = set_up(client, staff.olga, clock)
    started = client.post("/zwei-faktor/notfallcodes/", {"action": "new-phone"})
    assert started.status_code == 302
    assert b"data:image/svg+xml" in client.get(started.url).content  # right away: offered
    clock.shift(11 * 60)
    later = client.get("/zwei-faktor/einrichten/")
    assert later.status_code == 302 and "einrichten" not in later.url
    assert list(TOTPDevice.objects.filter(user=staff.olga, confirmed=True)) == [phone]
