"""API v1 for invoices, payments, the bank import, the month-end run and the exports.

Every endpoint needs a login. What a user may see comes from :mod:`invoicing.selectors`: a
document outside it answers 404; a visible document the user may not change answers 403.
"""

from datetime import date

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from ninja import File, Path, Query, Router, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile
from ninja.pagination import PageNumberPagination, paginate

from invoicing import dunning, exports, payments, services, settlement
from invoicing.documents import render_documents
from invoicing.models import (
    BankTransaction,
    BaseRate,
    Invoice,
    InvoiceDocument,
    RefundTransfer,
    SettlementRun,
)
from invoicing.schemas import (
    AssignIn,
    BankTransactionOut,
    BaseRateIn,
    BaseRateOut,
    DealtWithIn,
    ImportOut,
    InvoiceDetailOut,
    InvoiceOut,
    MonthEndIn,
    OperationOut,
    PaymentIn,
    RefundTransferIn,
    RefundTransferOut,
    SettlementOut,
    TransferBookedIn,
)
from invoicing.selectors import (
    books_visible_to,
    invoices_visible_to,
    may_manage,
    settlements_visible_to,
)
from jobs.models import Package
from trades.schemas import ErrorOut
from trades.selectors import is_office
from zunft.core.auth import required_auth

router = Router(tags=["invoicing"], auth=required_auth)

MAX_STATEMENT_BYTES = 10 * 1024 * 1024


def _office_only(request) -> None:
    if not is_office(request.user):
        raise HttpError(403, "Nur das Verbundbüro darf das.")


def _visible(request, invoice_id: int) -> Invoice:
    return get_object_or_404(
        payments.with_balance(invoices_visible_to(request.user)), pk=invoice_id
    )


def _managed(request, invoice_id: int) -> Invoice:
    invoice = _visible(request, invoice_id)
    if not may_manage(request.user, invoice):
        raise HttpError(403, "Sie dürfen diese Rechnung nicht ändern.")
    return invoice


MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"


def _period(value: str) -> tuple[date, date]:
    return settlement.month_bounds(settlement.parse_period(value))


# --- invoices -----------------------------------------------------------------------------------


@router.get("/invoices", response={200: list[InvoiceOut], 422: dict})
@paginate(PageNumberPagination, page_size=20)
def list_invoices(
    request,
    state: Invoice.State | None = None,
    kind: Invoice.Kind | None = None,
    issuer: str | None = None,
    period: str | None = Query(None, pattern=MONTH, description="a month: 2026-03"),
    customer: int | None = None,
):
    """Invoices the user may see, newest first. ``period`` is a month (``2026-03``) of the issue
    date; ``issuer`` is ``coop``, ``coop-gs`` (credit notes) or ``ws<id>``."""
    qs = payments.with_balance(invoices_visible_to(request.user))
    if state:
        qs = qs.filter(state=state)
    if kind:
        qs = qs.filter(kind=kind)
    if issuer:
        qs = qs.filter(issuer_key=issuer)
    if period:
        qs = qs.filter(issue_date__range=_period(period))
    if customer is not None:
        qs = qs.filter(customer_id=customer)
    return qs


@router.get("/invoices/{invoice_id}", response={200: InvoiceDetailOut, 404: ErrorOut})
def get_invoice(request, invoice_id: int):
    invoice = _visible(request, invoice_id)
    return _detail_out(invoice)


def _detail_out(invoice: Invoice) -> Invoice:
    """The invoice with its balance annotated; lines and payments are read by the schema."""
    return invoice


@router.post(
    "/invoices/{invoice_id}/issue",
    response={200: InvoiceDetailOut, 403: ErrorOut, 404: ErrorOut, 422: dict},
)
def issue(request, invoice_id: int, issue_date: date | None = None):
    """Number and issue a draft (today unless ``issue_date`` is given)."""
    invoice = _managed(request, invoice_id)
    services.issue_invoice(invoice, issue_date=issue_date)
    return _detail_out(_visible(request, invoice_id))


@router.post(
    "/invoices/{invoice_id}/cancel",
    response={201: InvoiceDetailOut, 403: ErrorOut, 404: ErrorOut, 422: dict},
)
def cancel(request, invoice_id: int, issue_date: date | None = None):
    """Cancel an issued invoice; answers the new cancellation (Storno) document."""
    invoice = _managed(request, invoice_id)
    storno = services.cancel_invoice(invoice, issue_date=issue_date)
    return Status(201, _detail_out(_visible(request, storno.pk)))


