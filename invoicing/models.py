"""Invoices, their lines and numbering.

Retention (GoBD; §147 Abs. 1 Nr. 4, Abs. 3 AO and §14b Abs. 1 UStG as amended by the
Bürokratieentlastungsgesetz IV): issued invoices, their lines and their rendered PDF/XML
documents are kept for 8 years, counted from the end of the calendar year of issue. They cannot
be changed or deleted: PostgreSQL triggers (migration ``0002_immutability``) refuse UPDATE and
DELETE of an issued invoice's content, its lines, deductions and documents. The only changes
allowed to an issued invoice are the bookkeeping columns in :data:`MUTABLE_AFTER_ISSUE` (paid /
cancelled). Corrections are new documents: a cancellation (Storno) with negated lines that
references the original.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zunft.core import units


def money(verbose_name, **kwargs):
    kwargs.setdefault("default", Decimal("0.00"))
    return models.DecimalField(verbose_name, max_digits=12, decimal_places=2, **kwargs)


#: Columns of ``invoicing_invoice`` the database still lets change once the invoice is issued.
MUTABLE_AFTER_ISSUE = ("state", "paid_on", "state_changed_at")


class InvoiceCounter(models.Model):
    """The last number given out per issuer and year. Issuing locks this row
    (``SELECT … FOR UPDATE``), so numbers are gapless and never handed out twice."""

    issuer_key = models.CharField(_("issuer"), max_length=20)
    year = models.PositiveSmallIntegerField(_("year"))
    last = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("invoice number counter")
        verbose_name_plural = _("invoice number counters")
        constraints = [
            models.UniqueConstraint(fields=["issuer_key", "year"], name="one_counter_per_issuer")
        ]

    def __str__(self) -> str:
        return f"{self.issuer_key} {self.year}: {self.last}"


class Invoice(models.Model):
    """One invoicing document. Everything printed on it is copied in when the draft is made, so
    an issued invoice never changes when a workshop or customer record changes later."""

    class Kind(models.TextChoices):
        INVOICE = "invoice", _("invoice")
        PROGRESS = "progress", _("progress invoice")
        FINAL = "final", _("final invoice")
        CANCELLATION = "cancellation", _("cancellation")
        CREDIT_NOTE = "credit_note", _("self-billing credit note")

    class State(models.TextChoices):
        DRAFT = "draft", _("draft")
        ISSUED = "issued", _("issued")
        PAID = "paid", _("paid")
        CANCELLED = "cancelled", _("cancelled")

    class TaxTreatment(models.TextChoices):
        STANDARD = "standard", _("VAT charged")
        REVERSE_CHARGE = "reverse_charge", _("reverse charge (§13b UStG)")
        SMALL_BUSINESS = "small_business", _("small business, no VAT (§19 UStG)")

    # who issues it: the cooperative (issuer_workshop empty) or a member workshop
    issuer_key = models.CharField(_("issuer"), max_length=20, db_index=True)
    issuer_workshop = models.ForeignKey(
        "trades.Workshop",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="issued_invoices",
        verbose_name=_("issuing workshop"),
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.INVOICE)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.DRAFT, db_index=True
    )
    tax_treatment = models.CharField(
        _("tax treatment"), max_length=15, choices=TaxTreatment.choices
    )
    number = models.CharField(_("number"), max_length=40, blank=True)
    year = models.PositiveSmallIntegerField(_("year of the number"), null=True, blank=True)
    sequence = models.PositiveIntegerField(_("sequence"), null=True, blank=True)
    issue_date = models.DateField(_("issue date"), null=True, blank=True)
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    performance_start = models.DateField(_("performance from"))
    performance_end = models.DateField(_("performance until"))
    payment_days = models.PositiveSmallIntegerField(_("days to pay"), default=14)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    title = models.CharField(_("subject"), max_length=200)
    introduction = models.TextField(_("introduction"), blank=True)
    legal_notes = models.JSONField(_("legal notes"), default=list, blank=True)
    # The invoice of a withdrawn package: compensation for the work done until the withdrawal
    # (§ 357a Abs. 2 BGB). Kept on the document, which says so whatever happens to the package.
    compensation = models.BooleanField(
        _("compensation after a withdrawal (§ 357a Abs. 2 BGB)"), default=False
    )

    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invoices",
        verbose_name=_("customer"),
    )
    package = models.ForeignKey(
        "jobs.Package",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invoices",
        verbose_name=_("package"),
    )
    original = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
        verbose_name=_("corrects invoice"),
    )

    # the seller (Leistender) as printed; for a self-billing credit note the member workshop
    seller_name = models.CharField(_("seller"), max_length=200)
    seller_contact = models.CharField(_("seller contact"), max_length=150, blank=True)
    seller_street = models.CharField(_("seller street"), max_length=200)
    seller_postal_code = models.CharField(_("seller postal code"), max_length=10)
    seller_city = models.CharField(_("seller city"), max_length=100)
    seller_country = models.CharField(_("seller country"), max_length=2, default="DE")
    seller_vat_id = models.CharField(_("seller VAT id"), max_length=20, blank=True)
    seller_tax_number = models.CharField(_("seller tax number"), max_length=20, blank=True)
    seller_register = models.CharField(_("seller register entry"), max_length=150, blank=True)
    seller_email = models.EmailField(_("seller email"))
    seller_phone = models.CharField(_("seller phone"), max_length=40, blank=True)
    seller_iban = models.CharField(_("seller IBAN"), max_length=34)
    seller_bic = models.CharField(_("seller BIC"), max_length=11, blank=True)
    seller_bank = models.CharField(_("seller bank"), max_length=100, blank=True)

    buyer_kind = models.CharField(_("buyer kind"), max_length=10)
    buyer_name = models.CharField(_("buyer"), max_length=200)
    buyer_attention = models.CharField(_("buyer contact"), max_length=200, blank=True)
    buyer_street = models.CharField(_("buyer street"), max_length=200)
    buyer_postal_code = models.CharField(_("buyer postal code"), max_length=10)
    buyer_city = models.CharField(_("buyer city"), max_length=100)
    buyer_country = models.CharField(_("buyer country"), max_length=2, default="DE")
    buyer_vat_id = models.CharField(_("buyer VAT id"), max_length=20, blank=True)
    buyer_email = models.EmailField(_("buyer email"), blank=True)
    buyer_reference = models.CharField(_("buyer reference (Leitweg-ID)"), max_length=60, blank=True)
    customer_number = models.CharField(_("customer number"), max_length=20, blank=True)

    site_street = models.CharField(_("site street"), max_length=200, blank=True)
    site_postal_code = models.CharField(_("site postal code"), max_length=10, blank=True)
    site_city = models.CharField(_("site city"), max_length=100, blank=True)

    net_total = money(_("net total"))
    tax_total = money(_("VAT total"))
    gross_total = money(_("gross total"))
    prepaid_total = money(_("deducted progress payments (gross)"))
    amount_due = money(_("amount due"))
    household_services = money(
        _("labour, travel and machine costs incl. VAT (§35a EStG)"),
        help_text=_("Stated for private customers; material is not included."),
    )

    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    state_changed_at = models.DateTimeField(_("state changed"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-issue_date", "-sequence", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["issuer_key", "number"],
                condition=~models.Q(number=""),
                name="unique_invoice_number_per_issuer",
            ),
            models.UniqueConstraint(
                fields=["issuer_key", "year", "sequence"],
                condition=models.Q(sequence__isnull=False),
                name="unique_invoice_sequence_per_issuer_year",
            ),
            models.CheckConstraint(
                condition=models.Q(state="draft")
                | (~models.Q(number="") & models.Q(issue_date__isnull=False)),
                name="issued_invoice_has_number_and_date",
            ),
            models.CheckConstraint(
                condition=models.Q(performance_end__gte=models.F("performance_start")),
                name="invoice_performance_period_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(gross_total=models.F("net_total") + models.F("tax_total")),
                name="invoice_net_plus_tax_is_gross",
            ),
        ]
        indexes = [models.Index(fields=["customer", "state"])]

    def __str__(self) -> str:
        return self.number or f"{self.get_kind_display()} (Entwurf #{self.pk})"

    def staff_groups(self) -> list[str]:
        """The live groups that follow this invoice's money: the office and the issuing member."""
        groups = ["office"]
        if self.issuer_workshop_id:
            groups.append(f"workshop.{self.issuer_workshop_id}")
        return groups

    @property
    def is_draft(self) -> bool:
        return self.state == self.State.DRAFT

    @property
    def type_code(self) -> str:
        """UNTDID 1001 document type (BT-3)."""
        return {
            self.Kind.INVOICE: "380",
            self.Kind.PROGRESS: "875",  # partial construction invoice (Abschlagsrechnung)
            self.Kind.FINAL: "877",  # final construction invoice (Schlussrechnung)
            self.Kind.CANCELLATION: "384",  # corrected invoice, negated lines
            self.Kind.CREDIT_NOTE: "389",  # self-billed invoice (Gutschrift)
        }[self.kind]

    @property
    def document_title(self) -> str:
        return {
            self.Kind.INVOICE: "Rechnung",
            self.Kind.PROGRESS: "Abschlagsrechnung",
            self.Kind.FINAL: "Schlussrechnung",
            self.Kind.CANCELLATION: "Stornorechnung",
            self.Kind.CREDIT_NOTE: "Gutschrift",
        }[self.kind]

    #: The number series of the self-billing credit notes the cooperative issues to its members.
    SELF_BILLED_KEY = "coop-gs"

    @property
    def is_self_billed(self) -> bool:
        """A credit note to a member or its cancellation: the cooperative's document to the
        member, who is the seller."""
        return self.issuer_key == self.SELF_BILLED_KEY

    @property
    def is_xrechnung(self) -> bool:
        return self.buyer_kind == "public"


