from django.apps import AppConfig


class InvoicingConfig(AppConfig):
    name = "invoicing"

    def ready(self):
        from customers.privacy import register_privacy_source
        from invoicing import privacy
        from invoicing.package_documents import package_invoices
        from invoicing.protocol_pdf import signed_protocol
        from jobs.acceptance import register_protocol_renderer
        from jobs.documents import register_document_source
        from jobs.privacy import register_quote_renderer

        # The package page lists invoices without jobs importing invoicing.
        register_document_source(package_invoices)
        # … and stores each Abnahmeprotokoll as it is signed.
        register_protocol_renderer(signed_protocol)

        # The DSGVO export holds invoices and quote PDFs; unpaid invoices block erasure.
        register_quote_renderer(privacy.render_quote)
        register_privacy_source(
            "invoicing",
            export={"invoices": privacy.export_invoices},
            blockers=privacy.erasure_blockers,
        )
