from django.urls import path

from jobs import supplement_views, views

app_name = "jobs"
urlpatterns = [
    path("pakete/", views.catalogue, name="catalogue"),
    path("pakete/<slug:code>/anfrage/", views.wizard, name="wizard"),
    path("pakete/plz/<str:postal_code>/", views.postcode_point, name="postcode"),
    path("angebot/<int:quote_id>/", views.quote_page, name="quote"),
    path("angebot/<int:quote_id>/annehmen/", views.accept_quote, name="accept"),
    path("angebot/<int:quote_id>/ablehnen/", views.decline_quote, name="decline"),
    path("mitglieder/", views.directory, name="directory"),
    path("mitglieder/<int:workshop_id>/", views.member, name="member"),
    path("mitglieder/foto/<int:photo_id>.jpg", views.directory_photo, name="directory-photo"),
    path(
        "mitglieder/foto/<int:photo_id>-klein.jpg",
        views.directory_photo,
        {"small": True},
        name="directory-thumbnail",
    ),
    path("auftrag/<int:package_id>/fotos-freigeben/", views.photo_consent, name="photo-consent"),
    path("auftrag/<int:package_id>/widerruf/", views.withdrawal, name="withdrawal"),
    path(
        "auftrag/<int:package_id>/nachtrag/<int:supplement_id>/annehmen/",
        supplement_views.decide_supplement,
        {"decision": "accept"},
        name="accept-supplement",
    ),
    path(
        "auftrag/<int:package_id>/nachtrag/<int:supplement_id>/ablehnen/",
        supplement_views.decide_supplement,
        {"decision": "decline"},
        name="decline-supplement",
    ),
    path("meine-auftraege/", views.my_orders, name="my-orders"),
    path("impressum/", views.imprint, name="imprint"),
    path("datenschutz/", views.privacy_notice, name="privacy"),
    path("buero/angebote/<int:package_id>/", views.revise_quote, name="revise-quote"),
    path(
        "buero/auftraege/<int:package_id>/nachtrag/",
        supplement_views.new_supplement,
        name="new-supplement",
    ),
    path(
        "buero/nachtraege/<int:supplement_id>/zuruecknehmen/",
        supplement_views.retract_supplement,
        name="retract-supplement",
    ),
]
