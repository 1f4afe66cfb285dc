"""Blameless-language checks: sentences that blame people instead of describing systems.

A postmortem culture is blameless: it fixes systems, never people. This module finds the
sentences of a postmortem (English or French) that slip into blame, and offers the author
a systemic rewording, in the language of the sentence. It never changes the postmortem.

- `find_blame(text, names=..., lang=...)` checks one text and returns `Finding`s;
- `participant_names(extra_json, sections)` reads the people who took part in the review
  (front-matter `participants`/`attendees` key, or a "Participants" section);
- `blameless_findings(...)` checks every text of the loaded postmortems (DataFrame in,
  DataFrame out), with a `sentence_redacted` column safe for leadership reports;
- `flagged_share(findings, postmortems)` is the share of postmortems flagged per quarter.

Text handling: the text is split into sentences (paragraph sentences, list items, table
cells and headings each on their own); fenced code blocks are skipped and inline code is
never matched. Matching ignores case and accents (``Négligence`` = ``negligence``), and
every `Finding.offset` points at `Finding.sentence` inside the text
(``text[offset:offset + len(sentence)] == sentence``).

The rules are data, in `blameless_rules.toml` next to this module: each rule's wordings as
regular expressions with their prefilter needles, its systemic rewording in English and
French, and the word lists that tell a person from a system. docs/blameless.md is generated
from that file and explains each rule, how a subject is read and the accepted limits. This
module is the engine: sentences, subjects and objects, and the policies that decide whether
a match is blame (`_applies`).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from pmanalytics.corpus.document import decode, split_front_matter
from pmanalytics.corpus.fields import Rejection
from pmanalytics.corpus.markdown import FENCE, HEADING, ITEM, QUOTE, ROW, TEXT, cell_spans, classify, scan, task
from pmanalytics.corpus.vocabulary import fold
from pmanalytics.lint import blameless_rules
from pmanalytics.lint.blameless_rules import RulePattern

__all__ = [
    "SUGGESTIONS",
    "Finding",
    "blameless_findings",
    "find_blame",
    "flagged_share",
    "participant_names",
]


@dataclass(frozen=True)
class Finding:
    """One sentence that blames a person, the rule it broke and a systemic rewording."""

    sentence: str
    rule: str
    suggestion: str
    offset: int


_DATA = blameless_rules.load()
SUGGESTIONS: dict[str, dict[str, str]] = {rule.id: rule.suggestion for rule in _DATA.rules}

RULES = tuple(SUGGESTIONS)


def _words(*groups: str) -> frozenset[str]:
    return frozenset(word for group in groups for word in group.split())


# --- folding that keeps offsets ---------------------------------------------------------

_APOSTROPHES = "’‘ʼ´"


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    if ch in _APOSTROPHES:
        return "'"
    base = [c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)]
    if not base:
        return ch
    lowered = base[0].lower()
    return lowered[0] if lowered else ch


class _FoldTable(dict[int, str]):
    """`str.translate` table folding each character as `_fold_char` does, filled on first sight."""

    def __missing__(self, code: int) -> str:
        folded = self[code] = _fold_char(chr(code))
        return folded


_FOLD_TABLE = _FoldTable()


def _fold_same_length(text: str) -> str:
    """Lower case without accents, one character for one: offsets stay valid."""
    if text.isascii():  # most text, and `lower` keeps the length of ASCII
        return text.lower()
    return text.translate(_FOLD_TABLE)


# --- sentences ---------------------------------------------------------------------------

_BACKTICKS = re.compile(r"`+")
# A run of end marks is matched once, from its first mark, and never backtracked into
# (`++`, `*+`): a long run not followed by a space would otherwise be rescanned from each of
# its marks, which takes time quadratic in its length.
# The first mark is matched before the look behind, so that `re` skips the text to the next mark
# instead of trying the look behind at every character.
_SENTENCE_END = re.compile(r"[.!?…](?<![.!?…]{2})[.!?…]*+[\"'»”’)\]]*+(?=\s+(\S))")
_DOTTED = re.compile(r"(?:\w\.)+\w")  # i.e, a.s.a.p
_ABBREVIATIONS = _words("e.g eg i.e ie etc vs cf mr mrs ms dr m mme mlle st no approx fig ex resp incl sr jr prof",
                        "p pp al")


def _blocks(text: str) -> Iterator[tuple[int, int]]:
    """Spans of paragraphs, list items, table cells and headings, outside code fences.

    A quoted line (`> …`) is read as the line it quotes; a fence inside a quote is text.
    """
    block: list[int] | None = None  # [start, end]
    next_start = 0
    for kind, _, line, _, _, content in scan(text):
        start, next_start = next_start, text.find("\n", next_start) + 1
        end = start + len(line)
        if kind == QUOTE:
            quoted, _, _, inner = classify(content)
            kind, content = (TEXT, content) if quoted == FENCE else (quoted, inner)
        if kind == TEXT:
            if block:
                block[1] = end
            else:
                block = [end - len(content), end]
            continue
        if block:
            yield block[0], block[1]
            block = None
        if kind == ITEM:
            block = [end - len(task(content)[1]), end]
        elif kind == HEADING:
            yield end - len(content), end
        elif kind == ROW:
            row_start = end - len(content)
            for cell_start, cell_end in cell_spans(content):
                yield row_start + cell_start, row_start + cell_end
    if block:
        yield block[0], block[1]


def _sentences(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each sentence: stripped, with at least one letter."""
    for block_start, block_end in _blocks(text):
        yield from _block_sentences(text, block_start, block_end)


def _block_sentences(text: str, block_start: int, block_end: int) -> list[tuple[int, int]]:
    """The sentences of one block (`_blocks`): a sentence never runs over two blocks."""
    segment = text[block_start:block_end]
    ends = [end.end() for end in _SENTENCE_END.finditer(segment)
            if not (end.group(1).islower() or _is_abbreviation(segment, end.start()))]
    sentences = []
    cut = 0
    for end in (*ends, len(segment)):
        piece = segment[cut:end]
        kept = piece.strip()  # `strip` drops what `str.isspace` calls space
        if any(map(str.isalpha, kept)):
            start = block_start + cut + len(piece) - len(piece.lstrip())
            sentences.append((start, start + len(kept)))
        cut = end
    return sentences


