"""The tradesperson's app (``/monteur/``): one page whose JavaScript draws offers, agenda and task
pages from the API, an installable web-app manifest and a service worker that keeps the app and
the last agenda readable without a connection.

Mounted outside ``i18n_patterns`` so the service worker has one fixed scope; the language comes
from the language cookie or the phone (LocaleMiddleware).
"""

import hashlib
import json

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import path, reverse, reverse_lazy
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from scheduling.field_api import FIELD_API_PREFIX
from trades.models import Worker
from trades.selectors import administered_workshop_ids, is_office, member_workshop_ids
from zunft.core.units import MATERIAL_UNITS

app_name = "field"

# The app's words. German first; kept here (not in the .po catalogue) so the JavaScript gets them
# in one piece; move them into the catalogue when the translators take the app on.
LABELS = {
    "de": {
        "app": "Zunft Monteur",
        "offers": "Angebote",
        "today": "Heute",
        "week": "Woche",
        "no_offers": "Keine offenen Einsatzangebote.",
        "no_agenda": "Keine Termine in diesem Zeitraum.",
        "no_agenda_today": "Keine Termine heute.",
        "accept": "Annehmen",
        "decline": "Ablehnen",
        "decline_reason": "Grund für die Absage",
        "reasons": ["Keine Kapazität", "Zu weit entfernt", "Krankheit"],
        "send": "Senden",
        "cancel": "Abbrechen",
        "answer_by": "Antwort bis",
        "cannot_take": "Nicht für Sie: {reason}. Die Betriebsleitung kann es für jemanden aus "
        "dem Team annehmen.",
        "hours": "Std.",
        "km": "km",
        "accepted": "Angenommen – steht im Kalender.",
        "show_in_week": "Im Kalender zeigen",
        "week_prev": "Vorherige Woche",
        "week_next": "Nächste Woche",
        "week_now": "Ab heute",
        "next_appointment": "Nächster Termin",
        "route": "Route",
        "maps_app": "Karten-App",
        "call": "Anrufen",
        "messages": "Nachrichten zum Auftrag",
        "status": {
            "": "Noch nicht begonnen",
            "travelling": "Unterwegs",
            "on_site": "Vor Ort",
            "paused": "Pause",
            "done": "Erledigt",
        },
        "actions": {
            "travel": "Losfahren",
            "arrive": "Angekommen",
            "pause": "Pause",
            "resume": "Weiter",
            "finish": "Fertig",
        },
        "checklist": "Checkliste",
        "photo_needed": "Foto nötig",
        "signature_needed": "Unterschrift nötig",
        "take_photo": "Foto",
        "photos": "Fotos",
        "add_photo": "Foto aufnehmen",
        "time": "Arbeitszeit",
        "from": "Von",
        "to": "Bis",
        "note": "Notiz",
        "save_time": "Zeit speichern",
        "worked": "Vor Ort laut Protokoll",
        "material": "Material",
        "text": "Bezeichnung",
        "quantity": "Menge",
        "unit": "Einheit",
        "unit_price": "Preis/Einheit (netto, €)",
        "save_material": "Material speichern",
        "signature": "Unterschrift Kunde",
        "signer": "Name des Kunden",
        "clear": "Löschen",
        "save_signature": "Unterschrift speichern",
        "signed_by": "Unterschrieben von",
        "sign_missing": "Bitte lassen Sie den Kunden im Feld oben unterschreiben.",
        "signer_missing": "Bitte tragen Sie den Namen des Kunden ein.",
        "sign_and_signer_missing": (
            "Bitte lassen Sie den Kunden unterschreiben und tragen Sie seinen Namen ein."
        ),
        "customer": "Kunde",
        "team": "Team",
        "team_hint": "Wer ausfällt, wird hier eingetragen: der Planer übergibt die Termine.",
        "absence_add": "Abwesenheit eintragen",
        "absence_kind": "Grund",
        "absence_kinds": {"illness": "Krankheit", "holiday": "Urlaub", "training": "Schulung"},
        "closure": "Betriebsruhe",
        "absence_saved": "Eingetragen – der Planer plant neu.",
        "absent": "Abwesend",
        "cert_expired": "abgelaufen",
        "cert_until": "gültig bis",
        "worker_add": "Mitarbeiter anlegen",
        "worker_edit": "Bearbeiten",
        "first_name": "Vorname",
        "last_name": "Nachname",
        "phone": "Telefon",
        "master": "Meister",
        "trades": "Gewerke",
        "left": "Ausgeschieden – nicht mehr im Team",
        "my_login": "Das bin ich (meine Anmeldung)",
        "accepted_later": "Angenommen – den Monteur wählen Sie unter Team.",
        "declined": "Abgelehnt – der Planer fragt einen anderen Betrieb.",
        "workshop": "Betrieb",
        "save": "Speichern",
        "saved": "Gespeichert – der Planer plant neu.",
        "no_team": "Noch keine Mitarbeiter – legen Sie unten den ersten an.",
        "inactive": "Nicht mehr im Team",
        "reactivate": "Wieder aufnehmen",
        "cert_add": "Qualifikation eintragen",
        "certification": "Qualifikation",
        "renew": "erneuern",
        "valid_until": "Gültig bis (leer: unbefristet)",
        "reference": "Nachweis-Nr.",
        "remove": "entfernen",
        "lift": "Aufheben",
        "lift_confirm": (
            "Abwesenheit von {who} ({what}) wirklich aufheben? Die Planung wird neu berechnet."
        ),
        "lifted": "Aufgehoben – der Planer plant neu.",
        "who_does_it": "Wer übernimmt den Auftrag?",
        "decide_later": "Später entscheiden (unter Team)",
        "staff": "Monteur",
        "settlements": "Monatsabrechnungen und Gutschriften",
        "codes": "Notfallcodes für die Anmeldung",
        "no_worker": "Noch kein Monteur – bitte jemanden wählen.",
        "unstaffed": "Ohne Monteur",
        "unstaffed_title": "Termine ohne Monteur",
        "unstaffed_hint": (
            "Angenommen, aber noch niemandem zugewiesen – etwa weil der Monteur ausfällt "
            "und kein Kollege frei war."
        ),
        "choose_worker": "Monteur wählen",
        "assign": "Zuweisen",
        "assigned": "Zugewiesen.",
        "no_other": "Kein anderer Monteur mit dem Gewerk ist an diesen Tagen frei.",
        "no_candidate": (
            "An diesen Tagen ist niemand mit dem Gewerk frei. Bitten Sie das Büro, "
            "den Termin zu verschieben."
        ),
        "without_login": "ohne App-Zugang",
        "worker_cleared": "Termin ohne Monteur:",
        "urgent": "Notdienst",
        "supplement": "Nachtrag {number}",
        "supplement_note": "Vom Kunden als Nachtrag beauftragt: {reason}",
        "calendar": "Im eigenen Kalender",
        "calendar_hint": "Ihre Termine im Kalender des Handys, immer auf dem neuesten Stand.",
        "calendar_subscribe": "Kalender abonnieren",
        "calendar_open": "In der Kalender-App öffnen",
        "calendar_url": "Adresse zum Abonnieren",
        "access": "Zugang",
        "back": "Zurück",
        "waiting_for": "Wartet auf",
        "working_days": "{n} Arbeitstage",
        "day_of": "Tag {n} von {total}",
        "released": "Freigegeben – kann beginnen",
        "released_toast": "Freigegeben:",
        "next": "Danach",
        "queued": "Aktion(en) warten auf Netz",
        "pending": "wartet auf Netz",
        "offline": "Offline – gespeicherte Daten",
        "stale": "Stand",
        "rejected": "Nicht übernommen",
        "saved_time": "Arbeitszeit gespeichert",
        "saved_material": "Material gespeichert: {text}",
        # correcting one's own hours and material (needs the network: it refers to the stored entry)
        "change": "Ändern",
        "delete": "Löschen",
        "change_time": "Arbeitszeit ändern",
        "change_material": "Material ändern",
        "delete_time": "Arbeitszeit {what} löschen?",
        "delete_material": "Material „{text}“ löschen?",
        "changed_time": "Arbeitszeit geändert",
        "changed_material": "Material geändert: {text}",
        "deleted_time": "Arbeitszeit gelöscht",
        "deleted_material": "Material gelöscht: {text}",
        "online_only": "Nur mit Netz möglich",
        "saved_status": "Gespeichert: {status}",
        "start_not_today": "Dieser Auftrag ist für {day} geplant, nicht für heute.",
        "start_waiting": "Vorher muss noch erledigt werden: {tasks}.",
        "start_anyway": "Trotzdem beginnen?",
        "time_not_planned": "Dieser Auftrag ist für {day} geplant und noch nicht begonnen, "
        "die Zeit ist für {date}.",
        "time_anyway": "Trotzdem speichern?",
        "task_gone": "Dieser Termin ist nicht mehr in Ihrer Liste: übergeben oder abgesagt. "
        "Wurde er übergeben, gehen Ihre wartenden Stunden, Material und Fotos trotzdem ein.",
        "to_today": "Zu Heute",
        "login_again": "Bitte neu anmelden.",
        "live": {"connecting": "verbinde …", "live": "aktuell", "offline": "offline"},
        "logout": "Abmelden",
        # the switch names the other language in that language, as a reader of it looks for it
        "switch_language": {"code": "en", "name": "English"},
        "new_offer": "Neues Einsatzangebot",
        "overran": "Über der geplanten Zeit – die Planung wird angepasst.",
        "tentative": "vorläufig",
        "log": "Verlauf",
        "weekdays": ["So", "Mo", "Di", "Mi", "Do", "Fr", "Sa"],
        "username": "Benutzername",
        "password": "Passwort",
        "login": "Anmelden",
        "login_failed": "Benutzername oder Passwort stimmen nicht.",
        "no_access": "Dieses Konto gehört zu keinem Mitgliedsbetrieb.",
    },
    "en": {
        "app": "Zunft on site",
        "offers": "Offers",
        "today": "Today",
        "week": "Week",
        "no_offers": "No open offers.",
        "no_agenda": "No appointments in this period.",
        "no_agenda_today": "No appointments today.",
        "accept": "Accept",
        "decline": "Decline",
        "decline_reason": "Reason for declining",
        "reasons": ["No capacity", "Too far away", "Illness"],
        "send": "Send",
        "cancel": "Cancel",
        "answer_by": "Answer by",
        "cannot_take": "Not for you: {reason}. Your workshop's management can accept it for "
        "someone in the team.",
        "hours": "h",
        "km": "km",
        "accepted": "Accepted – it is in the agenda.",
        "show_in_week": "Show in the agenda",
        "week_prev": "Previous week",
        "week_next": "Next week",
        "week_now": "From today",
        "next_appointment": "Next appointment",
        "route": "Route",
        "maps_app": "Maps app",
        "call": "Call",
        "messages": "Messages about the order",
        "status": {
            "": "Not started",
            "travelling": "On the way",
            "on_site": "On site",
            "paused": "Paused",
            "done": "Done",
        },
        "actions": {
            "travel": "Set off",
            "arrive": "Arrived",
            "pause": "Pause",
            "resume": "Resume",
            "finish": "Done",
        },
        "checklist": "Checklist",
        "photo_needed": "photo needed",
        "signature_needed": "signature needed",
        "take_photo": "Photo",
        "photos": "Photos",
        "add_photo": "Take a photo",
        "time": "Working time",
        "from": "From",
        "to": "To",
        "note": "Note",
        "save_time": "Save time",
        "worked": "On site according to the log",
        "material": "Material",
        "text": "Item",
        "quantity": "Quantity",
        "unit": "Unit",
        "unit_price": "Unit price (net, €)",
        "save_material": "Save material",
        "signature": "Customer's signature",
        "signer": "Customer's name",
        "clear": "Clear",
        "save_signature": "Save signature",
        "signed_by": "Signed by",
        "sign_missing": "Please have the customer sign in the box above.",
        "signer_missing": "Please enter the customer's name.",
        "sign_and_signer_missing": "Please have the customer sign and enter their name.",
        "customer": "Customer",
        "team": "Team",
        "team_hint": "Record here who is away: the planner hands their appointments over.",
        "absence_add": "Record an absence",
        "absence_kind": "Reason",
        "absence_kinds": {"illness": "illness", "holiday": "holiday", "training": "training"},
        "closure": "company holiday",
        "absence_saved": "Recorded – the planner re-plans.",
        "absent": "Away",
        "cert_expired": "expired",
        "cert_until": "valid until",
        "worker_add": "Add a worker",
        "worker_edit": "Edit",
        "first_name": "First name",
        "last_name": "Last name",
        "phone": "Phone",
        "master": "Master craftsman",
        "trades": "Trades",
        "left": "Has left – no longer in the team",
        "my_login": "This is me (my login)",
        "accepted_later": "Accepted – choose the worker under Team.",
        "declined": "Declined – the planner asks another workshop.",
        "workshop": "Workshop",
        "save": "Save",
        "saved": "Saved – the planner re-plans.",
        "no_team": "No workers yet – add the first one below.",
        "inactive": "No longer in the team",
        "reactivate": "Take back on",
        "cert_add": "Record a certification",
        "certification": "Certification",
        "renew": "renew",
        "valid_until": "Valid until (empty: no expiry)",
        "reference": "Certificate no.",
        "remove": "remove",
        "lift": "Take back",
        "lift_confirm": "Really take back the absence of {who} ({what})? The planner re-plans.",
        "lifted": "Taken back – the planner re-plans.",
        "who_does_it": "Who does the job?",
        "decide_later": "Decide later (under Team)",
        "staff": "Worker",
        "settlements": "Monthly settlements and credit notes",
        "codes": "Backup codes for logging in",
        "no_worker": "No worker yet – please choose someone.",
        "unstaffed": "No worker",
        "unstaffed_title": "Appointments without a worker",
        "unstaffed_hint": (
            "Accepted, but not given to anyone yet – for instance because the worker is away "
            "and no colleague was free."
        ),
        "choose_worker": "Choose a worker",
        "assign": "Assign",
        "assigned": "Assigned.",
        "no_other": "No other worker with the trade is free on these days.",
        "no_candidate": (
            "Nobody with the trade is free on these days. Ask the office to move the appointment."
        ),
        "without_login": "no app login",
        "worker_cleared": "Appointment without a worker:",
        "urgent": "Emergency",
        "supplement": "Supplement {number}",
        "supplement_note": "Ordered by the customer as a supplement: {reason}",
        "calendar": "In your own calendar",
        "calendar_hint": "Your appointments in the phone's calendar, always up to date.",
        "calendar_subscribe": "Subscribe to the calendar",
        "calendar_open": "Open in the calendar app",
        "calendar_url": "Address to subscribe to",
        "access": "Access",
        "back": "Back",
        "waiting_for": "Waiting for",
        "working_days": "{n} working days",
        "day_of": "Day {n} of {total}",
        "released": "Released – may start",
        "released_toast": "Released:",
        "next": "Next",
        "queued": "action(s) waiting for a connection",
        "pending": "waiting for a connection",
        "offline": "Offline – saved data",
        "stale": "as of",
        "rejected": "Not applied",
        "saved_time": "Working time saved",
        "saved_material": "Material saved: {text}",
        "change": "Change",
        "delete": "Delete",
        "change_time": "Change working time",
        "change_material": "Change material",
        "delete_time": "Delete working time {what}?",
        "delete_material": "Delete material “{text}”?",
        "changed_time": "Working time changed",
        "changed_material": "Material changed: {text}",
        "deleted_time": "Working time deleted",
        "deleted_material": "Material deleted: {text}",
        "online_only": "Only possible with a connection",
        "saved_status": "Saved: {status}",
        "start_not_today": "This job is planned for {day}, not for today.",
        "start_waiting": "Still to be done first: {tasks}.",
        "start_anyway": "Start all the same?",
        "time_not_planned": "This job is planned for {day} and not begun; the time is for {date}.",
        "time_anyway": "Save all the same?",
        "task_gone": "This job is no longer in your list: handed on or cancelled. If it was "
        "handed on, your hours, material and photos still waiting arrive all the same.",
        "to_today": "To Today",
        "login_again": "Please log in again.",
        "live": {"connecting": "connecting …", "live": "live", "offline": "offline"},
        "logout": "Log out",
        "switch_language": {"code": "de", "name": "Deutsch"},
        "new_offer": "New offer",
        "overran": "Past the planned time – the plan is being adjusted.",
        "tentative": "tentative",
        "log": "History",
        "weekdays": ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"],
        "username": "User name",
        "password": "Password",
        "login": "Log in",
        "login_failed": "User name or password is wrong.",
        "no_access": "This account belongs to no member workshop.",
    },
}

