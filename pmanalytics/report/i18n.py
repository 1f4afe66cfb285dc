"""Every word a report shows, in each language of `LANGUAGES`.

Figure definitions live in `metrics.definitions`; this module holds headings, labels,
KPI names and the sentence templates of the reports.
"""

from __future__ import annotations

import math
import re

from babel import Locale

from pmanalytics.ingest.reasons import reason_of
from pmanalytics.languages import LANGUAGES, language  # noqa: F401  (re-exported for the report modules)

TEXT: dict[str, dict[str, str]] = {
    "report_title": {"en": "Reliability report {period}", "fr": "Rapport de fiabilité {period}"},
    "service_review_title": {"en": "Service review: {subject}", "fr": "Revue de service : {subject}"},
    "subtitle": {
        "en": "Postmortems of incidents that started in {period}, as of {as_of}{filters}.",
        "fr": "Postmortems des incidents commencés en {period}, au {as_of}{filters}.",
    },
    "filters": {"en": " (filtered: {filters})", "fr": " (filtre : {filters})"},
    "nothing_recurs": {
        "en": "No incident of this period recurred: no earlier incident shares a service and a root-cause category.",
        "fr": "Aucun incident de cette période ne s'est répété : aucun incident antérieur ne partage un service et "
              "une catégorie de cause.",
    },
    "no_data": {
        "en": "No data for this period: no postmortem or incident matches.",
        "fr": "Aucune donnée pour cette période : aucun postmortem ni incident ne correspond.",
    },
    "no_rows": {"en": "Nothing to list.", "fr": "Rien à signaler."},
    # sections
    "h_summary": {"en": "Headline summary", "fr": "Synthèse"},
    "h_learning": {"en": "How fast do we learn", "fr": "À quelle vitesse apprenons-nous"},
    "h_follow_through": {"en": "Do we follow through", "fr": "Allons-nous au bout des actions"},
    "h_causes": {"en": "What keeps breaking", "fr": "Ce qui casse encore"},
    "h_durations": {"en": "Detection and resolution", "fr": "Détection et résolution"},
    "h_quality": {"en": "Postmortem quality and blameless language",
                  "fr": "Qualité des postmortems et culture sans blâme"},
    "h_data_quality": {"en": "Data quality", "fr": "Qualité des données"},
    "h_definitions": {"en": "Definitions", "fr": "Définitions"},
    "h_provenance": {"en": "Provenance", "fr": "Provenance"},
    "h_incidents": {"en": "Incidents", "fr": "Incidents"},
    "h_open_actions": {"en": "Open actions", "fr": "Actions ouvertes"},
    # sub-headings
    "overdue_postmortems": {"en": "Overdue postmortems", "fr": "Postmortems en retard"},
    "overdue_actions": {"en": "Overdue actions by owner team", "fr": "Actions en retard par équipe"},
    "recurring_pairs": {"en": "Recurrences", "fr": "Récurrences"},
    "open_fix": {"en": "Recurred with a fix still open", "fr": "Récurrents avec un correctif encore ouvert"},
    "blameless_findings": {"en": "Blameless findings", "fr": "Formulations qui blâment"},
    "rejected_files": {"en": "Files rejected at load", "fr": "Fichiers rejetés au chargement"},
    "left_out": {"en": "Left out of the figures", "fr": "Écartés des chiffres"},
    "rejected_detail": {"en": "{command} gives each file's full message and how to fix it.",
                        "fr": "{command} donne le message complet de chaque fichier et la façon de le corriger."},
    # KPI names (cards)
    "card_coverage": {"en": "Coverage of required incidents", "fr": "Couverture des incidents obligatoires"},
    "card_time_to_postmortem": {"en": "Median time to postmortem", "fr": "Délai médian de postmortem"},
    "card_within_deadline_rate": {"en": "Postmortems within deadline", "fr": "Postmortems dans le délai"},
    "card_time_to_resolve": {"en": "Median time to resolve", "fr": "Délai médian de résolution"},
    "card_completion_rate": {"en": "Actions completed", "fr": "Actions réalisées"},
    "card_recurrence_rate": {"en": "Recurring incidents", "fr": "Incidents récurrents"},
    "yes": {"en": "yes", "fr": "oui"},
    "no": {"en": "no", "fr": "non"},
    "more_rows": {"en": "… and {count} more", "fr": "… et {count} de plus"},
    # sentences of sections
    "ttp_sentence": {
        "en": "{published} of {postmortems} postmortems are published; with open drafts counted as "
              "not yet published, half are published within {km_median} of resolution.",
        "fr": "{published} postmortems publiés sur {postmortems} ; en comptant les brouillons ouverts "
              "comme non publiés, la moitié est publiée en moins de {km_median} après la résolution.",
    },
    "median_not_reached": {"en": "(median not reached)", "fr": "(médiane non atteinte)"},
    "quality_sentence": {
        "en": "Median completeness score {median}/100 over {n} postmortems; {flagged} with "
              "blaming language.",
        "fr": "Score médian de complétude {median}/100 sur {n} postmortems ; {flagged} avec "
              "des formulations qui blâment.",
    },
    "load_sentence": {
        "en": "Last load: {loaded} postmortems loaded, {rejected} rejected, {skipped} skipped, "
              "{warnings} warnings.",
        "fr": "Dernier chargement : {loaded} postmortems chargés, {rejected} rejetés, {skipped} ignorés, "
              "{warnings} avertissements.",
    },
    # provenance
    "corpus_fingerprint": {"en": "Corpus fingerprint", "fr": "Empreinte du corpus"},
    "version": {"en": "pmanalytics version", "fr": "Version de pmanalytics"},
    "parameters": {"en": "Parameters", "fr": "Paramètres"},
    "generated_at": {"en": "Generated at", "fr": "Généré le"},
    "loaded_at": {"en": "Corpus loaded at", "fr": "Corpus chargé le"},
    "corpus_path": {"en": "Corpus", "fr": "Corpus"},
    "files": {"en": "Files", "fr": "Fichiers"},
    "files_sentence": {"en": "{seen} seen, {loaded} loaded, {rejected} rejected, {skipped} skipped",
                       "fr": "{seen} vus, {loaded} chargés, {rejected} rejetés, {skipped} ignorés"},
    "no_load": {"en": "no load recorded", "fr": "aucun chargement enregistré"},
    "filter_team": {"en": "team", "fr": "équipe"},
    "filter_service": {"en": "service", "fr": "service"},
    "filter_severity": {"en": "severity", "fr": "sévérité"},
    "param_period": {"en": "period", "fr": "période"},
    "param_as_of": {"en": "as of", "fr": "au"},
    "param_deadline": {"en": "postmortem deadline", "fr": "délai de postmortem"},
    "param_lang": {"en": "language", "fr": "langue"},
    "param_quarters": {"en": "quarters", "fr": "trimestres"},
    "full_table": {"en": "full table (CSV)", "fr": "tableau complet (CSV)"},
    # needs attention
    "h_attention": {"en": "Needs attention", "fr": "À traiter en priorité"},
    "attention_none": {"en": "Nothing needs attention: no overdue postmortem or action, no recurrence with a fix "
                               "still open, and no figure worse than {previous}.",
                       "fr": "Rien à signaler : aucun postmortem ni aucune action en retard, aucune récurrence "
                             "avec un correctif encore ouvert, et aucun indicateur moins bon qu'en {previous}."},
    "attention_overdue_postmortems": {
        "en": "{count} postmortems of required incidents are past their deadline; the oldest, {oldest}, "
              "by {days}.",
        "fr": "{count} postmortems d'incidents obligatoires ont dépassé leur délai ; le plus ancien, "
              "{oldest}, de {days}.",
    },
    "attention_overdue_postmortems_one": {
        "en": "1 postmortem of a required incident is past its deadline: {oldest}, by {days}.",
        "fr": "1 postmortem d'incident obligatoire a dépassé son délai : {oldest}, de {days}.",
    },
    "attention_overdue_actions": {
        "en": "{count} corrective actions are overdue, most of them in {where}.",
        "fr": "{count} actions correctives sont en retard, surtout chez {where}.",
    },
    "attention_overdue_actions_one": {
        "en": "1 corrective action is overdue, in {where}.",
        "fr": "1 action corrective est en retard, chez {where}.",
    },
    "attention_missing_postmortems": {
        "en": "{count} required incidents have no postmortem at all: {where}.",
        "fr": "{count} incidents obligatoires n'ont aucun postmortem : {where}.",
    },
    "attention_missing_postmortems_one": {
        "en": "1 required incident has no postmortem at all: {where}, {days} past the deadline.",
        "fr": "1 incident obligatoire n'a aucun postmortem : {where}, {days} après le délai.",
    },
    "attention_open_fix": {
        "en": "{count} incidents recurred while the fix of an earlier one was still open, most often {where}.",
        "fr": "{count} incidents se sont répétés alors que le correctif d'un incident antérieur était encore "
              "ouvert, le plus souvent {where}.",
    },
    "attention_open_fix_one": {
        "en": "1 incident recurred while the fix of an earlier one was still open: {where}.",
        "fr": "1 incident s'est répété alors que le correctif d'un incident antérieur était encore ouvert : "
              "{where}.",
    },
    "attention_worse": {
        "en": "{kpi} got worse: {value}, against {previous_value} in {previous}.",
        "fr": "{kpi} s'est dégradé : {value}, contre {previous_value} en {previous}.",
    },
    "attention_worse_many": {
        "en": "Worse than in {previous}: {where}.",
        "fr": "Moins bons qu'en {previous} : {where}.",
    },
    "and_more": {"en": "{names} and {count} more", "fr": "{names} et {count} autres"},
    # cards
    "card_incidents": {"en": "Incidents", "fr": "Incidents"},
    "card_incidents_detail": {"en": "{s1} S1, {public} public", "fr": "{s1} S1, {public} publics"},
    "card_incidents_detail_one": {"en": "{s1} S1, {public} public", "fr": "{s1} S1, {public} public"},
    "card_overdue_postmortems": {"en": "Overdue postmortems", "fr": "Postmortems en retard"},
    "card_overdue_actions": {"en": "Overdue actions", "fr": "Actions en retard"},
    # a key with a `_one` twin is written with `plural`, which picks the form the count takes
    "n_required": {"en": "n = {n} required incidents", "fr": "n = {n} incidents obligatoires"},
    "n_required_one": {"en": "n = {n} required incident", "fr": "n = {n} incident obligatoire"},
    "n_with_drafts": {"en": "n = {n} postmortems, drafts counted as not yet published",
                      "fr": "n = {n} postmortems, brouillons comptés comme non publiés"},
    "n_with_drafts_one": {"en": "n = {n} postmortem, drafts counted as not yet published",
                          "fr": "n = {n} postmortem, brouillons comptés comme non publiés"},
    "n_postmortems": {"en": "n = {n} postmortems", "fr": "n = {n} postmortems"},
    "n_postmortems_one": {"en": "n = {n} postmortem", "fr": "n = {n} postmortem"},
    "n_actions": {"en": "n = {n} actions", "fr": "n = {n} actions"},
    "n_actions_one": {"en": "n = {n} action", "fr": "n = {n} action"},
    "n_recurring": {"en": "{count} recurring", "fr": "{count} récurrents"},
    "n_recurring_one": {"en": "{count} recurring", "fr": "{count} récurrent"},
    "points": {"en": "{value} points", "fr": "{value} points"},
    "points_one": {"en": "{value} point", "fr": "{value} point"},
    "previous_value": {"en": "{previous}: {value}", "fr": "{previous} : {value}"},
    "verdict_too_few": {"en": "too few to compare", "fr": "trop peu pour comparer"},
    "verdict_noise": {"en": "within noise", "fr": "dans le bruit"},
    "verdict_better": {"en": "better", "fr": "meilleur"},
    "verdict_worse": {"en": "worse", "fr": "moins bon"},
    "difference": {"en": "{difference} (95 % interval {low} to {high})",
                   "fr": "{difference} (intervalle à 95 % : {low} à {high})"},
    "days_overdue_words": {"en": "{days} days", "fr": "{days} jours"},
    "days_overdue_words_one": {"en": "{days} day", "fr": "{days} jour"},
    "empty_period": {
        "en": "no incident started in {period}; the corpus spans {first} to {last}",
        "fr": "aucun incident n'a commencé en {period} ; le corpus va du {first} au {last}",
    },
}