class InvoiceLine(models.Model):
    """One position, its text copied at creation. ``kind`` separates labour, travel and machine
    costs from material, which is what §35a EStG asks for."""

    class Kind(models.TextChoices):
        LABOUR = "labour", _("labour")
        TRAVEL = "travel", _("travel")
        MACHINE = "machine", _("machine")
        MATERIAL = "material", _("material")
        ADVANCE = "advance", _("progress payment share")
        OTHER = "other", _("other")

    HOUSEHOLD_KINDS = (Kind.LABOUR, Kind.TRAVEL, Kind.MACHINE)

    class Unit(models.TextChoices):
        # The invoice's part of the one unit vocabulary: same codes, same labels as the quote.
        HOUR = units.Unit.HOUR.value, units.Unit.HOUR.label
        KILOMETRE = units.Unit.KILOMETRE.value, units.Unit.KILOMETRE.label
        PIECE = units.Unit.PIECE.value, units.Unit.PIECE.label
        LUMP_SUM = units.Unit.LUMP_SUM.value, units.Unit.LUMP_SUM.label

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(_("position"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    text = models.CharField(_("text"), max_length=300)
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3)
    unit = models.CharField(_("unit"), max_length=3, choices=Unit.choices)
    unit_price = money(_("unit price (net)"))
    net_amount = money(_("net amount"))
    vat_rate = models.DecimalField(_("VAT rate (%)"), max_digits=5, decimal_places=2)
    tax_category = models.CharField(_("VAT category (UNCL 5305)"), max_length=2)
    performed_by = models.ForeignKey(
        "trades.Workshop",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("performed by"),
    )

    class Meta:
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        ordering = ["invoice", "position"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="unique_line_position")
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.text}"


