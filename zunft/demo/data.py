"""The demo cooperative: deterministic, idempotent, no real people's data.

:func:`plan` describes the whole demo as plain data, drawn from a fixed ``random.Random(SEED)``
and dated relative to a start day, ``REFERENCE_DATE`` unless told otherwise (never today), so it
is the same on every machine and every run; ``seed_demo --today`` dates it from the coming Monday
for a demo that looks current. :func:`seed` writes it: every object is found by a natural key,
validated with ``full_clean()`` and saved only when it differs, so running the seed twice changes
nothing.
"""

import random
import unicodedata
from datetime import date, timedelta
from decimal import Decimal
from functools import cache, lru_cache

from django.contrib.auth.hashers import check_password, make_password
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.db import transaction
from schwifty import IBAN
from stdnum.iso7064 import mod_11_10, mod_97_10

from customers.models import Customer, PostalCode, Site
from jobs.models import PackageTemplate, TemplateDependency, TemplateParameter, TemplateTask
from trades.models import (
    Absence,
    Certification,
    Cooperative,
    State,
    Trade,
    Worker,
    WorkerCertification,
    Workshop,
    WorkshopTrade,
)
from zunft.core.models import User
from zunft.demo import catalogue, history, places

DEMO_PASSWORD = "zunft-demo"
SEED = 20261123
REFERENCE_DATE = date(2026, 11, 23)  # a Monday; the demo's "today" for absences and expiries
EMAIL_DOMAIN = "demo.zunft.invalid"  # .invalid never resolves: no demo mail reaches anyone

# username, role, first name, last name
DEMO_USERS = [
    ("buero", User.Role.OFFICE, "Birte", "Büro"),
    ("verbund", User.Role.COOP_ADMIN, "Volker", "Verbund"),
    ("kundin", User.Role.HOMEOWNER, "Karla", "Kundin"),
]

COOPERATIVE_NAME = "Handwerkerverbund Oldenburger Münsterland eG"
TRADESPERSON_LOGINS = 10  # the first journeyman of this many workshops gets a login
DAILY_HOURS = [
    [8, 8, 8, 8, 6, 0, 0],
    [8, 8, 8, 8, 6, 0, 0],
    [8, 8, 8, 8, 8, 0, 0],
    [9, 9, 9, 9, 5, 0, 0],
    [8, 8, 8, 8, 6, 4, 0],
]


def demo_exists() -> bool:
    """Whether the demo has been seeded (its office login exists)."""
    return User.objects.filter(username="buero").exists()


def logins() -> list[tuple[str, str]]:
    """A representative few demo logins as (username, role): office, cooperative admin,
    homeowner, one workshop admin, one tradesperson. All use ``DEMO_PASSWORD``."""
    users = {u["username"]: u for u in plan()["users"]}
    first_admin = next(u for u in users.values() if u["role"] == User.Role.WORKSHOP_ADMIN)
    first_worker = next(u for u in users.values() if u["role"] == User.Role.TRADESPERSON)
    picked = [*(username for username, *_ in DEMO_USERS), first_admin["username"]]
    picked.append(first_worker["username"])
    return [(name, str(User.Role(users[name]["role"]).label)) for name in picked]


# --- the plan: plain data, no database ---------------------------------------------------------


