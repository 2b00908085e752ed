"""The OpenAPI document (portal/api/openapi.json) is valid OpenAPI 3.1 and matches the real routes and shapes.

No database is needed: the app is built on an empty in-memory SQLite database and only its URL map is read.
"""
from __future__ import annotations

import ast
import inspect
import re

import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator, validate

from portal import create_app
from portal.api import serializers
from portal.api.spec import build_spec
from portal.errors import API_CODES
from portal.models import EntryStatus, FileKind, SeasonStatus
from portal.services import errors as service_errors
from portal.services.entries import REQUIRED_TO_SUBMIT
from portal.services.entry_fields import TEXT_LIMITS
from portal.storage import ALLOWED_TYPES

API_PREFIX = "/api/v1"
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
IGNORED_METHODS = {"HEAD", "OPTIONS"}
PUBLIC_OPERATIONS = {("GET", "/seasons"), ("GET", "/seasons/{slug}"), ("GET", "/vocabularies"),
                     ("GET", "/openapi.json"), ("GET", "/practices"), ("GET", "/practices/{practice_id}"),
                     ("GET", "/seasons/{slug}/results")}
ANY_CONVERTER = re.compile(r"<any\(([^)]*)\):(\w+)>")
CONVERTER = re.compile(r"<(?:[^<>:]+:)?(\w+)>")


@pytest.fixture(scope="module")
def api_app(tmp_path_factory):
    instance = tmp_path_factory.mktemp("openapi-instance")
    return create_app({"APP_ENV": "testing", "DATABASE_URL": "sqlite://", "INSTANCE_PATH": str(instance)})


@pytest.fixture(scope="module")
def document(api_app) -> dict:
    """The served document: the core's file merged with the fragments of the feature packages."""
    return build_spec(api_app)


def expand_rule(rule: str) -> list[tuple[str, dict[str, str]]]:
    """OpenAPI paths for a Flask rule (below /api/v1), with the values an `any()` converter took."""
    match = ANY_CONVERTER.search(rule)
    if match is None:
        return [(CONVERTER.sub(r"{\1}", rule), {})]
    options = [o.strip() for o in match.group(1).split(",")]
    expanded = []
    for option in options:
        for path, chosen in expand_rule(rule[:match.start()] + option + rule[match.end():]):
            expanded.append((path, {match.group(2): option, **chosen}))
    return expanded


def routed_operations(app) -> dict[tuple[str, str], str]:
    """(METHOD, path) → the operationId the code implies (the view function's name; `<action>_entry` for
    the expanded action rule)."""
    routes = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API_PREFIX + "/"):
            continue
        function = app.view_functions[rule.endpoint].__name__
        for path, chosen in expand_rule(rule.rule[len(API_PREFIX):]):
            operation_id = f"{chosen['action']}_entry" if "action" in chosen else function
            for method in rule.methods - IGNORED_METHODS:
                routes[(method, path)] = operation_id
    return routes


def documented_operations(document: dict) -> dict[tuple[str, str], dict]:
    return {(method.upper(), path): operation
            for path, item in document["paths"].items()
            for method, operation in item.items() if method in HTTP_METHODS}


def entry_to_dict_keys() -> list[str]:
    """The keys of the dict literal that `serializers.entry_to_dict` returns."""
    tree = ast.parse(inspect.getsource(serializers))
    function = next(node for node in ast.walk(tree)
                    if isinstance(node, ast.FunctionDef) and node.name == "entry_to_dict")
    returned = [node.value for node in ast.walk(function) if isinstance(node, ast.Return)]
    assert len(returned) == 1 and isinstance(returned[0], ast.Dict), "entry_to_dict should return one dict literal"
    keys = [ast.literal_eval(key) for key in returned[0].keys]
    assert all(isinstance(key, str) for key in keys)
    return keys


def schema(document: dict, name: str) -> dict:
    return document["components"]["schemas"][name]


def test_document_is_valid_openapi_3_1(document):
    assert document["openapi"].startswith("3.1")
    validate(document, cls=OpenAPIV31SpecValidator)


def test_every_route_is_documented_and_every_operation_routed(api_app, document):
    routed = set(routed_operations(api_app))
    documented = set(documented_operations(document))
    assert routed, "no API routes found under /api/v1"
    assert sorted(routed - documented) == [], "routes missing from openapi.json"
    assert sorted(documented - routed) == [], "operations in openapi.json with no route"


def test_operation_ids_are_the_view_function_names(api_app, document):
    documented = documented_operations(document)
    routed = routed_operations(api_app)
    assert {key: documented[key].get("operationId") for key in routed if key in documented} == {
        key: op_id for key, op_id in routed.items() if key in documented}
    ids = [operation["operationId"] for operation in documented.values()]
    assert len(ids) == len(set(ids)), "operationIds must be unique"


def test_every_operation_has_a_success_response_and_private_ones_need_authentication(document):
    schemes = set(document["components"]["securitySchemes"])
    for (method, path), operation in documented_operations(document).items():
        statuses = set(operation["responses"])
        assert any(re.fullmatch(r"[23]\d\d", s) for s in statuses), f"{method} {path}: no 2xx/3xx response"
        if (method, path) in PUBLIC_OPERATIONS:
            continue
        assert "401" in statuses, f"{method} {path}: no 401 response"
        security = operation.get("security", document.get("security"))
        assert security, f"{method} {path}: no security requirement"
        assert all(requirement and set(requirement) <= schemes for requirement in security), f"{method} {path}"


def test_entry_schema_has_exactly_the_serialized_fields(document):
    assert set(schema(document, "Entry")["properties"]) == set(entry_to_dict_keys())


def test_entry_text_limits_and_enums_follow_the_code(document):
    entry = schema(document, "Entry")["properties"]
    for field, limit in TEXT_LIMITS.items():
        assert entry[field]["maxLength"] == limit, field
        for request_schema in ("EntryCreate", "EntryPatch"):
            assert schema(document, request_schema)["properties"][field]["maxLength"] == limit, field
    assert set(entry["status"]["enum"]) == {s.value for s in EntryStatus}
    assert entry["missing"]["items"]["enum"] == list(REQUIRED_TO_SUBMIT)
    for name in ("id", "status", "version", "created_at", "updated_at", "submitted_at", "files", "missing",
                 "organisation"):
        assert entry[name].get("readOnly") is True, name
    file_schema = schema(document, "File")["properties"]
    assert set(file_schema["kind"]["enum"]) == {k.value for k in FileKind}
    assert set(file_schema["content_type"]["enum"]) == set(ALLOWED_TYPES)
    assert set(schema(document, "Season")["properties"]["status"]["enum"]) == {s.value for s in SeasonStatus}


def test_error_codes_cover_what_the_code_can_return(document):
    documented = set(schema(document, "Error")["properties"]["error"]["properties"]["code"]["enum"])
    produced = {cls.code for cls in vars(service_errors).values()
                if isinstance(cls, type) and issubclass(cls, service_errors.ServiceError)
                and cls is not service_errors.ServiceError}
    produced |= set(API_CODES.values()) | {"csrf_failed", "server_error", "unauthorized"}
    assert produced <= documented


def test_the_document_is_served_at_its_url(api_app, document):
    response = api_app.test_client().get(f"{API_PREFIX}/openapi.json")
    assert response.status_code == 200
    assert response.get_json() == document
