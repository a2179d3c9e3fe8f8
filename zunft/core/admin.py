from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from zunft.core.models import Event, Operation, User


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
