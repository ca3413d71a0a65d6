"""Fidelity: each row states one behaviour of Azure (request -> status, code, header shapes) with
its source, and runs it against the simulator.

Sources are sections of shared/reference/azure-listkeys-facts.md ("facts §n") unless named.
Rows marked UNCONFIRMED follow the best evidence and stay configurable (docs/simulator.md).
"""

from __future__ import annotations

import dataclasses
import http.client
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
import requests
from requests.structures import CaseInsensitiveDict

from pytest_batchkeys.secrets import placeholders
from pytest_batchkeys.simulator import ErrorChoice, Simulator, SimulatorConfig, Throttle

TIMEOUT = 10
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
GZIP = {"Accept-Encoding": "gzip, deflate"}
IDENTITY = {"Accept-Encoding": "identity"}

#: Headers every ARM answer carries in both profiles (facts §6.4 and §8).
ARM_COMMON = {
    "Cache-Control": "no-cache",
    "Pragma": "no-cache",
    "Expires": "-1",
    "Content-Type": "application/json; charset=utf-8",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "X-Content-Type-Options": "nosniff",
    "x-ms-request-id": UUID,
    "x-ms-correlation-request-id": UUID,
    "x-ms-routing-request-id": rf"EASTUS:\d{{8}}T\d{{6}}Z:{UUID}",
}
#: The 2024+ additions (facts §8 "2024+ header set").
EDGE_2024 = {
    "X-Cache": "CONFIG_NOCACHE",
    "X-MSEdge-Ref": r"Ref A: [0-9A-F]{32} Ref B: [A-Z0-9]+ Ref C: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ",
    "x-ms-operation-identifier": rf"tenantId={UUID},objectId={UUID}/eastus/{UUID}",
}


def listkeys(
    account: str = placeholders.ACCOUNT_NAME,
    *,
    group: str = placeholders.RESOURCE_GROUP,
    api_version: str | None = "2026-08-01",
    token: bool = True,
    headers: dict[str, str] | None = None,
) -> Callable[[Simulator], requests.Response]:
    """A listKeys POST as an SDK sends it (empty body), with a token unless `token=False`."""

    def call(sim: Simulator) -> requests.Response:
        sent = {"x-ms-client-request-id": "5a1c1e77-0000-4000-8000-00000000c11e", **(headers or {})}
        if token:
            sent["Authorization"] = f"Bearer {sim.issue_token()}"
        url = sim.listkeys_url(account, resource_group=group, api_version=api_version)
        return requests.post(url, headers=sent, timeout=TIMEOUT)

    return call


def throttled(sim: Simulator) -> requests.Response:
    """Empty a one-write bucket, then ask again."""
    listkeys()(sim)
    return listkeys()(sim)


def token_request(sim: Simulator) -> requests.Response:
    """A client-credentials request as MSAL sends it (with client-request-id)."""
    data = {
        "client_id": "any",
        "client_secret": "any",
        "grant_type": "client_credentials",
        "scope": "https://management.azure.com/.default",
    }
    headers = {"client-request-id": "0c1e0000-1111-4222-8333-444455556666"}
    return requests.post(sim.token_url(), data=data, headers=headers, timeout=TIMEOUT)


def two_on_one_connection(sim: Simulator) -> requests.Response:
    """Two listKeys on one HTTP/1.1 connection, as pooling clients (urllib3, azure-core) send
    them; the second answer, with `same_connection` telling whether it came over the first
    one's socket (http.client drops the socket after an answer that says `Connection: close`)."""
    conn = http.client.HTTPConnection("127.0.0.1", sim.port, timeout=TIMEOUT)
    path = sim.listkeys_url().removeprefix(sim.url)
    try:
        answers = []
        for _ in range(2):
            headers = {"Authorization": f"Bearer {sim.issue_token()}", **IDENTITY}
            conn.request("POST", path, body=b"", headers=headers)
            answer = conn.getresponse()
            response = requests.Response()
            response.status_code = answer.status
            response.headers = CaseInsensitiveDict(answer.getheaders())
            response._content = answer.read()
            answers.append((response, conn.sock))
        (first, first_sock), (second, second_sock) = answers
        second.same_connection = first_sock is not None and first_sock is second_sock  # type: ignore[attr-defined]
        second.first_answer = first  # type: ignore[attr-defined]
        return second
    finally:
        conn.close()


