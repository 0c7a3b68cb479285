"""Source columns as integer codes: quasi-identifiers along their ``Axis``, sensitive values as
category numbers. Values a rule cannot read are refused with the column and an example count,
never guessed."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]

from accord.deid.axes import MISSING, Axis, Codes, IntervalAxis, hierarchy_axis
from accord.deid.spec import CategoryRule, DateRule, PrefixRule, QuasiIdentifier, RangeRule
from accord.errors import FieldError, InvalidInput

_DATE_PARTS = {"year": 4, "month": 7}
_PathOf = Callable[[str], tuple[str, ...]]
_LabelOf = Callable[[int, tuple[str, ...]], str]


def encode_quasi_identifier(rule: QuasiIdentifier, column: pa.ChunkedArray) -> tuple[Axis, Codes]:
    """The axis of one quasi-identifier and each record's code on it."""
    if isinstance(rule, RangeRule):
        return _interval(rule, column)
    if isinstance(rule, DateRule):
        return _dates(rule, column)
    if isinstance(rule, PrefixRule):
        return _prefixes(rule, column)
    return _categories(rule, column)


def encode_categories(column: pa.ChunkedArray) -> Codes:
    """Each record's category number (missing values share one number)."""
    encoded = pc.dictionary_encode(column.combine_chunks())
    indices = encoded.indices.fill_null(len(encoded.dictionary))
    return np.asarray(indices.to_numpy(zero_copy_only=False), dtype=np.int32)


def as_text(column: pa.ChunkedArray) -> pa.Array:
    """The column as strings, empty strings read as missing."""
    text = column.combine_chunks()
    if not pa.types.is_string(text.type) and not pa.types.is_large_string(text.type):
        text = pc.cast(text, pa.string())
    text = pc.utf8_trim_whitespace(text)
    return pc.if_else(pc.equal(text, ""), pa.scalar(None, text.type), text)


# --- intervals ---------------------------------------------------------------------------------


def _interval(rule: RangeRule, column: pa.ChunkedArray) -> tuple[Axis, Codes]:
    numbers = _as_numbers(column)
    if numbers is not None:
        values = numbers
        integral = bool(np.all(np.mod(values[~np.isnan(values)], 1) == 0))
        show = _show_integer if integral else _show_number
    else:
        values = _as_days(rule.column, column)
        show = _show_day
    present = ~np.isnan(values)
    points, inverse = np.unique(values[present], return_inverse=True)
    codes = np.full(len(values), len(points), dtype=np.int32)
    codes[present] = inverse.astype(np.int32)
    axis = IntervalAxis(rule.column, points.tolist(), not bool(present.all()), show, rule.max_width)
    return axis, codes


def _as_numbers(column: pa.ChunkedArray) -> npt.NDArray[np.float64] | None:
    array = column.combine_chunks()
    if pa.types.is_integer(array.type) or pa.types.is_floating(array.type):
        return _floats(pc.cast(array, pa.float64()))
    if pa.types.is_date(array.type) or pa.types.is_timestamp(array.type):
        return None
    try:
        return _floats(pc.cast(as_text(column), pa.float64()))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def _as_days(name: str, column: pa.ChunkedArray) -> npt.NDArray[np.float64]:
    days = _dates_of(name, column, "numbers or ISO 8601 dates (YYYY-MM-DD)")
    return _floats(pc.cast(pc.cast(days, pa.int32()), pa.float64()))


def _floats(array: pa.Array) -> npt.NDArray[np.float64]:
    return np.asarray(array.to_numpy(zero_copy_only=False), dtype=np.float64)


def _show_integer(value: float) -> str:
    return str(int(value))


def _show_number(value: float) -> str:
    return format(value, ".15g")


def _show_day(value: float) -> str:
    return str(np.datetime64(int(value), "D"))


# --- hierarchies -------------------------------------------------------------------------------


