"""A portal app may not pass itself off as one of Strata's own: the consent page names the app,
so "Strata web app" from a third party would borrow the trust people give Strata's apps.

Names are compared folded: compatibility forms and accents undone, case ignored, letters that
look like Latin ones read as those, and everything that is not a letter or digit (spaces,
dots, dashes, invisible characters) dropped, so "S.t.r.a.t.a", "S t r a t a", the
full-width form and a "Strata" spelt with a Cyrillic dze all read "strata".
"""

from __future__ import annotations

import unicodedata
from typing import Final

from gateway.oauth.clients import InvalidClientRegistration

RESERVED_WORD: Final = "strata"
# Cyrillic and Greek letters (and symbols) that pass for the Latin letters of the word.
_LOOK_ALIKES: Final = str.maketrans(
    {
        "$": "s",
        "\u0455": "s",  # Cyrillic dze
        "\ua731": "s",  # small capital s
        "\u0442": "t",  # Cyrillic te
        "\u03c4": "t",  # Greek tau
        "\u1d1b": "t",  # small capital t
        "\u0433": "r",  # Cyrillic ghe
        "\u0280": "r",  # small capital r
        "\u0430": "a",  # Cyrillic a
        "\u03b1": "a",  # Greek alpha
        "\u0251": "a",  # Latin alpha
        "\u1d00": "a",  # small capital a
        "@": "a",
    }
)


def folded(name: str) -> str:
    """``name`` as it reads: see the module docstring."""
    text = unicodedata.normalize("NFKD", name).casefold().translate(_LOOK_ALIKES)
    return "".join(char for char in text if char.isalnum())


def check_app_name(name: str) -> None:
    """Refuses (422 naming ``name``) a name that reads as one of Strata's own apps."""
    if RESERVED_WORD in folded(name):
        raise InvalidClientRegistration(
            "name",
            'names with "Strata" in them are kept for Strata\'s own apps; choose another',
        )
