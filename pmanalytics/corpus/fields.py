"""The keys of a postmortem (docs/corpus.md sections 1.1 and 1.2), from front matter or an export row.

`postmortem_from_fields` is shared by Markdown files and `postmortems.*` rows, so a
value means the same wherever it is written. Required keys that are missing or not
understood reject the document (:class:`Rejection`); optional ones give a warning and
stay empty.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from typing import Any

from pmanalytics.corpus import values
from pmanalytics.corpus.records import Postmortem, Problem, RootCause
from pmanalytics.corpus.settings import CONTRACT_KEYS, CorpusSettings
from pmanalytics.corpus.vocabulary import (
    HUMAN_ERROR_ALIASES,
    OTHER_CATEGORY,
    PUBLISHED_TO,
    ROOT_CAUSE_CATEGORIES,
    STATUSES,
    fold,
    severity,
)

REQUIRED = ("id", "title", "severity", "started_at", "resolved_at")
OPTIONAL_TIMESTAMPS = ("detected_at", "mitigated_at", "published_at")
MAX_EXTRA_JSON_CHARS = 100_000

HUMAN_ERROR_ADVICE = (
    "root cause '{written}' blames people: name the system condition that let the mistake "
    "through (e.g. 'process: no review step for config pushes'); counted as other"
)


class Rejection(Exception):
    """The document cannot be loaded; the message is the one-line reason."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


class FieldContext:
    """Where the fields come from, to report problems with path and line."""

    def __init__(
        self, path: str, settings: CorpusSettings, line_of: Callable[[str], int | None]
    ) -> None:
        self.path = path
        self.settings = settings
        self.line_of = line_of
        self.problems: list[Problem] = []
        self.started_offset: dt.tzinfo | None = None

    def warn(self, key: str, message: str) -> None:
        self.problems.append(Problem(self.path, self.line_of(key), "warning", message, key))


def apply_field_mapping(raw: Mapping[str, Any], settings: CorpusSettings) -> dict[str, Any]:
    """Rename the corpus's own keys to the keys of docs/corpus.md 1.1 (`[fields]` of pmanalytics.toml)."""
    if not settings.fields:
        return dict(raw)
    mapped = dict(raw)
    for contract_key, own_key in settings.fields.items():
        if own_key in mapped:
            mapped[contract_key] = mapped.pop(own_key)
    return mapped


def postmortem_from_fields(
    raw: Mapping[str, Any],
    ctx: FieldContext,
    *,
    source_line: int | None,
    source_format: str,
    list_separator: str | None = None,
) -> Postmortem:
    """A typed postmortem, or :class:`Rejection` naming every required key that is wrong."""
    fields = apply_field_mapping(raw, ctx.settings)
    settings = ctx.settings

    missing = [k for k in REQUIRED if values.is_blank(fields.get(k))]
    if "severity" in missing and settings.default_severity:
        missing.remove("severity")
    if missing:
        names = [_written_name(k, settings) for k in missing]
        noun, pronoun = ("key", "it") if len(missing) == 1 else ("keys", "them")
        raise Rejection(f"missing required {noun} {', '.join(names)} (add {pronoun} to the front matter)",
                        ctx.line_of(missing[0]) or 1)

    postmortem_id = _required_text(fields, "id", ctx)
    title = _required_text(fields, "title", ctx)
    written_severity = fields.get("severity")
    level = settings.default_severity if values.is_blank(written_severity) else severity(written_severity)
    if level is None:
        raise Rejection(
            f"severity {written_severity!r} not understood (write S1, S2, S3 or S4; "
            "SEV-1, Sev 1, P1 or 1 also work)",
            ctx.line_of("severity"),
        )
    started_at = _required_timestamp(fields, "started_at", ctx)
    ctx.started_offset = started_at.tzinfo if values.has_offset(fields["started_at"]) else None
    resolved_at = _required_timestamp(fields, "resolved_at", ctx)
    optional = {key: _optional_timestamp(fields, key, ctx) for key in OPTIONAL_TIMESTAMPS}

    published_at = optional["published_at"]
    postmortem = Postmortem(
        postmortem_id=postmortem_id,
        title=title,
        severity=level,
        status=_status(fields, published_at, ctx),
        is_public=_boolean(fields, "public", ctx),
        published_to=_choice(fields, "published_to", PUBLISHED_TO, "internal", ctx),
        started_at=started_at,
        detected_at=optional["detected_at"],
        mitigated_at=optional["mitigated_at"],
        resolved_at=resolved_at,
        published_at=published_at,
        is_out_of_order=False,
        source_path=ctx.path,
        source_line=source_line,
        source_format=source_format,
        services=_list(fields, "services", list_separator, ctx),
        teams=_list(fields, "teams", list_separator, ctx),
        tags=_list(fields, "tags", list_separator, ctx),
        root_causes=_root_causes(fields.get("root_causes"), list_separator, ctx),
        extra_json=_extra_json(fields),
    )
    postmortem.is_out_of_order = _check_order(postmortem, ctx)
    return postmortem


def _written_name(key: str, settings: CorpusSettings) -> str:
    """The key as the corpus writes it: `end_time (resolved_at)` under a field mapping."""
    own = settings.fields.get(key)
    return f"{own} ({key})" if own else key


def _required_text(fields: Mapping[str, Any], key: str, ctx: FieldContext) -> str:
    try:
        return values.scalar_text(fields[key])
    except values.ValueProblem as exc:
        raise Rejection(f"{key}: {exc}", ctx.line_of(key)) from None


def _required_timestamp(fields: Mapping[str, Any], key: str, ctx: FieldContext) -> dt.datetime:
    try:
        return values.timestamp(fields[key], ctx.settings.tz)
    except values.ValueProblem as exc:
        raise Rejection(f"{key}: {exc}", ctx.line_of(key)) from None


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


def _list(fields: Mapping[str, Any], key: str, separator: str | None, ctx: FieldContext) -> list[str]:
    try:
        return values.text_list(fields.get(key), separator)
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
        if at is not None and pm.resolved_at < at and key not in wrong
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