COLUMNS: dict[str, dict[str, str]] = {
    "incident_key": {"en": "Incident", "fr": "Incident"},
    "postmortem_id": {"en": "Postmortem", "fr": "Postmortem"},
    "earlier_postmortem_id": {"en": "Earlier postmortem", "fr": "Postmortem antérieur"},
    "title": {"en": "Title", "fr": "Titre"},
    "severity": {"en": "Severity", "fr": "Sévérité"},
    "is_public": {"en": "Public", "fr": "Public"},
    "resolved_at": {"en": "Resolved", "fr": "Résolu"},
    "due_at": {"en": "Due", "fr": "Échéance"},
    "due_date": {"en": "Due", "fr": "Échéance"},
    "days_overdue": {"en": "Days overdue", "fr": "Jours de retard"},
    "teams": {"en": "Teams", "fr": "Équipes"},
    "owner_team": {"en": "Owner team", "fr": "Équipe responsable"},
    "group_key": {"en": "Group", "fr": "Groupe"},
    "total": {"en": "Actions", "fr": "Actions"},
    "done": {"en": "Done", "fr": "Faites"},
    "completion_rate": {"en": "Completion", "fr": "Réalisation"},
    "on_time_rate": {"en": "On time", "fr": "Dans les temps"},
    "overdue": {"en": "Overdue", "fr": "En retard"},
    "median_days_to_close": {"en": "Median time to close", "fr": "Délai médian de clôture"},
    "action_id": {"en": "Action", "fr": "Action"},
    "description": {"en": "Description", "fr": "Description"},
    "status": {"en": "Status", "fr": "Statut"},
    "service_names": {"en": "Services", "fr": "Services"},
    "categories": {"en": "Causes", "fr": "Causes"},
    "days_between": {"en": "Days between", "fr": "Jours d'écart"},
    "service_name": {"en": "Service", "fr": "Service"},
    "category": {"en": "Cause", "fr": "Cause"},
    "recurring": {"en": "Recurring", "fr": "Récurrents"},
    "postmortems": {"en": "Postmortems", "fr": "Postmortems"},
    "rule": {"en": "Rule", "fr": "Règle"},
    "sentence_redacted": {"en": "Sentence", "fr": "Phrase"},
    "suggestion": {"en": "Suggestion", "fr": "Suggestion"},
    "path": {"en": "File", "fr": "Fichier"},
    "line": {"en": "Line", "fr": "Ligne"},
    "message": {"en": "Reason", "fr": "Raison"},
    "load_reason": {"en": "Reason", "fr": "Raison"},
    "figure": {"en": "Figure", "fr": "Chiffre"},
    "covered": {"en": "Covered", "fr": "Couverts"},
    "reason": {"en": "Reason", "fr": "Raison"},
    "n": {"en": "Postmortems", "fr": "Postmortems"},
    "median": {"en": "Median", "fr": "Médiane"},
    "p25": {"en": "25th pct", "fr": "1er quartile"},
    "p75": {"en": "75th pct", "fr": "3e quartile"},
    "started_at": {"en": "Started", "fr": "Début"},
    "score": {"en": "Score", "fr": "Score"},
    "stage": {"en": "Stage", "fr": "Étape"},
    "median_minutes": {"en": "Median", "fr": "Médiane"},
    "p90_minutes": {"en": "p90", "fr": "90e centile"},
    "median_hours": {"en": "Median", "fr": "Médiane"},
    "p90_hours": {"en": "p90", "fr": "90e centile"},
    "left_out": {"en": "Left out", "fr": "Écartés"},
    "mean_sections": {"en": "Sections (of 6)", "fr": "Sections (sur 6)"},
    "where": {"en": "Where", "fr": "Où"},
    "sentence": {"en": "Sentence", "fr": "Phrase"},
    "services": {"en": "Services", "fr": "Services"},
    "source_path": {"en": "File", "fr": "Fichier"},
    "service": {"en": "Service", "fr": "Service"},
    "cause": {"en": "Cause", "fr": "Cause"},
    "open_then": {"en": "Actions open then", "fr": "Actions ouvertes alors"},
    "open_now": {"en": "Still open now", "fr": "Encore ouvertes"},
    "action_type": {"en": "Type", "fr": "Type"},
}


