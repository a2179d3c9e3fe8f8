"""The active language, as one of the site's (``settings.LANGUAGES``): what is remembered with a
customer or a calendar feed, whose later mails and events are written in it."""

from django.utils import translation


def active_language() -> str:
    """``de`` or ``en``: Django's supported variant of the active language."""
    from django.conf import settings

    return translation.get_supported_language_variant(
        translation.get_language() or settings.LANGUAGE_CODE
    )
