from django.contrib.gis import admin
from django.utils.translation import gettext_lazy as _

from customers.models import Customer, PostalCode, Site
from customers.privacy import AccessLoggedAdminMixin
from customers.selectors import is_phone_number, search_customers


class SiteInline(admin.StackedInline):
    model = Site
    extra = 0


@admin.register(Customer)
class CustomerAdmin(AccessLoggedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "kind", "city", "phone", "email", "created_at"]
    list_filter = ["kind", "construction_business"]
    search_fields = ["last_name", "first_name", "company", "email", "city"]
    raw_id_fields = ["user"]
    inlines = [SiteInline]

    @admin.display(description=_("name"), ordering="last_name")
    def name(self, obj):
        return obj.display_name

    def get_search_results(self, request, queryset, search_term):
        if is_phone_number(search_term):  # as on the Notdienst page: any spelling
            return search_customers(queryset, search_term), False
        return super().get_search_results(request, queryset, search_term)


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