def ascii_slug(text: str, sep: str = ".") -> str:
    """Lowercase ASCII words joined by ``sep`` (Janßen → janssen), for usernames and e-mails."""
    text = text.lower()
    for umlaut, plain in {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ı": "i", "&": " "}.items():
        text = text.replace(umlaut, plain)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = "".join(c if c.isalnum() else " " for c in text).split()
    return sep.join(words)


def vat_id(rng: random.Random, used: set) -> str:
    """A German VAT id with a valid ISO 7064 MOD 11,10 check digit, unique within the demo."""
    while True:
        body = str(rng.randint(10_000_000, 99_999_999))
        number = f"DE{body}{mod_11_10.calc_check_digit(body)}"
        if number not in used:
            used.add(number)
            return number


def bank_account(rng: random.Random, bank_codes: list[str]) -> tuple[str, str]:
    """A valid IBAN at a real regional bank with a made-up account number, and its BIC."""
    iban = IBAN.generate(
        "DE", bank_code=rng.choice(bank_codes), account_code=str(rng.randint(10**8, 10**10 - 1))
    )
    return iban.compact, str(iban.bic)


def leitweg_id(coarse: str, fine: str) -> str:
    """A Leitweg-ID with its ISO 7064 MOD 97-10 check digits."""
    return f"{coarse}-{fine}-{mod_97_10.calc_check_digits(coarse + fine)}"


def _town(name: str, rng: random.Random | None = None) -> tuple[str, float, float]:
    """Postal code and centroid of a town (a random Oldenburg district when rng is given)."""
    if name == "Oldenburg" and rng is not None:
        return rng.choice(places.OLDENBURG_CODES)
    code, lat, lon, _chamber = places.TOWNS[name]
    return code, lat, lon


def _jitter(rng: random.Random, lat: float, lon: float, spread: float) -> tuple[float, float]:
    return (
        round(lat + rng.uniform(-spread, spread), 5),
        round(lon + rng.uniform(-spread * 1.6, spread * 1.6), 5),
    )


class _Names:
    """Unique made-up full names from the pools."""

    def __init__(self, rng: random.Random, taken: set):
        self.rng, self.taken = rng, taken

    def __call__(self) -> tuple[str, str]:
        while True:
            name = (self.rng.choice(places.FIRST_NAMES), self.rng.choice(places.LAST_NAMES))
            if name not in self.taken:
                self.taken.add(name)
                return name


def coming_monday(day: date) -> date:
    """``day`` when it is a Monday, else the Monday after it."""
    return day + timedelta(days=-day.weekday() % 7)


@lru_cache(maxsize=2)  # the default and one other start (seed_demo --today)
def plan(start: date = REFERENCE_DATE) -> dict:
    """The whole demo as plain data, its dates relative to ``start`` (a Monday). Deterministic:
    same seed and start, same plan."""
    rng = random.Random(SEED)
    vat_ids: set = set()
    taken = {(w[2], w[3]) for w in places.WORKSHOPS} | {(u[2], u[3]) for u in DEMO_USERS}
    names = _Names(rng, taken)
    users = [
        {
            "username": username,
            "role": role,
            "first_name": first,
            "last_name": last,
            "is_staff": role in {User.Role.OFFICE, User.Role.COOP_ADMIN},
            "is_superuser": role == User.Role.COOP_ADMIN,
        }
        for username, role, first, last in DEMO_USERS
    ]
    cooperative = _plan_cooperative(rng, vat_ids)
    workshops = [_plan_workshop(rng, vat_ids, spec) for spec in places.WORKSHOPS]
    _plan_certified_offers(workshops)
    for workshop in workshops:
        _plan_workers(rng, names, workshop, start)
    _plan_logins(workshops, users)
    _plan_absences(rng, workshops, start)
    customers = _plan_customers(rng, vat_ids, names)
    return {
        "start": start,
        "users": users,
        "cooperative": cooperative,
        "workshops": workshops,
        "customers": customers,
    }


def _plan_cooperative(rng, vat_ids) -> dict:
    iban, bic = bank_account(rng, ["28050100"])
    return {
        "name": COOPERATIVE_NAME,
        "legal_name": COOPERATIVE_NAME,
        "street": "Lange Straße 12",
        "postal_code": "49661",
        "city": "Cloppenburg",
        "state": State.NI,
        "email": f"buero@{EMAIL_DOMAIN}",
        # From the range the Bundesnetzagentur keeps free for films and examples; XRechnung
        # to a public customer needs the seller's phone.
        "phone": "040 66969-120",
        "vat_id": vat_id(rng, vat_ids),
        "register_entry": "Genossenschaftsregister Amtsgericht Oldenburg GnR 1234 (Demo)",
        "iban": iban,
        "bic": bic,
        "bank_name": "Landessparkasse zu Oldenburg",
        "fee_rate": Decimal("0.0800"),
    }


def _plan_workshop(rng, vat_ids, spec) -> dict:
    name, legal_name, first, last, town, trades, options = spec
    code, lat, lon, chamber = places.TOWNS[town]
    lat, lon = _jitter(rng, lat, lon, 0.006)
    region = places.BANKS_EL if chamber == places.HWK_OS else places.BANKS_CLP
    if town in {"Oldenburg", "Edewecht", "Bad Zwischenahn", "Wardenburg"}:
        region = places.BANKS_OL
    iban, bic = bank_account(rng, region)
    small = options.get("small", False)
    values = {
        "legal_name": legal_name,
        "owner_name": f"{first} {last}",
        "craft_register_number": str(rng.randint(10_000, 99_999)),
        "chamber": chamber,
        # Every demo owner is a Meister of their trades (see _plan_workers).
        "master_business": True,
        "vat_id": "" if small else vat_id(rng, vat_ids),
        "tax_number": f"{rng.randint(50, 69)}/{rng.randint(100, 299)}/{rng.randint(10_000, 99_999)}"
        if small
        else "",
        "small_business": small,
        "iban": iban,
        "bic": bic,
        "email": f"{ascii_slug(name, '-')}@{EMAIL_DOMAIN}",
        "street": f"{rng.choice(places.BUSINESS_STREETS)} {rng.randint(1, 40)}",
        "postal_code": code,
        "city": town,
        "state": State.NI,
        "lat": lat,
        "lon": lon,
        "service_radius_km": options.get("radius", rng.choice(range(25, 61, 5))),
        "area": options.get("area"),
        "daily_hours": [Decimal(hours) for hours in rng.choice(DAILY_HOURS)],
        "joined_on": date(2019, 1, 1) + timedelta(days=rng.randint(0, 7 * 365)),
    }
    offers = [
        {
            "trade": trade,
            "hourly_rate": Decimal(rng.randrange(5200, 7801, 50)) / 100,
            "crews": 1 if small else rng.choices([1, 2, 3], weights=[5, 4, 1])[0],
            "certifications": [],
        }
        for trade in trades
    ]
    return {
        "name": name,
        "values": values,
        "offers": offers,
        "owner": (first, last),
        "admin": options.get("admin", False),
        "closure": options.get("closure", False),
        "workers": [],
        "absences": [],
    }


def _plan_certified_offers(workshops: list[dict]) -> None:
    """Which business holds which certification of its trade. Registrations (gas, grid, water)
    are held by most installers, special skills by some; every certification is held by at
    least two workshops so every template task has a choice of members. Asbestos and smoke
    alarm work are asked for everywhere, and their trades' few members are spread thin: all of
    them hold those (with every other one, roof renewal found nobody in 8 of 20 towns)."""
    share = {
        "gas-trgi": 3,
        "strom-netz": 4,
        "wasser-avb": 1,
        "f-gase": 2,
        "asbest-trgs519": 1,
        "absturz-psaga": 1,
        "rwm-din14676": 1,
    }
    trade_certs = {code: certs for code, _de, _en, _lic, certs in catalogue.TRADES}
    for cert, every in share.items():
        holders = [
            offer
            for workshop in workshops
            for offer in workshop["offers"]
            if cert in trade_certs[offer["trade"]]
        ]
        # Every n-th holder in list order lacks it: deterministic and spread over the region.
        for index, offer in enumerate(holders):
            if every == 1 or index % every != every - 1:
                offer["certifications"].append(cert)


def _plan_workers(rng, names, workshop: dict, start: date) -> None:
    """The owner (a Meister in all the workshop's trades) and enough journeymen to man every
    crew; certifications the business holds are held by the owner and some of the staff."""
    trades = [offer["trade"] for offer in workshop["offers"]]
    held = {offer["trade"]: offer["certifications"] for offer in workshop["offers"]}
    small = workshop["values"]["small_business"]
    demand = [o["trade"] for o in workshop["offers"] for _ in range(o["crews"] - 1)]
    extra = 0 if small else max(len(demand), 1) + rng.choice([0, 1, 1, 2])
    first, last = workshop["owner"]
    workers = [{"first_name": first, "last_name": last, "is_master": True, "trades": trades}]
    for _index in range(extra):
        worker_trades = [demand.pop(0) if demand else rng.choice(trades)]
        other = [t for t in trades if t not in worker_trades]
        if other and rng.random() < 0.3:
            worker_trades.append(rng.choice(other))
        first, last = names()
        workers.append(
            {
                "first_name": first,
                "last_name": last,
                "is_master": rng.random() < 0.12,
                "trades": worker_trades,
            }
        )
    for number, worker in enumerate(workers):
        worker["certifications"] = []
        certs = sorted({c for t in worker["trades"] for c in held[t]})
        for cert in certs:
            if number and rng.random() < 0.4:
                continue
            worker["certifications"].append(_worker_certification(rng, cert, number == 0, start))
        worker["user"] = None
    workshop["workers"] = workers


def _worker_certification(rng, cert: str, owner: bool, start: date) -> dict:
    if cert == "f-gase":
        valid_until = None  # the F-gas certificate does not expire
    elif owner:
        valid_until = start + timedelta(days=rng.randint(120, 1500))
    elif rng.random() < 0.25:
        # Lapsed: the planner must not count on it.
        valid_until = start - timedelta(days=rng.randint(10, 300))
    else:
        valid_until = start + timedelta(days=rng.randint(30, 1400))
    return {
        "certification": cert,
        "valid_until": valid_until,
        "reference": f"{cert.split('-')[0].upper()}-{rng.randint(100_000, 999_999)}",
    }


def _plan_logins(workshops: list[dict], users: list[dict]) -> None:
    for workshop in workshops:
        if workshop["admin"]:
            first, last = workshop["owner"]
            username = f"meister.{ascii_slug(last)}"
            workshop["admin"] = username
            # The owner works too: their login is their worker record's (their own jobs,
            # offers and calendar in the field app).
            workshop["workers"][0]["user"] = username
            users.append(_user(username, User.Role.WORKSHOP_ADMIN, first, last))
    staffed = [w for w in workshops if len(w["workers"]) > 1][:TRADESPERSON_LOGINS]
    for workshop in staffed:
        worker = workshop["workers"][1]
        username = f"{ascii_slug(worker['first_name'])}.{ascii_slug(worker['last_name'])}"
        worker["user"] = username
        users.append(
            _user(username, User.Role.TRADESPERSON, worker["first_name"], worker["last_name"])
        )


def _user(username, role, first, last) -> dict:
    return {
        "username": username,
        "role": role,
        "first_name": first,
        "last_name": last,
        "is_staff": False,
        "is_superuser": False,
    }


def _plan_absences(rng, workshops: list[dict], start: date) -> None:
    """Holidays, two illnesses and training courses within about three months of ``start``, and
    one workshop's company holiday between Christmas and New Year of ``start``'s year."""
    day = start
    staff = [
        (workshop, number)
        for workshop in workshops
        for number in range(1, len(workshop["workers"]))
    ]
    chosen = rng.sample(staff, 30)
    specials = [
        ("illness", day, day + timedelta(days=4), "Krankmeldung"),
        ("illness", day + timedelta(days=7), day + timedelta(days=18), "Krankmeldung"),
        ("training", day + timedelta(days=9), day + timedelta(days=11), "Lehrgang TRGS 519"),
        ("training", day + timedelta(days=58), day + timedelta(days=61), "Meisterkurs Teil III"),
    ]
    holiday_starts = [28, 35, 42, 49, 56, 63, 70, 84]
    for index, (workshop, number) in enumerate(chosen):
        if index < len(specials):
            kind, start, end, note = specials[index]
        else:
            start = day + timedelta(days=rng.choice(holiday_starts))
            end = start + timedelta(days=rng.choice([4, 6, 11, 13]))
            kind, note = "holiday", "Urlaub"
        workshop["absences"].append(
            {"worker": number, "kind": kind, "start": start, "end": end, "note": note}
        )
    for workshop in workshops:
        if workshop["closure"]:
            workshop["absences"].append(
                {
                    "worker": None,
                    "kind": "closure",
                    "start": date(day.year, 12, 21),
                    "end": date(day.year + 1, 1, 1),
                    "note": "Betriebsferien zwischen den Jahren",
                }
            )


BUSINESS_CUSTOMERS = [
    # company, kind, town, construction business, number of sites
    ("Bauunternehmung Hanken GmbH & Co. KG", "business", "Cloppenburg", True, 2),
    ("Gasthof Zur Linde GmbH", "business", "Bösel", False, 1),
    ("Hausverwaltung Oltmann GmbH", "business", "Oldenburg", False, 2),
    ("Hof Siemer GbR", "business", "Lastrup", False, 1),
    ("Zweckverband Schulgebäude Soesteniederung", "public", "Cloppenburg", False, 2),
]
SITE_LABELS = ["Wohnhaus", "Ferienhaus", "Vermietete Wohnung", "Elternhaus"]
BUSINESS_SITE_LABELS = ["Betriebsgebäude", "Objekt 2"]
ACCESS_NOTES = [
    "",
    "",
    "",
    "Schlüssel beim Nachbarn (Hausnr. gegenüber)",
    "Hund im Garten, bitte klingeln",
    "Parken im Hof möglich",
    "Zugang über den Garten",
]
CUSTOMER_COUNT = 50


def _plan_customers(rng, vat_ids, names) -> list[dict]:
    customers = [_private_customer("Karla", "Kundin", "kundin", "Bösel", user="kundin")]
    private_count = CUSTOMER_COUNT - len(BUSINESS_CUSTOMERS) - 1
    for _index in range(private_count):
        first, last = names()
        email_local = f"{ascii_slug(first)}.{ascii_slug(last)}"
        customers.append(
            _private_customer(first, last, email_local, rng.choice(places.CUSTOMER_TOWNS))
        )
    for company, kind, town, construction, site_count in BUSINESS_CUSTOMERS:
        values = {
            "kind": kind,
            "company": company,
            "email": f"{ascii_slug(company, '-')}@{EMAIL_DOMAIN}",
            "vat_id": vat_id(rng, vat_ids) if kind == "business" else "",
            "construction_business": construction,
            "buyer_reference": leitweg_id("03453", "12345") if kind == "public" else "",
        }
        customers.append({"values": values, "town": town, "sites": site_count, "user": None})
    for customer in customers:
        customer["sites"] = _plan_sites(rng, customer)
    return customers


def _private_customer(first, last, email_local, town, user=None) -> dict:
    values = {
        "kind": "private",
        "first_name": first,
        "last_name": last,
        "email": f"{email_local}@{EMAIL_DOMAIN}",
    }
    return {"values": values, "town": town, "sites": None, "user": user}


def _plan_sites(rng, customer: dict) -> list[dict]:
    business = customer["values"]["kind"] != "private"
    count = customer["sites"] or (2 if rng.random() < 0.3 else 1)
    labels = BUSINESS_SITE_LABELS if business else SITE_LABELS
    sites = []
    for index in range(count):
        town = customer["town"] if index == 0 else rng.choice(places.CUSTOMER_TOWNS)
        code, lat, lon = _town(town, rng)
        street = f"{rng.choice(places.STREETS)} {rng.randint(1, 120)}"
        manual = rng.random() < 0.6
        if manual:
            lat, lon = _jitter(rng, lat, lon, 0.012)
        label = labels[0] if index == 0 else rng.choice(labels[1:])
        sites.append(
            {
                "label": label,
                "street": street,
                "postal_code": code,
                "city": town,
                "state": State.NI,
                "lat": lat,
                "lon": lon,
                "location_source": "manual" if manual else "postcode",
                "access_notes": rng.choice(ACCESS_NOTES),
            }
        )
    # The billing address is the first site.
    customer["values"].update(
        street=sites[0]["street"], postal_code=sites[0]["postal_code"], city=sites[0]["city"]
    )
    return sites


def counts(data: dict | None = None) -> dict:
    """How many objects of each kind the demo has (``data``: its plan, by default the default)."""
    data = data or plan()
    workshops = data["workshops"]
    workers = [worker for workshop in workshops for worker in workshop["workers"]]
    return {
        "users": len(data["users"]),
        "cooperatives": 1,
        "certifications": len(catalogue.CERTIFICATIONS),
        "trades": len(catalogue.TRADES),
        "workshops": len(workshops),
        "offered trades": sum(len(w["offers"]) for w in workshops),
        "workers": len(workers),
        "worker certifications": sum(len(w["certifications"]) for w in workers),
        "absences": sum(len(w["absences"]) for w in workshops),
        "package templates": len(catalogue.TEMPLATES),
        "single-trade templates": len(catalogue.SINGLE_TRADE_TEMPLATES),
        "template tasks": sum(len(t["tasks"]) for t in ALL_TEMPLATES),
        "task dependencies": sum(len(t["dependencies"]) for t in ALL_TEMPLATES),
        "customers": len(data["customers"]),
        "sites": sum(len(c["sites"]) for c in data["customers"]),
        "packages": DEMO_PACKAGES + sum(accepted for *_, accepted in HOMEOWNER_ORDERS),
        "open quotes": sum(not accepted for *_, accepted in HOMEOWNER_ORDERS),
        "finished packages": len(history.due_jobs(data["start"])),
    }


DEMO_PACKAGES = 12  # other customers' accepted packages; with hers the planner places them all
ALL_TEMPLATES = catalogue.TEMPLATES + catalogue.SINGLE_TRADE_TEMPLATES
# The demo homeowner's own orders, so her side of the portal shows something: a bathroom she has
# accepted, which the planner schedules with the other packages, and new windows whose quote
# she has not decided on yet.
HOMEOWNER = "kundin"
HOMEOWNER_ORDERS = [
    # template, earliest start (days after the reference date), accepted
    ("bad-komplett", 14, True),
    ("fenster-tausch", 56, False),
]


def _seed_packages(today: date) -> None:
    """A dozen accepted packages over the first customers' homes, one template after another,
    starting a week after ``today``; one with a day the customer blocked. Found again
    by (customer, template), so a re-run adds nothing."""
    from jobs.models import Package, PackageTemplate
    from jobs.services import book_package

    templates = list(
        PackageTemplate.objects.filter(kind=PackageTemplate.Kind.PACKAGE).order_by("code")
    )
    customers = (
        Customer.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}", kind=Customer.Kind.PRIVATE)
        .exclude(user__username=HOMEOWNER)  # hers come from HOMEOWNER_ORDERS
        .order_by("email")[:DEMO_PACKAGES]
    )
    for i, customer in enumerate(customers):
        template = templates[i % len(templates)]
        package = Package.objects.filter(customer=customer, template=template).first()
        if package is None:
            start = today + timedelta(days=7 + 2 * i)
            package = book_package(
                customer=customer,
                site=customer.sites.order_by("id").first(),
                template=template,
                values={},
                earliest_start=start,
                blocked_days=[start + timedelta(days=3)] if i == 0 else [],
                status=Package.Status.ACCEPTED,
                today=today,
            )
        _requested(package)