def _is_abbreviation(segment: str, dot: int) -> bool:
    if segment[dot] != ".":
        return False
    start = _word_start(segment, dot)
    if start == dot:
        return False
    token = _fold_same_length(segment[start:dot]).strip(".")
    return (len(token) == 1 and token.isalpha()) or token in _ABBREVIATIONS or _DOTTED.fullmatch(token) is not None


def _word_start(segment: str, end: int) -> int:
    """Where the run of word characters (`\\w`: alphanumeric or "_") and dots that ends at `end`
    starts (looked at backwards, so that each sentence end costs the length of its last word, not
    of the text before it)."""
    start = end
    while start > 0 and ((char := segment[start - 1]) == "." or char == "_" or char.isalnum()):
        start -= 1
    return start


def _match_text(folded: str) -> str:
    """The folded sentence with inline code blanked: what the patterns see.

    `folded` is the sentence's slice of the folded text: folding is one character for one, so
    folding the text once and slicing it gives each sentence folded.
    """
    if "`" not in folded:
        return folded
    pieces, kept = [], 0
    for start, end in _code_spans(folded):
        pieces += [folded[kept:start], " " * (end - start)]
        kept = end
    return "".join([*pieces, folded[kept:]])


def _code_spans(text: str) -> list[tuple[int, int]]:
    """Inline code: a run of backticks up to the next run of the same length, if any.

    Each run is paired with the next one of its length found in one backwards pass, so
    that text with many unpaired runs takes linear time (a regular expression would look
    for the closing run from each of them).
    """
    runs = [(m.start(), m.end()) for m in _BACKTICKS.finditer(text)]
    following: dict[int, int] = {}
    closer: list[int | None] = [None] * len(runs)
    for index in range(len(runs) - 1, -1, -1):
        start, end = runs[index]
        closer[index] = following.get(end - start)
        following[end - start] = index
    spans = []
    index = 0
    while index < len(runs):
        match = closer[index]
        if match is None:
            index += 1
            continue
        spans.append((runs[index][0], runs[match][1]))
        index = match + 1
    return spans


# --- words --------------------------------------------------------------------------------


# the word lists of blameless_rules.toml, each described there
_PERSON_WORDS = _DATA.word_set("person")
_FAULT_NOUNS = _DATA.word_set("fault_nouns")
_MODIFIER_ROLES = _DATA.word_set("modifier_roles")
_COLLECTIVE = _DATA.word_set("collective")
_SUBJECT_PRONOUNS = _DATA.word_set("subject_pronouns")
_NEGATED_SUBJECTS = _DATA.word_set("negated_subjects")
_IMPERSONAL = _DATA.word_set("impersonal")
_SYSTEM_WORDS = _DATA.word_set("system")
_PRODUCTS = _DATA.word_set("products")
_NOT_NAMES = _PRODUCTS | _DATA.word_set("not_names")
_FIRST_NAMES = _DATA.word_set("first_names")
_DETERMINERS = _DATA.word_set("determiners")
_PREPOSITIONS = _DATA.word_set("prepositions")
_CLAUSE_WORDS = _DATA.word_set("clause_words")
_RELATIVE = _DATA.word_set("relative")
_SKIP_BEFORE_VERB = _DATA.word_set("skip_before_verb")
_NEGATIONS = _DATA.word_set("negations")
_FR_WORDS = _DATA.word_set("french_hints")
_EN_WORDS = _DATA.word_set("english_hints")

_REACH = 160  # characters looked at around a match for its subject, object or excuse
_TOKEN = re.compile(r"\w(?:[\w'.-]*\w)?'?")
_ELISION = re.compile(r"^(?:l|d|j|qu|s|n|m|t|c|lorsqu|puisqu)'")
_CLAUSE_PUNCT = re.compile(r"[,;:()\[\]!?\"«»“”—–|]|\s-\s|\.\s")
_INITIALS = re.compile(r"^(?:[A-Z]\.-?\s?){1,3}[A-Z]\.?$")


def _bare(token: str) -> str:
    """A folded token without elision (l'operateur → operateur) or possessive ('s)."""
    token = _ELISION.sub("", token)
    if token.endswith("'s"):
        token = token[:-2]
    return token.rstrip("'.")


def _singular(word: str) -> str:
    if len(word) > 3 and word.endswith(("s", "x")) and not word.endswith("ss"):
        return word[:-1]
    return word


def _in(word: str, words: frozenset[str]) -> bool:
    return word in words or _singular(word) in words


def _title_case(original: str) -> bool:
    """John, Jean-Pierre, O'Brien, Hélène: capitalised, the rest lower case."""
    parts = [p for p in re.split(r"[-'’]", original) if p]
    return bool(parts) and all(p[:1].isupper() and (p[1:].islower() or not p[1:]) and p.isalpha() for p in parts)


def _clean_original(original: str) -> str:
    original = _ELISION.sub("", original.replace("’", "'"))
    return original[:-2] if original.endswith("'s") else original.rstrip("'")


def _name_like(token: _Token, before: _Token | None = None) -> tuple[tuple[int, int], ...]:
    """Spans of a person's name ending at `token`, or () when it does not look like one.

    Initials (J.D.), a capitalised common first name (John, Hélène), or a capitalised
    word right after one (the surname in "John Smith"). Capitalisation alone is not
    enough: products and clusters (Riak, Hellman, Firefox) are capitalised too.
    """
    original = _clean_original(token.original)
    if _INITIALS.match(original) and "." in original:
        return ((token.start, token.end),)
    if not _title_case(original):
        return ()
    if _bare(token.folded) in _FIRST_NAMES:
        return ((token.start, token.end),)
    if before is not None and _title_case(_clean_original(before.original)) and before.word in _FIRST_NAMES:
        return ((before.start, before.end), (token.start, token.end))
    return ()


@dataclass(frozen=True)
class _Token:
    folded: str
    original: str
    start: int
    end: int

    @property
    def word(self) -> str:
        return _bare(self.folded)


