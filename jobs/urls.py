from django.urls import path

from jobs import views

app_name = "jobs"
urlpatterns = [
    path("pakete/", views.catalogue, name="catalogue"),
    path("pakete/<slug:code>/anfrage/", views.wizard, name="wizard"),
    path("angebot/<int:quote_id>/", views.quote_page, name="quote"),
    path("angebot/<int:quote_id>/annehmen/", views.accept_quote, name="accept"),
]
