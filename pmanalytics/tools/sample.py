"""Synthetic postmortem corpus: demos, tests and benchmarks without real incidents.

`write_sample` writes a corpus that follows the corpus contract (sections 1 to 3):
Markdown postmortems in French and English, one folder per year, plus `README.md`,
`_template.md`, `pmanalytics.toml`, `incidents.csv` and an `actions.csv` tracker
overlay at the root.

Every choice comes from one `random.Random(seed)`, in a fixed order, so the same
arguments give byte-identical files. Instants are computed as UTC epoch seconds and
shown in Europe/Paris with the EU daylight-saving rule written out below, so the
output depends neither on the machine's time zone nor on its tz database. Documents
are rendered and written one at a time: memory stays flat at any `count`.

The corpus holds patterns a reliability report should reveal (recurring
service/category pairs, a rising and a falling cause, late postmortems, overdue
actions, incidents without a postmortem) and, from 50 postmortems on, a fixed set
of deliberately broken files for the data-quality report (`PROBLEMS`).
"""

from __future__ import annotations

import bisect
import csv
import functools
import itertools
import math
import random
import re
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import IO, Protocol, TypeVar

MARKER_NAME = "_generated.txt"
INCIDENTS_NAME = "incidents.csv"
TRACKER_NAME = "actions.csv"
TIMEZONE = "Europe/Paris"
SETTINGS_TOML = (
    '# Settings of the sample corpus (see the README, section "pmanalytics.toml").\n'
    'timezone = "Europe/Paris"\n'
    "deadline_hours = 72\n"
    "recurrence_days = 180\n"
)
INCIDENT_COLUMNS = (
    "id", "title", "severity", "public", "started_at", "resolved_at", "postmortem_id",
)
TRACKER_COLUMNS = ("postmortem_id", "id", "status", "closed", "action", "owner", "due", "type")

EPOCH_DATE = date(1970, 1, 1)
EPOCH_ORDINAL = EPOCH_DATE.toordinal()
DAY_SECONDS = 86_400
MEAN_YEAR_SECONDS = 31_556_952
SNAPSHOT_DELAY_DAYS = 21
REVIEW_DELAY_DAYS = 7
NEXT_REVIEW_DAYS = 14
PROBLEM_MIN_COUNT = 50
EXTRA_INCIDENT_RATE = 0.10
INCIDENT_ROW_RATE = 0.92
TRACKER_UPDATE_RATE = 0.10
TRACKER_NEW_RATE = 0.02
BLAME_EVERY = 33
HUMAN_ERROR_EVERY = 100
LONG_TIMELINE_SECONDS = 20 * 3600
SECOND_SERVICE_RATE = 0.2

Pairs = Sequence[tuple[object, float]]
T = TypeVar("T")


class _RowWriter(Protocol):
    def writerow(self, row: Sequence[str], /) -> object: ...


@dataclass(frozen=True)
class SampleSummary:
    """What `write_sample` wrote."""

    out_dir: Path
    postmortems: int
    incidents: int
    tracker_rows: int
    files: int


class _Weighted:
    """A fixed weighted choice, with cumulative weights computed once."""

    __slots__ = ("cum", "items", "total")

    def __init__(self, pairs: Pairs) -> None:
        self.items = [item for item, _ in pairs]
        self.cum = list(itertools.accumulate(float(weight) for _, weight in pairs))
        self.total = self.cum[-1]

    def pick(self, rng: random.Random) -> object:
        """Same draw as `rng.choices(items, cum_weights=cum)[0]`, without its overhead."""
        return self.items[bisect.bisect(self.cum, rng.random() * self.total, 0, len(self.cum) - 1)]


# --- Vocabulary ------------------------------------------------------------------

SERVICE_WEIGHTS = _Weighted((
    ("checkout-api", 10), ("payments", 8), ("search", 8), ("auth", 7), ("notifications", 6),
    ("catalog", 6), ("inventory", 5), ("gateway", 7), ("dns", 3), ("kafka", 5),
    ("postgres-main", 5), ("billing", 5), ("mobile-bff", 7), ("cdn", 4), ("identity", 5),
))
SERVICE_TEAM = {
    "checkout-api": "payments", "payments": "payments", "billing": "payments",
    "search": "search", "catalog": "search", "inventory": "data", "postgres-main": "data",
    "auth": "identity", "identity": "identity", "notifications": "platform",
    "kafka": "platform", "gateway": "network", "dns": "network", "cdn": "network",
    "mobile-bff": "mobile",
}
RELATED_SERVICES = {
    "checkout-api": ("payments", "inventory", "gateway"), "payments": ("checkout-api", "billing"),
    "billing": ("payments", "postgres-main"), "search": ("catalog", "kafka"),
    "catalog": ("search", "inventory"), "inventory": ("postgres-main", "catalog"),
    "postgres-main": ("inventory", "billing"), "auth": ("identity", "mobile-bff"),
    "identity": ("auth", "postgres-main"), "notifications": ("kafka", "mobile-bff"),
    "kafka": ("notifications", "search"), "gateway": ("cdn", "auth"), "dns": ("gateway", "cdn"),
    "cdn": ("gateway", "dns"), "mobile-bff": ("auth", "gateway"),
}
SERVICE_ROLE = {
    "checkout-api": ("{svc} turns a basket into an order and calls the payment step.",
                     "{svc} transforme un panier en commande et appelle l'étape de paiement."),
    "payments": ("{svc} authorises and captures card payments with our providers.",
                 "{svc} autorise et encaisse les paiements par carte auprès des prestataires."),
    "billing": ("{svc} produces invoices and subscription renewals.",
                "{svc} produit les factures et les renouvellements d'abonnement."),
    "search": ("{svc} answers every product search on the web site and the apps.",
               "{svc} répond à toutes les recherches de produits du site et des applications."),
    "catalog": ("{svc} holds product data and prices for the other services.",
                "{svc} détient les fiches produits et les prix pour les autres services."),
    "inventory": ("{svc} tracks stock levels per warehouse in near real time.",
                  "{svc} suit les niveaux de stock par entrepôt en quasi temps réel."),
    "postgres-main": ("{svc} is the shared PostgreSQL cluster behind most back-office services.",
                      "{svc} est le cluster PostgreSQL partagé derrière la plupart des services "
                      "internes."),
    "auth": ("{svc} issues and checks the session tokens of every signed-in user.",
             "{svc} émet et vérifie les jetons de session de chaque utilisateur connecté."),
    "identity": ("{svc} stores customer accounts and their credentials.",
                 "{svc} stocke les comptes clients et leurs identifiants."),
    "notifications": ("{svc} sends e-mails, SMS and push messages to customers.",
                      "{svc} envoie les e-mails, SMS et notifications push aux clients."),
    "kafka": ("{svc} carries the events between most services.",
              "{svc} transporte les événements entre la plupart des services."),
    "gateway": ("{svc} is the entry point of all API traffic.",
                "{svc} est le point d'entrée de tout le trafic API."),
    "dns": ("{svc} resolves internal and external names for every service.",
            "{svc} résout les noms internes et externes pour tous les services."),
    "cdn": ("{svc} serves static assets and caches public pages at the edge.",
            "{svc} sert les ressources statiques et met en cache les pages publiques en bordure."),
    "mobile-bff": ("{svc} is the back end the mobile apps talk to.",
                   "{svc} est le back-end auquel parlent les applications mobiles."),
}
TEAM_PREFIX = {
    "payments": "PAY", "sre": "SRE", "platform": "PLT", "search": "SRCH", "identity": "IDN",
    "data": "DATA", "mobile": "MOB", "network": "NET", "support": "SUP",
}
CATEGORY_TEAMS = {
    "config": ("platform",), "deployment": ("platform",), "software": (),
    "capacity": ("sre", "platform"), "dependency": (), "infrastructure": ("network", "sre"),
    "data": ("data",), "security": ("identity", "sre"), "monitoring": ("sre",),
    "communication": ("support", "sre"), "process": ("sre",), "tech-debt": (),
}
FRENCH_CATEGORY = {
    "config": ("configuration",), "deployment": ("déploiement", "mise en production"),
    "software": ("logiciel", "bug"), "capacity": ("capacité", "saturation"),
    "dependency": ("dépendance",), "infrastructure": ("infrastructure", "réseau", "matériel"),
    "data": ("données",), "security": ("sécurité",), "monitoring": ("supervision", "alerting"),
    "communication": ("communication",), "process": ("processus", "organisation"),
    "tech-debt": ("dette technique", "dette"),
}
RECURRING_THEMES = (
    ("checkout-api", "config", 0.08),
    ("kafka", "capacity", 0.06),
    ("dns", "infrastructure", 0.05),
    ("postgres-main", "tech-debt", 0.04),
)
SEVERITY_WEIGHTS = _Weighted(((1, 10), (2, 25), (3, 40), (4, 25)))
EXTRA_SEVERITY_WEIGHTS = _Weighted(((1, 12), (2, 28), (3, 40), (4, 20)))
PUBLIC_RATE = {1: 0.6, 2: 0.25, 3: 0.05, 4: 0.01}
IMPACT_SCALE = {1: 1.0, 2: 0.5, 3: 0.2, 4: 0.08}
FAILING_PERCENT = {1: (20, 81), 2: (10, 51), 3: (3, 31), 4: (1, 11)}
SEVERITY_FORMS = _Weighted((
    ("S{n}", 35), ("SEV-{n}", 15), ("Sev {n}", 10), ("P{n}", 10), ("sev{n}", 10),
    ("SEV{n}", 10), ("{n}", 10),
))
TIMESTAMP_STYLES = _Weighted((("offset", 55), ("offset_space", 10), ("utc", 17), ("naive", 18)))
ROOT_CAUSE_COUNT = _Weighted(((1, 68), (2, 26), (3, 6)))
ACTION_COUNT = _Weighted(((2, 8), (3, 14), (4, 20), (5, 20), (6, 16), (7, 12), (8, 10)))
SECONDARY_BASE = (
    ("process", 12), ("communication", 10), ("tech-debt", 12), ("config", 8),
    ("software", 8), ("capacity", 6), ("dependency", 6),
)
NUMBERING = _Weighted((("dot", 5), ("paren", 1), ("none", 4)))

STATUS_WORDS = {
    "en": {
        "done": ("done", "closed", "Done"), "open": ("open", "todo", "Open"),
        "in_progress": ("in_progress",), "cancelled": ("cancelled", "won't do"),
    },
    "fr": {
        "done": ("fait", "terminé", "clos", "Fait"), "open": ("ouvert", "à faire"),
        "in_progress": ("en cours",), "cancelled": ("annulé",),
    },
}
TYPE_WORDS = {
    "en": {"short": ("short-term", "short-term", "short", "hotfix"), "long": ("long-term", "long")},
    "fr": {"short": ("court terme", "court terme", "immédiat", "hotfix"),
           "long": ("long terme", "long terme", "prévention")},
}
ACTION_LAYOUTS = {
    "en": _Weighted((
        ((("id", "ID"), ("action", "Action"), ("type", "Type"), ("owner", "Owner"),
          ("due", "Due"), ("status", "Status"), ("closed", "Closed")), 5),
        ((("action", "Action"), ("owner", "Owner"), ("due", "Due date"), ("status", "Status"),
          ("closed", "Closed at"), ("id", "Ticket")), 2),
        ((("id", "Ref"), ("action", "Description"), ("type", "Type"), ("owner", "Owner"),
          ("status", "Status"), ("due", "Due"), ("closed", "Done at")), 2),
        ((("action", "Action"), ("type", "Type"), ("owner", "Owner"), ("due", "Due"),
          ("status", "Status"), ("closed", "Closed")), 1),
        ((("id", "ID"), ("action", "Action"), ("owner", "Owner"), ("due", "Due"),
          ("status", "Status")), 0.5),
    )),
    "fr": _Weighted((
        ((("id", "Réf"), ("action", "Tâche"), ("type", "Horizon"), ("owner", "Responsable"),
          ("due", "Échéance"), ("status", "Statut"), ("closed", "Clos le")), 4),
        ((("id", "ID"), ("action", "Action"), ("type", "Type"), ("owner", "Responsable"),
          ("due", "Échéance"), ("status", "Statut"), ("closed", "Clos le")), 3),
        ((("action", "Tâche"), ("owner", "Porteur"), ("due", "Date limite"), ("status", "État"),
          ("closed", "Terminé le"), ("id", "Ticket")), 2),
        ((("id", "Ticket"), ("action", "Action"), ("type", "Horizon"), ("owner", "Porteur"),
          ("due", "Échéance"), ("status", "Statut"), ("closed", "Clos le"),
          ("note", "Commentaire")), 1),
        ((("action", "Tâche"), ("type", "Horizon"), ("owner", "Responsable"),
          ("due", "Échéance"), ("status", "Statut"), ("closed", "Clos le")), 1),
    )),
}
NOTES = ("", "", "", "priorité haute", "lié à l'incident précédent", "voir ticket",
         "à revoir en comité")

