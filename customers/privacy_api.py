"""API v1 for data protection: a homeowner downloads or erases their own data; the office does
it for any customer. Every export is recorded in the audit log as an access."""

from django.contrib.auth import logout
from django.http import HttpResponse
from ninja import Router, Schema, Status
from ninja.errors import HttpError

from customers import privacy
from customers.models import Customer
from trades.schemas import ErrorOut
from trades.selectors import is_office
from zunft.core.auth import required_auth

router = Router(tags=["privacy"], auth=required_auth)

ZIP_RESPONSE = {
    200: {
        "description": "A ZIP archive: daten.json and the documents it names.",
        "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
    }
}


class ErasureIn(Schema):
    customer_id: int | None = None
    confirm: bool = False


class ErasureOut(Schema):
    customer: int
    pseudonym: str
    kept: list[str]


class BlockerOut(Schema):
    kind: str
    id: int
    status: str
    label: str


class BlockedOut(Schema):
    detail: str
    blockers: list[BlockerOut]


def _customer_for(request, customer_id: int | None) -> Customer | None:
    """The customer whose data is asked for: the caller's own, or any one for the office.
    None for a login without a customer record; 404 for anyone else's."""
    own = Customer.objects.filter(user=request.user).select_related("user").first()
    if customer_id is None or (own is not None and own.pk == customer_id):
        return own
    if not is_office(request.user):
        raise HttpError(404, "Not Found")
    found = Customer.objects.filter(pk=customer_id).select_related("user").first()
    if found is None:
        raise HttpError(404, "Not Found")
    return found


@router.get(
    "/privacy/export",
    response={200: None, 404: ErrorOut},
    openapi_extra={"responses": ZIP_RESPONSE},
)
def export(request, customer_id: int | None = None):
    """Everything Zunft stores about you, as a ZIP (DSGVO Art. 15 and 20). The office passes
    ``customer_id``."""
    customer = _customer_for(request, customer_id)
    if customer is None and customer_id is not None:
        raise HttpError(404, "Not Found")
    user = customer.user if customer is not None else request.user
    if customer is not None:
        privacy.record_access(request, [customer], via="privacy-export")
    filename, content = privacy.export_data(user, customer)
    response = HttpResponse(content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@router.post(
    "/privacy/erasure",
    response={200: ErasureOut, 404: ErrorOut, 409: BlockedOut, 422: dict},
)
def erasure(request, payload: ErasureIn):
    """Erase your personal data (DSGVO Art. 17), keeping what retention law requires; ``confirm``
    must be true. Open packages, quotes or unpaid invoices refuse it with 409, naming them. The
    office passes ``customer_id``."""
    if not payload.confirm:
        return Status(
            422,
            {
                "detail": [
                    {
                        "loc": ["body", "payload", "confirm"],
                        "msg": "Bitte bestätigen: die Löschung lässt sich nicht rückgängig machen.",
                    }
                ]
            },
        )
    customer = _customer_for(request, payload.customer_id)
    if customer is None:
        raise HttpError(404, "Not Found")
    erasing_self = customer.user_id == request.user.pk
    try:
        result = privacy.erase_customer(customer, actor=request.user)
    except privacy.ErasureBlocked as blocked:
        return Status(409, {"detail": str(blocked), "blockers": blocked.blockers})
    if erasing_self and hasattr(request, "session"):
        logout(request)
    return result
