"""Payments: recording by hand, the derived open amount, and the CAMT.053 bank statement import.

The open amount is never stored. It is always the amount due minus the payments recorded, so a
partial payment leaves the rest open and an over-payment shows as a credit (negative open amount).
A cancelled invoice owes nothing any more: whatever was paid on it is a credit. The
cancellation document itself has no balance.

The dunning charges (each notice's fee, and the default interest the latest notice claims) are
owed besides the invoice. Payments settle the invoice first, so paying its amount ends the
dunning run; what is paid beyond it settles the charges, and only the rest is a credit. Charges
still open after that are listed with the invoice until paid or waived by the office.

When the payments reach the amount due the invoice moves to ``paid`` with the day of the payment
that settled it; the database trigger allows exactly those columns to change on an issued invoice.
An invoice that asks for nothing is ``paid`` from its issue; one whose amount due is negative (the
progress payments it deducts exceed it) takes no payment: it is a credit owed to the customer, and
moves to ``paid`` on the day the refund that pays the last of it is booked.

Lock order (as in :mod:`invoicing.services`): the invoice row ``FOR UPDATE``, nothing else.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import (
    Case,
    DecimalField,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest, Least
from django.utils import timezone
from django.utils.translation import gettext as _

from invoicing.models import (
    BankStatementImport,
    BankTransaction,
    Dunning,
    DunningNotice,
    Invoice,
    Payment,
    RefundTransfer,
)
from trades.validators import validate_iban
from zunft.core.errors import Conflict
from zunft.core.money import ZERO, format_money, round_money, to_decimal
from zunft.core.realtime import emit

logger = logging.getLogger(__name__)

PAYABLE_STATES = (Invoice.State.ISSUED, Invoice.State.PAID)
MONEY = DecimalField(max_digits=14, decimal_places=2)


# --- the derived balance ------------------------------------------------------------------------


def paid_total(invoice: Invoice) -> Decimal:
    total = invoice.payments.aggregate(s=Sum("amount"))["s"]
    return total if total is not None else ZERO


def dunning_charges(invoice: Invoice) -> Decimal:
    """The dunning charges owed besides the invoice: every notice's fee and the interest of the
    latest one (each notice states the interest since the default began), less what the office
    waived. None on a cancelled invoice."""
    if invoice.state == Invoice.State.CANCELLED:
        return ZERO
    notices = DunningNotice.objects.filter(invoice=invoice)
    fees = notices.aggregate(s=Sum("fee"))["s"] or ZERO
    latest = notices.order_by("-level").values_list("interest", flat=True).first() or ZERO
    waived = Dunning.objects.filter(invoice=invoice).values_list("charges_waived", flat=True)
    return max(fees + latest - (waived.first() or ZERO), ZERO)


@dataclass(frozen=True)
class Balance:
    """``open`` is the invoice's own rest (negative: a credit); ``charges_open`` the dunning
    charges not paid yet."""

    open: Decimal
    charges_open: Decimal

    @property
    def total(self) -> Decimal:
        return self.open + self.charges_open


def balance(invoice: Invoice, paid: Decimal | None = None) -> Balance:
    """The invoice's balance, by the rule of :func:`with_balance`."""
    paid = paid_total(invoice) if paid is None else paid
    no_claim = invoice.state == Invoice.State.CANCELLED or invoice.kind == Invoice.Kind.CANCELLATION
    due = ZERO if no_claim else invoice.amount_due
    charges = dunning_charges(invoice)
    covered = min(charges, max(paid - due, ZERO))
    return Balance(open=due - paid + covered, charges_open=charges - covered)


def open_amount(invoice: Invoice, paid: Decimal | None = None) -> Decimal:
    """What is still owed on the invoice itself: the amount due minus the payments, once the
    payments beyond it have settled the dunning charges. Negative is a credit (over-payment, or
    payments on a cancelled invoice)."""
    return balance(invoice, paid).open


