"""The definition of every figure, written once in English and French.

Reports embed `DEFINITIONS`; `docs/figures.md` is generated from it
(`python -m pmanalytics.metrics.definitions > docs/figures.md`, checked by a test).
"""

from __future__ import annotations

from dataclasses import dataclass

from pmanalytics.languages import language


@dataclass(frozen=True)
class Definition:
    key: str
    name_en: str
    name_fr: str
    en: str
    fr: str


DEFINITIONS: tuple[Definition, ...] = (
    Definition(
        "period", "Period", "Période",
        "A calendar quarter (2026Q1) of the moment customer impact began (`started_at`), in the "
        "corpus time zone. An incident belongs to the quarter in which it started.",
        "Un trimestre civil (T1 2026, `2026Q1` pour `--period`) du début de l'impact client "
        "(`started_at`), dans le fuseau horaire du corpus. Un incident appartient au trimestre où il a commencé.",
    ),
    Definition(
        "as_of", "As of", "À la date du",
        "The moment a figure is computed at; only what had happened by then counts. A postmortem "
        "published later is unpublished, an action closed later is not done, an incident that "
        "started later does not exist yet. A quarterly report is computed as of the end of its quarter.",
        "Le moment auquel un chiffre est calculé ; seul ce qui s'était produit à ce moment compte. "
        "Un postmortem publié plus tard n'est pas publié, une action close plus tard n'est pas faite, "
        "un incident commencé plus tard n'existe pas encore. Un rapport trimestriel est calculé à la "
        "fin de son trimestre.",
    ),
    Definition(
        "incidents", "Incidents", "Incidents",
        "Postmortems of the period plus the rows of the incident export that have no postmortem, "
        "each incident counted once (where both describe one incident, the postmortem wins).",
        "Les postmortems de la période plus les lignes de l'export d'incidents sans postmortem, "
        "chaque incident compté une fois (quand les deux décrivent le même, le postmortem prime).",
    ),
    Definition(
        "required", "Postmortem required", "Postmortem obligatoire",
        "An incident of severity S1, or visible outside (public), must have a postmortem.",
        "Un incident de sévérité S1, ou visible de l'extérieur (public), doit avoir un postmortem.",
    ),
    Definition(
        "coverage", "Coverage", "Couverture",
        "Required incidents with a postmortem published by the as-of date, divided by required "
        "incidents. Empty when no incident was required.",
        "Incidents obligatoires dont le postmortem est publié à la date du calcul, divisés par les "
        "incidents obligatoires. Vide quand aucun incident n'était obligatoire.",
    ),
    Definition(
        "overdue_postmortems", "Overdue postmortems", "Postmortems en retard",
        "Required incidents without a published postmortem whose resolution plus the deadline "
        "(72 h unless configured) is past.",
        "Incidents obligatoires sans postmortem publié dont la résolution plus le délai (72 h sauf "
        "configuration) est dépassée.",
    ),
    Definition(
        "time_to_postmortem_hours", "Time to postmortem", "Délai de postmortem",
        "Hours from resolution (`resolved_at`) to publication (`published_at`). The report's median "
        "and share within the deadline count open drafts as not yet published: over every postmortem "
        "resolved by the as-of date, a draft counts as 'not published after its current age' "
        "(Kaplan–Meier), so a draft older than the deadline counts as late and drafts cannot make "
        "either figure look better; the median is 'not reached' while more than half may still be "
        "unpublished. Over the published postmortems only, `pmanalytics metrics` also gives the "
        "median, the 90th percentile (linear interpolation) and the share within the deadline. A "
        "negative time is left out and counted.",
        "Heures entre la résolution (`resolved_at`) et la publication (`published_at`). La médiane "
        "et la part dans le délai du rapport comptent les brouillons ouverts comme pas encore "
        "publiés : sur tous les postmortems résolus à la date du calcul, un brouillon compte comme "
        "« non publié à son âge actuel » (Kaplan–Meier) ; un brouillon plus âgé que le délai compte "
        "donc comme en retard, et les brouillons ne peuvent embellir aucun des deux chiffres. La "
        "médiane est « non atteinte » tant que plus de la moitié peut ne pas être publiée. Sur les "
        "seuls postmortems publiés, `pmanalytics metrics` donne aussi la médiane, le 90e centile "
        "(interpolation linéaire) et la part dans le délai. Un délai négatif est écarté et compté.",
    ),
    Definition(
        "time_to_postmortem_curve", "Time-to-publication curve", "Courbe de délai de publication",
        "The share of postmortems not yet published, by hours since resolution (Kaplan–Meier). "
        "Drafts still open count as 'not published after their current age' (censored), so they "
        "cannot make the median look better than it is; the median is 'not reached' when more than "
        "half are still unpublished.",
        "La part des postmortems pas encore publiés, selon les heures écoulées depuis la résolution "
        "(Kaplan–Meier). Les brouillons encore ouverts comptent comme « non publiés à leur âge "
        "actuel » (censure) et ne peuvent donc pas embellir la médiane ; elle est « non atteinte » "
        "quand plus de la moitié n'est pas publiée.",
    ),
    Definition(
        "durations", "Time to detect, mitigate, resolve", "Délais de détection, d'atténuation, de résolution",
        "Minutes from the start of impact to detection, mitigation and resolution: median and 90th "
        "percentile, never a mean, and their distribution. A duration that ends after the as-of date "
        "is not known yet; a negative one (timestamps out of order) is left out and counted.",
        "Minutes entre le début de l'impact et la détection, l'atténuation et la résolution : médiane "
        "et 90e centile, jamais une moyenne, et leur distribution. Un délai qui se termine après la "
        "date du calcul n'est pas encore connu ; un délai négatif (horodatages incohérents) est écarté "
        "et compté.",
    ),
    Definition(
        "actions", "Corrective actions", "Actions correctives",
        "Actions of the period's postmortems, cancelled ones never counted. Completion rate = done / "
        "all; on-time rate = done on or before the due date / done with both dates; overdue = not done "
        "and due before the as-of date; days to close = closing date minus the publication date (or "
        "resolution date when unpublished). Done without a closing date counts as done, but not in "
        "the on-time rate nor days to close. Grouped by owner team, never by person.",
        "Actions des postmortems de la période, les actions annulées n'étant jamais comptées. Taux de "
        "réalisation = faites / toutes ; taux dans les temps = faites au plus tard à l'échéance / "
        "faites avec les deux dates ; en retard = non faites et échéance passée ; jours pour clore = "
        "date de clôture moins date de publication (ou de résolution si non publié). Une action faite "
        "sans date de clôture compte comme faite, mais pas dans le taux dans les temps ni les jours "
        "pour clore. Regroupées par équipe responsable, jamais par personne.",
    ),
    Definition(
        "completion_at_ages", "Completion at 30/60/90 days", "Réalisation à 30/60/90 jours",
        "The share of a quarter's actions done within 30, 60 and 90 days of their postmortem, counted "
        "only once the quarter's actions are that old, so that young quarters are not judged against "
        "old ones.",
        "La part des actions d'un trimestre faites dans les 30, 60 et 90 jours suivant leur "
        "postmortem, comptée seulement quand elles ont atteint cet âge, pour ne pas juger les "
        "trimestres récents comme les anciens.",
    ),
    Definition(
        "backlog", "Open-action backlog", "Stock d'actions ouvertes",
        "Actions not done at the end of each month of the period, and how many of them were past due: every "
        "open action, whatever the quarter of its incident (the filters still choose the postmortems).",
        "Actions non faites à la fin de chaque mois de la période, et combien étaient en retard : toutes "
        "les actions ouvertes, quel que soit le trimestre de leur incident (les filtres choisissent "
        "toujours les postmortems).",
    ),
    Definition(
        "root_causes", "Root causes", "Causes profondes",
        "For each category, the number of the period's postmortems citing it (once per postmortem), "
        "and its share of the period's postmortems. Unknown categories and 'human error' count as "
        "'other'.",
        "Pour chaque catégorie, le nombre de postmortems de la période qui la citent (une fois par "
        "postmortem), et sa part des postmortems de la période. Les catégories inconnues et « erreur "
        "humaine » comptent comme « autre ».",
    ),
    Definition(
        "recurrence", "Recurrence", "Récurrence",
        "An incident recurs when an earlier incident, started at most 180 days before (configurable), "
        "shares one of its services and one of its root-cause categories ('other' never matches). "
        "Recurrence rate = recurring postmortems / postmortems. 'Recurred with a fix still open': some "
        "such earlier incident had an action neither cancelled nor done when the new one started.",
        "Un incident est récurrent quand un incident antérieur, commencé au plus 180 jours avant "
        "(configurable), partage un de ses services et une de ses catégories de cause (« autre » ne "
        "correspond jamais). Taux de récurrence = postmortems récurrents / postmortems. « Récurrent "
        "avec un correctif encore ouvert » : un tel incident antérieur avait une action ni annulée ni "
        "faite au début du nouveau.",
    ),
    Definition(
        "trend", "Change against the previous quarter", "Évolution sur le trimestre précédent",
        "The difference with the previous quarter taken at the same age (2026Q3 as of August 15, 45 "
        "days in, against 2026Q2 as of May 16), with a 95 % interval: Newcombe's score interval for "
        "rates, which holds at 0 % and 100 % (for the completion rate, widened because the actions of "
        "a postmortem tend to be done together; for the share within the deadline, on the sample "
        "size its Kaplan–Meier variance is worth), a bootstrap over postmortems for medians. Time to "
        "postmortem and within deadline are the figures counting drafts as not yet published. Verdict: "
        "'too few' under 10 incidents, postmortems or actions on either side (nothing is claimed); "
        "'noise' when the interval includes zero; otherwise better or worse.",
        "L'écart avec le trimestre précédent pris au même âge (T3 2026 au 15 août, 45 jours après son "
        "début, contre T2 2026 au 16 mai), avec un intervalle à 95 % : l'intervalle de score de "
        "Newcombe pour les taux, qui tient à 0 % et à 100 % (pour le taux d'actions faites, élargi "
        "car les actions d'un postmortem sont souvent faites ensemble ; pour la part dans le délai, "
        "sur la taille d'échantillon que vaut sa variance de Kaplan–Meier), un bootstrap sur les "
        "postmortems pour les médianes. Le délai de postmortem et la part dans le délai sont les "
        "chiffres qui comptent les brouillons comme non publiés. Verdict : « trop peu » sous 10 "
        "incidents, postmortems ou actions d'un côté (rien n'est affirmé) ; « bruit » quand "
        "l'intervalle contient zéro ; sinon mieux ou moins bien.",
    ),
    Definition(
        "left_out", "Left out", "Écartés",
        "Postmortems a figure could not use because their timestamps are in an impossible order "
        "(a negative duration). They stay loaded and are counted, never silently dropped.",
        "Postmortems qu'un chiffre ne peut pas utiliser car leurs horodatages sont dans un ordre "
        "impossible (délai négatif). Ils restent chargés et sont comptés, jamais écartés en silence.",
    ),
)

