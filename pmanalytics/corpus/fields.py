"""The keys of a postmortem (docs/corpus.md sections 1.1 and 1.2), from front matter or an export row.

`postmortem_from_fields` is shared by Markdown files and `postmortems.*` rows, so a
value means the same wherever it is written. Required keys that are missing or not
understood reject the document (:class:`Rejection`), which names all of them at once with
the other problems of the document; optional ones give a warning and stay empty.
"""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pmanalytics.corpus import values
from pmanalytics.corpus.records import Postmortem, Problem, RootCause
from pmanalytics.corpus.settings import CONTRACT_KEYS, CorpusSettings, hidden_keys
from pmanalytics.corpus.vocabulary import (
    HUMAN_ERROR_ALIASES,
    OTHER_CATEGORY,
    PUBLISHED_TO,
    ROOT_CAUSE_CATEGORIES,
    STATUSES,
    fold,
    severity,
)

REQUIRED = ("id", "title", "severity", "started_at")
OPTIONAL_TIMESTAMPS = ("detected_at", "mitigated_at", "resolved_at", "published_at")
MAX_EXTRA_JSON_CHARS = 100_000

HUMAN_ERROR_ADVICE = (
    "root cause '{written}' blames people: name the system condition that let the mistake "
    "through (e.g. 'process: no review step for config pushes'); counted as other"
)


class Rejection(Exception):
    """The document cannot be loaded; the message is the one-line reason.

    `also` holds the document's other problems, errors and warnings with their lines, so
    that one run reports every problem of a file (docs/corpus.md section 5); the document
    is still rejected once.
    """

    def __init__(self, message: str, line: int | None = None, also: Sequence[Problem] = ()) -> None:
        super().__init__(message)
        self.line = line
        self.also = list(also)


class FieldContext:
    """Where the fields come from, to report problems with path and line."""

    def __init__(
        self, path: str, settings: CorpusSettings, line_of: Callable[[str], int | None]
    ) -> None:
        self.path = path
        self.settings = settings
        self.line_of = line_of
        self.problems: list[Problem] = []
        self.errors: list[Problem] = []
        self.started_offset: dt.tzinfo | None = None

    def warn(self, key: str, message: str, line: int | None = None) -> None:
        self.problems.append(Problem(self.path, line or self.line_of(key), "warning", message, key))

    def reject(self, key: str, message: str, line: int | None = None) -> None:
        """Record a reason to reject the document; reading goes on, to find the others."""
        self.errors.append(Problem(self.path, line or self.line_of(key), "error", message))

    def rejection(self) -> Rejection:
        """The document's errors and warnings, by line: the first error is the reason."""
        first, *errors = sorted(self.errors, key=_line_order)
        return Rejection(first.message, first.line, [*errors, *sorted(self.problems, key=_line_order)])


def _line_order(problem: Problem) -> int:
    return problem.line or 0


def apply_field_mapping(raw: Mapping[str, Any], settings: CorpusSettings) -> dict[str, Any]:
    """The corpus's own keys and values in the terms of docs/corpus.md 1.1: `[fields]`, `[severity_aliases]`
    and `timestamp_formats` of pmanalytics.toml (section 3.1)."""
    return settings.translate(raw)


def hidden_key_warning(key: str, source: str, table: str = "[fields]") -> str:
    """The warning for a key written as is that a mapping of pmanalytics.toml replaces (see `hidden_keys`)."""
    return f"{key} is ignored: {table} in pmanalytics.toml reads {key} from {source!r} (remove one of them)"


