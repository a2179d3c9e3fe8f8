from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from zunft.core.models import Event, Operation, User


class ViewOnly:
    """Mix into a ``ModelAdmin`` or an inline: records the services write (a package's and a
    request's status follow its quote, a quote is an immutable version, appointments are placed
    by the planner and moved on the board, offers are answered in the field app) are looked up
    in the admin, never added, changed or deleted there: nobody would be told, nothing
    re-planned."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        # Shown, never a form field (also inside a page that edits something else).
        return self.fields or [field.name for field in self.model._meta.fields]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "email", "first_name", "last_name", "role", "is_active"]
    list_filter = ["role", "is_active", "is_staff"]
    fieldsets = (*BaseUserAdmin.fieldsets, (_("Zunft"), {"fields": ("role", "phone")}))


@admin.register(Operation)
class OperationAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "state", "progress", "total", "worker", "created_at"]
    list_filter = ["kind", "state"]
    readonly_fields = [f.name for f in Operation._meta.fields]


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["id", "group", "type", "created_at"]
    list_filter = ["type"]
    search_fields = ["group"]
