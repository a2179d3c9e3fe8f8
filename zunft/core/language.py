"""The active language, as one of the site's (``settings.LANGUAGES``): what is remembered with a
customer or a calendar feed, whose later mails and events are written in it."""

from django.utils import translation


def active_language() -> str:
    """``de`` or ``en``: Django's supported variant of the active language."""
    from django.conf import settings

    return translation.get_supported_language_variant(
        translation.get_language() or settings.LANGUAGE_CODE
    )


# Dates on the portal's pages: German pages as Germans write them (24.12.2026); English pages
# with the month's name (24 Dec 2026), which nobody reads as month first, also where the browser
# writes them (package.js, messages.js). Documents and letters stay German.
DAY_FORMATS = {
    "date": ("d.m.Y", "j M Y"),
    "weekday": ("D d.m.Y", "D j M Y"),
    "weekday_long": ("l, d.m.Y", "l j M Y"),
    "weekday_no_year": ("D d.m.", "D j M"),
    "datetime": ("d.m.Y H:i", "j M Y, H:i"),
    "weekday_time": ("D d.m.Y H:i", "D j M Y, H:i"),
}


def format_day(value, style: str = "date") -> str:
    """``value`` (a date, or a datetime already in local time) in one of ``DAY_FORMATS`` for
    the active language."""
    from django.utils.dateformat import format as date_format

    german, english = DAY_FORMATS[style]
    return date_format(value, german if active_language() == "de" else english)
