"""The OpenAPI document describes every answer: each operation has a 2xx response with a
schema (JSON: an object with properties, or a list of them; a file: its media type and
the bytes), every schema it names exists, and no two schemas share a name (django-ninja
files schemas under their class names, so a second ``DecisionIn`` silently replaces the
first in the document)."""

from __future__ import annotations

import typing
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from ninja import NinjaAPI, Router, Schema
from pydantic import BaseModel, Field, create_model

from quanlu.api.api import api
from quanlu.api.base import file_content
from quanlu.api.schemas import AsGiven

REF_PREFIX = "#/components/schemas/"
FILE_SCHEMAS = ({"type": "string", "format": "binary"}, {"type": "string"})


def _schemas(doc: dict[str, Any]) -> dict[str, Any]:
    return doc.get("components", {}).get("schemas", {})


def _resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    seen = set()
    while "$ref" in schema and schema["$ref"] not in seen:
        seen.add(schema["$ref"])
        schema = _schemas(doc).get(schema["$ref"].removeprefix(REF_PREFIX), {})
    return schema


def _describes_json(doc: dict[str, Any], schema: dict[str, Any]) -> bool:
    """An object with properties (inline or by reference), or a list of them; not ``{}``,
    not a bare ``{"type": "object"}`` that any dict satisfies."""
    schema = _resolve(doc, schema)
    if schema.get("type") == "array":
        return _describes_json(doc, schema.get("items", {}))
    return schema.get("type") == "object" and bool(schema.get("properties"))


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def problems(doc: dict[str, Any]) -> list[str]:
    """What keeps ``doc`` from describing every answer of every operation."""
    found = []
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            where = f"{method.upper()} {path}"
            ok = {str(s): r for s, r in operation["responses"].items() if str(s).startswith("2")}
            if not ok:
                found.append(f"{where}: no 2xx response")
            for status, response in ok.items():
                content = response.get("content") or {}
                if not content:
                    found.append(f"{where} {status}: no content described")
                for media_type, body in content.items():
                    schema = body.get("schema", {})
                    if media_type == "application/json":
                        if not _describes_json(doc, schema):
                            found.append(f"{where} {status}: untyped JSON {schema}")
                    elif schema not in FILE_SCHEMAS:
                        found.append(f"{where} {status}: {media_type} is not described as bytes or text")
    known = set(_schemas(doc))
    for name, schema in _schemas(doc).items():
        # A schema class whose serialised shape pydantic cannot see (a serializer
        # annotated ``-> Any``, say) is filed as ``{}``.
        if not ("enum" in schema or _describes_json(doc, schema)):
            found.append(f"{name}: describes no fields {schema}")
    for ref in sorted(set(_refs(doc))):
        if not ref.startswith(REF_PREFIX) or ref.removeprefix(REF_PREFIX) not in known:
            found.append(f"{ref}: no such schema")
    return found


def _models_in(annotation: Any) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        return
    for arg in typing.get_args(annotation):
        yield from _models_in(arg)


def schema_classes(ninja_api: NinjaAPI) -> dict[str, set[type[BaseModel]]]:
    """Every schema class the document files under its name: those inside each
    operation's response and parameter models (ninja's own wrappers are flattened away)."""
    by_name: dict[str, set[type[BaseModel]]] = {}
    todo: list[type[BaseModel]] = []
    for _prefix, router in ninja_api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                wrappers = [m for m in operation.response_models.values() if isinstance(m, type)]
                for wrapper in [*wrappers, *operation.models]:
                    for field in wrapper.model_fields.values():
                        todo.extend(_models_in(field.annotation))
    seen: set[type[BaseModel]] = set()
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.add(model)
        model.model_rebuild()  # resolve forward references, as the document's generation does
        by_name.setdefault(model.__name__, set()).add(model)
        for field in model.model_fields.values():
            todo.extend(_models_in(field.annotation))
    return by_name


@pytest.fixture
def document(db: None) -> dict[str, Any]:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def test_every_operation_describes_its_answer(document):
    assert problems(document) == []


def test_files_are_described_by_their_media_types(document):
    paths = document["paths"]
    render = paths["/api/v1/documents/{document_id}/render"]["get"]["responses"]["200"]["content"]
    assert {"application/pdf", "image/tiff"} <= set(render)
    assert render["application/pdf"]["schema"] == {"type": "string", "format": "binary"}
    proof = paths["/api/v1/ledger/events/{event_id}/proof.tlog-proof"]["get"]["responses"]["200"]["content"]
    assert proof == {"text/plain": {"schema": {"type": "string"}}}
    item = paths["/api/v1/dossiers/{dossier_id}/items/{position}/content"]["get"]["responses"]["200"]
    assert item["content"]["*/*"]["schema"]["format"] == "binary"