def with_balance(qs: QuerySet[Invoice]) -> QuerySet[Invoice]:
    """Annotate ``paid``, ``charges``, ``open`` and ``charges_open`` (same rule as
    :func:`balance`) without joining rows."""
    paid = Subquery(
        Payment.objects.filter(invoice=OuterRef("pk"))
        .order_by()
        .values("invoice")
        .annotate(s=Sum("amount"))
        .values("s"),
        output_field=MONEY,
    )
    notices = DunningNotice.objects.filter(invoice=OuterRef("pk")).order_by()
    fees = Subquery(
        notices.values("invoice").annotate(s=Sum("fee")).values("s"), output_field=MONEY
    )
    interest = Subquery(notices.order_by("-level").values("interest")[:1], output_field=MONEY)
    waived = Subquery(
        Dunning.objects.filter(invoice=OuterRef("pk")).values("charges_waived")[:1],
        output_field=MONEY,
    )
    zero = Value(ZERO, output_field=MONEY)
    # A cancelled invoice owes nothing; its cancellation is no claim (nor a credit) of its own:
    # what was paid stands as a credit on the invoice it cancels.
    cancelled = Q(state=Invoice.State.CANCELLED) | Q(kind=Invoice.Kind.CANCELLATION)
    due = Case(When(cancelled, then=zero), default=F("amount_due"), output_field=MONEY)
    charges = Case(
        When(cancelled, then=zero),
        default=Greatest(
            Coalesce(fees, zero) + Coalesce(interest, zero) - Coalesce(waived, zero), zero
        ),
        output_field=MONEY,
    )
    covered = Least(F("charges"), Greatest(F("paid") - due, zero))
    return (
        qs.annotate(paid=Coalesce(paid, zero, output_field=MONEY), charges=charges)
        .annotate(open=due - F("paid") + covered)
        .annotate(charges_open=F("charges") - covered)
    )


# --- recording ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recorded:
    payment: Payment
    invoice: Invoice
    open: Decimal
    charges_open: Decimal = ZERO

    @property
    def outcome(self) -> str:
        if self.open > 0:
            return "partial"
        return "overpaid" if self.open < 0 else "full"


def _check_amount(amount) -> Decimal:
    try:
        amount = to_decimal(amount)
    except (TypeError, InvalidOperation) as exc:
        raise ValidationError({"amount": _("The amount is not a number.")}) from exc
    if not amount.is_finite() or amount <= 0:
        raise ValidationError({"amount": _("The amount must be more than 0.")})
    if round_money(amount) != amount:
        raise ValidationError({"amount": _("Amounts are whole cents.")})
    if amount >= Decimal("10000000000"):
        raise ValidationError({"amount": _("The amount is too large.")})
    return amount


def record_payment(
    invoice: Invoice,
    *,
    amount,
    booked_on: date,
    reference: str = "",
    source: str = Payment.Source.MANUAL,
    bank_transaction_id: str | None = None,
    payer_name: str = "",
    payer_iban: str = "",
    user=None,
) -> Recorded:
    """Record money received for an issued invoice. Locks the invoice row; when the payments
    now cover the amount due the invoice becomes ``paid`` (``paid_on`` = this payment's day)."""
    amount = _check_amount(amount)
    if source not in Payment.Source.values:
        raise ValidationError(
            {"source": _("Unknown payment source %(source)s.") % {"source": repr(source)}}
        )
    if booked_on > timezone.localdate():
        raise ValidationError({"booked_on": _("The booking date lies in the future.")})
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if invoice.state not in PAYABLE_STATES:
            raise ValidationError(
                {
                    "invoice": _("An invoice in the state “%(state)s” takes no payments.")
                    % {"state": invoice.get_state_display()}
                }
            )
        if invoice.amount_due <= 0:
            raise ValidationError({"invoice": _("Nothing is to be paid on this document.")})
        if source == Payment.Source.CAMT and invoice.kind == Invoice.Kind.CREDIT_NOTE:
            # money coming in: a credit note is the cooperative's debt, paid out to the member
            raise ValidationError(
                {
                    "invoice": _(
                        "%(number)s is a credit note the cooperative pays out to a member: "
                        "money received cannot be booked onto it."
                    )
                    % {"number": invoice.number}
                }
            )
        if invoice.issue_date and booked_on < invoice.issue_date:
            raise ValidationError({"booked_on": _("The payment lies before the invoice date.")})
        payment = Payment.objects.create(
            invoice=invoice,
            amount=amount,
            booked_on=booked_on,
            reference=reference[:300],
            source=source,
            bank_transaction_id=bank_transaction_id,
            payer_name=payer_name[:200],
            payer_iban=payer_iban[:34],
            recorded_by=user if getattr(user, "is_authenticated", False) else None,
        )
        after = balance(invoice)
        remaining = after.open
        if remaining <= 0 and invoice.state == Invoice.State.ISSUED:
            invoice.state = Invoice.State.PAID
            invoice.paid_on = booked_on
            invoice.state_changed_at = timezone.now()
            invoice.save(update_fields=["state", "paid_on", "state_changed_at"])
        emit(
            invoice.staff_groups(),
            "invoice.payment",
            {
                "invoice": invoice.pk,
                "number": invoice.number,
                "amount": str(amount),
                "open": str(remaining),
                "charges_open": str(after.charges_open),
                "state": invoice.state,
            },
        )
    return Recorded(payment, invoice, remaining, after.charges_open)


