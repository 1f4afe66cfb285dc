"""Tests of pmanalytics.lint.blameless: blame language in English and French postmortems."""

from __future__ import annotations

import dataclasses
import json
import tomllib
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pmanalytics.ingest.pipeline import check_blameless
from pmanalytics.lint import blameless, blameless_rules
from pmanalytics.lint.blameless import (
    SUGGESTIONS,
    Finding,
    blameless_findings,
    find_blame,
    flagged_share,
    participant_names,
)
from pmanalytics.rulefiles import RulesError


def rules(text: str, **kwargs: object) -> list[str]:
    return [f.rule for f in find_blame(text, **kwargs)]  # type: ignore[arg-type]


# --- each rule: positive and negative examples, in both languages -------------------------

POSITIVE = [
    # human-error
    ("human-error", "Root cause: human error.", "en"),
    ("human-error", "An operator error deleted the volume.", "en"),
    ("human-error", "La cause racine est une Erreur Humaine.", "fr"),
    ("human-error", "C'était une erreur de l'opérateur.", "fr"),
    ("human-error", "L'ingénieur a commis une erreur en copiant la commande.", "fr"),
    # forgot
    ("forgot", "John forgot to renew the certificate.", "en"),
    ("forgot", "The on-call engineer forgot the canary.", "en"),
    ("forgot", "Jean a oublié de redémarrer le service.", "fr"),
    ("forgot", "Les développeurs ont oublié la migration.", "fr"),
    ("forgot", "Un oubli de mise à jour du certificat.", "fr"),
    # should-have
    ("should-have", "The engineer should have known better.", "en"),
    ("should-have", "The on-call engineer should have checked the dashboard.", "en"),
    ("should-have", "L'opérateur aurait dû vérifier la configuration.", "fr"),
    ("should-have", "Les développeurs auraient dû tester la migration.", "fr"),
    # negligence
    ("negligence", "The outage was caused by negligence.", "en"),
    ("negligence", "A negligent change reached production.", "en"),
    ("negligence", "Une négligence de l'équipe a causé la panne.", "fr"),
    ("negligence", "Un déploiement NEGLIGENT en production.", "fr"),
    # careless
    ("careless", "A careless edit broke the config.", "en"),
    ("careless", "Carelessness during the migration dropped the table.", "en"),
    ("careless", "Un manque d'attention a provoqué la suppression.", "fr"),
    ("careless", "La panne vient d'une inattention lors de la mise en production.", "fr"),
    # fault-of
    ("fault-of", "It was John's fault.", "en"),
    ("fault-of", "This was the fault of the operator.", "en"),
    ("fault-of", "C'est la faute de l'opérateur.", "fr"),
    ("fault-of", "Par la faute de Jean, la base est tombée.", "fr"),
    ("fault-of", "La base est tombée, faute du développeur.", "fr"),
    # blame
    ("blame", "The team blamed the developer.", "en"),
    ("blame", "The outage happened because of John.", "en"),
    ("blame", "The table was dropped because of the on-call engineer's typo.", "en"),
    ("blame", "Il ne faut pas le blâmer mais il a été blâmé.", "fr"),
    ("blame", "La panne est arrivée à cause de Jean.", "fr"),
    ("blame", "La panne est arrivée à cause de l'opérateur.", "fr"),
    # failed-to
    ("failed-to", "John failed to acknowledge the page.", "en"),
    ("failed-to", "The on-call engineer ignored the alert.", "en"),
    ("failed-to", "L'opérateur n'a pas suivi la procédure.", "fr"),
    ("failed-to", "Marie n'a pas vérifié le tableau de bord.", "fr"),
]