class InvoiceDeduction(models.Model):
    """A progress invoice deducted on a final invoice, with its amounts copied (§14 Abs. 5 Satz 2
    UStG: the final invoice deducts the progress payments and the tax on them)."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="deductions")
    progress_invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, related_name="deducted_on"
    )
    progress_number = models.CharField(_("progress invoice number"), max_length=40)
    progress_date = models.DateField(_("progress invoice date"))
    vat_rate = models.DecimalField(_("VAT rate (%)"), max_digits=5, decimal_places=2)
    net = money(_("net"))
    tax = money(_("VAT"))
    gross = money(_("gross"))

    class Meta:
        verbose_name = _("deducted progress invoice")
        verbose_name_plural = _("deducted progress invoices")
        ordering = ["invoice", "progress_date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "progress_invoice"], name="progress_deducted_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.progress_number}: {self.gross}"


class InvoiceMail(models.Model):
    """An issued customer invoice (or its cancellation) e-mailed to the buyer, once: the send
    is claimed by a conditional update on ``sent_at`` and given back when the mail server
    refuses; the daily run sends what is still waiting. The invoice row itself never changes."""

    invoice = models.OneToOneField(Invoice, on_delete=models.PROTECT, related_name="mail")
    to = models.EmailField(_("sent to"))
    sent_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("invoice e-mail")
        verbose_name_plural = _("invoice e-mails")

    def __str__(self) -> str:
        return f"{self.invoice} → {self.to}"


class InvoiceDocument(models.Model):
    """The rendered PDF (with the embedded XML) or the bare XML of an issued invoice. Written
    once, never changed (a trigger refuses UPDATE and DELETE)."""

    class Kind(models.TextChoices):
        PDF = "pdf", "PDF/A-3 (ZUGFeRD)"
        XML = "xml", "CII XML"

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(_("kind"), max_length=3, choices=Kind.choices)
    filename = models.CharField(_("file name"), max_length=100)
    content = models.BinaryField(_("content"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("invoice document")
        verbose_name_plural = _("invoice documents")
        constraints = [
            models.UniqueConstraint(fields=["invoice", "kind"], name="one_document_per_kind")
        ]

    def __str__(self) -> str:
        return self.filename


# --- payments -----------------------------------------------------------------------------------


class Payment(models.Model):
    """Money received for (or, for a credit note, paid out on) one invoice, or a credit refunded
    to the customer (a negative amount). The open amount is never stored: it is the amount due
    minus the payments (see :mod:`invoicing.payments`)."""

    class Source(models.TextChoices):
        MANUAL = "manual", _("recorded by hand")
        CAMT = "camt", _("bank statement (CAMT.053)")
        OFFSET = "offset", _("offset against a settlement")
        TRANSFER = "transfer", _("payout by transfer")
        REFUND = "refund", _("refund to the customer")

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    amount = money(_("amount"))
    booked_on = models.DateField(_("booked on"))
    reference = models.CharField(_("reference"), max_length=300, blank=True)
    source = models.CharField(_("source"), max_length=8, choices=Source.choices)
    bank_transaction_id = models.CharField(
        _("bank transaction id"), max_length=100, null=True, blank=True, unique=True
    )
    payer_name = models.CharField(_("payer"), max_length=200, blank=True)
    payer_iban = models.CharField(_("payer IBAN"), max_length=34, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["booked_on", "id"]
        # Money received is positive; a refund of a credit is the only money going back.
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0) | models.Q(source="refund", amount__lt=0),
                name="payment_is_positive_refund_negative",
            )
        ]

    def __str__(self) -> str:
        return f"{self.invoice} {self.amount} ({self.booked_on})"


class RefundTransfer(models.Model):
    """A credit's transfer back to the customer, prepared as a SEPA file for the bank. Until it
    is booked (the bank carried it out) or discarded, its amount is spoken for: a second file
    for the same money is refused, so two clicks or two clerks do not pay a credit back twice."""

    class State(models.TextChoices):
        PREPARED = "prepared", _("prepared")
        BOOKED = "booked", _("booked")
        DISCARDED = "discarded", _("discarded")
        RETURNED = "returned", _("returned by the bank")

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="refund_transfers")
    amount = money(_("amount"))
    payee_name = models.CharField(_("account holder"), max_length=70)
    payee_iban = models.CharField(_("IBAN"), max_length=34)
    execution_date = models.DateField(_("execute on"))
    document = models.BinaryField(_("SEPA file"))
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PREPARED
    )
    payment = models.OneToOneField(
        Payment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transfer",
        verbose_name=_("refund booked"),
    )
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("prepared by"),
    )
    created_at = models.DateTimeField(_("prepared"), auto_now_add=True)
    closed_at = models.DateTimeField(_("booked or discarded"), null=True, blank=True)
    # the bank returned it after it was booked (an account closed since): booked back
    returned = models.OneToOneField(
        Payment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="returned_transfer",
        verbose_name=_("return booked"),
    )

    class Meta:
        verbose_name = _("refund transfer")
        verbose_name_plural = _("refund transfers")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="refund_transfer_positive"
            ),
            # its refund is in the books once booked (and stays, when returned, beside the
            # return)
            models.CheckConstraint(
                condition=models.Q(state="booked", payment__isnull=False, returned__isnull=True)
                | models.Q(state="returned", payment__isnull=False, returned__isnull=False)
                | models.Q(
                    state__in=("prepared", "discarded"),
                    payment__isnull=True,
                    returned__isnull=True,
                ),
                name="refund_transfer_booked_with_payment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.invoice} → {self.payee_name} {self.amount}"


class BankStatementImport(models.Model):
    """One uploaded CAMT.053 file. The same file (by SHA-256) is imported once."""

    sha256 = models.CharField(_("SHA-256"), max_length=64, unique=True)
    message_id = models.CharField(_("message id"), max_length=100, blank=True)
    account_iban = models.CharField(_("account IBAN"), max_length=34, blank=True)
    filename = models.CharField(_("file name"), max_length=200, blank=True)
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("imported"), auto_now_add=True)

    class Meta:
        verbose_name = _("bank statement import")
        verbose_name_plural = _("bank statement imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.filename or self.sha256[:12]


class BankTransaction(models.Model):
    """One incoming credit from a statement and what became of it. ``unmatched`` ones are the
    office's list to assign by hand, or to mark as dealt with otherwise (sent back, a membership
    fee) with a note saying how, who and when.

    ``reason`` says why the import matched the credit or not, as a code shown in the reader's
    language; ``note`` holds what a code cannot (the message a refused booking gave, the invoice
    assigned by hand)."""

    class Status(models.TextChoices):
        MATCHED = "matched", _("matched in full")
        PARTIAL = "partial", _("partial payment")
        OVERPAID = "overpaid", _("over-payment")
        UNMATCHED = "unmatched", _("unmatched")
        ASSIGNED = "assigned", _("assigned by hand")
        DEALT = "dealt", _("dealt with otherwise")

    class Reason(models.TextChoices):
        CURRENCY = "currency", _("Foreign currency")
        CANCELLED = "cancelled", _("The invoice is cancelled")
        UNKNOWN_NUMBER = "unknown_number", _("Invoice number unknown")
        NUMBER = "number", _("Invoice number")
        NUMBERS_SUM = "numbers_sum", _("Invoice numbers, the sum fits")
        NUMBERS_MISMATCH = (
            "numbers_mismatch",
            _("Several invoice numbers, the amount does not fit their sum"),
        )
        AMOUNT_AND_NAME = "amount_name", _("Amount and name")
        NO_NUMBER = "no_number", _("No invoice number in the remittance information")
        REFUSED = "refused", _("Booking refused")
        ASSIGNED = "assigned", _("Assigned by hand")

    statement = models.ForeignKey(
        BankStatementImport, on_delete=models.PROTECT, related_name="transactions"
    )
    transaction_id = models.CharField(_("bank transaction id"), max_length=100, unique=True)
    booked_on = models.DateField(_("booked on"))
    amount = money(_("amount"))
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    remittance = models.CharField(_("remittance information"), max_length=500, blank=True)
    end_to_end_id = models.CharField(_("end-to-end id"), max_length=100, blank=True)
    payer_name = models.CharField(_("payer"), max_length=200, blank=True)
    payer_iban = models.CharField(_("payer IBAN"), max_length=34, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, db_index=True)
    reason = models.CharField(_("match reason"), max_length=20, choices=Reason.choices, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    invoices = models.ManyToManyField(Invoice, blank=True, related_name="bank_transactions")
    dealt_note = models.CharField(_("how it was dealt with"), max_length=300, blank=True)
    dealt_at = models.DateTimeField(_("marked as dealt with"), null=True, blank=True)
    dealt_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("marked by"),
    )

    class Meta:
        verbose_name = _("bank transaction")
        verbose_name_plural = _("bank transactions")
        ordering = ["booked_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(status="dealt", dealt_at__isnull=False) & ~models.Q(dealt_note="")
                    | ~models.Q(status="dealt") & models.Q(dealt_at__isnull=True, dealt_note="")
                ),
                name="bank_transaction_dealt_with_a_note",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.booked_on} {self.amount} {self.remittance[:40]}"

    @property
    def reason_text(self) -> str:
        """Why the credit was matched or not, in the active language."""
        if self.reason == self.Reason.ASSIGNED and self.note:
            return _("Assigned by hand to %(number)s") % {"number": self.note}
        label = str(self.get_reason_display()) if self.reason else ""
        return ": ".join(part for part in (label, self.note) if part)


# --- dunning ------------------------------------------------------------------------------------


class Dunning(models.Model):
    """Where an overdue invoice stands in the dunning run. Each step is claimed by a conditional
    update on ``level``, so a step runs once even when two beat ticks overlap."""

    class Level(models.IntegerChoices):
        NONE = 0, _("not reminded")
        REMINDER = 1, _("payment reminder")
        FIRST = 2, _("first dunning notice")
        SECOND = 3, _("second dunning notice")

    invoice = models.OneToOneField(Invoice, on_delete=models.PROTECT, related_name="dunning")
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices, default=0)
    last_step_on = models.DateField(_("last step on"), null=True, blank=True)
    default_since = models.DateField(_("in default since"), null=True, blank=True)
    # Fees and interest the office let go of once the invoice itself was paid (a small rest, or
    # goodwill). Waived once: a paid invoice gets no further notice, so nothing is open after.
    charges_waived = money(_("dunning charges waived"))
    charges_waived_on = models.DateField(_("charges waived on"), null=True, blank=True)
    charges_waived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("dunning")
        verbose_name_plural = _("dunnings")

    def __str__(self) -> str:
        return f"{self.invoice}: {self.get_level_display()}"


class BaseRate(models.Model):
    """The Basiszinssatz (§247 BGB) from a day on. The Bundesbank publishes it for 1 January and
    1 July; default interest for each day in default uses the rate in force that day."""

    valid_from = models.DateField(_("valid from"), unique=True)
    rate = models.DecimalField(_("base rate (%)"), max_digits=5, decimal_places=2)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    entered_at = models.DateTimeField(_("entered"), auto_now=True)

    class Meta:
        verbose_name = _("base rate")
        verbose_name_plural = _("base rates")
        ordering = ["-valid_from"]

    def __str__(self) -> str:
        return f"{self.valid_from:%d.%m.%Y}: {self.rate} %"


class DunningNotice(models.Model):
    """One reminder or Mahnung as sent: the amounts are frozen when the step is claimed."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="dunning_notices")
    level = models.PositiveSmallIntegerField(_("level"), choices=Dunning.Level.choices)
    sent_on = models.DateField(_("date"))
    open_amount = money(_("open amount"))
    fee = money(_("dunning fee"))
    interest = money(_("default interest"))
    interest_rate = models.DecimalField(_("interest rate (%)"), max_digits=5, decimal_places=2)
    # How the interest was worked out, frozen with it for the letter: each rate from its day
    # (["2026-03-24", "6.27"], …) and whether a payment lowered the principal meanwhile.
    interest_periods = models.JSONField(_("interest rates applied"), default=list, blank=True)
    interest_on_changing_amount = models.BooleanField(default=False)
    pay_by = models.DateField(_("pay by"))
    email = models.EmailField(_("sent to"), blank=True)
    emailed_at = models.DateTimeField(_("emailed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("dunning notice")
        verbose_name_plural = _("dunning notices")
        ordering = ["invoice", "level"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "level"], name="one_notice_per_level")
        ]

    def __str__(self) -> str:
        return f"{self.invoice} {self.get_level_display()}"

    @property
    def total(self):
        return self.open_amount + self.fee + self.interest