SCOPE = "/monteur/"
ASSETS = [
    "zunft/base.css",
    "zunft/field/field.css",
    "zunft/live.js",
    "zunft/field/outbox.js",
    "zunft/field/app.js",
    "zunft/field/icon-192.png",
    "zunft/field/icon-512.png",
]


def labels() -> dict:
    return LABELS["en"] if (get_language() or "de").startswith("en") else LABELS["de"]


def _groups(user) -> tuple[list[str], int | None]:
    worker = Worker.objects.filter(user=user, active=True).values_list("pk", flat=True).first()
    groups = [f"workshop.{pk}" for pk in sorted(member_workshop_ids(user))]
    if worker:
        groups.append(f"worker.{worker}")
    groups += [f"worker.{pk}" for pk in _administered_workers(user)]
    return groups, worker


def _administered_workers(user) -> list[int]:
    ids = administered_workshop_ids(user)
    return list(Worker.objects.filter(workshop_id__in=ids).values_list("pk", flat=True))


@never_cache
@login_required(login_url=reverse_lazy("field:login"))
def app(request):
    """The app shell; the service worker serves it from its cache when offline."""
    groups, worker = _groups(request.user)
    if not (worker or administered_workshop_ids(request.user) or is_office(request.user)):
        return render(request, "scheduling/field/no_access.html", {"labels": labels()}, status=403)
    config = {
        "api": FIELD_API_PREFIX,
        "dispatches": "/api/v1/dispatches",
        "groups": groups,
        "worker": worker,
        "admin_of": sorted(administered_workshop_ids(request.user)),  # the "Team" tab
        "settlements": reverse("invoicing:member-settlements"),
        "codes": f"{reverse('twofactor-codes')}?next={reverse('field:app')}%23/team",
        "user": request.user.pk,
        "name": request.user.get_full_name() or request.user.username,
        "sw": reverse("field:sw"),
        "scope": SCOPE,
        "lang": get_language() or "de",
        "tz": settings.TIME_ZONE,  # times shown as the cooperative keeps them
        "labels": labels(),
        "units": [[unit.value, str(unit.label)] for unit in MATERIAL_UNITS],
    }
    return render(request, "scheduling/field/app.html", {"config": config, "labels": labels()})