NEGATIVE = [
    # human-error
    "We automated the step to reduce the risk of human error.",
    "This was not human error: the tool allowed the command.",
    "L'erreur humaine n'est pas une cause racine.",
    "Le script évite les erreurs humaines.",
    # forgot
    "What we forgot to monitor was the queue depth.",
    "The step was forgotten in the runbook.",
    "The script forgot to release the lock.",
    "Nobody forgot anything.",
    "No one forgot the canary this time.",
    "Personne n'a oublié l'étape.",
    "Ce que nous avons oublié de superviser : la file d'attente.",
    "L'étape a été oubliée dans la procédure.",
    "Ne pas oublier de purger le cache.",
    # should-have
    "The alert should have fired at 09:15.",
    "L'alerte aurait dû se déclencher.",
    "Il aurait dû y avoir une alerte.",
    "Le train aurait du retard.",
    # negligence
    "Negligible impact on latency.",
    "Impact négligeable sur la latence.",
    # careless
    "The interface made a careful review hard.",
    "La vigilance de l'astreinte a permis de détecter la panne.",
    # fault-of
    "A disk fault triggered the failover.",
    "Fault injection is part of our tests.",
    "Faute de temps, le test de charge n'a pas été fait.",
    "Faute de moyens, la supervision couvre seulement l'API publique.",
    "Faute d'astreinte le week-end, personne n'a vu l'alerte.",
    "Faute d'un développeur disponible, le correctif a attendu lundi.",
    # blame
    "We do not blame individuals.",
    "A blameless review was held.",
    "Use git blame to find the commit.",
    "La panne est arrivée à cause de la mise à jour.",
    "Due to the operator's decision to roll back, the impact was limited.",
    "The page went unanswered because of the on-call rotation gap.",
    "The outage happened because of a config change.",
    "Requests timed out due to Riak write timeouts.",
    # failed-to
    "The alert failed to fire.",
    "The deploy failed to complete.",
    "Hellman failed to schedule the pods.",
    "L'alerte n'a pas su détecter la panne.",
    "The alert was ignored by the pager rules.",
    "The Kubernetes operator failed to reconcile the resource.",
    "Developers should not have to remember to run the linter.",
]


@pytest.mark.parametrize(("rule", "text", "lang"), POSITIVE)
def test_rule_finds_blame(rule: str, text: str, lang: str) -> None:
    findings = [f for f in find_blame(text) if f.rule == rule]
    assert findings, f"{rule} not found in {text!r}"
    assert findings[0].suggestion == SUGGESTIONS[rule][lang]
    assert findings[0].sentence == text
    assert findings[0].offset == 0


@pytest.mark.parametrize("text", NEGATIVE)
def test_no_blame_in_systemic_wording(text: str) -> None:
    assert find_blame(text) == []


def test_every_rule_has_both_positive_languages() -> None:
    covered = {(rule, lang) for rule, _, lang in POSITIVE}
    for rule in SUGGESTIONS:
        if rule != "named-person":
            assert {(rule, "en"), (rule, "fr")} <= covered