def _seed_homeowner_orders(user, today: date) -> None:
    """The demo homeowner's orders, made the way she would have made them: booked at her home,
    quoted from the planner's tentative schedule on ``today`` and, where she said
    yes, accepted (with her consent to an early start if the work starts within her withdrawal
    period). Booked after the other packages, so theirs keep their ids; found again by
    (customer, template) like those, so a re-run adds nothing."""
    from jobs.models import Package
    from jobs.services import accept_quote, book_package, create_quote, needs_early_start_consent

    customer = Customer.objects.get(user=user)
    for code, days, accepted in HOMEOWNER_ORDERS:
        template = PackageTemplate.objects.get(code=code)
        package = Package.objects.filter(customer=customer, template=template).first()
        if package is not None:
            _requested(package)  # a demo seeded before its requests were
            continue
        package = book_package(
            customer=customer,
            site=customer.sites.order_by("id").first(),
            template=template,
            values={},
            earliest_start=today + timedelta(days=days),
            today=today,
        )
        _requested(package)
        quote = create_quote(package, today=today)
        if accepted:
            accept_quote(
                quote.pk,
                version=quote.version,
                user=user,
                early_start_consent=needs_early_start_consent(quote, today),
                today=today,
            )


def _requested(package) -> None:
    """The request ``package`` was made from, as the wizard leaves it (``submit_request``), so
    the board's request inbox shows the demo's open work; its status follows the package's
    latest quote as accepting or declining it would have set it (an order booked without a
    quote: accepted). A package that has its request keeps it."""
    from jobs.models import Package, Quote, Request

    if Request.objects.filter(package=package).exists():
        return
    latest = package.quotes.order_by("-version").first()
    status = {
        Quote.Status.ACCEPTED: Request.Status.ACCEPTED,
        Quote.Status.DECLINED: Request.Status.DECLINED,
    }.get(latest.status if latest else None, Request.Status.QUOTED)
    if latest is None and package.status != Package.Status.DRAFT:
        status = Request.Status.ACCEPTED
    Request.objects.create(
        customer=package.customer,
        site=package.site,
        template=package.template,
        parameters=package.parameters,
        earliest_start=package.earliest_start,
        blocked_days=package.blocked_days,
        package=package,
        status=status,
    )