def test_every_error_answer_is_the_error_schema(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            errors = {s: r for s, r in operation["responses"].items() if not s.startswith("2")}
            assert {"401", "422", "500"} <= set(errors), f"{method.upper()} {path}"
            for status, response in errors.items():
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": f"{REF_PREFIX}ErrorOut"}, f"{method.upper()} {path} {status}"


def test_no_two_schemas_share_a_name(document):
    classes = schema_classes(api)
    assert {name: c for name, c in classes.items() if len(c) > 1} == {}
    assert set(classes) == set(document["components"]["schemas"])


class _Given(AsGiven):
    a: int | None = None
    in_: list[str] | None = Field(None, alias="in")
    z: str | None = None


def test_as_given_renders_only_the_keys_it_was_given_in_their_order():
    # As a JSONB column hands a dict back: keys in its own order, some absent, some null.
    given = _Given.model_validate({"z": None, "in": ["x"]})
    assert given.model_dump(by_alias=True) == {"z": None, "in": ["x"]}
    assert list(given.model_dump(by_alias=True)) == ["z", "in"]
    assert list(given.model_dump()) == ["z", "in_"]
    assert _Given.model_validate({}).model_dump() == {}
    # The document lists every key that may appear.
    assert set(_Given.model_json_schema(mode="serialization", by_alias=True)["properties"]) == {
        "a",
        "in",
        "z",
    }


# The checks must fail on an operation that says nothing about its answer: a synthetic API
# with one operation of each kind, judged by the same ``problems``.


class _Thing(Schema):
    id: int


def _synthetic() -> NinjaAPI:
    router = Router()

    @router.get("/typed", response={200: _Thing})
    def typed(request: Any) -> Any: ...

    @router.get("/typed-list", response={201: list[_Thing], 404: _Thing})
    def typed_list(request: Any) -> Any: ...

    @router.get("/file", response={200: None}, openapi_extra=file_content("文件", "application/pdf"))
    def file(request: Any) -> Any: ...

    @router.get("/untyped-dict", response={200: dict})
    def untyped_dict(request: Any) -> Any: ...

    @router.get("/untyped-any", response={200: dict[str, Any]})
    def untyped_any(request: Any) -> Any: ...

    @router.get("/no-response")
    def no_response(request: Any) -> Any: ...

    @router.get("/no-content", response={200: None})
    def no_content(request: Any) -> Any: ...

    @router.get("/errors-only", response={404: _Thing})
    def errors_only(request: Any) -> Any: ...

    synthetic = NinjaAPI(title="self-check", urls_namespace="openapi-self-check")
    synthetic.add_router("", router)
    return synthetic


def test_the_checks_catch_an_untyped_operation():
    synthetic = _synthetic()
    found = problems(synthetic.get_openapi_schema(path_prefix="/x/"))
    flagged = {p.split(" ")[1].split(":")[0] for p in found}
    assert flagged == {
        "/x/untyped-dict",
        "/x/untyped-any",
        "/x/no-response",
        "/x/no-content",
        "/x/errors-only",
    }
    assert schema_classes(synthetic) == {"_Thing": {_Thing}}


def test_the_checks_catch_a_missing_schema_and_a_shared_name():
    doc = {
        "paths": {
            "/x": {
                "get": {
                    "responses": {
                        "200": {"content": {"application/json": {"schema": {"$ref": f"{REF_PREFIX}Gone"}}}}
                    }
                }
            }
        },
        "components": {"schemas": {}},
    }
    assert problems(doc) == [
        "GET /x 200: untyped JSON {'$ref': '#/components/schemas/Gone'}",
        "#/components/schemas/Gone: no such schema",
    ]
    doc["components"]["schemas"]["Gone"] = {}  # there, but says nothing
    assert problems(doc) == [
        "GET /x 200: untyped JSON {'$ref': '#/components/schemas/Gone'}",
        "Gone: describes no fields {}",
    ]
    router = Router()
    # Two classes filed under one name, as two apps' ``DecisionIn`` were.
    first = create_model("Shared", value=(int, ...), __base__=Schema)
    second = create_model("Shared", value=(str, ...), __base__=Schema)
    router.get("/a", response={200: first})(lambda request: None)
    router.get("/b", response={200: list[second]})(lambda request: None)
    synthetic = NinjaAPI(title="self-check-2", urls_namespace="openapi-self-check-2")
    synthetic.add_router("", router)
    assert schema_classes(synthetic) == {"Shared": {first, second}}