HEADINGS = {
    "en": {
        "context": _Weighted((("Context and impact", 6), ("Summary", 2), ("Context", 1),
                              ("Impact", 1))),
        "timeline": _Weighted((("Timeline", 1),)),
        "analysis": _Weighted((("Root cause analysis", 6), ("Root causes", 2),
                               ("Contributing factors", 1))),
        "actions": _Weighted((("Corrective actions", 4), ("Action items", 4), ("Remediation", 1))),
        "lessons": _Weighted((("Lessons learned", 4), ("Lessons", 1))),
        "follow_up": _Weighted((("Follow-up", 4), ("Follow up", 1))),
    },
    "fr": {
        "context": _Weighted((("Contexte et impact", 6), ("Contexte", 1), ("Résumé", 2),
                              ("Impact", 1))),
        "timeline": _Weighted((("Timeline précise", 4), ("Chronologie", 4), ("Déroulé", 1),
                               ("Timeline", 1))),
        "analysis": _Weighted((("Analyse des causes profondes", 6), ("Causes profondes", 2),
                               ("Causes racines", 1), ("Facteurs contributifs", 1))),
        "actions": _Weighted((("Actions correctives", 5), ("Plan d'action", 4))),
        "lessons": _Weighted((("Enseignements", 4), ("Leçons apprises", 1))),
        "follow_up": _Weighted((("Suivi", 1),)),
    },
}
HEADING_EMOJI = {
    "context": "🔥", "timeline": "🕒", "analysis": "🔍", "actions": "✅", "lessons": "📚",
    "follow_up": "📌", "extra": "📎",
}
EXTRA_SECTIONS = {
    "en": (("Appendix", "Dashboards, the incident channel export and the change log are linked "
                        "from the incident ticket."),
           ("Participants", "Teams present at the review: {teams}.")),
    "fr": (("Annexes", "Les tableaux de bord, l'export du canal d'incident et le journal des "
                       "changements sont liés au ticket d'incident."),
           ("Participants", "Équipes présentes à la revue : {teams}.")),
}
LESSON_HEADINGS = {
    "en": ("What went well", ("What went wrong",), "Where we got lucky"),
    "fr": ("Ce qui a bien fonctionné", ("Ce qui a manqué", "Ce qui n'a pas fonctionné"),
           "Où nous avons eu de la chance"),
}
TIMELINE_TABLE_HEADER = {"en": ("Time", "Event"), "fr": ("Heure", "Événement")}
LIST_SEPARATORS = {
    "en": _Weighted(((" — ", 5), (" – ", 2), (" - ", 2))),
    "fr": _Weighted(((" — ", 5), (" – ", 2), (" - ", 1), (" : ", 2))),
}

