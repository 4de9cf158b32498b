"""The Chinese translation ships complete: every message in the .po has a
translation and the compiled .mo holds all of them."""

import gettext
import re
from pathlib import Path

import manyi

LC = Path(manyi.__file__).parent / "locale" / "zh_Hans" / "LC_MESSAGES"


def _entries(po: str) -> list[str]:
    return [block for block in po.split("\n\n") if "msgid " in block and not block.lstrip().startswith("#~")]


def test_every_message_is_translated():
    po = (LC / "django.po").read_text(encoding="utf-8")
    untranslated = [e for e in _entries(po)[1:] if re.search(r'^msgstr(\[0\])? ""\n?$', e, re.M) and not re.search(r'^"', e.split("msgstr", 1)[1], re.M)]
    assert not untranslated, untranslated[:5]
    assert "#, fuzzy" not in po


def test_the_compiled_catalogue_matches_the_po():
    po = (LC / "django.po").read_text(encoding="utf-8")
    with open(LC / "django.mo", "rb") as f:
        catalogue = gettext.GNUTranslations(f)
    assert len(catalogue._catalog) - 1 >= len(_entries(po)) - 1  # minus the header
