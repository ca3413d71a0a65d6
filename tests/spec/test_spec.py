"""Spec loading: bundled, seed, official-style and OpenAPI 3 files, repairs, errors, schemathesis."""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from hypothesis import HealthCheck, given, settings

from pytest_batchkeys.errors import ConfigError, SpecError
from pytest_batchkeys.secrets import placeholders
from pytest_batchkeys.spec import load as spec
from pytest_batchkeys.spec import schemathesis_adapter as adapter

DATA = Path(__file__).parents[1] / "data"
OFFICIAL = DATA / "official-like-batch.json"
OPENAPI3 = DATA / "listkeys-openapi3.yaml"
REFERENCE = Path("/work/shared/seed/listkeys-seed.yaml")
PATH = (
    "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}"
    "/providers/Microsoft.Batch/batchAccounts/{accountName}/listKeys"
)
STABLE = (
    *("2015-12-01", "2017-01-01", "2017-05-01", "2017-09-01", "2018-12-01", "2019-04-01"),
    *("2019-08-01", "2020-03-01", "2020-05-01", "2020-09-01", "2021-01-01", "2021-06-01"),
    *("2022-01-01", "2022-06-01", "2022-10-01", "2023-05-01", "2023-11-01", "2024-02-01"),
    *("2024-07-01", "2025-06-01", "2026-08-01"),
)
SEED_REPAIRS = (
    'The query parameter named "No Name" was read as api-version, the only query parameter '
    "listKeys has; it is now a required string of at least 1 character (as in Azure "
    "common-types v5).",
    "Path parameter subscriptionId is used in the path template but not declared; declared it "
    "as a required string with format uuid (as in Azure common-types v5).",
    "Path parameter accountName had no type and was not marked required; it is now a required "
    "string, as path parameters must be.",
    "Path parameter resourceGroupName had no type and was not marked required; it is now a "
    "required string, as path parameters must be.",
    "The 200 response has no schema; used BatchAccountKeys ({accountName, primary, secondary}) "
    "from the bundled 2026-08-01 contract.",
    "The spec declares no default (error) response; added one with schema CloudError ({error: "
    "{code, message, target, details}}) from the bundled 2026-08-01 contract.",
    "The spec lists only the http scheme; Azure Resource Manager serves https only, so the "
    "repaired spec says https (the plugin picks the transport from the endpoint setting, not "
    "from the spec).",
)
HTTPS_ONLY = (
    "Azure Resource Manager serves https only, so the repaired spec says https (the plugin picks "
    "the transport from the endpoint setting, not from the spec)."
)
ANCHOR = " [see: batchkeys explain spec-errors]"
FAST = settings(
    max_examples=15, database=None, deadline=None, suppress_health_check=list(HealthCheck)
)


def write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def write_official(tmp_path: Path, data: Any, name: str = "spec.json") -> Path:
    """`data` written next to a copy of the fixture's common-types folder."""
    if not (tmp_path / "common-types").exists():
        shutil.copytree(DATA / "common-types", tmp_path / "common-types")
    return write_json(tmp_path / name, data)


def official_data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(OFFICIAL.read_text(encoding="utf-8"))
    return data


def spec_error(path: Path) -> str:
    """The message of the SpecError that loading `path` raises (anchor checked, then cut)."""
    with pytest.raises(SpecError) as info:
        spec.load_spec(path)
    assert str(info.value) == info.value.message + ANCHOR
    return info.value.message


# --- bundled -----------------------------------------------------------------------------------


def test_bundled_loads_complete_with_no_repairs() -> None:
    loaded = spec.load_bundled()
    assert loaded.repairs == ()
    assert (loaded.source, loaded.version, loaded.method) == ("bundled", "2.0", "post")
    assert loaded.path_template == PATH
    assert loaded.raw["schemes"] == ["https"]
    assert loaded.raw["host"] == "management.azure.com"
    assert loaded.raw["paths"] == {PATH: {"post": loaded.operation}}
    assert loaded.api_versions == STABLE
    assert loaded.default_api_version == "2026-08-01"