# --- CAMT.053 -----------------------------------------------------------------------------------

# RE-2026-00042, RE12-2026-00042; banks and people add spaces or drop the hyphens.
NUMBER_PATTERN = re.compile(r"\b([A-Z]{1,6}\d{0,6})\s?-?\s?(20\d\d)\s?-?\s?(\d{5})\b")


def _check_refundable(invoice: Invoice) -> None:
    if invoice.kind not in (Invoice.Kind.INVOICE, Invoice.Kind.PROGRESS, Invoice.Kind.FINAL):
        raise ValidationError({"invoice": _("Only a customer's invoice has a credit to refund.")})


def prepared_transfers(invoice: Invoice) -> QuerySet[RefundTransfer]:
    """The credit's transfers prepared for the bank and neither booked nor discarded yet."""
    return invoice.refund_transfers.filter(state=RefundTransfer.State.PREPARED)


def _refund_amount_error(invoice: Invoice, amount: Decimal, prepared: Decimal = ZERO) -> str | None:
    """Why ``amount`` cannot go back to the customer (no credit, or more than is left of it
    once the ``prepared`` transfers are paid); None if it can."""
    credit = -balance(invoice).open
    if credit <= 0:
        return _("There is no credit to refund on this invoice.")
    # A final invoice deducts its progress invoices whether they were paid or not: what is
    # still open on them was never received, so it is not paid back (it is set off instead).
    unpaid = [
        (d.progress_invoice.number, open_amount(d.progress_invoice))
        for d in invoice.deductions.select_related("progress_invoice")
    ]
    unpaid = [(number, owed) for number, owed in unpaid if owed > 0]
    if unpaid:
        credit -= sum(owed for _number, owed in unpaid)
        if credit <= 0:
            return _(
                "The progress invoice %(numbers)s deducted here is not paid yet: with what is "
                "open on it, there is no credit to refund. Book its payment first, or let the "
                "credit set it off."
            ) % {"numbers": ", ".join(number for number, _owed in unpaid)}
    free = credit - prepared
    if amount <= free:
        return None
    if prepared <= 0:
        return _("At most the credit of %(credit)s can be refunded.") % {
            "credit": format_money(credit)
        }
    if free <= 0:
        return _(
            "The whole credit is in a transfer prepared already: book that transfer once the "
            "bank has carried it out, or discard it."
        )
    return _(
        "%(prepared)s of the credit are in a transfer prepared already: at most %(free)s can "
        "be refunded besides."
    ) % {"prepared": format_money(prepared), "free": format_money(free)}


def _prepared_sum(invoice: Invoice) -> Decimal:
    return prepared_transfers(invoice).aggregate(s=Sum("amount"))["s"] or ZERO


def refund_payee(invoice: Invoice) -> tuple[str, str]:
    """Whom a credit goes back to, as far as the bank told us: the name and IBAN of the last
    credit booked on the invoice from a statement ("", "" when it was booked by hand)."""
    row = (
        BankTransaction.objects.filter(invoices=invoice)
        .exclude(payer_iban="")
        .order_by("-booked_on", "-pk")
        .values_list("payer_name", "payer_iban")
        .first()
    )
    return row if row else ("", "")


def sepa_transfer(name: str, iban: str, bic: str, *, batch: bool = False):
    """An empty SEPA credit transfer (pain.001.001.09, what German banks take under the DK
    rules) from the account given; ``export(validate=True)`` checks it against the schema."""
    from sepaxml import SepaTransfer

    debtor = {"name": name[:70], "IBAN": iban.replace(" ", "")}
    if bic:  # IBAN only is enough within SEPA; an empty BIC fails the schema
        debtor["BIC"] = bic
    return SepaTransfer({**debtor, "batch": batch, "currency": "EUR"}, schema="pain.001.001.09")


