from datetime import date, datetime
from decimal import Decimal

from ninja import Field, Schema

from zunft.core.units import unit_label


class ParameterSchema(Schema):
    code: str = Field(..., min_length=1, max_length=40, pattern=r"^[a-z0-9_]+$")
    name_de: str = Field(..., min_length=1, max_length=100)
    name_en: str = Field(..., min_length=1, max_length=100)
    kind: str = Field("decimal", pattern="^(integer|decimal)$")
    unit: str = Field("", max_length=20)
    minimum: Decimal = Field(Decimal(0), max_digits=10, decimal_places=2)
    maximum: Decimal = Field(..., max_digits=10, decimal_places=2)
    default: Decimal = Field(..., max_digits=10, decimal_places=2)


class TaskIn(Schema):
    code: str = Field(..., min_length=1, max_length=40, pattern=r"^[a-z0-9_-]+$")
    name_de: str = Field(..., min_length=1, max_length=150)
    name_en: str = Field(..., min_length=1, max_length=150)
    trade: str
    required_certification: str | None = None
    crew_size: int = Field(1, ge=1, le=20)
    duration_base_hours: Decimal = Field(Decimal(0), max_digits=7, decimal_places=2)
    duration_per_unit: dict[str, Decimal] = {}
    material_base: Decimal = Field(Decimal(0), ge=0, max_digits=12, decimal_places=2)
    material_per_unit: dict[str, Decimal] = {}


class TaskOut(TaskIn):
    trade: str = Field(..., alias="trade.code")
    required_certification: str | None = None

    @staticmethod
    def resolve_required_certification(obj):
        return obj.required_certification.code if obj.required_certification else None


class DependencySchema(Schema):
    predecessor: str
    successor: str
    lag_hours: int = Field(0, ge=0, le=24 * 60)


class TemplateIn(Schema):
    code: str = Field(..., min_length=2, max_length=60, pattern=r"^[a-z0-9-]+$")
    name_de: str = Field(..., min_length=2, max_length=150)
    name_en: str = Field(..., min_length=2, max_length=150)
    description_de: str = ""
    description_en: str = ""
    active: bool = True
    kind: str = Field("package", pattern="^(package|single)$")
    parameters: list[ParameterSchema] = []
    tasks: list[TaskIn]
    dependencies: list[DependencySchema] = []


class TemplateOut(Schema):
    code: str
    name_de: str
    name_en: str
    description_de: str
    description_en: str
    active: bool
    kind: str
    parameters: list[ParameterSchema]
    tasks: list[TaskOut]
    dependencies: list[DependencySchema]

    @staticmethod
    def resolve_dependencies(obj):
        return [
            {
                "predecessor": d.predecessor.code,
                "successor": d.successor.code,
                "lag_hours": d.lag_hours,
            }
            for d in obj.dependencies.all()
        ]


class SiteAddressIn(Schema):
    street: str = Field(..., min_length=3, max_length=200)
    postal_code: str = Field(..., min_length=5, max_length=5, pattern=r"^\d{5}$")
    city: str = Field(..., min_length=2, max_length=100)
    latitude: float | None = Field(None, ge=47, le=55.1)
    longitude: float | None = Field(None, ge=5.8, le=15.1)
    access_notes: str = Field("", max_length=2000)


class ContactIn(Schema):
    first_name: str = Field("", max_length=100)
    last_name: str = Field(..., min_length=1, max_length=100)
    email: str = Field(..., pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)
    phone: str = Field("", max_length=40)


class RequestIn(Schema):
    template: str
    parameters: dict[str, Decimal] = {}
    site: SiteAddressIn
    contact: ContactIn
    earliest_start: date
    blocked_days: list[date] = Field([], max_length=60)
    description: str = Field("", max_length=2000)
    privacy_consent: bool


class QuoteLineOut(Schema):
    position: int
    kind: str
    trade: str
    text: str
    quantity: Decimal
    unit: str = Field(..., description="UN/ECE Recommendation 20 code, e.g. HUR, H87, LS")
    unit_label: str = Field(..., description="the unit as the reader's language writes it")
    unit_price: Decimal
    net: Decimal
    vat_rate: Decimal

    @staticmethod
    def resolve_unit_label(line) -> str:
        # lines come as model rows or, from the quote's change list, as dicts
        return unit_label(line["unit"] if isinstance(line, dict) else line.unit)


class QuoteOut(Schema):
    id: int
    package_id: int
    version: int
    status: str
    valid_until: date
    net: Decimal
    vat: Decimal
    gross: Decimal
    labour_gross: Decimal
    tax_reduction: Decimal
    start_date: date | None
    completion_date: date | None
    promised_date: date | None
    note: str
    lines: list[QuoteLineOut]
    early_start_consent_needed: bool = False