# --- writing the plan --------------------------------------------------------------------------


def _differs(obj, name: str, value) -> bool:
    field = obj._meta.get_field(name)
    if field.many_to_one or field.one_to_one:
        return getattr(obj, field.attname) != (value.pk if value is not None else None)
    return getattr(obj, name) != value


def upsert(model, lookup: dict, values: dict):
    """Find ``model`` by its natural key ``lookup``, create or update it with ``values``;
    validate and save only when something changed (so a re-run writes nothing)."""
    values = {name: value for name, value in values.items() if name not in lookup}
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        obj = model(**lookup, **values)
    elif any(_differs(obj, name, value) for name, value in values.items()):
        for name, value in values.items():
            setattr(obj, name, value)
    else:
        return obj
    obj.full_clean()
    obj.save()
    return obj


@transaction.atomic
def seed(start: date = REFERENCE_DATE) -> dict:
    """Create or update the demo dated from ``start`` (a Monday); returns counts per kind of
    object."""
    data = plan(start)
    _seed_postcodes()
    users = _seed_users(data["users"])
    upsert(Cooperative, {"name": data["cooperative"]["name"]}, data["cooperative"])
    certifications = {
        code: upsert(Certification, {"code": code}, {"name_de": de, "name_en": en})
        for code, de, en in catalogue.CERTIFICATIONS
    }
    trades = {}
    for code, de, en, licensed, certs in catalogue.TRADES:
        trade = upsert(Trade, {"code": code}, {"name_de": de, "name_en": en, "licensed": licensed})
        trade.certifications.set([certifications[c] for c in certs])
        trades[code] = trade
    for spec in data["workshops"]:
        _seed_workshop(spec, users, trades, certifications)
    for spec in ALL_TEMPLATES:
        _seed_template(spec, trades, certifications)
    for spec in data["customers"]:
        _seed_customer(spec, users)
    _seed_packages(start)
    _seed_homeowner_orders(users[HOMEOWNER], start)
    history.seed_history(start, EMAIL_DOMAIN)
    # Demo-owned top-level objects (by their demo e-mail domain) an earlier plan had.
    demo_email = {"email__endswith": f"@{EMAIL_DOMAIN}"}
    _prune(Workshop.objects.filter(**demo_email), [w["name"] for w in data["workshops"]], "name")
    _prune(
        Customer.objects.filter(**demo_email),
        [c["values"]["email"] for c in data["customers"]],
        "email",
    )
    _prune(User.objects.filter(**demo_email), list(users), "username")
    return counts(data)