@dataclass(frozen=True)
class Row:
    """One behaviour: the request, what Azure answers, and where that is written down."""

    name: str
    source: str
    call: Callable[[Simulator], requests.Response]
    status: int
    code: str | None = None
    headers: dict[str, str] = field(default_factory=dict)  # name -> regex of the whole value
    absent: tuple[str, ...] = ()
    error: dict[str, str] = field(default_factory=dict)  # error field -> regex of the value
    config: Callable[[], SimulatorConfig] = SimulatorConfig
    #: the call sent two requests on one connection: both answers checked, the socket reused
    same_connection: bool = False


ROWS = [
    Row(
        "listKeys 200, 2024+ headers (default profile)",
        "facts §8 '2024+ header set', 'Ids', 'Rate-limit header' (2026 recording: 799, 11999)",
        listkeys(headers=IDENTITY),
        200,
        headers={
            **ARM_COMMON,
            **EDGE_2024,
            "Content-Length": r"\d+",
            "x-ms-ratelimit-remaining-subscription-writes": "799",
            "x-ms-ratelimit-remaining-subscription-global-writes": "11999",
        },
        absent=("Server", "x-ms-client-request-id", "Content-Encoding", "Vary", "retry-after-ms"),
    ),
    Row(
        "gzip + Vary when the request accepts gzip (2024 profile keeps Content-Length)",
        "facts §8 '2019-2023' (gzip with Vary: Accept-Encoding); test-proxy bodies are decoded",
        listkeys(headers=GZIP),
        200,
        headers={"Content-Encoding": "gzip", "Vary": "Accept-Encoding", "Content-Length": r"\d+"},
        absent=("Server", "Transfer-Encoding"),
    ),
    Row(
        "2019 profile: Microsoft-HTTPAPI/2.0, gzip chunked, 1199",
        "facts §6.4 (2022 vcrpy wire headers) and §8 '2019-2023'",
        listkeys(headers=GZIP),
        200,
        headers={
            **ARM_COMMON,
            "Server": "Microsoft-HTTPAPI/2.0",
            "Content-Encoding": "gzip",
            "Vary": "Accept-Encoding",
            "Transfer-Encoding": "chunked",
            "x-ms-ratelimit-remaining-subscription-writes": "1199",
        },
        absent=(
            "Content-Length",
            "X-Cache",
            "X-MSEdge-Ref",
            "x-ms-operation-identifier",
            "x-ms-ratelimit-remaining-subscription-global-writes",
            "x-ms-client-request-id",
        ),
        config=lambda: SimulatorConfig(header_profile="2019"),
    ),
    Row(
        "the client's correlation id is kept, its client-request-id is not echoed",
        "facts §6.4 ('equals the client's value or is generated by ARM') and §8 'Ids'",
        listkeys(headers={"x-ms-correlation-request-id": "c0441e1a-7e00-4000-8000-000000000001"}),
        200,
        headers={"x-ms-correlation-request-id": "c0441e1a-7e00-4000-8000-000000000001"},
        absent=("x-ms-client-request-id",),
    ),
    Row(
        "listKeys on a missing account: 404 AccountNotFound in the Batch RP's shape",
        "facts §8 'A Batch resource provider 404' (GET after delete; UNCONFIRMED for listKeys)",
        listkeys("ghostacct"),
        404,
        "AccountNotFound",
        headers=ARM_COMMON,
        absent=("x-ms-failure-cause",),
        error={
            "target": "BatchAccount",
            "message": rf"The specified account does not exist\.\nRequestId:{UUID}\n"
            r"Time:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z",
        },
    ),
    Row(
        "write bucket empty: 429 SubscriptionRequestsThrottled, Retry-After whole seconds",
        "facts §6.2 (request-limits-and-throttling.md) and §8 'Throttling (ARM)'",
        throttled,
        429,
        "SubscriptionRequestsThrottled",
        headers={**ARM_COMMON, "Retry-After": r"[1-9]\d*"},
        absent=("retry-after-ms",),
        error={
            "message": rf"Number of requests for subscription '{UUID}' and operation "
            r"'POST/SUBSCRIPTIONS/RESOURCEGROUPS/PROVIDERS/MICROSOFT\.BATCH/BATCHACCOUNTS"
            r"/LISTKEYS' exceeded the backend storage limit\. Please try again after '\d+' "
            r"seconds\."
        },
        config=lambda: SimulatorConfig(throttle=Throttle(capacity=1, refill_per_second=0.5)),
    ),
    Row(
        "api-version the provider does not serve: 400 NoRegisteredProviderFound",
        "facts §6.2 (provider types answer NoRegisteredProviderFound; UNCONFIRMED for Batch)",
        listkeys(api_version="2014-05-01-preview"),
        400,
        "NoRegisteredProviderFound",
        error={
            "message": r"No registered resource provider found for location 'eastus' and API "
            r"version '2014-05-01-preview' for type 'batchAccounts'\. The supported api-versions "
            r"are '2026-08-01, .*'\. The supported locations are 'eastus'\."
        },
    ),
    Row(
        "no api-version: 400 MissingApiVersionParameter",
        "facts §6.2",
        listkeys(api_version=None),
        400,
        "MissingApiVersionParameter",
    ),
    Row(
        "no Authorization: 401 AuthenticationFailed with a Bearer challenge",
        "facts §6.2 ('ArmChallenge' constants of the Azure SDKs)",
        listkeys(token=False),
        401,
        "AuthenticationFailed",
        headers={
            "WWW-Authenticate": r'Bearer authorization_uri="[^"]+", error="invalid_token", .*'
        },
        absent=("x-ms-operation-identifier",),
    ),
    Row(
        "a Unicode resource group name is valid: the lookup answers 404 ResourceGroupNotFound",
        "learn.microsoft.com resource group naming (Char.IsLetterOrDigit, '-', '_', '(', ')', '.')",
        listkeys(group="ørg"),
        404,
        "ResourceGroupNotFound",
    ),
    Row(
        "a resource group name ending in '.' is refused",
        "learn.microsoft.com resource group naming ('cannot end with .')",
        listkeys(group="rg."),
        400,
        "InvalidResourceGroupName",
    ),
    Row(
        "token endpoint: Entra headers, client-request-id echoed, no ARM headers",
        "issue 15 table, row 'token endpoint' (Entra: Cache-Control no-store, no-cache)",
        token_request,
        200,
        headers={
            "Cache-Control": "no-store, no-cache",
            "client-request-id": "0c1e0000-1111-4222-8333-444455556666",
            "x-ms-request-id": UUID,
        },
        absent=(
            "x-ms-ratelimit-remaining-subscription-writes",
            "x-ms-routing-request-id",
            "x-ms-correlation-request-id",
            "Server",
        ),
    ),
    Row(
        "HTTP/1.1 keep-alive: no Connection: close, a second request on the same connection",
        "facts §8 '2024+ header set' (no Connection header among the recorded response headers)",
        two_on_one_connection,
        200,
        headers={**ARM_COMMON, "Content-Length": r"\d+"},
        absent=("Connection",),
        same_connection=True,
    ),
]