def text(key: str, lang: str, **values: object) -> str:
    """The string `key` in `lang`, with `values` filled in."""
    return _filled(TEXT[key], lang, values)


def plural(key: str, count: object, lang: str, /, **values: object) -> str:
    """`text` of `key`, or of `key_one` when `count` takes the singular in `lang`: n = 1 incident."""
    return text(_plural_key(TEXT, key, count, lang), lang, **values)


def _filled(templates: dict[str, str], lang: str, values: dict[str, object]) -> str:
    lang = language(lang)
    template = templates[lang]
    if lang == "fr":  # the space before ; : ? ! must not let the sign start a line
        template = re.sub(r" ([;:?!])", "\N{NARROW NO-BREAK SPACE}\\1", template)
    return template.format(**values) if values else template


def _plural_key(table: dict[str, dict[str, str]], key: str, count: object, lang: str) -> str:
    """`key_one` when the table has it and `count` takes the singular form: 1 in English; 0, 1 and
    1.5 in French (the CLDR plural rules Babel holds); `key` otherwise, and for a missing count."""
    try:
        number = abs(float(count))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return key
    if not math.isfinite(number) or f"{key}_one" not in table:
        return key
    rule = Locale.parse(language(lang)).plural_form
    return f"{key}_one" if rule(int(number) if number.is_integer() else number) == "one" else key


