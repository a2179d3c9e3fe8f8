"""What every app's forms share."""

from django.core.exceptions import ValidationError


class ServiceErrorsMixin:
    """Put a service's ``ValidationError`` back on the form: each message at the field it names
    (:meth:`service_field` maps the service's names to the form's), anything else at the top."""

    def service_field(self, key: str, aliases: dict) -> str:
        return aliases.get(key, key)

    def add_service_errors(self, error: ValidationError, aliases: dict | None = None) -> None:
        if not hasattr(error, "error_dict"):
            for message in error.messages:
                self.add_error(None, message)
            return
        for key, messages in error.message_dict.items():
            name = self.service_field(key, aliases or {})
            for message in messages:
                self.add_error(name if name in self.fields else None, message)
