"""JSON bodies that repeat a key are refused, naming the key and where it is; an app whose
routes are StrictJsonRoute answers them 422 problem+json with the field."""

from __future__ import annotations

import json

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from pydantic import BaseModel

from strata.errors import PROBLEM_JSON, install_problem_handlers
from strata.json_body import DuplicateKeyError, StrictJsonRoute, loads


def repeat_in(body: str) -> DuplicateKeyError:
    with pytest.raises(DuplicateKeyError) as caught:
        loads(body)
    return caught.value


def test_a_body_without_repeats_parses_as_json_loads_does() -> None:
    body = '{"a": 1, "b": [{"a": 2}, {"a": 3}], "c": {"a": {"a": null}}}'
    assert loads(body) == json.loads(body)
    assert loads(body.encode()) == json.loads(body)


def test_a_repeated_top_level_key_is_named() -> None:
    error = repeat_in('{"sku": "A", "quantity": 1, "sku": "B"}')
    assert (error.key, error.path, error.dotted_path) == ("sku", ("sku",), "sku")
    assert isinstance(error, json.JSONDecodeError)


def test_a_repeat_in_a_nested_object_in_an_array_is_located() -> None:
    error = repeat_in('{"lines": [{"sku": "A"}, {"sku": "B", "quantity": 1, "sku": "C"}]}')
    assert error.path == ("lines", 1, "sku")
    assert error.dotted_path == "lines.1.sku"


def test_a_repeat_deep_in_objects_is_located() -> None:
    error = repeat_in('{"address": {"geo": {"lat": 1, "lat": 2}}}')
    assert error.dotted_path == "address.geo.lat"


def test_an_object_repeating_a_key_inside_an_array_at_the_top() -> None:
    error = repeat_in('[{"a": 1}, {"a": 1, "a": 1}]')
    assert error.dotted_path == "1.a"


def test_the_same_key_in_sibling_objects_is_no_repeat() -> None:
    assert loads('{"a": {"id": 1}, "b": {"id": 2}, "id": 3}') == {
        "a": {"id": 1},
        "b": {"id": 2},
        "id": 3,
    }


def test_keys_that_differ_before_normalisation_are_not_repeats() -> None:
    # Case, Unicode composition and width differ as strings, so they are different keys.
    body = '{"sku": 1, "SKU": 2, "\\u00e9": 3, "e\\u0301": 4, "\\uff53ku": 5, "sku ": 6}'
    assert len(loads(body)) == 6


def test_an_escaped_spelling_of_the_same_key_is_a_repeat() -> None:
    error = repeat_in('{"sku": 1, "\\u0073ku": 2}')
    assert error.key == "sku"


def test_malformed_json_is_still_a_decode_error_and_not_a_repeat() -> None:
    with pytest.raises(json.JSONDecodeError) as caught:
        loads('{"a": 1,')
    assert not isinstance(caught.value, DuplicateKeyError)


class Line(BaseModel):
    sku: str
    quantity: int


class Order(BaseModel):
    lines: list[Line]


def strict_app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    router = APIRouter(route_class=StrictJsonRoute)

    @router.post("/orders")
    async def create(order: Order) -> Order:
        return order

    app.include_router(router)
    return app


async def post(body: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=strict_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
        return await client.post(
            "/orders", content=body, headers={"content-type": "application/json"}
        )


async def test_a_strict_route_answers_a_repeat_with_422_naming_the_field() -> None:
    answer = await post('{"lines": [{"sku": "A", "quantity": 1, "sku": "B"}]}')

    assert answer.status_code == 422
    assert answer.headers["content-type"] == PROBLEM_JSON
    problem = answer.json()
    assert problem["type"].endswith("/validation")
    assert problem["errors"] == [
        {
            "field": "lines.0.sku",
            "in": "body",
            "message": "the key 'sku' appears more than once in this object",
        }
    ]
    assert "lines.0.sku" in problem["detail"]


async def test_a_strict_route_serves_a_body_without_repeats() -> None:
    answer = await post('{"lines": [{"sku": "A", "quantity": 1}, {"sku": "A", "quantity": 2}]}')

    assert answer.status_code == 200
    assert answer.json() == {"lines": [{"sku": "A", "quantity": 1}, {"sku": "A", "quantity": 2}]}


async def test_a_strict_route_still_reports_malformed_json() -> None:
    answer = await post('{"lines": [')

    assert answer.status_code == 422
    assert answer.json()["errors"][0]["message"].startswith("malformed JSON")
