"""The public portal: catalogue, request wizard, quote, the member directory and the
homeowner's photo consent. Thin: forms, selectors and services do the work."""

import io
import re

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.gis.geos import Point
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import (
    FileResponse,
    Http404,
    HttpResponse,
    HttpResponseBadRequest,
    JsonResponse,
    QueryDict,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from PIL import Image

from customers.geocoding import geocode_postcode
from customers.services import PIN_MAX_KM
from jobs import services
from jobs.api import changes_of, remember_quote, visible_quote
from jobs.forms import (
    DirectoryFilter,
    QuoteLineFormSet,
    RequestForm,
    RevisionForm,
    trade_choices,
)
from jobs.models import Package, PackageTemplate, Photo, Quote
from jobs.quotes import line_text_for_reader, price_ranges
from jobs.selectors import (
    directory_workshops,
    homeowner_orders,
    owned_package,
    public_photo,
    templates_visible_to,
    workshop_photos,
)
from trades.models import Cooperative, Trade
from trades.selectors import area_served
from zunft.core.auth import homeowner_link, office_page
from zunft.core.errors import Conflict
from zunft.core.language import active_language
from zunft.core.login import send_login_code
from zunft.core.money import format_number

DIRECTORY_PAGE_SIZE = 10
DIRECTORY_PHOTOS = 3  # per member on the list
MEMBER_PHOTOS_PAGE_SIZE = 12
THUMBNAIL_EDGE = 480
OSM_ATTRIBUTION = '© <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>'


def catalogue(request):
    """Two sections: the multi-trade packages, and single-trade jobs grouped by their trade;
    each with the indicative price range."""
    templates = list(templates_visible_to(request.user))
    ranges = price_ranges(templates)
    packages, singles = [], {}
    for template in templates:
        template.price_low, template.price_high = ranges[template.pk]
        tasks = list(template.tasks.all())
        template.trades = sorted({t.trade.name for t in tasks})
        if template.kind == PackageTemplate.Kind.SINGLE_TRADE and tasks:
            singles.setdefault(tasks[0].trade.name, []).append(template)
        else:
            packages.append(template)
    single_groups = sorted(singles.items(), key=lambda item: item[0].casefold())
    return render(
        request,
        "jobs/catalogue.html",
        {"templates": templates, "packages": packages, "single_groups": single_groups},
    )


def _map_config() -> dict:
    """What the wizard's map needs: the tile server of ``MAP_TILE_URL`` (the office board's
    setting; empty means a plain map without tiles), the postcode lookup and its texts."""
    tiles = getattr(settings, "MAP_TILE_URL", "")
    attribution = getattr(settings, "MAP_TILE_ATTRIBUTION", "") or (
        OSM_ATTRIBUTION if "openstreetmap" in tiles else ""
    )
    return {
        "tiles": tiles,
        "attribution": attribution,
        "lookup": reverse("jobs:postcode", args=["00000"]),
        "max_km": PIN_MAX_KM,
        "labels": {
            "unknown": _("We do not know this postal code."),
            "outside": _("No member of the cooperative works at %(code)s %(place)s yet."),
            "moved": _("Pin set by you: %(lat)s° N, %(lon)s° E."),
            "centre": _("The pin stands in the middle of the postal code %(code)s %(place)s."),
            "far": _(
                "The pin is more than %(km)s km from the postal code; please put it on the house."
            ),
            "pin": _("Your house (pin; move it with the arrow keys)"),
        },
    }


#: A wizard's answers kept in the session while the owner of a known address logs in.
PENDING_REQUEST = "jobs.pending_request"


def wizard(request, code: str):
    template = get_object_or_404(templates_visible_to(request.user), code=code)
    data = request.POST if request.method == "POST" else None
    pending = request.session.get(PENDING_REQUEST)
    resuming = data is None and request.GET.get("fortsetzen") and request.user.is_authenticated
    if resuming and pending and pending["code"] == code:
        # Logged in with the code: the answers kept here are sent again, as the owner's.
        data = QueryDict(mutable=True)
        for key, values in pending["answers"]:
            data.setlist(key, values)
        del request.session[PENDING_REQUEST]
    form = RequestForm(data, template=template, user=request.user)
    if data is not None and form.is_valid():
        cleaned = form.cleaned_data
        try:
            created = services.request_quote(
                user=request.user,
                contact={k: cleaned[k] for k in ("first_name", "last_name", "email", "phone")},
                privacy_consent=cleaned["privacy_consent"],
                template=template,
                values=form.parameter_values(),
                site=form.site_values(),
                earliest_start=cleaned["earliest_start"],
                blocked_days=cleaned["blocked_days"],
            )
        except services.LoginFirst as known:
            # Somebody's account: nothing is filed until its owner logs in; then the answers
            # kept here are sent again (in this browser), so nothing is typed twice.
            request.session[PENDING_REQUEST] = {
                "code": code,
                "answers": [(k, v) for k, v in data.lists() if k != "csrfmiddlewaretoken"],
            }
            resume = reverse("jobs:wizard", args=[code]) + "?fortsetzen=1"
            send_login_code(known.user, next_url=resume)
            messages.info(
                request,
                _(
                    "We know this address already: log in with the code we emailed to it, "
                    "and your request is sent."
                ),
            )
            query = urlencode({"next": resume, "email": cleaned["email"], "step": "code"})
            return redirect(reverse("login") + "?" + query)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            quote = created.package.quotes.order_by("-version").first()
            request.session["contact_email"] = cleaned["email"]
            remember_quote(request, quote)
            return redirect("jobs:quote", quote_id=quote.pk)
    trades = sorted({t.trade.name for t in template.tasks.all()})
    context = {"template": template, "form": form, "trades": trades, "map": _map_config()}
    return render(request, "jobs/wizard.html", context)


@require_GET
def postcode_point(request, postal_code: str):
    """The centre of a postal code for the wizard's map (public data: the postcode table), the
    place named by ``?ort=`` when several share the code."""
    if not re.fullmatch(r"\d{5}", postal_code):
        return JsonResponse(
            {
                "detail": [
                    {"loc": ["postal_code"], "msg": _("A German postal code has five digits.")}
                ]
            },
            status=400,
        )
    found = geocode_postcode(postal_code, request.GET.get("ort", "").strip()[:100] or None)
    if found is None:
        return JsonResponse(
            {
                "detail": [
                    {
                        "loc": ["postal_code"],
                        "msg": _("We do not know the postal code %s.") % postal_code,
                    }
                ]
            },
            status=404,
        )
    return JsonResponse(
        {
            "postal_code": postal_code,
            "place": found.place,
            "lat": found.lat,
            "lon": found.lon,
            "max_km": PIN_MAX_KM,
            # known, but perhaps outside the cooperative's area: the wizard says so at once
            "served": area_served(Point(found.lon, found.lat, srid=4326)),
        }
    )


@homeowner_link
def quote_page(request, quote_id: int):
    return _render_quote(request, visible_quote(request, quote_id))


def _for_reader(items, task_names: dict[str, str] | None) -> bool:
    """Give each line (a ``QuoteLine`` or a dict of ``changes_of``) its ``shown_text``: in the
    reader's language where ``task_names`` (German name to the reader's; None on a German page)
    lets it be derived, else the stored German with ``in_german``. True when a line stays
    German."""
    left_german = False
    for item in items:
        text = item["text"] if isinstance(item, dict) else item.text
        shown = text if task_names is None else line_text_for_reader(text, task_names)
        left_german = left_german or shown is None
        if isinstance(item, dict):
            item.update(shown_text=shown or text, in_german=shown is None)
        else:
            item.shown_text, item.in_german = shown or text, shown is None
    return left_german


def _render_quote(request, quote: Quote, *, consent_error: str = "", status: int = 200):
    lines = list(quote.lines.all())
    changes = changes_of(quote) if quote.version > 1 else None
    changed = [*changes["changed"], *changes["added"], *changes["removed"]] if changes else []
    task_names = (
        {t.name_de: t.name_en for t in quote.package.tasks.all() if t.name_en}
        if active_language() != "de"
        else None
    )
    german_texts = _for_reader(lines, task_names)
    _for_reader(changed, task_names)
    # Lines keep the German trade name they were quoted with; head them in the reader's language.
    moved = (
        [c for c in changes["changed"] if c["trade_before"] != c["trade_after"]] if changes else []
    )
    quoted_trades = {x.trade for x in lines} | {
        c[k] for c in moved for k in ("trade_before", "trade_after")
    }
    names = {t.name_de: t.name for t in Trade.objects.filter(name_de__in=quoted_trades)}
    for change in moved:  # a line moved to another trade names both, in the reader's language
        change["trades_shown"] = [
            names.get(change[k], change[k]) or _("Cooperative")
            for k in ("trade_before", "trade_after")
        ]
    trades = {}
    for line in lines:
        trades.setdefault(names.get(line.trade, line.trade) or _("Cooperative"), []).append(line)
    latest = quote.package.quotes.order_by("-version").first()
    customer_user = quote.package.customer.user
    email = customer_user.email if customer_user else ""
    code_sent = bool(email) and request.session.get("contact_email", "").lower() == email.lower()
    login = {"next": request.path, "email": email, **({"step": "code"} if code_sent else {})}
    context = {
        "quote": quote,
        "trades": trades,
        "latest": latest,
        "vat_rate": format_number(lines[0].vat_rate) if lines else "",
        "changes": changes,
        # The quote is a German contract: a line the office typed is not translated.
        "german_texts": german_texts,
        "is_owner": request.user.is_authenticated and customer_user == request.user,
        "cooperative": Cooperative.objects.order_by("pk").first(),
        "needs_consent": services.needs_early_start_consent(quote, timezone.localdate()),
        # accept_quote refuses it anyway; say so before she fills in the form
        "expired": quote.expired(timezone.localdate()),
        "login_url": reverse("login") + "?" + urlencode(login),
        # This browser asked for the quote just now: the code is in the mail already.
        "code_sent": code_sent,
        "consent_error": consent_error,
    }
    return render(request, "jobs/quote.html", context, status=status)


@require_POST
def accept_quote(request, quote_id: int):
    if not request.user.is_authenticated:
        return redirect(reverse("login") + "?" + urlencode({"next": request.path}))
    try:
        quote = services.accept_quote(
            quote_id,
            version=int(request.POST.get("version", 0)),
            user=request.user,
            early_start_consent=request.POST.get("early_start_consent") == "on",
        )
    except Quote.DoesNotExist as exc:
        raise Http404 from exc
    except ValidationError as error:
        consent = getattr(error, "error_dict", {}).get("early_start_consent")
        if consent:  # said at the box to tick, at the end of a long page, not at its top
            quote = visible_quote(request, quote_id)
            text = " ".join(consent[0].messages)
            return _render_quote(request, quote, consent_error=text, status=422)
        messages.error(request, " ".join(error.messages))
        return redirect("jobs:quote", quote_id=quote_id)
    except Conflict as error:
        messages.error(request, str(error))
        return redirect("jobs:quote", quote_id=quote_id)
    messages.success(request, _("Thank you! Your order is confirmed; the work is being planned."))
    return redirect("package", package_id=quote.package_id)


@require_POST
def decline_quote(request, quote_id: int):
    if not request.user.is_authenticated:
        return redirect(reverse("login") + "?" + urlencode({"next": request.path}))
    try:
        services.decline_quote(
            quote_id, version=int(request.POST.get("version", 0)), user=request.user
        )
    except Quote.DoesNotExist as exc:
        raise Http404 from exc
    except Conflict as error:
        messages.error(request, str(error))
        return redirect("jobs:quote", quote_id=quote_id)
    messages.success(request, _("You declined the quote; we have closed the request."))
    return redirect("jobs:my-orders")


# --- the public member directory ----------------------------------------------------------------


def directory(request):
    """Member workshops: trades, area served, Meister, photos of finished work (with the
    homeowner's consent only). Filters by trade and by postal code (members serving it)."""
    trades = list(
        Trade.objects.filter(offers__workshop__active=True).distinct().order_by("name_de")
    )
    form = DirectoryFilter(request.GET, trades=trades)
    if form.is_valid():
        workshops = directory_workshops(trade=form.trade, point=form.point)
        status = 200
    else:
        workshops = directory_workshops().none()
        status = 400
    page = Paginator(workshops, DIRECTORY_PAGE_SIZE).get_page(request.GET.get("seite"))
    photos = workshop_photos((w.pk for w in page), limit=DIRECTORY_PHOTOS)
    for workshop in page:
        workshop.photos, workshop.photo_count = photos[workshop.pk]
        workshop.trade_names = sorted(o.trade.name for o in workshop.offers.all())
        distance = getattr(workshop, "distance", None)
        workshop.distance_km = round(distance.km) if distance is not None else None
    context = {
        "form": form,
        "page": page,
        "filtered": bool(form.is_valid() and (form.trade or form.point)),
    }
    return render(request, "jobs/directory.html", context, status=status)


def member(request, workshop_id: int):
    workshop = get_object_or_404(directory_workshops(), pk=workshop_id)
    workshop.trade_names = sorted(o.trade.name for o in workshop.offers.all())
    workshop.distance_km = None
    photos = workshop_photos([workshop.pk])[workshop.pk].newest
    page = Paginator(photos, MEMBER_PHOTOS_PAGE_SIZE).get_page(request.GET.get("seite"))
    return render(request, "jobs/member.html", {"workshop": workshop, "page": page})


def _thumbnail(photo: Photo) -> bytes:
    with photo.image.open("rb") as image, Image.open(image) as picture:
        picture.draft("RGB", (THUMBNAIL_EDGE, THUMBNAIL_EDGE))  # JPEG: decode at 1/2…1/8
        picture.thumbnail((THUMBNAIL_EDGE, THUMBNAIL_EDGE))
        out = io.BytesIO()
        picture.convert("RGB").save(out, "JPEG", quality=80)
    return out.getvalue()


@require_GET
def directory_photo(request, photo_id: int, small: bool = False):
    """A published photo's image (or a small copy for the lists, so a phone does not load
    full-size photos), served only while its homeowner's consent stands."""
    try:
        photo = public_photo(photo_id)
        if small:
            # The consent is checked above on every request; the small copy is made once.
            key = f"directory-thumbnail:{photo.pk}"
            response = HttpResponse(
                cache.get_or_set(key, lambda: _thumbnail(photo), 86400),
                content_type="image/jpeg",
            )
        else:
            response = FileResponse(photo.image.open("rb"), content_type="image/jpeg")
    except (Photo.DoesNotExist, FileNotFoundError) as exc:
        raise Http404 from exc
    # Short, so a withdrawn consent takes effect soon in shared caches too.
    response["Cache-Control"] = "public, max-age=300"
    return response


# --- the homeowner's consent to publish photos of the finished work -----------------------------


@require_POST
def photo_consent(request, package_id: int):
    """Set (``photos_public=1``) or withdraw (``photos_public=0``) the consent. Only the
    package's homeowner; anybody else is told the package does not exist."""
    package_url = reverse("package", args=[package_id])
    if not request.user.is_authenticated:
        return redirect(reverse("login") + "?" + urlencode({"next": package_url}))
    try:
        package = owned_package(request.user, package_id)
    except Package.DoesNotExist as exc:
        raise Http404 from exc
    choice = request.POST.get("photos_public")
    if choice not in ("0", "1"):
        return HttpResponseBadRequest(
            _("photos_public: choose 1 (allow) or 0 (withdraw)."), content_type="text/plain"
        )
    package = services.set_photo_consent(package, user=request.user, public=choice == "1")
    if package.photos_public:
        messages.success(
            request, _("Thank you! Photos of the finished work may now appear in our directory.")
        )
    else:
        messages.success(request, _("Withdrawn: no photos of your job are shown any more."))
    return redirect(package_url + "#fotos")


# --- the homeowner's withdrawal from the contract (§ 356a BGB) ----------------------------------


def withdrawal(request, package_id: int):
    """The withdrawal function: the statement to confirm (who, which contract, where the
    acknowledgement goes, what follows), then "Widerruf bestätigen". Only the package's
    homeowner; a withdrawal no longer possible says why."""
    from jobs.withdrawal import withdraw, withdrawal_state

    package_url = reverse("package", args=[package_id])
    if not request.user.is_authenticated:
        return redirect(reverse("login") + "?" + urlencode({"next": request.path}))
    try:
        package = owned_package(request.user, package_id)
    except Package.DoesNotExist as exc:
        raise Http404 from exc
    error = ""
    if request.method == "POST":
        try:
            package = withdraw(package.pk, user=request.user)
        except Conflict as exc:
            error = str(exc)
        else:
            received = timezone.localtime(package.withdrawn_at)
            messages.success(
                request,
                _(
                    "Your withdrawal was received on %(date)s at %(time)s. The acknowledgement "
                    "is on its way to you by e-mail."
                )
                % {
                    "date": date_format(received.date(), "SHORT_DATE_FORMAT"),
                    "time": received.strftime("%H:%M"),
                },
            )
            return redirect(package_url)
    state = withdrawal_state(package)
    context = {
        "package": package,
        "state": state,
        "error": error,
        "email": package.customer.email or request.user.email,
    }
    return render(request, "jobs/withdrawal.html", context, status=409 if error else 200)


# --- the homeowner's own orders ------------------------------------------------------------------


@login_required(login_url="login")
def my_orders(request):
    """What a returning homeowner looks for first: their requests and orders, each with its
    state, its dates (requested, ordered, the days of work or that it is not planned yet,
    approved), the quote to decide on or the order page to follow, and unread messages."""
    return render(request, "jobs/my_orders.html", {"packages": homeowner_orders(request.user)})


# --- the office revises a quote ---------------------------------------------------------------


@office_page
def revise_quote(request, package_id: int):
    """The office's revision of a package's quote: the latest version's lines to edit, remove or
    add to, the dates and a note; saving makes a new version, which the homeowner is told of."""
    package = get_object_or_404(Package.objects.select_related("customer", "site"), pk=package_id)
    latest = package.quotes.order_by("-version").first()
    initial_lines = [
        {
            "kind": line.kind,
            "trade": line.trade,
            "text": line.text,
            "quantity": line.quantity,
            "unit": line.unit,
            "unit_price": line.unit_price,
        }
        for line in (latest.lines.all() if latest else [])
    ]
    initial = {}
    if latest:
        initial = {
            "start_date": latest.start_date,
            "completion_date": latest.completion_date,
            "promised_date": latest.promised_date,
        }
    data = request.POST if request.method == "POST" else None
    lines = QuoteLineFormSet(
        data, initial=initial_lines, prefix="lines", form_kwargs={"trades": trade_choices()}
    )
    form = RevisionForm(data, initial=initial)
    status = 200
    if data is not None:
        lines_valid = lines.is_valid()
        if form.is_valid() and not lines_valid:
            # The dates are checked now too, not only once the lines are right.
            try:
                services.check_revision_dates(package, **form.date_values())
            except ValidationError as error:
                form.add_service_errors(error)
        if lines_valid and form.is_valid():
            try:
                quote = services.revise_quote(
                    package, lines=lines.lines(), by=request.user, **form.cleaned_data
                )
            except ValidationError as error:
                rest = lines.take_service_errors(error)
                if rest is not None:
                    form.add_service_errors(rest)
            else:
                messages.success(
                    request,
                    _("Version %(version)s has been sent to the homeowner.")
                    % {"version": quote.version},
                )
                return redirect("jobs:quote", quote_id=quote.pk)
        status = 422
    context = {
        "package": package,
        "latest": latest,
        "lines": lines,
        "form": form,
        # The service decides (under its lock); this only spares the office a form that would fail.
        "revisable": package.status in services.REVISABLE_STATUSES,
    }
    return render(request, "jobs/revise_quote.html", context, status=status)


# --- legal pages ---------------------------------------------------------------------------------


def _legal(request, name: str):
    # Legal wording is written per language, not assembled from translated fragments.
    language = "en" if (get_language() or "").startswith("en") else "de"
    context = {
        "cooperative": Cooperative.objects.order_by("pk").first(),
        "map_tiles": bool(settings.MAP_TILE_URL),
    }
    return render(request, f"jobs/legal/{name}_{language}.html", context)


def imprint(request):
    """The provider's identification (§ 5 DDG), from the cooperative's record."""
    return _legal(request, "imprint")


def privacy_notice(request):
    """What the portal does with a homeowner's data (Art. 13 DSGVO): the text the wizard's
    consent refers to."""
    return _legal(request, "privacy")