def column(name: str, lang: str) -> str:
    lang = language(lang)
    labels = COLUMNS.get(name)
    return labels[lang] if labels else name


# A chart title stays within 42 characters in every language: plotly never wraps a title, and a longer
# one is cut on a 390 px phone (tests/test_charts.py checks it).
CHARTS: dict[str, dict[str, str]] = {
    "ttp_title": {"en": "Share of postmortems not yet published",
                  "fr": "Part des postmortems pas encore publiés"},
    "ttp_x": {"en": "{unit} since the incident was resolved", "fr": "{unit} depuis la résolution de l'incident"},
    "ttp_y": {"en": "share not yet published", "fr": "part non encore publiée"},
    "ttp_band": {"en": "95 % interval", "fr": "intervalle à 95 %"},
    "ttp_line": {"en": "not yet published", "fr": "pas encore publiés"},
    "deadline": {"en": "deadline {hours} h", "fr": "délai {hours} h"},
    "hover_pair": {"en": "{label}: {value}", "fr": "{label} : {value}"},
    "median": {"en": "median", "fr": "médiane"},
    "p90": {"en": "p90", "fr": "90e centile"},
    "ecdf_title": {"en": "Time to detect, mitigate and resolve",
                   "fr": "Délais : détection, atténuation, résolution"},
    "ecdf_x": {"en": "time since impact began (log scale)",
               "fr": "temps depuis le début de l'impact (échelle log)"},
    "ecdf_y": {"en": "share of incidents", "fr": "part des incidents"},
    "stage_detect": {"en": "detect", "fr": "détection"},
    "stage_mitigate": {"en": "mitigate", "fr": "atténuation"},
    "stage_resolve": {"en": "resolve", "fr": "résolution"},
    "ages_title": {"en": "Actions done within 30/60/90 days",
                   "fr": "Actions faites en 30/60/90 jours"},
    "ages_x": {"en": "quarter of the incident", "fr": "trimestre de l'incident"},
    "ages_y": {"en": "share of actions done", "fr": "part des actions faites"},
    "ages_trace": {"en": "within {age} days", "fr": "en {age} jours"},
    "backlog_title": {"en": "Open corrective actions over time", "fr": "Actions correctives ouvertes dans le temps"},
    "backlog_x": {"en": "month end", "fr": "fin de mois"},
    "backlog_y": {"en": "actions", "fr": "actions"},
    "open": {"en": "open", "fr": "ouvertes"},
    "overdue": {"en": "overdue", "fr": "en retard"},
    "trend_title": {"en": "Root-cause categories per quarter", "fr": "Catégories de causes par trimestre"},
    "trend_x": {"en": "quarter", "fr": "trimestre"},
    "trend_y": {"en": "share of postmortems citing it", "fr": "part des postmortems qui la citent"},
    "recurring_title": {"en": "Recurring service × category", "fr": "Service × cause récurrents"},
    "recurring_x": {"en": "recurring postmortems", "fr": "postmortems récurrents"},
    "coverage_title": {"en": "Coverage of required incidents", "fr": "Couverture des incidents obligatoires"},
    "coverage_y": {"en": "covered / required", "fr": "couverts / obligatoires"},
    "none_required": {"en": "none required", "fr": "aucun obligatoire"},
    "minutes": {"en": "minutes", "fr": "minutes"},
    "hours": {"en": "hours", "fr": "heures"},
    "days": {"en": "days", "fr": "jours"},
    "ages_point": {"en": "n = {n}", "fr": "n = {n}"},
    "ages_hover": {"en": "{cohort}: {done} of {n} actions done within {age} days",
                   "fr": "{cohort} : {done} actions sur {n} faites en {age} jours"},
    "ages_hover_one": {"en": "{cohort}: {done} of {n} actions done within {age} days",
                       "fr": "{cohort} : {done} action sur {n} faite en {age} jours"},
    "trend_hover": {"en": "{category}, {period}: {count} of {total} postmortems",
                    "fr": "{category}, {period} : {count} postmortems sur {total}"},
    "trend_hover_one": {"en": "{category}, {period}: {count} of {total} postmortems",
                        "fr": "{category}, {period} : {count} postmortem sur {total}"},
    "backlog_open_hover": {"en": "{date}: {count} open", "fr": "{date} : {count} ouvertes"},
    "backlog_open_hover_one": {"en": "{date}: {count} open", "fr": "{date} : {count} ouverte"},
    "backlog_overdue_hover": {"en": "{date}: {count} overdue", "fr": "{date} : {count} en retard"},
    "volume_title": {"en": "Incidents per quarter, by severity", "fr": "Incidents par trimestre, par sévérité"},
    "volume_y": {"en": "incidents", "fr": "incidents"},
    "resolve_title": {"en": "Time to resolve by service",
                      "fr": "Délai de résolution par service"},
    "resolve_x": {"en": "time to resolve", "fr": "délai de résolution"},
    "resolve_hover": {"en": "{service}: median {median}, p90 {p90} (n = {n})",
                      "fr": "{service} : médiane {median}, 90e centile {p90} (n = {n})"},
}