def test_bundled_parameters_carry_the_2026_08_01_constraints() -> None:
    loaded = spec.load_bundled()
    shape = {
        p["name"]: (p["in"], p["required"], p["type"], p.get("format"), p.get("minLength"))
        for p in loaded.operation["parameters"]
    }
    assert shape == {
        "api-version": ("query", True, "string", None, 1),
        "subscriptionId": ("path", True, "string", "uuid", None),
        "resourceGroupName": ("path", True, "string", None, 1),
        "accountName": ("path", True, "string", None, 3),
    }
    assert loaded.parameter("resourceGroupName")["maxLength"] == 90
    assert loaded.parameter("resourceGroupName")["pattern"] == r"^[-\w\._\(\)]+$"
    assert loaded.parameter("accountName")["maxLength"] == 24
    assert loaded.parameter("accountName")["pattern"] == "^[a-zA-Z0-9]+$"
    with pytest.raises(KeyError):
        loaded.parameter("nope")


def test_bundled_responses_and_recursive_error_schema() -> None:
    loaded = spec.load_bundled()
    responses = loaded.operation["responses"]
    assert responses["200"]["schema"] == {"$ref": "#/definitions/BatchAccountKeys"}
    assert responses["default"]["schema"] == {"$ref": "#/definitions/CloudError"}
    definitions = loaded.raw["definitions"]
    assert set(definitions) == {"BatchAccountKeys", "CloudError", "CloudErrorBody"}
    details = definitions["CloudErrorBody"]["properties"]["details"]
    assert details["items"] == {"$ref": "#/definitions/CloudErrorBody"}
    assert definitions["BatchAccountKeys"]["required"] == ["accountName", "primary", "secondary"]


def test_bundled_file_documents_its_additions() -> None:
    raw = json.loads(spec.BUNDLED_FILE.read_text(encoding="utf-8"))
    added = " ".join(raw["x-batchkeys"]["added"])
    for addition in ("BatchAccountKeys.required", "CloudErrorBody.required", "x-ms-examples"):
        assert addition in added
    assert raw["x-batchkeys-api-versions"] == list(STABLE)


def test_fingerprint_is_stable_and_ignores_documentation_only() -> None:
    first, second = spec.load_bundled(), spec.load_bundled()
    assert first.fingerprint == second.fingerprint
    assert re.fullmatch(r"[0-9a-f]{64}", first.fingerprint)
    assert first.fingerprint != spec.load_seed().fingerprint
    assert hash(first) == hash(second)


def test_fingerprint_changes_with_constraints_not_descriptions(tmp_path: Path) -> None:
    base = spec.load_spec(OFFICIAL).fingerprint
    data = official_data()
    data["paths"][PATH]["post"]["description"] = "Reworded."
    data["definitions"]["BatchAccountKeys"]["properties"]["primary"]["description"] = "Reworded."
    assert spec.load_spec(write_official(tmp_path, data, "a.json")).fingerprint == base
    data["parameters"]["AccountNameParameter"]["maxLength"] = 25
    assert spec.load_spec(write_official(tmp_path, data, "b.json")).fingerprint != base


def test_fingerprint_keeps_a_property_named_description(tmp_path: Path) -> None:
    data = official_data()
    keys = data["definitions"]["BatchAccountKeys"]
    base = spec.load_spec(write_official(tmp_path, data, "a.json")).fingerprint
    keys["properties"]["description"] = {"type": "string"}
    assert spec.load_spec(write_official(tmp_path, data, "b.json")).fingerprint != base