def error_field(response: requests.Response, name: str) -> str:
    value = response.json()["error"].get(name)
    return value if isinstance(value, str) else repr(value)


@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
def test_row(row: Row) -> None:
    with Simulator(row.config()) as sim:
        response = row.call(sim)
    problems = []
    if response.status_code != row.status:
        problems.append(f"status {response.status_code}, expected {row.status}")
    if row.code is not None and error_field(response, "code") != row.code:
        problems.append(f"code {error_field(response, 'code')!r}, expected {row.code!r}")
    for name, pattern in row.headers.items():
        value = response.headers.get(name)
        if value is None or not re.fullmatch(pattern, value, re.DOTALL):
            problems.append(f"header {name}: {value!r} does not match {pattern!r}")
    problems += [f"header {name} must be absent" for name in row.absent if name in response.headers]
    if row.same_connection:
        first = response.first_answer  # type: ignore[attr-defined]
        problems += [
            f"first answer: header {name} must be absent"
            for name in row.absent
            if name in first.headers
        ]
        if not response.same_connection:  # type: ignore[attr-defined]
            problems.append("the second request did not travel on the first one's connection")
    for name, pattern in row.error.items():
        if not re.fullmatch(pattern, error_field(response, name), re.DOTALL):
            problems.append(f"error.{name}: {error_field(response, name)!r} !~ {pattern!r}")
    assert not problems, f"{row.name} (source: {row.source}): " + "; ".join(problems)


