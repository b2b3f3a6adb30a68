"""Hostile path and query parameters against every GET route of the OpenAPI document.

The API runs over a migrated database holding one coin and nothing else (see ``conftest``). For each
route, hypothesis mixes values its schema allows (enum members, in-range integers, dates, the known
symbol) with values it does not (arbitrary Unicode including NUL, huge and negative integers,
floats, malformed dates and cursors). No request may end in a 5xx, and every 4xx body is the
shared error envelope.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iris_api.app import create_app
from iris_api.schemas.errors import ErrorPublic
from iris_api.settings import ApiSettings
from tests.property.conftest import KNOWN_SYMBOL

# The document only: building the app connects to nothing.
_DOCUMENT = create_app(ApiSettings(database_url="postgresql://openapi@127.0.0.1:1/none",
                                   redis_url="redis://127.0.0.1:1/0")).openapi()
GET_ROUTES = sorted(path for path, operations in _DOCUMENT["paths"].items() if "get" in operations)
PROPERTY = settings(max_examples=30, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

_TEXT = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=40)  # NUL and friends included
_HOSTILE = st.one_of(
    _TEXT,
    st.integers().map(str),  # unbounded: far past int32/int64
    st.floats().map(repr),
    st.sampled_from(["", " ", "0", "-1", "1e309", "NaN", "null", "true", "[]", "{}", "%00", "\x00", "../../etc",
                     "2024-02-30T00:00:00Z", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59+14:00", "+275760-09-13",
                     "1' OR '1'='1", "AAAUSD\x00", "a" * 600, "🚀", "eyJ0IjoxfQ==", "Z29vZA"]),
)


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        return _resolve(_DOCUMENT["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]])
    return schema


def _allowed(schema: dict[str, Any], name: str) -> st.SearchStrategy[str]:
    """Values the parameter's schema accepts (or nearly: the API must still answer with a 4xx)."""
    schema = _resolve(schema)
    if "anyOf" in schema:
        return st.one_of([_allowed(option, name) for option in schema["anyOf"] if option.get("type") != "null"])
    if "enum" in schema:
        return st.sampled_from([str(value) for value in schema["enum"]])
    kind = schema.get("type")
    if kind == "integer":
        low, high = schema.get("minimum", -(2**31)), schema.get("maximum", 2**31)
        return st.integers(min_value=int(low) - 1, max_value=int(high) + 1).map(str)
    if kind == "boolean":
        return st.sampled_from(["true", "false", "1", "0", "yes", "off"])
    if kind == "array":
        return _allowed(schema.get("items", {}), name)
    if schema.get("format") == "date-time":
        return st.datetimes(timezones=st.one_of(st.none(), st.timezones())).map(lambda d: d.isoformat())
    if "symbol" in name:
        return st.sampled_from([KNOWN_SYMBOL, KNOWN_SYMBOL.lower(), "BTCUSD", "AAA/USD"])
    return _TEXT


def _value(parameter: dict[str, Any]) -> st.SearchStrategy[str]:
    return st.one_of(_allowed(parameter["schema"], parameter["name"]), _HOSTILE)


@st.composite
def requests(draw: st.DrawFn, route: str) -> tuple[str, list[tuple[str, str]]]:
    """A URL for ``route`` and its query parameters (some omitted, arrays repeated)."""
    parameters = _DOCUMENT["paths"][route]["get"].get("parameters", [])
    url = route
    query: list[tuple[str, str]] = []
    for parameter in parameters:
        if parameter["in"] == "path":
            url = url.replace("{" + parameter["name"] + "}", quote(draw(_value(parameter)), safe=""))
        elif parameter["in"] == "query" and draw(st.booleans()):
            values = draw(st.lists(_value(parameter), min_size=1, max_size=3))  # arrays repeat the parameter
            query.extend((parameter["name"], value) for value in values)
    return url, query


def _assert_envelope(status: int, body: Any) -> None:
    error = ErrorPublic.model_validate(body)
    assert error.http_status == status
    assert error.request_id


@pytest.mark.parametrize("route", GET_ROUTES)
def test_no_parameter_value_makes_a_get_route_fail_with_a_server_error(api_client: TestClient, route: str) -> None:
    @PROPERTY
    @given(requests(route))
    def check(request: tuple[str, list[tuple[str, str]]]) -> None:
        url, query = request
        response = api_client.get(url, params=query)
        assert response.status_code < 500, (url, query, response.text[:500])
        if response.status_code >= 400:
            _assert_envelope(response.status_code, response.json())

    check()


def test_the_routes_under_test_are_the_whole_read_api() -> None:
    assert len(GET_ROUTES) >= 30
    assert "/api/v1/coins/{symbol}/history" in GET_ROUTES and "/api/v1/health" in GET_ROUTES


@pytest.mark.parametrize("route", GET_ROUTES)
def test_a_nul_character_in_any_parameter_is_a_validation_error(api_client: TestClient, route: str) -> None:
    """PostgreSQL text cannot hold NUL: the API refuses it up front instead of failing in a query."""
    parameters = _DOCUMENT["paths"][route]["get"].get("parameters", [])
    for parameter in parameters:
        url = route
        for other in parameters:
            if other["in"] == "path":
                value = "A\x00B" if other is parameter else KNOWN_SYMBOL
                url = url.replace("{" + other["name"] + "}", quote(value, safe=""))
        query = [(parameter["name"], "A\x00B")] if parameter["in"] == "query" else []
        response = api_client.get(url, params=query)
        assert response.status_code == 422, (url, query, response.text[:300])
        _assert_envelope(422, response.json())


@pytest.mark.parametrize("route", GET_ROUTES)
def test_empty_and_blank_values_never_fail_with_a_server_error(api_client: TestClient, route: str) -> None:
    """The edge values random search may miss, for every query parameter of every route."""
    parameters = _DOCUMENT["paths"][route]["get"].get("parameters", [])
    url = route
    for parameter in parameters:
        if parameter["in"] == "path":
            url = url.replace("{" + parameter["name"] + "}", KNOWN_SYMBOL if "symbol" in parameter["name"] else "1")
    for parameter in (p for p in parameters if p["in"] == "query"):
        for value in ("", " ", "-0", "0" * 40):
            response = api_client.get(url, params=[(parameter["name"], value)])
            assert response.status_code < 500, (url, parameter["name"], value, response.text[:300])
            if response.status_code >= 400:
                _assert_envelope(response.status_code, response.json())