CATEGORY_TEXT: dict[str, dict[str, dict[str, tuple[str, ...]]]] = {
    "config": {
        "en": {
            "title": ("{svc} errors after a configuration change",
                      "Elevated 5xx on {svc} following a config push",
                      "{svc} connection pool exhausted after a settings update"),
            "summary": ("A lowered connection limit for {svc} was pushed without validation.",
                        "A feature flag meant for staging was enabled in production for {svc}.",
                        "Configuration drift between regions left {svc} with an outdated "
                        "timeout."),
            "analysis": ("Configuration changes to {svc} go through a separate pipeline that "
                         "only checks the YAML syntax, not the values themselves.",
                         "The change was reviewed, but the diff did not show the effective value "
                         "after templating, so the reviewers could not see that the limit "
                         "dropped by a factor of ten.",
                         "Nothing compares the configuration running in production with the one "
                         "in the repository; the drift had been there for weeks."),
            "start": ("configuration change applied to {svc}",
                      "new {svc} settings rolled out to all regions"),
            "mitigate": ("configuration of {svc} reverted, error rate back to normal",
                         "previous settings restored on {svc}, traffic recovering"),
            "short": ("Revert the {svc} configuration change",
                      "Alert on the {svc} error rate per endpoint",
                      "Document the config rollback procedure for {svc}"),
            "long": ("Validate configuration values in CI like code",
                     "Detect drift between running and declared configuration",
                     "Show effective values in config review diffs"),
        },
        "fr": {
            "title": ("Erreurs sur {svc} après une modification de configuration",
                      "Hausse des 5xx sur {svc} suite à un changement de paramétrage",
                      "Pool de connexions de {svc} saturé après une mise à jour de "
                      "configuration"),
            "summary": ("Une limite de connexions abaissée pour {svc} a été poussée sans "
                        "validation.",
                        "Un feature flag prévu pour la préproduction a été activé en production "
                        "sur {svc}.",
                        "Une dérive de configuration entre régions a laissé à {svc} un timeout "
                        "obsolète."),
            "analysis": ("Les modifications de configuration de {svc} passent par un pipeline "
                         "distinct qui ne vérifie que la syntaxe YAML, pas les valeurs.",
                         "Le changement a été relu, mais le diff ne montrait pas la valeur "
                         "effective après templating : impossible de voir que la limite était "
                         "divisée par dix.",
                         "Rien ne compare la configuration en production à celle du dépôt ; la "
                         "dérive existait depuis plusieurs semaines."),
            "start": ("application de la nouvelle configuration sur {svc}",
                      "déploiement des nouveaux paramètres de {svc} dans toutes les régions"),
            "mitigate": ("retour arrière de la configuration de {svc}, le taux d'erreur "
                         "redescend",
                         "anciens paramètres restaurés sur {svc}, le trafic repart"),
            "short": ("Retour arrière de la configuration de {svc}",
                      "Alerte sur le taux d'erreur de {svc} par endpoint",
                      "Documenter la procédure de retour arrière de configuration de {svc}"),
            "long": ("Valider les valeurs de configuration en CI comme le code",
                     "Détecter les dérives entre configuration déclarée et en production",
                     "Afficher les valeurs effectives dans les diffs de revue"),
        },
    },
    "deployment": {
        "en": {
            "title": ("{svc} outage during a release",
                      "Partial {svc} outage after the latest rollout",
                      "{svc} crash loop following a deployment"),
            "summary": ("The new {svc} release required a schema change that was not applied "
                        "first.",
                        "The canary stage was skipped and the faulty {svc} build reached all "
                        "instances at once.",
                        "The rollback of {svc} took 40 minutes because the previous image had "
                        "been garbage-collected."),
            "analysis": ("The deployment pipeline allows the canary stage to be skipped when a "
                         "change is marked as low risk, and that marking is made by hand.",
                         "Health checks of {svc} only test that the process answers, not that it "
                         "can reach its dependencies, so broken instances stayed in the pool.",
                         "Release frequency has doubled this year while the rollout tooling has "
                         "not changed; several releases now overlap on busy days."),
            "start": ("release of {svc} starts rolling out",
                      "new {svc} build reaches production"),
            "mitigate": ("rollback of {svc} completed, errors stop",
                         "faulty {svc} instances drained, traffic on the previous version"),
            "short": ("Roll back {svc} to the previous release",
                      "Make the canary stage mandatory for {svc}",
                      "Keep the last three images of {svc} in the registry"),
            "long": ("Deep health checks that test dependencies",
                     "Automatic rollback on error-rate regression",
                     "Decouple schema migrations from application releases"),
        },
        "fr": {
            "title": ("Indisponibilité de {svc} pendant une mise en production",
                      "Panne partielle de {svc} après le dernier déploiement",
                      "{svc} en redémarrage en boucle après une mise en production"),
            "summary": ("La nouvelle version de {svc} nécessitait une évolution de schéma qui "
                        "n'avait pas été appliquée avant.",
                        "L'étape canary a été sautée et la version défectueuse de {svc} a atteint "
                        "toutes les instances d'un coup.",
                        "Le retour arrière de {svc} a pris 40 minutes car l'image précédente "
                        "avait été purgée."),
            "analysis": ("Le pipeline de déploiement permet de sauter l'étape canary quand le "
                         "changement est marqué à faible risque, et ce marquage est manuel.",
                         "Les health checks de {svc} vérifient seulement que le processus répond, "
                         "pas qu'il atteint ses dépendances : les instances défaillantes sont "
                         "restées dans le pool.",
                         "La fréquence des mises en production a doublé cette année sans "
                         "évolution de l'outillage ; plusieurs déploiements se chevauchent "
                         "désormais les jours chargés."),
            "start": ("début du déploiement de la nouvelle version de {svc}",
                      "la nouvelle version de {svc} arrive en production"),
            "mitigate": ("retour arrière de {svc} terminé, les erreurs cessent",
                         "instances défaillantes de {svc} sorties du pool, trafic sur l'ancienne "
                         "version"),
            "short": ("Retour arrière de {svc} à la version précédente",
                      "Rendre l'étape canary obligatoire pour {svc}",
                      "Conserver les trois dernières images de {svc} dans le registre"),
            "long": ("Health checks profonds qui testent les dépendances",
                     "Retour arrière automatique sur régression du taux d'erreur",
                     "Découpler les migrations de schéma des mises en production"),
        },
    },
    "software": {
        "en": {
            "title": ("Memory leak in {svc} caused repeated restarts",
                      "{svc} returned wrong results after a code change",
                      "Timeouts on {svc} caused by a retry loop"),
            "summary": ("An unbounded cache in {svc} grew until the pods were killed for "
                        "memory.",
                        "A retry without backoff in {svc} multiplied the load on {svc2}.",
                        "An edge case in date handling in {svc} was not covered by tests."),
            "analysis": ("The defect was introduced three weeks earlier and only showed up under "
                         "the traffic pattern of a Monday morning.",
                         "Load tests run on a dataset a hundred times smaller than production, so "
                         "the growth of the cache was invisible.",
                         "Retries were added to {svc} to hide transient errors of {svc2}; nobody "
                         "owned the retry budget across the call chain."),
            "start": ("{svc} pods start restarting (OOMKilled)",
                      "latency of {svc} rises above 2 s"),
            "mitigate": ("hotfix deployed to {svc}, memory stable",
                         "retries disabled by flag, {svc2} load back to normal"),
            "short": ("Hotfix: bound the cache size in {svc}",
                      "Add exponential backoff to {svc} retries",
                      "Add a regression test for the failing case"),
            "long": ("Run load tests on a production-sized dataset",
                     "Define a retry budget across the call chain",
                     "Memory usage alerts per pod for {svc}"),
        },
        "fr": {
            "title": ("Fuite mémoire dans {svc} et redémarrages en série",
                      "{svc} renvoyait des résultats erronés après une évolution du code",
                      "Timeouts sur {svc} causés par une boucle de retries"),
            "summary": ("Un cache sans limite dans {svc} a grossi jusqu'à ce que les pods soient "
                        "tués faute de mémoire.",
                        "Un retry sans backoff dans {svc} a multiplié la charge sur {svc2}.",
                        "Un cas limite de gestion des dates dans {svc} n'était pas couvert par "
                        "les tests."),
            "analysis": ("Le défaut avait été introduit trois semaines plus tôt et n'apparaissait "
                         "qu'avec le profil de trafic d'un lundi matin.",
                         "Les tests de charge tournent sur un jeu de données cent fois plus petit "
                         "que la production : la croissance du cache était invisible.",
                         "Les retries avaient été ajoutés à {svc} pour masquer les erreurs "
                         "transitoires de {svc2} ; personne ne portait le budget de retries sur "
                         "la chaîne d'appels."),
            "start": ("les pods de {svc} commencent à redémarrer (OOMKilled)",
                      "la latence de {svc} dépasse 2 s"),
            "mitigate": ("correctif déployé sur {svc}, mémoire stable",
                         "retries désactivés par flag, la charge sur {svc2} redevient normale"),
            "short": ("Correctif : borner la taille du cache de {svc}",
                      "Ajouter un backoff exponentiel aux retries de {svc}",
                      "Ajouter un test de non-régression sur le cas en échec"),
            "long": ("Tests de charge sur un jeu de données de taille réelle",
                     "Définir un budget de retries sur toute la chaîne d'appels",
                     "Alertes de consommation mémoire par pod pour {svc}"),
        },
    },
    "capacity": {
        "en": {
            "title": ("{svc} saturated during the traffic peak",
                      "Consumer lag on {svc} delayed downstream processing",
                      "{svc} hit its quota during a marketing campaign"),
            "summary": ("The partition count of {svc} did not follow the growth of the traffic.",
                        "Autoscaling of {svc} was capped at a limit set two years ago.",
                        "A marketing campaign tripled the traffic without notice to the platform "
                        "teams."),
            "analysis": ("Capacity of {svc} is reviewed once a year; traffic grew by 60 % since "
                         "the last review.",
                         "The autoscaler reached its maximum and stayed there without any alert, "
                         "so the saturation was only seen through latency.",
                         "Consumers of {svc} share a single consumer group, which caps "
                         "parallelism at the number of partitions."),
            "start": ("traffic on {svc} reaches three times the usual level",
                      "consumer lag on {svc} starts growing"),
            "mitigate": ("{svc} scaled out by hand, queues draining",
                         "non-critical consumers paused, lag decreasing"),
            "short": ("Raise the autoscaling cap of {svc}",
                      "Alert when {svc} runs at its autoscaling maximum",
                      "Add partitions to the busiest topics"),
            "long": ("Quarterly capacity review of {svc}",
                     "Share the marketing calendar with the platform teams",
                     "Load shedding for non-critical traffic"),
        },
        "fr": {
            "title": ("Saturation de {svc} pendant le pic de trafic",
                      "Retard de consommation sur {svc} et traitements en aval décalés",
                      "{svc} a atteint son quota pendant une campagne marketing"),
            "summary": ("Le nombre de partitions de {svc} n'a pas suivi la croissance du trafic.",
                        "L'autoscaling de {svc} était plafonné à une limite fixée il y a deux "
                        "ans.",
                        "Une campagne marketing a triplé le trafic sans que les équipes "
                        "plateforme soient prévenues."),
            "analysis": ("La capacité de {svc} est revue une fois par an ; le trafic a augmenté "
                         "de 60 % depuis la dernière revue.",
                         "L'autoscaler a atteint son maximum et y est resté sans alerte : la "
                         "saturation n'a été vue qu'à travers la latence.",
                         "Les consommateurs de {svc} partagent un seul consumer group, ce qui "
                         "plafonne le parallélisme au nombre de partitions."),
            "start": ("le trafic sur {svc} atteint trois fois le niveau habituel",
                      "le retard des consommateurs sur {svc} commence à croître"),
            "mitigate": ("{svc} étendu manuellement, les files se résorbent",
                         "consommateurs non critiques mis en pause, le retard diminue"),
            "short": ("Relever le plafond d'autoscaling de {svc}",
                      "Alerter quand {svc} tourne à son maximum d'autoscaling",
                      "Ajouter des partitions aux topics les plus chargés"),
            "long": ("Revue de capacité trimestrielle de {svc}",
                     "Partager le calendrier marketing avec les équipes plateforme",
                     "Délestage du trafic non critique"),
        },
    },
    "dependency": {
        "en": {
            "title": ("{svc} degraded by an upstream provider outage",
                      "Third-party timeouts cascaded into {svc}",
                      "{svc} errors caused by {svc2} slowness"),
            "summary": ("The payment provider answered in 30 s instead of 300 ms and {svc} had "
                        "no circuit breaker.",
                        "{svc} called {svc2} synchronously on the critical path.",
                        "The SLA of the SMS provider did not match our own objectives."),
            "analysis": ("Timeouts toward {svc2} were set to 60 s, longer than the timeout of "
                         "our own clients, so threads piled up.",
                         "The dependency on {svc2} was added for a minor feature but sits on the "
                         "critical path of every request.",
                         "The provider's status page stayed green for the first 40 minutes; we "
                         "had no synthetic check of our own."),
            "start": ("response times of {svc2} jump above 10 s",
                      "provider starts returning intermittent errors"),
            "mitigate": ("fallback enabled in {svc}, degraded mode active",
                         "traffic switched to the secondary provider"),
            "short": ("Lower the timeout of {svc} toward {svc2}",
                      "Add a circuit breaker around the provider client",
                      "Synthetic check of the provider API"),
            "long": ("Move the call to {svc2} off the critical path",
                     "Contract a secondary provider with automatic failover",
                     "Review the SLAs of third-party providers"),
        },
        "fr": {
            "title": ("{svc} dégradé par la panne d'un fournisseur",
                      "Un timeout chez un tiers s'est propagé à {svc}",
                      "Erreurs sur {svc} causées par la lenteur de {svc2}"),
            "summary": ("Le prestataire de paiement répondait en 30 s au lieu de 300 ms et {svc} "
                        "n'avait pas de disjoncteur.",
                        "{svc} appelait {svc2} de manière synchrone sur le chemin critique.",
                        "Le SLA du fournisseur SMS ne correspondait pas à nos propres "
                        "objectifs."),
            "analysis": ("Les timeouts vers {svc2} étaient de 60 s, plus longs que ceux de nos "
                         "propres clients : les threads se sont accumulés.",
                         "La dépendance à {svc2} a été ajoutée pour une fonctionnalité mineure "
                         "mais se trouve sur le chemin critique de chaque requête.",
                         "La page de statut du fournisseur est restée verte pendant les 40 "
                         "premières minutes ; nous n'avions pas de sonde synthétique."),
            "start": ("les temps de réponse de {svc2} dépassent 10 s",
                      "le fournisseur commence à renvoyer des erreurs intermittentes"),
            "mitigate": ("repli activé dans {svc}, mode dégradé actif",
                         "trafic basculé vers le fournisseur secondaire"),
            "short": ("Réduire le timeout de {svc} vers {svc2}",
                      "Ajouter un disjoncteur autour du client du fournisseur",
                      "Sonde synthétique sur l'API du fournisseur"),
            "long": ("Sortir l'appel à {svc2} du chemin critique",
                     "Contractualiser un fournisseur secondaire avec bascule automatique",
                     "Revoir les SLA des fournisseurs tiers"),
        },
    },
    "infrastructure": {
        "en": {
            "title": ("DNS resolution failures affecting {svc}",
                      "Loss of an availability zone degraded {svc}",
                      "Network partition between data centres impacted {svc}"),
            "summary": ("A resolver upgrade lowered the cache TTL and overloaded the "
                        "authoritative servers.",
                        "A top-of-rack switch failed and {svc} had all its replicas in that "
                        "rack.",
                        "An expired BGP session dropped the route between the two data "
                        "centres."),
            "analysis": ("Placement rules do not enforce anti-affinity for {svc}, so the "
                         "scheduler packed its replicas together over time.",
                         "The resolvers are a shared component with no clear owner; the upgrade "
                         "was done as routine maintenance without a change review.",
                         "Failover between data centres is tested once a year, and the last "
                         "test did not include {svc}."),
            "start": ("resolution errors start on the internal resolvers",
                      "switch in rack B12 stops forwarding traffic"),
            "mitigate": ("previous resolver version restored, resolution back to normal",
                         "traffic failed over to the other zone"),
            "short": ("Restore the previous resolver TTL",
                      "Spread {svc} replicas across racks",
                      "Alert on the DNS resolution error rate"),
            "long": ("Anti-affinity rules for all tier-1 services",
                     "Name an owner for the shared resolvers",
                     "Twice-yearly failover exercise including {svc}"),
        },
        "fr": {
            "title": ("Échecs de résolution DNS touchant {svc}",
                      "Perte d'une zone de disponibilité et dégradation de {svc}",
                      "Partition réseau entre datacenters et impact sur {svc}"),
            "summary": ("Une mise à jour des résolveurs a réduit le TTL du cache et surchargé "
                        "les serveurs faisant autorité.",
                        "Un switch de baie est tombé et toutes les réplicas de {svc} étaient "
                        "dans cette baie.",
                        "Une session BGP expirée a supprimé la route entre les deux "
                        "datacenters."),
            "analysis": ("Les règles de placement n'imposent pas d'anti-affinité pour {svc} : "
                         "l'ordonnanceur a regroupé ses réplicas au fil du temps.",
                         "Les résolveurs sont un composant partagé sans propriétaire clair ; la "
                         "mise à jour a été faite en maintenance courante sans revue de "
                         "changement.",
                         "La bascule entre datacenters est testée une fois par an, et le dernier "
                         "test n'incluait pas {svc}."),
            "start": ("premières erreurs de résolution sur les résolveurs internes",
                      "le switch de la baie B12 cesse de transmettre le trafic"),
            "mitigate": ("ancienne version des résolveurs restaurée, la résolution redevient "
                         "normale",
                         "trafic basculé sur l'autre zone"),
            "short": ("Restaurer l'ancien TTL des résolveurs",
                      "Répartir les réplicas de {svc} sur plusieurs baies",
                      "Alerte sur le taux d'échec de résolution DNS"),
            "long": ("Règles d'anti-affinité pour tous les services de niveau 1",
                     "Désigner un propriétaire pour les résolveurs partagés",
                     "Exercice de bascule semestriel incluant {svc}"),
        },
    },
    "data": {
        "en": {
            "title": ("Corrupted records in {svc} after a migration",
                      "{svc} served stale data after replication lag",
                      "Schema migration locked the {svc} tables"),
            "summary": ("A migration rewrote a column without a default and left null values "
                        "in {svc}.",
                        "An ALTER TABLE took an exclusive lock on a large table of {svc}.",
                        "Replication lag of {svc2} grew to 20 minutes while reads went to the "
                        "replica."),
            "analysis": ("Migrations are tested on an empty schema; the lock time depends on the "
                         "size of the table, which the test could not show.",
                         "Nothing checked row counts and null rates after the migration, so "
                         "customers found the corruption first.",
                         "Reads were routed to the replica without any bound on acceptable "
                         "lag."),
            "start": ("migration starts on the {svc} database",
                      "replication lag on {svc2} passes 5 minutes"),
            "mitigate": ("migration stopped, lock released",
                         "reads switched back to the primary"),
            "short": ("Restore the affected rows from backup",
                      "Route reads to the primary when lag exceeds 30 s",
                      "Add post-migration checks on row counts"),
            "long": ("Test migrations on a production-sized copy",
                     "Online schema change tooling for large tables",
                     "Data quality checks on {svc} tables"),
        },
        "fr": {
            "title": ("Enregistrements corrompus dans {svc} après une migration",
                      "{svc} a servi des données périmées suite à un retard de réplication",
                      "Une migration de schéma a verrouillé les tables de {svc}"),
            "summary": ("Une migration a réécrit une colonne sans valeur par défaut et laissé des "
                        "valeurs nulles dans {svc}.",
                        "Un ALTER TABLE a pris un verrou exclusif sur une grosse table de {svc}.",
                        "Le retard de réplication de {svc2} a atteint 20 minutes alors que les "
                        "lectures partaient sur le réplica."),
            "analysis": ("Les migrations sont testées sur un schéma vide ; la durée du verrou "
                         "dépend de la taille de la table, ce que le test ne pouvait pas "
                         "montrer.",
                         "Aucun contrôle des volumes et des taux de valeurs nulles après la "
                         "migration : la corruption a été découverte par des clients.",
                         "Les lectures étaient routées vers le réplica sans limite sur le retard "
                         "acceptable."),
            "start": ("début de la migration sur la base de {svc}",
                      "le retard de réplication de {svc2} dépasse 5 minutes"),
            "mitigate": ("migration arrêtée, verrou libéré",
                         "lectures rebasculées sur le primaire"),
            "short": ("Restaurer les lignes touchées depuis la sauvegarde",
                      "Router les lectures vers le primaire au-delà de 30 s de retard",
                      "Ajouter des contrôles de volume après migration"),
            "long": ("Tester les migrations sur une copie de taille réelle",
                     "Outillage de migration de schéma en ligne pour les grosses tables",
                     "Contrôles de qualité des données sur les tables de {svc}"),
        },
    },
    "security": {
        "en": {
            "title": ("Expired certificate broke {svc} connections",
                      "Credential rotation locked {svc} out of {svc2}",
                      "Bot traffic overwhelmed {svc}"),
            "summary": ("The TLS certificate of {svc} expired; its renewal was manual.",
                        "A secret rotated in the vault was not reloaded by {svc}.",
                        "A credential-stuffing attack sent 40 times the usual login traffic to "
                        "{svc}."),
            "analysis": ("Renewal reminders went to a mailing list that no longer existed after "
                         "a team reorganisation.",
                         "{svc} reads its secrets only at start-up, which the rotation procedure "
                         "did not take into account.",
                         "Rate limiting was configured per IP address, which does not stop a "
                         "distributed attack."),
            "start": ("certificate of {svc} expires, TLS handshakes fail",
                      "login attempts on {svc} spike"),
            "mitigate": ("new certificate deployed",
                         "attack traffic blocked at the edge"),
            "short": ("Renew and deploy the {svc} certificate",
                      "Restart {svc} after each secret rotation",
                      "Block the attacking ranges at the CDN"),
            "long": ("Automate certificate renewal",
                     "Hot reload of secrets in {svc}",
                     "Adaptive rate limiting on authentication"),
        },
        "fr": {
            "title": ("Certificat expiré et connexions à {svc} impossibles",
                      "Une rotation de secrets a coupé l'accès de {svc} à {svc2}",
                      "Trafic de bots et saturation de {svc}"),
            "summary": ("Le certificat TLS de {svc} a expiré ; son renouvellement était manuel.",
                        "Un secret renouvelé dans le coffre n'a pas été rechargé par {svc}.",
                        "Une attaque par bourrage d'identifiants a envoyé 40 fois le trafic "
                        "habituel de connexion sur {svc}."),
            "analysis": ("Les rappels de renouvellement partaient vers une liste de diffusion "
                         "supprimée après une réorganisation.",
                         "{svc} ne lit ses secrets qu'au démarrage, ce que la procédure de "
                         "rotation ne prenait pas en compte.",
                         "La limitation de débit était configurée par adresse IP, ce qui "
                         "n'arrête pas une attaque distribuée."),
            "start": ("expiration du certificat de {svc}, échec des négociations TLS",
                      "pic de tentatives de connexion sur {svc}"),
            "mitigate": ("nouveau certificat déployé",
                         "trafic d'attaque bloqué en bordure"),
            "short": ("Renouveler et déployer le certificat de {svc}",
                      "Redémarrer {svc} après chaque rotation de secret",
                      "Bloquer les plages attaquantes sur le CDN"),
            "long": ("Automatiser le renouvellement des certificats",
                     "Rechargement à chaud des secrets dans {svc}",
                     "Limitation de débit adaptative sur l'authentification"),
        },
    },
    "monitoring": {
        "en": {
            "title": ("Silent failure of {svc} went unnoticed for hours",
                      "Alert storm delayed the response on {svc}",
                      "{svc} degradation detected by customers first"),
            "summary": ("No alert covered the error rate of {svc}; detection relied on customer "
                        "tickets.",
                        "Hundreds of noisy alerts hid the one that mattered.",
                        "The dashboard of {svc} showed averages that hid a failing region."),
            "analysis": ("Alerts were defined on CPU and memory, not on what users experience, "
                         "so the failure produced no signal.",
                         "Over the last quarter the on-call rotation received more than 300 "
                         "alerts a week, most of them not actionable.",
                         "Metrics were aggregated across regions, and one failing region out of "
                         "four only moved the average by a few percent."),
            "start": ("background jobs of {svc} stop processing",
                      "{svc} starts failing in one region"),
            "mitigate": ("workers of {svc} restarted, backlog processing",
                         "failing region removed from rotation"),
            "short": ("Alert on the error rate of {svc}",
                      "Delete or fix the noisiest alerts",
                      "Per-region panels on the {svc} dashboard"),
            "long": ("SLO-based alerting for tier-1 services",
                     "Monthly review of alert quality",
                     "Synthetic user journeys for {svc}"),
        },
        "fr": {
            "title": ("Panne silencieuse de {svc} restée inaperçue pendant des heures",
                      "Une tempête d'alertes a retardé la réaction sur {svc}",
                      "Dégradation de {svc} détectée d'abord par les clients"),
            "summary": ("Aucune alerte ne couvrait le taux d'erreur de {svc} ; la détection a "
                        "reposé sur les tickets clients.",
                        "Des centaines d'alertes bruyantes ont masqué celle qui comptait.",
                        "Le tableau de bord de {svc} affichait des moyennes qui masquaient une "
                        "région en échec."),
            "analysis": ("Les alertes portaient sur le CPU et la mémoire, pas sur ce que vivent "
                         "les utilisateurs : la panne n'a produit aucun signal.",
                         "Au dernier trimestre, l'astreinte recevait plus de 300 alertes par "
                         "semaine, pour la plupart sans action possible.",
                         "Les métriques étaient agrégées sur toutes les régions : une région en "
                         "échec sur quatre ne déplaçait la moyenne que de quelques pourcents."),
            "start": ("les traitements de fond de {svc} s'arrêtent",
                      "{svc} commence à échouer dans une région"),
            "mitigate": ("workers de {svc} redémarrés, le retard se résorbe",
                         "région en échec retirée de la rotation"),
            "short": ("Alerte sur le taux d'erreur de {svc}",
                      "Supprimer ou corriger les alertes les plus bruyantes",
                      "Vues par région sur le tableau de bord de {svc}"),
            "long": ("Alerting basé sur les SLO pour les services de niveau 1",
                     "Revue mensuelle de la qualité des alertes",
                     "Parcours utilisateurs synthétiques pour {svc}"),
        },
    },
    "communication": {
        "en": {
            "title": ("Customers not informed during the {svc} incident",
                      "Duplicate investigations during the {svc} outage",
                      "Planned maintenance on {svc2} not announced to {svc}"),
            "summary": ("The status page was updated 50 minutes after the start of the impact.",
                        "Two teams investigated the same symptom without knowing about each "
                        "other.",
                        "A maintenance of {svc2} was announced in a channel that the {svc} team "
                        "does not follow."),
            "analysis": ("Nobody held the incident commander role during the first half hour, "
                         "so nobody thought of the status page.",
                         "The incident channel was created late and early findings stayed in "
                         "private messages.",
                         "Maintenance announcements are spread over three channels and one "
                         "calendar."),
            "start": ("maintenance of {svc2} begins",
                      "{svc} starts returning errors to part of the users"),
            "mitigate": ("maintenance paused, {svc} recovering",
                         "fix applied, error rate back to baseline"),
            "short": ("Status page template for {svc} incidents",
                      "Name an incident commander at the first page",
                      "Announce maintenances in the shared channel"),
            "long": ("Single calendar for all maintenances",
                     "Incident communication training for on-call",
                     "Automatic status page draft from alerts"),
        },
        "fr": {
            "title": ("Clients non informés pendant l'incident {svc}",
                      "Investigations en double pendant la panne de {svc}",
                      "Maintenance de {svc2} non annoncée à l'équipe {svc}"),
            "summary": ("La page de statut a été mise à jour 50 minutes après le début de "
                        "l'impact.",
                        "Deux équipes ont investigué le même symptôme sans le savoir.",
                        "Une maintenance de {svc2} a été annoncée dans un canal que l'équipe de "
                        "{svc} ne suit pas."),
            "analysis": ("Personne n'avait le rôle de responsable d'incident pendant la première "
                         "demi-heure, donc personne n'a pensé à la page de statut.",
                         "Le canal d'incident a été créé tard et les premières constatations "
                         "sont restées en messages privés.",
                         "Les annonces de maintenance sont dispersées sur trois canaux et un "
                         "calendrier."),
            "start": ("début de la maintenance de {svc2}",
                      "{svc} commence à renvoyer des erreurs à une partie des utilisateurs"),
            "mitigate": ("maintenance suspendue, {svc} se rétablit",
                         "correctif appliqué, le taux d'erreur revient à la normale"),
            "short": ("Modèle de message de page de statut pour {svc}",
                      "Nommer un responsable d'incident dès la première alerte",
                      "Annoncer les maintenances dans le canal commun"),
            "long": ("Calendrier unique des maintenances",
                     "Formation à la communication d'incident pour l'astreinte",
                     "Brouillon automatique de page de statut à partir des alertes"),
        },
    },
    "process": {
        "en": {
            "title": ("Runbook gap extended the {svc} outage",
                      "Change freeze bypassed on {svc}",
                      "Escalation delay during the {svc} incident"),
            "summary": ("The runbook for {svc} described an architecture replaced last year.",
                        "The change review did not apply to emergency changes.",
                        "The escalation policy of {svc} pointed to a team that no longer owned "
                        "it."),
            "analysis": ("Runbooks have no owner and no review date, so they drift as the "
                         "systems change.",
                         "Emergency changes skip the review by design, and no review happens "
                         "afterwards.",
                         "Service ownership is recorded in two places that disagree for about a "
                         "fifth of the services."),
            "start": ("emergency change applied to {svc}",
                      "{svc} starts failing health checks"),
            "mitigate": ("service restored following the corrected procedure",
                         "owning team reached, fix applied"),
            "short": ("Update the {svc} runbook",
                      "Fix the escalation policy of {svc}",
                      "Review the emergency change after the fact"),
            "long": ("Owner and review date for every runbook",
                     "Single source of truth for service ownership",
                     "Post-hoc review of all emergency changes"),
        },
        "fr": {
            "title": ("Runbook incomplet et panne prolongée de {svc}",
                      "Gel des changements contourné sur {svc}",
                      "Escalade tardive pendant l'incident {svc}"),
            "summary": ("Le runbook de {svc} décrivait une architecture remplacée l'an dernier.",
                        "La revue des changements ne s'appliquait pas aux changements urgents.",
                        "La politique d'escalade de {svc} pointait vers une équipe qui n'en "
                        "était plus responsable."),
            "analysis": ("Les runbooks n'ont ni propriétaire ni date de revue : ils dérivent à "
                         "mesure que les systèmes changent.",
                         "Les changements urgents échappent par construction à la revue, sans "
                         "revue a posteriori.",
                         "La propriété des services est enregistrée à deux endroits qui "
                         "divergent pour environ un cinquième des services."),
            "start": ("changement urgent appliqué sur {svc}",
                      "{svc} commence à échouer aux health checks"),
            "mitigate": ("service rétabli en suivant la procédure corrigée",
                         "l'équipe responsable est jointe, correctif appliqué"),
            "short": ("Mettre à jour le runbook de {svc}",
                      "Corriger la politique d'escalade de {svc}",
                      "Revue a posteriori du changement urgent"),
            "long": ("Propriétaire et date de revue pour chaque runbook",
                     "Source unique de vérité pour la propriété des services",
                     "Revue a posteriori de tous les changements urgents"),
        },
    },
    "tech-debt": {
        "en": {
            "title": ("Legacy batch job overloaded {svc}",
                      "Known {svc} weakness finally failed",
                      "End-of-life library broke {svc}"),
            "summary": ("The nightly export still runs full table scans on {svc}, a known issue "
                        "deferred twice.",
                        "{svc} still depends on a client library that is no longer maintained.",
                        "Vacuum on {svc} had been disabled as a temporary workaround two years "
                        "ago."),
            "analysis": ("The weakness was in the risk register, but the fix never made it into "
                         "a quarter plan because it had no visible customer value.",
                         "Temporary workarounds are not tracked, so nobody remembered that "
                         "vacuum was off.",
                         "The migration away from the library was started, then paused when the "
                         "team moved to another project."),
            "start": ("nightly export starts on {svc}",
                      "table bloat on {svc} makes queries time out"),
            "mitigate": ("export stopped, {svc} load back to normal",
                         "manual vacuum completed, query times recover"),
            "short": ("Move the nightly export to a replica",
                      "Re-enable vacuum on {svc}",
                      "Pin and patch the client library"),
            "long": ("Budget 20 % of each quarter for known risks",
                     "Track temporary workarounds with an expiry date",
                     "Replace the unmaintained client library"),
        },
        "fr": {
            "title": ("Un traitement batch historique a surchargé {svc}",
                      "Une faiblesse connue de {svc} a fini par céder",
                      "Une bibliothèque en fin de vie a cassé {svc}"),
            "summary": ("L'export nocturne fait encore des scans complets sur {svc}, un problème "
                        "connu reporté deux fois.",
                        "{svc} dépend encore d'une bibliothèque cliente qui n'est plus "
                        "maintenue.",
                        "Le vacuum de {svc} avait été désactivé comme contournement temporaire "
                        "il y a deux ans."),
            "analysis": ("La faiblesse figurait au registre des risques, mais le correctif n'est "
                         "jamais entré dans un plan trimestriel faute de valeur client visible.",
                         "Les contournements temporaires ne sont pas suivis : personne ne se "
                         "souvenait que le vacuum était désactivé.",
                         "La migration hors de cette bibliothèque avait commencé, puis a été "
                         "suspendue quand l'équipe a changé de projet."),
            "start": ("démarrage de l'export nocturne sur {svc}",
                      "la fragmentation des tables de {svc} fait expirer les requêtes"),
            "mitigate": ("export arrêté, la charge de {svc} redevient normale",
                         "vacuum manuel terminé, les temps de requête se rétablissent"),
            "short": ("Déplacer l'export nocturne sur un réplica",
                      "Réactiver le vacuum sur {svc}",
                      "Figer et corriger la bibliothèque cliente"),
            "long": ("Réserver 20 % de chaque trimestre aux risques connus",
                     "Suivre les contournements temporaires avec une date d'expiration",
                     "Remplacer la bibliothèque cliente non maintenue"),
        },
    },
}
CATEGORY_TAGS = {
    "config": ("config-push", "feature-flag"), "deployment": ("release", "canary"),
    "software": ("regression", "retries"), "capacity": ("autoscaling", "peak"),
    "dependency": ("third-party", "degraded-mode"), "infrastructure": ("network", "failover"),
    "data": ("migration", "replication"), "security": ("tls", "secrets"),
    "monitoring": ("alerting", "observability"), "communication": ("status-page",),
    "process": ("runbook", "on-call"), "tech-debt": ("legacy", "batch"),
}
CATEGORIES = tuple(CATEGORY_TEXT)