def _transfer_document(
    invoice: Invoice, *, name: str, iban: str, amount: Decimal, execution_date: date, seq: int
) -> bytes:
    # Paid back by whoever was paid: the cooperative, or a member for its own invoices, from the
    # account it keeps now (the one printed on the invoice may have been closed since).
    if invoice.issuer_workshop_id:
        payer = invoice.issuer_workshop
        transfer = sepa_transfer(payer.legal_name or payer.name, payer.iban, payer.bic)
    else:
        from invoicing.services import get_cooperative

        coop = get_cooperative()
        transfer = sepa_transfer(coop.legal_name, coop.iban, coop.bic)
    transfer.add_payment(
        {
            "name": name[:70],
            "IBAN": iban,
            "amount": int((amount * 100).to_integral_value()),
            "execution_date": execution_date,
            "description": f"Erstattung Guthaben {invoice.number}"[:140],
            # unique per transfer, so the bank's statement names which one was carried out
            "endtoend_id": (f"ERST-{invoice.number}" + (f"-{seq}" if seq > 1 else ""))[:35],
        }
    )
    return transfer.export(validate=True, pretty_print=True)


def prepare_refund_transfer(
    invoice: Invoice,
    *,
    name: str,
    iban: str,
    amount: Decimal,
    execution_date: date,
    user=None,
) -> RefundTransfer:
    """A SEPA credit transfer (pain.001.001.09) paying ``amount`` of the invoice's credit back
    to ``name``/``iban``, kept with the invoice for the clerk to hand to the bank. Books no
    refund (that follows once the bank carried it out), but holds its amount: another transfer
    or refund can only take what is left of the credit. Locks the invoice row."""
    _check_refundable(invoice)
    errors = {}
    iban = iban.replace(" ", "").upper()
    try:
        validate_iban(iban)
    except ValidationError as error:
        errors["iban"] = error.messages
    if not name.strip():
        errors["name"] = [_("Whom the money goes to: the account holder's name.")]
    if execution_date < timezone.localdate():
        errors["execution_date"] = [_("A transfer is executed today or later.")]
    with transaction.atomic():
        invoice = (
            Invoice.objects.select_for_update(of=("self",))
            .select_related("issuer_workshop")
            .get(pk=invoice.pk)
        )
        if error := _refund_amount_error(invoice, amount, _prepared_sum(invoice)):
            errors["amount"] = [error]
        if errors:
            raise ValidationError(errors)
        document = _transfer_document(
            invoice,
            name=name.strip(),
            iban=iban,
            amount=amount,
            execution_date=execution_date,
            seq=invoice.refund_transfers.count() + 1,
        )
        return RefundTransfer.objects.create(
            invoice=invoice,
            amount=amount,
            payee_name=name.strip()[:70],
            payee_iban=iban,
            execution_date=execution_date,
            document=document,
            prepared_by=user if getattr(user, "is_authenticated", False) else None,
        )


def _locked_transfer(invoice: Invoice, transfer_id: int) -> RefundTransfer:
    """The invoice's prepared transfer, locked (call with the invoice row locked)."""
    transfer = (
        RefundTransfer.objects.select_for_update().filter(invoice=invoice, pk=transfer_id).first()
    )
    if transfer is None or transfer.state != RefundTransfer.State.PREPARED:
        raise ValidationError(
            {"transfer": _("This transfer has been booked or discarded already.")}
        )
    return transfer


def discard_refund_transfer(invoice: Invoice, transfer_id: int) -> RefundTransfer:
    """The bank did not carry the transfer out (or the file was never handed in): its amount
    is free again for another transfer or a refund."""
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        transfer = _locked_transfer(invoice, transfer_id)
        transfer.state = RefundTransfer.State.DISCARDED
        transfer.closed_at = timezone.now()
        transfer.save(update_fields=["state", "closed_at"])
    return transfer


def _booked(invoice: Invoice, payment: Payment) -> Recorded:
    """The balance after money moved on the invoice, told to the office live."""
    after = balance(invoice)
    emit(
        invoice.staff_groups(),
        "invoice.payment",
        {
            "invoice": invoice.pk,
            "number": invoice.number,
            "amount": str(payment.amount),
            "open": str(after.open),
            "charges_open": str(after.charges_open),
            "state": invoice.state,
        },
    )
    return Recorded(payment, invoice, after.open, after.charges_open)