def chart_text(key: str, lang: str, **values: object) -> str:
    """A chart's word `key` in `lang`, with `values` filled in."""
    return _filled(CHARTS[key], lang, values)


def chart_plural(key: str, count: object, lang: str, /, **values: object) -> str:
    """`chart_text` of `key`, or of `key_one` when `count` takes the singular in `lang` (see `plural`)."""
    return chart_text(_plural_key(CHARTS, key, count, lang), lang, **values)


# Values stored in English in the database, shown in the report's language: root-cause
# categories (French names of docs/corpus.md section 1.2), statuses, action types, owner
# placeholders, blameless rules, figures and the reasons a figure left a postmortem out.
VALUES: dict[str, dict[str, dict[str, str]]] = {
    "category": {
        "config": {"en": "config", "fr": "configuration"},
        "deployment": {"en": "deployment", "fr": "déploiement"},
        "software": {"en": "software", "fr": "logiciel"},
        "capacity": {"en": "capacity", "fr": "capacité"},
        "dependency": {"en": "dependency", "fr": "dépendance"},
        "infrastructure": {"en": "infrastructure", "fr": "infrastructure"},
        "data": {"en": "data", "fr": "données"},
        "security": {"en": "security", "fr": "sécurité"},
        "monitoring": {"en": "monitoring", "fr": "supervision"},
        "communication": {"en": "communication", "fr": "communication"},
        "process": {"en": "process", "fr": "processus"},
        "tech-debt": {"en": "tech debt", "fr": "dette technique"},
        "other": {"en": "other", "fr": "autre"},
    },
    "status": {
        "open": {"en": "open", "fr": "ouverte"},
        "in_progress": {"en": "in progress", "fr": "en cours"},
        "done": {"en": "done", "fr": "réalisée"},
        "cancelled": {"en": "cancelled", "fr": "annulée"},
        "unknown": {"en": "not understood", "fr": "non reconnu"},
        "draft": {"en": "draft", "fr": "brouillon"},
        "review": {"en": "in review", "fr": "en relecture"},
        "published": {"en": "published", "fr": "publié"},
    },
    "action_type": {
        "short": {"en": "short term", "fr": "court terme"},
        "long": {"en": "long term", "fr": "long terme"},
        "(no type)": {"en": "(no type)", "fr": "(sans type)"},
    },
    "team": {
        "(other owner)": {"en": "(other owner)", "fr": "(autre responsable)"},
        "(no owner)": {"en": "(no owner)", "fr": "(sans responsable)"},
    },
    "rule": {
        "human-error": {"en": "human error", "fr": "erreur humaine"},
        "forgot": {"en": "forgot", "fr": "oubli"},
        "should-have": {"en": "should have", "fr": "aurait dû"},
        "negligence": {"en": "negligence", "fr": "négligence"},
        "careless": {"en": "careless", "fr": "inattention"},
        "fault-of": {"en": "fault of", "fr": "faute de"},
        "blame": {"en": "blame", "fr": "reproche"},
        "failed-to": {"en": "failed to", "fr": "n'a pas su"},
        "named-person": {"en": "person named", "fr": "personne nommée"},
    },
    "figure": {
        "actions": {"en": "actions", "fr": "actions"},
        "recurrence": {"en": "recurrence", "fr": "récurrence"},
        "time_to_detect": {"en": "time to detect", "fr": "délai de détection"},
        "time_to_mitigate": {"en": "time to mitigate", "fr": "délai d'atténuation"},
        "time_to_postmortem": {"en": "time to postmortem", "fr": "délai de postmortem"},
        "time_to_resolve": {"en": "time to resolve", "fr": "délai de résolution"},
        "overdue_postmortems": {"en": "overdue postmortems", "fr": "postmortems en retard"},
    },
    "reason": {
        "not published by as_of": {"en": "not published by the report date", "fr": "non publié à la date du rapport"},
        "published before resolved (negative time)": {
            "en": "published before resolved (negative time)", "fr": "publié avant la résolution (délai négatif)"},
        "no detected_at": {"en": "no detection time", "fr": "pas d'heure de détection"},
        "detected after as_of (not known yet)": {
            "en": "detected after the report date (not known yet)", "fr": "détecté après la date du rapport"},
        "detected before started (out of order)": {
            "en": "detected before it started (out of order)", "fr": "détecté avant le début (dates incohérentes)"},
        "no mitigated_at": {"en": "no mitigation time", "fr": "pas d'heure d'atténuation"},
        "mitigated after as_of (not known yet)": {
            "en": "mitigated after the report date (not known yet)", "fr": "atténué après la date du rapport"},
        "mitigated before started (out of order)": {
            "en": "mitigated before it started (out of order)", "fr": "atténué avant le début (dates incohérentes)"},
        "no resolved_at": {"en": "no resolution time", "fr": "pas d'heure de résolution"},
        "no resolved_at (no clock start)": {"en": "no resolution time (the clock has no start)",
                                            "fr": "pas d'heure de résolution (le délai n'a pas de début)"},
        "no resolved_at (no deadline)": {"en": "no resolution time (no deadline)",
                                         "fr": "pas d'heure de résolution (pas d'échéance)"},
        "resolved after as_of (not known yet)": {
            "en": "resolved after the report date (not known yet)", "fr": "résolu après la date du rapport"},
        "resolved before started (out of order)": {
            "en": "resolved before it started (out of order)", "fr": "résolu avant le début (dates incohérentes)"},
        "no action (or only cancelled ones)": {
            "en": "no action (or only cancelled ones)", "fr": "aucune action (ou seulement annulées)"},
        "no service": {"en": "no service", "fr": "aucun service"},
        "no root cause other than other": {
            "en": "no root cause other than \"other\"", "fr": "aucune cause autre que « autre »"},
    },
}


