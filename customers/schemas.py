from datetime import datetime

from ninja import Field, Schema


class CustomerOut(Schema):
    id: int
    kind: str
    display_name: str
    first_name: str
    last_name: str
    company: str
    email: str
    phone: str
    street: str
    postal_code: str
    city: str
    country: str
    vat_id: str
    construction_business: bool
    buyer_reference: str
    created_at: datetime


class CustomerIn(Schema):
    kind: str = Field("private", pattern="^(private|business|public)$")
    first_name: str = Field("", max_length=100)
    last_name: str = Field("", max_length=100)
    company: str = Field("", max_length=200)
    email: str = Field(
        "", max_length=254, description="may stay empty for the office's customers, not for a login"
    )
    phone: str = Field("", max_length=40)
    street: str = Field(..., min_length=3, max_length=200)
    postal_code: str = Field(..., max_length=10)
    city: str = Field(..., min_length=2, max_length=100)
    vat_id: str = ""
    construction_business: bool = False
    buyer_reference: str = ""


class CustomerPatch(Schema):
    first_name: str | None = Field(None, max_length=100)
    last_name: str | None = Field(None, max_length=100)
    company: str | None = Field(None, max_length=200)
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=40)
    street: str | None = Field(None, min_length=3, max_length=200)
    postal_code: str | None = Field(None, max_length=10)
    city: str | None = Field(None, min_length=2, max_length=100)
    vat_id: str | None = None
    construction_business: bool | None = None
    buyer_reference: str | None = None


class SiteOut(Schema):
    id: int
    customer_id: int
    label: str
    street: str
    postal_code: str
    city: str
    state: str
    latitude: float
    longitude: float
    location_source: str
    access_notes: str

    @staticmethod
    def resolve_latitude(obj):
        return obj.location.y

    @staticmethod
    def resolve_longitude(obj):
        return obj.location.x


class SiteIn(Schema):
    label: str = Field("", max_length=100)
    street: str = Field(..., min_length=3, max_length=200)
    postal_code: str = Field(..., max_length=5)
    city: str = Field(..., min_length=2, max_length=100)
    latitude: float | None = Field(None, ge=47, le=55.1, description="set when the pin was moved")
    longitude: float | None = Field(None, ge=5.8, le=15.1)
    access_notes: str = Field("", max_length=2000)