def record_transfer_returned(
    invoice: Invoice, transfer_id: int, *, booked_on: date, user=None
) -> Recorded:
    """The bank returned a refund transfer booked already (the account was closed, the name did
    not match): the money is back, booked as a return against the refund, and the credit is
    open again for another transfer."""
    if booked_on > timezone.localdate():
        raise ValidationError({"booked_on": _("The booking date lies in the future.")})
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        transfer = (
            RefundTransfer.objects.select_for_update(of=("self",))
            .select_related("payment")
            .filter(invoice=invoice, pk=transfer_id)
            .first()
        )
        if transfer is None or transfer.state != RefundTransfer.State.BOOKED:
            raise ValidationError(
                {"transfer": _("Only a transfer booked as carried out can come back.")}
            )
        if booked_on < transfer.payment.booked_on:
            raise ValidationError(
                {"booked_on": _("The money comes back after the transfer was carried out.")}
            )
        payment = Payment.objects.create(
            invoice=invoice,
            amount=transfer.amount,
            booked_on=booked_on,
            reference=f"Rücklauf Erstattung {invoice.number}",
            source=Payment.Source.REFUND,
            recorded_by=user if getattr(user, "is_authenticated", False) else None,
        )
        transfer.state = RefundTransfer.State.RETURNED
        transfer.returned = payment
        transfer.save(update_fields=["state", "returned"])
        return _booked(invoice, payment)


def record_refund(
    invoice: Invoice,
    *,
    amount,
    booked_on: date,
    reference: str = "",
    user=None,
    transfer: int | None = None,
) -> Recorded:
    """The cooperative paid a customer's credit back (an over-payment, what was paid on an
    invoice cancelled since, or what the progress payments a final invoice deducts exceed it):
    booked as a negative payment, at most the credit; the refund that pays the last of a final
    invoice's own credit settles it (``paid``). With
    ``transfer`` it is that prepared transfer, carried out by the bank; without, a refund made
    some other way (cash, a transfer typed at the bank), which can only take what the
    prepared transfers leave. Locks the invoice row like a payment."""
    amount = _check_amount(amount)
    if booked_on > timezone.localdate():
        raise ValidationError({"booked_on": _("The booking date lies in the future.")})
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        _check_refundable(invoice)
        if transfer is not None:
            carried_out = _locked_transfer(invoice, transfer)
            if carried_out.amount != amount:
                raise ValidationError(
                    {
                        "amount": _("The transfer was over %(amount)s.")
                        % {"amount": format_money(carried_out.amount)}
                    }
                )
        else:
            carried_out = None  # a refund of the same amount is not taken for the file's
        prepared = _prepared_sum(invoice) - (carried_out.amount if carried_out else ZERO)
        if error := _refund_amount_error(invoice, amount, prepared):
            raise ValidationError({"amount": error})
        last = invoice.payments.order_by("-booked_on").values_list("booked_on", flat=True).first()
        if last and booked_on < last:
            raise ValidationError({"booked_on": _("A refund follows the payment it pays back.")})
        payment = Payment.objects.create(
            invoice=invoice,
            amount=-amount,
            booked_on=booked_on,
            # a booked transfer without a reference carries the text the bank was given
            reference=(
                reference or (f"Erstattung Guthaben {invoice.number}" if carried_out else "")
            )[:300],
            source=Payment.Source.REFUND,
            recorded_by=user if getattr(user, "is_authenticated", False) else None,
        )
        if carried_out:
            carried_out.state = RefundTransfer.State.BOOKED
            carried_out.payment = payment
            carried_out.closed_at = timezone.now()
            carried_out.save(update_fields=["state", "payment", "closed_at"])
        _settle_refunded(invoice, booked_on)
        return _booked(invoice, payment)


def _settle_refunded(invoice: Invoice, booked_on: date) -> None:
    """An issued invoice whose amount due is negative (the progress payments it deducts exceed
    it: a credit owed to the customer) is settled once that credit is refunded in full: ``paid``
    on the day of the refund that settled it. Call with the invoice row locked."""
    if invoice.state != Invoice.State.ISSUED or invoice.amount_due >= 0:
        return
    if balance(invoice).open < 0:
        return
    invoice.state = Invoice.State.PAID
    invoice.paid_on = booked_on
    invoice.state_changed_at = timezone.now()
    invoice.save(update_fields=["state", "paid_on", "state_changed_at"])


def invoice_numbers_in(text: str) -> list[str]:
    seen: list[str] = []
    for prefix, year, seq in NUMBER_PATTERN.findall((text or "").upper()):
        number = f"{prefix}-{year}-{seq}"
        if number not in seen:
            seen.append(number)
    return seen


@dataclass
class BankCredit:
    """One incoming credit as read from the statement."""

    transaction_id: str
    booked_on: date
    amount: Decimal
    currency: str
    remittance: str
    end_to_end_id: str = ""
    payer_name: str = ""
    payer_iban: str = ""


