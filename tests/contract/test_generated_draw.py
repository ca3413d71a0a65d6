"""draw_cases: distinct cases, pins kept, and each case judged on the wire against the loaded spec
(positive cases meet every parameter constraint, negative cases break at least one)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest
import requests

from pytest_batchkeys.contract.generated import Outgoing, draw_cases, outgoing
from pytest_batchkeys.secrets import placeholders
from pytest_batchkeys.spec import load as spec
from pytest_batchkeys.spec import schemathesis_adapter as adapter
from pytest_batchkeys.spec.model import LoadedSpec

BASE = "http://127.0.0.1:1"
BUNDLED = spec.load_bundled()
PINS = {"api-version": BUNDLED.default_api_version, "subscriptionId": placeholders.SUBSCRIPTION_ID}
UUID = re.compile(r"[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")


def wire(item: Outgoing) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """The path parameters and query pairs the server receives for `item`, decoded."""
    url = requests.Request(item.method, item.url, params=item.params).prepare().url
    assert url is not None
    parts = urlsplit(url)
    template = BUNDLED.path_template.strip("/").split("/")
    segments = parts.path.strip("/").split("/")
    assert len(segments) == len(template), f"not one segment per path parameter: {url}"
    path = {
        name[1:-1]: unquote(value)
        for name, value in zip(template, segments, strict=True)
        if name.startswith("{")
    }
    return path, parse_qsl(parts.query, keep_blank_values=True)


def broken(loaded: LoadedSpec, item: Outgoing) -> list[str]:
    """Each way the request breaks the spec's parameter constraints (empty: it meets them all).

    `\\w` in a pattern is read as ASCII, as the kit reads it everywhere.
    """
    path, query = wire(item)
    problems: list[str] = []
    declared = set()
    for param in loaded.operation["parameters"]:
        name, where = param["name"], param["in"]
        declared.add((where, name))
        rules = loaded.parameter(name)
        if where == "path":
            values = [path[name]]
        else:
            values = [v for k, v in query if k == name]
            if len(values) != 1:
                problems.append(f"query {name} sent {len(values)} times")
                continue
        value = values[0]
        if len(value) < rules.get("minLength", 0):
            problems.append(f"{name} shorter than {rules['minLength']}")
        if "maxLength" in rules and len(value) > rules["maxLength"]:
            problems.append(f"{name} longer than {rules['maxLength']}")
        if "pattern" in rules and not re.search(rules["pattern"], value, re.ASCII):
            problems.append(f"{name} does not match {rules['pattern']}")
        if rules.get("format") == "uuid" and not UUID.fullmatch(value):
            problems.append(f"{name} is not a uuid")
    problems += [
        f"undeclared query parameter {k!r}" for k, _ in query if ("query", k) not in declared
    ]
    return problems


def test_the_judge_tells_a_valid_request_from_a_broken_one() -> None:
    def item(group: str, account: str, api_version: str = "2026-08-01") -> Outgoing:
        url = f"{BASE}/subscriptions/{PINS['subscriptionId']}/resourceGroups/{group}/providers/"
        return Outgoing(
            "negative",
            "POST",
            url + f"Microsoft.Batch/batchAccounts/{account}/listKeys",
            {"api-version": api_version},
            {},
            "",
        )

    assert broken(BUNDLED, item("rg-1_(x)", "acct1")) == []
    assert broken(BUNDLED, item("r%C3%A9", "acct1")) == [
        r"resourceGroupName does not match ^[-\w\._\(\)]+$"
    ]
    assert broken(BUNDLED, item("rg", "ab")) == ["accountName shorter than 3"]
    assert broken(BUNDLED, item("rg", "acct1", api_version="")) == ["api-version shorter than 1"]
    dropped = item("rg", "acct1")
    dropped.params.update({"": [], "x": [[], []], "&": [{}], "y": ["1"]})
    assert broken(BUNDLED, dropped) == ["undeclared query parameter 'y'"]
    assert valueless_extras(BUNDLED, dropped) == ["", "x", "&"]


@pytest.mark.parametrize("negative", [False, True])
def test_cases_are_distinct_and_as_many_as_asked(negative: bool) -> None:
    schema = adapter.schemathesis_schema(BUNDLED, BASE, pinned=None if negative else PINS)
    cases = draw_cases(schema, count=40, negative=negative)
    assert len(cases) == 40
    keys = {(c.formatted_path, repr(sorted((c.query or {}).items()))) for c in cases}
    assert len(keys) == 40


def test_positive_cases_keep_the_pins_and_meet_every_constraint() -> None:
    schema = adapter.schemathesis_schema(BUNDLED, BASE, pinned=PINS)
    for case in draw_cases(schema, count=60, negative=False):
        item = outgoing(case, BASE, "positive")
        path, query = wire(item)
        assert path["subscriptionId"] == PINS["subscriptionId"]
        assert query == [("api-version", PINS["api-version"])]
        assert broken(BUNDLED, item) == [], item.url


def valueless_extras(loaded: LoadedSpec, item: Outgoing) -> list[str]:
    """Undeclared query parameters drawn with a value that sends nothing ([], [[], []], [{}]).

    schemathesis negates `additionalProperties` this way now and then, and such a case reaches
    the server without its break. Known, upstream's (the engine sends the same), and independent
    of what the kit hands schemathesis.
    """
    declared = {p["name"] for p in loaded.operation["parameters"] if p["in"] == "query"}
    return [
        name
        for name, value in item.params.items()
        if name not in declared
        and "?" not in str(requests.Request("GET", BASE, params={name: value}).prepare().url)
    ]


@pytest.mark.parametrize("loader", [spec.load_bundled, spec.load_seed])
def test_negative_cases_break_a_constraint_of_the_loaded_spec(loader: Any) -> None:
    # Judged against the spec as loaded, x-ms-* keys included: what schemathesis is handed
    # without them must still yield only requests that break the contract.
    loaded = loader()
    schema = adapter.schemathesis_schema(loaded, BASE)
    cases = draw_cases(schema, count=80, negative=True)
    assert len(cases) == 80
    for case in cases:
        item = outgoing(case, BASE, "negative")
        assert broken(loaded, item) or valueless_extras(loaded, item), (
            f"negative case meets the contract: {item.url} {item.params}"
        )
