from django.contrib.gis import admin
from django.utils.translation import gettext_lazy as _

from trades.models import (
    Absence,
    Certification,
    Cooperative,
    Trade,
    Worker,
    WorkerCertification,
    Workshop,
    WorkshopTrade,
)


@admin.register(Cooperative)
class CooperativeAdmin(admin.ModelAdmin):
    list_display = ["name", "city", "vat_id", "fee_rate"]


@admin.register(Certification)
class CertificationAdmin(admin.ModelAdmin):
    list_display = ["code", "name_de", "name_en"]
    search_fields = ["code", "name_de", "name_en"]


@admin.register(Trade)
class TradeAdmin(admin.ModelAdmin):
    list_display = ["code", "name_de", "name_en", "licensed"]
    list_filter = ["licensed"]
    search_fields = ["code", "name_de", "name_en"]
    filter_horizontal = ["certifications"]


class WorkshopTradeInline(admin.TabularInline):
    model = WorkshopTrade
    extra = 0
    autocomplete_fields = ["trade"]


class WorkerInline(admin.TabularInline):
    model = Worker
    extra = 0
    fields = ["first_name", "last_name", "is_master", "active", "user"]
    raw_id_fields = ["user"]
    show_change_link = True


@admin.register(Workshop)
class WorkshopAdmin(admin.GISModelAdmin):
    list_display = ["name", "city", "owner_name", "trade_list", "service_radius_km", "active"]
    list_filter = ["active", "state", "small_business", "trades"]
    search_fields = ["name", "legal_name", "owner_name", "city", "vat_id"]
    inlines = [WorkshopTradeInline, WorkerInline]
    filter_horizontal = ["admins"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("trades")

    @admin.display(description=_("trades"))
    def trade_list(self, obj):
        return ", ".join(t.code for t in obj.trades.all())


class WorkerCertificationInline(admin.TabularInline):
    model = WorkerCertification
    extra = 0


@admin.register(Worker)
class WorkerAdmin(admin.ModelAdmin):
    list_display = ["__str__", "workshop", "is_master", "active"]
    list_filter = ["active", "is_master", "trades", "workshop"]
    search_fields = ["first_name", "last_name", "workshop__name"]
    filter_horizontal = ["trades"]
    raw_id_fields = ["user"]
    inlines = [WorkerCertificationInline]
    list_select_related = ["workshop"]


@admin.register(Absence)
class AbsenceAdmin(admin.ModelAdmin):
    list_display = ["workshop", "worker", "kind", "start", "end"]
    list_filter = ["kind", "workshop"]
    date_hierarchy = "start"
    list_select_related = ["workshop", "worker"]
