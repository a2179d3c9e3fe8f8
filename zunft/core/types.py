"""Field types shared by the API schemas."""

import datetime as dt
import re
from typing import Annotated

from pydantic import BeforeValidator, StringConstraints, WithJsonSchema

_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_date(value):
    # Pydantic alone would read "0" as a Unix timestamp (1 January 1970): no user means that.
    if isinstance(value, str) and not _ISO.match(value):
        raise ValueError("expected a date as YYYY-MM-DD")
    if isinstance(value, int | float):
        raise ValueError("expected a date as YYYY-MM-DD")
    return value


IsoDate = Annotated[
    dt.date,
    BeforeValidator(_iso_date),
    WithJsonSchema({"type": "string", "format": "date"}),
]


#: A name: spaces around it are dropped, so "   " is no name (it would save a nameless worker).
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
