from django.contrib import admin

from scheduling.models import Appointment, Dispatch, PlanRun
from zunft.core.admin import ViewOnly


@admin.register(PlanRun)
class PlanRunAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "status", "tasks", "gap", "wall_time", "moved", "created_at"]
    list_filter = ["kind", "status"]
    readonly_fields = [f.name for f in PlanRun._meta.fields]


class DispatchInline(ViewOnly, admin.TabularInline):
    model = Dispatch
    extra = 0


@admin.register(Appointment)
class AppointmentAdmin(ViewOnly, admin.ModelAdmin):
    list_display = ["task", "workshop", "worker", "start", "end", "status", "sequence"]
    list_filter = ["status", "workshop"]
    date_hierarchy = "start"
    list_select_related = ["task", "workshop", "worker"]
    inlines = [DispatchInline]