def _version() -> str:
    urls = "|".join(static(name) for name in ASSETS)
    body = render_to_string("scheduling/field/sw.js", {"version": "", "shell": "[]"})
    return hashlib.sha256((urls + body).encode()).hexdigest()[:12]


@require_GET
def service_worker(request):
    """The service worker, from ``/monteur/`` so that its scope is the app (and said so in the
    ``Service-Worker-Allowed`` header). Never cached by the browser: updates arrive at once."""
    shell = [SCOPE, reverse("field:manifest"), *(static(name) for name in ASSETS)]
    body = render_to_string(
        "scheduling/field/sw.js",
        {
            "version": _version(),
            "shell": json.dumps(shell),
            "api": FIELD_API_PREFIX,
            "scope": SCOPE,
        },
    )
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = SCOPE
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def manifest(request):
    """The web-app manifest that makes the app installable on the home screen."""
    data = {
        "name": labels()["app"],
        "short_name": "Monteur",
        "lang": get_language() or "de",
        "start_url": SCOPE,
        "scope": SCOPE,
        "id": SCOPE,
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#f3f5f8",
        "theme_color": "#0b5c8a",
        "icons": [
            {"src": static("zunft/field/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("zunft/field/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {
                "src": static("zunft/field/icon-maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    response = JsonResponse(data, content_type="application/manifest+json")
    response["Cache-Control"] = "public, max-age=3600"
    return response


class FieldLogin(auth_views.LoginView):
    template_name = "scheduling/field/login.html"
    redirect_authenticated_user = True
    next_page = SCOPE

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "labels": labels()}


urlpatterns = [
    path("", app, name="app"),
    path("sw.js", service_worker, name="sw"),
    path("manifest.webmanifest", manifest, name="manifest"),
    path("anmelden/", FieldLogin.as_view(), name="login"),
    path(
        "abmelden/",
        auth_views.LogoutView.as_view(next_page=reverse_lazy("field:login")),
        name="logout",
    ),
]
