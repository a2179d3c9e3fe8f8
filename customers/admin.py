from django.contrib.gis import admin

from customers.models import Customer, PostalCode, Site
from customers.privacy import AccessLoggedAdminMixin


class SiteInline(admin.StackedInline):
    model = Site
    extra = 0


@admin.register(Customer)
class CustomerAdmin(AccessLoggedAdminMixin, admin.ModelAdmin):
    list_display = ["display_name", "kind", "city", "email", "created_at"]
    list_filter = ["kind", "construction_business"]
    search_fields = ["last_name", "first_name", "company", "email", "city"]
    raw_id_fields = ["user"]
    inlines = [SiteInline]


@admin.register(Site)
class SiteAdmin(AccessLoggedAdminMixin, admin.GISModelAdmin):
    list_display = ["__str__", "customer", "city", "location_source"]
    list_filter = ["state", "location_source"]
    search_fields = ["street", "city", "customer__last_name", "customer__company"]
    list_select_related = ["customer"]


@admin.register(PostalCode)
class PostalCodeAdmin(admin.ModelAdmin):
    list_display = ["code", "place", "state", "district"]
    list_filter = ["state"]
    search_fields = ["code", "place"]