def test_x_ms_request_id_is_never_the_correlation_id() -> None:
    """source: facts §8 'Ids': two different UUIDs in every exchange."""
    with Simulator() as sim:
        answers = [listkeys()(sim), listkeys("ghostacct")(sim), listkeys(token=False)(sim)]
    for response in answers:
        ids = response.headers["x-ms-request-id"], response.headers["x-ms-correlation-request-id"]
        assert ids[0] != ids[1]
        assert response.headers["x-ms-routing-request-id"].endswith(":" + ids[1])


@pytest.mark.parametrize(
    ("profile", "writes", "global_writes"),
    [("2024", [799, 798, 797], [11999, 11998, 11997]), ("2019", [1199, 1198, 1197], None)],
)
def test_rate_limit_counters_start_where_azures_start_and_count_down_per_write(
    profile: str, writes: list[int], global_writes: list[int] | None
) -> None:
    """source: facts §8 'Rate-limit header' (1199 then 1198; 799 and 11999 in 2026)."""
    config = SimulatorConfig(header_profile=profile)  # type: ignore[arg-type]
    with Simulator(config) as sim:
        answers = [listkeys()(sim) for _ in range(3)]
        refused = listkeys(token=False)(sim)  # not a write: counts nothing
    seen = [int(r.headers["x-ms-ratelimit-remaining-subscription-writes"]) for r in answers]
    assert seen == writes
    assert int(refused.headers["x-ms-ratelimit-remaining-subscription-writes"]) == writes[-1]
    name = "x-ms-ratelimit-remaining-subscription-global-writes"
    if global_writes is None:
        assert all(name not in r.headers for r in answers)
    else:
        assert [int(r.headers[name]) for r in answers] == global_writes


def test_configured_counter_starts_override_the_profile() -> None:
    throttle = Throttle(remaining_writes=1199, remaining_global_writes=None)
    with Simulator(SimulatorConfig(throttle=throttle)) as sim:
        response = listkeys()(sim)
    assert response.headers["x-ms-ratelimit-remaining-subscription-writes"] == "1199"
    assert response.headers["x-ms-ratelimit-remaining-subscription-global-writes"] == "11999"


def test_operation_identifier_names_the_callers_tenant_and_object_id() -> None:
    """source: facts §8, 2026: tenantId=<guid>,objectId=<guid>/<region>/<guid>."""
    tenant = "3c2b1a09-8f7e-4d6c-b5a4-9382716f5e4d"
    with Simulator() as sim:
        principal = sim.set_permissions("caller", ["*"])
        principal.object_id = "0b1ec7ed-0000-4000-8000-000000000042"
        token = sim.issue_token("app", tenant=tenant, principal="caller")
        response = requests.post(
            sim.listkeys_url(), headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT
        )
    value = response.headers["x-ms-operation-identifier"]
    assert value.startswith(f"tenantId={tenant},objectId={principal.object_id}/eastus/")


def _broken(index: int, config: Callable[[], SimulatorConfig]) -> Row:
    return dataclasses.replace(ROWS[index], config=config)


@pytest.mark.parametrize(
    "row",
    [
        _broken(0, lambda: SimulatorConfig(header_profile="2019")),
        _broken(2, SimulatorConfig),
        _broken(
            4, lambda: SimulatorConfig(errors={"account_not_found": ErrorChoice(404, "NotFound")})
        ),
        _broken(
            4,
            lambda: SimulatorConfig(
                errors={"account_not_found": ErrorChoice(404, "AccountNotFound", "gateway")}
            ),
        ),
        _broken(
            5,
            lambda: SimulatorConfig(
                retry_after_ms=True, throttle=Throttle(capacity=1, refill_per_second=0.5)
            ),
        ),
        _broken(
            6,
            lambda: SimulatorConfig(
                errors={"unsupported_api_version": ErrorChoice(400, "InvalidApiVersionParameter")}
            ),
        ),
    ],
    ids=[
        "2019-as-default",
        "2024-as-2019",
        "code",
        "gateway-form",
        "retry-after-ms",
        "api-version",
    ],
)
def test_rows_fail_when_the_simulator_answers_the_old_way(row: Row) -> None:
    with pytest.raises(AssertionError, match=re.escape(row.source)):
        test_row(row)