def postmortem_from_fields(
    raw: Mapping[str, Any],
    ctx: FieldContext,
    *,
    source_line: int | None,
    source_format: str,
    list_separator: str | None = None,
    warn_hidden: bool = True,
) -> Postmortem:
    """A typed postmortem, or :class:`Rejection` naming every problem of the document at once.

    Every key is read even when an earlier one is wrong, so that a file with a bad severity,
    a missing started_at and an unreadable detected_at gets three lines in one run. With
    `warn_hidden`, a key that `[fields]` hides gets a warning (an export warns once per file).
    """
    if warn_hidden:
        for key, source in hidden_keys(raw, ctx.settings.fields):
            ctx.warn(key, hidden_key_warning(key, source))
    fields = apply_field_mapping(raw, ctx.settings)
    settings = ctx.settings

    missing = [k for k in REQUIRED if values.is_blank(fields.get(k))]
    if "severity" in missing and settings.default_severity:
        missing.remove("severity")
    if missing:
        names = [_written_name(k, settings) for k in missing]
        noun, pronoun = ("key", "it") if len(missing) == 1 else ("keys", "them")
        ctx.reject(missing[0], f"missing required {noun} {', '.join(names)} (add {pronoun} to the front matter)",
                   ctx.line_of(missing[0]) or 1)

    postmortem_id = _identifier(_required_text(fields, "id", ctx), ctx)
    title = _required_text(fields, "title", ctx)
    level = _severity(fields, ctx)
    started_at = _required_timestamp(fields, "started_at", ctx)
    if started_at is not None and values.has_offset(fields["started_at"]):
        ctx.started_offset = started_at.tzinfo
    optional = {key: _optional_timestamp(fields, key, ctx) for key in OPTIONAL_TIMESTAMPS}
    if values.is_blank(fields.get("resolved_at")):
        name = _written_name("resolved_at", settings)
        ctx.warn("resolved_at", f"no {name}: left out of time to resolve, time to postmortem and overdue "
                 f"postmortems (add {name} once the incident is closed)")

    published_at = optional["published_at"]
    status = _status(fields, published_at, ctx)
    is_public = _boolean(fields, "public", ctx)
    published_to = _choice(fields, "published_to", PUBLISHED_TO, "internal", ctx)
    services = _list(fields, "services", list_separator, ctx)
    teams = _list(fields, "teams", list_separator, ctx)
    tags = _list(fields, "tags", list_separator, ctx)
    root_causes = _root_causes(fields.get("root_causes"), list_separator, ctx)
    if postmortem_id is None or title is None or level is None or started_at is None:
        raise ctx.rejection()  # each of them is None only with an error recorded
    postmortem = Postmortem(
        postmortem_id=postmortem_id,
        title=title,
        severity=level,
        status=status,
        is_public=is_public,
        published_to=published_to,
        started_at=started_at,
        detected_at=optional["detected_at"],
        mitigated_at=optional["mitigated_at"],
        resolved_at=optional["resolved_at"],
        published_at=published_at,
        is_out_of_order=False,
        source_path=ctx.path,
        source_line=source_line,
        source_format=source_format,
        services=services,
        teams=teams,
        tags=tags,
        root_causes=root_causes,
        extra_json=_extra_json(fields),
    )
    postmortem.is_out_of_order = _check_order(postmortem, ctx)
    return postmortem


def _written_name(key: str, settings: CorpusSettings) -> str:
    """The key as the corpus writes it: `end_time (resolved_at)` under a field mapping."""
    own = settings.fields.get(key)
    return f"{own} ({key})" if own else key


def _required_text(fields: Mapping[str, Any], key: str, ctx: FieldContext) -> str | None:
    """The text of a required key; None when it is missing (reported already) or not text."""
    if values.is_blank(fields.get(key)):
        return None
    try:
        return values.scalar_text(fields[key])
    except values.ValueProblem as exc:
        ctx.reject(key, f"{key}: {exc}")
        return None


def _severity(fields: Mapping[str, Any], ctx: FieldContext) -> str | None:
    """S1..S4, the corpus default when none is written; None when missing or not understood."""
    written = fields.get("severity")
    if values.is_blank(written):
        return ctx.settings.default_severity
    level = severity(written)
    if level is None:
        ctx.reject("severity", f"severity {written!r} not understood (write S1, S2, S3 or S4; "
                   "SEV-1, Sev 1, P1 or 1 also work)")
    return level