# --- member settlement --------------------------------------------------------------------------


class SettlementRun(models.Model):
    """The month-end settlement of one month: one per month, with the SEPA payout file."""

    period = models.DateField(_("month"), unique=True, help_text=_("First day of the month."))
    pain001 = models.BinaryField(_("SEPA credit transfer file (pain.001)"), null=True, blank=True)
    pain001_sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("settlement run")
        verbose_name_plural = _("settlement runs")
        ordering = ["-period"]

    def __str__(self) -> str:
        return f"{self.period:%m/%Y}"


class Settlement(models.Model):
    """One member's monthly settlement: the self-billing credit note for its share of the paid
    package revenue, the cooperative's fee invoice, and the payout (credit minus fee)."""

    run = models.ForeignKey(SettlementRun, on_delete=models.PROTECT, related_name="settlements")
    workshop = models.ForeignKey(
        "trades.Workshop", on_delete=models.PROTECT, related_name="settlements"
    )
    credit_note = models.OneToOneField(
        Invoice, on_delete=models.PROTECT, related_name="settlement_as_credit"
    )
    fee_invoice = models.OneToOneField(
        Invoice,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="settlement_as_fee",
    )
    share_net = money(_("share of revenue (net)"))
    fee_rate = models.DecimalField(_("fee rate"), max_digits=5, decimal_places=4)
    payout = money(_("payout"))
    statement = models.JSONField(_("statement"), default=dict, blank=True)

    class Meta:
        verbose_name = _("member settlement")
        verbose_name_plural = _("member settlements")
        ordering = ["run", "workshop"]
        constraints = [
            models.UniqueConstraint(fields=["run", "workshop"], name="one_settlement_per_month")
        ]

    def __str__(self) -> str:
        return f"{self.workshop} {self.run}"


class SettlementItem(models.Model):
    """A member's share of one paid package invoice; an invoice is settled once per member."""

    settlement = models.ForeignKey(Settlement, on_delete=models.PROTECT, related_name="items")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="settled_in")
    workshop = models.ForeignKey("trades.Workshop", on_delete=models.PROTECT, related_name="+")
    vat_rate = models.DecimalField(_("VAT rate (%)"), max_digits=5, decimal_places=2)
    net = money(_("net"))

    class Meta:
        verbose_name = _("settled invoice share")
        verbose_name_plural = _("settled invoice shares")
        constraints = [
            # A share is settled once; a share taken back (against a cancellation) may be taken
            # in parts over several months, once per settlement.
            models.UniqueConstraint(
                fields=["invoice", "workshop", "vat_rate"],
                condition=models.Q(net__gt=0),
                name="invoice_share_settled_once",
            ),
            models.UniqueConstraint(
                fields=["settlement", "invoice", "vat_rate"], name="share_once_per_settlement"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.invoice} → {self.workshop}: {self.net}"
