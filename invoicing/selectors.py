"""Who sees which invoicing documents (DESIGN.md §6).

* office staff and cooperative admins: everything;
* a member workshop's admins: the documents their workshop issued itself, and the credit notes and
  fee invoices of their workshop's settlements — not the cooperative's invoices to customers, nor
  any other member's documents;
* a homeowner: the issued invoices addressed to them (never drafts).

Anything else is not found (404), never forbidden, so ids of other members' documents leak nothing.
"""

from django.db.models import Q, QuerySet

from invoicing.models import Invoice, Settlement
from trades.selectors import administered_workshop_ids, is_office


def invoices_visible_to(user) -> QuerySet[Invoice]:
    qs = Invoice.objects.select_related("issuer_workshop", "customer")
    if is_office(user):
        return qs
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    rule = Q(customer__user=user) & ~Q(state=Invoice.State.DRAFT)
    workshops = administered_workshop_ids(user)
    if workshops:
        rule |= (
            Q(issuer_workshop_id__in=workshops)
            | Q(settlement_as_credit__workshop_id__in=workshops)
            | Q(settlement_as_fee__workshop_id__in=workshops)
        )
    return qs.filter(rule)


def may_manage(user, invoice: Invoice) -> bool:
    """Issue, cancel and record payments: the office, or the admins of the workshop that issued
    the invoice itself."""
    if is_office(user):
        return True
    return bool(
        invoice.issuer_workshop_id and invoice.issuer_workshop_id in administered_workshop_ids(user)
    )


def settlements_visible_to(user) -> QuerySet[Settlement]:
    qs = Settlement.objects.select_related("run", "workshop", "credit_note", "fee_invoice")
    if is_office(user):
        return qs
    return qs.filter(workshop_id__in=administered_workshop_ids(user))


def books_visible_to(user, issuer: str) -> bool:
    """Exports: the cooperative's books for the office; a member's own books for its admins."""
    if is_office(user):
        return True
    return (
        issuer.startswith("ws")
        and issuer[2:].isdigit()
        and int(issuer[2:]) in administered_workshop_ids(user)
    )
