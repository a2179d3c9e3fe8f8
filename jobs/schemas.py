from decimal import Decimal

from ninja import Field, Schema


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