def test_module_import_is_cheap() -> None:
    code = (
        "import sys, pytest_batchkeys.spec.load\n"
        "heavy = [m for m in ('schemathesis', 'yaml', 'hypothesis') if m in sys.modules]\n"
        "print(heavy)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


# --- seed --------------------------------------------------------------------------------------


def test_seed_is_shipped_byte_for_byte() -> None:
    if not REFERENCE.exists():
        pytest.skip("the shared seed is not on this machine")
    assert spec.SEED_FILE.read_bytes() == REFERENCE.read_bytes()


def test_seed_loads_and_reports_each_repair() -> None:
    loaded = spec.load_seed()
    assert loaded.repairs == SEED_REPAIRS
    assert (loaded.source, loaded.version, loaded.path_template) == ("seed", "2.0", PATH)
    assert loaded.raw["schemes"] == ["https"]
    assert loaded.default_api_version == "2026-08-01"
    assert loaded.api_versions == STABLE


def test_seed_repaired_parameters() -> None:
    loaded = spec.load_seed()
    by_name = {p["name"]: p for p in loaded.operation["parameters"]}
    assert set(by_name) == {"api-version", "subscriptionId", "resourceGroupName", "accountName"}
    assert all(p["required"] is True and p["type"] == "string" for p in by_name.values())
    assert by_name["api-version"]["in"] == "query"
    assert by_name["subscriptionId"]["format"] == "uuid"
    # Constraints the seed does not state are not invented for parameters it declares.
    assert "pattern" not in by_name["accountName"]
    assert by_name["accountName"]["description"] == "The name of the account"


def test_seed_repaired_responses_use_the_bundled_schemas() -> None:
    loaded = spec.load_seed()
    responses = loaded.operation["responses"]
    assert responses["200"] == {
        "description": "OK",
        "schema": {"$ref": "#/definitions/BatchAccountKeys"},
    }
    assert responses["default"]["schema"] == {"$ref": "#/definitions/CloudError"}
    assert loaded.raw["definitions"] == spec.load_bundled().raw["definitions"]


# --- official-style files ----------------------------------------------------------------------


def test_official_like_file_selects_listkeys_and_resolves_external_refs() -> None:
    loaded = spec.load_spec(OFFICIAL)
    bundled = spec.load_bundled()
    assert loaded.repairs == ()
    assert loaded.source == str(OFFICIAL)
    assert list(loaded.raw["paths"]) == [PATH]
    assert loaded.operation["operationId"] == "BatchAccount_GetKeys"
    assert loaded.operation["parameters"] == bundled.operation["parameters"]
    assert "x-ms-examples" not in loaded.operation
    assert set(loaded.raw["definitions"]) == {"BatchAccountKeys", "CloudError", "CloudErrorBody"}
    assert loaded.default_api_version == "2026-08-01"


def test_missing_common_types_fall_back_to_the_bundled_copy(tmp_path: Path) -> None:
    copied = Path(shutil.copy(OFFICIAL, tmp_path / "openapi.json"))
    loaded = spec.load_spec(copied)
    assert loaded.repairs == tuple(
        "./common-types/v5/types.json was not found next to the spec; "
        f"#/parameters/{name} was taken from the bundled copy of Azure common-types v5."
        for name in ("ApiVersionParameter", "SubscriptionIdParameter", "ResourceGroupNameParameter")
    )
    assert loaded.operation["parameters"] == spec.load_bundled().operation["parameters"]


def test_external_schema_refs_are_copied_in(tmp_path: Path) -> None:
    data = official_data()
    default = data["paths"][PATH]["post"]["responses"]["default"]
    default["schema"] = {"$ref": "./common-types/v5/types.json#/definitions/ErrorResponse"}
    loaded = spec.load_spec(write_official(tmp_path, data, "spec.json"))
    definitions = loaded.raw["definitions"]
    assert loaded.operation["responses"]["default"]["schema"] == {
        "$ref": "#/definitions/ErrorResponse"
    }
    assert definitions["ErrorDetail"]["properties"]["details"]["items"] == {
        "$ref": "#/definitions/ErrorDetail"
    }
    assert set(definitions) == {
        "BatchAccountKeys",
        "ErrorResponse",
        "ErrorDetail",
        "ErrorAdditionalInfo",
    }


def test_path_level_parameters_and_operation_override(tmp_path: Path) -> None:
    data = official_data()
    item = data["paths"][PATH]
    params = item["post"]["parameters"]
    item["parameters"] = params[:3]
    item["post"]["parameters"] = [
        params[3],
        {**data["parameters"]["AccountNameParameter"], "maxLength": 10},
    ]
    loaded = spec.load_spec(write_official(tmp_path, data, "spec.json"))
    assert [p["name"] for p in loaded.operation["parameters"]] == [
        "api-version",
        "subscriptionId",
        "resourceGroupName",
        "accountName",
    ]
    assert loaded.parameter("accountName")["maxLength"] == 10


def test_operation_id_is_matched_ignoring_case(tmp_path: Path) -> None:
    data = official_data()
    data["paths"][PATH]["post"]["operationId"] = "batchaccount_getkeys"
    assert spec.load_spec(write_official(tmp_path, data, "spec.json")).path_template == PATH


def test_info_version_becomes_the_default_api_version(tmp_path: Path) -> None:
    data = official_data()
    data["info"]["version"] = "2021-01-01"
    loaded = spec.load_spec(write_official(tmp_path, data, "a.json"))
    assert loaded.default_api_version == "2021-01-01"
    data["info"]["version"] = "2027-03-01"
    loaded = spec.load_spec(write_official(tmp_path, data, "b.json"))
    assert (loaded.default_api_version, loaded.api_versions[-1]) == ("2027-03-01", "2027-03-01")


def test_missing_api_version_is_added_and_required_is_enforced(tmp_path: Path) -> None:
    data = official_data()
    operation = data["paths"][PATH]["post"]
    operation["parameters"] = operation["parameters"][1:]
    data["parameters"]["AccountNameParameter"]["required"] = False
    loaded = spec.load_spec(write_official(tmp_path, data, "spec.json"))
    assert loaded.repairs == (
        "The spec declares no api-version query parameter; added it as a required string of at "
        "least 1 character (as in Azure common-types v5), since ARM rejects requests without one.",
        "Path parameter accountName was not marked required; it is now required, as path "
        "parameters must be.",
    )
    assert loaded.parameter("api-version")["required"] is True


def test_unknown_path_parameter_is_declared_as_a_string(tmp_path: Path) -> None:
    data = official_data()
    path = PATH.replace("/listKeys", "/{extra}/listKeys")
    data["paths"][path] = data["paths"].pop(PATH)
    loaded = spec.load_spec(write_official(tmp_path, data, "spec.json"))
    assert loaded.repairs == (
        "Path parameter extra is used in the path template but not declared; declared it as a "
        "required string (since the path template uses it).",
    )


# --- OpenAPI 3 ---------------------------------------------------------------------------------


def test_openapi3_yaml_loads_with_its_repairs() -> None:
    loaded = spec.load_spec(OPENAPI3)
    assert loaded.version == "3.0.3"
    assert loaded.is_openapi3
    assert loaded.repairs == (
        "Parameter accountName (path) is written in Swagger 2.0 style inside an OpenAPI 3 "
        "document; moved its type and constraints under schema.",
        "The default (error) response has no schema; used CloudError ({error: {code, message, "
        "target, details}}) from the bundled 2026-08-01 contract.",
        f"Every server URL uses http; {HTTPS_ONLY}",
    )
    assert loaded.raw["servers"] == [{"url": "https://management.azure.com"}]
    assert loaded.default_api_version == "2026-08-01"
    assert set(loaded.raw["components"]["schemas"]) == {
        "BatchAccountKeys",
        "CloudError",
        "CloudErrorBody",
    }
    body = loaded.raw["components"]["schemas"]["CloudErrorBody"]
    assert body["properties"]["details"]["items"] == {"$ref": "#/components/schemas/CloudErrorBody"}
    for name in ("subscriptionId", "resourceGroupName", "accountName", "api-version"):
        param = next(p for p in loaded.operation["parameters"] if p["name"] == name)
        assert param["schema"]["type"] == "string"
        assert "type" not in param
    assert loaded.parameter("accountName")["pattern"] == "^[a-zA-Z0-9]+$"


def test_openapi31_is_accepted(tmp_path: Path) -> None:
    text = OPENAPI3.read_text(encoding="utf-8").replace("openapi: 3.0.3", "openapi: 3.1.0")
    target = tmp_path / "spec.yml"
    target.write_text(text, encoding="utf-8")
    assert spec.load_spec(target).version == "3.1.0"


# --- errors ------------------------------------------------------------------------------------


def test_error_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    assert spec_error(missing) == (
        f"Spec file {missing} does not exist. Expected a Swagger 2.0 or OpenAPI 3.x file (YAML "
        "or JSON) that declares BatchAccount_GetKeys. Check the path (a relative path is "
        "resolved against the current directory), or leave the spec setting unset to use the "
        "bundled contract."
    )


@pytest.mark.parametrize(
    ("name", "text", "problem"),
    [
        (
            "spec.json",
            '{\n  "swagger": "2.0",\n  "paths": {,}\n}\n',
            "not valid JSON: Expecting property name enclosed in double quotes at line 3, column 13",
        ),
        (
            "spec.yaml",
            "swagger: '2.0'\npaths:\n  /a: [1, 2\n",
            "not valid YAML: expected ',' or ']', but got '<stream end>' at line 4, column 1",
        ),
        ("spec.yaml", "a: 1\n---\nb: 2\n", "a stream of 2 YAML documents, not one"),
    ],
)
def test_error_unparsable_file_names_the_place(
    tmp_path: Path, name: str, text: str, problem: str
) -> None:
    broken = tmp_path / name
    broken.write_text(text, encoding="utf-8")
    assert spec_error(broken) == (
        f"Spec file {broken} is {problem}. Expected a Swagger 2.0 or OpenAPI 3.x document in "
        "YAML or JSON. Fix the file at that place, or point the spec setting at another file."
    )


@pytest.mark.parametrize(
    ("text", "kind"),
    [("- swagger: '2.0'\n", "a list"), ("", "nothing (the file is empty or null)")],
)
def test_error_top_level_not_a_mapping(tmp_path: Path, text: str, kind: str) -> None:
    target = tmp_path / "spec.yaml"
    target.write_text(text, encoding="utf-8")
    assert spec_error(target) == (
        f"Spec file {target} holds {kind} at the top level, not a mapping. Expected a Swagger "
        "2.0 or OpenAPI 3.x document: a mapping with a `swagger` or `openapi` key and `paths`. "
        "Check that the file is the spec itself, not a list of specs or an empty file."
    )


@pytest.mark.parametrize(
    ("top", "found"),
    [
        ({"swagger": "1.2"}, "swagger: '1.2'"),
        ({"openapi": "4.0.0"}, "openapi: '4.0.0'"),
        ({"info": {}}, "neither a `swagger` nor an `openapi` key"),
    ],
)
def test_error_unknown_version(tmp_path: Path, top: dict[str, Any], found: str) -> None:
    target = write_json(tmp_path / "spec.json", {**top, "paths": {}})
    assert spec_error(target) == (
        f"Spec file {target} declares {found}, which this kit cannot read. Supported: swagger "
        "2.0, openapi 3.0.x, openapi 3.1.x. Use a spec in one of these versions (Azure publishes "
        "the Batch management spec as Swagger 2.0)."
    )


def test_error_no_listkeys_lists_operation_ids(tmp_path: Path) -> None:
    paths = {
        f"/things/{i}": {"get": {"operationId": f"Thing_{i}", "responses": {}}} for i in range(12)
    }
    target = write_json(tmp_path / "spec.json", {"swagger": "2.0", "paths": paths})
    listed = ", ".join(f"Thing_{i}" for i in range(10))
    assert spec_error(target) == (
        f"Spec file {target} has no operation with operationId BatchAccount_GetKeys (compared "
        f"ignoring case). It has 12 paths and these operationIds: {listed} (and 2 more). "
        "Expected the listKeys POST of the Microsoft.Batch management spec; pass that spec, or "
        "add operationId: BatchAccount_GetKeys to its listKeys operation."
    )


@pytest.mark.parametrize(
    ("paths", "found"),
    [([1], "`paths` as a list"), ("x", "`paths` as a str"), (None, "no `paths` key")],
)
def test_error_paths_not_a_mapping(tmp_path: Path, paths: Any, found: str) -> None:
    document: dict[str, Any] = {"swagger": "2.0"}
    if paths is not None:
        document["paths"] = paths
    target = write_json(tmp_path / "spec.json", document)
    assert spec_error(target) == (
        f"Spec file {target} has {found}, so it cannot contain BatchAccount_GetKeys. Expected "
        "`paths` to map each path to its operations, with the listKeys POST among them; pass the "
        "Microsoft.Batch management spec."
    )


def test_error_no_listkeys_in_a_file_without_operation_ids(tmp_path: Path) -> None:
    target = write_json(tmp_path / "spec.json", {"openapi": "3.0.0", "paths": {"/a": {}}})
    assert spec_error(target) == (
        f"Spec file {target} has no operation with operationId BatchAccount_GetKeys (compared "
        "ignoring case). It has 1 path and no operationIds at all. Expected the listKeys POST of "
        "the Microsoft.Batch management spec; pass that spec, or add operationId: "
        "BatchAccount_GetKeys to its listKeys operation."
    )


def test_error_broken_local_ref(tmp_path: Path) -> None:
    data = official_data()
    data["paths"][PATH]["post"]["responses"]["200"]["schema"] = {"$ref": "#/definitions/Keys"}
    target = write_official(tmp_path, data, "spec.json")
    assert spec_error(target) == (
        f"Spec file {target}: the $ref '#/definitions/Keys' used at BatchAccount_GetKeys "
        f"responses.200.schema cannot be resolved: Spec file {target} has nothing at "
        "#/definitions/Keys. Expected it to name an existing file (relative to the file that "
        "uses it) and a JSON pointer inside it. Fix the reference, or put the referenced file at "
        "that place."
    )


def test_error_broken_external_ref(tmp_path: Path) -> None:
    data = official_data()
    data["paths"][PATH]["post"]["parameters"][3] = {"$ref": "./other/types.json#/parameters/X"}
    target = write_official(tmp_path, data, "spec.json")
    assert spec_error(target) == (
        f"Spec file {target}: the $ref './other/types.json#/parameters/X' used at "
        "BatchAccount_GetKeys parameters[3] cannot be resolved: the file "
        f"{tmp_path / 'other' / 'types.json'} does not exist. Expected it to name an existing "
        "file (relative to the file that uses it) and a JSON pointer inside it. Fix the "
        "reference, or put the referenced file at that place."
    )


def test_error_ref_cycle(tmp_path: Path) -> None:
    data = official_data()
    data["parameters"]["A"] = {"$ref": "#/parameters/B"}
    data["parameters"]["B"] = {"$ref": "#/parameters/A"}
    data["paths"][PATH]["post"]["parameters"][3] = {"$ref": "#/parameters/A"}
    target = write_official(tmp_path, data, "spec.json")
    assert "cannot be resolved: the references form a cycle." in spec_error(target)


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", PATH), ("post", PATH.replace("/listKeys", "/keys"))],
)
def test_error_not_a_listkeys_post(tmp_path: Path, method: str, path: str) -> None:
    data = official_data()
    data["paths"].pop("/providers/Microsoft.Batch/operations")
    operation = data["paths"].pop(PATH)["post"]
    data["paths"][path] = {method: operation}
    target = write_official(tmp_path, data, "spec.json")
    assert spec_error(target) == (
        f"Spec file {target} declares BatchAccount_GetKeys as {method.upper()} {path}, but that "
        "operation is POST …/batchAccounts/{accountName}/listKeys in every Azure Batch "
        "api-version. Expected a POST whose path ends in /listKeys. Fix the method or path in "
        "the spec, or pass the official Microsoft.Batch management spec."
    )


