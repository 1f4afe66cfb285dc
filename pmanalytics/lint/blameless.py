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

Rules
-----

"Subject" below is the noun phrase just before the verb, in the same clause. It is a
*person* when it is a pronoun (he, she, they, I, someone / il, elle, quelqu'un…), a role
(engineer, operator, on-call, developer, reviewer, team… / opérateur, ingénieur, astreinte,
développeur, équipe…), a participant's name, a capitalised common first name (John,
Hélène; see `_FIRST_NAMES`) with or without its surname, or initials (J.D.). It is a
*system* for things (the alert, the script, la supervision…) and impersonal pronouns (it,
this, ce, cela); *collective* for we / nous / on; *negated* for nobody / personne / aucun,
or a negation before the verb (never, did not). The object of "because of", "faute de"…
is read the same way.

.. list-table:: The rules (suggestions shown in English; each has its French twin in `SUGGESTIONS`)
   :header-rows: 1

   * - rule
     - patterns (English / French)
     - when it is blame
     - example
     - suggested rewording
   * - ``human-error``
     - human error, operator error, <person> made a mistake /
       erreur humaine, erreur de l'opérateur, erreur de manipulation,
       <personne> a commis une erreur
     - always, except right after no, not, without, avoid, reduce, risk of… /
       pas, sans, éviter, réduire, risque de… or before "is not" / "n'est pas"
     - "Root cause: human error." / "Une erreur humaine."
     - Describe the condition that allowed the mistake: which check, guard or
       automation was missing?
   * - ``forgot``
     - <someone> forgot, forgets, had forgotten to, omitted to /
       a, ont, avait… oublié, a omis de, oubli de, par oubli, un oubli
     - the subject is not a system, not we / nous / on, not negated
       (an unknown subject counts: systems rarely "forget")
     - "Alice forgot to renew the certificate." / "Jean a oublié de redémarrer."
     - Describe what relied on memory: which reminder, checklist step or
       automation would have made the step impossible to miss?
   * - ``should-have``
     - should have, shouldn't have, should've + verb /
       aurait dû, auraient dû + infinitive (not "aurait dû y avoir")
     - the subject is a person; for should have known / noticed / realised and
       aurait dû savoir / voir / remarquer, anything but a system, we or a negation
     - "The on-call engineer should have checked the dashboard." /
       "L'opérateur aurait dû vérifier."
     - Avoid hindsight: describe what the people involved knew at the time, and
       which signal, tool or procedure would have made the right action obvious.
   * - ``negligence``
     - negligence, negligent(ly), <someone> neglected to /
       négligence, négligent(e)(s), a / ont négligé
     - as ``human-error`` (the verbs: as ``forgot``)
     - "Caused by negligence." / "Une négligence de l'équipe."
     - Drop the judgement of intent: describe the workload, incentives and
       safeguards around the decision, and which one was missing.
   * - ``careless``
     - careless(ly/ness), sloppy, inattentive, inattention, lack of attention /
       manque d'attention, manque de vigilance, défaut d'attention, étourderie
     - as ``human-error``
     - "A careless edit broke the config." / "Un manque d'attention."
     - Describe the conditions (fatigue, interruptions, alert noise, confusing
       interface) that made the slip likely, and how the system can tolerate it.
   * - ``fault-of``
     - fault of <person>, <person>'s fault, <person> was at fault,
       his / her / their / my / your fault /
       la faute de <personne> (c'est la faute de, par la faute de),
       faute du / de l' + role, faute de + first name, la faute à <personne>,
       sa / leur / ma / ta / votre faute
     - the object (or possessor) is a person: "a disk fault", "faute de temps",
       "faute de moyens", "faute d'astreinte", "faute d'un développeur
       disponible" (for lack of) are not blame
     - "It was John's fault." / "C'est la faute de l'opérateur."
     - Replace "who" with "what": describe the gap in the system or process,
       not whose fault it was.
   * - ``blame``
     - blame, blamed, blaming / blâme, blâmer, blâmé;
       because of, due to, owing to <person> / à cause de, en raison de <personne>
     - blame words: as ``human-error``, never blameless, blame-free, git blame,
       "blame no one"; because of / à cause de: the object is a person
     - "The outage happened because of John." / "À cause de l'opérateur."
     - Blameless: describe the contributing conditions and decisions in their
       context rather than attributing the cause to a person.
   * - ``failed-to``
     - failed to, fails to, did not / didn't follow, check, verify, read, notice,
       test, escalate, acknowledge, respond, review; ignored; missed the alert /
       n'a pas su, n'a pas réussi à, a échoué à, n'a pas suivi, respecté,
       vérifié, lu, vu, remarqué, testé, escaladé, acquitté; a ignoré
     - the subject is a person: "the alert failed to fire" is about a system
     - "John failed to acknowledge the page." /
       "L'opérateur n'a pas suivi la procédure."
     - Describe what made the expected action hard: was the signal visible, the
       procedure clear, the tooling at hand?
   * - ``named-person``
     - any of ``names`` as a whole word (case- and accent-insensitive)
     - always, except a bare name: a table cell or list item that is only the
       name (an action owner), and in a participants section
     - "Alice Martin restarted the primary."
     - Refer to roles, not people: write "the on-call engineer" or "the
       reviewer" instead of the name.

French example of a suggestion (``human-error``): "Décrivez la condition qui a permis
l'erreur : quel contrôle, garde-fou ou automatisme manquait ?".

Accepted limits (judgement calls, chosen to keep false positives low):

- collective first person (we / nous / on) is never blame: "what we forgot to monitor",
  "we should have known", "nous avons oublié" are not flagged;
- passive voice hides the person and is not flagged: "the step was forgotten",
  "l'étape a été oubliée", "the alert was ignored";
- a subject the heuristics cannot classify is blame for `forgot` (people forget, systems
  rarely do) but not for `should-have` / `failed-to` (systems "should have fired");
- capitalisation alone never makes a person (products and clusters are capitalised too:
  "Hellman failed to schedule pods" is not flagged), so a person named only by a surname,
  or by a first name missing from `_FIRST_NAMES`, is found only when a participant
  ("Smith failed to…" is missed); a product that is also a first name is taken for a person;
- "they" / "il" are persons even when they stand for a system, and so are role words used
  for software ("the reconciliation operator failed to…" is flagged), except after a known
  product ("the Kubernetes operator") or capitalised within a proper name ("the
  DropletWorkflow Manager");
- a name with other words around it is a statement: "Owner: Alice Martin" in a paragraph
  is a `named-person` finding, while a table cell "Alice Martin" is not;
- "un oubli" / "oubli de" are flagged whatever the subject ("un oubli de configuration"
  included), as the brief of the rule asks;
- "because of the on-call …" counts the role only when it heads the phrase or is a
  possessive ("because of the on-call engineer's typo" is flagged, "because of the on-call
  rotation" is not);
- sentences are split on . ! ? … followed by a space and a non-lowercase character,
  except after common abbreviations and initials; a line break alone does not end a
  sentence.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from re import _constants as _sre  # the parsed form of the rules: see `_required_text`
from re import _parser as _sre_parse
from typing import Any

import pandas as pd

from pmanalytics.corpus.vocabulary import fold

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


SUGGESTIONS: dict[str, dict[str, str]] = {
    "human-error": {
        "en": "Describe the condition that allowed the mistake: which check, guard or automation was missing?",
        "fr": "Décrivez la condition qui a permis l'erreur : quel contrôle, garde-fou ou automatisme manquait ?",
    },
    "forgot": {
        "en": "Describe what relied on memory: which reminder, checklist step or automation would have made "
              "the step impossible to miss?",
        "fr": "Décrivez ce qui reposait sur la mémoire : quel rappel, quelle étape de checklist ou quel "
              "automatisme aurait rendu l'étape impossible à manquer ?",
    },
    "should-have": {
        "en": "Avoid hindsight: describe what the people involved knew at the time, and which signal, tool "
              "or procedure would have made the right action obvious.",
        "fr": "Évitez le biais rétrospectif : décrivez ce que les personnes savaient sur le moment, et quel "
              "signal, outil ou procédure aurait rendu la bonne action évidente.",
    },
    "negligence": {
        "en": "Drop the judgement of intent: describe the workload, incentives and safeguards around the "
              "decision, and which one was missing.",
        "fr": "Retirez le jugement sur l'intention : décrivez la charge de travail, les incitations et les "
              "garde-fous autour de la décision, et lequel manquait.",
    },
    "careless": {
        "en": "Describe the conditions (fatigue, interruptions, alert noise, confusing interface) that made "
              "the slip likely, and how the system can tolerate it.",
        "fr": "Décrivez les conditions (fatigue, interruptions, bruit des alertes, interface ambiguë) qui ont "
              "rendu l'erreur probable, et comment le système peut la tolérer.",
    },
    "fault-of": {
        "en": "Replace \"who\" with \"what\": describe the gap in the system or process, not whose fault it was.",
        "fr": "Remplacez « qui » par « quoi » : décrivez la faille du système ou du processus, pas la faute "
              "de quelqu'un.",
    },
    "blame": {
        "en": "Blameless: describe the contributing conditions and decisions in their context rather than "
              "attributing the cause to a person.",
        "fr": "Sans blâme : décrivez les conditions et les décisions dans leur contexte plutôt que "
              "d'attribuer la cause à une personne.",
    },
    "failed-to": {
        "en": "Describe what made the expected action hard: was the signal visible, the procedure clear, "
              "the tooling at hand?",
        "fr": "Décrivez ce qui rendait l'action attendue difficile : le signal était-il visible, la procédure "
              "claire, l'outillage disponible ?",
    },
    "named-person": {
        "en": "Refer to roles, not people: write \"the on-call engineer\" or \"the reviewer\" instead of the name.",
        "fr": "Désignez des rôles, pas des personnes : écrivez « l'ingénieur d'astreinte » ou « le relecteur » "
              "plutôt que le nom.",
    },
}

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

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_HEADING = re.compile(r"^\s{0,3}#{1,6}(?:\s+|$)")
_LIST_MARKER = re.compile(r"^\s*(?:[-*+]|\d{1,9}[.)])\s+(?:\[[ xX]\]\s+)?")
_QUOTE = re.compile(r"^\s*(?:>\s?)+")
_RULE_LINE = re.compile(r"^\s*([-*_])(?:\s*\1){2,}\s*$")
_TABLE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?\s*$")
_CELL_BAR = re.compile(r"(?<!\\)\|")
_INLINE_CODE = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.DOTALL)
_SENTENCE_END = re.compile(r"[.!?…]+[\"'»”’)\]]*(?=\s+(\S))")
_ABBREVIATIONS = _words("e.g eg i.e ie etc vs cf mr mrs ms dr m mme mlle st no approx fig ex resp incl sr jr prof",
                        "p pp al")


def _blocks(text: str) -> Iterator[tuple[int, int]]:
    """Spans of paragraphs, list items, table cells and headings, outside code fences."""
    fence: str | None = None
    block: list[int] | None = None  # [start, end]
    pos = 0
    for raw in text.split("\n"):
        start, pos = pos, pos + len(raw) + 1
        line = raw.rstrip("\r")
        fence_match = _FENCE.match(line)
        if fence is not None or fence_match:
            if block:
                yield block[0], block[1]
                block = None
            if fence is None:
                fence = fence_match.group(1)  # type: ignore[union-attr]
            elif fence_match and fence_match.group(1)[0] == fence[0] and len(fence_match.group(1)) >= len(fence) \
                    and not line.strip()[len(fence_match.group(1)):].strip():
                fence = None
            continue
        quote = _QUOTE.match(line)
        skip = quote.end() if quote else 0
        content = line[skip:]
        if not content.strip() or _RULE_LINE.match(content):
            if block:
                yield block[0], block[1]
                block = None
            continue
        heading = _HEADING.match(content)
        if heading or content.lstrip().startswith("|"):
            if block:
                yield block[0], block[1]
                block = None
            if heading:
                yield start + skip + heading.end(), start + len(line)
            elif not _TABLE_SEPARATOR.match(content):
                cell_start = skip
                for bar in _CELL_BAR.finditer(line, skip):
                    if bar.start() > cell_start:
                        yield start + cell_start, start + bar.start()
                    cell_start = bar.end()
                if cell_start < len(line):
                    yield start + cell_start, start + len(line)
            continue
        marker = _LIST_MARKER.match(content)
        if marker:
            if block:
                yield block[0], block[1]
            block = [start + skip + marker.end(), start + len(line)]
        elif block:
            block[1] = start + len(line)
        else:
            block = [start + skip, start + len(line)]
    if block:
        yield block[0], block[1]


def _sentences(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each sentence: stripped, with at least one letter."""
    for block_start, block_end in _blocks(text):
        segment = text[block_start:block_end]
        cut = 0
        for end in _SENTENCE_END.finditer(segment):
            if end.group(1).islower() or _is_abbreviation(segment, end.start()):
                continue
            yield from _stripped(text, block_start + cut, block_start + end.end())
            cut = end.end()
        yield from _stripped(text, block_start + cut, block_end)


def _is_abbreviation(segment: str, dot: int) -> bool:
    if segment[dot] != ".":
        return False
    word = re.search(r"([\w.]+)$", segment[:dot])
    if not word:
        return False
    token = _fold_same_length(word.group(1)).strip(".")
    return (len(token) == 1 and token.isalpha()) or token in _ABBREVIATIONS or bool(re.fullmatch(r"(?:\w\.)+\w", token))


def _stripped(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if any(ch.isalpha() for ch in text[start:end]):
        yield start, end


def _match_text(sentence: str) -> str:
    """The folded sentence with inline code blanked: what the patterns see."""
    folded = _fold_same_length(sentence)
    return _INLINE_CODE.sub(lambda m: " " * len(m.group(0)), folded)


# --- words --------------------------------------------------------------------------------


_PERSON_WORDS = _words(
    # English pronouns and roles
    "i he she they someone somebody anyone anybody everyone everybody you him her them me",
    "engineer operator on-call oncall on-caller oncaller developer dev admin administrator sre reviewer",
    "author owner manager lead employee staff intern contractor responder commander ic person people",
    "colleague teammate member human analyst dba technician team coworker co-worker newcomer hire",
    "junior senior guy approver assignee scribe",
    # French
    "il elle ils elles quelqu'un je tu vous lui operateur operatrice ingenieur ingenieure astreinte",
    "developpeur developpeuse administrateur administratrice relecteur relectrice auteur autrice",
    "responsable chef employe employee collaborateur collaboratrice stagiaire prestataire collegue",
    "membre equipe technicien technicienne intervenant intervenante exploitant exploitante humain",
    "personne eux moi toi",
)
# English role words that are also noun modifiers ("on-call rotation", "developer tooling").
_FAULT_NOUNS = _words("mistake mistakes error errors typo typos slip fault oversight negligence carelessness",
                      "failure blunder lapse inattention omission")
_MODIFIER_ROLES = _words("on-call oncall developer operator admin engineer sre team human staff dev")
_COLLECTIVE = _words("we us nous on")
_SUBJECT_PRONOUNS = _words("i he she they we il ils je tu on")
_NEGATED_SUBJECTS = _words("nobody none noone no-one aucun aucune nul")
_IMPERSONAL = _words("it this that which what there these those ce cela ca ceci celui celle y")
_SYSTEM_WORDS = _words(
    "alert alerting alarm page pager paging monitor monitoring check probe healthcheck health-check script",
    "job cron cronjob task process service system server host node pod container cluster database db",
    "replica primary instance vm machine disk network router switch balancer lb proxy gateway api endpoint",
    "client library lib code change commit release deploy deployment rollout rollback pipeline build ci cd",
    "test suite config configuration setting flag feature migration schema query cache queue broker worker",
    "scheduler controller tool tooling automation bot dashboard runbook procedure playbook documentation doc",
    "docs certificate cert dns cdn backup restore failover retry timeout limit quota function lambda app",
    "application software firmware daemon kernel update patch upgrade version file log metric threshold",
    "rule policy validation validator linter review canary hook webhook integration sync replication",
    "mechanism safeguard guard detection autoscaler scaler circuit breaker terraform ansible kubernetes",
    "rotation handover process workflow step message notification email escalation",
    # French
    "alerte alarme sonde supervision tache traitement systeme serveur noeud conteneur grappe base bdd",
    "replique disque reseau routeur commutateur repartiteur passerelle bibliotheque changement",
    "modification deploiement mise chaine parametre requete ordonnanceur outil outillage automatisation",
    "robot tableau procedure processus certificat sauvegarde restauration bascule mecanisme controle",
    "verification regle seuil correctif fonction logiciel journal journaux metrique limite delai relecture",
    "garde-fou detection courriel notification etape",
)
_PRODUCTS = _words(
    "aws gcp azure cloudflare kubernetes k8s docker nginx envoy istio postgres postgresql mysql redis kafka",
    "rabbitmq elasticsearch opensearch grafana prometheus datadog pagerduty opsgenie jenkins github gitlab",
    "bitbucket terraform ansible helm argo argocd vault consul linux windows java python node akamai fastly",
    "stripe slack teams jira confluence zookeeper cassandra mongodb mongo ec2 rds lambda cloudfront okta",
    "sentry splunk airflow spark hadoop celery varnish haproxy traefik certbot openssl chef puppet",
    "salt bgp cdn dns google amazon microsoft apple oracle heroku vercel netlify twilio sendgrid mailgun",
    "cloudwatch loki tempo jaeger kibana logstash fluentd vector nomad packer spinnaker circleci travis",
    "renovate dependabot snyk sonar sonarqube sql nosql http https tls ssl",
)
_NOT_NAMES = _PRODUCTS | _words(
    # capitalised words that are not people
    "the a an this that these those it its our their his her my your we they he she i",
    "le la les un une ce cet cette ces son sa ses leur leurs notre nos votre vos mon ma mes",
    "then after before during when while since once however also finally meanwhile yesterday today",
    "puis apres avant pendant lorsque quand depuis ensuite enfin cependant hier aujourd'hui alors donc",
    "monday tuesday wednesday thursday friday saturday sunday lundi mardi mercredi jeudi vendredi samedi",
    "dimanche january february march april may june july august september october november december",
    "janvier fevrier mars avril mai juin juillet aout septembre octobre novembre decembre",
    "customer customers client clients user users utilisateur utilisateurs production prod staging",
)
# Common first names (English, French and some international), capitalised in the text:
# the only capitalised words taken for people without being participants. Names that
# are also common words (Will, May, Mark, Grant, Rose, Page…) are left out.
_FIRST_NAMES = _words(
    "james john robert michael william david richard joseph thomas charles christopher daniel matthew anthony",
    "donald steven paul andrew joshua kenneth kevin brian george edward ronald timothy jason jeffrey ryan jacob",
    "gary nicholas eric jonathan stephen larry justin scott brandon benjamin samuel gregory alexander patrick",
    "raymond dennis jerry tyler aaron jose adam henry nathan douglas zachary peter kyle walter ethan jeremy",
    "harold keith christian noah gerald carl terry sean austin arthur lawrence jesse dylan bryan joe jordan",
    "billy bruce albert willie gabriel logan alan juan wayne roy ralph randy eugene vincent russell elijah louis",
    "bobby philip johnny mary patricia jennifer linda elizabeth barbara susan jessica sarah karen nancy lisa",
    "betty margaret sandra ashley kimberly emily donna michelle dorothy carol amanda melissa deborah stephanie",
    "rebecca sharon laura cynthia kathleen amy shirley angela helen anna brenda pamela nicole emma samantha",
    "katherine christine debra rachel catherine carolyn janet maria heather diane virginia julie joyce victoria",
    "kelly christina lauren joan evelyn olivia judith megan cheryl martha andrea frances hannah jacqueline ann",
    "gloria kathryn alice teresa sara janice doris madison julia judy abigail marie denise beverly theresa",
    "marilyn danielle diana brittany natalie sophia isabella alexis kayla charlotte alex sam chris mike tom tim",
    "dan ben nick matt steve jim bob fred ted tony andy greg jeff josh kate katie liz beth jen jenny jess meg",
    "becky nina zoe chloe lucy ella mia ava sophie maya leo liam oliver lucas elena ana carlos miguel luis",
    "jorge diego pablo javier alejandro fernando marco luca giulia francesca matteo hans klaus jurgen stefan",
    "tobias lukas lars sven erik anders nils olaf ingrid astrid",
    "jean pierre michel philippe alain nicolas christophe bernard frederic laurent stephane pascal sebastien",
    "julien thierry olivier francois jacques dominique antoine guillaume mathieu matthieu jerome gilles didier",
    "maxime alexandre hugo jules raphael theo enzo romain quentin benoit cedric fabrice franck herve yves yann",
    "loic gael erwan ronan nathalie isabelle sylvie francoise monique valerie sandrine veronique celine chantal",
    "camille lea manon ines louise lina clara anais caroline helene claire juliette margaux pauline marion",
    "elodie melanie audrey severine virginie karine delphine agnes brigitte martine josiane genevieve mathilde",
    "lucie oceane amandine justine morgane emilie aurelie",
    "raj rahul priya amit ankit deepak sanjay vikram arjun ravi kiran anil sunil rohan vivek neha pooja anjali",
    "ahmed mohamed mohammed ali omar fatima youssef karim mehdi samir nadia leila yuki hiroshi kenji takeshi",
    "wei ming ling mei hyun",
)
_DETERMINERS = _words(
    "the a an this that these those his her their its our my your some any",
    "l' le la les un une ce cet cette ces son sa ses leur leurs notre nos votre vos mon ma mes ton ta tes",
    "de du des d' certain certaine",
)
_PREPOSITIONS = _words(
    "of for to from on in with at by about into via per",
    "de du des pour sur dans avec chez en par vers sous",
)
_CLAUSE_WORDS = _words(
    "and but because so when while since after before then once as if or although though whereas",
    "et mais car donc quand lorsque lorsqu' puis parce puisque puisqu' si ou comme bien alors tandis",
)
_RELATIVE = _words("who whom which that qui que qu' dont")
_SKIP_BEFORE_VERB = _words(
    "had has have did does do was were is are been also just simply then apparently probably clearly",
    "obviously really accidentally mistakenly unfortunately again already still initially ultimately",
    "himself herself themselves reportedly actually certainly completely entirely",
    "ne lui meme aussi alors probablement malheureusement visiblement apparemment encore deja pourtant",
    "manifestement finalement vraiment completement totalement simplement",
)
_NEGATIONS = _words("not never n't no jamais pas n' ne point")
_FR_WORDS = _words(
    "le la les des du de un une est et pas que qui pour dans sur avec ont ete sont au aux ce cette il",
    "elle nous ne par mais ou plus d' l' n' qu' avait etait",
)
_EN_WORDS = _words(
    "the an is was were and to of in for with that it this be been have has had we they not by at from",
    "should but or which who did",
)

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

_EXCUSE_BEFORE = re.compile(
    r"\b(?:no|not|never|without|rather than|instead of|avoid\w*|prevent\w*|reduc\w*|eliminat\w*|minimi[sz]\w*"
    r"|limit\w*|risks?|prone|against|isn't|wasn't|aren't|weren't|don't|doesn't|didn't|sans|pas|ni|jamais"
    r"|plutot que|au lieu de|evit\w*|redui\w*|reduire|limiter|risques?|elimin\w*|preven\w*|contre|non)\b"
)
_EXCUSE_AFTER = re.compile(
    r"^\W*(?:(?:is|was|are|were)\s+(?:not|never|rarely)\b|isn't|wasn't|n'(?:est|etait)\s+(?:pas|jamais)\b"
    r"|-?\s*(?:proof|prone|tolerant|free|less)\b)"
)
_WINDOW_WORDS = 4
_PERSON_VERB_KNOWN = re.compile(r"(?:known|realized|realised|noticed|seen|anticipated|savoir|se douter|s'en douter"
                                r"|voir|remarquer|anticiper|prevoir)\b")


@dataclass(frozen=True)
class _Rule:
    rule: str
    pattern: re.Pattern[str]
    lang: str | None  # language of the wording, None when the word is shared
    policy: str  # which words around the match make it blame: see `_applies`


def _rule(rule: str, pattern: str, lang: str | None, policy: str) -> _Rule:
    return _Rule(rule, re.compile(pattern), lang, policy)


_OBJ = r"\s*"  # the object is read by `_object` after the match
_RULES: tuple[_Rule, ...] = (
    # human-error
    _rule("human-error", r"\bhuman[\s-]+errors?\b", "en", "any"),
    _rule("human-error", r"\boperator[\s-]+errors?\b", "en", "any"),
    _rule("human-error", r"\b(?:made|makes|make)\s+(?:a|an)\s+(?:mistake|error|blunder)\b", "en", "person"),
    _rule("human-error", r"\berreurs?\s+humaines?\b", "fr", "any"),
    _rule("human-error", r"\berreurs?\s+(?:de\s+l'|d'\s*|de\s+)(?:un\s+|une\s+)?operat(?:eur|rice)s?\b", "fr",
          "any"),
    _rule("human-error", r"\berreurs?\s+de\s+manipulation\b|\bfausses?\s+manips?\b", "fr", "any"),
    _rule("human-error", r"\b(?:a|ont|avait|avaient)\s+(?:commis|fait)\s+une\s+(?:erreur|faute|betise|boulette)\b",
          "fr", "person"),
    # forgot
    _rule("forgot", r"\b(?:forgot|forgets|forgotten(?=\s+to\b))\b(?!\s+(?:nothing|anything)\b)", "en",
          "not-system"),
    _rule("forgot", r"\bomitted\s+to\b", "en", "not-system"),
    _rule("forgot", r"\b(?:a|ont|avait|avaient|aurait|auraient|as|ai|avez)\s+(?:(?!ete\b|rien\b|jamais\b)\w+\s+)?"
          r"oublie(?:e|s|es)?\b", "fr", "not-system"),
    _rule("forgot", r"\b(?:a|ont|avait|avaient)\s+omis\s+(?:de\b|d')", "fr", "not-system"),
    _rule("forgot", r"\boublis?\s+(?:de\b|d'|du\b|des\b)|\bpar\s+oubli\b|\bun\s+oubli\b", "fr", "any"),
    # should-have
    _rule("should-have", r"\bshould(?:n't|\s+not)?(?:'ve|\s+have)\b(?!\s+to\b)", "en", "person"),
    _rule("should-have", r"\b(?:aurai[st]?|aurait|auraient|aurions|auriez)\s+(?:(?:pu|su)\s+(?:et\s+)?)?(?:\w+\s+)?"
          r"du\s+(?!y\s+avoir\b)(?!(?:\w+\s+)?(?:retard|mal|temps|monde|bruit|sens)\b)", "fr", "person"),
    # negligence
    _rule("negligence", r"\bnegligen(?:ce|t|tly|te|ts|tes)\b", None, "any"),
    _rule("negligence", r"\bneglected\s+to\b", "en", "not-system"),
    _rule("negligence", r"\b(?:a|ont|avait|avaient)\s+neglige(?:e|s|es)?\b", "fr", "not-system"),
    # careless
    _rule("careless", r"\bcareless(?:ly|ness)?\b|\bsloppy\b|\binattentive(?:ly)?\b|\black\s+of\s+attention\b",
          "en", "any"),
    _rule("careless", r"\binattention\b", None, "any"),
    _rule("careless", r"\b(?:manque|defaut)\s+(?:d'attention|de\s+vigilance)\b|\betourderies?\b", "fr", "any"),
    # fault-of
    _rule("fault-of", r"\bfault\s+of" + _OBJ, "en", "object"),
    _rule("fault-of", r"'s\s+fault\b", "en", "possessor"),
    _rule("fault-of", r"\b(?:was|were|is|are|been)\s+at\s+fault\b", "en", "person"),
    _rule("fault-of", r"\b(?:his|her|their|my|your)\s+fault\b", "en", "any"),
    _rule("fault-of", r"\bfaute\s+(?P<prep>de\b|d'|du\b|des\b|a\b)" + _OBJ, "fr", "faute"),
    _rule("fault-of", r"\b(?:sa|leur|ma|ta|votre)\s+faute\b", "fr", "any"),
    # blame
    _rule("blame", r"(?<!git )(?<!svn )(?<!hg )\bblam(?:e|es|ed|ing|er|ee|ees|ent|ait|ons|ez)\b"
          r"(?!\s+(?:no\s*one|nobody|anyone|personne)\b)", None, "any"),
    _rule("blame", r"\bbecause\s+of" + _OBJ + r"|\bdue\s+to" + _OBJ + r"|\bowing\s+to" + _OBJ, "en", "object"),
    _rule("blame", r"\ba\s+cause\s+(?:de\b|d'|du\b|des\b)" + _OBJ + r"|\ben\s+raison\s+(?:de\b|d'|du\b|des\b)" + _OBJ,
          "fr", "object"),
    # failed-to
    _rule("failed-to", r"\bfail(?:ed|s)?\s+to\b", "en", "person"),
    _rule("failed-to", r"\b(?:did\s+not|didn't|never)\s+(?:follow|check|verify|read|notice|test|escalate|acknowledge"
          r"|ack|respond|review|double-check|look)\b", "en", "person"),
    _rule("failed-to", r"\bignored\b|\bmissed\s+(?:the|a|an|his|her|their)\s+(?:alert|page|step|warning|message"
          r"|notification|check|signal)s?\b", "en", "person"),
    _rule("failed-to", r"\bn'(?:a|ont|avait|avaient)\s+pas\s+(?:su|reussi|suivi|respecte|verifie|lu|vu|remarque"
          r"|teste|escalade|acquitte|relu|regarde)\b", "fr", "person"),
    _rule("failed-to", r"\b(?:a|ont|avait|avaient)\s+(?:echoue\s+a|ignore(?:e|s|es)?)\b", "fr", "person"),
)


def _required_text(items: Any) -> frozenset[str] | None:
    """Strings one of which every match of a parsed pattern contains; None when none is known.

    Read from the pattern as Python's `re` parses it: a run of literal characters is
    required; an alternation requires one of what its branches require; a repetition at
    least once, what its content requires. Everything else (classes, `\\b`, lookarounds)
    requires nothing, so the answer is never too strict, at worst unknown.
    """
    best: frozenset[str] | None = None
    run: list[str] = []

    def consider(candidate: frozenset[str] | None) -> None:
        nonlocal best
        if candidate and all(candidate) and (best is None or min(map(len, candidate)) > min(map(len, best))):
            best = candidate

    for op, value in items:
        if op is _sre.LITERAL:
            run.append(chr(value))
            continue
        consider(frozenset({"".join(run)}) if run else None)
        run = []
        if op is _sre.SUBPATTERN:
            consider(_required_text(value[3]))
        elif op is _sre.BRANCH:
            branches = [_required_text(branch) for branch in value[1]]
            if all(branches):
                consider(frozenset().union(*branches))  # type: ignore[arg-type]
        elif op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT, _sre.POSSESSIVE_REPEAT) and value[0] >= 1:
            consider(_required_text(value[2]))
    consider(frozenset({"".join(run)}) if run else None)
    return best


def _needles(rules: tuple[_Rule, ...]) -> tuple[str, ...] | None:
    """Texts one of which a sentence must contain for any rule to match (None: no such list)."""
    needles: set[str] = set()
    for rule in rules:
        required = _required_text(_sre_parse.parse(rule.pattern.pattern, rule.pattern.flags))
        if rule.pattern.flags & re.IGNORECASE or not required or min(map(len, required)) < 2:
            return None
        needles |= required
    return tuple(sorted(needles))


# A sentence runs the rules one by one only when it holds a word one of them needs: nearly all
# sentences hold none (a quarter of 100,000 postmortems took 30 s to scan without this).
_NEEDLES = _needles(_RULES)
_ANY_NEEDLE = re.compile("|".join(map(re.escape, _NEEDLES))) if _NEEDLES else re.compile("")


def _may_blame(folded: str) -> bool:
    return _ANY_NEEDLE.search(folded) is not None


def _excused(folded: str, start: int, end: int) -> bool:
    prefix = folded[max(0, start - _REACH):start]
    cut = 0
    for punct in _CLAUSE_PUNCT.finditer(prefix):
        cut = punct.end()
    window = " ".join(prefix[cut:].split()[-_WINDOW_WORDS:])
    return bool(_EXCUSE_BEFORE.search(window)) or bool(_EXCUSE_AFTER.match(folded[end:end + _REACH]))


def _applies(rule: _Rule, match: re.Match[str], folded: str, sentence: str,
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


def _name_patterns(names: Iterable[str]) -> list[re.Pattern[str]]:
    patterns = []
    seen: set[str] = set()
    for name in sorted({str(n).strip() for n in names if n and str(n).strip()}, key=len, reverse=True):
        folded = _fold_same_length(name)
        if folded in seen or not any(ch.isalnum() for ch in folded):
            continue
        seen.add(folded)
        body = r"\s+".join(re.escape(part) for part in folded.split())
        patterns.append(re.compile(rf"(?<!\w){body}(?!\w)"))
    return patterns


def _name_words(names: Iterable[str]) -> frozenset[str]:
    words = set()
    for name in names:
        for word in _fold_same_length(str(name)).split():
            word = word.strip(".,")
            if len(word) >= 2:
                words.add(word)
    return frozenset(words)


def _name_spans(folded: str, patterns: list[re.Pattern[str]]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for pattern in patterns:
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


def _scan(text: str, names: Iterable[str], lang: str | None, *, named_person: bool = True) -> list[_Hit]:
    names = [n for n in names if n and str(n).strip()]
    patterns = _name_patterns(names)
    name_words = _name_words(names)
    hits: list[_Hit] = []
    for start, end in _sentences(text):
        sentence = text[start:end]
        folded = _match_text(sentence)
        name_spans = _name_spans(folded, patterns)
        found: dict[str, set[tuple[int, int]]] = {}
        for rule in _RULES if _may_blame(folded) else ():
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
    return [hit.finding for hit in _scan(text, names, lang)]


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

_PARTICIPANT_KEYS = frozenset({"participants", "attendees", "participants a la revue", "presents"})
_PARTICIPANT_HEADINGS = _PARTICIPANT_KEYS
# sections that list people: their names are not "named-person" findings
_PEOPLE_HEADINGS = _PARTICIPANT_KEYS | frozenset({
    "authors", "author", "auteurs", "auteur", "redacteurs", "redacteur", "reviewers", "relecteurs",
    "contributors", "contributeurs", "participants et roles", "review participants",
})
_PARTICLES = frozenset({"de", "du", "des", "van", "von", "der", "den", "da", "di", "del", "della", "le", "la",
                        "bin", "ben", "el", "al", "d'", "ter", "dos", "das", "y"})
_NOT_PERSON_WORDS = _words(
    "team teams equipe equipes sre ops support payments payment platform incident commander engineer engineering",
    "manager management lead on-call oncall astreinte ingenieur ingenieure responsable product owner client",
    "customer customers security securite infra infrastructure network reseau database backend frontend mobile",
    "web data core api checkout billing communication communications comms direction legal marketing sales",
    "success qa devops observability reliability scribe facilitator facilitateur animateur animatrice reviewer",
    "relecteur redacteur redactrice service services site group groupe squad guild chapter department",
    "departement office bureau board committee comite vendor fournisseur partner partenaire chef officer",
    "director directeur directrice head vp cto ceo cio ciso none aucun n/a tbd",
)
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
        fence = False
        for line in body.split("\n"):
            if _FENCE.match(line):
                fence = not fence
                continue
            marker = _LIST_MARKER.match(line)
            if marker and not fence:
                candidates.extend(_name_candidates(line[marker.end():]))
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
_COMMON_NAME_PARTS = _words(
    "will may mark bill max rose grant guy pat jack ray dean drew frank hope faith joy summer sky sage chase",
    "hunter page art sandy rich hazel amber crystal iris lily ivy jade ruby pearl kit ash robin jean pierre",
    "claude constant clement olive marine prudence patience blanche victoire aurore violette colin long short",
    "black white green brown gray grey little king bell hill wood stone park ward field street baker mason",
    "miles cook young price lane blanc petit roux noir leblanc fontaine marchand chevalier roger victor",
    "page mercier cloud rain snow wolf fox bird swift cash gold silver storm",
)


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
    seen: set[str] = set()
    return [v for v in variants if not (_fold_same_length(v) in seen or seen.add(_fold_same_length(v)))]


# --- DataFrames ------------------------------------------------------------------------------

FINDING_COLUMNS = ["postmortem_id", "source_path", "line", "where", "rule", "sentence", "suggestion",
                   "sentence_redacted"]


def _value(value: Any) -> Any:
    if value is None:
        return None
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


def _rows(frame: pd.DataFrame | None, key: str = "postmortem_id") -> dict[Any, list[dict[str, Any]]]:
    grouped: dict[Any, list[dict[str, Any]]] = {}
    if frame is None or len(frame) == 0 or key not in frame.columns:
        return grouped
    ordered = frame.sort_values("position", kind="mergesort") if "position" in frame.columns else frame
    for record in ordered.to_dict("records"):
        grouped.setdefault(record[key], []).append(record)
    return grouped


def blameless_findings(
    postmortems: pd.DataFrame,
    sections: pd.DataFrame,
    root_causes: pd.DataFrame,
    timeline: pd.DataFrame,
    lessons: pd.DataFrame,
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
    come out that many lines early), where ("title", "front matter: summary",
    "section: <heading>", "root cause summary", "root cause category", "timeline event",
    "lesson (<kind>)"), rule, sentence, suggestion, and sentence_redacted (the sentence
    with participants' names, and name-like subjects of blame, replaced by "[name]": the
    column for leadership reports). Sorted by source_path, then line (unknown lines last).
    A timeline event or lesson already found in its section is reported once.
    """
    section_rows = _rows(sections)
    cause_rows = _rows(root_causes)
    event_rows = _rows(timeline)
    lesson_rows = _rows(lessons)
    records: list[dict[str, Any]] = []
    for pm in (postmortems.to_dict("records") if postmortems is not None else []):
        pm_id = pm.get("postmortem_id")
        path = _value(pm.get("source_path"))
        lang = _value(pm.get("lang"))
        pm_sections = section_rows.get(pm_id, [])
        people = participant_names(_value(pm.get("extra_json")),
                                   [(str(_value(s.get("heading")) or ""), str(_value(s.get("body")) or ""))
                                    for s in pm_sections])
        variants = _name_variants(people)
        own: list[dict[str, Any]] = []

        def add(where: str, line: int | None, hit: _Hit, pm_id: Any = pm_id, path: Any = path,
                own: list[dict[str, Any]] = own) -> None:
            finding = hit.finding
            own.append({
                "postmortem_id": pm_id, "source_path": path, "line": line, "where": where,
                "rule": finding.rule, "sentence": finding.sentence, "suggestion": finding.suggestion,
                "sentence_redacted": _redact(finding.sentence, hit.names),
            })

        title = _value(pm.get("title"))
        if isinstance(title, str):
            for hit in _scan(title, variants, lang):
                add("title", None, hit)
        for key, text in _front_matter_texts(_value(pm.get("extra_json"))):
            for hit in _scan(text, variants, lang):
                add(f"front matter: {key}", None, hit)
        for section in pm_sections:
            body = _value(section.get("body"))
            heading = str(_value(section.get("heading")) or "")
            if not isinstance(body, str):
                continue
            first = _int(section.get("source_line"))
            listing = fold(heading) in _PEOPLE_HEADINGS
            for hit in _scan(body, variants, lang, named_person=not listing):
                line = None if first is None else first + 1 + body.count("\n", 0, hit.finding.offset)
                add(f"section: {heading}", line, hit)
        in_sections = list(own)
        for cause in cause_rows.get(pm_id, []):
            if bool(_value(cause.get("is_human_error"))):
                written = str(_value(cause.get("category_as_written")) or "human-error")
                language = "fr" if "erreur" in _fold_same_length(written) else (lang or "en")
                hit = _Hit(Finding(written, "human-error", SUGGESTIONS["human-error"][language], 0), ())
                add("root cause category", None, hit)
            summary = _value(cause.get("summary"))
            if isinstance(summary, str):
                for hit in _scan(summary, variants, lang):
                    add("root cause summary", None, hit)
        for event in event_rows.get(pm_id, []):
            text = _value(event.get("description"))
            line = _int(event.get("source_line"))
            if isinstance(text, str):
                for hit in _scan(text, variants, lang):
                    if not _already(in_sections, hit, line):
                        add("timeline event", line, hit)
        for lesson in lesson_rows.get(pm_id, []):
            text = _value(lesson.get("text"))
            kind = _value(lesson.get("kind"))
            if isinstance(text, str):
                for hit in _scan(text, variants, lang):
                    if not _already(in_sections, hit, None):
                        add(f"lesson ({kind})" if kind else "lesson", None, hit)
        records.extend(own)
    frame = pd.DataFrame(records, columns=FINDING_COLUMNS)
    frame["line"] = pd.Series([_int(v) for v in frame["line"]], index=frame.index, dtype=object)
    if frame.empty:
        return frame
    order = sorted(range(len(frame)), key=lambda i: (
        str(frame["source_path"].iat[i] or ""),
        frame["line"].iat[i] is None,
        frame["line"].iat[i] or 0,
        i,
    ))
    return frame.iloc[order].reset_index(drop=True)


_TEXT_KEYS = frozenset({"summary", "description", "resume", "impact", "abstract"})


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