def _tokens(folded: str, sentence: str, start: int = 0, end: int | None = None) -> list[_Token]:
    end = len(folded) if end is None else end
    return [_Token(m.group(0), sentence[m.start():m.end()], m.start(), m.end())
            for m in _TOKEN.finditer(folded, start, end)]


@dataclass(frozen=True)
class _Phrase:
    kind: str  # person, collective, system, negated, unknown
    names: tuple[tuple[int, int], ...] = ()  # spans of name-like words, in sentence offsets


def _classify(token: _Token, name_words: frozenset[str], before: _Token | None = None,
              *, as_object: bool = False) -> _Phrase:
    word = token.word
    if not word:
        return _Phrase("unknown")
    if word in _COLLECTIVE and not as_object:
        return _Phrase("collective")
    personne_is_nobody = word == "personne" and not as_object and (before is None or before.word not in _DETERMINERS)
    no_one = word == "one" and before is not None and before.word == "no"
    if word in _NEGATED_SUBJECTS or personne_is_nobody or no_one:
        return _Phrase("negated")
    if as_object and word in _SUBJECT_PRONOUNS:  # "due to I/O issues"
        return _Phrase("unknown")
    if word in name_words:
        return _Phrase("person", ((token.start, token.end),))
    if _in(word, _PERSON_WORDS):
        # a role inside a proper name ("the DropletWorkflow Manager", "Cluster Operator") is a thing
        proper_compound = before is not None and not _in(before.word, _PERSON_WORDS) \
            and before.word not in _FIRST_NAMES and (before.word in _PRODUCTS or (
                _title_case(token.original) and before.original[:1].isupper()))
        return _Phrase("system" if proper_compound else "person")
    if word in _IMPERSONAL or _in(word, _SYSTEM_WORDS) or _in(word, _NOT_NAMES):
        return _Phrase("system")
    spans = _name_like(token, before)
    if spans:
        return _Phrase("person", spans)
    return _Phrase("unknown")


def _subject(folded: str, sentence: str, verb_start: int, name_words: frozenset[str]) -> _Phrase:
    """The kind of the noun phrase just before `verb_start`, in its clause."""
    prefix_start = max(0, verb_start - _REACH)
    for punct in _CLAUSE_PUNCT.finditer(folded, prefix_start, verb_start):
        prefix_start = punct.end()
    tokens = _tokens(folded, sentence, prefix_start, verb_start)
    negated = False
    while tokens and (tokens[-1].folded in _SKIP_BEFORE_VERB or tokens[-1].folded in _NEGATIONS
                      or tokens[-1].folded.endswith("n't")):
        negated = negated or tokens[-1].folded in _NEGATIONS or tokens[-1].folded.endswith("n't")
        tokens.pop()
    for index in range(len(tokens) - 1, -1, -1):
        word = tokens[index].folded
        if word in _RELATIVE:
            # "the engineer who forgot": the antecedent; "what we forgot": the clause's own subject
            tokens = tokens[:index] if index == len(tokens) - 1 else tokens[index + 1:]
            break
        if word in _CLAUSE_WORDS:
            tokens = tokens[index + 1:]
            break
    if negated:
        return _Phrase("negated")
    # the head: the last word before the first preposition (the alert *for* the on-call engineer)
    for index, token in enumerate(tokens):
        if index > 0 and (token.folded in _PREPOSITIONS or token.folded.startswith("d'")):
            tokens = tokens[:index]
            break
    if not tokens:
        return _Phrase("unknown")
    names = [(t.start, t.end) for t in tokens if t.word in name_words]
    head = _classify(tokens[-1], name_words, tokens[-2] if len(tokens) > 1 else None)
    if head.kind == "unknown" and names:
        return _Phrase("person", tuple(names))
    return head


def _object(folded: str, sentence: str, start: int, name_words: frozenset[str], *, french: bool) -> _Phrase:
    """Is the short noun phrase starting at `start` (fault of …, à cause de …) a person?"""
    stop = min(len(folded), start + _REACH)
    punct = _CLAUSE_PUNCT.search(folded, start, stop)
    if punct:
        stop = punct.start()
    tokens = _tokens(folded, sentence, start, stop)
    while tokens and (tokens[0].folded in _DETERMINERS
                      or (tokens[0].word in _DETERMINERS and tokens[0].word != tokens[0].folded)):
        tokens.pop(0)
    phrase: list[_Token] = []
    for token in tokens[:4]:
        if phrase and (token.folded in _PREPOSITIONS or token.folded in _CLAUSE_WORDS
                       or token.folded in _RELATIVE or token.folded.startswith("d'")):
            break
        phrase.append(token)
    names: list[tuple[int, int]] = []
    person = False
    for index, token in enumerate(phrase):
        before = phrase[index - 1] if index else None
        found = _classify(token, name_words, before, as_object=True)
        if found.kind != "person":
            continue
        last = index == len(phrase) - 1
        possessive = token.folded.endswith("'s")
        following = phrase[index + 1] if not last else None
        if possessive and not (following is None or following.word in _FAULT_NOUNS):
            continue  # "due to the operator's decision to roll back" is not blame; "John's typo" is
        following_person = following is not None and _classify(following, name_words, token,
                                                                as_object=True).kind == "person"
        if token.word in _MODIFIER_ROLES and not french and not (last or possessive or following_person):
            continue  # "the on-call rotation": a modifier, not the person
        if token.word not in name_words and found.names and not (last or possessive or following_person):
            continue  # "due to Riak write timeouts"-like: a capitalised word modifying a thing
        person = True
        names.extend(found.names)
    return _Phrase("person" if person else "unknown", tuple(names))


def _language(folded: str, default: str | None) -> str:
    words = [_t.group(0) for _t in _TOKEN.finditer(folded)]
    elided = sum(1 for w in words if _ELISION.match(w))
    french = elided + sum(1 for w in words if w in _FR_WORDS)
    english = sum(1 for w in words if w in _EN_WORDS)
    if french != english:
        return "fr" if french > english else "en"
    return default if default in ("en", "fr") else "en"


# --- rules --------------------------------------------------------------------------------