# --- schemathesis ------------------------------------------------------------------------------

PINS = {"api-version": "2026-08-01", "subscriptionId": placeholders.SUBSCRIPTION_ID}


def test_schemathesis_schema_holds_only_listkeys_and_uses_base_url() -> None:
    schema = adapter.schemathesis_schema(spec.load_spec(OFFICIAL), "http://127.0.0.1:8123/arm")
    operation = adapter.get_operation(schema)
    assert operation.label == f"POST {PATH}"
    assert [r.ok().label for r in schema.get_all_operations()] == [f"POST {PATH}"]
    assert schema.get_base_url() == "http://127.0.0.1:8123/arm"


def _keys(node: Any) -> set[str]:
    """Every mapping key anywhere in `node`."""
    if isinstance(node, dict):
        return set(node) | {k for v in node.values() for k in _keys(v)}
    if isinstance(node, list):
        return {k for v in node for k in _keys(v)}
    return set()


def _openapi3_with_azure_extensions(tmp_path: Path) -> Any:
    """The OpenAPI 3 test spec with x-ms-* keys on a parameter and inside its schema."""
    import yaml

    data = yaml.safe_load(OPENAPI3.read_text(encoding="utf-8"))
    param = data["components"]["parameters"]["ResourceGroupNameParameter"]
    param["x-ms-parameter-location"] = "method"
    param["schema"]["x-ms-client-name"] = "Name"
    target = tmp_path / "oas3.yaml"
    target.write_text(yaml.safe_dump(data), encoding="utf-8")
    return spec.load_spec(target)


