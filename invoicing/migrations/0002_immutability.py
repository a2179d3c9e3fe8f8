"""GoBD: the database itself refuses to change or delete issued invoices.

* ``invoicing_invoice``: a draft may change freely; once issued, only the bookkeeping columns
  ``state``, ``paid_on`` and ``state_changed_at`` may change, the state never returns to draft and
  a cancelled invoice stays cancelled. An issued invoice cannot be deleted.
* ``invoicing_invoiceline`` and ``invoicing_invoicededuction``: rows of a non-draft invoice cannot
  be inserted, updated or deleted. The invoice row is read ``FOR SHARE`` so a line added while
  another transaction issues the invoice waits for it and then sees the new state.
* ``invoicing_invoicedocument``: write once; inserts only for issued invoices.

Errors are raised with SQLSTATE 23001 (restrict_violation), which Django reports as IntegrityError.
TRUNCATE (used by test database flushes) is not affected.
"""

from django.db import migrations

FORWARD = r"""
CREATE OR REPLACE FUNCTION invoicing_invoice_guard() RETURNS trigger AS $$
DECLARE
    mutable text[] := ARRAY['state', 'paid_on', 'state_changed_at'];
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.state <> 'draft' THEN
            RAISE EXCEPTION 'invoice % is issued and cannot be deleted (GoBD)', OLD.number
                USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.state = 'draft' THEN
        RETURN NEW;
    END IF;
    IF (to_jsonb(NEW) - mutable) IS DISTINCT FROM (to_jsonb(OLD) - mutable) THEN
        RAISE EXCEPTION 'invoice % is issued; its content cannot change (GoBD)', OLD.number
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF NEW.state = 'draft' OR (OLD.state = 'cancelled' AND NEW.state <> 'cancelled') THEN
        RAISE EXCEPTION 'invoice % cannot go from % to %', OLD.number, OLD.state, NEW.state
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER invoicing_invoice_guard
    BEFORE UPDATE OR DELETE ON invoicing_invoice
    FOR EACH ROW EXECUTE FUNCTION invoicing_invoice_guard();

CREATE OR REPLACE FUNCTION invoicing_child_guard() RETURNS trigger AS $$
DECLARE
    invoice_state text;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        SELECT state INTO invoice_state FROM invoicing_invoice WHERE id = OLD.invoice_id FOR SHARE;
        IF invoice_state IS NOT NULL AND invoice_state <> 'draft' THEN
            RAISE EXCEPTION '% of an issued invoice cannot change (GoBD)', TG_TABLE_NAME
                USING ERRCODE = 'restrict_violation';
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        SELECT state INTO invoice_state FROM invoicing_invoice WHERE id = NEW.invoice_id FOR SHARE;
        IF invoice_state <> 'draft' THEN
            RAISE EXCEPTION '% cannot be added to an issued invoice (GoBD)', TG_TABLE_NAME
                USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN NEW;
    END IF;
    RETURN OLD;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER invoicing_line_guard
    BEFORE INSERT OR UPDATE OR DELETE ON invoicing_invoiceline
    FOR EACH ROW EXECUTE FUNCTION invoicing_child_guard();

CREATE TRIGGER invoicing_deduction_guard
    BEFORE INSERT OR UPDATE OR DELETE ON invoicing_invoicededuction
    FOR EACH ROW EXECUTE FUNCTION invoicing_child_guard();

CREATE OR REPLACE FUNCTION invoicing_document_guard() RETURNS trigger AS $$
DECLARE
    invoice_state text;
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT state INTO invoice_state FROM invoicing_invoice WHERE id = NEW.invoice_id FOR SHARE;
        IF invoice_state = 'draft' THEN
            RAISE EXCEPTION 'a draft has no archived documents'
                USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'archived invoice documents are written once (GoBD)'
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER invoicing_document_guard
    BEFORE INSERT OR UPDATE OR DELETE ON invoicing_invoicedocument
    FOR EACH ROW EXECUTE FUNCTION invoicing_document_guard();
"""

BACKWARD = r"""
DROP TRIGGER IF EXISTS invoicing_document_guard ON invoicing_invoicedocument;
DROP TRIGGER IF EXISTS invoicing_deduction_guard ON invoicing_invoicededuction;
DROP TRIGGER IF EXISTS invoicing_line_guard ON invoicing_invoiceline;
DROP TRIGGER IF EXISTS invoicing_invoice_guard ON invoicing_invoice;
DROP FUNCTION IF EXISTS invoicing_document_guard();
DROP FUNCTION IF EXISTS invoicing_child_guard();
DROP FUNCTION IF EXISTS invoicing_invoice_guard();
"""


class Migration(migrations.Migration):
    dependencies = [("invoicing", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