def _seed_postcodes() -> None:
    """The demo region's postal codes, so a fresh install can locate a homeowner's address
    there without the GeoNames import; a code already in the table (imported) is left alone."""
    # one row per code (Oldenburg's main code is also its town entry)
    rows = {code: (town, lat, lon) for town, (code, lat, lon, _) in places.TOWNS.items()}
    rows |= {code: ("Oldenburg", lat, lon) for code, lat, lon in places.OLDENBURG_CODES}
    known = set(PostalCode.objects.filter(country="DE").values_list("code", flat=True))
    PostalCode.objects.bulk_create(
        PostalCode(code=code, place=town, state="NI", location=Point(lon, lat, srid=4326))
        for code, (town, lat, lon) in rows.items()
        if code not in known
    )


def _seed_users(specs: list[dict]) -> dict:
    # One PBKDF2 hash shared by all demo users: hashing takes ~0.3 s, so a hash per user would
    # make the seed slow. The demo password is public anyway.
    existing = dict(
        User.objects.filter(username__in=[s["username"] for s in specs]).values_list(
            "username", "password"
        )
    )
    verified = cache(lambda encoded: bool(encoded) and check_password(DEMO_PASSWORD, encoded))
    shared = next((p for p in existing.values() if verified(p)), None) or make_password(
        DEMO_PASSWORD
    )
    users = {}
    for spec in specs:
        values = {key: value for key, value in spec.items() if key != "username"}
        values["email"] = f"{spec['username']}@{EMAIL_DOMAIN}"
        current = existing.get(spec["username"], "")
        values["password"] = current if verified(current) else shared
        users[spec["username"]] = upsert(User, {"username": spec["username"]}, values)
    return users