@pytest.mark.parametrize("which", ["bundled", "seed", "openapi3"])
def test_generation_document_drops_only_azure_extensions_of_parameters(
    which: str, tmp_path: Path
) -> None:
    loaded = {
        "bundled": spec.load_bundled,
        "seed": spec.load_seed,
        "openapi3": lambda: _openapi3_with_azure_extensions(tmp_path),
    }[which]()
    before = copy.deepcopy(loaded.raw)
    ((path, item),) = before["paths"].items()
    original = item["post"]["parameters"]
    assert any(key.startswith("x-ms-") for key in _keys(original))

    document = adapter.generation_document(loaded)

    assert loaded.raw == before  # the LoadedSpec, and so its fingerprint, is left alone
    params = document["paths"][path]["post"]["parameters"]
    assert not any(key.startswith("x-ms-") for key in _keys(params))
    without = json.loads(
        json.dumps(original),
        object_hook=lambda d: {k: v for k, v in d.items() if not k.startswith("x-ms-")},
    )
    assert params == without
    # Outside the parameters nothing changes (response schemas keep x-ms-external and such).
    document["paths"][path]["post"]["parameters"] = original
    assert document == before


def test_generation_document_keeps_extensions_schemathesis_reads(tmp_path: Path) -> None:
    data = official_data()
    account = data["parameters"]["AccountNameParameter"]
    account.update({"x-example": "acct1", "x-nullable": False, "x-ms-client-name": "Name"})
    document = adapter.generation_document(spec.load_spec(write_official(tmp_path, data)))
    (item,) = document["paths"].values()
    kept = next(p for p in item["post"]["parameters"] if p["name"] == "accountName")
    assert kept["x-example"] == "acct1"
    assert kept["x-nullable"] is False
    assert "x-ms-client-name" not in kept