TEXT = {
    "en": {
        "detect": ("alert on the {svc} error rate fires, on-call paged",
                   "latency alert on {svc}, on-call acknowledges",
                   "first customer tickets reach support",
                   "support escalates reports of failing {svc} requests",
                   "synthetic check on {svc} turns red",
                   "on-call notices the anomaly on the {svc} dashboard"),
        "investigate": ("incident channel opened, incident commander named",
                        "{team} team joins the investigation",
                        "logs of {svc} show connection errors toward {svc2}",
                        "first hypothesis (database) ruled out",
                        "traffic to {svc} compared across regions: all affected",
                        "{svc2} owners confirm nothing changed on their side",
                        "dashboards show saturation on {svc}",
                        "correlation found with the last change on {svc}",
                        "second responder paged to help",
                        "decision to roll back rather than fix forward",
                        "support briefed with a holding message",
                        "error rate on {svc} stable at its peak"),
        "status_page": ("status page updated: investigating", "status page updated: monitoring"),
        "recover": ("error rate back under 0.1 %", "queues drained",
                    "backlog of {svc} fully processed", "watching for a recurrence",
                    "last affected customers confirmed recovered", "caches warm again"),
        "resolve": ("incident closed", "incident resolved, channel archived",
                    "all metrics nominal, incident closed"),
        "impact": ("For {duration}, {pct} % of requests to {svc} failed.",
                   "Between {start_clock} and {end_clock}, {svc} was degraded: {pct} % of "
                   "requests failed or took more than 5 s.",
                   "{svc} was unavailable for {duration}; about {users} users were affected."),
        "public": ("The incident was visible to customers and announced on the status page.",
                   "Customers reported the problem on social media before our announcement, "
                   "and the status page was updated during the incident."),
        "internal": ("The impact stayed mostly internal: {svc2} accumulated a backlog that was "
                     "processed afterwards.",
                     "Customer impact was limited; most requests succeeded on retry."),
        "business": ("Support received {tickets} tickets during the incident.",
                     "About {money} k€ of orders were delayed; most were recovered afterwards.",
                     "No data was lost."),
        "scope": "Services affected: {services}. Teams in the review: {teams}.",
        "internal_symptom": ("Internal dashboards and batch jobs that depend on {svc} ran "
                             "late.",
                             "Some requests were retried automatically; a small share of "
                             "customers saw slower pages.",
                             "Back-office teams could not use the tools that depend on {svc}."),
        "symptom": ("Customers saw error pages or endless spinners on the pages that depend on "
                    "{svc}.",
                    "Mobile users were logged out or got timeouts, and retries from the apps "
                    "added load.",
                    "Orders were accepted but their confirmations were delayed by up to an hour.",
                    "Internal tools that read from {svc} showed stale or missing data.",
                    "Partners calling our API received 502 and 504 responses."),
        "detection_note": "The first signal came {det} minutes after the start of the impact; "
                          "the impact stopped at {end_clock} and the incident was closed at "
                          "{resolve_clock}.",
        "figures": ("Duration of impact", "Requests failed", "Users affected", "Support tickets"),
        "not_caught": ("Our tests and reviews are built around code changes; this failure came "
                       "through a path they do not see.",
                       "The signals that would have shown the problem existed, but nobody was "
                       "looking at them at that time of day.",
                       "A similar near miss had been noticed a few months earlier but was never "
                       "written up, so the knowledge stayed with a few people.",
                       "Staging does not carry production-like traffic, so the problem could not "
                       "show up there before the release."),
        "actions_intro": ("The actions below were agreed at the review on {review}. Short-term "
                          "items close the immediate gap; long-term items address the "
                          "contributing factors.",
                          "Each action has an owning team and a due date; progress is tracked "
                          "in the team trackers and reported at the weekly operations review."),
        "blameless": ("We looked at why the safeguards we already had did not stop the problem, "
                      "rather than at who made the last change.",
                      "The people involved acted on the information they had at the time; the "
                      "gaps below are in our tooling and processes.",
                      "This analysis follows the blameless format: it describes systems and "
                      "decisions, not individual mistakes."),
        "factors": "Several factors had to line up for this incident to happen:",
        "trigger": "The trigger itself was ordinary ({trigger}); the conditions that let it turn "
                   "into an incident had been in place for much longer.",
        "in_short": "> **In short:** {primary_summary} Severity S{severity}, {duration} of "
                    "impact.",
        "related": "Related postmortem: {related} (same service, same kind of cause).",
        "duration_note": ("Time to mitigate was {mit} minutes; most of it went into finding the "
                          "change that correlated with the symptoms.",
                          "Detection took {det} minutes, which is where the largest gain is.",
                          "Mitigation itself was quick once the cause was known; the search for "
                          "the cause took most of the {mit} minutes."),
        "well": ("The rollback procedure was documented and took a few minutes.",
                 "The incident channel was opened within minutes and roles were clear.",
                 "Support had a holding message ready quickly.",
                 "Dashboards made the correlation with the change obvious.",
                 "The on-call handover worked smoothly.",
                 "A feature flag let us disable the faulty path without a release.",
                 "The {team} team joined as soon as it was asked."),
        "wrong": ("Detection relied on customers rather than on our alerts.",
                  "The runbook was out of date.",
                  "It took too long to find who owned {svc2}.",
                  "The status page was updated late.",
                  "We had no way to see the effective configuration.",
                  "Several hypotheses were investigated in parallel without coordination.",
                  "The rollback was slower than expected."),
        "lucky": ("The incident happened outside peak hours.",
                  "An engineer who knew the legacy system happened to be online.",
                  "The faulty change reached only one region at first.",
                  "A backup had been taken one hour earlier.",
                  "Traffic was low because of a public holiday."),
        "follow_up": ("Actions are reviewed in the weekly {team} meeting until all are closed.",
                      "This postmortem was reviewed with the teams involved on {review}.",
                      "Long-term items are tracked in the {team} quarterly plan.",
                      "Next review of the open actions: {next_review}."),
        "generic_short": ("Share this postmortem with the {team} team",
                          "Add this failure mode to the on-call training",
                          "Check other services for the same weakness"),
        "generic_long": ("Game day on this failure mode",
                         "Review the alert thresholds of {svc}",
                         "Add {svc} to the quarterly resilience review"),
        "blame": ("The on-call engineer forgot to check the dashboard before closing the alert.",
                  "This was caused by human error.",
                  "The developer should have tested the change before pushing it.",
                  "The operator did not follow the runbook."),
        "human_error": ("human-error", "A manual command was run against the wrong cluster."),
    },
    "fr": {
        "detect": ("alerte sur le taux d'erreur de {svc}, l'astreinte est prévenue",
                   "alerte de latence sur {svc}, prise en compte par l'astreinte",
                   "premiers tickets clients reçus par le support",
                   "le support remonte des échecs de requêtes sur {svc}",
                   "la sonde synthétique sur {svc} passe au rouge",
                   "l'astreinte remarque l'anomalie sur le tableau de bord de {svc}"),
        "investigate": ("canal d'incident ouvert, responsable d'incident désigné",
                        "l'équipe {team} rejoint l'investigation",
                        "les logs de {svc} montrent des erreurs de connexion vers {svc2}",
                        "première hypothèse (base de données) écartée",
                        "comparaison du trafic de {svc} par région : toutes touchées",
                        "les responsables de {svc2} confirment qu'aucun changement n'a eu lieu "
                        "chez eux",
                        "les tableaux de bord montrent une saturation sur {svc}",
                        "corrélation trouvée avec le dernier changement sur {svc}",
                        "un second intervenant est appelé en renfort",
                        "décision de revenir en arrière plutôt que de corriger en avant",
                        "le support client reçoit un message d'attente",
                        "le taux d'erreur de {svc} se stabilise à son maximum"),
        "status_page": ("page de statut mise à jour : investigation en cours",
                        "page de statut mise à jour : sous surveillance"),
        "recover": ("taux d'erreur revenu sous 0,1 %", "files d'attente résorbées",
                    "retard de {svc} entièrement rattrapé", "surveillance d'une éventuelle "
                    "récidive", "les derniers clients touchés confirment le retour à la normale",
                    "caches de nouveau chauds"),
        "resolve": ("incident clos", "incident résolu, canal archivé",
                    "toutes les métriques nominales, incident clos"),
        "impact": ("Pendant {duration}, {pct} % des requêtes vers {svc} ont échoué.",
                   "Entre {start_clock} et {end_clock}, {svc} a été dégradé : {pct} % des "
                   "requêtes échouaient ou dépassaient 5 s.",
                   "{svc} a été indisponible pendant {duration} ; environ {users} utilisateurs "
                   "ont été touchés."),
        "public": ("L'incident était visible des clients et annoncé sur la page de statut.",
                   "Des clients ont signalé le problème sur les réseaux sociaux avant notre "
                   "annonce ; la page de statut a été mise à jour pendant l'incident."),
        "internal": ("L'impact est resté surtout interne : {svc2} a accumulé un retard traité "
                     "ensuite.",
                     "L'impact client a été limité ; la plupart des requêtes ont réussi au "
                     "second essai."),
        "business": ("Le support a reçu {tickets} tickets pendant l'incident.",
                     "Environ {money} k€ de commandes ont été retardées, récupérées pour la "
                     "plupart.",
                     "Aucune donnée n'a été perdue."),
        "scope": "Services touchés : {services}. Équipes présentes à la revue : {teams}.",
        "internal_symptom": ("Les tableaux de bord internes et les traitements qui dépendent "
                             "de {svc} ont pris du retard.",
                             "Certaines requêtes ont été rejouées automatiquement ; une petite "
                             "part des clients a vu des pages plus lentes.",
                             "Les équipes du back-office ne pouvaient plus utiliser les outils "
                             "qui dépendent de {svc}."),
        "symptom": ("Les clients voyaient des pages d'erreur ou des chargements sans fin sur les "
                    "pages qui dépendent de {svc}.",
                    "Les utilisateurs mobiles étaient déconnectés ou recevaient des timeouts, et "
                    "les retries des applications ajoutaient de la charge.",
                    "Les commandes étaient acceptées mais leurs confirmations arrivaient avec "
                    "jusqu'à une heure de retard.",
                    "Les outils internes qui lisent {svc} affichaient des données périmées ou "
                    "manquantes.",
                    "Les partenaires qui appellent notre API recevaient des réponses 502 et "
                    "504."),
        "detection_note": "Le premier signal est arrivé {det} minutes après le début de "
                          "l'impact ; l'impact a cessé à {end_clock} et l'incident a été clos à "
                          "{resolve_clock}.",
        "figures": ("Durée de l'impact", "Requêtes en échec", "Utilisateurs touchés",
                    "Tickets support"),
        "not_caught": ("Nos tests et nos revues sont construits autour des changements de code ; "
                       "cette panne est passée par un chemin qu'ils ne voient pas.",
                       "Les signaux qui auraient montré le problème existaient, mais personne ne "
                       "les regardait à cette heure-là.",
                       "Un quasi-incident semblable avait été remarqué quelques mois plus tôt "
                       "sans être documenté : la connaissance est restée chez quelques "
                       "personnes.",
                       "La préproduction ne reçoit pas un trafic comparable à la production : le "
                       "problème ne pouvait pas y apparaître avant la mise en production."),
        "actions_intro": ("Les actions ci-dessous ont été décidées lors de la revue du {review}. "
                          "Les actions court terme ferment la brèche immédiate ; les actions "
                          "long terme traitent les facteurs contributifs.",
                          "Chaque action a une équipe responsable et une échéance ; "
                          "l'avancement est suivi dans les outils des équipes et présenté à la "
                          "revue d'exploitation hebdomadaire."),
        "blameless": ("Nous avons cherché pourquoi les garde-fous existants n'ont pas arrêté le "
                      "problème, plutôt que qui avait fait le dernier changement.",
                      "Les personnes impliquées ont agi avec les informations dont elles "
                      "disposaient ; les manques décrits ici sont dans nos outils et nos "
                      "processus.",
                      "Cette analyse suit le format sans reproche : elle décrit des systèmes et "
                      "des décisions, pas des erreurs individuelles."),
        "factors": "Plusieurs facteurs ont dû se combiner pour que l'incident se produise :",
        "trigger": "Le déclencheur en lui-même était banal ({trigger}) ; les conditions qui lui "
                   "ont permis de devenir un incident existaient depuis bien plus longtemps.",
        "in_short": "> **En bref :** {primary_summary} Sévérité S{severity}, {duration} "
                    "d'impact.",
        "related": "Postmortem lié : {related} (même service, même type de cause).",
        "duration_note": ("La mitigation a pris {mit} minutes, surtout pour trouver le changement "
                          "corrélé aux symptômes.",
                          "La détection a pris {det} minutes : c'est là que le gain possible est "
                          "le plus grand.",
                          "La mitigation a été rapide une fois la cause connue ; la recherche "
                          "de la cause a occupé l'essentiel des {mit} minutes."),
        "well": ("Le retour arrière était documenté et a pris quelques minutes.",
                 "Le canal d'incident a été ouvert en quelques minutes et les rôles étaient "
                 "clairs.",
                 "Le support a eu rapidement un message d'attente.",
                 "Les tableaux de bord rendaient évidente la corrélation avec le changement.",
                 "La passation d'astreinte s'est bien passée.",
                 "Un feature flag a permis de couper le chemin défaillant sans mise en "
                 "production.",
                 "L'équipe {team} a rejoint dès qu'elle a été sollicitée."),
        "wrong": ("La détection a reposé sur les clients plutôt que sur nos alertes.",
                  "Le runbook n'était pas à jour.",
                  "Il a fallu trop de temps pour trouver qui était responsable de {svc2}.",
                  "La page de statut a été mise à jour tardivement.",
                  "Nous n'avions aucun moyen de voir la configuration effective.",
                  "Plusieurs hypothèses ont été explorées en parallèle sans coordination.",
                  "Le retour arrière a été plus lent que prévu."),
        "lucky": ("L'incident a eu lieu hors pic de trafic.",
                  "Une personne connaissant le système historique était connectée par hasard.",
                  "Le changement défectueux n'a d'abord atteint qu'une région.",
                  "Une sauvegarde avait été faite une heure plus tôt.",
                  "Le trafic était faible en raison d'un jour férié."),
        "follow_up": ("Revue des actions en réunion hebdomadaire de l'équipe {team} jusqu'à "
                      "clôture.",
                      "Postmortem relu avec les équipes concernées le {review}.",
                      "Les actions long terme sont suivies dans le plan trimestriel de l'équipe "
                      "{team}.",
                      "Prochaine revue des actions ouvertes : {next_review}."),
        "generic_short": ("Partager ce postmortem avec l'équipe {team}",
                          "Ajouter ce mode de panne à la formation d'astreinte",
                          "Vérifier la même faiblesse sur les autres services"),
        "generic_long": ("Game day sur ce mode de panne",
                         "Revoir les seuils d'alerte de {svc}",
                         "Ajouter {svc} à la revue de résilience trimestrielle"),
        "blame": ("Erreur humaine lors du déploiement.",
                  "L'opérateur a oublié de vérifier le tableau de bord avant de clore l'alerte.",
                  "Le développeur aurait dû tester sa modification avant de la pousser.",
                  "L'astreinte n'a pas suivi la procédure."),
        "human_error": ("erreur humaine", "Une commande manuelle a été lancée sur le mauvais "
                                          "cluster."),
    },
}
CODE_BLOCKS = (
    "```yaml\n## {svc} / pool.yaml (effective values after templating)\npool:\n"
    "  max_connections: 20\n  acquire_timeout_ms: 500\n```",
    "```\n## kubectl get pods -n {svc}\nNAME                 READY   STATUS             RESTARTS\n"
    "{svc}-7d9f8-x2kqz   0/1     CrashLoopBackOff   12\n{svc}-7d9f8-m4tpl   0/1     "
    "CrashLoopBackOff   11\n```",
    "```\n## {svc} error log (excerpt, {clock})\nERROR upstream connect error or "
    "disconnect/reset before headers\nERROR upstream connect error or disconnect/reset before "
    "headers\nWARN  retry budget exhausted for {svc2}\n```",
)
PROBLEMS = (
    ("bad_severity", "rejected", "`severity: critical-ish` is not a severity"),
    ("unclosed_front_matter", "rejected", "front matter never closed"),
    ("unknown_action_status", "warning", "action status `blocked` is not a known status"),
    ("bad_detected_at", "warning", '`detected_at: "yesterday"` is not a timestamp'),
    ("unknown_category", "warning", "root-cause category `cosmic-rays` is not in the taxonomy"),
    ("out_of_order", "warning", "`mitigated_at` is before `started_at`"),
    ("unknown_status", "warning", "`status: approved` is not draft, review or published"),
)


