"""API shapes of invoicing."""

from datetime import date, datetime
from decimal import Decimal

from ninja import Field, Schema

from invoicing.selectors import may_manage


class InvoiceOut(Schema):
    id: int
    number: str
    kind: str
    type_code: str
    state: str
    issuer_key: str
    issuer_workshop_id: int | None
    customer_id: int | None
    package_id: int | None
    compensation: bool = Field(
        False, description="compensation for a withdrawn package's work (§ 357a Abs. 2 BGB)"
    )
    title: str
    buyer_name: str
    seller_name: str
    issue_date: date | None
    due_date: date | None
    paid_on: date | None
    net_total: Decimal
    tax_total: Decimal
    gross_total: Decimal
    amount_due: Decimal
    paid: Decimal = Decimal("0.00")
    open: Decimal = Decimal("0.00")
    credit: Decimal = Decimal("0.00")
    charges: Decimal = Field(
        Decimal("0.00"), description="dunning fees and default interest claimed, less waived"
    )
    charges_open: Decimal = Field(
        Decimal("0.00"), description="the dunning charges not paid yet, owed besides ``open``"
    )

    @staticmethod
    def resolve_credit(obj) -> Decimal:
        """An over-payment, shown as a credit in the customer's favour."""
        open_ = getattr(obj, "open", None)
        return -open_ if open_ is not None and open_ < 0 else Decimal("0.00")


class LineOut(Schema):
    position: int
    kind: str
    text: str
    detail: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    net_amount: Decimal
    vat_rate: Decimal
    tax_category: str


class PaymentOut(Schema):
    id: int
    amount: Decimal
    booked_on: date
    reference: str
    source: str
    payer_name: str


class RefundTransferOut(Schema):
    """A credit's transfer back to the customer, prepared as a SEPA file: ``prepared`` holds its
    amount until it is ``booked`` (the bank carried it out) or ``discarded``."""

    id: int
    amount: Decimal
    payee_name: str
    payee_iban: str
    execution_date: date
    state: str
    created_at: datetime
    payment: int | None = Field(None, alias="payment_id")


class InvoiceDetailOut(InvoiceOut):
    tax_treatment: str
    performance_start: date
    performance_end: date
    legal_notes: list[str]
    lines: list[LineOut]
    payments: list[PaymentOut]
    refund_transfers: list[RefundTransferOut] = []

    @staticmethod
    def resolve_refund_transfers(obj, context) -> list:
        """For whoever manages the invoice: the payee (maybe not the buyer) and its IBAN are
        not the homeowner's to read."""
        request = (context or {}).get("request")
        if request is None or not may_manage(request.user, obj):
            return []
        return list(obj.refund_transfers.all())


class PaymentIn(Schema):
    amount: Decimal = Field(..., gt=0, max_digits=12, decimal_places=2)
    booked_on: date
    reference: str = Field("", max_length=300)


class RefundTransferIn(Schema):
    name: str = Field(..., min_length=1, max_length=70, description="the account holder")
    iban: str = Field(..., max_length=42)
    amount: Decimal = Field(..., gt=0, max_digits=12, decimal_places=2)
    execution_date: date


class TransferBookedIn(Schema):
    booked_on: date = Field(..., description="the day the bank carried the transfer out")


class ImportOut(Schema):
    statement: int
    created: bool
    matched: int = 0
    partial: int = 0
    overpaid: int = 0
    unmatched: int = 0
    duplicate: int = 0


class BankTransactionOut(Schema):
    id: int
    transaction_id: str
    booked_on: date
    amount: Decimal
    remittance: str
    payer_name: str
    payer_iban: str
    status: str
    reason: str = Field(description="why the import matched it or not, as a code")
    note: str = Field(description="why it was matched or not, in the request's language")
    dealt_note: str
    dealt_at: datetime | None
    dealt_by_id: int | None

    @staticmethod
    def resolve_note(obj) -> str:
        return obj.reason_text


class AssignIn(Schema):
    invoice: int


class DealtWithIn(Schema):
    note: str = Field(..., max_length=300, examples=["an Kunden zurücküberwiesen am 3. März"])


class MonthEndIn(Schema):
    period: str = Field(..., pattern=r"^\d{4}-\d{2}$", examples=["2026-03"])


class OperationOut(Schema):
    operation: int
    state: str
    period: str


class SettlementOut(Schema):
    id: int
    period: date
    workshop_id: int
    credit_note_id: int
    credit_note_number: str
    fee_invoice_id: int | None
    share_net: Decimal
    payout: Decimal
    statement: dict


class BaseRateIn(Schema):
    valid_from: date = Field(
        ..., description="1 January or 1 July of the last, current or next half-year"
    )
    rate: Decimal = Field(..., max_digits=4, decimal_places=2)
    replace: bool = Field(False, description="replace the rate already entered for this half-year")


class BaseRateOut(Schema):
    valid_from: date
    rate: Decimal