@dataclass
class ImportResult:
    statement: BankStatementImport
    created: bool
    counts: Counter = field(default_factory=Counter)

    def as_dict(self) -> dict:
        return {"statement": self.statement.pk, "created": self.created, **self.counts}


def _date(value: str | None) -> date | None:
    if not value:
        return None
    return date.fromisoformat(value[:10])


def _transaction_key(iban: str, row: dict, occurrences: Counter) -> str:
    """A stable id per credit: the bank's own reference (AcctSvcrRef) where it gives one, else a
    digest of what identifies the booking. The n-th identical booking in a file gets ``#n``."""
    ref = row.get("TransactionID") or ""
    basis = "|".join(
        str(row.get(k) or "")
        for k in ("BookingDate", "Amount", "EndToEndId", "RemittanceInformationFull", "DebtorIBAN")
    )
    base = f"{iban}:{ref}" if ref else f"{iban}:h{hashlib.sha256(basis.encode()).hexdigest()[:32]}"
    occurrences[base] += 1
    key = base if occurrences[base] == 1 else f"{base}#{occurrences[base]}"
    if len(key) > 100:
        key = "sha:" + hashlib.sha256(key.encode()).hexdigest()
    return key


def parse_camt053(content: bytes) -> tuple[dict, list[BankCredit]]:
    """Booked, non-reversed credits of a CAMT.053 (or .052) file, read with ``pycamt``. Raises
    ValidationError for anything that is not such a file."""
    from lxml import etree
    from pycamt.parser import Camt053ParseError, Camt053Parser

    try:
        parser = Camt053Parser(content)
        header = parser.get_group_header()
        statements = parser.get_statement_info()
        rows = parser.get_transactions()
    except (etree.XMLSyntaxError, Camt053ParseError, AttributeError, ValueError) as exc:
        raise ValidationError(
            {"file": _("The file is not a readable CAMT.053 bank statement.")}
        ) from exc
    if parser.version == "unknown" and not rows:
        raise ValidationError({"file": _("The file is not a CAMT.053 bank statement.")})
    iban = (statements[0].get("IBAN") if statements else "") or ""
    occurrences: Counter = Counter()
    credits = []
    for row in rows:
        if row.get("CreditDebitIndicator") != "CRDT":
            continue
        if str(row.get("ReversalIndicator") or "").lower() == "true":
            continue
        if row.get("Status") not in (None, "BOOK"):
            continue
        try:
            amount = round_money(Decimal(str(row.get("Amount"))))
        except InvalidOperation:
            continue
        booked = _date(row.get("BookingDate")) or _date(row.get("ValueDate"))
        if booked is None or amount <= 0:
            continue
        credits.append(
            BankCredit(
                transaction_id=_transaction_key(iban, row, occurrences),
                booked_on=booked,
                amount=amount,
                currency=row.get("Currency") or "EUR",
                remittance=" ".join(
                    filter(
                        None,
                        [
                            row.get("RemittanceInformationFull")
                            or row.get("RemittanceInformation"),
                            row.get("AdditionalRemittanceInformation"),
                            row.get("AdditionalEntryInformation"),
                        ],
                    )
                )[:500],
                end_to_end_id=(row.get("EndToEndId") or "")[:100],
                payer_name=(row.get("DebtorName") or "")[:200],
                payer_iban=(row.get("DebtorIBAN") or "")[:34],
            )
        )
    return {"message_id": header.get("MessageID") or "", "iban": iban}, credits


def _candidates(iban: str) -> QuerySet[Invoice]:
    """Invoices paid into this account: the seller's IBAN is the statement's account."""
    qs = Invoice.objects.filter(state__in=PAYABLE_STATES, amount_due__gt=0).exclude(
        kind=Invoice.Kind.CREDIT_NOTE
    )
    return qs.filter(seller_iban=iban.replace(" ", "")) if iban else qs


def _by_name(credit: BankCredit, invoices: list[Invoice]) -> list[Invoice]:
    payer = credit.payer_name.casefold()
    return [
        inv
        for inv in invoices
        if payer
        and any(
            len(w) > 2 and w in payer for w in inv.buyer_name.casefold().replace(",", " ").split()
        )
    ]