BY_KEY = {d.key: d for d in DEFINITIONS}


def definition(key: str, lang: str = "en") -> tuple[str, str]:
    """(name, text) of a figure in `lang`, one of the report languages."""
    item = BY_KEY[key]
    return {"en": (item.name_en, item.en), "fr": (item.name_fr, item.fr)}[language(lang)]


HEADLINE_JSON = """\
`pmanalytics metrics --period 2026Q1 --as-of 2026-04-15 --json` prints one object:

| key | meaning |
|---|---|
| `period`, `as_of` | the quarter (or range, or `all`) and the moment computed at, in the corpus time zone |
| `incidents` | incidents of the period (postmortems plus incident rows without one) |
| `postmortems`, `published` | postmortems of the period (any status); those published by `as_of` |
| `required`, `coverage`, `overdue_postmortems` | over `incidents` |
| `time_to_postmortem_hours` | `n`, `median`, `p90`, `within_deadline_rate`, `left_out`; the three `*_with_drafts` |
| `time_to_detect_minutes`, `time_to_mitigate_minutes`, `time_to_resolve_minutes` | `n`, `median`, `p90`, `left_out` |
| `actions` | `total`, `done`, `completion_rate`, `on_time_rate`, `overdue`, `median_days_to_close` |
| `recurrence` | `recurring`, `rate`, `with_open_fix` |
| `root_causes` | postmortems citing each category |
| `load` | `loaded`, `rejected`, `skipped`, `warnings` of the last load |

`n` counts the postmortems a figure was computed for and `left_out` those whose timestamps were
in an impossible order. Rates are rounded to 3 decimals and are `null` when their denominator is
0; medians are `null` when nothing was measured.

In `time_to_postmortem_hours`, `n`, `median`, `p90` and `within_deadline_rate` are over the
postmortems published by `as_of`; `n_with_drafts`, `median_with_drafts` and
`within_deadline_rate_with_drafts` count open drafts as not yet published (Kaplan–Meier, over
every postmortem resolved by `as_of`): these are the figures the reports and `pmanalytics trends`
show. `median_with_drafts` is `null` when not reached.
"""


def markdown() -> str:
    """docs/figures.md: the JSON of `pmanalytics metrics`, then every definition, English and French."""
    lines = ["# What the figures mean", "",
             "Generated from `pmanalytics/metrics/definitions.py`; the reports embed the same text.", "",
             "## The headline figures", "", HEADLINE_JSON]
    for item in DEFINITIONS:
        lines += [f"## {item.name_en} (`{item.key}`)", "", item.en, "", f"*{item.name_fr}.* {item.fr}", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown(), end="")