def _dates(rule: DateRule, column: pa.ChunkedArray) -> tuple[Axis, Codes]:
    days = pc.cast(_dates_of(rule.column, column, "ISO 8601 dates (YYYY-MM-DD)"), pa.string())
    levels = list(reversed(rule.levels))

    def path(value: str) -> tuple[str, ...]:
        if value == MISSING:
            return (MISSING,) * (len(levels) + 1)
        return (*(value[: _DATE_PARTS[level]] for level in levels), value)

    return _hierarchy(rule.column, "date", days, path, _plain_label, rule.max_height)


def _prefixes(rule: PrefixRule, column: pa.ChunkedArray) -> tuple[Axis, Codes]:
    lengths = list(reversed(rule.lengths))

    def path(value: str) -> tuple[str, ...]:
        return (*(value[:n] for n in lengths), value)

    def label(level: int, prefix: tuple[str, ...]) -> str:
        value = prefix[-1]
        return value if level == 0 or value == MISSING else f"{value}*"

    return _hierarchy(rule.column, "prefix", as_text(column), path, label, rule.max_height)


def _categories(rule: CategoryRule, column: pa.ChunkedArray) -> tuple[Axis, Codes]:
    given = rule.paths()
    depth = max(len(p) for p in given)
    padded = {p[-1]: (*p, *(p[-1],) * (depth - len(p))) for p in given}
    text = as_text(column)
    unknown = sorted(v for v in pc.unique(text).to_pylist() if v is not None and v not in padded)
    if unknown:
        shown = ", ".join(repr(v) for v in unknown[:10])
        raise InvalidInput(
            f"column {rule.column!r} has values its hierarchy lacks: {shown}"
            + (f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""),
            code="deid.value-outside-hierarchy",
            hint="add these values to the hierarchy in the spec",
            errors=[FieldError(f"spec.quasi_identifiers.{rule.column}", "values missing")],
        )

    def path(value: str) -> tuple[str, ...]:
        return padded.get(value, (MISSING,) * depth)

    return _hierarchy(
        rule.column,
        "category",
        text,
        path,
        _plain_label,
        rule.max_height,
        extra=list(padded.values()),
    )


def _plain_label(level: int, prefix: tuple[str, ...]) -> str:
    return prefix[-1]


def _hierarchy(
    name: str,
    kind: str,
    text: pa.Array,
    path_of: _PathOf,
    label_of: _LabelOf,
    max_height: int | None,
    extra: Sequence[tuple[str, ...]] = (),
) -> tuple[Axis, Codes]:
    """Encode ``text`` along the hierarchy its values' paths describe."""
    encoded = pc.dictionary_encode(text)
    values: list[str] = [MISSING if v is None else str(v) for v in encoded.dictionary.to_pylist()]
    has_missing = encoded.indices.null_count > 0
    paths = [path_of(v) for v in values]
    if has_missing:
        paths.append(path_of(MISSING))
    paths += extra
    axis, code_of = hierarchy_axis(name, kind, paths, label_of, max_height)
    lookup = np.asarray([code_of[p[-1]] for p in paths[: len(values)]], dtype=np.int32)
    missing = code_of[path_of(MISSING)[-1]] if has_missing else 0
    indices = encoded.indices.fill_null(len(values)).to_numpy(zero_copy_only=False)
    table = np.append(lookup, np.int32(missing))
    return axis, np.asarray(table[indices], dtype=np.int32)


def _dates_of(name: str, column: pa.ChunkedArray, expected: str) -> pa.Array:
    array = column.combine_chunks()
    if pa.types.is_date(array.type):
        return pc.cast(array, pa.date32())
    if pa.types.is_timestamp(array.type):
        return pc.cast(pc.floor_temporal(array, unit="day"), pa.date32())
    try:
        stamps = pc.strptime(as_text(column), format="%Y-%m-%d", unit="s", error_is_null=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        raise InvalidInput(
            f"column {name!r} holds values that are not {expected}",
            code="deid.bad-value",
            hint="choose another generalisation for this column, or clean its values",
        ) from None
    return pc.cast(stamps, pa.date32())