def match_credit(iban: str, credit: BankCredit) -> tuple[list[Invoice], str]:
    """Which invoices a credit pays, and why (or why not) as a :class:`BankTransaction.Reason`.
    By invoice number in the remittance first; without one, by an exact open amount of a single
    invoice whose buyer name the payer name contains."""
    Reason = BankTransaction.Reason
    if credit.currency != "EUR":
        return [], Reason.CURRENCY
    numbers = invoice_numbers_in(f"{credit.remittance} {credit.end_to_end_id}")
    candidates = _candidates(iban)
    if numbers:
        found = list(with_balance(candidates.filter(number__in=numbers)))
        if not found:
            cancelled = Invoice.objects.filter(number__in=numbers, state=Invoice.State.CANCELLED)
            if cancelled.exists():
                return [], Reason.CANCELLED
            return [], Reason.UNKNOWN_NUMBER
        if len(found) == 1:
            return found, Reason.NUMBER
        if credit.amount in (
            sum(i.open for i in found),
            sum(i.open + i.charges_open for i in found),
        ):
            return found, Reason.NUMBERS_SUM
        return [], Reason.NUMBERS_MISMATCH
    # The invoice's rest, or its rest with the charges a dunning notice asked for.
    same_amount = list(
        with_balance(candidates.filter(state=Invoice.State.ISSUED)).filter(
            Q(open=credit.amount) | Q(open=credit.amount - F("charges_open"))
        )
    )
    named = _by_name(credit, same_amount)
    if len(named) == 1:
        return named, Reason.AMOUNT_AND_NAME
    return [], Reason.NO_NUMBER


def _apply_credit(statement, iban, credit: BankCredit, user) -> str:
    """Store one credit and its payments in a savepoint; returns the status or 'duplicate'."""
    try:
        with transaction.atomic():
            invoices, reason = match_credit(iban, credit)
            row = BankTransaction.objects.create(
                statement=statement,
                transaction_id=credit.transaction_id,
                booked_on=credit.booked_on,
                amount=credit.amount,
                currency=credit.currency,
                remittance=credit.remittance,
                end_to_end_id=credit.end_to_end_id,
                payer_name=credit.payer_name,
                payer_iban=credit.payer_iban,
                status=BankTransaction.Status.UNMATCHED,
                reason=reason,
            )
    except IntegrityError:
        return "duplicate"
    if not invoices:
        return row.status
    try:
        with transaction.atomic():
            row.status = _book(row, invoices, credit, user)
            row.save(update_fields=["status"])
            row.invoices.set(invoices)
    except ValidationError as exc:
        row.status = BankTransaction.Status.UNMATCHED
        row.reason = BankTransaction.Reason.REFUSED
        row.note = "; ".join(exc.messages)[:300]
        row.save(update_fields=["status", "reason", "note"])
    return row.status


def _shares(amount: Decimal, invoices: list[Invoice]) -> list[Decimal]:
    """How one credit for several invoices is split: every invoice's own amount first (so none
    stays in dunning for another's charges), then the charges; what is left goes to the last."""
    balances = [balance(invoice) for invoice in invoices]
    shares = [ZERO] * len(invoices)
    rest = amount
    for owed in ([max(b.open, ZERO) for b in balances], [b.charges_open for b in balances]):
        for index, part in enumerate(owed):
            take = min(rest, part)
            shares[index] += take
            rest -= take
    shares[-1] += rest
    return shares


def _book(row: BankTransaction, invoices: list[Invoice], credit: BankCredit, user) -> str:
    outcome = "full"
    invoices = sorted(invoices, key=lambda i: i.number)
    shares = _shares(credit.amount, invoices)
    for index, (invoice, part) in enumerate(zip(invoices, shares, strict=True)):
        if part <= 0:
            continue
        recorded = record_payment(
            invoice,
            amount=part,
            booked_on=min(credit.booked_on, timezone.localdate()),
            reference=credit.remittance[:300],
            source=Payment.Source.CAMT,
            bank_transaction_id=(
                credit.transaction_id if index == 0 else f"{credit.transaction_id[:96]}/{index}"
            ),
            payer_name=credit.payer_name,
            payer_iban=credit.payer_iban,
            user=user,
        )
        outcome = recorded.outcome
    return {
        "full": BankTransaction.Status.MATCHED,
        "partial": BankTransaction.Status.PARTIAL,
        "overpaid": BankTransaction.Status.OVERPAID,
    }[outcome]


