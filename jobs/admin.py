from django.contrib import admin

from customers.admin import CustomerAdmin
from customers.models import Customer
from customers.privacy import AccessLoggedAdminMixin
from jobs.models import (
    Package,
    PackageTemplate,
    Quote,
    QuoteLine,
    Request,
    Supplement,
    Task,
    TemplateDependency,
    TemplateParameter,
    TemplateTask,
)
from zunft.core.admin import ViewOnly


class ParameterInline(admin.TabularInline):
    model = TemplateParameter
    extra = 0


class TaskInline(admin.TabularInline):
    model = TemplateTask
    extra = 0
    fields = [
        "position",
        "code",
        "name_de",
        "trade",
        "required_certification",
        "crew_size",
        "duration_base_hours",
        "duration_per_unit",
    ]


class DependencyInline(admin.TabularInline):
    model = TemplateDependency
    extra = 0

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # Only this template's tasks may be linked.
        template_id = request.resolver_match.kwargs.get("object_id")
        if db_field.name in ("predecessor", "successor") and template_id:
            kwargs["queryset"] = TemplateTask.objects.filter(template_id=template_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(PackageTemplate)
class PackageTemplateAdmin(admin.ModelAdmin):
    list_display = ["name_de", "code", "active"]
    list_filter = ["active"]
    search_fields = ["code", "name_de", "name_en"]
    inlines = [ParameterInline, TaskInline, DependencyInline]


# --- the office's lookups: orders as the services left them --------------------------------------


class OrderLookupAdmin(AccessLoggedAdminMixin, ViewOnly, admin.ModelAdmin):
    """An order's page shows its customer's name, site and wishes: opening it is logged as an
    access to the customer (who saw her data, DSGVO Art. 15), ``via`` naming the lookup."""

    def accessed_records(self, obj) -> list:
        return [obj.customer]


class PackageTaskInline(ViewOnly, admin.TabularInline):
    model = Task
    fields = ["position", "name_de", "trade", "status", "duration_hours", "material_cost"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("trade")


class PackageQuoteInline(ViewOnly, admin.TabularInline):
    model = Quote
    fields = ["version", "status", "gross", "valid_until", "accepted_at", "declined_at"]
    show_change_link = True


class PackageSupplementInline(ViewOnly, admin.TabularInline):
    model = Supplement
    fields = ["number", "status", "gross", "valid_until", "created_at", "decided_at"]
    readonly_fields = ["created_at"]


@admin.register(Package)
class PackageAdmin(OrderLookupAdmin):
    access_log_via = "admin:package"
    list_display = [
        "__str__",
        "customer",
        "status",
        "earliest_start",
        "promised_date",
        "created_at",
    ]
    list_filter = ["status", "template"]
    search_fields = ["=id", "title", "customer__last_name", "customer__company", "customer__email"]
    list_select_related = ["customer"]
    date_hierarchy = "created_at"
    inlines = [PackageTaskInline, PackageQuoteInline, PackageSupplementInline]


@admin.register(Request)
class RequestAdmin(OrderLookupAdmin):
    access_log_via = "admin:request"
    list_display = ["__str__", "customer", "status", "earliest_start", "package", "created_at"]
    list_filter = ["status", "template"]
    search_fields = [
        "=id",
        "=package__id",
        "customer__last_name",
        "customer__company",
        "customer__email",
    ]
    list_select_related = ["customer", "template", "trade", "package"]
    date_hierarchy = "created_at"


class QuoteLineInline(ViewOnly, admin.TabularInline):
    model = QuoteLine
    fields = ["position", "kind", "trade", "text", "quantity", "unit", "unit_price", "net"]


@admin.register(Quote)
class QuoteAdmin(OrderLookupAdmin):
    access_log_via = "admin:quote"
    list_display = ["__str__", "package", "status", "gross", "valid_until", "created_at"]
    list_filter = ["status"]
    search_fields = ["=package__id", "package__title", "package__customer__last_name"]
    list_select_related = ["package"]
    date_hierarchy = "created_at"
    inlines = [QuoteLineInline]

    def accessed_records(self, obj) -> list:
        return [obj.package.customer]


class CustomerPackageInline(ViewOnly, admin.TabularInline):
    """Her orders on a customer's page, each linked to its own page."""

    model = Package
    fields = ["title", "status", "earliest_start", "promised_date", "created_at"]
    show_change_link = True
    ordering = ["-created_at"]


# customers does not know jobs: its customer page gains her orders here.
class CustomerWithPackagesAdmin(CustomerAdmin):
    inlines = [*CustomerAdmin.inlines, CustomerPackageInline]


admin.site.unregister(Customer)
admin.site.register(Customer, CustomerWithPackagesAdmin)