@router.post(
    "/packages/{package_id}/invoice",
    response={201: InvoiceDetailOut, 403: ErrorOut, 404: ErrorOut, 422: dict},
)
def draft_package_invoice(request, package_id: int):
    """Draft the package's invoice, for the office to check and issue: a finished package's
    work with the quoted coordination fee, or a withdrawn package's compensation for the work
    recorded until the withdrawal (§ 357a Abs. 2 BGB, ``compensation``). Refused naming the
    reason: ``early_start_consent`` (the homeowner had not asked for an early start: nothing is
    owed), ``billings`` (nothing recorded before the withdrawal), ``package`` (not finished, or
    its invoice exists already)."""
    _office_only(request)
    package = get_object_or_404(Package, pk=package_id)
    invoice = services.draft_package_invoice(package)
    return Status(201, _detail_out(_visible(request, invoice.pk)))


def _book(request, invoice_id: int, payload: PaymentIn, service) -> Status:
    service(
        _managed(request, invoice_id),
        amount=payload.amount,
        booked_on=payload.booked_on,
        reference=payload.reference,
        user=request.user,
    )
    return Status(201, _detail_out(_visible(request, invoice_id)))


@router.post(
    "/invoices/{invoice_id}/payments",
    response={201: InvoiceDetailOut, 403: ErrorOut, 404: ErrorOut, 422: dict},
)
def record_payment(request, invoice_id: int, payload: PaymentIn):
    return _book(request, invoice_id, payload, payments.record_payment)


@router.post(
    "/invoices/{invoice_id}/refunds",
    response={201: InvoiceDetailOut, 403: ErrorOut, 404: ErrorOut, 422: dict},
)
def record_refund(request, invoice_id: int, payload: PaymentIn):
    """Book a customer's credit (over-payment, or paid on an invoice cancelled since) as
    transferred back to her: at most the credit."""
    return _book(request, invoice_id, payload, payments.record_refund)


@router.post(
    "/invoices/{invoice_id}/refund-transfers",
    response={201: RefundTransferOut, 403: ErrorOut, 404: ErrorOut, 422: dict},
)
def prepare_refund_transfer(request, invoice_id: int, payload: RefundTransferIn):
    """Prepare the credit's transfer back to the customer as a SEPA file (pain.001.001.09) for
    the bank, fetched from ``…/file``. It books no refund (``…/book`` does, once the bank carried
    it out) but holds its amount: at most what the credit and earlier transfers leave."""
    invoice = _managed(request, invoice_id)
    transfer = payments.prepare_refund_transfer(invoice, **payload.dict(), user=request.user)
    return Status(201, transfer)


def _transfer(request, invoice_id: int, transfer_id: int) -> tuple[Invoice, RefundTransfer]:
    invoice = _managed(request, invoice_id)
    return invoice, get_object_or_404(invoice.refund_transfers, pk=transfer_id)


@router.get(
    "/invoices/{invoice_id}/refund-transfers/{transfer_id}/file",
    response={200: None, 403: ErrorOut, 404: ErrorOut},
    openapi_extra={"responses": {200: {"content": {"application/xml": {}}}}},
)
def refund_transfer_file(request, invoice_id: int, transfer_id: int):
    """The prepared transfer's SEPA file, the same each time it is fetched."""
    invoice, transfer = _transfer(request, invoice_id, transfer_id)
    return transfer_file_response(invoice, transfer)


def transfer_file_response(invoice: Invoice, transfer: RefundTransfer) -> HttpResponse:
    """The prepared transfer's SEPA file as a download (the office page's too)."""
    response = HttpResponse(bytes(transfer.document), content_type="application/xml")
    response["Content-Disposition"] = (
        f'attachment; filename="erstattung-{invoice.number}-{transfer.pk}.xml"'
    )
    return response


@router.post(
    "/invoices/{invoice_id}/refund-transfers/{transfer_id}/book",
    response={201: InvoiceDetailOut, 403: ErrorOut, 404: ErrorOut, 422: dict},
)
def book_refund_transfer(request, invoice_id: int, transfer_id: int, payload: TransferBookedIn):
    """The bank carried the prepared transfer out: book it as the refund of its amount."""
    invoice, transfer = _transfer(request, invoice_id, transfer_id)
    payments.record_refund(
        invoice,
        amount=transfer.amount,
        booked_on=payload.booked_on,
        user=request.user,
        transfer=transfer.pk,
    )
    return Status(201, _detail_out(_visible(request, invoice_id)))