def import_camt053(content: bytes, *, filename: str = "", user=None) -> ImportResult:
    """Import a CAMT.053 statement: each booked credit is matched to invoices and booked as a
    payment, or listed as unmatched for the office. Importing the same file again changes
    nothing (same SHA-256); credits seen in another file before are skipped by their id."""
    if not content:
        raise ValidationError({"file": _("The file is empty.")})
    digest = hashlib.sha256(content).hexdigest()
    existing = BankStatementImport.objects.filter(sha256=digest).first()
    if existing is not None:
        return ImportResult(existing, created=False, counts=Counter(existing.summary))
    info, credits = parse_camt053(content)
    counts: Counter = Counter()
    with transaction.atomic():
        statement, created = BankStatementImport.objects.get_or_create(
            sha256=digest,
            defaults={
                "message_id": info["message_id"][:100],
                "account_iban": info["iban"][:34],
                "filename": filename[:200],
                "imported_by": user if getattr(user, "is_authenticated", False) else None,
            },
        )
        if not created:
            return ImportResult(statement, created=False, counts=Counter(statement.summary))
        for credit in credits:
            counts[_apply_credit(statement, info["iban"], credit, user)] += 1
        statement.summary = dict(counts)
        statement.save(update_fields=["summary"])
        emit("office", "bank.imported", {"statement": statement.pk, **counts})
    logger.info("imported CAMT %s: %s", filename or digest[:12], dict(counts))
    return ImportResult(statement, created=True, counts=counts)


def _locked_unmatched(row: BankTransaction) -> BankTransaction:
    """The credit's row ``FOR UPDATE``, refused (Conflict) unless it is still unmatched: two
    clerks acting on the same credit at once are served one after the other."""
    row = BankTransaction.objects.select_for_update().get(pk=row.pk)
    if row.status == BankTransaction.Status.DEALT:
        raise Conflict(
            _("The credit was marked as dealt with already (%(note)s).") % {"note": row.dealt_note}
        )
    if row.status != BankTransaction.Status.UNMATCHED:
        raise Conflict(_("The credit has been assigned already."))
    return row


def assign_transaction(row: BankTransaction, invoice: Invoice, *, user=None) -> Recorded:
    """The office books an unmatched credit onto an invoice by hand. Locks the credit's row, then
    the invoice's (:func:`record_payment`); Conflict once it is assigned or dealt with."""
    with transaction.atomic():
        row = _locked_unmatched(row)
        recorded = record_payment(
            invoice,
            amount=row.amount,
            booked_on=row.booked_on,
            reference=row.remittance[:300],
            source=Payment.Source.CAMT,
            bank_transaction_id=row.transaction_id,
            payer_name=row.payer_name,
            payer_iban=row.payer_iban,
            user=user,
        )
        row.status = BankTransaction.Status.ASSIGNED
        row.reason = BankTransaction.Reason.ASSIGNED
        row.note = invoice.number
        row.save(update_fields=["status", "reason", "note"])
        row.invoices.add(invoice)
    return recorded


def mark_dealt_with(row: BankTransaction, note: str, *, user=None) -> BankTransaction:
    """An unmatched credit that pays no invoice (sent back to the payer, a membership fee) leaves
    the office's list, with a note saying how it was dealt with, who marked it and when. Books
    nothing. Locks the credit's row; ValidationError on ``note`` when it is empty, Conflict once
    the credit is assigned or marked."""
    note = " ".join((note or "").split())
    if not note:
        raise ValidationError({"note": _("Say how the credit was dealt with.")})
    if len(note) > 300:
        raise ValidationError({"note": _("At most 300 characters, please.")})
    with transaction.atomic():
        row = _locked_unmatched(row)
        row.status = BankTransaction.Status.DEALT
        row.dealt_note = note
        row.dealt_at = timezone.now()
        row.dealt_by = user if getattr(user, "is_authenticated", False) else None
        row.save(update_fields=["status", "dealt_note", "dealt_at", "dealt_by"])
    logger.info("bank credit %s marked as dealt with by %s: %s", row.pk, user, note)
    return row


def undo_dealt_with(row: BankTransaction, *, user=None) -> BankTransaction:
    """Put a credit marked as dealt with by mistake back on the unmatched list (the marking's note
    goes; the log keeps it). Locks the credit's row; Conflict unless it is marked."""
    with transaction.atomic():
        row = BankTransaction.objects.select_for_update().get(pk=row.pk)
        if row.status != BankTransaction.Status.DEALT:
            raise Conflict(_("The credit is not marked as dealt with."))
        logger.info(
            "bank credit %s: %s's marking (%s) undone by %s",
            row.pk,
            row.dealt_by,
            row.dealt_note,
            user,
        )
        row.status = BankTransaction.Status.UNMATCHED
        row.dealt_note = ""
        row.dealt_at = None
        row.dealt_by = None
        row.save(update_fields=["status", "dealt_note", "dealt_at", "dealt_by"])
    return row
