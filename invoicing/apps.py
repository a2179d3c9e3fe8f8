from django.apps import AppConfig


class InvoicingConfig(AppConfig):
    name = "invoicing"

    def ready(self):
        from invoicing.package_documents import package_invoices
        from jobs.documents import register_document_source

        # The package page lists invoices without jobs importing invoicing.
        register_document_source(package_invoices)