@router.post(
    "/invoices/{invoice_id}/refund-transfers/{transfer_id}/discard",
    response={200: RefundTransferOut, 403: ErrorOut, 404: ErrorOut, 422: dict},
)
def discard_refund_transfer(request, invoice_id: int, transfer_id: int):
    """The transfer was not carried out: its amount is free again."""
    invoice, transfer = _transfer(request, invoice_id, transfer_id)
    return payments.discard_refund_transfer(invoice, transfer.pk)


@router.post(
    "/invoices/{invoice_id}/waive-charges",
    response={200: InvoiceDetailOut, 403: ErrorOut, 404: ErrorOut, 422: dict},
)
def waive_charges(request, invoice_id: int):
    """Waive the dunning charges (fees and default interest) still open on an invoice."""
    invoice = _managed(request, invoice_id)
    dunning.waive_charges(invoice, user=request.user)
    return _detail_out(_visible(request, invoice_id))


def _document(request, invoice_id: int, kind: str) -> HttpResponse:
    invoice = _visible(request, invoice_id)
    if invoice.is_draft:
        raise HttpError(409, "Ein Entwurf hat noch kein Dokument.")
    document: InvoiceDocument = render_documents(invoice)[kind]
    mimetype = "application/pdf" if kind == InvoiceDocument.Kind.PDF else "application/xml"
    response = HttpResponse(bytes(document.content), content_type=mimetype)
    response["Content-Disposition"] = f'attachment; filename="{document.filename}"'
    return response


@router.get(
    "/invoices/{invoice_id}/pdf",
    response={200: None, 404: ErrorOut, 409: ErrorOut},
    openapi_extra={"responses": {200: {"content": {"application/pdf": {}}}}},
)
def invoice_pdf(request, invoice_id: int):
    """The archived PDF/A-3 with the embedded e-invoice."""
    return _document(request, invoice_id, InvoiceDocument.Kind.PDF)


@router.get(
    "/invoices/{invoice_id}/xml",
    response={200: None, 404: ErrorOut, 409: ErrorOut},
    openapi_extra={"responses": {200: {"content": {"application/xml": {}}}}},
)
def invoice_xml(request, invoice_id: int):
    """The archived CII XML (XRechnung for public-sector buyers)."""
    return _document(request, invoice_id, InvoiceDocument.Kind.XML)


# --- bank ---------------------------------------------------------------------------------------


@router.post(
    "/bank-statements",
    response={201: ImportOut, 200: ImportOut, 403: ErrorOut, 413: ErrorOut, 422: dict},
)
def upload_statement(request, file: File[UploadedFile]):
    """Import a CAMT.053 statement. The same file again answers 200 and changes nothing."""
    _office_only(request)
    if file.size and file.size > MAX_STATEMENT_BYTES:
        raise HttpError(413, "Die Datei ist größer als 10 MB.")
    result = payments.import_camt053(file.read(), filename=file.name or "", user=request.user)
    return Status(201 if result.created else 200, result.as_dict())


@router.get("/base-rates", response={200: list[BaseRateOut], 403: ErrorOut})
def list_base_rates(request):
    """The Basiszinssatz (§247 BGB) entered, newest first: default interest uses each from its
    day on."""
    _office_only(request)
    return BaseRate.objects.order_by("-valid_from")


@router.post("/base-rates", response={201: BaseRateOut, 403: ErrorOut, 422: dict})
def enter_base_rate(request, payload: BaseRateIn):
    """Enter (or correct) the base rate the Bundesbank published for a half-year."""
    _office_only(request)
    entry = dunning.enter_base_rate(
        payload.valid_from, payload.rate, user=request.user, replace=payload.replace
    )
    return Status(201, entry)


@router.get(
    "/bank-transactions", response={200: list[BankTransactionOut], 403: ErrorOut, 422: dict}
)
@paginate(PageNumberPagination, page_size=50)
def list_bank_transactions(request, status: BankTransaction.Status | None = None):
    """Credits from imported statements; ``status=unmatched`` is the office's to-do list."""
    _office_only(request)
    qs = BankTransaction.objects.order_by("-booked_on", "-pk")
    return qs.filter(status=status) if status else qs


@router.post(
    "/bank-transactions/{transaction_id}/assign",
    response={200: BankTransactionOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: dict},
)
def assign_transaction(request, transaction_id: int, payload: AssignIn):
    """Book an unmatched credit onto an invoice; 409 once it is assigned or dealt with."""
    _office_only(request)
    row = get_object_or_404(BankTransaction, pk=transaction_id)
    invoice = get_object_or_404(Invoice, pk=payload.invoice)
    payments.assign_transaction(row, invoice, user=request.user)
    row.refresh_from_db()
    return row


