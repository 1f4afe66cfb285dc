"""Every word a report shows, in each language of `LANGUAGES`.

Figure definitions live in `metrics.definitions`; this module holds headings, labels,
KPI names and the sentence templates of the reports.
"""

from __future__ import annotations

from pmanalytics.languages import LANGUAGES, language  # noqa: F401  (re-exported for the report modules)

TEXT: dict[str, dict[str, str]] = {
    "report_title": {"en": "Reliability report {period}", "fr": "Rapport de fiabilité {period}"},
    "service_review_title": {"en": "Service review: {subject}", "fr": "Revue de service : {subject}"},
    "subtitle": {
        "en": "Postmortems of incidents that started in {period}, as of {as_of}{filters}.",
        "fr": "Postmortems des incidents commencés en {period}, au {as_of}{filters}.",
    },
    "filters": {"en": " (filtered: {filters})", "fr": " (filtre : {filters})"},
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
    # KPI names
    "kpi_coverage": {"en": "Coverage of required incidents", "fr": "Couverture des incidents obligatoires"},
    "kpi_within_deadline_rate": {"en": "Postmortems within deadline", "fr": "Postmortems dans le délai"},
    "kpi_median_time_to_postmortem_hours": {"en": "Median time to postmortem", "fr": "Délai médian de postmortem"},
    "kpi_median_time_to_resolve_minutes": {"en": "Median time to resolve", "fr": "Délai médian de résolution"},
    "kpi_action_completion_rate": {"en": "Actions completed", "fr": "Actions réalisées"},
    "kpi_recurrence_rate": {"en": "Recurring incidents", "fr": "Incidents récurrents"},
    # KPI sentences
    "kpi_sentence_coverage": {
        "en": "{value} of the incidents that required a postmortem have one published.",
        "fr": "{value} des incidents qui exigeaient un postmortem en ont un publié.",
    },
    "kpi_sentence_within_deadline_rate": {
        "en": "{value} of published postmortems came out within {deadline} h of resolution.",
        "fr": "{value} des postmortems publiés l'ont été moins de {deadline} h après la résolution.",
    },
    "kpi_sentence_median_time_to_postmortem_hours": {
        "en": "Half of the published postmortems took less than {value} after resolution.",
        "fr": "La moitié des postmortems publiés a pris moins de {value} après la résolution.",
    },
    "kpi_sentence_median_time_to_resolve_minutes": {
        "en": "Half of the incidents were resolved within {value} of the start of impact.",
        "fr": "La moitié des incidents a été résolue en moins de {value} après le début de l'impact.",
    },
    "kpi_sentence_action_completion_rate": {
        "en": "{value} of corrective actions are done.",
        "fr": "{value} des actions correctives sont réalisées.",
    },
    "kpi_sentence_recurrence_rate": {
        "en": "{value} of incidents repeat an earlier one on the same service and cause.",
        "fr": "{value} des incidents répètent un incident antérieur sur le même service et la même cause.",
    },
    "change_noise": {
        "en": "Change against {previous}: {change}, not distinguishable from noise.",
        "fr": "Évolution sur {previous} : {change}, indiscernable du bruit.",
    },
    "change_real": {
        "en": "Change against {previous}: {change} (95 % interval {low} to {high}), a real {direction}.",
        "fr": "Évolution sur {previous} : {change} (intervalle à 95 % de {low} à {high}), une {direction} réelle.",
    },
    "change_unknown": {
        "en": "No comparison with {previous}: too few data.",
        "fr": "Pas de comparaison avec {previous} : trop peu de données.",
    },
    "improvement": {"en": "improvement", "fr": "amélioration"},
    "deterioration": {"en": "deterioration", "fr": "dégradation"},
    "not_available": {"en": "n/a", "fr": "n.d."},
    "yes": {"en": "yes", "fr": "oui"},
    "no": {"en": "no", "fr": "non"},
    "more_rows": {"en": "… and {count} more", "fr": "… et {count} de plus"},
    "hours": {"en": "{value:.1f} h", "fr": "{value:.1f} h"},
    "minutes": {"en": "{value:.0f} min", "fr": "{value:.0f} min"},
    "points": {"en": "{value:+.0f} points", "fr": "{value:+.0f} points"},
    # sentences of sections
    "ttp_sentence": {
        "en": "{published} of {postmortems} postmortems are published; with open drafts counted as "
              "not yet published, half are published within {km_median} of resolution.",
        "fr": "{published} postmortems publiés sur {postmortems} ; en comptant les brouillons ouverts "
              "comme non publiés, la moitié est publiée en moins de {km_median} après la résolution.",
    },
    "median_not_reached": {"en": "(median not reached)", "fr": "(médiane non atteinte)"},
    "quality_sentence": {
        "en": "Median completeness score {median:.0f}/100 over {n} postmortems; {flagged} with "
              "blaming language.",
        "fr": "Score médian de complétude {median:.0f}/100 sur {n} postmortems ; {flagged} avec "
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
    "median_days_to_close": {"en": "Median days to close", "fr": "Jours médians pour clore"},
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
    "median_minutes": {"en": "Median (min)", "fr": "Médiane (min)"},
    "p90_minutes": {"en": "p90 (min)", "fr": "90e centile (min)"},
    "left_out": {"en": "Left out", "fr": "Écartés"},
    "mean_sections": {"en": "Sections (of 6)", "fr": "Sections (sur 6)"},
    "where": {"en": "Where", "fr": "Où"},
    "sentence": {"en": "Sentence", "fr": "Phrase"},
    "services": {"en": "Services", "fr": "Services"},
    "source_path": {"en": "File", "fr": "Fichier"},
}


def text(key: str, lang: str, **values: object) -> str:
    """The string `key` in `lang`, with `values` filled in."""
    template = TEXT[key][language(lang)]
    return template.format(**values) if values else template


def column(name: str, lang: str) -> str:
    lang = language(lang)
    labels = COLUMNS.get(name)
    return labels[lang] if labels else name


CHARTS: dict[str, dict[str, str]] = {
    "ttp_title": {"en": "Share of postmortems not yet published, by hours since resolution",
                  "fr": "Part des postmortems pas encore publiés, selon les heures depuis la résolution"},
    "ttp_x": {"en": "hours since the incident was resolved", "fr": "heures depuis la résolution de l'incident"},
    "ttp_y": {"en": "share not yet published", "fr": "part non encore publiée"},
    "ttp_band": {"en": "95 % interval", "fr": "intervalle à 95 %"},
    "ttp_line": {"en": "not yet published", "fr": "pas encore publiés"},
    "deadline": {"en": "deadline {hours:g} h", "fr": "délai {hours:g} h"},
    "median": {"en": "median", "fr": "médiane"},
    "p90": {"en": "p90", "fr": "90e centile"},
    "ecdf_title": {"en": "Time to detect, mitigate and resolve",
                   "fr": "Délais de détection, d'atténuation et de résolution"},
    "ecdf_x": {"en": "minutes since impact began (log scale)",
               "fr": "minutes depuis le début de l'impact (échelle log)"},
    "ecdf_y": {"en": "share of incidents", "fr": "part des incidents"},
    "stage_detect": {"en": "detect", "fr": "détection"},
    "stage_mitigate": {"en": "mitigate", "fr": "atténuation"},
    "stage_resolve": {"en": "resolve", "fr": "résolution"},
    "ages_title": {"en": "Actions done within 30/60/90 days, per cohort",
                   "fr": "Actions faites en 30/60/90 jours, par trimestre d'incident"},
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
}


def chart_text(key: str, lang: str, **values: object) -> str:
    template = CHARTS[key][language(lang)]
    return template.format(**values) if values else template