def _required_timestamp(fields: Mapping[str, Any], key: str, ctx: FieldContext) -> dt.datetime | None:
    if values.is_blank(fields.get(key)):
        return None
    try:
        return values.timestamp(fields[key], ctx.settings.tz)
    except values.ValueProblem as exc:
        ctx.reject(key, f"{key}: {exc}")
        return None


def _optional_timestamp(fields: Mapping[str, Any], key: str, ctx: FieldContext) -> dt.datetime | None:
    value = fields.get(key)
    if values.is_blank(value):
        return None
    try:
        return values.timestamp(value, ctx.settings.tz)
    except values.ValueProblem as exc:
        ctx.warn(key, f"{key}: {exc}; left empty")
        return None


def _status(fields: Mapping[str, Any], published_at: dt.datetime | None, ctx: FieldContext) -> str:
    default = "published" if published_at else "draft"
    return _choice(fields, "status", STATUSES, default, ctx)


def _choice(
    fields: Mapping[str, Any], key: str, allowed: tuple[str, ...], default: str, ctx: FieldContext
) -> str:
    value = fields.get(key)
    if values.is_blank(value):
        return default
    text = str(value).strip().lower()
    if text in allowed:
        return text
    ctx.warn(key, f"{key}: {value!r} is not one of {', '.join(allowed)}; taken as {default}")
    return default


def _boolean(fields: Mapping[str, Any], key: str, ctx: FieldContext) -> bool:
    value = fields.get(key)
    if value is None:
        return False
    try:
        return values.boolean(value)
    except values.ValueProblem as exc:
        ctx.warn(key, f"{key}: {exc}; taken as false")
        return False


def _identifier(text: str | None, ctx: FieldContext) -> str | None:
    """The id in Unicode's composed form (NFC), without invisible characters (a warning names
    them): ids written alike are one id, and so a duplicate, however they were typed."""
    if text is None or text.isascii():
        return text
    composed = unicodedata.normalize("NFC", text)
    invisible = sorted({f"U+{ord(ch):04X}" for ch in composed if unicodedata.category(ch) == "Cf"})
    if not invisible:
        return composed
    visible = "".join(ch for ch in composed if unicodedata.category(ch) != "Cf").strip()
    if not visible:
        ctx.reject("id", f"id {text!r} has only invisible characters (write a visible id)")
        return None
    ctx.warn("id", f"id {text!r} holds invisible characters ({', '.join(invisible)}): read as {visible!r} "
             "(delete them from the file)")
    return visible


_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u2060\ufeff\u00ad"))  # never seen, never meant


def _name(text: str) -> str:
    """A service, team or tag in Unicode's composed form (NFC), zero-width spaces removed."""
    return text if text.isascii() else unicodedata.normalize("NFC", text.translate(_ZERO_WIDTH)).strip()


def _list(fields: Mapping[str, Any], key: str, separator: str | None, ctx: FieldContext) -> list[str]:
    try:
        return [name for name in map(_name, values.text_list(fields.get(key), separator)) if name]
    except values.ValueProblem as exc:
        ctx.warn(key, f"{key}: {exc}; left empty")
        return []


def _root_causes(value: Any, separator: str | None, ctx: FieldContext) -> list[RootCause]:
    if values.is_blank(value):
        return []
    if isinstance(value, str):
        items: list[Any] = value.split(separator) if separator else [value]
    elif isinstance(value, list):
        items = value
    else:
        ctx.warn("root_causes", "root_causes: expected a list of 'category: summary' items; left empty")
        return []
    causes = []
    for item in items:
        cause = _root_cause(item, ctx)
        if cause is not None:
            causes.append(cause)
    return causes


