"""Small helpers that read settings from the environment and fail loudly on bad values.

A setting may also be given as ``NAME_FILE`` pointing at a file that holds the value (Docker and
systemd secrets).
"""

import os
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def envstr(name: str, default: str | None = None) -> str | None:
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        try:
            return Path(file_name).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={file_name!r} cannot be read: {exc}") from exc
    return os.environ.get(name, default)


def envbool(name: str, default: bool) -> bool:
    value = envstr(name)
    if value is None:
        return default
    if value.strip().lower() in _TRUE:
        return True
    if value.strip().lower() in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use true or false)")


def envint(name: str, default: int) -> int:
    value = envstr(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={value!r} is not an integer") from exc


def envlist(name: str, default: str = "") -> list[str]:
    value = envstr(name, default) or ""
    return [item.strip() for item in value.split(",") if item.strip()]


def envdecimal(name: str, default: str) -> Decimal:
    value = envstr(name, default)
    try:
        return Decimal(value)
    except InvalidOperation as exc:
        raise ImproperlyConfigured(f"{name}={value!r} is not a number") from exc
