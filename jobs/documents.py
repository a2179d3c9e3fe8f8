"""The documents of a package (quotes, protocols, invoices …) for whoever may see them.

Apps above jobs contribute their documents by registering a source in ``AppConfig.ready`` (jobs
does not import invoicing); the package page lists what all sources return, newest first.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from jobs.models import Package
from trades.selectors import is_office


@dataclass(frozen=True)
class Document:
    kind: str  # "quote", "protocol", "invoice", …
    title: str
    url: str
    date: date
    # Where the document stands, in a few words ("paid on …"), and a style for it: "ok",
    # "open", "late" or "".
    note: str = ""
    state: str = ""
    # How to pay what is open (payee, iban, bic, amount, reference, girocode): shown under it.
    payment: dict | None = None


Source = Callable[[object, Package], list[Document]]
_sources: list[Source] = []


def register_document_source(source: Source) -> None:
    if source not in _sources:
        _sources.append(source)


def _own_documents(user, package: Package) -> list[Document]:
    """Quotes and supplements (with prices: the homeowner and the office only) and Abnahme
    protocols."""
    documents = []
    owner = user.is_authenticated and package.customer.user_id == user.pk
    if owner or is_office(user):
        for quote in package.quotes.all():
            documents.append(
                Document(
                    "quote",
                    _("Quote %(number)s-%(version)s")
                    % {"number": package.pk, "version": quote.version},
                    reverse("quote-pdf", args=[quote.pk]),
                    timezone.localdate(quote.created_at),
                )
            )
        for supplement in package.supplements.all():
            documents.append(
                Document(
                    "supplement",
                    _("Supplement %(number)s") % {"number": supplement.number},
                    reverse("supplement-pdf", args=[package.pk, supplement.pk]),
                    timezone.localdate(supplement.created_at),
                )
            )
    for acceptance in package.acceptances.all():
        documents.append(
            Document(
                "protocol",
                _("Acceptance protocol (%(outcome)s)")
                % {"outcome": acceptance.get_outcome_display()},
                reverse("acceptance-pdf", args=[package.pk, acceptance.pk]),
                timezone.localdate(acceptance.created_at),
            )
        )
    return documents


def documents_for(user, package: Package) -> list[Document]:
    """Every document of ``package`` that ``user`` may open (the caller checked the package)."""
    found = _own_documents(user, package)
    for source in _sources:
        found.extend(source(user, package))
    return sorted(found, key=lambda d: (d.date, d.kind, d.title), reverse=True)
