"""Chinese first, English complete, checked from the sources: every message the web app marks for translation
(templates, views, forms, JSON messages; extracted by Babel's own Python API with the repository's babel.cfg,
in memory: nothing is written into the repository) has a Chinese translation in the zh_Hans_CN catalogue,
not fuzzy, with the same placeholders; the catalogue the app serves (messages.mo, compiled from the .po when
the app starts: webapp/i18n.compile_catalogs) holds exactly the .po's translations.

English is the source language: the msgids are English (the English UI shows the msgid itself, there is no
English catalogue), so English is complete by construction as long as no msgid is Chinese only and no page
writes text outside the catalogue, which the last two tests check. Chinese terms glossed beside English
words (“Supervision items (督办)”) are the house style and are allowed."""
from __future__ import annotations

import html
import os
import re
import shutil
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.checkers import python_format
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from webapp.i18n import TRANSLATIONS, compile_catalogs

ROOT = Path(__file__).resolve().parents[2]
WEBAPP = ROOT / "webapp"
PO = TRANSLATIONS / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


# What marks a message besides Babel's own keywords: Flask-Babel's lazy_gettext, imported as _l (the labels of
# module-level tables, translated when shown). `pybabel extract -k _l -k lazy_gettext` in babel.cfg's command.
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}


def extracted(directory: Path = WEBAPP) -> Catalog:
    """The messages of ``directory`` as `pybabel extract -F babel.cfg -k _l -k lazy_gettext -o … webapp` finds
    them, in memory."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    catalog = Catalog()
    for filename, lineno, message, comments, context in extract_from_dir(
            str(directory), method_map, options_map, keywords=KEYWORDS, comment_tags=("TRANSLATORS:",)):
        catalog.add(message, None, [(f"webapp/{filename}", lineno)], auto_comments=comments, context=context)
    return catalog


def chinese_catalogue(path: Path = PO) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, locale="zh_Hans_CN")


def untranslated(sources: Catalog, catalogue: Catalog) -> list[str]:
    """Each source message without a usable Chinese translation, with where it is used."""
    missing = []
    for message in sources:
        if not message.id:
            continue
        found = catalogue.get(message.id, context=message.context)
        strings = () if found is None else (found.string if isinstance(found.string, tuple) else (found.string,))
        if found is None or found.fuzzy or not strings or not all(s and s.strip() for s in strings):
            where = ", ".join(f"{f}:{n}" for f, n in message.locations[:3])
            missing.append(f"{message.id!r} ({where}){' fuzzy' if found is not None and found.fuzzy else ''}")
    return missing


def test_the_extraction_finds_the_messages_of_templates_and_views():
    sources = extracted()
    files = {f for m in sources for f, _n in m.locations}
    assert len(sources) > 900
    assert any(f.startswith("webapp/templates/") for f in files) and any(f.endswith(".py") for f in files)
    assert "Simulate this draft" in sources and "Please log in." in sources


def test_every_message_has_a_chinese_translation():
    assert untranslated(extracted(), chinese_catalogue()) == []


def test_a_new_untranslated_message_is_found(tmp_path):
    """The check above can fail: a template with a string the catalogue does not have is named."""
    shutil.copytree(WEBAPP / "templates", tmp_path / "templates")
    (tmp_path / "templates" / "new.html").write_text('<p>{{ _("A sentence nobody has translated yet") }}</p>\n'
                                                     '{{ _("Save draft") }}\n', encoding="utf-8")
    missing = untranslated(extracted(tmp_path), chinese_catalogue())
    assert missing == ["'A sentence nobody has translated yet' (webapp/templates/new.html:1)"]


def test_translations_keep_every_placeholder():
    problems, catalogue = [], chinese_catalogue()
    for message in catalogue:
        if message.id and message.string:
            try:
                python_format(catalogue, message)
            except Exception as exc:  # TranslationError: a placeholder missing, added or of another type
                problems.append(f"{message.id!r}: {exc}")
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            # Jinja's newstyle gettext %-formats every result: a lone % the source has not would raise on the page.
            lone = re.compile(r"%(?!\(\w+\)[sd]|%)")
            if any(len(lone.findall(s)) > len(lone.findall(str(message.id))) for s in strings):
                problems.append(f"{message.id!r}: a lone % in the translation")
    assert problems == []


def test_the_served_catalogue_is_the_po_compiled(tmp_path):
    """What the app serves: compile_catalogs (run when the app starts) leaves a .mo with exactly the .po's
    translations; a .mo that is not the .po compiled is compiled again, even when it is the newer file (a
    restored or checked-out .po keeps an older time), so an edited .po is never served stale."""
    compile_catalogs()
    po = {(m.id, m.context): m.string for m in chinese_catalogue() if m.id and not m.fuzzy}
    with PO.with_suffix(".mo").open("rb") as fh:
        mo = {(m.id, m.context): m.string for m in read_mo(fh) if m.id}
    assert mo == po

    stale = tmp_path / "zh_Hans_CN" / "LC_MESSAGES"
    stale.mkdir(parents=True)
    shutil.copy(PO, stale / "messages.po")
    os.utime(stale / "messages.po", (1, 1))
    old = chinese_catalogue()
    old.delete("Simulate this draft")
    with (stale / "messages.mo").open("wb") as fh:  # compiled before the last translation was added
        write_mo(fh, old)
    compile_catalogs(tmp_path)
    with (stale / "messages.mo").open("rb") as fh:
        assert {(m.id, m.context): m.string for m in read_mo(fh) if m.id} == po
    assert sorted(p.name for p in stale.iterdir()) == ["messages.mo", "messages.po"]  # no partial file left


def test_no_message_is_chinese_only():
    """The English UI shows the msgid: each one is English (Chinese only as a term beside English words)."""
    assert [m.id for m in extracted() if m.id and not re.search(r"[A-Za-z]{2}", str(m.id))] == []


# What pages may write outside the catalogue, the same in both languages: units, file formats, “v3” (version 3), the folder of the
# route files, and the example form key of the modeler's “new form” field.
UNTRANSLATED_TOKENS = {"KB", "MB", "CSV", "XLSX", "h", "v", "processes/", "neighbour_visit"}


def test_templates_write_no_text_outside_the_catalogue():
    """Every word a template shows goes through _(): no English left untranslated in the Chinese UI, no Chinese
    in the English UI. Examples of file formats (<pre>, <code>) and scripts are not prose and are left out."""
    found = []
    for path in sorted((WEBAPP / "templates").rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        text = re.sub(r"\{#.*?#\}", " ", text, flags=re.S)
        text = re.sub(r"<(script|style|pre|code)\b.*?</\1>", " ", text, flags=re.S)
        text = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", " ", text, flags=re.S)
        shown = [m.group(2) for m in re.finditer(r"\b(title|placeholder|aria-label|alt)=\"([^\"]*)\"", text)]
        shown.append(re.sub(r"<[^>]*>", " ", text, flags=re.S))
        for chunk in map(html.unescape, shown):
            for word in re.findall(r"[^\s\d·:：–<>≥&;()（）—,.|/-]+/?", chunk):
                if (CJK.search(word) or re.search(r"[A-Za-z]", word)) and word not in UNTRANSLATED_TOKENS:
                    found.append(f"{path.relative_to(ROOT)}: {word}")
    assert found == []


def _code_strings() -> set[str]:
    """Every string literal of the engine's and the web app's Python: the English labels the engine hands the
    web app (translated there with gettext(label)) and the tables a view translates entry by entry."""
    import ast
    found = set()
    for path in [*(ROOT / "engine").rglob("*.py"), *WEBAPP.rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.add(node.value)
    return found


def test_the_catalogue_keeps_no_obsolete_or_dead_entry():
    """What `pybabel update` would mark obsolete (#~) is dropped from the .po, never kept: an entry is either a
    message the extraction finds or a label the code writes (gettext of a variable), nothing else."""
    catalogue = chinese_catalogue()
    assert not catalogue.obsolete
    used, code = {m.id for m in extracted() if m.id}, _code_strings()
    assert sorted(str(m.id) for m in catalogue if m.id and m.id not in used and m.id not in code) == []


def test_templates_write_their_punctuation_in_the_pages_language():
    """Between a label and its data a template writes {{ punct.colon }}, {{ punct.open }}…{{ punct.close }} and
    the like (webapp/pages.Punctuation), never a bare “：” or “（…）” the English UI would show, nor a bare “(”
    or “: ” the Chinese UI would show. Examples of file formats (<pre>) and scripts are left out."""
    found = []
    for path in sorted((WEBAPP / "templates").rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        text = re.sub(r"\{#.*?#\}|<(script|style|pre|code)\b.*?</\1>", " ", text, flags=re.S)
        text = re.sub(r"\{\{.*?\}\}|\{%.*?%\}|<[^>]*>", "\x00", text, flags=re.S)
        found += [f"{path.relative_to(ROOT)}: {m.group(0)!r}" for m in re.finditer(r".?[：，；（）()、]|: ", text)]
    assert found == []