@router.post(
    "/bank-transactions/{transaction_id}/dealt-with",
    response={200: BankTransactionOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: dict},
)
def mark_dealt_with(request, transaction_id: int, payload: DealtWithIn):
    """Mark an unmatched credit as dealt with otherwise (sent back, a membership fee): the note
    says how. Books nothing; 409 once it is assigned or marked."""
    _office_only(request)
    row = get_object_or_404(BankTransaction, pk=transaction_id)
    return payments.mark_dealt_with(row, payload.note, user=request.user)


@router.delete(
    "/bank-transactions/{transaction_id}/dealt-with",
    response={200: BankTransactionOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
)
def undo_dealt_with(request, transaction_id: int):
    """Put a credit marked as dealt with by mistake back on the unmatched list; 409 unless it
    is marked."""
    _office_only(request)
    row = get_object_or_404(BankTransaction, pk=transaction_id)
    return payments.undo_dealt_with(row, user=request.user)


# --- month-end and settlements ------------------------------------------------------------------


@router.post("/month-end", response={202: OperationOut, 403: ErrorOut, 422: dict})
def month_end(request, payload: MonthEndIn):
    """Invoice all finished packages and settle the month with the members, in the background;
    follow ``operation`` for progress. Starting it again for the same month while it runs
    answers the running operation; a finished month is not settled twice."""
    _office_only(request)
    period = settlement.parse_period(payload.period)
    settlement.month_bounds(period)
    operation, _created = settlement.start_month_end(period, user=request.user)
    return Status(
        202, {"operation": operation.pk, "state": operation.state, "period": payload.period}
    )


def _settlement_out(item) -> dict:
    return {
        "id": item.pk,
        "period": item.run.period,
        "workshop_id": item.workshop_id,
        "credit_note_id": item.credit_note_id,
        "credit_note_number": item.credit_note.number,
        "fee_invoice_id": item.fee_invoice_id,
        "share_net": item.share_net,
        "payout": item.payout,
        "statement": item.statement,
    }


@router.get("/settlements", response={200: list[SettlementOut], 422: dict})
@paginate(PageNumberPagination, page_size=20)
def list_settlements(request, period: str | None = Query(None, pattern=MONTH)):
    qs = settlements_visible_to(request.user).order_by("-run__period", "workshop_id")
    if period:
        qs = qs.filter(run__period=settlement.parse_period(period))
    return [_settlement_out(s) for s in qs]


@router.get("/settlements/{settlement_id}", response={200: SettlementOut, 404: ErrorOut})
def get_settlement(request, settlement_id: int):
    return _settlement_out(
        get_object_or_404(settlements_visible_to(request.user), pk=settlement_id)
    )


@router.get(
    "/settlement-runs/{period}/pain001",
    response={200: None, 403: ErrorOut, 404: ErrorOut},
    openapi_extra={"responses": {200: {"content": {"application/xml": {}}}}},
)
def payout_file(request, period: str = Path(..., pattern=MONTH)):
    """The SEPA credit transfer file (pain.001.001.09) paying the members for the month."""
    _office_only(request)
    run = get_object_or_404(
        SettlementRun, period=settlement.parse_period(period), pain001_sha256__gt=""
    )
    response = HttpResponse(bytes(run.pain001), content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="auszahlung-{period}.xml"'
    return response


# --- exports ------------------------------------------------------------------------------------


def _export(request, kind: str, issuer: str, start: date, end: date):
    if not books_visible_to(request.user, issuer):
        raise HttpError(403, "Diese Bücher dürfen Sie nicht exportieren.")
    filename, mimetype, content = exports.export_file(kind, issuer, start, end)
    response = HttpResponse(content, content_type=mimetype)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@router.get(
    "/exports/datev",
    response={200: None, 403: ErrorOut, 422: dict},
    openapi_extra={"responses": {200: {"content": {"text/csv": {}}}}},
)
def export_datev(request, start: date, end: date, issuer: str = "coop"):
    """DATEV Buchungsstapel (EXTF 700, Windows-1252) for one fiscal year's period."""
    return _export(request, "datev", issuer, start, end)


@router.get(
    "/exports/invoices",
    response={200: None, 403: ErrorOut, 422: dict},
    openapi_extra={"responses": {200: {"content": {"text/csv": {}}}}},
)
def export_invoices(request, start: date, end: date, issuer: str = "coop"):
    """The documents issued in the period with paid and open amounts (CSV, UTF-8)."""
    return _export(request, "csv", issuer, start, end)