_EXCUSE_BEFORE = _DATA.excuse_before
_EXCUSE_AFTER = _DATA.excuse_after
_WINDOW_WORDS = 4
_PERSON_VERB_KNOWN = _DATA.hindsight_verbs
_RULES: tuple[RulePattern, ...] = tuple(pattern for rule in _DATA.rules for pattern in rule.patterns)

# The prefilter. Each pattern declares `needles` in blameless_rules.toml, words every match of it
# holds. They are looked for once in the whole folded text (`_Marks`): a text without any needle,
# participant's name or inline code is not even split into blocks, a block without any is not split
# into sentences, and a pattern runs only on the sentences that hold one of its own needles. Most
# blocks hold none: a quarter of 100,000 postmortems took 30 s to scan with every pattern run on
# every sentence, 10 s with the needles looked for sentence by sentence.
_NEEDLES = tuple(sorted({needle for rule in _RULES for needle in rule.needles}))


def _factored(words: Iterable[str]) -> str:
    """An alternation of `words` with their common prefixes factored out ("d(?:id|ue)"): `re` tries
    each branch at each position of the text, and fewer branches make the prefilter twice as fast."""
    by_first: dict[str, list[str]] = {}
    for word in sorted(set(words)):
        by_first.setdefault(word[0], []).append(word[1:])
    branches = []
    for first, tails in by_first.items():
        if len(tails) == 1:
            branches.append(re.escape(first + tails[0]))
        else:
            optional = "?" if "" in tails else ""
            branches.append(f"{re.escape(first)}(?:{_factored(tail for tail in tails if tail)}){optional}")
    return "|".join(branches)


_ANY_NEEDLE = re.compile(_factored(_NEEDLES))


def _may_start_inside(found: str, needle: str) -> bool:
    """Whether an occurrence of `needle` can start inside one of `found` (at its first character or
    after), as "ignored" where "ignore" is, or "should" inside "pas" (in "pashould")."""
    return any(found[shift:shift + len(needle)] == needle[:len(found) - shift] for shift in range(len(found)))


@lru_cache(maxsize=1024)
def _needles_near(found: frozenset[str]) -> tuple[str, ...]:
    """The needles that may be where `finditer` found these ones: its matches do not overlap, so
    any needle in a text starts inside one of its matches."""
    return tuple(needle for needle in _NEEDLES if any(_may_start_inside(seen, needle) for seen in found))


def _patterns_for(folded: str, found: Iterable[str]) -> tuple[RulePattern, ...]:
    """The patterns that may match the folded sentence, in rule order: those with a needle in it.

    `found` are the needles of the text's matches that overlap the sentence (`_Marks.needles`):
    the needles of the sentence are among those near them."""
    return _patterns_with(frozenset(filter(folded.__contains__, _needles_near(frozenset(found)))))


@lru_cache(maxsize=1024)
def _patterns_with(needles: frozenset[str]) -> tuple[RulePattern, ...]:
    return tuple(rule for rule in _RULES if not needles.isdisjoint(rule.needles))


def _excused(folded: str, start: int, end: int) -> bool:
    prefix = folded[max(0, start - _REACH):start]
    cut = 0
    for punct in _CLAUSE_PUNCT.finditer(prefix):
        cut = punct.end()
    window = " ".join(prefix[cut:].split()[-_WINDOW_WORDS:])
    return bool(_EXCUSE_BEFORE.search(window)) or bool(_EXCUSE_AFTER.match(folded[end:end + _REACH]))


def _applies(rule: RulePattern, match: re.Match[str], folded: str, sentence: str,
             name_words: frozenset[str]) -> _Phrase | None:
    """The phrase that makes the match blame (its name spans), or None when it is not blame.

    Policies: "any" (blame unless excused by a negation or prevention word), "object" (the
    phrase after the match is a person), "faute" (French "faute de", see `_faute`),
    "possessor" / "person" (the subject is a person), "not-system" (the subject is a person
    or unknown).
    """
    if rule.policy == "any":
        return None if _excused(folded, match.start(), match.end()) else _Phrase("person")
    if rule.policy == "object":
        if _excused(folded, match.start(), match.end()):
            return None
        target = _object(folded, sentence, match.end(), name_words, french=rule.lang == "fr")
        return target if target.kind == "person" else None
    if rule.policy == "faute":
        return None if _excused(folded, match.start(), match.end()) else _faute(match, folded, sentence, name_words)
    subject = _subject(folded, sentence, match.start(), name_words)
    if rule.policy == "possessor":
        return subject if subject.kind == "person" else None
    if rule.policy == "not-system":
        return subject if subject.kind in ("person", "unknown") else None
    # person: "should have known" tolerates an unknown subject (hindsight with any subject)
    if rule.rule == "should-have" and subject.kind == "unknown" \
            and _PERSON_VERB_KNOWN.match(folded, _skip_space(folded, match.end())):
        return subject
    return subject if subject.kind == "person" else None


_LA_SA = re.compile(r"\b(?:la|sa)\s+$")  # "c'est la faute de", "par sa faute de"
_DEFINITE = re.compile(r"(?:l'|la\s|le\s|les\s|cet\s|cette\s|ce\s|son\s|sa\s|ses\s|leurs?\s|notre\s|votre\s)")


def _faute(match: re.Match[str], folded: str, sentence: str, name_words: frozenset[str]) -> _Phrase | None:
    """French "faute de": blame in "la faute de l'opérateur", "lack of" in "faute de temps".

    After "la/sa faute de" (c'est la faute de, par la faute de) any person or role is blame;
    after a bare "faute de" only a name or a definite determiner + person ("faute du
    développeur", "faute de l'opérateur"): "faute d'astreinte", "faute d'un développeur
    disponible" mean "for lack of".
    """
    target = _object(folded, sentence, match.end(), name_words, french=True)
    if target.kind != "person":
        return None
    if match.group("prep") == "a" or _LA_SA.search(folded, max(0, match.start() - 8), match.start()):
        return target
    definite = match.group("prep") in ("du", "des") or _DEFINITE.match(folded, match.end())
    return target if definite or target.names else None