def test_pins_are_stored_in_the_schema_config() -> None:
    schema = adapter.schemathesis_schema(spec.load_bundled(), "http://127.0.0.1:1", pinned=PINS)
    assert schema.config.parameters == PINS
    assert adapter.pinned_values(schema, adapter.get_operation(schema)) == {
        "query": {"api-version": "2026-08-01"},
        "path_parameters": {"subscriptionId": placeholders.SUBSCRIPTION_ID},
    }


def test_unknown_pin_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as info:
        adapter.schemathesis_schema(
            spec.load_bundled(), "http://127.0.0.1:1", pinned={"apiVersion": "x"}
        )
    assert info.value.message == (
        "Cannot pin 'apiVersion': BatchAccount_GetKeys has no such parameter. Expected one of "
        "api-version, subscriptionId, resourceGroupName, accountName (optionally prefixed by its "
        "location, e.g. query.api-version). Fix the name of the pinned parameter."
    )


@pytest.mark.parametrize("loader", [spec.load_bundled, spec.load_seed])
def test_positive_cases_keep_pins_and_meet_constraints(loader: Any) -> None:
    schema = adapter.schemathesis_schema(loader(), "http://127.0.0.1:1", pinned=PINS)
    cases: list[Any] = []

    @FAST
    @given(adapter.case_strategy(schema))
    def collect(case: Any) -> None:
        cases.append(case)

    collect()
    assert cases
    for case in cases:
        assert case.query == {"api-version": "2026-08-01"}
        assert case.path_parameters["subscriptionId"] == placeholders.SUBSCRIPTION_ID
        assert case.method.upper() == "POST"
    if loader is spec.load_bundled:
        for case in cases:
            # schemathesis keeps path parameters percent-encoded, as they go on the wire.
            rg = unquote(case.path_parameters["resourceGroupName"])
            assert re.fullmatch(r"[a-zA-Z0-9]{3,24}", case.path_parameters["accountName"])
            assert re.fullmatch(r"[-\w._()]{1,90}", rg, re.A)


