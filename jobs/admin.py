from django.contrib import admin

from jobs.models import PackageTemplate, TemplateDependency, TemplateParameter, TemplateTask


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
