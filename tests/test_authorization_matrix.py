"""The authorization matrix: every API operation, every page, file and feed, every live group,
tried by every persona (DESIGN.md §6).

The tables below declare for each API operation (by its OpenAPI ``operationId``), each URL
pattern and each kind of websocket group who may use it on the objects of one side, "A": member
workshop A with its admin and a tradesperson, and homeowner A with her package, quote, invoice,
photos, signature, Abnahme protocol and calendar feed. Everybody else — the anonymous visitor, an
outsider who is logged in, homeowner B and the admin of member B (who "guess" A's ids), and A's own
people where a rule leaves them out — must be refused with 401, 403 or 404: never a 200 with
data, never a server error; a refused write writes nothing. The same requests with ids that do
not exist are refused too. An operation, a page or a group kind that the tables do not declare
fails the suite, so nothing new goes out unreviewed.

One set of objects serves the whole module (built once, rolled back at the end); each request
runs in a savepoint that is rolled back, so the personas never see each other's writes.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import re
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from zunft.api import api

pytestmark = pytest.mark.django_db

# --- the personas -----------------------------------------------------------------------------

ANON = "anonymous"
OUTSIDER = "outsider"
HOME_A = "homeowner_a"
HOME_B = "homeowner_b"
TRADE_A = "tradesperson_a"
ADMIN_A = "admin_a"
ADMIN_B = "admin_b"
OFFICE = "office"
PERSONAS = (ANON, OUTSIDER, HOME_A, HOME_B, TRADE_A, ADMIN_A, ADMIN_B, OFFICE)
EVERYONE = frozenset(PERSONAS)
SIGNED_IN = EVERYONE - {ANON}
#: who follows A's package: the homeowner, the workshop doing the work, the office
A_PACKAGE = frozenset({HOME_A, TRADE_A, ADMIN_A, OFFICE})
#: who works on A's appointment: its worker, the workshop's admin, the office
A_FIELD = frozenset({TRADE_A, ADMIN_A, OFFICE})

REFUSED = frozenset({401, 403, 404})
SUCCESS = frozenset(range(200, 300))
WRITES = {"post", "put", "patch", "delete"}
MISSING_INT = 999_999
TODAY = dt.date(2026, 4, 1)  # a Wednesday; the module runs at this date (time_machine)


# --- what each API operation allows -------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """Who may use an operation on A's objects, and how to call it.

    ``who``: the personas that succeed (``ok``, default any 2xx). Everybody else is refused
    (401/403/404, or ``refused_also`` where a rule says so). For a ``listing`` everybody in
    ``who`` gets 2xx, and ``secret`` (a string of A's, or a predicate on the JSON answer) must be
    in the answer exactly for ``sees``. Writes are called with ``body`` (valid input, so that a
    refusal comes from the permission check, not from validation)."""

    who: frozenset
    body: object = None  # callable(world) -> dict, or None
    files: object = None  # callable(world) -> dict of multipart fields (with files)
    query: object = None  # callable(world) -> dict
    path: dict = field(default_factory=dict)  # parameter -> callable(world)
    secret: object = None  # callable(world) -> str, or (callable(world) -> callable(json) -> bool)
    sees: frozenset | None = None
    ok: frozenset = SUCCESS
    refused_also: dict = field(default_factory=dict)  # persona -> extra statuses
    why: str = ""


def only(*who, **kwargs) -> Rule:
    return Rule(who=frozenset(who), **kwargs)


def public(**kwargs) -> Rule:
    return Rule(who=EVERYONE, **kwargs)


def listing(secret, sees, who=SIGNED_IN, **kwargs) -> Rule:
    return Rule(who=frozenset(who), secret=secret, sees=frozenset(sees), **kwargs)


def new_id() -> str:
    return str(uuid.uuid4())


def at(hour: int, minute: int = 0) -> str:
    return dt.datetime(2026, 4, 1, hour, minute, tzinfo=dt.UTC).isoformat()


def png_data_url() -> str:
    return "data:image/png;base64," + base64.b64encode(signature_png()).decode()


DETAILS_OF_A_WORKSHOP = listing(
    lambda w: w.a.iban, sees={TRADE_A, ADMIN_A, OFFICE}, who=EVERYONE, why="IBAN, VAT id, rates"
)

RULES: dict[str, Rule] = {
    # --- system: diagnostics, resync, login, tokens
    "zunft_core_api_start_roundtrip": only(OFFICE),
    "zunft_core_api_get_operation": only(HOME_A, OFFICE, why="its starter and the office"),
    "zunft_core_api_list_events": only(
        *A_PACKAGE, query=lambda w: {"group": f"package.{w.package.pk}"}
    ),
    "zunft_core_api_request_login_code": public(body=lambda w: {"email": "nobody@example.org"}),
    "zunft_core_api_login_with_code": public(
        body=lambda w: {"email": w.hanna.email, "code": "000000"},
        ok=frozenset({401}),
        why="a wrong code is refused for everybody alike",
    ),
    "zunft_core_api_list_tokens": listing(lambda w: w.token_name, sees={HOME_A}),
    "zunft_core_api_create_token": Rule(SIGNED_IN, body=lambda w: {"name": "app"}),
    "zunft_core_api_revoke_token": only(
        HOME_A,
        refused_also={p: {204} for p in SIGNED_IN},
        why="revoking a token that is not yours is a silent no-op, like an unknown id",
    ),
    # --- the cooperative's master data
    "trades_api_list_certifications": public(),
    "trades_api_list_trades": public(),
    "trades_api_create_trade": only(
        OFFICE, body=lambda w: {"code": "neu", "name_de": "Neu", "name_en": "New"}
    ),
    "trades_api_get_trade": public(path={"code": lambda w: "elektro"}),
    "trades_api_update_trade": only(
        OFFICE, path={"code": lambda w: "elektro"}, body=lambda w: {"name_de": "Elektro"}
    ),
    "trades_api_list_workshops": DETAILS_OF_A_WORKSHOP,
    "trades_api_create_workshop": only(OFFICE, body=lambda w: new_workshop()),
    "trades_api_get_workshop": DETAILS_OF_A_WORKSHOP,
    "trades_api_update_workshop": only(ADMIN_A, OFFICE, body=lambda w: {"phone": "04471 1"}),
    "trades_api_get_capacity": only(
        TRADE_A,
        ADMIN_A,
        OFFICE,
        query=lambda w: {"trade": "elektro", "start": "2026-04-06", "end": "2026-04-10"},
    ),
    "trades_api_list_workers": listing(lambda w: "Monteurson", sees={TRADE_A, ADMIN_A, OFFICE}),
    "trades_api_get_worker": only(TRADE_A, ADMIN_A, OFFICE),
    "trades_api_update_worker": only(ADMIN_A, OFFICE, body=lambda w: {"phone": "0170 1"}),
    "trades_api_create_worker": only(
        ADMIN_A,
        OFFICE,
        body=lambda w: {"first_name": "Lena", "last_name": "Lueken", "trades": ["elektro"]},
    ),
    "trades_api_list_absences": listing(
        lambda w: "Arzttermin-4711", sees={TRADE_A, ADMIN_A, OFFICE}
    ),
    "trades_api_create_absence": only(
        ADMIN_A,
        OFFICE,
        body=lambda w: {"kind": "holiday", "start": "2026-05-04", "end": "2026-05-08"},
    ),
    # --- customers and sites: the homeowner's own and the office
    "customers_api_list_customers": listing(lambda w: "Vertraulich", sees={HOME_A, OFFICE}),
    "customers_api_create_customer": only(
        OUTSIDER,
        OFFICE,
        body=lambda w: {
            "email": "neu@example.org",
            "last_name": "Neu",
            "street": "Neue Straße 1",
            "postal_code": "49661",
            "city": "Cloppenburg",
        },
        refused_also={HOME_A: {409}, HOME_B: {409}},
        why="a homeowner creates their own record once (the outsider has none yet)",
    ),
    "customers_api_get_customer": only(HOME_A, OFFICE),
    "customers_api_update_customer": only(HOME_A, OFFICE, body=lambda w: {"phone": "0170 2"}),
    "customers_api_list_sites": listing(lambda w: "Geheimweg 7", sees={HOME_A, OFFICE}),
    "customers_api_get_site": only(HOME_A, OFFICE),
    "customers_api_update_site": only(HOME_A, OFFICE, body=lambda w: new_site()),
    "customers_api_create_site": only(HOME_A, OFFICE, body=lambda w: new_site()),
    "customers_api_workshops_for_site": only(HOME_A, OFFICE, query=lambda w: {"trade": "elektro"}),
    # --- catalogue and the homeowner's journey
    "jobs_api_list_templates": public(),
    "jobs_api_create_template": only(OFFICE, body=lambda w: new_template("neu")),
    "jobs_api_get_template": public(path={"code": lambda w: w.template.code}),
    "jobs_api_replace_template": only(
        OFFICE,
        path={"code": lambda w: w.template.code},
        body=lambda w: new_template(w.template.code),
    ),
    "jobs_api_create_request": public(
        body=lambda w: {
            "template": w.template.code,
            "site": {"street": "Am Markt 2", "postal_code": "49661", "city": "Cloppenburg"},
            "contact": {"last_name": "Neu", "email": "neu@example.org"},
            "earliest_start": "2026-06-01",
            "privacy_consent": True,
        },
        why="anybody may ask for a quote",
    ),
    "jobs_api_get_quote": only(HOME_A, OFFICE),
    "jobs_api_accept": only(
        HOME_A,
        body=lambda w: {"version": w.quote.version, "early_start_consent": True},
        why="only the customer makes the contract",
    ),
    "jobs_api_decline": only(
        HOME_A,
        body=lambda w: {"version": w.quote.version},
        why="only the customer says no to her quote",
    ),
    "jobs_api_get_withdrawal": only(HOME_A, why="only the customer's own right of withdrawal"),
    "jobs_api_withdraw": only(
        HOME_A,
        ok=SUCCESS | {409},
        why="only the customer withdraws from her contract; 409 when there is none to withdraw",
    ),
    "jobs_api_list_supplements": only(
        HOME_A, OFFICE, why="prices of the order's extra work: the homeowner's and the office's"
    ),
    "jobs_api_propose_supplement": only(
        OFFICE,
        body=lambda w: {
            "reason": "Feuchte Wand",
            "tasks": [{"name": "Abdichten", "trade": w.supplement_trade, "duration_hours": 2}],
        },
        why="the office writes supplements",
    ),
    "jobs_api_accept_supplement": only(
        HOME_A,
        body=lambda w: {"early_start_consent": True},
        why="only the customer extends her order",
    ),
    "jobs_api_decline_supplement": only(HOME_A, why="only the customer says no to it"),
    "jobs_api_retract_supplement": only(OFFICE, why="the office takes back what it sent"),
    "jobs_api_revise": only(
        OFFICE,
        ok=SUCCESS | {422},
        why="the office revises; an accepted order is changed by a supplement instead (422)",
        body=lambda w: {
            "lines": [
                {"kind": "labour", "text": "Arbeit", "quantity": 2, "unit": "h", "unit_price": 60}
            ]
        },
    ),
    "jobs_api_quote_changes": only(HOME_A, OFFICE),
    # --- planning, dispatch, feeds, Abnahme
    "scheduling_api_list_plan_runs": only(OFFICE),
    "scheduling_api_request_replan": only(OFFICE),
    "scheduling_api_create_emergency": only(
        OFFICE,
        body=lambda w: {"site": w.hanna_site.pk, "trade": "elektro"},
        ok=SUCCESS | {409, 422},
        why="the office dispatches; 409/422 when nobody is free",
    ),
    "scheduling_api_get_package": only(*A_PACKAGE),
    "scheduling_api_package_events": only(*A_PACKAGE),
    "scheduling_api_list_dispatches": listing(
        lambda w: "Leuchten-4711", sees={TRADE_A, ADMIN_A, OFFICE}
    ),
    "scheduling_api_accept_offer": only(TRADE_A, ADMIN_A, OFFICE, body=lambda w: {}),
    "scheduling_api_decline_offer": only(
        TRADE_A, ADMIN_A, OFFICE, body=lambda w: {"reason": "Keine Kapazität"}
    ),
    "scheduling_api_fairness": listing(
        lambda w: lambda rows: any(row["workshop_id"] == w.a.pk for row in rows),
        sees={TRADE_A, ADMIN_A, OFFICE},
    ),
    "scheduling_api_list_feeds": listing(lambda w: w.feed.token, sees={TRADE_A}),
    "scheduling_api_create_feed": only(
        TRADE_A, ADMIN_A, OFFICE, body=lambda w: {"scope": "worker", "key": w.anton_worker.pk}
    ),
    "scheduling_api_revoke_feed": only(
        TRADE_A,
        refused_also={p: {204} for p in SIGNED_IN},
        why="revoking a feed that is not yours is a silent no-op, like an unknown id",
    ),
    "scheduling_api_accept_work": only(
        HOME_A,
        OFFICE,
        body=lambda w: {"approved": True, "signer_name": "Hanna", "signature_png": png_data_url()},
        ok=SUCCESS | {409},
        why="the customer signs; 409 while work is still open",
    ),
    # --- invoicing
    "invoicing_api_list_invoices": listing(
        lambda w: w.invoice.number, sees={HOME_A, ADMIN_A, OFFICE}
    ),
    "invoicing_api_get_invoice": only(HOME_A, ADMIN_A, OFFICE),
    "invoicing_api_issue": only(
        ADMIN_A, OFFICE, path={"invoice_id": lambda w: w.draft.pk}, why="drafts: issuer, office"
    ),
    "invoicing_api_cancel": only(ADMIN_A, OFFICE),
    "invoicing_api_draft_package_invoice": only(
        OFFICE, ok=frozenset({422}), why="the world's package is not finished: refused, and why"
    ),
    "invoicing_api_record_payment": only(
        ADMIN_A, OFFICE, body=lambda w: {"amount": "10.00", "booked_on": "2026-03-31"}
    ),
    "invoicing_api_record_refund": only(
        ADMIN_A,
        OFFICE,
        body=lambda w: {"amount": "10.00", "booked_on": "2026-03-31"},
        ok=frozenset({422}),
        why="no credit on the world's invoice to refund",
    ),
    "invoicing_api_prepare_refund_transfer": only(
        ADMIN_A,
        OFFICE,
        body=lambda w: {
            "name": "Hanna",
            "iban": "DE89370400440532013000",
            "amount": "10.00",
            "execution_date": "2099-01-01",
        },
        ok=frozenset({422}),
        why="no credit on the world's invoice to refund",
    ),
    "invoicing_api_refund_transfer_file": only(ADMIN_A, OFFICE),
    "invoicing_api_book_refund_transfer": only(
        ADMIN_A,
        OFFICE,
        body=lambda w: {"booked_on": "2026-03-31"},
        ok=frozenset({422}),
        why="no credit on the world's invoice to refund",
    ),
    "invoicing_api_discard_refund_transfer": only(ADMIN_A, OFFICE),
    "invoicing_api_waive_charges": only(
        ADMIN_A, OFFICE, ok=frozenset({422}), why="no dunning charges open on the world's invoice"
    ),
    "invoicing_api_invoice_pdf": only(HOME_A, ADMIN_A, OFFICE),
    "invoicing_api_invoice_xml": only(HOME_A, ADMIN_A, OFFICE),
    "invoicing_api_upload_statement": only(OFFICE, files=lambda w: {"file": camt_file()}),
    "invoicing_api_list_bank_transactions": only(OFFICE),
    "invoicing_api_list_base_rates": only(OFFICE),
    "invoicing_api_enter_base_rate": only(
        OFFICE,
        body=lambda w: {"valid_from": "2020-01-01", "rate": "1.27"},
        ok=frozenset({422}),
        why="a half-year long past: refused at its field",
    ),
    "invoicing_api_assign_transaction": only(
        OFFICE, body=lambda w: {"invoice": w.coop_invoice.pk}, ok=SUCCESS | {422}
    ),
    "invoicing_api_mark_dealt_with": only(
        OFFICE, body=lambda w: {"note": "an Kunden zurücküberwiesen"}
    ),
    "invoicing_api_undo_dealt_with": only(
        OFFICE, ok=frozenset({409}), why="the world's credit is not marked as dealt with"
    ),
    "invoicing_api_month_end": only(OFFICE, body=lambda w: {"period": "2026-03"}),
    "invoicing_api_list_settlements": listing(
        lambda w: w.settlement.credit_note.number, sees={ADMIN_A, OFFICE}
    ),
    "invoicing_api_get_settlement": only(ADMIN_A, OFFICE),
    "invoicing_api_payout_file": only(OFFICE),
    "invoicing_api_export_datev": only(
        ADMIN_A, OFFICE, query=lambda w: {"start": "2026-03-01", "end": "2026-03-31", **a_books(w)}
    ),
    "invoicing_api_export_invoices": only(
        ADMIN_A, OFFICE, query=lambda w: {"start": "2026-03-01", "end": "2026-03-31", **a_books(w)}
    ),
    # --- the field app
    "scheduling_field_api_agenda": listing(
        lambda w: "Nachbarn-4711", sees=A_FIELD, query=lambda w: {"start": "2026-04-01"}
    ),
    "scheduling_field_api_get_appointment": only(*A_FIELD),
    "scheduling_field_api_change_status": only(
        *A_FIELD, body=lambda w: {"client_id": new_id(), "action": "travel"}
    ),
    "scheduling_field_api_tick": only(*A_FIELD, body=lambda w: {"done": True}),
    "scheduling_field_api_record_time": only(
        *A_FIELD, body=lambda w: {"client_id": new_id(), "start": at(6), "hours": "1.5"}
    ),
    "scheduling_field_api_record_material": only(
        *A_FIELD,
        body=lambda w: {
            "client_id": new_id(),
            "text": "Kabel",
            "quantity": "2",
            "unit": "m",
            "unit_price": "1.50",
        },
    ),
    # Anton recorded them: he, his workshop's admin and the office may correct them.
    "scheduling_field_api_update_time": only(
        *A_FIELD,
        path={"entry_id": lambda w: w.time_entry.pk},
        body=lambda w: {"start": at(6), "hours": "1.5"},
    ),
    "scheduling_field_api_delete_time": only(
        *A_FIELD, path={"entry_id": lambda w: w.time_entry.pk}
    ),
    "scheduling_field_api_update_material": only(
        *A_FIELD,
        path={"entry_id": lambda w: w.material_entry.pk},
        body=lambda w: {"text": "Kabel", "quantity": "3", "unit": "m", "unit_price": "1.50"},
    ),
    "scheduling_field_api_delete_material": only(
        *A_FIELD, path={"entry_id": lambda w: w.material_entry.pk}
    ),
    "scheduling_field_api_upload_photo": only(
        *A_FIELD, files=lambda w: {"client_id": new_id(), "file": jpeg_file()}
    ),
    "scheduling_field_api_sign": only(
        *A_FIELD,
        body=lambda w: {"client_id": new_id(), "signer_name": "Hanna", "image": png_data_url()},
        ok=SUCCESS | {409},
        why="409: the customer signed this task already",
    ),
    "trades_api_certify_worker": only(
        ADMIN_A,
        OFFICE,
        path={"code": lambda w: w.certification.code},
        body=lambda w: {"valid_until": "2027-03-31", "reference": "Zert-0815"},
    ),
    "trades_api_uncertify_worker": only(
        ADMIN_A, OFFICE, path={"code": lambda w: w.certification.code}
    ),
    "trades_api_lift_absence": only(ADMIN_A, OFFICE),
    "scheduling_field_api_unstaffed": only(
        ADMIN_A, ADMIN_B, OFFICE, why="each workshop's own (isolation: test_dispatch)"
    ),
    "scheduling_field_api_candidates": only(ADMIN_A, OFFICE),
    "scheduling_field_api_assign_worker": only(
        ADMIN_A, OFFICE, body=lambda w: {"worker": w.colleague.pk}, why="who runs the workshop"
    ),
    "scheduling_field_api_photo_file": only(*A_FIELD),
    "scheduling_field_api_signature_file": only(*A_FIELD),
    # --- the office's board
    "scheduling_board_api_get_board": only(OFFICE),
    "scheduling_board_api_preview_move": only(
        OFFICE, body=lambda w: {"task": w.offered_task.pk, "workshop": w.a.pk, "date": "2026-04-08"}
    ),
    "scheduling_board_api_confirm_move": only(
        OFFICE,
        body=lambda w: {
            "task": w.offered_task.pk,
            "workshop": w.a.pk,
            "date": "2026-04-08",
            "token": "stale-token",
        },
        ok=SUCCESS | {409, 422},
        why="a stale preview token is refused with 409",
    ),
    "scheduling_board_api_request_inbox": only(OFFICE),
    "scheduling_board_api_triage_request": only(OFFICE, body=lambda w: {"status": "declined"}),
    "scheduling_board_api_package_log": only(OFFICE),
    "scheduling_board_api_release_pin": only(
        OFFICE, ok=SUCCESS | {404}, why="the world's appointment was not placed by hand: 404"
    ),
    # --- a package's messages: its homeowner, the workshops working on it, the office
    "scheduling_messages_api_list_messages": only(*A_PACKAGE),
    "scheduling_messages_api_post_message": only(*A_PACKAGE, body=lambda w: {"body": "Hallo"}),
    "scheduling_messages_api_mark_read": only(*A_PACKAGE),
    "scheduling_messages_api_recipients": only(*A_PACKAGE),
    # --- data protection
    "customers_privacy_api_export": only(
        HOME_A, OFFICE, query=lambda w: {"customer_id": w.hanna_customer.pk}
    ),
    "customers_privacy_api_erasure": only(
        HOME_A,
        OFFICE,
        body=lambda w: {"customer_id": w.hanna_customer.pk, "confirm": True},
        ok=SUCCESS | {409},
        why="409 while the package is open",
    ),
}

#: How to fill a path parameter with A's object, unless the rule says otherwise.
PATH_OBJECTS = {
    "operation_id": lambda w: w.operation.pk,
    "token_id": lambda w: w.token.pk,
    "workshop_id": lambda w: w.a.pk,
    "worker_id": lambda w: w.anton_worker.pk,
    "customer_id": lambda w: w.hanna_customer.pk,
    "site_id": lambda w: w.hanna_site.pk,
    "quote_id": lambda w: w.quote.pk,
    "package_id": lambda w: w.package.pk,
    "dispatch_id": lambda w: w.dispatch.pk,
    "feed_id": lambda w: w.feed.pk,
    "invoice_id": lambda w: w.invoice.pk,
    "transfer_id": lambda w: w.transfer.pk,
    "transaction_id": lambda w: w.bank_transaction.pk,
    "settlement_id": lambda w: w.settlement.pk,
    "period": lambda w: "2026-03",
    "appointment_id": lambda w: w.appointment.pk,
    "item_id": lambda w: w.checklist_item.pk,
    "photo_id": lambda w: w.photo.pk,
    "signature_id": lambda w: w.signature.pk,
    "request_id": lambda w: w.request.pk,
    "supplement_id": lambda w: w.supplement.pk,
    "acceptance_id": lambda w: w.acceptance.pk,
    "absence_id": lambda w: w.absence.pk,
    "notice_id": lambda w: w.notice.pk,
    "token": lambda w: w.feed.token,
    "code": lambda w: w.template.code,
    "postal_code": lambda w: "49661",
}
#: ... and with something that does not exist.
PATH_MISSING = {
    "period": "2001-01",  # a month, but not settled
    "code": "no-such-code",
    "token": "no-such-token",
    "postal_code": "99999",
}


def a_books(w) -> dict:
    return {"issuer": f"ws{w.a.pk}"}


def new_site() -> dict:
    return {
        "street": "Geheimweg 8",
        "postal_code": "49661",
        "city": "Cloppenburg",
        "latitude": 52.85,
        "longitude": 8.04,
    }


def new_workshop() -> dict:
    from tests import factories as f

    return {
        "name": "Neuer Betrieb",
        "legal_name": "Neuer Betrieb GmbH",
        "owner_name": "Nina Neu",
        "vat_id": f.vat_id(),
        "iban": f.iban(),
        "email": "neu@betrieb.example",
        "street": "Hauptstraße 9",
        "postal_code": "49661",
        "city": "Cloppenburg",
        "state": "NI",
        "latitude": 52.85,
        "longitude": 8.04,
    }


def new_template(code: str) -> dict:
    return {
        "code": code,
        "name_de": "Steckdosen",
        "name_en": "Sockets",
        "tasks": [
            {
                "code": "dosen",
                "name_de": "Dosen",
                "name_en": "Sockets",
                "trade": "elektro",
                "duration_base_hours": 2,
            }
        ],
    }


def signature_png() -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (300, 120), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(10, 100), (150, 20), (290, 90)], fill="black", width=4)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def jpeg_bytes() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), (180, 90, 40)).save(out, "JPEG")
    return out.getvalue()


def jpeg_file():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("foto.jpg", jpeg_bytes(), "image/jpeg")


def camt_file():
    from django.core.files.uploadedfile import SimpleUploadedFile

    path = Path(__file__).parent / "invoicing" / "fixtures" / "camt053_2026-03-02.xml"
    return SimpleUploadedFile(path.name, path.read_bytes(), "application/xml")


# --- what each page, file and feed allows ------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """Who may open a page (or post to it). ``ok``: the answers of success; a refusal is 403,
    404, or a redirect to a login page."""

    who: frozenset
    method: str = "get"
    data: object = None  # callable(world) -> dict
    ok: frozenset = frozenset({200})
    lands: str = ""  # where a successful post redirects to
    why: str = ""


def page(*who, **kwargs) -> Page:
    return Page(who=frozenset(who), **kwargs)


PAGES: dict[str, Page] = {
    "healthz": Page(EVERYONE, ok=frozenset({200, 503}), why="state of the parts, no data"),
    "favicon.ico": Page(EVERYONE, ok=frozenset({302}), why="the app's icon"),
    "i18n/setlang/": Page(
        EVERYONE, method="post", data=lambda w: {"language": "en"}, ok=frozenset({302})
    ),
    "kalender/<str:token>.ics": Page(EVERYONE, why="the secret in the URL is the key"),
    # the field app
    "monteur/": page(
        TRADE_A, ADMIN_A, ADMIN_B, OFFICE, why="the app shell: any member's people, the office"
    ),
    "monteur/sw.js": Page(EVERYONE),
    "monteur/manifest.webmanifest": Page(EVERYONE),
    "monteur/anmelden/": Page(EVERYONE, ok=frozenset({200, 302})),
    "monteur/abmelden/": Page(EVERYONE, method="post", ok=frozenset({302})),
    # the portal
    "": Page(EVERYONE),
    "pakete/": Page(EVERYONE),
    "pakete/<slug:code>/anfrage/": Page(EVERYONE),
    "angebot/<int:quote_id>/": page(HOME_A, OFFICE),
    "angebot/<int:quote_id>/annehmen/": page(
        HOME_A,
        method="post",
        data=lambda w: {"version": w.quote.version, "early_start_consent": "on"},
        ok=frozenset({302}),
        lands="/auftrag/",
    ),
    "angebot/<int:quote_id>/ablehnen/": page(
        HOME_A,
        method="post",
        data=lambda w: {"version": w.quote.version},
        ok=frozenset({302}),
        lands="/meine-auftraege/",
        why="only the homeowner it was made for says no",
    ),
    "angebot/<int:quote_id>/pdf/": page(HOME_A, OFFICE),
    "auftrag/<int:package_id>/nachtrag/<int:supplement_id>.pdf": page(
        HOME_A, OFFICE, why="a supplement's prices: the homeowner's and the office's"
    ),
    "anmelden/": Page(EVERYONE, ok=frozenset({200, 302})),
    "abmelden/": Page(EVERYONE, method="post", ok=frozenset({302})),
    "zwei-faktor/einrichten/": Page(SIGNED_IN, ok=frozenset({200, 302}), why="one's own device"),
    "zwei-faktor/pruefen/": Page(SIGNED_IN, ok=frozenset({200, 302}), why="one's own device"),
    "zwei-faktor/notfallcodes/": Page(
        SIGNED_IN, ok=frozenset({200, 302}), why="one's own backup codes"
    ),
    # the homeowner's package
    "auftrag/<int:package_id>/": page(*A_PACKAGE),
    "auftrag/<int:package_id>/termine.ics": page(*A_PACKAGE),
    "auftrag/<int:package_id>/abnahme/<int:acceptance_id>.pdf": page(*A_PACKAGE),
    "auftrag/<int:package_id>/nachricht/": page(
        *A_PACKAGE,
        method="post",
        data=lambda w: {"body": "Hallo"},
        ok=frozenset({302}),
        lands="/auftrag/",
        why="the message form without JavaScript; each side writes in its own thread",
    ),
    "auftrag/<int:package_id>/nachtrag/<int:supplement_id>/annehmen/": page(
        HOME_A,
        method="post",
        data=lambda w: {"early_start_consent": "on"},
        ok=frozenset({302}),
        lands="/auftrag/",
        why="only the homeowner extends her order",
    ),
    "auftrag/<int:package_id>/nachtrag/<int:supplement_id>/ablehnen/": page(
        HOME_A,
        method="post",
        ok=frozenset({302}),
        lands="/auftrag/",
        why="only the homeowner says no to a supplement",
    ),
    "auftrag/<int:package_id>/widerruf/": page(
        HOME_A, why="the withdrawal function is the customer's alone"
    ),
    "auftrag/<int:package_id>/fotos-freigeben/": page(
        HOME_A,
        method="post",
        data=lambda w: {"photos_public": "1"},
        ok=frozenset({302}),
        lands="/auftrag/",
        why="only the homeowner consents to photos of her job being shown",
    ),
    # the public member directory: no personal data; photos only with the customer's consent
    "meine-auftraege/": page(*SIGNED_IN, why="everyone's own orders (an empty list for most)"),
    "meine-daten/": page(*SIGNED_IN, why="everyone's own data (nothing to erase for most)"),
    "impressum/": Page(EVERYONE),
    "datenschutz/": Page(EVERYONE),
    "mitglieder/": Page(EVERYONE),
    "mitglieder/<int:workshop_id>/": Page(EVERYONE),
    "mitglieder/foto/<int:photo_id>.jpg": page(why="the world's photo has no consent: nobody"),
    "mitglieder/foto/<int:photo_id>-klein.jpg": page(why="the world's photo has no consent"),
    "pakete/plz/<str:postal_code>/": Page(EVERYONE, why="the public postcode table"),
    # the office
    "buero/plantafel/": page(OFFICE),
    "buero/angebote/<int:package_id>/": page(OFFICE, why="the office revises quotes"),
    "buero/auftraege/<int:package_id>/nachtrag/": page(OFFICE, why="the office writes supplements"),
    "buero/nachtraege/<int:supplement_id>/zuruecknehmen/": page(
        OFFICE, method="post", ok=frozenset({302}), lands="/auftrag/"
    ),
    # invoicing: office only (403 on the lists, 404 for one invoice so an id reveals nothing)
    "betrieb/abrechnungen/": page(
        ADMIN_A, ADMIN_B, OFFICE, why="each workshop its own (isolation: test_settlement)"
    ),
    "buero/notdienst/": page(OFFICE, why="the office takes emergency calls"),
    "buero/rechnungen/": page(OFFICE),
    "buero/rechnungen/<int:invoice_id>/": page(OFFICE),
    "buero/rechnungen/<int:invoice_id>/ausstellen/": page(
        OFFICE, method="post", ok=frozenset({302, 422}), why="the world's invoice is issued already"
    ),
    "buero/rechnungen/<int:invoice_id>/stornieren/": page(
        OFFICE, method="post", ok=frozenset({422}), why="refused without the confirming tick"
    ),
    "buero/rechnungen/<int:invoice_id>/loeschen/": page(
        OFFICE, method="post", ok=frozenset({422}), why="the world's invoice is issued: kept"
    ),
    "buero/rechnungen/<int:invoice_id>/zahlung/": page(
        OFFICE, method="post", ok=frozenset({422}), why="an empty payment is refused at its field"
    ),
    "buero/rechnungen/<int:invoice_id>/erstattung/": page(
        OFFICE, method="post", ok=frozenset({422}), why="an empty refund is refused at its field"
    ),
    "buero/rechnungen/<int:invoice_id>/erstattung/sepa/": page(
        OFFICE, method="post", ok=frozenset({422}), why="an empty transfer is refused at its field"
    ),
    "buero/rechnungen/<int:invoice_id>/erstattung/sepa/<int:transfer_id>/": page(
        OFFICE, why="the file handed to the bank"
    ),
    "buero/rechnungen/<int:invoice_id>/erstattung/sepa/<int:transfer_id>/gebucht/": page(
        OFFICE, method="post", ok=frozenset({422}), why="an empty date is refused at its field"
    ),
    "buero/rechnungen/<int:invoice_id>/erstattung/sepa/<int:transfer_id>/zurueck/": page(
        OFFICE, method="post", ok=frozenset({302}), why="refused with a message: not booked yet"
    ),
    "buero/rechnungen/<int:invoice_id>/erstattung/sepa/<int:transfer_id>/verwerfen/": page(
        OFFICE, method="post", ok=frozenset({302}), why="discarded: back to the invoice"
    ),
    "buero/rechnungen/<int:invoice_id>/senden/": page(
        OFFICE, method="post", ok=frozenset({302}), why="the office mails a customer's invoice"
    ),
    "buero/rechnungen/<int:invoice_id>/mahnkosten-erlassen/": page(
        OFFICE, method="post", ok=frozenset({302}), why="nothing open: back to the invoice"
    ),
    "buero/rechnungen/auftrag/<int:package_id>/": page(OFFICE, why="a package's invoices"),
    "buero/rechnungen/auftrag/<int:package_id>/entwurf/": page(
        OFFICE, method="post", ok=frozenset({422}), why="the world's package is not finished"
    ),
    "buero/rechnungen/monatsabschluss/": page(OFFICE),
    "buero/rechnungen/monatsabschluss/export/": page(
        OFFICE,
        ok=frozenset({302}),
        lands="/buero/rechnungen/monatsabschluss/",
        why="the cooperative's books for the tax advisor; without a period: the month-end page",
    ),
    "buero/rechnungen/mahnwesen/<int:notice_id>/": page(OFFICE, why="the office's letters"),
    "buero/rechnungen/monatsabschluss/<str:period>/auszahlung/": page(
        OFFICE,
        method="post",
        data=lambda w: {f"run{w.settlement.run_id}-booked_on": timezone.localdate().isoformat()},
        ok=frozenset({302}),
        why="the office books the members' payouts",
    ),
    "buero/rechnungen/mahnwesen/": page(OFFICE),
    "buero/rechnungen/mahnwesen/basiszins/": page(
        OFFICE,
        method="post",
        ok=frozenset({422}),
        why="an empty base rate is refused at its fields",
    ),
    "buero/rechnungen/kontoauszuege/": page(OFFICE),
    "buero/rechnungen/kontoauszuege/<int:transaction_id>/zuordnen/": page(
        OFFICE, method="post", ok=frozenset({302, 422}), why="no invoice number given: refused"
    ),
    "buero/rechnungen/kontoauszuege/<int:transaction_id>/erledigt/": page(
        OFFICE, method="post", ok=frozenset({422}), why="no note given: refused at its field"
    ),
    "buero/rechnungen/kontoauszuege/<int:transaction_id>/erledigt/zuruecknehmen/": page(
        OFFICE, method="post", ok=frozenset({409}), why="the world's credit is not marked"
    ),
    "admin/": page(
        OFFICE, why="the Django admin: staff accounts only; the office's lookups (see below)"
    ),
}

#: Not pages of their own: the API (the operations above) and the admin's inner pages (its
#: login and staff check guard them all; "admin/" stands for them, and the office's lookups
#: are tried below).
NOT_PAGES = ("api/", "admin/")


# --- live groups ---------------------------------------------------------------------------------

GROUPS: dict[str, tuple[object, frozenset]] = {
    # kind: (A's group name from the world, who may join it)
    "office": (lambda w: "office", frozenset({OFFICE})),
    "user": (lambda w: f"user.{w.hanna.pk}", frozenset({HOME_A})),
    "workshop": (lambda w: f"workshop.{w.a.pk}", frozenset({TRADE_A, ADMIN_A, OFFICE})),
    "worker": (lambda w: f"worker.{w.anton_worker.pk}", frozenset({TRADE_A, ADMIN_A, OFFICE})),
    "package": (lambda w: f"package.{w.package.pk}", A_PACKAGE),
    # the homeowner's thread with the office: not for the workshops following the package
    "owner": (lambda w: f"owner.{w.package.pk}", frozenset({HOME_A, OFFICE})),
}


# --- the world: one set of objects for the module ----------------------------------------------


def _session_cookie(user) -> str:
    """A logged-in session; staff have confirmed their second factor (as in conftest)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client()
    client.force_login(user)
    if user.role in {"office", "coop_admin", "workshop_admin"} or user.is_staff:
        device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def build_world():
    """Member A (electrics) with its admin Alice and tradesperson Anton; member B with its admin
    Bob; homeowner Hanna (A's customer) with a package that A works on, its quote, offers, an
    appointment with photo and signature, an Abnahme, invoices and A's settlement; homeowner
    Heinz; Otto, logged in with no relation; Olga from the office."""
    import time_machine
    from django.contrib.auth import get_user_model
    from django.contrib.gis.geos import Point

    from customers.models import Customer, PostalCode, Site
    from invoicing import payments, samples, services, settlement
    from invoicing.models import (
        BankStatementImport,
        BankTransaction,
        DunningNotice,
        RefundTransfer,
    )
    from jobs import fieldwork
    from jobs.models import Acceptance, ChecklistItem, Package, Request
    from jobs.services import book_package, create_quote, save_template
    from jobs.supplements import propose_supplement
    from scheduling.dispatch import offer
    from scheduling.field_api import assignment_of
    from scheduling.models import Appointment, FeedToken, PlanRun
    from trades.models import Absence, Certification, Worker, WorkerCertification
    from zunft.core.auth import issue_token
    from zunft.core.models import Operation

    berlin = dt.timezone(dt.timedelta(hours=2))
    w = SimpleNamespace()
    with time_machine.travel(dt.datetime(2026, 3, 2, 10, tzinfo=berlin), tick=False):
        sample = samples.build_world()
        w.a, w.b = sample.elektro, sample.sanitaer
        users = get_user_model().objects
        w.alice = users.create_user("alice", email="alice@example.org", role="workshop_admin")
        w.bob = users.create_user("bob", email="bob@example.org", role="workshop_admin")
        w.anton = users.create_user("anton", email="anton@example.org", role="tradesperson")
        w.olga = users.create_user("olga", email="olga@example.org", role="office", is_staff=True)
        w.hanna = users.create_user("hanna", email="hanna@example.org", role="homeowner")
        w.heinz = users.create_user("heinz", email="heinz@example.org", role="homeowner")
        w.otto = users.create_user("otto", email="otto@example.org", role="homeowner")
        w.a.admins.add(w.alice)
        w.b.admins.add(w.bob)
        elektro = sample.trades["elektro"]
        w.anton_worker = Worker.objects.create(
            workshop=w.a, user=w.anton, first_name="Anton", last_name="Monteurson"
        )
        w.anton_worker.trades.set([elektro])
        w.colleague = Worker.objects.create(workshop=w.a, first_name="Carla", last_name="Kollegin")
        w.colleague.trades.set([elektro])
        w.certification = Certification.objects.create(
            code="e-check", name_de="E-Check", name_en="E-check"
        )
        WorkerCertification.objects.create(
            worker=w.anton_worker, certification=w.certification, reference="Zert-4711"
        )
        w.absence = Absence.objects.create(
            workshop=w.a,
            worker=w.anton_worker,
            kind="training",
            start=dt.date(2026, 4, 20),
            end=dt.date(2026, 4, 21),
            note="Arzttermin-4711",
        )
        cloppenburg = Point(8.0436, 52.8476, srid=4326)
        PostalCode.objects.create(
            country="DE", code="49661", place="Cloppenburg", state="NI", location=cloppenburg
        )
        w.hanna_customer = Customer.objects.create(
            user=w.hanna,
            first_name="Hanna",
            last_name="Vertraulich",
            email=w.hanna.email,
            phone="04471 4711",
            street="Geheimweg 7",
            postal_code="49661",
            city="Cloppenburg",
        )
        w.hanna_site = Site.objects.create(
            customer=w.hanna_customer,
            street="Geheimweg 7",
            postal_code="49661",
            city="Cloppenburg",
            state="NI",
            location=cloppenburg,
            access_notes="Schluessel beim Nachbarn-4711",
        )
        heinz_customer = Customer.objects.create(
            user=w.heinz,
            first_name="Heinz",
            last_name="Anders",
            email=w.heinz.email,
            street="Am Esch 3",
            postal_code="26169",
            city="Friesoythe",
        )
        Site.objects.create(
            customer=heinz_customer,
            street="Am Esch 3",
            postal_code="26169",
            city="Friesoythe",
            state="NI",
            location=Point(7.8590, 53.0207, srid=4326),
        )
        task = {"trade": "elektro", "duration_base_hours": 4}
        w.template = save_template(
            {"code": "steckdosen", "name_de": "Steckdosen", "name_en": "Sockets"},
            [],
            [
                {"code": "wiring", "name_de": "Leitungen", "name_en": "Wiring", **task},
                {"code": "lights", "name_de": "Leuchten-4711", "name_en": "Lights", **task},
            ],
            [{"predecessor": "wiring", "successor": "lights", "lag_hours": 0}],
        )

        # Invoices: A's own invoice to Hanna, a draft of A's, and the cooperative's invoice whose
        # payment A's settlement pays out.
        def done_package(title):
            return samples._package(
                w.hanna_customer,
                w.hanna_site,
                title,
                dt.date(2026, 2, 23),
                [("dosen", "Steckdosen setzen", elektro, "3", "45.00")],
            )

        def billed(package, **kwargs):
            billings = samples._billings(package, sample, dt.date(2026, 2, 23))
            return services.generate_package_invoice(package, billings=billings, **kwargs)

        w.invoice = services.issue_invoice(billed(done_package("A selbst"), issuer=w.a))
        w.draft = billed(done_package("A Entwurf"), issuer=w.a)
        w.coop_invoice = services.issue_invoice(billed(done_package("Verbund")))
        # a refund transfer prepared on A's invoice (its credit is not the point here)
        w.transfer = RefundTransfer.objects.create(
            invoice=w.invoice,
            amount=Decimal("10.00"),
            payee_name="Hanna",
            payee_iban="DE89370400440532013000",
            execution_date=dt.date(2026, 3, 2),
            document=b"<Document/>",
        )
        w.notice = DunningNotice.objects.create(
            invoice=w.coop_invoice,
            level=1,
            sent_on=dt.date(2026, 3, 9),
            open_amount=w.coop_invoice.amount_due,
            fee=0,
            interest=0,
            interest_rate=0,
            pay_by=dt.date(2026, 3, 19),
        )
    with time_machine.travel(dt.datetime(2026, 3, 10, 10, tzinfo=berlin), tick=False):
        payments.record_payment(
            w.coop_invoice, amount=w.coop_invoice.amount_due, booked_on=dt.date(2026, 3, 10)
        )
        statement = BankStatementImport.objects.create(sha256="0" * 64, filename="auszug.xml")
        w.bank_transaction = BankTransaction.objects.create(
            statement=statement,
            transaction_id="TRUST-1",
            booked_on=dt.date(2026, 3, 10),
            amount=Decimal("12.34"),
            remittance="Unbekannt",
            status="unmatched",
        )
    with time_machine.travel(dt.datetime(2026, 4, 1, 9, tzinfo=berlin), tick=False):
        run = settlement.settle_month(dt.date(2026, 3, 1))
        w.settlement = run.settlements.select_related("credit_note").get(workshop=w.a)

        # Hanna's running package: the wiring is A's and Anton's today, the lights are offered.
        w.package = book_package(
            customer=w.hanna_customer,
            site=w.hanna_site,
            template=w.template,
            values={},
            earliest_start=dt.date(2026, 4, 1),
            today=TODAY,
        )
        w.quote = create_quote(w.package, today=TODAY)
        Package.objects.filter(pk=w.package.pk).update(status=Package.Status.ACCEPTED)
        tasks = {t.code: t for t in w.package.tasks.all()}
        w.offered_task = tasks["lights"]
        start = dt.datetime(2026, 4, 1, 8, tzinfo=berlin)
        w.appointment = Appointment.objects.create(
            task=tasks["wiring"],
            workshop=w.a,
            worker=w.anton_worker,
            start=start,
            end=start + dt.timedelta(hours=4),
            segments=[{"date": "2026-04-01", "start_hour": 8, "hours": 4}],
            status="accepted",
        )
        offered = Appointment.objects.create(
            task=tasks["lights"],
            workshop=w.a,
            start=start + dt.timedelta(days=1),
            end=start + dt.timedelta(days=1, hours=4),
            segments=[{"date": "2026-04-02", "start_hour": 8, "hours": 4}],
        )
        w.dispatch = offer(offered)
        w.supplement_trade = tasks["wiring"].trade.code
        w.supplement = propose_supplement(
            w.package,
            reason="Feuchte Wand hinter der Dose",
            tasks=[{"name": "Abdichten", "trade": w.supplement_trade, "duration_hours": 2}],
            today=TODAY,
        )
        fieldwork.ensure_checklists([tasks["wiring"]])
        w.checklist_item = (
            ChecklistItem.objects.filter(task=tasks["wiring"], evidence="").first()
            or ChecklistItem.objects.filter(task=tasks["wiring"]).first()
        )
        assignment = assignment_of(w.appointment)
        w.photo, _ = fieldwork.add_photo(
            assignment, user=w.anton, client_id=uuid.uuid4(), data=jpeg_bytes()
        )
        w.signature, _ = fieldwork.sign(
            assignment,
            user=w.anton,
            client_id=uuid.uuid4(),
            signer_name="Hanna Vertraulich",
            data=signature_png(),
        )
        w.time_entry, _ = fieldwork.record_time(
            assignment,
            user=w.anton,
            client_id=uuid.uuid4(),
            start=dt.datetime(2026, 4, 1, 5, tzinfo=dt.UTC),
            hours=Decimal(1),
        )
        w.material_entry, _ = fieldwork.record_material(
            assignment,
            user=w.anton,
            client_id=uuid.uuid4(),
            text="Kabel",
            quantity="2",
            unit="m",
            unit_price="1.50",
        )
        w.acceptance = Acceptance(
            package=w.package, outcome="defects", signer_name="Hanna", created_by=w.hanna
        )
        from django.core.files.base import ContentFile

        w.acceptance.signature.save("signature.png", ContentFile(signature_png()), save=False)
        w.acceptance.save()
        w.request = Request.objects.create(
            customer=w.hanna_customer,
            site=w.hanna_site,
            template=w.template,
            earliest_start=dt.date(2026, 5, 4),
            description="Bitte Rueckruf-4711",
            status="new",
        )
        w.feed = FeedToken.objects.create(owner=w.anton, scope="worker", key=w.anton_worker.pk)
        w.token_name = "Hannas-Skript-4711"
        w.token, _secret = issue_token(w.hanna, w.token_name)
        w.operation = Operation.objects.create(kind="roundtrip", created_by=w.hanna)
        PlanRun.objects.create(kind="replan", status="optimal", reason="trust")
    w.users = {
        OUTSIDER: w.otto,
        HOME_A: w.hanna,
        HOME_B: w.heinz,
        TRADE_A: w.anton,
        ADMIN_A: w.alice,
        ADMIN_B: w.bob,
        OFFICE: w.olga,
    }
    w.cookies = {persona: _session_cookie(user) for persona, user in w.users.items()}
    w.clients = {}
    return w


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """Built once in a transaction that is rolled back when the module is done. The clock runs
    from 1 April 2026, 09:00 (time_machine), the day of Anton's appointment."""
    import time_machine
    from django.test.utils import override_settings

    media = override_settings(MEDIA_ROOT=str(tmp_path_factory.mktemp("media")))
    clock = time_machine.travel(
        dt.datetime(2026, 4, 1, 9, tzinfo=dt.timezone(dt.timedelta(hours=2))), tick=True
    )
    with django_db_blocker.unblock(), media, transaction.atomic():
        world = build_world()
        world.tables = _tables()
        clock.start()
        try:
            yield world
        finally:
            clock.stop()
            transaction.set_rollback(True)


# --- calling -----------------------------------------------------------------------------------


def _tables() -> list[str]:
    """The tables a refused write must leave alone: every app's data (not sessions, second-factor
    devices, the audit and lock-out logs, which record the attempt itself)."""
    from django.apps import apps

    labels = {"core", "trades", "customers", "jobs", "scheduling", "invoicing"}
    tables = set()
    for label in labels:
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            if not model._meta.proxy and model._meta.managed:
                tables.add(model._meta.db_table)
    return sorted(tables)


def fingerprint(world) -> str:
    """One hash over the content of every table in ``world.tables``, in one query."""
    quote = connection.ops.quote_name
    parts = " UNION ALL ".join(
        f"SELECT '{t}' AS t, md5(coalesce(string_agg(r::text, '|' ORDER BY r::text), '')) AS h "
        f"FROM {quote(t)} r"
        for t in world.tables
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT string_agg(t || ':' || h, ',' ORDER BY t) FROM ({parts}) s")
        return cursor.fetchone()[0]


def client_for(world, persona: str) -> Client:
    """The persona's client, back to its session cookie alone. One client per persona: a new
    client loads the middleware again (WhiteNoise scans the static files each time)."""
    from http.cookies import SimpleCookie

    client = world.clients.setdefault(persona, Client(raise_request_exception=False))
    client.cookies = SimpleCookie()
    if persona != ANON:
        client.cookies[settings.SESSION_COOKIE_NAME] = world.cookies[persona]
    return client


def isolated(call):
    """Run one request in a savepoint that is rolled back: what it wrote is gone afterwards."""
    with transaction.atomic():
        try:
            return call()
        finally:
            transaction.set_rollback(True)


def watched(world, call, watch: bool):
    """``(response, wrote)``: the request, isolated; with ``watch``, whether it changed any data
    (compared before the rollback undoes it)."""
    from django.db import DatabaseError

    before = fingerprint(world) if watch else None

    def call_and_compare():
        response = call()
        if not watch:
            return response, False
        try:
            with transaction.atomic():
                return response, fingerprint(world) != before
        except DatabaseError:  # the request left the transaction broken: count it as a write
            return response, True

    return isolated(call_and_compare)


@dataclass
class Op:
    id: str
    method: str
    path: str
    params: list
    body: dict | None
    needs_login: bool

    @property
    def label(self) -> str:
        return f"{self.method.upper()} {self.path}"

    @property
    def writes(self) -> bool:
        return self.method in WRITES

    @property
    def path_params(self) -> list[str]:
        return re.findall(r"{(\w+)}", self.path)


SCHEMA = api.get_openapi_schema()


def _operations() -> list[Op]:
    return [
        Op(
            op["operationId"],
            method,
            path,
            op.get("parameters", []),
            op.get("requestBody"),
            bool(op.get("security")),
        )
        for path, methods in SCHEMA["paths"].items()
        for method, op in methods.items()
    ]


OPERATIONS = _operations()
BY_ID = {op.id: op for op in OPERATIONS}


def url_of(op: Op, rule: Rule, world, missing: bool = False) -> str:
    url = op.path
    for name in op.path_params:
        if missing:
            value = PATH_MISSING.get(name, MISSING_INT)
        else:
            fill = rule.path.get(name) or PATH_OBJECTS.get(name)
            assert fill, f"{op.label}: declare how to fill the path parameter {name!r}"
            value = fill(world)
        url = url.replace("{" + name + "}", str(value))
    return url


def call(op: Op, rule: Rule, world, persona: str, *, missing=False, body=None):
    client = client_for(world, persona)
    url = url_of(op, rule, world, missing)
    query = rule.query(world) if rule.query else {}
    if query:
        from urllib.parse import urlencode

        url += "?" + urlencode(query)
    if rule.files:  # multipart
        return getattr(client, op.method)(url, rule.files(world))
    if body is None:
        body = rule.body(world) if rule.body else None
    if op.writes or body is not None:
        return getattr(client, op.method)(url, body if body is not None else {}, "application/json")
    return client.get(url)


def content(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def describe(response) -> str:
    text = content(response)[:300].decode(errors="replace")
    exc = getattr(response, "exc_info", None)
    if exc:
        text += f" [{exc[0].__name__}: {exc[1]}]"
    return f"{response.status_code} {text}"


def contains_secret(rule: Rule, world, response) -> bool:
    secret = rule.secret(world)
    if callable(secret):
        body = response.json()
        return secret(body["items"] if isinstance(body, dict) and "items" in body else body)
    return secret.encode() in content(response)


# --- the API matrix ------------------------------------------------------------------------------


def test_every_api_operation_is_declared():
    """A new endpoint needs a line in RULES (who may use it) before it ships."""
    undeclared = sorted(f"{op.id} ({op.label})" for op in OPERATIONS if op.id not in RULES)
    stale = sorted(set(RULES) - set(BY_ID))
    assert not undeclared, "operations without a rule in RULES:\n  " + "\n  ".join(undeclared)
    assert not stale, f"rules for operations that no longer exist: {stale}"


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.label)
def test_each_persona_gets_what_the_rule_says(op, world):
    rule = RULES.get(op.id)
    if rule is None:
        pytest.fail(f"{op.id} ({op.label}) is not declared in RULES")
    failures = []
    for persona in PERSONAS:
        response, wrote = watched(
            world,
            lambda persona=persona: call(op, rule, world, persona),
            watch=op.writes and persona not in rule.who,
        )
        status = response.status_code
        what = f"{persona}: {describe(response)}"
        if status >= 500:
            failures.append(f"server error — {what}")
        elif persona in rule.who and rule.sees is None:
            if status not in rule.ok:
                failures.append(f"allowed, but got {what}")
        elif persona in rule.who:  # a listing: answered, with A's data for exactly `sees`
            if status not in rule.ok:
                failures.append(f"allowed, but got {what}")
            elif contains_secret(rule, world, response) != (persona in rule.sees):
                seen = "sees A's data" if persona not in rule.sees else "misses A's data"
                failures.append(f"{seen} — {what}")
        else:
            extra = rule.refused_also.get(persona, set())
            expected = {401} if persona == ANON and op.needs_login else REFUSED | extra
            if status not in expected:
                failures.append(f"not refused ({sorted(expected)}) — {what}")
            if wrote:
                failures.append(f"refused, but something was written — {what}")
    assert not failures, f"{op.label}:\n  " + "\n  ".join(failures)


WITH_PATH_IDS = [op for op in OPERATIONS if op.path_params]


@pytest.mark.parametrize("op", WITH_PATH_IDS, ids=lambda op: op.label)
def test_ids_that_do_not_exist_are_refused_for_everyone(op, world):
    rule = RULES.get(op.id)
    if rule is None:
        pytest.fail(f"{op.id} ({op.label}) is not declared in RULES")
    failures = []
    for persona in PERSONAS:
        response, wrote = watched(
            world,
            lambda persona=persona: call(op, rule, world, persona, missing=True),
            watch=op.writes,
        )
        extra = rule.refused_also.get(persona, set())
        if response.status_code not in REFUSED | extra:
            failures.append(f"{persona}: {describe(response)}")
        if wrote:
            failures.append(f"{persona}: something was written — {describe(response)}")
    assert not failures, f"{op.label} with unknown ids:\n  " + "\n  ".join(failures)


WITH_JSON_BODY = [
    op
    for op in OPERATIONS
    if op.body
    and "application/json" in op.body["content"]
    and RULES.get(op.id, Rule(frozenset())).body is not None
]


def _requires_fields(op: Op) -> bool:
    schema = op.body["content"]["application/json"]["schema"]
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = SCHEMA["components"]["schemas"][name]
    return bool(schema.get("required"))


@pytest.mark.parametrize(
    "op", [op for op in WITH_JSON_BODY if _requires_fields(op)], ids=lambda op: op.label
)
def test_an_empty_body_is_refused_as_input_naming_a_field(op, world):
    """For those allowed, an empty body is bad input (422 naming the field), not a refusal."""
    rule = RULES[op.id]
    failures = []
    for persona in sorted(rule.who):
        response = isolated(lambda persona=persona: call(op, rule, world, persona, body={}))
        if persona == ANON and op.needs_login:
            ok = response.status_code == 401
        else:
            ok = response.status_code == 422 and response.json()["detail"][0]["loc"][0] == "body"
        if not ok:
            failures.append(f"{persona}: {describe(response)}")
    assert not failures, f"{op.label} with {{}}:\n  " + "\n  ".join(failures)


# --- pages, files and feeds ----------------------------------------------------------------------


@dataclass
class Route:
    route: str
    name: str | None

    @property
    def label(self) -> str:
        return self.route or "(home)"


def _routes(patterns=None, prefix="") -> list[Route]:
    from django.urls.resolvers import LocalePrefixPattern

    found = []
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        pattern = "" if isinstance(entry.pattern, LocalePrefixPattern) else str(entry.pattern)
        route = prefix + pattern
        if isinstance(entry, URLResolver):
            if route in NOT_PAGES:
                if route == "admin/":
                    found.append(Route(route, "admin:index"))
                continue
            namespace = entry.namespace
            for sub in _routes(entry.url_patterns, route):
                if namespace and sub.name and ":" not in sub.name:
                    sub.name = f"{namespace}:{sub.name}"
                found.append(sub)
        elif isinstance(entry, URLPattern):
            found.append(Route(route, entry.name))
    return found


ROUTES = _routes()


def test_every_page_is_declared():
    undeclared = sorted(r.label for r in ROUTES if r.route not in PAGES)
    stale = sorted(set(PAGES) - {r.route for r in ROUTES})
    assert not undeclared, "URL patterns without a rule in PAGES:\n  " + "\n  ".join(undeclared)
    assert not stale, f"rules for pages that no longer exist: {stale}"


def page_url(route: Route, world, missing=False) -> str:
    if route.route == "healthz":
        return "/healthz"
    names = re.findall(r"<(?:\w+:)?(\w+)>", route.route)
    kwargs = {}
    for name in names:
        if missing:
            kwargs[name] = PATH_MISSING.get(name, MISSING_INT)
        else:
            kwargs[name] = PATH_OBJECTS[name](world)
    return reverse(route.name, kwargs=kwargs)


def is_login_redirect(response) -> bool:
    if response.status_code != 302:
        return False
    location = response["Location"]
    return any(part in location for part in ("/anmelden/", "/admin/login/", "/zwei-faktor/"))


def fetch(route: Route, rule: Page, world, persona: str, missing=False):
    client = client_for(world, persona)
    url = page_url(route, world, missing)
    if rule.method == "post":
        return client.post(url, rule.data(world) if rule.data else {})
    return client.get(url)


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.label)
def test_each_persona_gets_the_pages_the_rule_says(route, world):
    rule = PAGES.get(route.route)
    if rule is None:
        pytest.fail(f"{route.label} is not declared in PAGES")
    failures = []
    for persona in PERSONAS:
        response, wrote = watched(
            world,
            lambda persona=persona: fetch(route, rule, world, persona),
            watch=rule.method == "post" and persona not in rule.who,
        )
        what = f"{persona}: {response.status_code} {response.get('Location', '')}"
        if response.status_code >= 500 and response.status_code not in rule.ok:
            failures.append(f"server error — {what} {describe(response)}")
        elif persona in rule.who:
            landed = rule.lands in response.get("Location", "")
            if response.status_code not in rule.ok or not landed:
                failures.append(f"allowed, but got {what}")
        else:
            if not (response.status_code in {403, 404} or is_login_redirect(response)):
                failures.append(f"not refused — {what}")
            if wrote:
                failures.append(f"refused, but something was written — {what}")
    assert not failures, f"{route.label}:\n  " + "\n  ".join(failures)


@pytest.mark.parametrize(
    "route", [r for r in ROUTES if "<" in r.route and r.route in PAGES], ids=lambda r: r.label
)
def test_pages_of_things_that_do_not_exist_are_refused(route, world):
    rule = PAGES[route.route]
    failures = []
    for persona in PERSONAS:
        response = isolated(lambda persona=persona: fetch(route, rule, world, persona, True))
        if not (response.status_code == 404 or is_login_redirect(response)):
            failures.append(f"{persona}: {response.status_code} {response.get('Location', '')}")
    assert not failures, f"{route.label} with unknown ids:\n  " + "\n  ".join(failures)


#: The admin's lookups of A's customer and orders, with the id of A's record on each.
ADMIN_LOOKUPS = {
    "customers/customer": lambda w: w.hanna_customer.pk,
    "customers/site": lambda w: w.hanna_site.pk,
    "jobs/package": lambda w: w.package.pk,
    "jobs/request": lambda w: w.request.pk,
    "jobs/quote": lambda w: w.quote.pk,
}


@pytest.mark.parametrize("lookup", sorted(ADMIN_LOOKUPS))
def test_only_the_office_looks_up_customers_and_orders_in_the_admin(lookup, world):
    """The office lists and opens them (its role's view permissions) and saves nothing there;
    everybody else goes to the staff login or is refused, and writes nothing either."""
    listing = f"/admin/{lookup}/"
    record = f"{listing}{ADMIN_LOOKUPS[lookup](world)}/change/"
    failures = []
    for persona in PERSONAS:
        for url in (listing, record):
            response = isolated(lambda url=url, p=persona: client_for(world, p).get(url))
            refused = response.status_code == 403 or is_login_redirect(response)
            if not (response.status_code == 200 if persona == OFFICE else refused):
                failures.append(f"{persona} GET {url}: {response.status_code}")
        response, wrote = watched(
            world, lambda p=persona: client_for(world, p).post(record, {}), watch=True
        )
        if wrote or not (response.status_code == 403 or is_login_redirect(response)):
            failures.append(f"{persona} POST {record}: {response.status_code}, wrote: {wrote}")
    assert not failures, "\n  ".join(failures)


def test_a_revoked_calendar_feed_stops_working(world):
    from django.utils import timezone

    def revoke_and_fetch():
        type(world.feed).objects.filter(pk=world.feed.pk).update(revoked_at=timezone.now())
        return client_for(world, ANON).get(f"/kalender/{world.feed.token}.ics")

    assert client_for(world, ANON).get(f"/kalender/{world.feed.token}.ics").status_code == 200
    assert isolated(revoke_and_fetch).status_code == 404


def test_uploaded_files_are_never_served_without_a_check(world, settings):
    """Photos and signatures show people's homes and hands: they are served only through the
    API's checked endpoints, never as plain files under /media/ (not even with DEBUG on, where a
    static-file route used to serve them to anyone who guessed the path)."""
    import importlib

    from django.urls import Resolver404, clear_url_caches, resolve

    import zunft.urls

    names = [world.photo.image.name, world.signature.image.name, world.acceptance.signature.name]
    settings.DEBUG = True
    try:
        clear_url_caches()
        importlib.reload(zunft.urls)
        for name in names:
            with pytest.raises(Resolver404):
                resolve(f"{settings.MEDIA_URL}{name}")
    finally:
        settings.DEBUG = False
        importlib.reload(zunft.urls)
        clear_url_caches()
    for name in names:
        assert client_for(world, ANON).get(f"{settings.MEDIA_URL}{name}").status_code == 404


# --- live groups ---------------------------------------------------------------------------------


def test_every_group_kind_is_declared():
    from zunft.core import realtime

    kinds = {"office", "user", *realtime._group_rules}
    assert kinds == set(GROUPS), f"declare who may join: {sorted(kinds ^ set(GROUPS))}"


@pytest.mark.parametrize("kind", sorted(GROUPS))
def test_each_persona_may_join_exactly_the_groups_the_rule_says(kind, world):
    from django.contrib.auth.models import AnonymousUser

    from zunft.core.realtime import may_join

    name, who = GROUPS[kind]
    group = name(world)
    users = {ANON: AnonymousUser(), **world.users}
    wrong = [p for p in PERSONAS if may_join(users[p], group) != (p in who)]
    assert not wrong, f"{group}: may_join is wrong for {wrong}"
    if kind != "office":  # an id that does not exist, and one that is not an id
        for missing in (f"{kind}.{MISSING_INT}", f"{kind}.x", f"{kind}."):
            joined = [p for p in PERSONAS if p != OFFICE and may_join(users[p], missing)]
            assert not joined, f"{missing}: {joined} may join"


def test_a_refused_subscription_is_refused_on_a_real_socket(world, monkeypatch):
    """Through the real ASGI application (origin check, session, second factor, consumer): the
    admin of member B asks for each of A's groups and is denied every one; A's tradesperson
    gets A's workshop group."""
    import json

    import channels.db
    from asgiref.sync import async_to_sync
    from asgiref.testing import ApplicationCommunicator

    from zunft.asgi import application

    # The consumer's database calls run on this thread (async_to_sync), inside the module's
    # transaction; channels must not close that connection around them.
    monkeypatch.setattr(channels.db, "close_old_connections", lambda: None)

    async def subscribe(persona, groups):
        cookie = f"{settings.SESSION_COOKIE_NAME}={world.cookies[persona]}"
        socket = ApplicationCommunicator(
            application,
            {
                "type": "websocket",
                "path": "/ws/events/",
                "query_string": b"",
                "headers": [(b"cookie", cookie.encode()), (b"origin", b"http://127.0.0.1")],
                "subprotocols": [],
                "client": ("127.0.0.1", 50000),
                "server": ("127.0.0.1", 80),
            },
        )
        await socket.send_input({"type": "websocket.connect"})
        assert (await socket.receive_output(10))["type"] == "websocket.accept", persona

        async def receive():
            return json.loads((await socket.receive_output(10))["text"])

        hello = await receive()
        answers = {}
        for group in groups:
            text = json.dumps({"subscribe": group})
            await socket.send_input({"type": "websocket.receive", "text": text})
            answers[group] = (await receive())["type"]
        await socket.send_input({"type": "websocket.disconnect", "code": 1000})
        await socket.wait(10)
        return hello, answers

    a_groups = [name(world) for name, _who in GROUPS.values()]
    hello, answers = async_to_sync(subscribe)(ADMIN_B, a_groups)
    assert hello == {"type": "hello", "groups": [f"user.{world.bob.pk}"]}
    assert answers == dict.fromkeys(a_groups, "denied")
    _hello, answers = async_to_sync(subscribe)(TRADE_A, [f"workshop.{world.a.pk}"])
    assert answers == {f"workshop.{world.a.pk}": "subscribed"}


# --- found by the matrix --------------------------------------------------------------------------


def test_typing_a_known_homeowners_email_into_the_wizard_files_nothing_of_hers(world):
    """An anonymous visitor who asks for a quote with somebody else's email address files
    nothing to that account (its owner is mailed a code to log in and ask again) and sees
    nothing of hers. A new address gets its own quote at once."""
    from jobs.models import Request

    def ask(email):
        body = RULES["jobs_api_create_request"].body(world)
        body["contact"]["email"] = email
        return client_for(world, ANON).post("/api/v1/requests", body, "application/json")

    def guess_and_look():
        before = Request.objects.filter(customer__user=world.hanna).count()
        hers = ask(world.hanna.email)
        after = Request.objects.filter(customer__user=world.hanna).count()
        return hers, before, after, ask("neu-im-portal@example.org")

    hers, before, after, own = isolated(guess_and_look)
    assert hers.status_code == 401 and "mit dem Code an" in hers.json()["detail"]
    assert after == before  # nothing filed to her account
    assert own.status_code == 201