def _seed_workshop(spec: dict, users: dict, trades: dict, certifications: dict) -> None:
    values = dict(spec["values"])
    lat, lon, area = values.pop("lat"), values.pop("lon"), values.pop("area")
    values["location"] = Point(lon, lat, srid=4326)
    values["service_area"] = MultiPolygon(Polygon(area), srid=4326) if area else None
    workshop = upsert(Workshop, {"name": spec["name"]}, values)
    for offer in spec["offers"]:
        offered = upsert(
            WorkshopTrade,
            {"workshop": workshop, "trade": trades[offer["trade"]]},
            {"hourly_rate": offer["hourly_rate"], "crews": offer["crews"]},
        )
        offered.certifications.set([certifications[c] for c in offer["certifications"]])
    _prune(workshop.offers, [trades[o["trade"]].pk for o in spec["offers"]], "trade_id")
    if spec["admin"]:
        workshop.admins.add(users[spec["admin"]])
    workers = [
        _seed_worker(workshop, worker, users, trades, certifications) for worker in spec["workers"]
    ]
    _prune(workshop.workers, [worker.pk for worker in workers])
    # What the plan no longer has goes first: seeded from another day, an absence moves, and the
    # moved one would overlap its old self (overlapping absences of a worker are refused).
    planned = {
        (workers[a["worker"]].pk if a["worker"] is not None else None, a["kind"], a["start"])
        for a in spec["absences"]
    }
    stale = [a.pk for a in workshop.absences.all() if (a.worker_id, a.kind, a.start) not in planned]
    workshop.absences.filter(pk__in=stale).delete()
    absences = [
        upsert(
            Absence,
            {
                "workshop": workshop,
                "worker": workers[absence["worker"]] if absence["worker"] is not None else None,
                "kind": absence["kind"],
                "start": absence["start"],
            },
            {"end": absence["end"], "note": absence["note"]},
        ).pk
        for absence in spec["absences"]
    ]
    _prune(workshop.absences, absences)