def _skip_space(text: str, index: int) -> int:
    while index < len(text) and text[index].isspace():
        index += 1
    return index


# --- find_blame ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Names:
    """People's names as the sentences are searched for them, compiled once per list of names."""

    patterns: tuple[re.Pattern[str], ...]  # each name, folded, as whole words; the longest first
    anywhere: re.Pattern[str] | None  # any of them, word boundaries aside: the prefilter
    words: frozenset[str]  # their words, to tell a named subject or object


@lru_cache(maxsize=256)
def _compiled_names(names: tuple[str, ...]) -> _Names:
    """`names` as `_scan` gets them; cached, since every text of a postmortem names the same people."""
    bodies = _name_bodies(names)
    return _Names(tuple(re.compile(rf"(?<!\w){body}(?!\w)") for body in bodies),
                  re.compile("|".join(bodies)) if bodies else None, _name_words(names))


def _name_bodies(names: Iterable[str]) -> list[str]:
    """Each name as a regular expression of its folded words, the longest name first."""
    bodies = []
    seen: set[str] = set()
    for name in sorted({str(n).strip() for n in names if n and str(n).strip()}, key=len, reverse=True):
        folded = _fold_same_length(name)
        if folded in seen or not any(ch.isalnum() for ch in folded):
            continue
        seen.add(folded)
        bodies.append(r"\s+".join(re.escape(part) for part in folded.split()))
    return bodies


def _name_words(names: Iterable[str]) -> frozenset[str]:
    words = set()
    for name in names:
        for word in _fold_same_length(str(name)).split():
            word = word.strip(".,")
            if len(word) >= 2:
                words.add(word)
    return frozenset(words)


def _name_spans(folded: str, names: _Names) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    if names.anywhere is None or names.anywhere.search(folded) is None:
        return spans
    for pattern in names.patterns:
        for m in pattern.finditer(folded):
            if not any(s < m.end() and m.start() < e for s, e in spans):
                spans.append((m.start(), m.end()))
    return sorted(spans)


def _is_bare_mention(folded: str, spans: list[tuple[int, int]]) -> bool:
    """Only names (and a parenthesis): an owner cell or a list of people, not a statement."""
    rest = list(folded)
    for start, end in spans:
        rest[start:end] = " " * (end - start)
    remainder = re.sub(r"\([^)]*\)", " ", "".join(rest))
    return not any(ch.isalpha() for ch in remainder)


@dataclass(frozen=True)
class _Hit:
    finding: Finding
    names: tuple[tuple[int, int], ...]  # spans in the sentence to redact


def _sentences_to_read(text: str, marks: _Marks) -> Iterator[tuple[int, int]]:
    """The sentences of `text` that may hold a finding: those with a needle of the rules, a name or
    inline code (`marks`). Most blocks hold none, and are not even split into sentences."""
    if not marks:
        return
    for block_start, block_end in _blocks(text):
        if marks.within(block_start, block_end):
            for start, end in _block_sentences(text, block_start, block_end):
                if marks.within(start, end):
                    yield start, end


class _Marks:
    """Where a folded text holds needles of the rules, names or inline code (blanking it may bring
    words together), found once for the whole text: the spans without any hold no finding.

    `finditer` reports matches that do not overlap, but every needle or name of the text starts
    inside a match it reports: a span of text that holds one overlaps a span here.
    """

    def __init__(self, folded: str, names: re.Pattern[str] | None) -> None:
        self._folded = folded
        self._needles = [match.span() for match in _ANY_NEEDLE.finditer(folded)]  # in order, apart
        self._needle_ends = [end for _, end in self._needles]
        others = [match.span() for match in _BACKTICKS.finditer(folded)] if "`" in folded else []
        if names is not None:
            others += [match.span() for match in names.finditer(folded)]
        self._others: list[tuple[int, int]] = []  # the spans others cover, in order, apart
        for start, end in sorted(others):
            if self._others and start <= self._others[-1][1]:
                self._others[-1] = (self._others[-1][0], max(self._others[-1][1], end))
            else:
                self._others.append((start, end))
        self._other_ends = [end for _, end in self._others]

    def __bool__(self) -> bool:
        return bool(self._needles or self._others)

    def within(self, start: int, end: int) -> bool:
        """Whether a needle, a name or inline code overlaps [start, end)."""
        return _overlaps(self._needles, self._needle_ends, start, end) or (
            bool(self._others) and _overlaps(self._others, self._other_ends, start, end))

    def needles(self, start: int, end: int) -> Iterator[str]:
        """The needles of the matches that overlap [start, end)."""
        index = bisect_right(self._needle_ends, start)
        while index < len(self._needles) and self._needles[index][0] < end:
            found_start, found_end = self._needles[index]
            yield self._folded[found_start:found_end]
            index += 1


def _overlaps(spans: list[tuple[int, int]], ends: list[int], start: int, end: int) -> bool:
    """Whether one of `spans` (in order, apart; `ends` their ends) overlaps [start, end)."""
    index = bisect_right(ends, start)
    return index < len(spans) and spans[index][0] < end


def _names(names: Iterable[Any]) -> _Names:
    """People's names (blank ones left out) compiled for `_scan`."""
    return _compiled_names(tuple(str(n) for n in names if n and str(n).strip()))


def _scan(text: str, known: _Names, lang: str | None, *, named_person: bool = True) -> list[_Hit]:
    name_words = known.words
    folded_text = _fold_same_length(text)
    hits: list[_Hit] = []
    marks = _Marks(folded_text, known.anywhere if named_person else None)
    for start, end in _sentences_to_read(text, marks):
        sentence = text[start:end]
        folded = _match_text(folded_text[start:end])
        name_spans = _name_spans(folded, known)
        found: dict[str, set[tuple[int, int]]] = {}
        for rule in _patterns_for(folded, marks.needles(start, end)):
            if rule.rule in found:
                continue
            for match in rule.pattern.finditer(folded):
                phrase = _applies(rule, match, folded, sentence, name_words)
                if phrase is not None:
                    found[rule.rule] = set(phrase.names)
                    if rule.lang:
                        found.setdefault("_lang_" + rule.lang, set())
                    break
        if named_person and name_spans and not _is_bare_mention(folded, name_spans):
            found["named-person"] = set()
        if not found:
            continue
        language = _language(folded, lang)
        rule_lang = next((key[6:] for key in found if key.startswith("_lang_")), None)
        for rule_id in RULES:
            if rule_id not in found:
                continue
            wording = language if rule_id == "named-person" else (rule_lang or language)
            suggestion = SUGGESTIONS[rule_id][wording]
            spans = tuple(sorted(set(name_spans) | found[rule_id]))
            hits.append(_Hit(Finding(sentence, rule_id, suggestion, start), spans))
    return hits


