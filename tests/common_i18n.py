"""The addon's translations: its template's strings, and the checks of a translation against it (also run
without a database by ``scripts/check_po.py``)."""
import fnmatch
import os
import re

from babel.messages.pofile import read_po

LANGUAGES = ("fr_FR", "es_ES", "de_DE", "pl_PL")
MODULE = "quickbooks_connector"
# Directories of the repository that hold no user-facing string of the addon (and its virtual environment).
SKIPPED = {"tests", "scripts", "qbo_sandbox", "node_modules", "bridges"}
# What a translation must keep as it is: printf and format placeholders, markup, entities.
PLACEHOLDER = re.compile(r"%(?:\([a-z_0-9]+\))?[sdfr]|%%|\{[a-z_0-9]*\}|</?[a-zA-Z][^>]*>|&[a-z]+;")


def addon_terms_reader(cr, module=MODULE):
    """Odoo's own reader of a module's translatable terms (records, views, fields, code), walking only the
    files of ``module`` (this addon or one of its bridge addons): Odoo's walks every addon, and this
    repository holds its virtual environment."""
    from odoo.modules.module import get_module_path
    from odoo.tools.translate import (
        JAVASCRIPT_TRANSLATION_COMMENT, PYTHON_TRANSLATION_COMMENT, TranslationModuleReader,
    )

    class AddonTermsReader(TranslationModuleReader):
        def _export_translatable_resources(self):
            module_dir = get_module_path(module)
            path = os.path.dirname(module_dir)
            self._path_list = [(path, True)]
            for root, dirnames, files in os.walk(module_dir):
                dirnames[:] = sorted(name for name in dirnames if not name.startswith(".") and name not in SKIPPED)
                for fname in fnmatch.filter(files, "*.py"):
                    self._babel_extract_terms(fname, path, root, "python", extra_comments=[PYTHON_TRANSLATION_COMMENT],
                                              extract_keywords={"_": None, "_lt": None})
                if fnmatch.fnmatch(root, "*/static/src*"):
                    for fname in fnmatch.filter(files, "*.js"):
                        self._babel_extract_terms(fname, path, root, "javascript",
                                                  extra_comments=[JAVASCRIPT_TRANSLATION_COMMENT],
                                                  extract_keywords={"_t": None})
                    for fname in fnmatch.filter(files, "*.xml"):
                        self._babel_extract_terms(fname, path, root, "odoo.tools.translate:babel_extract_qweb",
                                                  extra_comments=[JAVASCRIPT_TRANSLATION_COMMENT])

    return AddonTermsReader(cr, modules=[module])


def messages(path):
    """``({msgid: msgstr}, catalog)`` of a .po or .pot file (the header left out)."""
    with open(path, "rb") as handle:
        catalog = read_po(handle)
    return {message.id: message.string for message in catalog if message.id}, catalog


def problems(pot_path, po_path):
    """What is wrong with a translation: untranslated, fuzzy or stale strings, placeholders changed."""
    wanted, _pot = messages(pot_path)
    found, catalog = messages(po_path)
    issues = [f"missing: {msgid!r}" for msgid in wanted if not found.get(msgid)]
    issues += [f"not in the template: {msgid!r}" for msgid in found if msgid not in wanted]
    issues += [f"fuzzy: {message.id!r}" for message in catalog if message.id and message.fuzzy]
    for msgid, msgstr in found.items():
        if msgstr and sorted(PLACEHOLDER.findall(msgid)) != sorted(PLACEHOLDER.findall(msgstr)):
            issues.append(f"placeholders differ: {msgid!r} -> {msgstr!r}")
    return issues


def assert_addon_translations(case, module):
    """The checks of a bridge addon's translations (``case``: a test case of it): its template equals its code's
    strings, and each language is complete, keeps the placeholders and loads without a warning.

    :return: ``{language: {msgid: msgstr}}``
    """
    from odoo.modules.module import get_module_path

    i18n = os.path.join(get_module_path(module), "i18n")
    template = os.path.join(i18n, f"{module}.pot")
    marked = {row[4] for row in addon_terms_reader(case.env.cr, module)}
    case.assertEqual(sorted(marked ^ set(messages(template)[0])), [], "make pot")
    found = {}
    for code in LANGUAGES:
        path = os.path.join(i18n, f"{code}.po")
        case.assertEqual(problems(template, path), [], code)
        found[code] = messages(path)[0]
        case.env["res.lang"]._activate_lang(code)
        with case.assertNoLogs("odoo.tools.translate", level="WARNING"):
            case.env["ir.module.module"]._load_module_terms([module], [code], overwrite=True)
    return found
