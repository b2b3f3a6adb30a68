"""A small validator of JSON values against the OpenAPI 3.1 schemas FastAPI emits.

``jsonschema`` is not a dependency; the subset FastAPI/pydantic produce is small: ``$ref``, ``type``,
``anyOf``/``oneOf``/``allOf``, ``enum``/``const``, ``properties``/``required``/``additionalProperties``,
``items``, ``minimum``/``maximum`` and the ``date-time`` format. It is stricter than JSON Schema on
one point, on purpose: an object may carry only documented properties unless the schema allows
``additionalProperties``, so an undocumented field on the wire fails the test.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

_TYPES = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
    "null": lambda v: v is None,
}


def validate(value: Any, schema: dict[str, Any], document: dict[str, Any], path: str = "$") -> list[str]:
    """Every violation of ``schema`` by ``value`` (empty when it conforms)."""
    if "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        return validate(value, document["components"]["schemas"][name], document, path)
    errors: list[str] = []
    for key in ("anyOf", "oneOf"):
        if key in schema:
            matches = [not validate(value, option, document, path) for option in schema[key]]
            if not any(matches):
                errors.append(f"{path}: matches none of {key}")
            return errors
    for option in schema.get("allOf", []):
        errors += validate(value, option, document, path)
    kind = schema.get("type")
    if kind is not None:
        kinds = kind if isinstance(kind, list) else [kind]
        if not any(_TYPES[k](value) for k in kinds):
            return [*errors, f"{path}: {value!r} is not {kind}"]
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{path}: {value!r} not in {schema['enum']}")
    if "const" in schema and value != schema["const"]:
        errors.append(f"{path}: {value!r} != {schema['const']!r}")
    if schema.get("format") == "date-time" and isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
            if parsed.tzinfo is None:
                errors.append(f"{path}: naive date-time {value!r}")
        except ValueError:
            errors.append(f"{path}: bad date-time {value!r}")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            errors.append(f"{path}: {value} < minimum")
        if "maximum" in schema and value > schema["maximum"]:
            errors.append(f"{path}: {value} > maximum")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            errors += validate(item, schema["items"], document, f"{path}[{i}]")
    if isinstance(value, dict) and (kind == "object" or "properties" in schema):
        properties = schema.get("properties", {})
        errors += [f"{path}: missing {name!r}" for name in schema.get("required", []) if name not in value]
        extra = schema.get("additionalProperties", not properties)
        for name, item in value.items():
            if name in properties:
                errors += validate(item, properties[name], document, f"{path}.{name}")
            elif extra is False:
                errors.append(f"{path}: undocumented property {name!r}")
            elif isinstance(extra, dict):
                errors += validate(item, extra, document, f"{path}.{name}")
    return errors


def response_schema(document: dict[str, Any], template: str, status: int,
                    media_type: str = "application/json") -> dict[str, Any]:
    """The documented schema of ``GET template`` answering ``status``."""
    responses = document["paths"][template]["get"]["responses"]
    assert str(status) in responses, f"{template} does not document {status}"
    schema: dict[str, Any] = responses[str(status)]["content"][media_type]["schema"]
    return schema