class RequestOut(Schema):
    id: int
    status: str
    package_id: int | None
    quote: QuoteOut | None


class AcceptIn(Schema):
    version: int
    early_start_consent: bool = False


class DeclineIn(Schema):
    version: int


class WithdrawalOut(Schema):
    """The homeowner's right of withdrawal on one order: whether it may be used now, until
    when, why not (in words), and when it was used."""

    possible: bool
    deadline: date | None
    reason: str
    work_started: bool
    withdrawn_at: datetime | None


class RevisedLineIn(Schema):
    kind: str = Field(..., pattern="^(labour|travel|material|fee)$")
    trade: str = Field(
        "",
        max_length=150,
        description="A trade's German name (as `GET /trades` gives it); empty for the "
        "cooperative's own lines such as the coordination fee",
    )
    text: str = Field(..., min_length=1, max_length=250)
    quantity: Decimal = Field(..., gt=0, max_digits=10, decimal_places=2)
    unit: str = Field(..., min_length=1, max_length=10)
    unit_price: Decimal = Field(..., ge=0, max_digits=12, decimal_places=2)


class RevisionIn(Schema):
    lines: list[RevisedLineIn] = Field(..., min_length=1, max_length=200)
    start_date: date | None = None
    completion_date: date | None = None
    promised_date: date | None = Field(
        None,
        description="Binding completion promise; omitted keeps the previous version's, "
        "null offers none.",
    )
    note: str = Field("", max_length=2000)


class ChangedLineOut(Schema):
    text: str
    before: Decimal
    after: Decimal
    trade_before: str = Field("", description="German name; empty for the cooperative's own")
    trade_after: str = Field("", description="German name; empty for the cooperative's own")


class QuoteChangesOut(Schema):
    version: int
    previous_version: int | None
    added: list[QuoteLineOut]
    removed: list[QuoteLineOut]
    changed: list[ChangedLineOut]
    gross_before: Decimal | None
    gross_after: Decimal
    completion_before: date | None
    completion_after: date | None
    promised_before: date | None
    promised_after: date | None
    start_before: date | None
    start_after: date | None


class SupplementTaskIn(Schema):
    name: str = Field(
        ..., min_length=1, max_length=150, description="the work, as the homeowner reads it"
    )
    trade: str = Field(
        ..., min_length=1, max_length=40, description="a trade's code (`GET /trades`)"
    )
    duration_hours: Decimal = Field(..., gt=0, le=500, max_digits=7, decimal_places=2)
    crew_size: int = Field(1, ge=1, le=10)
    material_cost: Decimal = Field(Decimal(0), ge=0, max_digits=12, decimal_places=2)
    certification: str = Field(
        "",
        max_length=40,
        description="code of a certification the trade's work may require (gas, grid)",
    )
    after: int | None = Field(None, description="id of the order's task this work follows")
    before: int | None = Field(
        None, description="id of an order's task not begun yet that waits for this work"
    )


class SupplementDecisionIn(Schema):
    early_start_consent: bool = Field(
        False,
        description="a consumer agrees that the work starts at once (required to accept)",
    )


class SupplementIn(Schema):
    reason: str = Field(..., min_length=1, max_length=2000, description="why the work is needed")
    tasks: list[SupplementTaskIn] = Field(..., min_length=1, max_length=20)


class SupplementTaskOut(Schema):
    position: int
    name: str
    trade: str = Field(..., alias="trade.code")
    trade_name: str = Field("", description="the trade in the reader's language")
    certification: str | None = Field(None, description="the certification the work requires")
    duration_hours: Decimal
    crew_size: int
    material_cost: Decimal
    after: int | None = Field(None, alias="after_id")
    before: int | None = Field(None, alias="before_id")
    task: int | None = Field(
        None, alias="task_id", description="the order's task it became once accepted"
    )

    @staticmethod
    def resolve_trade_name(piece) -> str:
        return piece.trade.name

    @staticmethod
    def resolve_certification(piece) -> str | None:
        certification = piece.required_certification
        return certification.code if certification else None


class SupplementOut(Schema):
    id: int
    package_id: int
    number: int
    status: str
    reason: str
    valid_until: date
    net: Decimal
    vat: Decimal
    gross: Decimal
    labour_gross: Decimal
    tax_reduction: Decimal
    created_at: datetime
    decided_at: datetime | None
    early_start_consent: bool
    expired: bool = Field(False, description="open, but its last valid day has passed")
    tasks: list[SupplementTaskOut]
    lines: list[QuoteLineOut]

    @staticmethod
    def resolve_expired(supplement) -> bool:
        from django.utils import timezone

        return supplement.expired(timezone.localdate())
