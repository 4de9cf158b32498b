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


def test_pages_open_in_chinese_even_for_an_english_browser(client, rep, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    client.force_login(rep)
    page = client.get("/customers/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "新建客户" in page and "New customer" not in page
    client.post("/i18n/setlang/", {"language": "en", "next": "/customers/"})
    page = client.get("/customers/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert "New customer" in page
