from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.auth.views import LogoutView
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from customers.views import my_data
from invoicing.views import acceptance_pdf, quote_pdf, supplement_pdf
from scheduling.board_views import board_page, emergency_page
from scheduling.views import feed, package_ics, package_message, package_page
from zunft.api import api
from zunft.core.health import healthz
from zunft.core.views import favicon, home, login_with_code, set_language

# The staff log in through the admin's login page: it should say where they are.
admin.site.site_header = _("Zunft: the cooperative's back office")
admin.site.site_title = "Zunft"
admin.site.index_title = _("Master data and records")

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon, name="favicon"),
    path("api/", api.urls),
    path("i18n/setlang/", set_language, name="set_language"),
    path("kalender/<str:token>.ics", feed, name="feed"),
    # Outside the language prefixes: the service worker needs one fixed scope.
    path("monteur/", include("scheduling.field_views")),
]
urlpatterns += i18n_patterns(
    path("", home, name="home"),
    path("", include("jobs.urls")),
    path("anmelden/", login_with_code, name="login"),
    path("meine-daten/", my_data, name="my-data"),
    path("abmelden/", LogoutView.as_view(next_page="home"), name="logout"),
    path("angebot/<int:quote_id>/pdf/", quote_pdf, name="quote-pdf"),
    path(
        "auftrag/<int:package_id>/nachtrag/<int:supplement_id>.pdf",
        supplement_pdf,
        name="supplement-pdf",
    ),
    path("buero/plantafel/", board_page, name="office-board"),
    path("buero/notdienst/", emergency_page, name="office-emergency"),
    path("", include("invoicing.urls")),
    path("zwei-faktor/", include("zunft.core.twofactor")),
    path("auftrag/<int:package_id>/", package_page, name="package"),
    path("auftrag/<int:package_id>/termine.ics", package_ics, name="package-ics"),
    path("auftrag/<int:package_id>/nachricht/", package_message, name="package-message"),
    path(
        "auftrag/<int:package_id>/abnahme/<int:acceptance_id>.pdf",
        acceptance_pdf,
        name="acceptance-pdf",
    ),
    path("admin/", admin.site.urls),
    prefix_default_language=False,
)
# No route serves MEDIA_ROOT as plain files, not even with DEBUG: photos, signatures and documents
# are served only by views that check who asks (tests/test_authorization_matrix.py).

handler404 = "zunft.core.views.not_found"