def find_blame(text: str, *, names: Iterable[str] = (), lang: str | None = None) -> list[Finding]:
    """The sentences of `text` that blame people, one `Finding` per sentence and rule.

    `names` are people's names (participants of the review): a sentence naming one of
    them, as a whole word, is a `named-person` finding. `lang` ("en"/"fr") is the
    language assumed for suggestions when a sentence does not tell by itself.
    """
    if not isinstance(text, str) or not text:
        return []
    return [hit.finding for hit in _scan(text, _names(names), lang)]


def _redact(sentence: str, spans: Iterable[tuple[int, int]]) -> str:
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out, last = [], 0
    for start, end in merged:
        out.append(sentence[last:start])
        out.append("[name]")
        last = end
    out.append(sentence[last:])
    return "".join(out)


# --- participants --------------------------------------------------------------------------

_PARTICIPANT_KEYS = frozenset(_DATA.participant_keys)
_PARTICIPANT_HEADINGS = _PARTICIPANT_KEYS
# sections that list people: their names are not "named-person" findings
_PEOPLE_HEADINGS = _PARTICIPANT_KEYS | frozenset(_DATA.listing_headings)
_PARTICLES = _DATA.word_set("name_particles")
_NOT_PERSON_WORDS = _DATA.word_set("not_person_words")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_EMAIL = re.compile(r"<[^>]*>|\S+@\S+")
_NAME_WORD = re.compile(r"^[^\W\d_][^\W\d_]*(?:[-'’][^\W\d_]+)*$")
_INITIAL_WORD = re.compile(r"^(?:[A-Z]\.-?)+$")


def _looks_like_name(candidate: str) -> bool:
    """2–4 capitalised words (particles allowed between), or initials such as "J.D."."""
    candidate = candidate.strip()
    compact = candidate.replace(" ", "")
    if _INITIAL_WORD.match(compact) and compact.count(".") >= 2:
        return True
    words = candidate.split()
    if not 2 <= len(words) <= 6:
        return False
    proper = 0
    titled = False
    for index, word in enumerate(words):
        folded = _fold_same_length(word).strip(".")
        if folded in _NOT_PERSON_WORDS:
            return False
        if 0 < index < len(words) - 1 and folded in _PARTICLES and word.islower():
            continue
        if _INITIAL_WORD.match(word):
            proper += 1
            continue
        if not _NAME_WORD.match(word):
            return False
        if word.isupper() and len(word) >= 2:
            proper += 1
            continue
        pieces = re.split(r"[-'’]", word)
        if all(p[:1].isupper() and (p[1:].islower() or not p[1:]) for p in pieces if p):
            proper += 1
            titled = True
            continue
        return False
    return 2 <= proper <= 4 and titled


def _name_candidates(item: str) -> Iterator[str]:
    text = _LINK.sub(r"\1", item)
    text = _EMAIL.sub(" ", text)
    text = re.sub(r"[*_`]+", "", text)
    text = re.sub(r"\([^)]*\)", ",", text)
    for part in re.split(r"[,;:/|—–]|\s-\s|\s+(?:and|et|&)\s+", text):
        part = part.strip(" \t\"'«»")
        if len(part) > 1 and part.endswith(".") and part[-2].islower():
            part = part[:-1]  # "Alice Martin." at the end of a sentence, not "J.D."
        if part:
            yield part