def _seed_worker(workshop, spec: dict, users: dict, trades: dict, certifications: dict):
    key = {"workshop": workshop, "first_name": spec["first_name"], "last_name": spec["last_name"]}
    user = users[spec["user"]] if spec["user"] else None
    if user is not None:
        # An earlier plan may have given this login to another worker (one login, one worker).
        Worker.objects.filter(user=user).exclude(**key).update(user=None)
    worker = upsert(Worker, key, {"is_master": spec["is_master"], "user": user})
    worker.trades.set([trades[t] for t in spec["trades"]])
    held = [
        upsert(
            WorkerCertification,
            {"worker": worker, "certification": certifications[cert["certification"]]},
            {"valid_until": cert["valid_until"], "reference": cert["reference"]},
        ).pk
        for cert in spec["certifications"]
    ]
    _prune(worker.certifications, held)
    return worker


def _prune(manager, keep: list, field: str = "pk") -> None:
    """Delete what an earlier version of the demo created below a demo object and this one no
    longer has, so re-seeding after a change converges on the plan instead of piling up."""
    manager.exclude(**{f"{field}__in": keep}).delete()


def _seed_template(spec: dict, trades: dict, certifications: dict) -> None:
    template = upsert(
        PackageTemplate,
        {"code": spec["code"]},
        {
            **{
                key: spec[key] for key in ("name_de", "name_en", "description_de", "description_en")
            },
            "kind": spec.get("kind", PackageTemplate.Kind.PACKAGE),
        },
    )
    for position, parameter in enumerate(spec["parameters"]):
        values = {key: value for key, value in parameter.items() if key != "code"}
        for key in ("minimum", "maximum", "default"):
            values[key] = Decimal(str(values[key]))
        values["position"] = position
        upsert(TemplateParameter, {"template": template, "code": parameter["code"]}, values)
    _prune(template.parameters, [p["code"] for p in spec["parameters"]], "code")
    tasks = {}
    for position, task in enumerate(spec["tasks"]):
        values = {key: value for key, value in task.items() if key != "code"}
        values["trade"] = trades[task["trade"]]
        cert = task["required_certification"]
        values["required_certification"] = certifications[cert] if cert else None
        values["duration_base_hours"] = Decimal(str(task["duration_base_hours"]))
        values["material_base"] = Decimal(str(task["material_base"]))
        values["position"] = position
        tasks[task["code"]] = upsert(
            TemplateTask, {"template": template, "code": task["code"]}, values
        )
    kept = [
        upsert(
            TemplateDependency,
            {"predecessor": tasks[before], "successor": tasks[after]},
            {"template": template, "lag_hours": lag},
        ).pk
        for before, after, lag in spec["dependencies"]
    ]
    # A changed catalogue must not leave an old edge behind: it could close a cycle.
    _prune(template.dependencies, kept)
    _prune(template.tasks, [task["code"] for task in spec["tasks"]], "code")


def _seed_customer(spec: dict, users: dict) -> None:
    values = dict(spec["values"])
    values["user"] = users[spec["user"]] if spec["user"] else None
    customer = upsert(Customer, {"email": values.pop("email")}, values)
    for site in spec["sites"]:
        site_values = {key: value for key, value in site.items() if key not in {"lat", "lon"}}
        site_values["location"] = Point(site["lon"], site["lat"], srid=4326)
        label = site_values.pop("label")
        upsert(Site, {"customer": customer, "label": label}, site_values)
    _prune(customer.sites, [site["label"] for site in spec["sites"]], "label")