def value_name(kind: str, value: str, lang: str) -> str:
    """A stored value (a category, a status…) in `lang`; a value of the corpus's own stays as written."""
    names = VALUES[kind].get(value)
    return names[language(lang)] if names else value


def category_name(category: str, lang: str) -> str:
    """A root-cause category in `lang`: `deployment` → `déploiement` (docs/corpus.md section 1.2)."""
    return value_name("category", category, lang)


# Why the last load rejected a file, in each language. `check` groups the loader's messages into reasons
# (`ingest.reasons.reason_of`: "severity 'huge' not understood (write S1…)" → "severity not understood");
# each pattern below matches one reason whole, the first that matches wins, and a key of the corpus's
# files (`started_at`) stays as written. The full English message, with its fix, is what `pmanalytics
# check` prints: a report shows the reason only.
REJECTIONS: tuple[tuple[str, dict[str, str]], ...] = (
    (r"no front matter", {"en": "no front matter", "fr": "aucun en-tête de métadonnées"}),
    (r"front matter never closed", {"en": "front matter never closed", "fr": "en-tête jamais refermé"}),
    (r"front matter is empty", {"en": "front matter is empty", "fr": "en-tête vide"}),
    (r"(?:front matter|row) is not valid YAML", {"en": "front matter is not valid YAML",
                                                 "fr": "en-tête illisible (YAML non valide)"}),
    (r"front matter is not a set of lines", {"en": "front matter is not a set of key: value lines",
                                             "fr": "en-tête qui n'est pas une liste de clés et de valeurs"}),
    (r"front matter uses the YAML tag\b.*", {"en": "front matter uses a YAML tag, which is never run",
                                             "fr": "en-tête avec une balise YAML, jamais exécutée"}),
    (r"front matter too complex", {"en": "front matter too complex (YAML aliases)",
                                   "fr": "en-tête trop complexe (alias YAML)"}),
    (r"front matter (?:too large|larger than .*)", {"en": "front matter too large", "fr": "en-tête trop volumineux"}),
    (r"(?:front matter )?nested too deeply(?: to read)?", {"en": "nested too deeply",
                                                           "fr": "imbrication trop profonde"}),
    (r"(?P<encoding>UTF-(?:16|32)) text", {"en": "{encoding} text, not UTF-8",
                                           "fr": "texte en {encoding}, pas en UTF-8"}),
    (r"not UTF-8 text", {"en": "not UTF-8 text", "fr": "texte qui n'est pas en UTF-8"}),
    (r"binary data, not a text file", {"en": "binary data, not a text file",
                                       "fr": "données binaires, pas un fichier texte"}),
    (r"severity not understood", {"en": "severity not understood", "fr": "sévérité non reconnue"}),
    (r"missing required key (?P<keys>\S+)", {"en": "missing required key {keys}",
                                            "fr": "clé obligatoire manquante : {keys}"}),
    (r"missing required keys (?P<keys>.+)", {"en": "missing required keys {keys}",
                                            "fr": "clés obligatoires manquantes : {keys}"}),
    (r"id has only invisible characters", {"en": "id has only invisible characters",
                                           "fr": "identifiant fait de caractères invisibles"}),
    (r"duplicate id", {"en": "duplicate id", "fr": "identifiant en double"}),
    (r"duplicate incident id", {"en": "duplicate incident id", "fr": "identifiant d'incident en double"}),
    (r"action row has no postmortem_id", {"en": "action row has no postmortem_id",
                                          "fr": "ligne d'action sans postmortem_id"}),
    (r"incident row has no id", {"en": "incident row has no id", "fr": "ligne d'incident sans identifiant"}),
    (r"action row\b.*", {"en": "action row not understood", "fr": "ligne d'action illisible"}),
    (r"incident row\b.*", {"en": "incident row not understood", "fr": "ligne d'incident illisible"}),
    (r"action for postmortem\b.*\bnot in the corpus", {"en": "action of a postmortem that is not in the corpus",
                                                       "fr": "action d'un postmortem absent du corpus"}),
    (r"action\b.*\bmatches no action of\b.*", {
        "en": "tracker action that matches no action of its postmortem",
        "fr": "action du suivi sans action correspondante dans son postmortem"}),
    (r"(?P<key>[\w.-]+) is not an ISO 8601 timestamp", {"en": "{key} is not an ISO 8601 timestamp",
                                                         "fr": "{key} : horodatage illisible (ISO 8601 attendu)"}),
    (r"(?P<key>[\w.-]+) gives two offsets", {"en": "{key} gives two offsets",
                                             "fr": "{key} : deux décalages horaires"}),
    (r"(?P<key>[\w.-]+): empty timestamp", {"en": "{key}: empty timestamp", "fr": "{key} : horodatage vide"}),
    (r"(?P<key>[\w.-]+) is out of range", {"en": "{key} is out of range",
                                           "fr": "{key} : date hors limites (an 1 à 9999)"}),
    (r"(?P<key>[\w.-]+) is not a date", {"en": "{key} is not a date", "fr": "{key} : date illisible"}),
    (r"(?P<key>[\w.-]+) is not a boolean", {"en": "{key} is not a boolean", "fr": "{key} : ni vrai ni faux"}),
    (r"(?P<key>[\w.-]+): expected a single value, found a list or mapping", {
        "en": "{key}: a list instead of a single value", "fr": "{key} : une liste au lieu d'une seule valeur"}),
    (r"file (?:of .+ )?is over the (?P<limit>[\d.,]+) MB limit", {"en": "file over the {limit} MB limit",
                                                                  "fr": "fichier de plus de {limit} Mo"}),
    (r"symbolic link loop", {"en": "symbolic link loop", "fr": "lien symbolique en boucle"}),
    (r"symbolic link to a file outside the corpus", {"en": "symbolic link to a file outside the corpus",
                                                     "fr": "lien symbolique vers un fichier hors du corpus"}),
    (r"symbolic link to a file that does not exist", {"en": "symbolic link to a file that does not exist",
                                                      "fr": "lien symbolique vers un fichier absent"}),
    (r"not a regular file\b.*", {"en": "not a regular file", "fr": "pas un fichier ordinaire"}),
    (r"a folder named like a file", {"en": "a folder named like a file", "fr": "dossier nommé comme un fichier"}),
    (r"(?:folder )?cannot be read", {"en": "cannot be read (permissions)", "fr": "illisible (droits d'accès)"}),
    (r"not enough memory to read this file", {"en": "not enough memory to read this file",
                                              "fr": "mémoire insuffisante pour lire ce fichier"}),
    (r"not valid CSV", {"en": "not valid CSV", "fr": "CSV non valide"}),
    (r"not valid JSON", {"en": "not valid JSON", "fr": "JSON non valide"}),
    (r"JSON nested too deeply", {"en": "JSON nested too deeply", "fr": "JSON trop imbriqué"}),
    (r"a JSON export must be an array of objects", {"en": "JSON export that is not an array of objects",
                                                    "fr": "export JSON qui n'est pas un tableau d'objets"}),
    (r"a JSON array export is limited to (?P<limit>[\d.,]+) MB", {"en": "JSON export over the {limit} MB limit",
                                                                  "fr": "export JSON de plus de {limit} Mo"}),
    (r"item \S+ is not a JSON object", {"en": "export item that is not a JSON object",
                                        "fr": "élément d'export qui n'est pas un objet JSON"}),
    (r"column appears twice in the header", {"en": "column appears twice in the header",
                                             "fr": "colonne présente deux fois dans la ligne de titres"}),
    (r"row too large", {"en": "export row too large", "fr": "ligne d'export trop volumineuse"}),
)
# a reason none of the patterns knows: English as `check` writes it; in French, no English sentence
REJECTION_FALLBACK = {"fr": "refusé au chargement (la raison est donnée par pmanalytics check)"}
_REJECTIONS = tuple((re.compile(pattern), words) for pattern, words in REJECTIONS)


def rejection_reason(message: str, lang: str) -> str:
    """Why the loader rejected a file, in `lang`: the reason `pmanalytics check` groups `message` under."""
    reason = reason_of(message)
    for pattern, words in _REJECTIONS:
        match = pattern.fullmatch(reason)
        if match:
            return _filled(words, lang, match.groupdict())
    lang = language(lang)
    return reason if lang == "en" else _filled(REJECTION_FALLBACK, lang, {})
