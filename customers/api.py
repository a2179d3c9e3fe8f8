"""API v1 for customers and sites; a homeowner sees and edits only their own."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from customers import privacy, services
from customers.schemas import CustomerIn, CustomerOut, CustomerPatch, SiteIn, SiteOut
from customers.selectors import customers_visible_to, search_customers, sites_visible_to
from trades.models import Certification, Trade
from trades.schemas import ErrorOut, WorkshopOut
from trades.selectors import is_office, workshops_serving
from zunft.core.auth import required_auth
from zunft.core.language import active_language
from zunft.core.pagination import Pages

router = Router(tags=["customers"], auth=required_auth)


@router.get("/customers", response=list[CustomerOut])
@paginate(Pages, page_size=50)
def list_customers(request, q: str | None = None, kind: str | None = None):
    """``q``: a phone number in any spelling, or words found in the name, company or e-mail."""
    qs = customers_visible_to(request.user)
    if kind:
        qs = qs.filter(kind=kind)
    if q:
        qs = search_customers(qs, q)
    return qs


@router.get("/customers/{customer_id}", response={200: CustomerOut, 404: ErrorOut})
def get_customer(request, customer_id: int):
    customer = get_object_or_404(customers_visible_to(request.user), pk=customer_id)
    privacy.record_access(request, [customer], via="api")
    return customer


@router.post("/customers", response={201: CustomerOut, 403: ErrorOut, 409: ErrorOut, 422: dict})
def create_customer(request, payload: CustomerIn):
    """Office staff create any customer; a logged-in homeowner creates their own record once."""
    data = payload.dict()
    if not is_office(request.user):
        if request.user.role != "homeowner":
            raise HttpError(403, _("Only homeowners and the office create customer records."))
        if customers_visible_to(request.user).exists():
            raise HttpError(409, _("You already have a customer record."))
        data["user"] = request.user
        data["language"] = active_language()  # her mails are written in it
    return Status(201, services.save_customer(data))


@router.patch("/customers/{customer_id}", response={200: CustomerOut, 404: ErrorOut, 422: dict})
def update_customer(request, customer_id: int, payload: CustomerPatch):
    customer = get_object_or_404(customers_visible_to(request.user), pk=customer_id)
    return services.save_customer(payload.dict(exclude_unset=True), customer=customer)


@router.get("/sites", response=list[SiteOut])
@paginate(Pages, page_size=50)
def list_sites(request, customer: int | None = None):
    qs = sites_visible_to(request.user)
    if customer is not None:
        qs = qs.filter(customer_id=customer)
    return qs


@router.get("/sites/{site_id}", response={200: SiteOut, 404: ErrorOut})
def get_site(request, site_id: int):
    site = get_object_or_404(sites_visible_to(request.user), pk=site_id)
    privacy.record_access(request, [site], via="api")
    return site


@router.post("/customers/{customer_id}/sites", response={201: SiteOut, 404: ErrorOut, 422: dict})
def create_site(request, customer_id: int, payload: SiteIn):
    customer = get_object_or_404(customers_visible_to(request.user), pk=customer_id)
    return Status(201, services.save_site(customer, payload.dict()))


@router.patch("/sites/{site_id}", response={200: SiteOut, 404: ErrorOut, 422: dict})
def update_site(request, site_id: int, payload: SiteIn):
    site = get_object_or_404(sites_visible_to(request.user), pk=site_id)
    return services.save_site(site.customer, payload.dict(), site=site)


@router.get("/sites/{site_id}/workshops", response={200: list[WorkshopOut], 404: ErrorOut})
@paginate(Pages, page_size=25)
def workshops_for_site(request, site_id: int, trade: str, certification: str | None = None):
    """Workshops able to do ``trade`` at this site (certified when asked, site inside their
    service area), nearest first with the distance."""
    site = get_object_or_404(sites_visible_to(request.user), pk=site_id)
    trade_obj = get_object_or_404(Trade, code=trade)
    cert = get_object_or_404(Certification, code=certification) if certification else None
    return workshops_serving(site.location, trade_obj, cert)
