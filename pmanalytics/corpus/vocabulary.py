"""The closed vocabularies of docs/corpus.md, with their English and French aliases.

Every lookup goes through :func:`fold`, so matching ignores case, accents, emoji,
surrounding punctuation and a leading section number ("3.", "2)"), in any script.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Letters and digits of every script are kept (`\w` is Unicode-aware); the rest is a separator.
_LEADING_SYMBOLS = re.compile(r"^[\W_]+")  # emoji, bullets, spaces before a number
_LEADING_NUMBER = re.compile(r"^\s*\d+(?:\.\d+)*\s*[.)]?\s*")
_NOT_WORD = re.compile(r"[^\w'’ ]+")
_NOT_WORD_CHAR = re.compile(r"[^\w'’ ]")
_SPACES = re.compile(r"\s+")
# the accents of Latin letters: combining marks after an ASCII letter, once decomposed
_LATIN_ACCENTS = re.compile(r"(?<=[\x00-\x7f])[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+")


@lru_cache(maxsize=8192)  # headings, statuses and types repeat from file to file
def fold(text: str) -> str:
    """Case-fold, strip accents and symbols, drop a leading number: the key for every alias.

    Letters of every script stay whole: "ネットワーク", "データベース" and "сеть" are keys of
    their own. Only the accents of Latin letters go ("Réseau" and "reseau" are one key);
    the marks of other scripts are part of their letters (й is not и, デ is not テ).
    """
    if text.isascii():
        lowered = _LEADING_NUMBER.sub("", _LEADING_SYMBOLS.sub("", text.lower().replace("_", " ").replace("-", " ")))
        return _SPACES.sub(" ", _NOT_WORD.sub(" ", lowered)).strip()
    stripped = _LATIN_ACCENTS.sub("", unicodedata.normalize("NFKD", text))
    lowered = unicodedata.normalize("NFC", stripped).casefold()
    lowered = lowered.replace("’", "'").replace("_", " ").replace("-", " ")
    lowered = _LEADING_NUMBER.sub("", _LEADING_SYMBOLS.sub("", lowered))
    lowered = _NOT_WORD_CHAR.sub(_separator_or_mark, lowered)
    return _SPACES.sub(" ", lowered).strip()


def _separator_or_mark(match: re.Match[str]) -> str:
    """A combining mark stays (a vowel sign of Devanagari is part of its word); anything else separates."""
    return match[0] if unicodedata.category(match[0]).startswith("M") else " "


def _index(table: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Map every folded alias (and the canonical name itself) to its canonical name."""
    index: dict[str, str] = {}
    for canonical, aliases in table.items():
        for alias in (canonical, *aliases):
            index[fold(alias)] = canonical
    return index


SEVERITIES = ("S1", "S2", "S3", "S4")
_SEVERITY = re.compile(r"^(?:s|sev|p)?\s*-?\s*([1-4])$")


def severity(value: object) -> str | None:
    """`S1`, `SEV1`, `SEV-1`, `Sev 1`, `P1` or the integer 1 → "S1"; None when not understood."""
    if isinstance(value, bool):
        return None
    text = str(value).strip().lower()
    match = _SEVERITY.match(text)
    return f"S{match.group(1)}" if match else None


STATUSES = ("draft", "review", "published")
PUBLISHED_TO = ("internal", "external")

ROOT_CAUSE_CATEGORIES: dict[str, tuple[str, ...]] = {
    "config": ("configuration",),
    "deployment": ("déploiement", "mise en production"),
    "software": ("logiciel", "bug"),
    "capacity": ("capacité", "saturation"),
    "dependency": ("dépendance",),
    "infrastructure": ("infrastructure", "réseau", "matériel"),
    "data": ("données",),
    "security": ("sécurité",),
    "monitoring": ("supervision", "alerting"),
    "communication": ("communication",),
    "process": ("processus", "organisation"),
    "tech-debt": ("dette technique", "dette"),
}
OTHER_CATEGORY = "other"
HUMAN_ERROR_ALIASES = frozenset(fold(a) for a in ("human-error", "erreur humaine", "human error"))
CATEGORY_INDEX = _index(ROOT_CAUSE_CATEGORIES)

SECTIONS: dict[str, tuple[str, ...]] = {
    "context": (
        "Contexte et impact", "Contexte", "Impact", "Context and impact", "Context",
        "Summary", "Résumé",
    ),
    "timeline": ("Timeline", "Timeline précise", "Chronologie", "Déroulé"),
    "root_causes": (
        "Analyse des causes profondes", "Causes profondes", "Causes racines",
        "Root cause analysis", "Root causes", "Contributing factors", "Facteurs contributifs",
    ),
    "actions": (
        "Actions correctives", "Plan d'action", "Corrective actions", "Action items",
        "Remediation",
    ),
    "lessons": ("Enseignements", "Leçons apprises", "Lessons learned", "Lessons"),
    "follow_up": ("Suivi", "Follow-up", "Follow up"),
}
SECTION_INDEX = _index(SECTIONS)
FRENCH_HEADINGS = frozenset(
    fold(h)
    for h in (
        "Contexte et impact", "Contexte", "Résumé", "Timeline précise", "Chronologie",
        "Déroulé", "Analyse des causes profondes", "Causes profondes", "Causes racines",
        "Facteurs contributifs", "Actions correctives", "Plan d'action", "Enseignements",
        "Leçons apprises", "Suivi",
    )
)

ACTION_COLUMNS: dict[str, tuple[str, ...]] = {
    "action": ("Action", "Action item", "Description", "Tâche"),
    "id": ("ID", "Ref", "Ticket", "Bug", "Issue"),
    "type": ("Type", "Horizon"),
    "owner": ("Owner", "Responsable", "Porteur"),
    "due": ("Due", "Due date", "Échéance", "Date limite"),
    "status": ("Status", "Statut", "État"),
    "closed": ("Closed", "Closed at", "Done at", "Clos le", "Terminé le"),
}
ACTION_COLUMN_INDEX = _index(ACTION_COLUMNS)

ACTION_TYPES: dict[str, tuple[str, ...]] = {
    "short": ("short-term", "short term", "court terme", "hotfix", "immédiat", "mitigate", "atténuer"),
    "long": ("long-term", "long term", "long terme", "prévention", "prevent", "prévenir"),
}
ACTION_TYPE_INDEX = _index(ACTION_TYPES)

ACTION_STATUSES: dict[str, tuple[str, ...]] = {
    "open": ("ouvert", "à faire", "todo", "to do"),
    "in_progress": ("en cours", "in progress"),
    "done": ("fait", "terminé", "clos", "closed"),
    "cancelled": ("annulé", "won't do", "canceled"),
}
ACTION_STATUS_INDEX = _index(ACTION_STATUSES)
UNKNOWN_STATUS = "unknown"

LESSON_KINDS: dict[str, tuple[str, ...]] = {
    "went_well": ("What went well", "Ce qui a bien fonctionné"),
    "went_wrong": ("What went wrong", "Ce qui a manqué", "Ce qui n'a pas fonctionné"),
    "lucky": ("Where we got lucky", "Où nous avons eu de la chance"),
}
LESSON_KIND_INDEX = _index(LESSON_KINDS)

TRUE_WORDS = frozenset({"true", "yes", "y", "oui", "1", "on"})
FALSE_WORDS = frozenset({"false", "no", "n", "non", "0", "off", ""})
