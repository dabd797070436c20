"""Image attributes, types and filters as plain data, and the one rule that matches them.

The rule (fractal-server 2.17, §2.1 of the reference notes):

* `type_filters {key: bool}` match an image iff `image.types.get(key, False) == value`:
  a missing type counts as false;
* `attribute_filters {key: [values]}` match iff the image has attribute `key` and it
  equals one of `values`: a missing attribute never matches;
* all keys must match (AND).

Values compare with JSON semantics, on every database and here alike: booleans are not
numbers (`true` does not match `1`, although Python says `True == 1`), numbers compare by
value (`1` matches `1.0`), strings compare exactly.

`matches` is the reference for the SQL in `queries.py` (the tests check one against the
other) and for the job runner, which filters images it already holds in memory.
"""

from collections.abc import Iterable, Mapping
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AfterValidator, BeforeValidator, Field, StrictBool, StrictInt, StrictStr

from qfractal.auth.schemas import no_nul

T = TypeVar("T")

JsonKind = Literal["boolean", "number", "string"]


def fits_64_bits(value: Any) -> Any:
    """Refuse integers that SQLite cannot store as integers (else they would become floats)."""
    if isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**63:
        raise ValueError("integers must fit in 64 bits")
    return value


FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]
"""NaN and infinities are not JSON; the databases would refuse to store them."""
SafeStr = Annotated[StrictStr, AfterValidator(no_nul)]

AttributeValue = Annotated[
    StrictInt | FiniteFloat | SafeStr | StrictBool, BeforeValidator(fits_64_bits)
]
"""A scalar attribute value; `null` is not one (a task output uses it to unset a key)."""


def clean_keys(mapping: dict[str, T]) -> dict[str, T]:
    """Strip whitespace around keys; refuse empty keys, keys that clash once stripped and
    the NUL character."""
    cleaned: dict[str, T] = {}
    for key, value in mapping.items():
        stripped = no_nul(key.strip())
        if not stripped:
            raise ValueError("keys must not be empty")
        if stripped in cleaned:
            raise ValueError(f"key {stripped!r} is given twice (after stripping whitespace)")
        cleaned[stripped] = value
    return cleaned


def json_kind(value: Any) -> JsonKind:
    """The JSON type of a scalar (bool is checked first: in Python it is also an int)."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    raise TypeError(f"not a scalar attribute value: {value!r}")


def _check_attribute_filters(filters: dict[str, list[Any]]) -> dict[str, list[Any]]:
    filters = clean_keys(filters)
    for key, values in filters.items():
        if not values:
            raise ValueError(f"attribute_filters[{key!r}] must not be an empty list")
        kinds = {json_kind(value) for value in values}
        if len(kinds) > 1:
            raise ValueError(
                f"attribute_filters[{key!r}] mixes JSON types ({', '.join(sorted(kinds))}); "
                "all values of one key must be numbers, or strings, or booleans"
            )
    return filters


ImageAttributes = Annotated[dict[str, AttributeValue], AfterValidator(clean_keys)]
ImageTypes = Annotated[dict[str, StrictBool], AfterValidator(clean_keys)]
TypeFilters = Annotated[dict[str, StrictBool], AfterValidator(clean_keys)]
"""JSON booleans only (fractal-server also takes `1` or `"yes"` for true)."""
AttributeFilters = Annotated[
    dict[str, list[AttributeValue]], AfterValidator(_check_attribute_filters)
]


def json_equal(left: Any, right: Any) -> bool:
    return json_kind(left) == json_kind(right) and left == right


def matches(
    image: Mapping[str, Any],
    type_filters: Mapping[str, bool],
    attribute_filters: Mapping[str, Iterable[Any]],
) -> bool:
    """Whether `image` (a mapping with `types` and `attributes`) passes both filters."""
    types: Mapping[str, bool] = image.get("types") or {}
    attributes: Mapping[str, Any] = image.get("attributes") or {}
    for key, wanted in type_filters.items():
        if bool(types.get(key, False)) != wanted:
            return False
    for key, values in attribute_filters.items():
        if key not in attributes:
            return False
        if not any(json_equal(attributes[key], value) for value in values):
            return False
    return True


_KIND_ORDER: dict[JsonKind, int] = {"boolean": 0, "number": 1, "string": 2}


def sorted_distinct(values: Iterable[Any]) -> list[Any]:
    """Distinct values (JSON equality: `1` and `1.0` are one value, `true` and `1` two),
    booleans first, then numbers, then strings, each in natural order."""
    seen: dict[tuple[JsonKind, Any], Any] = {}
    for value in values:
        key = (json_kind(value), value)
        seen.setdefault(key, value)
    return sorted(seen.values(), key=lambda v: (_KIND_ORDER[json_kind(v)], v))