def _root_cause(item: Any, ctx: FieldContext) -> RootCause | None:
    if isinstance(item, dict) and _is_unquoted_string_form(item):
        # `- deployment: a summary` without quotes is YAML for a one-key mapping
        ((written, summary),) = item.items()
        tags = []
    elif isinstance(item, dict):
        written = item.get("category")
        summary = item.get("summary")
        try:
            tags = values.text_list(item.get("tags"))
        except values.ValueProblem:
            ctx.warn("root_causes", "root_causes: tags of an item are not a list of words; left empty")
            tags = []
    elif isinstance(item, str | int | float) and not isinstance(item, bool):
        written, _, summary = str(item).partition(":")
        tags = []
    else:
        written, summary, tags = None, None, []
    if values.is_blank(written) or isinstance(written, dict | list):
        ctx.warn("root_causes", "root_causes: an item has no category (write 'category: summary'); skipped")
        return None
    written_text = values.scalar_text(written)
    if values.is_blank(summary):
        summary_text = None
    elif isinstance(summary, dict | list):
        ctx.warn("root_causes", f"root_causes: the summary of {written_text!r} is a list or mapping, "
                 "not text; left empty")
        summary_text = None
    else:
        summary_text = values.scalar_text(summary)
    category = ctx.settings.category(written_text)
    is_human_error = fold(written_text) in HUMAN_ERROR_ALIASES
    if is_human_error:
        category = OTHER_CATEGORY
        ctx.warn("root_causes", HUMAN_ERROR_ADVICE.format(written=written_text))
    elif category is None:
        category = OTHER_CATEGORY
        known = ", ".join(ROOT_CAUSE_CATEGORIES)
        ctx.warn(
            "root_causes",
            f"root cause category {written_text!r} is not known; counted as other "
            f"(known: {known}; add it to extra_categories in pmanalytics.toml)",
        )
    return RootCause(
        category=category,
        category_as_written=written_text,
        summary=summary_text,
        tags=";".join(tags) or None,
        is_human_error=is_human_error,
    )


def _is_unquoted_string_form(item: dict[Any, Any]) -> bool:
    """`{deployment: "a summary"}`: one key that is not a key of the mapping form."""
    if len(item) != 1 or any(k in ("category", "summary", "tags") for k in item):
        return False
    ((key, value),) = item.items()
    return isinstance(key, str) and (value is None or isinstance(value, str | int | float))


def _check_order(pm: Postmortem, ctx: FieldContext) -> bool:
    """docs/corpus.md section 4, item 6: any stage before started_at, or resolved before detected/mitigated."""
    later = [("detected_at", pm.detected_at), ("mitigated_at", pm.mitigated_at),
             ("resolved_at", pm.resolved_at)]
    wrong = [key for key, at in later if at is not None and at < pm.started_at]
    wrong += [
        f"resolved_at before {key}"
        for key, at in later[:2]
        if at is not None and pm.resolved_at is not None and pm.resolved_at < at and key not in wrong
    ]
    if not wrong:
        return False
    what = ", ".join(w if " " in w else f"{w} before started_at" for w in wrong)
    ctx.warn("started_at", f"timestamps out of order ({what}); left out of the durations they make negative")
    return True


def _extra_json(fields: Mapping[str, Any]) -> str | None:
    """The keys docs/corpus.md does not define, as JSON (strict JSON: text keys, no NaN).

    The value is bounded already (`parse_markdown` checks the expanded front matter, exports
    are rows of a file), so converting it is bounded too.
    """
    extra = {str(k): v for k, v in fields.items() if k not in CONTRACT_KEYS}
    if not extra:
        return None
    text = json.dumps(values.jsonable(extra), ensure_ascii=False, sort_keys=True)
    if len(text) > MAX_EXTRA_JSON_CHARS:
        return json.dumps({"truncated": True, "keys": sorted(map(str, extra))}, ensure_ascii=False)
    return text
