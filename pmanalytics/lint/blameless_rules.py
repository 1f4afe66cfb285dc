"""The blameless-language rules as data: `blameless_rules.toml`, read once, checked, documented.

`pmanalytics.lint.blameless` is the engine (sentences, subjects, policies); this module gives
it the rules (wordings, regular expressions, prefilter needles, rewordings, word lists) from the
data file shipped with the package, and writes docs/blameless.md from the same data:

    python -m pmanalytics.lint.blameless_rules > docs/blameless.md

(tests/test_docs.py fails when the page is stale).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pmanalytics.rulefiles import RulesError, entry, read_rules

SOURCE = "pmanalytics/lint/blameless_rules.toml"
# the policies `blameless._applies` implements; each pattern names one
POLICIES = ("any", "person", "not-system", "possessor", "object", "faute")
# rules the engine reports by itself (a participant's name; a root cause filed as human error)
ENGINE_RULES = ("named-person", "human-error")
_LANGS = {"en": "en", "fr": "fr", "both": None}


@dataclass(frozen=True)
class RulePattern:
    """One regular expression of a rule, the language of its wording, and when a match is blame."""

    rule: str
    pattern: re.Pattern[str]
    lang: str | None  # None: the word is shared by English and French
    policy: str
    needles: tuple[str, ...]  # one of these is in every text `pattern` matches


@dataclass(frozen=True)
class Rule:
    id: str
    matches: dict[str, str]  # what it matches, described, per language
    blame_when: str
    example: dict[str, str]
    suggestion: dict[str, str]  # the systemic rewording, per language
    patterns: tuple[RulePattern, ...]


@dataclass(frozen=True)
class WordList:
    name: str
    about: str
    words: tuple[str, ...]  # as written, in file order


@dataclass(frozen=True)
class Rules:
    rules: tuple[Rule, ...]
    policies: dict[str, str]
    excuse_before: re.Pattern[str]
    excuse_after: re.Pattern[str]
    hindsight_verbs: re.Pattern[str]
    words: dict[str, WordList]
    participant_keys: tuple[str, ...]  # front-matter keys and headings, folded
    listing_headings: tuple[str, ...]  # other sections that list people, folded
    doc: dict[str, Any]

    def word_set(self, name: str) -> frozenset[str]:
        if name not in self.words:
            raise RulesError(f"{SOURCE}: [words.{name}] is missing")
        return frozenset(self.words[name].words)


def load() -> Rules:
    """The rules of the data file shipped with the package."""
    return parse(read_rules("pmanalytics.lint", "blameless_rules.toml"))


def parse(table: dict[str, Any], source: str = SOURCE) -> Rules:
    """Check and compile a rules table (as `tomllib` reads it); `RulesError` names what to fix."""
    policies = entry(table, "policies", dict, source)
    if set(policies) != set(POLICIES):
        raise RulesError(f"{source}: [policies] must describe exactly {', '.join(POLICIES)}")
    rules = tuple(_rule(item, source) for item in entry(table, "rules", list, source))
    ids = [rule.id for rule in rules]
    if len(set(ids)) != len(ids):
        raise RulesError(f"{source}: two [[rules]] have the same id")
    for needed in ENGINE_RULES:
        if needed not in ids:
            raise RulesError(f"{source}: the rule {needed} is missing (the engine reports it by itself)")
    doc = entry(table, "doc", dict, source)
    for key, kind in (("reading", str), ("subject", str), ("limits", list)):
        entry(doc, key, kind, f"{source}: [doc]")
    excuses = entry(table, "excuses", dict, source)
    participants = entry(table, "participants", dict, source)
    return Rules(
        rules=rules,
        policies=policies,
        excuse_before=_regex(excuses, "before", f"{source}: [excuses]"),
        excuse_after=_regex(excuses, "after", f"{source}: [excuses]"),
        hindsight_verbs=_regex(entry(table, "hindsight", dict, source), "verbs", f"{source}: [hindsight]"),
        words={name: _word_list(name, value, f"{source}: [words.{name}]")
               for name, value in entry(table, "words", dict, source).items()},
        participant_keys=tuple(entry(participants, "keys", list, f"{source}: [participants]")),
        listing_headings=tuple(entry(participants, "listing_headings", list, f"{source}: [participants]")),
        doc=doc,
    )


def _rule(item: dict[str, Any], source: str) -> Rule:
    rule_id = entry(item, "id", str, f"{source}: [[rules]]")
    where = f"{source}: rule {rule_id}"
    texts = {key: _both_languages(item, key, where) for key in ("matches", "example", "suggestion")}
    patterns = tuple(_pattern(rule_id, raw, f"{where}, pattern {index}")
                     for index, raw in enumerate(item.get("patterns", []), start=1))
    return Rule(rule_id, texts["matches"], entry(item, "blame_when", str, where), texts["example"],
                texts["suggestion"], patterns)


def _both_languages(item: dict[str, Any], key: str, where: str) -> dict[str, str]:
    value = entry(item, key, dict, where)
    for lang in ("en", "fr"):
        entry(value, lang, str, f"{where}, {key}")
    return {"en": value["en"], "fr": value["fr"]}


def _pattern(rule_id: str, raw: dict[str, Any], where: str) -> RulePattern:
    lang = entry(raw, "lang", str, where)
    policy = entry(raw, "policy", str, where)
    if lang not in _LANGS:
        raise RulesError(f"{where}: lang {lang!r} must be one of {', '.join(_LANGS)}")
    if policy not in POLICIES:
        raise RulesError(f"{where}: policy {policy!r} must be one of {', '.join(POLICIES)}")
    needles = tuple(entry(raw, "needles", list, where))
    for needle in needles:
        if not isinstance(needle, str) or len(needle) < 2 or needle != needle.lower() or not needle.isascii():
            raise RulesError(f"{where}: needle {needle!r} must be folded text (lower case, no accents), "
                             "two characters or more")
    return RulePattern(rule_id, _regex(raw, "regex", where), _LANGS[lang], policy, needles)


def _regex(table: dict[str, Any], key: str, where: str) -> re.Pattern[str]:
    written = entry(table, key, str, where)
    try:
        return re.compile(written)
    except re.error as exc:
        raise RulesError(f"{where}: `{key}` is not a valid regular expression ({exc})") from exc


def _word_list(name: str, value: Any, where: str) -> WordList:
    if not isinstance(value, dict):
        raise RulesError(f"{where}: must be a table with `about` and `words`")
    words = tuple(entry(value, "words", str, where).split())
    for word in words:
        if not (word.isascii() and word == word.lower()):
            raise RulesError(f"{where}: {word!r} must be written folded (lower case, no accents)")
    return WordList(name, entry(value, "about", str, where), words)


# --- docs/blameless.md ----------------------------------------------------------------------------


def markdown(rules: Rules | None = None) -> str:
    """docs/blameless.md: what is read, each rule in English and French, the limits, then the
    patterns, policies and word lists behind them."""
    rules = rules or load()
    doc = rules.doc
    lines = [
        "# Blameless language", "",
        f"Generated from `{SOURCE}` (`python -m pmanalytics.lint.blameless_rules > docs/blameless.md`):",
        "edit the data file, then regenerate this page.", "",
        "`pmanalytics check --blameless` and the quality section of the reports point at the sentences of a",
        "postmortem that blame a person instead of describing the system, and offer a systemic rewording in the",
        "language of the sentence. The postmortems themselves are never changed.", "",
        "## How sentences are read", "", _md(doc["reading"]), "", _md(doc["subject"]), "",
        "## The rules", "",
    ]
    for rule in rules.rules:
        lines += [
            f"### `{rule.id}`", "",
            f"- Matches, in English: {_md(rule.matches['en'])}",
            f"- In French: {_md(rule.matches['fr'])}",
            f"- Blame when: {_md(rule.blame_when)}",
            f"- Examples: \"{rule.example['en']}\" / \"{rule.example['fr']}\"",
            f"- Suggested rewording: {rule.suggestion['en']}",
            f"- Reformulation proposée : {rule.suggestion['fr']}", "",
        ]
    lines += ["## Accepted limits", "", "Judgement calls, chosen to keep false positives low:", ""]
    lines += [f"- {_md(limit)}" for limit in doc["limits"]]
    lines += ["", *_patterns_markdown(rules), *_words_markdown(rules)]
    return "\n".join(lines)


def _md(text: str) -> str:
    """Prose for Markdown: `<person>` is a placeholder, not an HTML tag."""
    return text.replace("<", "\\<")


def _patterns_markdown(rules: Rules) -> list[str]:
    lines = [
        "## Patterns", "",
        "Each rule runs its regular expressions on the sentence folded to lower case without accents. The",
        "policy says which words around a match make it blame; the needles are the prefilter: a sentence that",
        "holds no needle of any pattern is not run through the rules.", "",
        "| policy | a match is blame when |", "|---|---|",
        *(f"| `{name}` | {text} |" for name, text in rules.policies.items()), "",
    ]
    for rule in rules.rules:
        if not rule.patterns:
            continue
        lines += [f"### `{rule.id}`", ""]
        for item in rule.patterns:
            needles = ", ".join(f"`{n}`" for n in item.needles)
            lines.append(f"- `{item.pattern.pattern}` ({item.lang or 'en, fr'}; policy `{item.policy}`; "
                         f"needles {needles})")
        lines.append("")
    lines += [
        "### Excuses", "",
        f"- before a match (among the last four words of its clause): `{rules.excuse_before.pattern}`",
        f"- right after a match: `{rules.excuse_after.pattern}`",
        f"- verbs after \"should have\" that tolerate an unknown subject: `{rules.hindsight_verbs.pattern}`", "",
    ]
    return lines


def _words_markdown(rules: Rules) -> list[str]:
    lines = ["## Word lists", "", "Written folded (lower case, no accents), as the sentences are matched.", ""]
    for item in rules.words.values():
        lines += [f"### {item.name.replace('_', ' ')}", "", item.about, "", ", ".join(item.words), ""]
    lines += [
        "### participants", "",
        "Front-matter keys and section headings that list the people who took part in the review: "
        + ", ".join(rules.participant_keys) + ". Sections that list people too (their names are not "
        "`named-person` findings): " + ", ".join(rules.listing_headings) + ".", "",
    ]
    return lines


if __name__ == "__main__":
    print(markdown(), end="")
