"""Invoicing pages (German paths, inside the language prefixes): the shared office's, and a
member workshop's settlements."""

from django.urls import path

from invoicing import views

app_name = "invoicing"
urlpatterns = [
    path("betrieb/abrechnungen/", views.member_settlements, name="member-settlements"),
    path("buero/rechnungen/", views.invoice_list, name="list"),
    path("buero/rechnungen/<int:invoice_id>/", views.invoice_detail, name="detail"),
    path("buero/rechnungen/<int:invoice_id>/ausstellen/", views.issue, name="issue"),
    path("buero/rechnungen/<int:invoice_id>/stornieren/", views.cancel, name="cancel"),
    path("buero/rechnungen/<int:invoice_id>/loeschen/", views.delete_draft, name="delete-draft"),
    path("buero/rechnungen/<int:invoice_id>/zahlung/", views.record_payment, name="payment"),
    path("buero/rechnungen/<int:invoice_id>/erstattung/", views.record_refund, name="refund"),
    path(
        "buero/rechnungen/<int:invoice_id>/erstattung/sepa/",
        views.refund_transfer,
        name="refund-transfer",
    ),
    path(
        "buero/rechnungen/<int:invoice_id>/erstattung/sepa/<int:transfer_id>/",
        views.refund_transfer_file,
        name="refund-transfer-file",
    ),
    path(
        "buero/rechnungen/<int:invoice_id>/erstattung/sepa/<int:transfer_id>/gebucht/",
        views.book_refund_transfer,
        name="refund-transfer-booked",
    ),
    path(
        "buero/rechnungen/<int:invoice_id>/erstattung/sepa/<int:transfer_id>/zurueck/",
        views.refund_transfer_returned,
        name="refund-transfer-returned",
    ),
    path(
        "buero/rechnungen/<int:invoice_id>/erstattung/sepa/<int:transfer_id>/verwerfen/",
        views.discard_refund_transfer,
        name="refund-transfer-discard",
    ),
    path("buero/rechnungen/<int:invoice_id>/senden/", views.send_again, name="send-again"),
    path(
        "buero/rechnungen/<int:invoice_id>/mahnkosten-erlassen/",
        views.waive_charges,
        name="waive-charges",
    ),
    path("buero/rechnungen/auftrag/<int:package_id>/", views.package_invoicing, name="package"),
    path(
        "buero/rechnungen/auftrag/<int:package_id>/entwurf/",
        views.draft_package_invoice,
        name="package-draft",
    ),
    path("buero/rechnungen/monatsabschluss/", views.month_end, name="month-end"),
    path("buero/rechnungen/monatsabschluss/export/", views.export_books, name="export"),
    path(
        "buero/rechnungen/monatsabschluss/<str:period>/auszahlung/",
        views.record_payouts,
        name="payouts",
    ),
    path("buero/rechnungen/mahnwesen/", views.dunning_list, name="dunning"),
    path("buero/rechnungen/mahnwesen/basiszins/", views.enter_base_rate, name="base-rate"),
    path(
        "buero/rechnungen/mahnwesen/<int:notice_id>/",
        views.dunning_notice,
        name="dunning-notice",
    ),
    path("buero/rechnungen/kontoauszuege/", views.bank, name="bank"),
    path(
        "buero/rechnungen/kontoauszuege/<int:transaction_id>/zuordnen/",
        views.assign,
        name="assign",
    ),
    path(
        "buero/rechnungen/kontoauszuege/<int:transaction_id>/erledigt/",
        views.mark_dealt_with,
        name="dealt-with",
    ),
    path(
        "buero/rechnungen/kontoauszuege/<int:transaction_id>/erledigt/zuruecknehmen/",
        views.undo_dealt_with,
        name="dealt-with-undo",
    ),
]