def _from_value(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield from _name_candidates(value)
    elif isinstance(value, dict):
        for key in ("name", "nom", "who", "qui", "full_name"):
            if isinstance(value.get(key), str):
                yield from _name_candidates(value[key])
                return
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _from_value(item)


def participant_names(extra_json: str | None, sections: Iterable[tuple[str, str]]) -> list[str]:
    """People named as review participants, in order, each once.

    From a front-matter key `participants`, `attendees`, `participants à la revue` or
    `présents` (a list, a list of {name: …}, or a comma-separated string) found in
    `extra_json`, and from the bullet items of a section headed Participants, Attendees,
    Participants à la revue or Présents (`sections` are (heading, body) pairs). Only
    items that look like a person's name are kept (2–4 capitalised words, or initials
    such as "J.D."): "sre", "payments" or "Incident Commander" are dropped.
    """
    candidates: list[str] = []
    if isinstance(extra_json, str) and extra_json.strip():
        try:
            extra = json.loads(extra_json)
        except ValueError:
            extra = None
        if isinstance(extra, dict):
            for key, value in extra.items():
                if fold(str(key)) in _PARTICIPANT_KEYS:
                    candidates.extend(_from_value(value))
    for heading, body in sections or ():
        if not isinstance(heading, str) or fold(heading) not in _PARTICIPANT_HEADINGS or not isinstance(body, str):
            continue
        for kind, _, _, _, _, content in scan(body):
            if kind == ITEM:
                candidates.extend(_name_candidates(task(content)[1]))
    names: list[str] = []
    seen: set[str] = set()
    for candidate in candidates:
        clean = " ".join(candidate.split())
        key = _fold_same_length(clean).replace(" ", "")
        if key not in seen and _looks_like_name(clean):
            seen.add(key)
            names.append(clean)
    return names


# Name parts that are also common words: never matched on their own.
_COMMON_NAME_PARTS = _DATA.word_set("common_name_parts")


def _name_variants(names: Iterable[str]) -> list[str]:
    """Full names, plus each first name / surname that is not also a common word."""
    variants: list[str] = []
    for name in names:
        variants.append(name)
        words = name.split()
        if len(words) < 2:
            continue
        for word in words:
            folded = _fold_same_length(word).strip(".")
            if len(folded) >= 3 and "." not in word and folded not in _COMMON_NAME_PARTS \
                    and folded not in _PARTICLES and folded not in _NOT_NAMES:
                variants.append(word)
    unique: dict[str, str] = {}  # the first spelling of each folded form, in order
    for variant in variants:
        unique.setdefault(_fold_same_length(variant), variant)
    return list(unique.values())


# --- DataFrames ------------------------------------------------------------------------------

FINDING_COLUMNS = ["postmortem_id", "source_path", "line", "where", "rule", "sentence", "suggestion",
                   "sentence_redacted"]


def _value(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, (str, int)):  # most values, and never missing (a quick answer)
        return value
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return value


def _int(value: Any) -> int | None:
    value = _value(value)
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _records(frame: pd.DataFrame | None, columns: tuple[str, ...]) -> list[tuple[Any, ...]]:
    """The rows of `frame`, in order, as tuples of its `columns` (None for a column it lacks).

    Read a column at a time: `to_dict("records")` boxes each value of each column, time stamps
    never read included, and took a third of the time of a scan."""
    if frame is None or len(frame) == 0:
        return []
    values = [frame[name].tolist() if name in frame.columns else [None] * len(frame) for name in columns]
    return list(zip(*values, strict=True))


def _rows(frame: pd.DataFrame | None, columns: tuple[str, ...],
          key: str = "postmortem_id") -> dict[Any, list[tuple[Any, ...]]]:
    """`_records` of `frame` by `key`, each postmortem's in `position` order."""
    grouped: dict[Any, list[tuple[Any, ...]]] = {}
    if frame is None or len(frame) == 0 or key not in frame.columns:
        return grouped
    if "position" in frame.columns:  # sorted without the columns not read
        frame = frame[[name for name in dict.fromkeys((key, "position", *columns)) if name in frame.columns]]
        frame = frame.sort_values("position", kind="mergesort")
    for value, row in zip(frame[key].tolist(), _records(frame, columns), strict=True):
        grouped.setdefault(value, []).append(row)
    return grouped


def blameless_findings(
    postmortems: pd.DataFrame,
    sections: pd.DataFrame,
    root_causes: pd.DataFrame,
    timeline: pd.DataFrame,
    lessons: pd.DataFrame,
    *,
    corpus: str | Path | None = None,
) -> pd.DataFrame:
    """Every blaming sentence of the postmortems, with where it is and a systemic rewording.

    Checks each postmortem's title, free-text front-matter keys kept in `extra_json`
    (summary, description, résumé, impact, abstract), body sections, root-cause summaries
    (and a `human-error` category), timeline events and lessons. Participants' names (see
    `participant_names`; also their first names and surnames when those are not common
    words) are `named-person` findings everywhere except in the participants section itself.

    Columns: postmortem_id, source_path, line (the section's `source_line` plus the line
    inside its body, the event's `source_line`, or None when unknown; best effort: the
    stored body has lost the blank lines right after its heading, so such a section's lines
    come out that many lines early; a text of the front matter — title, free-text key, root
    cause — gets the line where the sentence is written when `corpus`, the folder the
    `source_path`s are relative to, is given, else None), where ("title", "front matter: summary",
    "section: <heading>", "root cause summary", "root cause category", "timeline event",
    "lesson (<kind>)"), rule, sentence, suggestion, and sentence_redacted (the sentence
    with participants' names, and name-like subjects of blame, replaced by "[name]": the
    column for leadership reports). Sorted by source_path, then line (unknown lines last).
    A timeline event or lesson already found in its section is reported once.
    """
    section_rows = _rows(sections, ("heading", "body", "source_line"))
    cause_rows = _rows(root_causes, ("is_human_error", "category_as_written", "summary"))
    event_rows = _rows(timeline, ("description", "source_line"))
    lesson_rows = _rows(lessons, ("text", "kind"))
    records: list[dict[str, Any]] = []
    for pm_id, path, lang, extra_json, title in _records(
            postmortems, ("postmortem_id", "source_path", "lang", "extra_json", "title")):
        path, lang, extra_json, title = _value(path), _value(lang), _value(extra_json), _value(title)
        pm_sections = section_rows.get(pm_id, [])
        people = participant_names(extra_json, [(str(_value(heading) or ""), str(_value(body) or ""))
                                                for heading, body, _ in pm_sections])
        variants = _names(_name_variants(people))
        own: list[dict[str, Any]] = []
        front = _FrontMatterLines(corpus, path)

        def add(where: str, line: int | None, hit: _Hit, pm_id: Any = pm_id, path: Any = path,
                own: list[dict[str, Any]] = own, front: _FrontMatterLines = front) -> None:
            finding = hit.finding
            if line is None and (where in _FRONT_MATTER_PLACES or where.startswith("front matter: ")):
                line = front.line_of(finding.sentence)
            own.append({
                "postmortem_id": pm_id, "source_path": path, "line": line, "where": where,
                "rule": finding.rule, "sentence": finding.sentence, "suggestion": finding.suggestion,
                "sentence_redacted": _redact(finding.sentence, hit.names),
            })

        if isinstance(title, str):
            for hit in _scan(title, variants, lang):
                add("title", None, hit)
        for key, text in _front_matter_texts(extra_json):
            for hit in _scan(text, variants, lang):
                add(f"front matter: {key}", None, hit)
        for heading_as_stored, body, source_line in pm_sections:
            body = _value(body)
            heading = str(_value(heading_as_stored) or "")
            if not isinstance(body, str):
                continue
            first = _int(source_line)
            listing = fold(heading) in _PEOPLE_HEADINGS
            for hit in _scan(body, variants, lang, named_person=not listing):
                line = None if first is None else first + 1 + body.count("\n", 0, hit.finding.offset)
                add(f"section: {heading}", line, hit)
        in_sections = list(own)
        for is_human_error, category_as_written, summary in cause_rows.get(pm_id, []):
            if bool(_value(is_human_error)):
                written = str(_value(category_as_written) or "human-error")
                language = "fr" if "erreur" in _fold_same_length(written) else (lang or "en")
                hit = _Hit(Finding(written, "human-error", SUGGESTIONS["human-error"][language], 0), ())
                add("root cause category", None, hit)
            summary = _value(summary)
            if isinstance(summary, str):
                for hit in _scan(summary, variants, lang):
                    add("root cause summary", None, hit)
        for description, source_line in event_rows.get(pm_id, []):
            text, line = _value(description), _int(source_line)
            if isinstance(text, str):
                for hit in _scan(text, variants, lang):
                    if not _already(in_sections, hit, line):
                        add("timeline event", line, hit)
        for lesson_text, lesson_kind in lesson_rows.get(pm_id, []):
            text, kind = _value(lesson_text), _value(lesson_kind)
            if isinstance(text, str):
                for hit in _scan(text, variants, lang):
                    if not _already(in_sections, hit, None):
                        add(f"lesson ({kind})" if kind else "lesson", None, hit)
        records.extend(own)
    frame = pd.DataFrame(records, columns=FINDING_COLUMNS)
    frame["line"] = pd.Series([_int(v) for v in frame["line"]], index=frame.index, dtype=object)
    if frame.empty:
        return frame
    paths, lines = frame["source_path"].tolist(), frame["line"].tolist()
    order = sorted(range(len(frame)), key=lambda i: (str(paths[i] or ""), lines[i] is None, lines[i] or 0, i))
    return frame.iloc[order].reset_index(drop=True)


_TEXT_KEYS = _DATA.word_set("front_matter_texts")
_FRONT_MATTER_PLACES = ("title", "root cause summary", "root cause category")


class _FrontMatterLines:
    """Where a sentence of a postmortem's front matter is written: the file is read on the first
    question only, and a file that cannot be read (gone, changed) answers None."""

    def __init__(self, corpus: str | Path | None, path: Any) -> None:
        self._corpus = corpus
        self._path = path
        self._lines: list[str] | None = None

    def line_of(self, sentence: str) -> int | None:
        """The first front-matter line holding the sentence's first words (the first four, else
        fewer: a long value may be folded over several lines), numbered in the file."""
        lines = self._read()
        words = sentence.split()
        for count in (4, 2, 1):
            start = " ".join(words[:count])
            for number, line in enumerate(lines, start=2):  # line 1 is the opening '---'
                if start and start in " ".join(line.split()):
                    return number
        return None

    def _read(self) -> list[str]:
        if self._lines is None:
            self._lines = []
            if self._corpus is not None and isinstance(self._path, str):
                try:
                    front, _, _ = split_front_matter(decode((Path(self._corpus) / self._path).read_bytes()))
                except (OSError, Rejection):
                    return self._lines
                self._lines = front.split("\n")
        return self._lines


def _front_matter_texts(extra_json: Any) -> Iterator[tuple[str, str]]:
    """Free-text front-matter keys kept in `extra_json` (summary, description, résumé…)."""
    if not isinstance(extra_json, str):
        return
    try:
        extra = json.loads(extra_json)
    except ValueError:
        return
    if isinstance(extra, dict):
        for key, value in extra.items():
            if isinstance(value, str) and fold(str(key)) in _TEXT_KEYS:
                yield str(key), value


def _already(found: list[dict[str, Any]], hit: _Hit, line: int | None) -> bool:
    """A timeline event or lesson already reported from its section (same rule and text)."""
    text = " ".join(hit.finding.sentence.split())
    for record in found:
        if record["rule"] != hit.finding.rule:
            continue
        if line is not None and record["line"] == line:
            return True
        if text and text in " ".join(str(record["sentence"]).split()):
            return True
    return False


_FREQUENCIES = {"quarter": "Q", "month": "M", "year": "Y"}


def _wall_clock(value: Any, tz: str | dt.tzinfo | None) -> pd.Timestamp | None:
    value = _value(value)
    if value is None:
        return None
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError):
        return None
    if stamp is pd.NaT:
        return None
    if stamp.tzinfo is not None:
        if tz is not None:
            stamp = stamp.tz_convert(tz)
        stamp = stamp.tz_localize(None)
    return stamp


