from datetime import date
from decimal import Decimal

from ninja import Field, Schema

from trades.selectors import may_manage_workshop, may_see_private
from zunft.core.types import Name


def _request_cache(request, key, compute):
    """Per-request memo so a page of N workshops asks the permission question once."""
    cache = request.__dict__.setdefault("_zunft_perm_cache", {})
    if key not in cache:
        cache[key] = compute()
    return cache[key]


def _private(obj, context) -> bool:
    request = context["request"]
    return _request_cache(
        request, ("private", obj.pk), lambda: may_see_private(request.user, obj.pk)
    )


class ErrorOut(Schema):
    detail: str


class CertificationOut(Schema):
    code: str
    name_de: str
    name_en: str


class TradeOut(Schema):
    code: str
    name_de: str
    name_en: str
    licensed: bool
    certifications: list[CertificationOut]


class TradeIn(Schema):
    code: str = Field(..., min_length=2, max_length=40, pattern=r"^[a-z0-9-]+$")
    name_de: str = Field(..., min_length=2, max_length=150)
    name_en: str = Field(..., min_length=2, max_length=150)
    licensed: bool = False
    certifications: list[str] = []


class TradePatch(Schema):
    name_de: str | None = Field(None, min_length=2, max_length=150)
    name_en: str | None = Field(None, min_length=2, max_length=150)
    licensed: bool | None = None
    certifications: list[str] | None = None


class OfferOut(Schema):
    trade: str = Field(..., alias="trade.code")
    trade_name: str = Field(..., alias="trade.name")
    hourly_rate: Decimal | None = None
    crews: int | None = None
    certifications: list[str] = []

    @staticmethod
    def resolve_certifications(obj):
        return [c.code for c in obj.certifications.all()]


class WorkshopOut(Schema):
    """Directory fields for everyone; rates, crews, bank and tax data only for the office and the
    workshop's own people (a member never sees another member's prices)."""

    id: int
    name: str
    legal_name: str
    owner_name: str
    craft_register_number: str
    street: str
    postal_code: str
    city: str
    state: str
    latitude: float
    longitude: float
    service_radius_km: int
    has_service_area: bool
    active: bool
    distance_km: float | None = None
    offers: list[OfferOut]
    private: bool
    vat_id: str | None = None
    tax_number: str | None = None
    small_business: bool | None = None
    iban: str | None = None
    bic: str | None = None
    email: str | None = None
    phone: str | None = None
    daily_hours: list[Decimal] | None = None

    @staticmethod
    def resolve_latitude(obj):
        return obj.location.y

    @staticmethod
    def resolve_longitude(obj):
        return obj.location.x

    @staticmethod
    def resolve_has_service_area(obj):
        return obj.service_area is not None

    @staticmethod
    def resolve_distance_km(obj):
        distance = getattr(obj, "distance", None)
        return round(distance.km, 1) if distance is not None else None

    @staticmethod
    def resolve_private(obj, context):
        return _private(obj, context)

    @staticmethod
    def resolve_offers(obj, context):
        private = _private(obj, context)
        return [
            {
                "trade.code": o.trade.code,
                "trade.name": o.trade.name,
                "hourly_rate": o.hourly_rate if private else None,
                "crews": o.crews if private else None,
                "certifications": [c.code for c in o.certifications.all()],
            }
            for o in obj.offers.all()
        ]

    @staticmethod
    def resolve_vat_id(obj, context):
        return obj.vat_id if _private(obj, context) else None

    @staticmethod
    def resolve_tax_number(obj, context):
        return obj.tax_number if _private(obj, context) else None

    @staticmethod
    def resolve_small_business(obj, context):
        return obj.small_business if _private(obj, context) else None

    @staticmethod
    def resolve_iban(obj, context):
        return obj.iban if _private(obj, context) else None

    @staticmethod
    def resolve_bic(obj, context):
        return obj.bic if _private(obj, context) else None

    @staticmethod
    def resolve_email(obj, context):
        return obj.email if _private(obj, context) else None

    @staticmethod
    def resolve_phone(obj, context):
        return obj.phone if _private(obj, context) else None

    @staticmethod
    def resolve_daily_hours(obj, context):
        return obj.daily_hours if _private(obj, context) else None