# --- Calendar and time zone -------------------------------------------------------------


def last_full_quarter(today: date) -> str:
    """The last calendar quarter that ended before `today`, as `2026Q3`."""
    quarter = (today.month - 1) // 3 + 1
    if quarter == 1:
        return f"{today.year - 1}Q4"
    return f"{today.year}Q{quarter - 1}"


def _parse_quarter(text: object) -> tuple[int, int]:
    match = re.fullmatch(r"(\d{4})[Qq]([1-4])", text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"end_quarter must look like 2026Q3, got {text!r}")
    return int(match.group(1)), int(match.group(2))


def _quarter_span(end_quarter: str, quarters: int) -> tuple[date, date]:
    """First day of the first quarter and first day after the last one."""
    year, quarter = _parse_quarter(end_quarter)
    last = year * 4 + quarter - 1
    first = last - quarters + 1
    return _quarter_start(first), _quarter_start(last + 1)


def _quarter_start(index: int) -> date:
    """First day of a quarter counted as `year * 4 + quarter - 1`."""
    return date(index // 4, index % 4 * 3 + 1, 1)


def _last_sunday_at_one_utc(year: int, month: int) -> int:
    last_day = date(year, month, 31)
    sunday = last_day - timedelta(days=(last_day.weekday() + 1) % 7)
    return (sunday - EPOCH_DATE).days * DAY_SECONDS + 3600


@functools.cache
def _summer_time(year: int) -> tuple[int, int]:
    """EU summer time of `year` in UTC epoch seconds: last Sunday of March to October, 01:00."""
    return _last_sunday_at_one_utc(year, 3), _last_sunday_at_one_utc(year, 10)


def _paris_offset(ts: int) -> int:
    """UTC offset of Europe/Paris at an instant, in seconds.

    The year is estimated from the mean Gregorian year; it can be off by a day around
    New Year, where no daylight-saving change happens, so the offset is still right.
    """
    start, end = _summer_time(1970 + ts // MEAN_YEAR_SECONDS)
    return 7200 if start <= ts < end else 3600


def _paris_to_utc(local_seconds: int) -> int:
    """Epoch seconds of a Paris wall-clock time (itself counted in seconds since 1970)."""
    winter = local_seconds - 3600
    summer = local_seconds - 7200
    return summer if _paris_offset(summer) == 7200 else winter


@functools.lru_cache(maxsize=4096)
def _day_text(day: int) -> str:
    return date.fromordinal(EPOCH_ORDINAL + day).isoformat()


def _local_text(ts: int, offset: int, sep: str = "T", timespec: str = "seconds") -> str:
    """ISO 8601 wall-clock text of an instant at a UTC offset, without the offset."""
    day, seconds = divmod(ts + offset, DAY_SECONDS)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    text = f"{_day_text(day)}{sep}{hours:02d}:{minutes:02d}"
    return text if timespec == "minutes" else f"{text}:{seconds:02d}"


def _clock(ts: int, offset: int) -> str:
    minutes = (ts + offset) // 60 % 1440
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _paris_day(ts: int) -> int:
    """The Paris calendar date of an instant, as days since 1970-01-01."""
    return (ts + _paris_offset(ts)) // DAY_SECONDS


def _offset_text(offset: int) -> str:
    return f"+{offset // 3600:02d}:{offset % 3600 // 60:02d}"


def _paris_iso(ts: int) -> str:
    offset = _paris_offset(ts)
    return _local_text(ts, offset) + _offset_text(offset)


def _changes_clock(first: int, last: int) -> bool:
    """Whether a daylight-saving change falls within a day of [first, last]."""
    for year in range(1970 + first // MEAN_YEAR_SECONDS, 1971 + last // MEAN_YEAR_SECONDS):
        for change in _summer_time(year):
            if first - DAY_SECONDS <= change <= last + DAY_SECONDS:
                return True
    return False


def _duration_text(minutes: int, lang: str) -> str:
    if minutes < 90:
        return f"{minutes} minutes"
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        unit = ("day" if days == 1 else "days") if lang == "en" else (
            "jour" if days == 1 else "jours")
        glue = "and" if lang == "en" else "et"
        return f"{days} {unit} {glue} {hours} h"
    return f"{hours} h {mins:02d} min" if lang == "en" else f"{hours} h {mins:02d}"


def _yaml_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# --- The model of one incident ---------------------------------------------------------


@dataclass(slots=True)
class _Action:
    """One action item; `due` and `closed` are Paris dates as days since 1970-01-01."""

    ident: str
    text: str
    horizon: str
    owner: str
    due: int
    status: str
    closed: int | None
    markdown_status: str
    tracked: bool = False


@dataclass(slots=True)
class _Postmortem:
    """One drawn incident and its review; instants are UTC epoch seconds."""

    pm_id: str
    lang: str
    severity: int
    public: bool
    services: list[str]
    teams: list[str]
    categories: list[str]
    started: int
    detected: int
    mitigated: int
    resolved: int
    published: int | None
    status: str
    problem: str | None
    ctx: dict[str, str]
    actions: list[_Action] = field(default_factory=list)
    blame: bool = False
    human_error: bool = False
    review_day: int = 0


# --- The writer ----------------------------------------------------------------------------


class _CorpusWriter:
    """Draws and writes one corpus; every random choice goes through `self.rng`."""

    def __init__(self, out_dir: Path, count: int, seed: int, start: date, end: date) -> None:
        self.out_dir = out_dir
        self.count = count
        self.seed = seed
        self.rng = random.Random(seed)
        self.start = start
        self.days = (end - start).days
        self.last_quarter_day = (_quarter_start(end.year * 4 + end.month // 3 - 1)
                                 - start).days
        self.snapshot_day = (end - EPOCH_DATE).days + SNAPSHOT_DELAY_DAYS
        self.snapshot = _paris_to_utc(self.snapshot_day * DAY_SECONDS)
        self.problem_at = self._problem_positions(count)
        self.problem_files: list[tuple[str, str, str]] = []
        self.year_seq: dict[int, int] = {}
        self.last_seen: dict[tuple[str, str], str] = {}
        self.folders: set[str] = set()
        self.action_seq: dict[str, int] = {}
        self.incident_seq = 1000
        self.incident_rows = 0
        self.tracker_rows = 0
        self.languages = {"en": 0, "fr": 0}

    @staticmethod
    def _problem_positions(count: int) -> dict[int, str]:
        if count < PROBLEM_MIN_COUNT:
            return {}
        step = len(PROBLEMS) + 1
        return {(k + 1) * count // step: name for k, (name, _, _) in enumerate(PROBLEMS)}

    def run(self, incidents: IO[str], tracker: IO[str]) -> None:
        """Writes every postmortem file and streams the rows of both CSV files."""
        incident_csv = csv.writer(incidents, lineterminator="\n")
        tracker_csv = csv.writer(tracker, lineterminator="\n")
        incident_csv.writerow(INCIDENT_COLUMNS)
        tracker_csv.writerow(TRACKER_COLUMNS)
        index = 0
        for day, minute, is_extra in self._plan():
            started = _paris_to_utc(((self.start - EPOCH_DATE).days + day) * DAY_SECONDS
                                    + minute * 60)
            if is_extra:
                incident_csv.writerow(self._extra_incident(started))
            else:
                pm = self._postmortem(index, day, started)
                self._write_postmortem(pm)
                self._write_rows(pm, incident_csv, tracker_csv)
                index += 1

    def _plan(self) -> list[tuple[int, int, bool]]:
        rng = self.rng
        total = self.count + int(self.count * EXTRA_INCIDENT_RATE)
        plan = []
        for i in range(total):
            minute = _between(rng, 480, 1140) if rng.random() < 0.65 else _between(rng, 0, 1440)
            plan.append((_between(rng, 0, self.days), minute, i >= self.count))
        plan.sort()
        return plan

    # -- drawing ---------------------------------------------------------------------------

    def _postmortem(self, index: int, day: int, started: int) -> _Postmortem:
        rng = self.rng
        problem = self.problem_at.get(index)
        progress = day / self.days
        lang = "fr" if rng.random() < 0.5 else "en"
        self.languages[lang] += 1
        severity = SEVERITY_WEIGHTS.pick(rng)
        public = rng.random() < PUBLIC_RATE[severity]
        services, categories = self._causes(progress)
        teams = self._teams(services[0], categories, public)
        detected, mitigated, resolved = self._durations(started, categories)
        year = int(_day_text(_paris_day(started))[:4])
        self.year_seq[year] = self.year_seq.get(year, 0) + 1
        pm_id = f"PM-{year}-{self.year_seq[year]:04d}"
        published, status = self._publication(severity, public, resolved, day, problem)
        svc2 = services[1] if len(services) > 1 else _choice(rng, RELATED_SERVICES[services[0]])
        other_teams = [t for t in teams if t != SERVICE_TEAM[services[0]]]
        ctx = {"svc": services[0], "svc2": svc2,
               "team": other_teams[0] if other_teams else "sre"}
        ctx["title"] = _choice(rng, CATEGORY_TEXT[categories[0]][lang]["title"]).format_map(ctx)
        pm = _Postmortem(pm_id, lang, severity, public, services, teams, categories, started,
                         detected, mitigated, resolved, published, status, problem, ctx)
        pm.actions = self._actions(pm)
        pm.review_day = _paris_day(resolved if published is None else published) + REVIEW_DELAY_DAYS
        if problem is None:
            pm.blame = index % BLAME_EVERY == BLAME_EVERY // 2
            pm.human_error = index % HUMAN_ERROR_EVERY == HUMAN_ERROR_EVERY * 7 // 10
        return pm

    def _causes(self, progress: float) -> tuple[list[str], list[str]]:
        rng = self.rng
        draw = rng.random()
        for service, category, rate in RECURRING_THEMES:
            if draw < rate:
                primary_service, primary = service, category
                break
            draw -= rate
        else:
            primary_service = SERVICE_WEIGHTS.pick(rng)
            primary = _primary_categories(progress).pick(rng)
        services = [primary_service]
        if rng.random() < SECOND_SERVICE_RATE:
            services.append(_choice(rng, RELATED_SERVICES[primary_service]))
        categories = [primary]
        wanted = ROOT_CAUSE_COUNT.pick(rng)
        secondary = _secondary_categories(progress)
        while len(categories) < wanted:
            category = secondary.pick(rng)
            if category not in categories:
                categories.append(category)
        return services, categories

    def _teams(self, service: str, categories: list[str], public: bool) -> list[str]:
        rng = self.rng
        teams = [SERVICE_TEAM[service]]
        candidates = ["sre"] if rng.random() < 0.6 else []
        candidates += CATEGORY_TEAMS[categories[0]]
        if public:
            candidates.append("support")
        for team in candidates:
            if team not in teams and len(teams) < 3:
                teams.append(team)
        return teams

    def _durations(self, started: int, categories: list[str]) -> tuple[int, int, int]:
        rng = self.rng
        detect = min(60, max(1, int(rng.lognormvariate(math.log(7), 0.9))))
        if "monitoring" in categories:
            detect = min(60, detect * 3)
        mitigate = min(360, max(10, detect + int(rng.lognormvariate(math.log(35), 0.9))))
        if rng.random() < 0.05:
            extra = _between(rng, 18 * 60, 3 * 1440)
        else:
            extra = min(720, max(5, int(rng.lognormvariate(math.log(45), 0.9))))
        return started + detect * 60, started + mitigate * 60, started + (mitigate + extra) * 60

    def _publication(self, severity: int, public: bool, resolved: int, day: int,
                     problem: str | None) -> tuple[int | None, str]:
        rng = self.rng
        required = severity == 1 or public
        forgotten = rng.random() < self._unpublished_rate(day, required)
        if problem in {"unknown_status", "out_of_order"}:
            forgotten = False
        late = rng.random() < (0.35 if required else 0.15)
        if late:
            hours = rng.uniform(72, 24 * 42) if rng.random() < 0.5 else rng.uniform(72, 24 * 14)
        else:
            hours = rng.triangular(2, 72, 30)
        published = self._working_hours(resolved, resolved + int(hours * 3600))
        if forgotten or published > self.snapshot:
            return None, "review" if rng.random() < 0.3 else "draft"
        return published, "published"

    def _unpublished_rate(self, day: int, required: bool) -> float:
        """Drafts: rising through the last quarter, rare before, a bit more for required ones."""
        if day >= self.last_quarter_day:
            position = (day - self.last_quarter_day) / (self.days - self.last_quarter_day)
            return 0.1 + 0.4 * position
        return 0.08 if required else 0.025

    def _working_hours(self, after: int, ts: int) -> int:
        """Moves an instant to a Paris working hour on its day, keeping it an hour after `after`."""
        local_day = _paris_day(ts)
        minute = _between(self.rng, 9 * 60, 19 * 60)
        moved = _paris_to_utc(local_day * DAY_SECONDS + minute * 60)
        if moved < after + 3600:
            moved = _paris_to_utc((local_day + 1) * DAY_SECONDS + minute * 60)
        return moved

    def _actions(self, pm: _Postmortem) -> list[_Action]:
        rng = self.rng
        texts = self._action_texts(pm, ACTION_COUNT.pick(rng))
        resolved_day = _paris_day(pm.resolved)
        actions = []
        for position, (text, horizon, category) in enumerate(texts):
            owner = _choice(rng, (*CATEGORY_TEAMS[category], SERVICE_TEAM[pm.services[0]]))
            if position == 0:
                due = resolved_day
                status, closed = "done", _paris_day(pm.mitigated)
            else:
                span = _between(rng, 1, 15) if horizon == "short" else _between(rng, 21, 121)
                due = resolved_day + span
                status, closed = self._action_state(resolved_day, due)
            actions.append(_Action("", text, horizon, owner, due, status, closed, status))
        self._identify(pm, actions)
        return actions

    def _action_texts(self, pm: _Postmortem, wanted: int) -> list[tuple[str, str, str]]:
        rng = self.rng
        pools: list[tuple[str, str, str]] = []
        for category in pm.categories:
            bank = CATEGORY_TEXT[category][pm.lang]
            pools += [(text, "short", category) for text in bank["short"]]
            pools += [(text, "long", category) for text in bank["long"]]
        first = CATEGORY_TEXT[pm.categories[0]][pm.lang]["short"][0]
        chosen = [(first, "short", pm.categories[0])]
        rest = [entry for entry in pools if entry[0] != first]
        chosen += _some(rng, rest, min(wanted - 1, len(rest)))
        generic = [(text, "short", "process") for text in TEXT[pm.lang]["generic_short"]]
        generic += [(text, "long", "process") for text in TEXT[pm.lang]["generic_long"]]
        while len(chosen) < wanted:
            chosen.append(generic.pop(_between(rng, 0, len(generic))))
        return [(text.format_map(pm.ctx), horizon, cat) for text, horizon, cat in chosen]

    def _action_state(self, resolved_day: int, due: int) -> tuple[str, int | None]:
        """True state at the snapshot; due and closed dates are days since 1970-01-01."""
        rng = self.rng
        draw = rng.random()
        if draw < 0.05:
            return "cancelled", None
        if draw < 0.20:
            return ("in_progress" if rng.random() < 0.4 else "open"), None
        late = rng.random() < 0.3
        slip = _between(rng, 1, 60) if late else -_between(rng, 0, due - resolved_day + 1)
        closed = due + slip
        if closed > self.snapshot_day:
            return ("in_progress" if rng.random() < 0.5 else "open"), None
        return "done", closed

    def _identify(self, pm: _Postmortem, actions: list[_Action]) -> None:
        rng = self.rng
        for action in actions:
            action.ident = self._next_action_id(action.owner)
            if action.status == "done" and rng.random() < 0.08:
                action.closed = None
            if pm.problem not in {"bad_severity", "unclosed_front_matter"} \
                    and rng.random() < TRACKER_UPDATE_RATE:
                action.tracked = True
                action.markdown_status = "open"
        if pm.problem == "unknown_action_status":
            actions[-1].markdown_status = "blocked"
            actions[-1].tracked = False

    def _next_action_id(self, team: str) -> str:
        prefix = TEAM_PREFIX[team]
        self.action_seq[prefix] = self.action_seq.get(prefix, 100) + 1
        return f"{prefix}-{self.action_seq[prefix]}"

    # -- rendering ----------------------------------------------------------------------------

    def _write_postmortem(self, pm: _Postmortem) -> None:
        rng = self.rng
        text = self._render(pm)
        if pm.problem is None:
            draw = rng.random()
            if draw < 0.02:
                text = text.replace("\n", "\r\n")
            elif draw < 0.03:
                text = "\ufeff" + text
        year = pm.pm_id.split("-")[1]
        if year not in self.folders:
            (self.out_dir / year).mkdir(exist_ok=True)
            self.folders.add(year)
        with open(f"{self.out_dir}/{year}/{pm.pm_id}.md", "wb") as out:
            out.write(text.encode())
        if pm.problem is not None:
            kind, reason = next((k, r) for n, k, r in PROBLEMS if n == pm.problem)
            self.problem_files.append((f"{year}/{pm.pm_id}.md", kind, reason))

    def _render(self, pm: _Postmortem) -> str:
        rng = self.rng
        style = TIMESTAMP_STYLES.pick(rng)
        last = pm.published if pm.published is not None else pm.resolved
        if style == "naive" and _changes_clock(pm.started - DAY_SECONDS, last):
            style = "offset"
        clock_offset = 0 if style == "utc" else _paris_offset(pm.started)
        pm.ctx["start_clock"] = _clock(pm.started, clock_offset)
        pm.ctx["end_clock"] = _clock(pm.mitigated, clock_offset)
        pm.ctx["clock"] = pm.ctx["start_clock"]
        pm.ctx["resolve_clock"] = _clock(pm.resolved, clock_offset)
        front = self._front_matter(pm, style)
        sections = self._sections(pm, style, clock_offset)
        head = [f"# {pm.ctx['title']}"]
        if rng.random() < 0.7:
            minutes = (pm.mitigated - pm.started) // 60
            head.append(TEXT[pm.lang]["in_short"].format(
                primary_summary=pm.ctx["primary_summary"], severity=pm.severity,
                duration=_duration_text(minutes, pm.lang)))
        body = "\n\n".join([*head, *sections])
        if pm.problem == "unclosed_front_matter":
            return front + "\n" + body + "\n"
        return front + "\n---\n\n" + body + "\n"

    def _front_matter(self, pm: _Postmortem, style: str) -> str:
        rng = self.rng
        quoted = rng.random() < 0.2
        seconds = rng.random() < 0.5

        def stamp(ts: int) -> str:
            return _timestamp(ts, style, quoted, seconds)

        severity = str(SEVERITY_FORMS.pick(rng)).format(n=pm.severity)
        if pm.problem == "bad_severity":
            severity = "critical-ish"
        lines = ["---", f"id: {pm.pm_id}", f"title: {_yaml_quote(pm.ctx['title'])}",
                 f"severity: {severity}"]
        status = "approved" if pm.problem == "unknown_status" else pm.status
        if pm.published is None or rng.random() < 0.75 or pm.problem == "unknown_status":
            lines.append(f"status: {status}")
        if pm.public or rng.random() < 0.6:
            lines.append(f"public: {'true' if pm.public else 'false'}")
        if pm.published is not None and (pm.public or rng.random() < 0.3):
            external = pm.public and rng.random() < 0.8
            lines.append(f"published_to: {'external' if external else 'internal'}")
        lines += _yaml_list("services", pm.services, rng)
        lines += _yaml_list("teams", pm.teams, rng)
        lines.append(f"started_at: {stamp(pm.started)}")
        if pm.problem == "bad_detected_at":
            lines.append('detected_at: "yesterday"')
        elif rng.random() < 0.96 or pm.problem:
            lines.append(f"detected_at: {stamp(pm.detected)}")
        if pm.problem == "out_of_order":
            lines.append(f"mitigated_at: {stamp(pm.started - DAY_SECONDS + 1800)}")
        elif rng.random() < 0.95 or pm.problem:
            lines.append(f"mitigated_at: {stamp(pm.mitigated)}")
        lines.append(f"resolved_at: {stamp(pm.resolved)}")
        if pm.published is not None:
            lines.append(f"published_at: {self._published_stamp(pm, pm.published, stamp)}")
        lines += self._root_causes(pm)
        lines += self._tags(pm)
        if rng.random() < 0.25:
            lines.append(f"review_meeting: {_yaml_quote(_day_text(pm.review_day))}")
        return "\n".join(lines)

    def _published_stamp(self, pm: _Postmortem, published: int,
                         stamp: Callable[[int], str]) -> str:
        """Now and then a date alone, only when that day is after the resolution day."""
        published_day = _paris_day(published)
        if published_day > _paris_day(pm.resolved) and self.rng.random() < 0.05:
            return _day_text(published_day)
        return stamp(published)

    def _root_causes(self, pm: _Postmortem) -> list[str]:
        rng = self.rng
        lines = ["root_causes:"]
        causes = [(category, _choice(rng, CATEGORY_TEXT[category][pm.lang]["summary"]))
                  for category in pm.categories]
        if pm.human_error:
            causes.append(TEXT[pm.lang]["human_error"])
        if pm.problem == "unknown_category":
            causes.append(("cosmic-rays", "A bit flip on a host without ECC memory corrupted a "
                                          "cached routing table."))
        pm.ctx["primary_summary"] = causes[0][1].format_map(pm.ctx)
        pm.ctx["summaries"] = "\n".join(
            f"- {summary.format_map(pm.ctx)}" for _, summary in causes)
        for category, summary in causes:
            written = _category_word(category, pm.lang, rng)
            text = summary.format_map(pm.ctx)
            if rng.random() < 0.6:
                lines += [f"  - category: {written}", f"    summary: {_yaml_quote(text)}"]
            else:
                lines.append(f"  - {_yaml_quote(f'{written}: {text}')}")
        return lines

    def _tags(self, pm: _Postmortem) -> list[str]:
        rng = self.rng
        tags = [_choice(rng, CATEGORY_TAGS[pm.categories[0]])]
        if pm.public:
            tags.append("customer-facing")
        if not 7 <= (pm.started + _paris_offset(pm.started)) // 3600 % 24 < 22:
            tags.append("night")
        if rng.random() < 0.15:
            return []
        return [f"tags: [{', '.join(tags)}]"]

    def _sections(self, pm: _Postmortem, style: str, clock_offset: int) -> list[str]:
        rng = self.rng
        numbering = NUMBERING.pick(rng)
        emoji = rng.random() < 0.05
        actions_in_follow_up = rng.random() < 0.05
        bodies = [
            ("context", self._context(pm)),
            ("timeline", self._timeline(pm, style, clock_offset)),
            ("analysis", self._analysis(pm)),
        ]
        intro = _choice(rng, TEXT[pm.lang]["actions_intro"]).format(
            review=_day_text(pm.review_day))
        table = f"{intro}\n\n{self._action_table(pm)}"
        if not actions_in_follow_up:
            bodies.append(("actions", table))
        bodies.append(("lessons", self._lessons(pm)))
        follow = self._follow_up(pm)
        bodies.append(("follow_up", f"{table}\n\n{follow}" if actions_in_follow_up else follow))
        if rng.random() < 0.1:
            bodies.append(("extra", ""))
        rendered = []
        for number, (key, body) in enumerate(bodies, start=1):
            if key == "extra":
                heading, text = _choice(rng, EXTRA_SECTIONS[pm.lang])
                body = text.format(teams=", ".join(pm.teams))
            else:
                heading = str(HEADINGS[pm.lang][key].pick(rng))
            if emoji:
                heading = f"{HEADING_EMOJI[key]} {heading}"
            elif numbering == "dot":
                heading = f"{number}. {heading}"
            elif numbering == "paren":
                heading = f"{number}) {heading}"
            rendered.append(f"## {heading}\n{body}")
        return rendered

    def _context(self, pm: _Postmortem) -> str:
        rng = self.rng
        text = TEXT[pm.lang]
        minutes = (pm.mitigated - pm.started) // 60
        scale = IMPACT_SCALE[pm.severity]
        users = f"{_between(rng, 10, 600) * scale * 100:,.0f}"
        low, high = FAILING_PERCENT[pm.severity]
        values = {
            **pm.ctx, "duration": _duration_text(minutes, pm.lang),
            "pct": str(_between(rng, low, high)),
            "users": users.replace(",", " ") if pm.lang == "fr" else users,
            "tickets": str(1 + int(_between(rng, 5, 300) * scale)),
            "money": str(1 + int(_between(rng, 5, 400) * scale)),
            "services": ", ".join(pm.services), "teams": ", ".join(pm.teams),
            "det": str((pm.detected - pm.started) // 60),
        }
        role = SERVICE_ROLE[pm.services[0]][0 if pm.lang == "en" else 1]
        symptom = _choice(rng, text["symptom" if pm.public else "internal_symptom"])
        sentences = [role, _choice(rng, text["impact"]), symptom,
                     _choice(rng, text["public"] if pm.public else text["internal"]),
                     _choice(rng, text["business"]), text["detection_note"]]
        paragraph = " ".join([s.format_map(values) for s in sentences])
        figures = zip(text["figures"], (values["duration"], f"{values['pct']} %",
                                        values["users"], values["tickets"]), strict=True)
        colon = " :" if pm.lang == "fr" else ":"
        listing = "\n".join([f"- {label}{colon} {value}" for label, value in figures])
        return f"{paragraph}\n\n{listing}\n\n{text['scope'].format_map(values)}"

    def _timeline(self, pm: _Postmortem, style: str, clock_offset: int) -> str:
        rng = self.rng
        events = self._events(pm)
        dated = pm.resolved - pm.started >= LONG_TIMELINE_SECONDS or rng.random() < 0.05
        as_table = rng.random() < 0.3
        utc_suffix = style == "utc" and not as_table and rng.random() < 0.5
        separator = str(LIST_SEPARATORS[pm.lang].pick(rng))
        lines = []
        if as_table:
            left, right = TIMELINE_TABLE_HEADER[pm.lang]
            lines += [f"| {left} | {right} |", "|---|---|"]
        for ts, text in events:
            when = (_local_text(ts, clock_offset, " ", "minutes") if dated
                    else _clock(ts, clock_offset))
            if as_table:
                lines.append(f"| {when} | {text} |")
            elif utc_suffix:
                lines.append(f"- {when} UTC: {text}")
            else:
                lines.append(f"- {when}{separator}{text}")
        return "\n".join(lines)

    def _events(self, pm: _Postmortem) -> list[tuple[int, str]]:
        rng = self.rng
        text = TEXT[pm.lang]
        bank = CATEGORY_TEXT[pm.categories[0]][pm.lang]
        total = _between(rng, 6, 15)
        middle = total - 4
        before = max(1, round(middle * 0.6))
        after = middle - before
        investigate = [text["investigate"][i]
                       for i in sorted(_some(rng, range(len(text["investigate"])), before))]
        recover = [text["recover"][i]
                   for i in sorted(_some(rng, range(len(text["recover"])), after))]
        if pm.public:
            investigate[0] = text["status_page"][0]
            if recover:
                recover[-1] = text["status_page"][1]
        pm.ctx["trigger"] = _choice(rng, bank["start"]).format_map(pm.ctx)
        events = [(pm.started, pm.ctx["trigger"]),
                  (pm.detected, _choice(rng, text["detect"]))]
        events += zip(_spread(rng, pm.detected, pm.mitigated, before), investigate, strict=True)
        events.append((pm.mitigated, _choice(rng, bank["mitigate"])))
        events += zip(_spread(rng, pm.mitigated, pm.resolved, after), recover, strict=True)
        events.append((pm.resolved, _choice(rng, text["resolve"])))
        return [(ts, line.format_map(pm.ctx)) for ts, line in events]

    def _analysis(self, pm: _Postmortem) -> str:
        rng = self.rng
        text = TEXT[pm.lang]
        primary = CATEGORY_TEXT[pm.categories[0]][pm.lang]["analysis"]
        sentences = [_choice(rng, text["blameless"])]
        sentences += [primary[i] for i in sorted(_some(rng, range(3), _choice(rng, (2, 3, 3))))]
        sentences += [_choice(rng, CATEGORY_TEXT[c][pm.lang]["analysis"]) for c in pm.categories[1:]]
        if pm.blame:
            sentences.insert(_between(rng, 1, len(sentences) + 1), _choice(rng, text["blame"]))
        paragraph = " ".join([s.format_map(pm.ctx) for s in sentences])
        note = _choice(rng, text["duration_note"]).format(
            mit=(pm.mitigated - pm.started) // 60, det=(pm.detected - pm.started) // 60)
        trigger = text["trigger"].format_map(pm.ctx)
        parts = [f"{paragraph} {trigger}", f"{text['factors']}\n{pm.ctx['summaries']}",
                 " ".join([*_some(rng, text["not_caught"], _choice(rng, (1, 2))), note])]
        if rng.random() < 0.06:
            parts.insert(1, _choice(rng, CODE_BLOCKS).format_map(pm.ctx))
        return "\n\n".join(parts)

    def _action_table(self, pm: _Postmortem) -> str:
        rng = self.rng
        layout = ACTION_LAYOUTS[pm.lang].pick(rng)
        word_lang = "en" if pm.lang == "fr" and rng.random() < 0.1 else pm.lang
        statuses = {key: _choice(rng, words) for key, words in STATUS_WORDS[word_lang].items()}
        types = TYPE_WORDS[pm.lang]
        lines = ["| " + " | ".join(header for _, header in layout) + " |",
                 "|" + "---|" * len(layout)]
        columns = [column for column, _ in layout]
        for action in pm.actions:
            ident = "" if "id" not in columns or rng.random() < 0.04 else action.ident
            if not ident:
                action.tracked = False
            values = {
                "id": ident,
                "action": action.text,
                "type": _choice(rng, types[action.horizon]) if "type" in columns else "",
                "owner": action.owner,
                "due": _day_text(action.due),
                "status": statuses.get(action.markdown_status, action.markdown_status),
                "closed": "" if action.markdown_status != "done" or action.closed is None
                else _day_text(action.closed),
                "note": _choice(rng, NOTES) if "note" in columns else "",
            }
            lines.append("| " + " | ".join([values[column] for column in columns]) + " |")
        return "\n".join(lines)

    def _lessons(self, pm: _Postmortem) -> str:
        rng = self.rng
        text = TEXT[pm.lang]
        well, wrong_options, lucky = LESSON_HEADINGS[pm.lang]
        groups = [(well, "well"), (_choice(rng, wrong_options), "wrong")]
        if rng.random() < 0.6:
            groups.append((lucky, "lucky"))
        bold = rng.random() < 0.15
        blocks = []
        for heading, key in groups:
            items = _some(rng, text[key], _choice(rng, (1, 2, 2, 3)))
            title = f"**{heading}**" if bold else f"### {heading}"
            blocks.append(title + "\n" + "\n".join([f"- {i.format_map(pm.ctx)}" for i in items]))
        return "\n".join(blocks)

    def _follow_up(self, pm: _Postmortem) -> str:
        rng = self.rng
        values = {**pm.ctx, "review": _day_text(pm.review_day),
                  "next_review": _day_text(pm.review_day + NEXT_REVIEW_DAYS)}
        chosen = _some(rng, TEXT[pm.lang]["follow_up"], _choice(rng, (2, 3)))
        key = (pm.services[0], pm.categories[0])
        related = self.last_seen.get(key)
        self.last_seen[key] = pm.pm_id
        if related is not None:
            chosen.append(TEXT[pm.lang]["related"].format(related=related))
        return " ".join([s.format_map(values) for s in chosen])

    # -- tables ---------------------------------------------------------------------------

    def _write_rows(self, pm: _Postmortem, incident_csv: _RowWriter,
                    tracker_csv: _RowWriter) -> None:
        rng = self.rng
        if rng.random() < INCIDENT_ROW_RATE:
            severity = pm.severity
            if rng.random() < 0.03:
                severity = min(4, severity + 1)
            incident_csv.writerow((self._incident_id(), pm.ctx["title"], f"S{severity}",
                                   _bool(pm.public), _paris_iso(pm.started),
                                   _paris_iso(pm.resolved), pm.pm_id))
            self.incident_rows += 1
        for action in pm.actions:
            if action.tracked:
                closed = "" if action.closed is None else _day_text(action.closed)
                tracker_csv.writerow((pm.pm_id, action.ident, action.status, closed,
                                      "", "", "", ""))
                self.tracker_rows += 1
        if pm.problem is None and rng.random() < TRACKER_NEW_RATE:
            tracker_csv.writerow(self._new_tracker_action(pm))
            self.tracker_rows += 1

    def _new_tracker_action(self, pm: _Postmortem) -> tuple[str, ...]:
        rng = self.rng
        owner = _choice(rng, pm.teams)
        text = _choice(rng, TEXT["en"]["generic_long"]).format_map(pm.ctx)
        resolved_day = _paris_day(pm.resolved)
        due = resolved_day + _between(rng, 14, 90)
        status, closed = self._action_state(resolved_day, due)
        return (pm.pm_id, self._next_action_id(owner), status,
                "" if closed is None else _day_text(closed), text, owner, _day_text(due), "long")

    def _extra_incident(self, started: int) -> tuple[str, ...]:
        rng = self.rng
        severity = EXTRA_SEVERITY_WEIGHTS.pick(rng)
        public = rng.random() < PUBLIC_RATE[severity]
        service = SERVICE_WEIGHTS.pick(rng)
        category = _choice(rng, CATEGORIES)
        ctx = {"svc": service, "svc2": _choice(rng, RELATED_SERVICES[service])}
        title = _choice(rng, CATEGORY_TEXT[category]["en"]["title"]).format_map(ctx)
        resolved = started + _between(rng, 20, 600) * 60
        self.incident_rows += 1
        return (self._incident_id(), title, f"S{severity}", _bool(public),
                _paris_iso(started), _paris_iso(resolved), "")

    def _incident_id(self) -> str:
        self.incident_seq += 1
        return f"INC-{self.incident_seq}"


# --- Small pure helpers --------------------------------------------------------------------


def _quarter_label(day: date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


@functools.lru_cache(maxsize=64)
def _primary_categories_at(step: int) -> _Weighted:
    t = step / 20
    weights = {
        "config": 14, "deployment": 2 + 30 * t, "software": 16, "capacity": 10,
        "dependency": 10, "infrastructure": 8, "data": 6, "security": 4,
        "monitoring": 18 - 16 * t, "communication": 2, "process": 4, "tech-debt": 6,
    }
    return _Weighted(tuple(weights.items()))


def _primary_categories(progress: float) -> _Weighted:
    """Category weights at a point of the span: deployment rises, monitoring falls."""
    return _primary_categories_at(round(progress * 20))


@functools.lru_cache(maxsize=64)
def _secondary_categories_at(step: int) -> _Weighted:
    t = step / 20
    return _Weighted((*SECONDARY_BASE, ("monitoring", 30 - 26 * t), ("deployment", 2 + 12 * t)))


def _secondary_categories(progress: float) -> _Weighted:
    """Contributing-factor weights: missing monitoring fades, deployment grows."""
    return _secondary_categories_at(round(progress * 20))


def _choice(rng: random.Random, items: Sequence[T]) -> T:
    """A uniform pick costing one `random()` call (`Random.choice` is several times slower)."""
    return items[int(rng.random() * len(items))]


def _between(rng: random.Random, low: int, high: int) -> int:
    """A uniform integer in [low, high), like `randrange(low, high)` but cheaper."""
    return low + int(rng.random() * (high - low))


def _some(rng: random.Random, items: Sequence[T], count: int) -> list[T]:
    """`count` distinct items in random order, like `Random.sample` but cheaper."""
    pool = list(items)
    size = len(pool)
    for i in range(count):
        j = i + int(rng.random() * (size - i))
        pool[i], pool[j] = pool[j], pool[i]
    return pool[:count]


def _spread(rng: random.Random, low: int, high: int, count: int) -> list[int]:
    """`count` sorted whole minutes strictly inside (low, high), or at `low` if too short."""
    minutes = (high - low) // 60
    if minutes < 2:
        return [low] * count
    return sorted(low + _between(rng, 1, minutes) * 60 for _ in range(count))


def _timestamp(ts: int, style: str, quoted: bool, seconds: bool) -> str:
    if style == "utc":
        text = _local_text(ts, 0) + "Z"
    else:
        offset = _paris_offset(ts)
        if style == "naive":
            text = _local_text(ts, offset, "T", "seconds" if seconds else "minutes")
        else:
            text = (_local_text(ts, offset, " " if style == "offset_space" else "T")
                    + _offset_text(offset))
    return f'"{text}"' if quoted else text


def _category_word(category: str, lang: str, rng: random.Random) -> str:
    if category not in FRENCH_CATEGORY:
        return category
    if lang == "fr" and rng.random() < 0.75:
        word = _choice(rng, FRENCH_CATEGORY[category])
        return word.capitalize() if rng.random() < 0.2 else word
    return category


def _yaml_list(key: str, values: list[str], rng: random.Random) -> list[str]:
    draw = rng.random()
    if len(values) == 1 and draw < 0.2:
        return [f"{key}: {values[0]}"]
    if draw < 0.75:
        return [f"{key}: [{', '.join(values)}]"]
    return [f"{key}:", *(f"  - {value}" for value in values)]


def _bool(value: bool) -> str:
    return "true" if value else "false"


# --- Output folder and root files ----------------------------------------------------------


def _prepare_out_dir(out_dir: Path) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise ValueError(f"{out_dir} exists and is not a directory")
    if out_dir.is_dir() and any(out_dir.iterdir()):
        if not (out_dir / MARKER_NAME).is_file():
            raise ValueError(f"{out_dir} is not empty and was not written by write_sample; "
                             "refusing to overwrite it")
        for child in sorted(out_dir.iterdir()):
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
    out_dir.mkdir(parents=True, exist_ok=True)


def _marker_text(count: int, seed: int, end_quarter: str, quarters: int) -> str:
    return (f"Written by pmanalytics.tools.sample.write_sample(count={count}, seed={seed}, "
            f"end_quarter={end_quarter!r}, quarters={quarters}).\n"
            "write_sample clears and rewrites this folder; do not keep other files here.\n")


def _readme(writer: _CorpusWriter, end_quarter: str, quarters: int, start: date) -> str:
    problems = ", ".join(f"`{path}` ({reason}; {kind})"
                         for path, kind, reason in writer.problem_files)
    broken = (f"{len(writer.problem_files)} files are broken on purpose so that the data-quality "
              f"report has something to show: {problems}." if problems else
              "No file is broken on purpose (that needs at least 50 postmortems).")
    extra = int(writer.count * EXTRA_INCIDENT_RATE)
    return f"""# Sample postmortem corpus

This corpus is synthetic: {writer.count} postmortems ({writer.languages['fr']} in French, \
{writer.languages['en']} in English) of incidents that started from {_quarter_label(start)} to \
{end_quarter} ({quarters} quarters, {TIMEZONE} time), written by `pmanalytics sample` with seed \
{writer.seed} (`write_sample(count={writer.count}, seed={writer.seed}, \
end_quarter="{end_quarter}", quarters={quarters})`). No real company, person or incident is \
described, and the same arguments always rewrite exactly these bytes. Postmortems are in one \
folder per year; `incidents.csv` lists {writer.incident_rows} incidents ({extra} of them without \
a postmortem) and `actions.csv` is a tracker export with {writer.tracker_rows} rows that update \
or add actions. `_template.md` is a blank template.

What a reliability report should find: checkout-api keeps failing on configuration changes, \
kafka on capacity, dns on infrastructure and postgres-main on technical debt, so recurrence \
within 180 days shows; deployment causes rise quarter after quarter while monitoring gaps \
fade; most postmortems are published within 72 hours, but some S1 and public incidents are \
late or still drafts, and some incidents have no postmortem at all; actions are a mix of done, \
done late, done without a date, open past their due date, in progress and cancelled. About 3 % \
of the documents contain a blaming sentence and about 1 % cite human error as a root cause. \
{broken}
"""


TEMPLATE = """---
id: PM-YYYY-NNNN
title: ""
severity: S3
status: draft
public: false
published_to: internal
services: []
teams: []
started_at:
detected_at:
mitigated_at:
resolved_at:
published_at:
root_causes:
  - category:
    summary: ""
tags: []
---

# Title

## Context and impact

## Timeline
- HH:MM — what happened

## Root cause analysis

## Corrective actions
| ID | Action | Type | Owner | Due | Status | Closed |
|---|---|---|---|---|---|---|

## Lessons learned
### What went well
### What went wrong
### Where we got lucky

## Follow-up
"""


def write_sample(out_dir: Path, count: int = 300, seed: int = 7, end_quarter: str | None = None,
                 quarters: int = 8) -> SampleSummary:
    """Write a synthetic corpus of `count` postmortems into `out_dir`.

    The corpus spans `quarters` calendar quarters ending with `end_quarter` (default: the
    last full quarter before today). `out_dir` must be absent, empty, or a folder written
    earlier by this function, which is then cleared. From 50 postmortems on, `PROBLEMS`
    lists the deliberately broken ones (two of them rejected by design).

    Raises:
        ValueError: bad `count`, `quarters` or `end_quarter`, or a foreign non-empty folder.
    """
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise ValueError(f"count must be a non-negative integer, got {count!r}")
    if isinstance(quarters, bool) or not isinstance(quarters, int) or quarters < 1:
        raise ValueError(f"quarters must be a positive integer, got {quarters!r}")
    if end_quarter is None:
        end_quarter = last_full_quarter(date.today())
    start, end = _quarter_span(end_quarter, quarters)
    end_quarter = _quarter_label(end - timedelta(days=1))
    out_dir = Path(out_dir)
    _prepare_out_dir(out_dir)
    (out_dir / MARKER_NAME).write_text(_marker_text(count, seed, end_quarter, quarters),
                                       encoding="utf-8", newline="")
    writer = _CorpusWriter(out_dir, count, seed, start, end)
    with (open(out_dir / INCIDENTS_NAME, "w", encoding="utf-8", newline="") as incidents,
          open(out_dir / TRACKER_NAME, "w", encoding="utf-8", newline="") as tracker):
        writer.run(incidents, tracker)
    root_files = {"README.md": _readme(writer, end_quarter, quarters, start),
                  "_template.md": TEMPLATE, "pmanalytics.toml": SETTINGS_TOML}
    for name, text in root_files.items():
        (out_dir / name).write_text(text, encoding="utf-8", newline="")
    files = count + len([MARKER_NAME, INCIDENTS_NAME, TRACKER_NAME, *root_files])
    return SampleSummary(out_dir=out_dir, postmortems=count, incidents=writer.incident_rows,
                         tracker_rows=writer.tracker_rows, files=files)