def flagged_share(
    findings: pd.DataFrame,
    postmortems: pd.DataFrame,
    by: str = "quarter",
    *,
    tz: str | dt.tzinfo | None = None,
    fill_gaps: bool = True,
) -> pd.DataFrame:
    """Share of postmortems with at least one finding, per calendar period of `started_at`.

    `by` is "quarter" (labels "2026Q1"), "month" ("2026-03") or "year" ("2026"). Periods
    run from the first to the last with a postmortem, gaps included (0 postmortems, share
    None) unless `fill_gaps` is false. `started_at` is read in its own time zone, or converted to `tz` when given (pass
    the corpus time zone: the database returns UTC). Postmortems without `started_at` are
    left out. Columns: period, postmortems, flagged, share (a float, or None).
    """
    if by not in _FREQUENCIES:
        raise ValueError(f"by must be one of {', '.join(_FREQUENCIES)}, not {by!r}")
    columns = ["period", "postmortems", "flagged", "share"]
    if postmortems is None or postmortems.empty:
        return pd.DataFrame(columns=columns)
    flagged_ids = set() if findings is None or findings.empty else set(findings["postmortem_id"])
    freq = _FREQUENCIES[by]
    periods: dict[pd.Period, set[Any]] = {}
    for pm_id, started in zip(postmortems["postmortem_id"], postmortems["started_at"], strict=True):
        stamp = _wall_clock(started, tz)
        if stamp is not None:
            periods.setdefault(stamp.to_period(freq), set()).add(pm_id)
    if not periods:
        return pd.DataFrame(columns=columns)
    rows = []
    span = pd.period_range(min(periods), max(periods), freq=freq) if fill_gaps else sorted(periods)
    for period in span:
        ids = periods.get(period, set())
        flagged = len(ids & flagged_ids)
        rows.append({"period": str(period), "postmortems": len(ids), "flagged": flagged,
                     "share": flagged / len(ids) if ids else None})
    frame = pd.DataFrame(rows, columns=columns)
    frame["share"] = pd.Series([row["share"] for row in rows], dtype=object)
    return frame