class OfferIn(Schema):
    trade: str
    hourly_rate: Decimal = Field(..., ge=0, max_digits=12, decimal_places=2)
    crews: int = Field(1, ge=1, le=50)
    certifications: list[str] = []


class WorkshopIn(Schema):
    name: str = Field(..., min_length=2, max_length=100)
    legal_name: str = Field(..., min_length=2, max_length=200)
    owner_name: str = Field(..., min_length=2, max_length=150)
    craft_register_number: str = ""
    chamber: str = ""
    vat_id: str = ""
    tax_number: str = ""
    small_business: bool = False
    iban: str
    bic: str = ""
    email: str
    phone: str = ""
    street: str
    postal_code: str
    city: str
    state: str
    latitude: float = Field(..., ge=47, le=55.1)
    longitude: float = Field(..., ge=5.8, le=15.1)
    service_radius_km: int = Field(40, ge=1, le=500)
    daily_hours: list[Decimal] | None = Field(None, min_length=7, max_length=7)
    offers: list[OfferIn] = []


class WorkshopPatch(Schema):
    name: str | None = Field(None, min_length=2, max_length=100)
    legal_name: str | None = None
    owner_name: str | None = None
    craft_register_number: str | None = None
    vat_id: str | None = None
    tax_number: str | None = None
    small_business: bool | None = None
    iban: str | None = None
    bic: str | None = None
    email: str | None = None
    phone: str | None = None
    street: str | None = None
    postal_code: str | None = None
    city: str | None = None
    latitude: float | None = Field(None, ge=47, le=55.1)
    longitude: float | None = Field(None, ge=5.8, le=15.1)
    service_radius_km: int | None = Field(None, ge=1, le=500)
    daily_hours: list[Decimal] | None = Field(None, min_length=7, max_length=7)
    active: bool | None = None
    offers: list[OfferIn] | None = None


class WorkerCertificationOut(Schema):
    code: str = Field(..., alias="certification.code")
    name: str = Field(..., alias="certification.name")  # in the reader's language
    valid_until: date | None
    reference: str


class WorkerCertificationIn(Schema):
    valid_until: date | None = None
    reference: str = Field("", max_length=60, description="the certificate's number")


class WorkerOut(Schema):
    id: int
    workshop_id: int
    workshop_name: str = Field(..., alias="workshop.name")
    first_name: str
    last_name: str
    phone: str
    is_master: bool
    active: bool
    trades: list[str]
    trade_names: list[str]  # in the reader's language, for showing
    certifications: list[WorkerCertificationOut]
    can_manage: bool
    has_login: bool
    is_me: bool  # the reader's own worker record

    @staticmethod
    def resolve_has_login(obj):
        return obj.user_id is not None

    @staticmethod
    def resolve_is_me(obj, context):
        return obj.user_id is not None and obj.user_id == context["request"].user.pk

    @staticmethod
    def resolve_trades(obj):
        return [t.code for t in obj.trades.all()]

    @staticmethod
    def resolve_trade_names(obj):
        return [t.name for t in obj.trades.all()]

    @staticmethod
    def resolve_certifications(obj):
        return list(obj.certifications.all())

    @staticmethod
    def resolve_can_manage(obj, context):
        request = context["request"]
        return _request_cache(
            request,
            ("manage", obj.workshop_id),
            lambda: may_manage_workshop(request.user, obj.workshop_id),
        )


class WorkerIn(Schema):
    first_name: Name
    last_name: Name
    phone: str = ""
    is_master: bool = False
    active: bool = True
    trades: list[str] = []


class WorkerPatch(Schema):
    my_login: bool | None = Field(
        None, description="link (true) or unlink (false) the caller's own login to this worker"
    )
    first_name: Name | None = None
    last_name: Name | None = None
    phone: str | None = None
    is_master: bool | None = None
    active: bool | None = None
    trades: list[str] | None = None


class AbsenceIn(Schema):
    worker_id: int | None = None
    kind: str
    start: date
    end: date
    note: str = ""


class AbsenceOut(Schema):
    id: int
    workshop_id: int
    worker_id: int | None
    kind: str
    start: date
    end: date
    note: str


class DayCapacityOut(Schema):
    day: date
    hours: Decimal
    workers: int
    crews: int
    person_hours: Decimal
    reason: str