def test_negative_cases_keep_pins_and_break_something() -> None:
    schema = adapter.schemathesis_schema(spec.load_bundled(), "http://127.0.0.1:1", pinned=PINS)
    cases: list[Any] = []

    @FAST
    @given(adapter.case_strategy(schema, negative=True))
    def collect(case: Any) -> None:
        cases.append(case)

    collect()
    assert cases
    for case in cases:
        assert case.query == {"api-version": "2026-08-01"}
        assert case.path_parameters["subscriptionId"] == placeholders.SUBSCRIPTION_ID


def test_openapi3_schema_generates_cases() -> None:
    schema = adapter.schemathesis_schema(
        spec.load_spec(OPENAPI3), "http://127.0.0.1:1", pinned=PINS
    )
    cases: list[Any] = []

    @FAST
    @given(adapter.case_strategy(schema))
    def collect(case: Any) -> None:
        cases.append(case)

    collect()
    assert all(case.query == {"api-version": "2026-08-01"} for case in cases)


def _response(case: Any, status: int, body: Any) -> Any:
    import requests
    import schemathesis

    request = requests.Request("POST", case.as_transport_kwargs()["url"]).prepare()
    return schemathesis.Response(
        status_code=status,
        headers={"Content-Type": ["application/json"]},
        content=json.dumps(body).encode(),
        request=request,
        elapsed=0.01,
        verify=True,
    )


