"""Checks of the text a person sees on a rendered page (report or dashboard): no raw
internal names, no long floats, no "NaN", and in Korean no English left untranslated.

The browser tests pass a page's visible text (``innerText`` plus the charts' SVG text)
to :func:`text_problems`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_FILES = r"(?:json|html|yaml|yml|parquet|csv|xlsx|js|py|md|txt|png|pdf|j2)"
#: the end of a file name: no Latin letter or digit follows (a Korean particle may:
#: ``sweep.json에는``, where ``\b`` sees no boundary, Hangul being word characters)
_END = r"(?![A-Za-z0-9_])"
#: a dotted parameter path such as ``facility.pue`` or ``prices.tariff_krw_per_kwh`` (a
#: module named in a note, ``aifab.perf``, is not one)
DOTTED = re.compile(r"\b(?!aifab\.)[a-z][a-z_]*\.(?!" + _FILES
                    + _END + r")[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)*\b")
#: a snake_case name such as ``facility_mw`` or ``gpu_memory``
SNAKE = re.compile(r"\b[a-z][a-z0-9]*_[a-z0-9_]+\b")
#: a decimal number (with optional thousands separators)
FLOAT = re.compile(r"(?<![\d.])\d[\d,]*\.\d+(?![\d.])")
NAN = re.compile(r"\bNaN\b|\bnan\b")
#: what is not prose: paths, file names, hyphenated ids (run folders, scenario names), URLs
_IDS = re.compile(r"\S*[/\\]\S*|\b[\w-]+(?:\+[\w-]+)+\b|\b\w+(?:-\w+)+\b|"
                  r"\b[A-Za-z]+\d\w*\b|\b[\w.]+\." + _FILES + _END + r"|https?://\S+")
_WORD = re.compile(r"[A-Za-z][A-Za-z]{2,}")
#: names and acronyms that stay as they are in Korean (proper names, units, products)
KEEP = frozenset({
    "aifab", "PUE", "GPU", "GPUs", "NPU", "NPUs", "TWh", "MWh", "KRW", "USD", "UTC", "IT",
    "CO2", "Sobol", "SALib", "Jain", "FuriosaAI", "RNGD", "Blackwell", "NVIDIA", "Plotly",
    "plotly", "OAT", "LHS", "Llama", "Young", "Daly", "PyPSA", "Earth",
    "Language", "English",  # the bilingual language switch ("Language / 언어", "English")
})


def significant_digits(number: str) -> int:
    """Significant digits of a decimal written like ``14,025.4493844`` (12)."""
    digits = number.replace(",", "").replace(".", "").lstrip("0")
    return len(digits)


def text_problems(text: str, lang: str = "en", names: Iterable[str] = ()) -> list[str]:
    """Everything on a page's text that a planner should not see: raw dotted parameter
    paths, snake_case names, floats with more than 4 significant digits, "NaN", and, in
    Korean, English words that are not names (``names``: owners, places, tenants...)."""
    out: list[str] = []
    for m in DOTTED.finditer(text):
        out.append(f"raw parameter path {m.group()!r}")
    for m in SNAKE.finditer(text):
        out.append(f"snake_case name {m.group()!r}")
    for m in FLOAT.finditer(text):
        if significant_digits(m.group()) > 4:
            out.append(f"long float {m.group()!r}")
    if NAN.search(text):
        out.append("NaN")
    if lang == "ko":
        keep = set(KEEP) | {w for n in names for w in _WORD.findall(str(n))}
        prose = _IDS.sub(" ", text)
        for w in sorted(set(_WORD.findall(prose))):
            if w not in keep and not w.isupper():
                out.append(f"untranslated {w!r}")
    return out


__all__ = ["text_problems"]