def test_finding_is_a_frozen_dataclass() -> None:
    finding = find_blame("Root cause: human error.")[0]
    assert isinstance(finding, Finding)
    assert [f.name for f in dataclasses.fields(Finding)] == ["sentence", "rule", "suggestion", "offset"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        finding.rule = "other"  # type: ignore[misc]


def test_case_and_accent_insensitive() -> None:
    assert rules("HUMAN ERROR again.") == ["human-error"]
    assert rules("Erreur humaine.") == rules("erreur HUMAINE.") == rules("erreur humaine.") == ["human-error"]
    assert rules("C'est la faute de l’opérateur.") == ["fault-of"]  # typographic apostrophe
    assert rules("Une negligence de l'equipe.") == ["negligence"]


# --- sentences ----------------------------------------------------------------------------

DOC = """Intro paragraph. John forgot to run `human error check`. Then e.g. Mr. Smith
continued on the next line.

```
human error inside a code block
```

- 09:12 — the operator should have known
- second item

| Time | Text |
|---|---|
| 09:15 | human error |
"""


def test_sentences_list_items_and_cells_with_offsets() -> None:
    findings = find_blame(DOC)
    assert [(f.rule, f.sentence) for f in findings] == [
        ("forgot", "John forgot to run `human error check`."),
        ("should-have", "09:12 — the operator should have known"),
        ("human-error", "human error"),
    ]
    for f in findings:
        assert DOC[f.offset:f.offset + len(f.sentence)] == f.sentence


def test_code_is_ignored() -> None:
    assert find_blame("Run `git blame` or `human error` here.") == []
    assert find_blame("```\nJohn forgot to deploy\n```\n") == []
    assert find_blame("~~~python\nhuman error\n~~~\nAll good.") == []


def test_one_finding_per_rule_and_sentence_in_order() -> None:
    text = "Human error and human error. John forgot; John forgot again."
    assert [(f.rule, f.offset) for f in find_blame(text)] == [("human-error", 0), ("forgot", 29)]


def test_lang_breaks_ties_for_shared_words() -> None:
    assert find_blame("Négligence.", lang="fr")[0].suggestion == SUGGESTIONS["negligence"]["fr"]
    assert find_blame("Négligence.")[0].suggestion == SUGGESTIONS["negligence"]["en"]
    assert find_blame("Une négligence.", lang="en")[0].suggestion == SUGGESTIONS["negligence"]["fr"]


# --- names --------------------------------------------------------------------------------


def test_named_person_whole_word_case_insensitive() -> None:
    names = ["Alice Martin", "Hélène Petit"]
    assert rules("Alice Martin restarted the primary.", names=names) == ["named-person"]
    assert rules("alice martin was paged.", names=names) == ["named-person"]
    assert rules("Helene Petit a relancé la base.", names=names) == ["named-person"]
    assert rules("Alice Martinez restarted the primary.", names=names) == []
    assert rules("| Alice Martin |", names=names) == []  # a bare name (an owner cell) is not a statement
    both = find_blame("Alice Martin forgot to page.", names=names)
    assert [f.rule for f in both] == ["forgot", "named-person"]
    assert both[1].suggestion == SUGGESTIONS["named-person"]["en"]
    assert find_blame("Hélène Petit a relancé la base.", names=names)[0].suggestion == \
        SUGGESTIONS["named-person"]["fr"]


def test_participant_names_from_front_matter() -> None:
    extra = json.dumps({
        "participants": ["Alice Martin (IC)", "sre", "payments", "J.D.", "Incident Commander: Bob Stone"],
        "attendees": "Jean DUPONT, Marie-Claire de La Fontaine; ops",
        "summary": "Not Names Here",
    })
    assert participant_names(extra, []) == [
        "Alice Martin", "J.D.", "Bob Stone", "Jean DUPONT", "Marie-Claire de La Fontaine"]
    assert participant_names(json.dumps({"participants_à_la_revue": [{"name": "Paul Durand", "role": "SRE"}]}),
                             []) == ["Paul Durand"]
    assert participant_names(None, []) == []
    assert participant_names("not json", []) == []


def test_participant_names_from_a_section() -> None:
    sections = [
        ("Contexte", "- Zoé Bright a été prévenue"),
        ("Participants à la revue", "- Hélène Petit (SRE)\n- équipe payments\n- **Paul Durand**, rédacteur\n"
                                    "* J. D.\n1. Site Reliability\nAlice Martin is not a bullet"),
        ("Attendees", "- Alice Martin\n- Hélène Petit\n- platform"),
    ]
    assert participant_names(None, sections) == ["Hélène Petit", "Paul Durand", "J. D.", "Alice Martin"]


# --- findings DataFrame ------------------------------------------------------------------

POSTMORTEMS = pd.DataFrame({
    "postmortem_id": ["PM-2", "PM-1", "PM-3"],
    "title": ["Panne du paiement", "Checkout outage: human error", "Quiet quarter"],
    "source_path": ["b/PM-2.fr.md", "a/PM-1.md", "c/PM-3.md"],
    "lang": ["fr", "en", "en"],
    "extra_json": [None, json.dumps({"participants": ["Alice Martin", "Bob Stone", "sre"]}), None],
    "started_at": pd.to_datetime(["2026-02-10T10:00:00Z", "2026-03-31T23:30:00Z", "2026-07-01T08:00:00Z"]),
})
SECTIONS = pd.DataFrame({
    "postmortem_id": ["PM-1", "PM-1", "PM-1", "PM-2"],
    "position": [1, 2, 3, 1],
    "section": ["timeline", "root_causes", None, "context"],
    "heading": ["Timeline", "Root cause analysis", "Participants", "Contexte et impact"],
    "body": [
        "- 09:12 — Alice forgot to run the canary\n- 09:17 — the alert failed to fire",
        "The change skipped validation.\nBob Stone should have checked the dashboard.",
        "- Alice Martin\n- Bob Stone",
        "Faute de temps, pas de test.\nC'est la faute de l'opérateur.",
    ],
    "source_line": [10, 14, 20, 8],
})
ROOT_CAUSES = pd.DataFrame({
    "postmortem_id": ["PM-1", "PM-1", "PM-2"],
    "position": [1, 2, 1],
    "category": ["other", "config", "config"],
    "category_as_written": ["human-error", "config", "configuration"],
    "summary": [None, "The operator forgot to validate the config.", "Seuil abaissé sans revue."],
    "tags": [None, None, None],
    "is_human_error": [True, False, False],
})
TIMELINE = pd.DataFrame({
    "postmortem_id": ["PM-1", "PM-1"],
    "position": [1, 2],
    "occurred_at": pd.to_datetime(["2026-03-31T09:12:00Z", "2026-03-31T09:17:00Z"]),
    "description": ["Alice forgot to run the canary", "the alert failed to fire"],
    "source_line": [11, 12],
})
LESSONS = pd.DataFrame({
    "postmortem_id": ["PM-2"],
    "position": [1],
    "kind": ["went_wrong"],
    "text": ["Marie a oublié de prévenir le support."],
})


def test_blameless_findings_on_a_tiny_input() -> None:
    found = blameless_findings(POSTMORTEMS, SECTIONS, ROOT_CAUSES, TIMELINE, LESSONS)
    assert list(found.columns) == ["postmortem_id", "source_path", "line", "where", "rule", "sentence",
                                   "suggestion", "sentence_redacted"]
    got = [tuple(row) for row in found[["postmortem_id", "line", "where", "rule", "sentence_redacted"]]
           .itertuples(index=False)]
    assert got == [
        ("PM-1", 11, "section: Timeline", "forgot", "09:12 — [name] forgot to run the canary"),
        ("PM-1", 11, "section: Timeline", "named-person", "09:12 — [name] forgot to run the canary"),
        ("PM-1", 16, "section: Root cause analysis", "should-have", "[name] should have checked the dashboard."),
        ("PM-1", 16, "section: Root cause analysis", "named-person", "[name] should have checked the dashboard."),
        ("PM-1", None, "title", "human-error", "Checkout outage: human error"),
        ("PM-1", None, "root cause category", "human-error", "human-error"),
        ("PM-1", None, "root cause summary", "forgot", "The operator forgot to validate the config."),
        ("PM-2", 10, "section: Contexte et impact", "fault-of", "C'est la faute de l'opérateur."),
        ("PM-2", None, "lesson (went_wrong)", "forgot", "[name] a oublié de prévenir le support."),
    ]
    # the sentence keeps the words; only the redacted column is for leadership reports
    assert found.loc[0, "sentence"] == "09:12 — Alice forgot to run the canary"
    assert "Alice" not in " ".join(found["sentence_redacted"])
    assert "Bob" not in " ".join(found["sentence_redacted"])
    assert found.loc[7, "suggestion"] == SUGGESTIONS["fault-of"]["fr"]
    assert found["line"].iloc[4] is None


def test_blameless_findings_reads_frames_without_the_optional_columns() -> None:
    """Only the ids and the texts are needed: no path, line, position or kind reads as None."""
    found = blameless_findings(POSTMORTEMS[["postmortem_id", "title"]], SECTIONS.iloc[0:0], ROOT_CAUSES.iloc[0:0],
                               TIMELINE[["postmortem_id", "description"]], LESSONS[["postmortem_id", "text"]])
    # in the order of the postmortems (no path or line to sort by): PM-2's lesson, then PM-1's title and event
    assert [tuple(row) for row in found[["postmortem_id", "source_path", "line", "where", "rule"]]
            .itertuples(index=False)] == [
        ("PM-2", None, None, "lesson", "forgot"),
        ("PM-1", None, None, "title", "human-error"),
        ("PM-1", None, None, "timeline event", "forgot"),
    ]


def test_blameless_findings_empty_input() -> None:
    empty = blameless_findings(POSTMORTEMS.iloc[0:0], SECTIONS.iloc[0:0], ROOT_CAUSES.iloc[0:0],
                               TIMELINE.iloc[0:0], LESSONS.iloc[0:0])
    assert empty.empty
    assert "sentence_redacted" in empty.columns


# --- flagged share -----------------------------------------------------------------------


def test_flagged_share_by_quarter_hand_computed() -> None:
    postmortems = pd.DataFrame({
        "postmortem_id": ["A", "B", "C", "D", "E"],
        "started_at": pd.to_datetime(["2026-01-05T10:00:00Z", "2026-02-05T10:00:00Z", "2026-03-05T10:00:00Z",
                                      "2026-07-01T10:00:00Z", None], utc=True),
    })
    findings = pd.DataFrame({"postmortem_id": ["A", "A", "C", "E"], "rule": ["forgot", "blame", "blame", "blame"]})
    share = flagged_share(findings, postmortems)
    # 2026Q1: A, B, C with A and C flagged -> 2/3; Q2: none -> empty; Q3: D not flagged -> 0; E has no date
    assert share["period"].tolist() == ["2026Q1", "2026Q2", "2026Q3"]
    assert share["postmortems"].tolist() == [3, 0, 1]
    assert share["flagged"].tolist() == [2, 0, 0]
    assert share["share"].tolist() == [pytest.approx(2 / 3), None, 0.0]
    assert flagged_share(findings, postmortems, fill_gaps=False)["period"].tolist() == ["2026Q1", "2026Q3"]


def test_flagged_share_uses_the_given_time_zone() -> None:
    found = blameless_findings(POSTMORTEMS, SECTIONS, ROOT_CAUSES, TIMELINE, LESSONS)
    # PM-1 started 2026-03-31 23:30 UTC, which is 2026-04-01 in Paris
    utc = flagged_share(found, POSTMORTEMS)
    assert utc.to_dict("list") == {"period": ["2026Q1", "2026Q2", "2026Q3"], "postmortems": [2, 0, 1],
                                   "flagged": [2, 0, 0], "share": [1.0, None, 0.0]}
    paris = flagged_share(found, POSTMORTEMS, tz="Europe/Paris")
    assert paris.to_dict("list") == {"period": ["2026Q1", "2026Q2", "2026Q3"], "postmortems": [1, 1, 1],
                                     "flagged": [1, 1, 0], "share": [1.0, 1.0, 0.0]}
    assert flagged_share(found, POSTMORTEMS, by="year")["period"].tolist() == ["2026"]
    with pytest.raises(ValueError, match="quarter"):
        flagged_share(found, POSTMORTEMS, by="week")


# --- never raises ------------------------------------------------------------------------

MARKDOWN_BITS = st.sampled_from([
    "\n", "\n\n", "- ", "* ", "1. ", "| ", " |", "|---|", "```", "~~~", "`", "> ", "## ", ". ", "! ", "? ",
    "human error", "forgot to", "a oublié", "faute de ", "l'opérateur", "John", "J.D.", "should have",
    "aurait dû", "because of", "à cause de", "blame", "failed to", "Alice Martin", "’", "e.g.", "é",
])


@settings(max_examples=150, deadline=None)
@given(parts=st.lists(st.one_of(MARKDOWN_BITS, st.text(max_size=12)), max_size=25),
       names=st.lists(st.text(max_size=15), max_size=3))
def test_find_blame_never_raises_and_offsets_point_into_the_text(parts: list[str], names: list[str]) -> None:
    text = "".join(parts)
    for finding in find_blame(text, names=[*names, "Alice Martin"]):
        assert 0 <= finding.offset < len(text)
        assert text[finding.offset:finding.offset + len(finding.sentence)] == finding.sentence
        assert finding.rule in SUGGESTIONS


# --- the prefilter of the rules ----------------------------------------------------------------

@pytest.mark.parametrize("rule", blameless._RULES, ids=lambda rule: f"{rule.rule}:{rule.pattern.pattern[:30]}")
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(data=st.data())
def test_every_text_a_rule_matches_passes_the_prefilter(rule: object, data: st.DataObject) -> None:
    """The needles each pattern declares in blameless_rules.toml are words its matches always hold:
    text made to match a pattern holds one of that pattern's needles, so the prefilter lets it through."""
    text = data.draw(st.from_regex(rule.pattern, alphabet=st.characters(codec="ascii")))  # type: ignore[attr-defined]
    match = rule.pattern.search(text)  # type: ignore[attr-defined]
    if match is None:  # lookarounds: hypothesis may draw text that does not match
        return
    assert any(needle in match.group() for needle in rule.needles), (text, rule.needles)  # type: ignore[attr-defined]
    assert rule in prefiltered(text, 0, len(text)), text


def prefiltered(folded: str, start: int, end: int) -> tuple[object, ...]:
    """The patterns the prefilter runs on the sentence folded[start:end] of the folded text `folded`."""
    marks = blameless._Marks(folded, None)
    if not marks.within(start, end):
        return ()
    return blameless._patterns_for(folded[start:end], marks.needles(start, end))


NEEDLE_BITS = st.sampled_from([*blameless._NEEDLES, " ", ". ", "\n"]) | st.text(alphabet="adeiloprsu'", max_size=4)


@settings(max_examples=300, deadline=None)
@given(parts=st.lists(NEEDLE_BITS, max_size=12), cut=st.tuples(st.integers(0, 90), st.integers(0, 90)))
@example(parts=["pa", "should"], cut=(0, 90))  # a match of "pas" hides "should"
@example(parts=["ignored"], cut=(0, 90))  # "ignored" hides "ignore"
@example(parts=["xpa", "s", "hould"], cut=(3, 90))  # "pas" runs over the start of the sentence
def test_the_prefilter_runs_the_patterns_whose_needles_the_sentence_holds(parts: list[str],
                                                                          cut: tuple[int, int]) -> None:
    """Needles are looked for once per text, and the matches found do not overlap: each sentence
    still runs exactly the patterns with a needle in it, hidden needles included."""
    text = "".join(parts)
    start, end = sorted(min(at, len(text)) for at in cut)
    sentence = text[start:end]
    expected = tuple(rule for rule in blameless._RULES if any(needle in sentence for needle in rule.needles))
    assert prefiltered(text, start, end) == expected


def test_the_prefilter_is_in_force() -> None:
    assert blameless._NEEDLES and "blam" in blameless._NEEDLES and not blameless._Marks("the disk was full", None)
    assert prefiltered("the disk was full", 0, 17) == ()


# --- the rules file ----------------------------------------------------------------------------

SMALL_RULES = r"""
[doc]
reading = "r"
subject = "s"
limits = ["l"]

[policies]
any = "a"
person = "p"
not-system = "n"
possessor = "o"
object = "b"
faute = "f"

[[rules]]
id = "named-person"
matches = { en = "a participant's name", fr = "le nom d'un participant" }
blame_when = "always"
example = { en = "Alice Martin restarted it.", fr = "Alice Martin l'a relancé." }
suggestion = { en = "Refer to roles.", fr = "Désignez des rôles." }

[[rules]]
id = "human-error"
matches = { en = "human error", fr = "erreur humaine" }
blame_when = "always"
example = { en = "Human error.", fr = "Erreur humaine." }
suggestion = { en = "Describe the condition.", fr = "Décrivez la condition." }

[[rules]]
id = "forgot"
matches = { en = "forgot", fr = "oublié" }
blame_when = "always"
example = { en = "John forgot.", fr = "Jean a oublié." }
suggestion = { en = "Describe what relied on memory.", fr = "Décrivez ce qui reposait sur la mémoire." }

[[rules.patterns]]
lang = "en"
policy = "not-system"
regex = '\bforgot\b'
needles = ["forgot"]

[excuses]
before = '\bnot\b'
after = '^\W*is not'

[hindsight]
verbs = 'known'

[words.person]
about = "roles"
words = "engineer operator"

[participants]
keys = ["participants"]
listing_headings = ["authors"]
"""


def test_a_rules_file_is_read_into_patterns_suggestions_and_words() -> None:
    rules = blameless_rules.parse(tomllib.loads(SMALL_RULES), "small.toml")
    assert [rule.id for rule in rules.rules] == ["named-person", "human-error", "forgot"]
    rule = rules.rules[2]
    assert rule.suggestion == {"en": "Describe what relied on memory.",
                               "fr": "Décrivez ce qui reposait sur la mémoire."}
    (pattern,) = rule.patterns
    assert (pattern.rule, pattern.lang, pattern.policy, pattern.needles) == ("forgot", "en", "not-system", ("forgot",))
    assert pattern.pattern.search("john forgot it") and not pattern.pattern.search("unforgotten")
    assert rules.word_set("person") == {"engineer", "operator"}


@pytest.mark.parametrize(("change", "message"), [
    (("policy = \"not-system\"", "policy = \"maybe\""), "small.toml: rule forgot, pattern 1: policy 'maybe'"),
    (("lang = \"en\"", "lang = \"de\""), "small.toml: rule forgot, pattern 1: lang 'de'"),
    (("needles = [\"forgot\"]", "needles = [\"Forgot\"]"), "needle 'Forgot' must be folded text"),
    (("needles = [\"forgot\"]", "needles = [\"f\"]"), "two characters or more"),
    (("needles = [\"forgot\"]", "needles = []"), "`needles` must be a non-empty list"),
    ((r"regex = '\bforgot\b'", "regex = '(forgot'"), "`regex` is not a valid regular expression"),
    (("fr = \"Décrivez ce qui reposait sur la mémoire.\" ", "de = \"x\" "), "rule forgot, suggestion: `fr`"),
    (("words = \"engineer operator\"", "words = \"ingénieur\""), "'ingénieur' must be written folded"),
    (("faute = \"f\"", ""), "[policies] must describe exactly"),
    (("id = \"named-person\"", "id = \"named\""), "the rule named-person is missing"),
    (("limits = [\"l\"]", "limits = []"), "small.toml: [doc]: `limits` must be a non-empty list"),
])
def test_a_malformed_rules_file_names_the_file_and_what_to_fix(change: tuple[str, str], message: str) -> None:
    assert SMALL_RULES.count(change[0]) == 1
    with pytest.raises(RulesError) as raised:
        blameless_rules.parse(tomllib.loads(SMALL_RULES.replace(*change)), "small.toml")
    assert message in str(raised.value)
    assert str(raised.value).startswith("small.toml: ")


def test_a_word_list_the_engine_needs_is_never_missing_silently() -> None:
    rules = blameless_rules.parse(tomllib.loads(SMALL_RULES), "small.toml")
    with pytest.raises(RulesError, match=r"\[words.first_names\] is missing"):
        rules.word_set("first_names")


def test_findings_in_the_front_matter_get_the_line_where_they_are_written(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text(
        "---\nid: PM-1\ntitle: Bob forgot to renew the certificate\nseverity: S2\n"
        "started_at: 2026-01-01T10:00:00Z\nresolved_at: 2026-01-01T11:00:00Z\nsummary: >\n"
        "  The outage lasted an hour.\n  Alice should have checked the expiry date.\nroot_causes:\n"
        "  - category: human-error\n    summary: The operator was careless with the renewal.\n---\n\n"
        "## Timeline\n\n- 10:00 — expiry\n", encoding="utf-8")
    _, found = check_blameless(tmp_path)
    got = sorted((row.where, row.rule, row.line) for row in found.itertuples(index=False))
    assert got == [
        ("front matter: summary", "should-have", 9),
        ("root cause category", "human-error", 11),
        ("root cause summary", "careless", 12),
        ("title", "forgot", 3),
    ]