def test_response_validation_passes_and_fails_against_the_contract() -> None:
    from schemathesis.checks import response_schema_conformance
    from schemathesis.core.failures import FailureGroup

    schema = adapter.schemathesis_schema(spec.load_bundled(), "http://127.0.0.1:1", pinned=PINS)
    operation = adapter.get_operation(schema)
    case = operation.Case(
        path_parameters={**copy.deepcopy(PINS), "resourceGroupName": "rg", "accountName": "acct"},
        query={"api-version": "2026-08-01"},
    )
    keys = {"accountName": "acct", "primary": "p", "secondary": "s"}
    case.validate_response(_response(case, 200, keys), checks=[response_schema_conformance])
    with pytest.raises(FailureGroup) as info:
        case.validate_response(
            _response(case, 200, {"accountName": "acct", "primary": "p"}),
            checks=[response_schema_conformance],
        )
    assert "'secondary' is a required property" in str(info.value).replace('"', "'")
    with pytest.raises(FailureGroup):
        case.validate_response(
            _response(case, 400, {"error": {"code": "X"}}), checks=[response_schema_conformance]
        )


def test_get_operation_refuses_a_schema_without_listkeys() -> None:
    import schemathesis

    raw = {
        "swagger": "2.0",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/a": {"get": {"operationId": "Other", "responses": {"200": {"description": "OK"}}}}
        },
    }
    schema = schemathesis.openapi.from_dict(raw, config=schemathesis.Config())
    with pytest.raises(SpecError) as info:
        adapter.get_operation(schema)
    assert info.value.message == (
        "The schemathesis schema has no BatchAccount_GetKeys operation (it has: GET /a). "
        "Expected a schema built by schemathesis_schema(); build it from a LoadedSpec."
    )
