"""Conformance: `template.yaml` against docs/architecture.md and the repository layout.

One route <-> one integration <-> one function <-> `functions/<dir>/app.py` <->
`events/<dir>.json` <-> `tests/integration/test_<dir>.py` (STYLE §4.1), plus the template rules
the code relies on: SourceArn on every permission, the TTL attribute, two-way route responses,
management-API rights only where a function posts, and every setting present in Globals.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from opensock.adapters.dynamodb.keys import CHANNEL_EVENT_ATTRIBUTE, TTL_ATTRIBUTE
from opensock.config import SIGNING_METHODS, load_settings
from tools.cfn_yaml import load_template

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = load_template(ROOT / "template.yaml")
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]
GLOBAL_ENV: dict[str, Any] = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]

# Functions whose `tests/integration/test_<dir>.py` does not exist yet. Remove a name in the
# change that adds its test: this check fails when a test is missing and also when a listed
# test exists, so the list can only shrink.
PENDING_TESTS: frozenset[str] = frozenset()

# docs/architecture.md "Functions": route key -> function folder.
ROUTES = {
    "$connect": "connect",
    "$disconnect": "disconnect",
    "$default": "default",
    "hotsock.subscribe": "subscribe",
    "hotsock.unsubscribe": "unsubscribe",
    "hotsock.channelStorageSet": "channel_storage_set",
    "hotsock.channelStorageGet": "channel_storage_get",
    "hotsock.umdUpdate": "umd_update",
    "hotsock.messageReaction": "message_reaction",
}
ONE_WAY_ROUTES = frozenset({"$connect", "$disconnect"})
# Routes API Gateway answers itself (MOCK integration, no function): route key -> the
# `$default` response template of a two-way one, None for a one-way one (app/liveness.py).
MOCK_ROUTES: dict[str, str | None] = {
    "hotsock.ping": '{"event":"hotsock.pong","data":"{}"}',
    "hotsock.heartbeat": None,
    "hotsock.pong": None,
}
OTHER_FUNCTIONS = {
    "ConnectedFunction": "connected",
    "PublishFunction": "publish",
    "HttpApiFunction": "http_api",
    "FanoutFunction": "fanout",
    "ScheduledFunction": "scheduled",
    "StreamFunction": "stream",
    "WebConsoleFunction": "web_console",
    "LivenessFunction": "liveness",
    "HttpApiSecretKeysFunction": "http_api_secret_keys",
    "InstallationInfoFunction": "installation_info",
}

# Functions that post frames through the management API (and so need ManageConnections).
# ConnectFunction must not: API Gateway refuses posts before `$connect` has returned;
# ChannelStorageGetFunction answers with its body only.
POSTING_FUNCTIONS = frozenset(
    {
        "DisconnectFunction",
        "DefaultFunction",
        "SubscribeFunction",
        "UnsubscribeFunction",
        "ChannelStorageSetFunction",
        "UmdUpdateFunction",
        "MessageReactionFunction",
        "ConnectedFunction",
        "PublishFunction",
        "HttpApiFunction",
        "FanoutFunction",
        "ScheduledFunction",
        "StreamFunction",  # exact storage expiry posts the clear to observers
        "LivenessFunction",
    }
)
MANAGE_CONNECTIONS_ARN = (
    "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${Api}/v1/*/@connections/*"
)

# Hotsock's names (SERVER-API §7, §8).
PARAMETERS = frozenset(
    {
        "SigningKey1MethodParameter",
        "SigningKey1IDParameter",
        "SigningKey1EncodedParameter",
        "SigningKey2MethodParameter",
        "SigningKey2IDParameter",
        "SigningKey2EncodedParameter",
        "TokenAudienceParameter",
        "TokenIssuerParameter",
        "PublishEventsToEventBridgeParameter",
        "PublishEventsToSNSParameter",
        "LogLevelParameter",
        "LogRetentionDaysParameter",
        "MessageDataTableChannelEventGSIParameter",
        "TracesInLogsSampleRateParameter",
    }
)
# SERVER-API §8 less what does not apply (AutoUpdateInstallation, LicensingUrl) and what another
# feature adds (WebConsoleHttpUrl, with the web console), plus our own.
OUTPUTS = frozenset(
    {
        "WebSocketsAwsWssUrl",
        "WebSocketsCustomDomainWssUrl",
        "WebSocketsCustomDomainRegionalDomainName",
        "WebSocketsCustomDomainRegionalHostedZoneId",
        "PublishFunctionArn",
        "PublishHttpApiUrl",
        "HttpApiUrl",
        "HttpApiSecretKey1ConsoleUrl",
        "HttpApiSecretKey2ConsoleUrl",
        "PubSubBusArn",
        "PubSubTopicArn",
        "InstallationVersion",
        "MonitoringOverviewDashboardUrl",
        "TableName",
        "ScheduleGroupName",
        "WebConsoleHttpUrl",
    }
)


def of_type(resource_type: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in RESOURCES.items() if r["Type"] == resource_type}


FUNCTIONS = of_type("AWS::Serverless::Function")


def props(logical_id: str) -> dict[str, Any]:
    properties: dict[str, Any] = RESOURCES[logical_id]["Properties"]
    return properties


def prefix_of(route_key: str) -> str:
    """Logical-id prefix: `hotsock.channelStorageSet` -> `ChannelStorageSet`."""
    name = route_key.removeprefix("hotsock.").removeprefix("$")
    return name[0].upper() + name[1:]


CONDITIONS = TEMPLATE["Conditions"]


def folder_of(function_id: str) -> str:
    code_uri = str(props(function_id)["CodeUri"])
    match = re.fullmatch(r"functions/([a-z0-9_]+)/", code_uri)
    assert match, f"{function_id}: CodeUri {code_uri!r} is not functions/<dir>/"
    return match.group(1)


def referenced_ids(node: Any) -> Iterator[str]:
    """Logical ids (and pseudo parameters) a node refers to via Ref, GetAtt or Sub."""
    if isinstance(node, list):
        for item in node:
            yield from referenced_ids(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref":
                yield str(value)
            elif key == "Fn::GetAtt":
                yield value[0] if isinstance(value, list) else str(value).split(".")[0]
            elif key == "Fn::Sub":
                text, variables = (value, {}) if isinstance(value, str) else value
                for name in re.findall(r"\$\{([^!}][^}]*)\}", text):
                    yield name.split(".")[0]
                yield from referenced_ids(variables)
            else:
                yield from referenced_ids(value)


def statements(node: Any) -> Iterator[dict[str, Any]]:
    """Every IAM statement (a mapping with Effect and Action) inside a Policies list."""
    if isinstance(node, list):
        for item in node:
            yield from statements(item)
    elif isinstance(node, dict):
        if "Effect" in node and "Action" in node:
            yield node
        else:
            for value in node.values():
                yield from statements(value)


def actions(statement: Mapping[str, Any]) -> set[str]:
    action = statement["Action"]
    return {action} if isinstance(action, str) else set(action)


# --- routes -----------------------------------------------------------------------------------


def test_route_keys_are_the_documented_set() -> None:
    keys = {r["Properties"]["RouteKey"] for r in of_type("AWS::ApiGatewayV2::Route").values()}
    assert keys == set(ROUTES) | set(MOCK_ROUTES)


@pytest.mark.parametrize("route_key", sorted(MOCK_ROUTES))
def test_mock_routes_answer_without_a_function(route_key: str) -> None:
    # GIVEN a liveness route: API Gateway answers it alone (PROTOCOL §7.8-§7.10)
    prefix = prefix_of(route_key)
    route, integration = props(f"{prefix}Route"), props(f"{prefix}Integration")
    assert route["RouteKey"] == route_key
    assert route["Target"] == {"Fn::Sub": f"integrations/${{{prefix}Integration}}"}
    assert integration["IntegrationType"] == "MOCK"
    assert integration["RequestTemplates"] == {"$default": '{"statusCode": 200}'}
    responses = [
        r["Properties"]
        for r in of_type("AWS::ApiGatewayV2::IntegrationResponse").values()
        if r["Properties"]["IntegrationId"] == {"Ref": f"{prefix}Integration"}
    ]
    route_responses = [
        r["Properties"]
        for r in of_type("AWS::ApiGatewayV2::RouteResponse").values()
        if r["Properties"]["RouteId"] == {"Ref": f"{prefix}Route"}
    ]
    expected = MOCK_ROUTES[route_key]
    if expected is None:  # one-way: nothing is sent back
        assert responses == [] and route_responses == []
        assert "RouteResponseSelectionExpression" not in route
    else:  # exactly the documented frame, byte for byte
        (response,) = responses
        assert response["ResponseTemplates"] == {"$default": expected}
        assert json.loads(expected) == {"event": "hotsock.pong", "data": "{}"}
        assert [r["RouteResponseKey"] for r in route_responses] == ["$default"]


def test_api_selects_routes_on_the_event_field() -> None:
    api = props("Api")
    assert api["ProtocolType"] == "WEBSOCKET"
    assert api["RouteSelectionExpression"] == "$request.body.event"


@pytest.mark.parametrize("route_key", sorted(ROUTES))
def test_route_integration_function_folder_event_chain(route_key: str) -> None:
    # GIVEN the route's logical-id prefix and documented folder
    prefix, folder = prefix_of(route_key), ROUTES[route_key]
    # WHEN following Route -> Integration -> Function
    route = props(f"{prefix}Route")
    integration = props(f"{prefix}Integration")
    # THEN every link points at the next one
    assert route["RouteKey"] == route_key
    assert route["ApiId"] == {"Ref": "Api"}
    assert route["Target"] == {"Fn::Sub": f"integrations/${{{prefix}Integration}}"}
    assert integration["IntegrationType"] == "AWS_PROXY"
    assert f"${{{prefix}Function.Arn}}" in integration["IntegrationUri"]["Fn::Sub"]
    assert folder_of(f"{prefix}Function") == folder
    handler = ROOT / "functions" / folder / "app.py"
    assert "def lambda_handler(" in handler.read_text(encoding="utf-8")
    event = json.loads((ROOT / "events" / f"{folder}.json").read_text(encoding="utf-8"))
    assert event["requestContext"]["routeKey"] == route_key
    permission = props(f"{prefix}Permission")
    assert permission["FunctionName"] == {"Ref": f"{prefix}Function"}
    assert permission["Principal"] == "apigateway.amazonaws.com"
    assert "Api" in set(referenced_ids(permission["SourceArn"]))


@pytest.mark.parametrize("route_key", sorted(ROUTES))
def test_two_way_routes_have_a_default_route_response(route_key: str) -> None:
    prefix = prefix_of(route_key)
    responses = [
        r["Properties"]
        for r in of_type("AWS::ApiGatewayV2::RouteResponse").values()
        if r["Properties"]["RouteId"] == {"Ref": f"{prefix}Route"}
    ]
    selection = props(f"{prefix}Route").get("RouteResponseSelectionExpression")
    if route_key in ONE_WAY_ROUTES:
        assert responses == []
        assert selection is None
    else:
        assert [r["RouteResponseKey"] for r in responses] == ["$default"]
        assert selection == "$default"


def test_connect_takes_the_token_from_the_query_string_without_an_authorizer() -> None:
    route = props("ConnectRoute")
    assert route["AuthorizationType"] == "NONE"
    assert "AuthorizerId" not in route
    assert route["RequestParameters"] == {"route.request.querystring.token": {"Required": False}}


def test_every_lambda_permission_has_a_source_arn() -> None:
    permissions = of_type("AWS::Lambda::Permission")
    assert permissions
    for name, permission in permissions.items():
        assert permission["Properties"].get("SourceArn"), f"{name} has no SourceArn"


def test_stage_v1_deploys_after_every_route() -> None:
    stage = RESOURCES["Stage"]
    assert stage["Properties"]["StageName"] == "v1"
    assert stage["Properties"]["AutoDeploy"] is True
    assert set(stage["DependsOn"]) == set(of_type("AWS::ApiGatewayV2::Route"))
    assert GLOBAL_ENV["WEBSOCKET_CALLBACK_URL"]["Fn::Sub"].endswith("/v1")


# --- functions ----------------------------------------------------------------------------------


def test_function_set_is_the_documented_one() -> None:
    route_functions = {f"{prefix_of(key)}Function": folder for key, folder in ROUTES.items()}
    assert {name: folder_of(name) for name in FUNCTIONS} == route_functions | OTHER_FUNCTIONS


@pytest.mark.parametrize("function_id", sorted(FUNCTIONS))
def test_function_has_folder_event_log_group_and_fixed_name(function_id: str) -> None:
    folder = folder_of(function_id)
    properties = props(function_id)
    assert properties["Handler"] == "app.lambda_handler"
    assert (ROOT / "functions" / folder / "app.py").is_file()
    json.loads((ROOT / "events" / f"{folder}.json").read_text(encoding="utf-8"))
    log_groups = [
        r["Properties"]
        for r in of_type("AWS::Logs::LogGroup").values()
        if r["Properties"]["LogGroupName"] == {"Fn::Sub": f"/aws/lambda/${{{function_id}}}"}
    ]
    assert len(log_groups) == 1, f"{function_id} needs exactly one LogGroup"
    assert log_groups[0]["RetentionInDays"] == {"Ref": "LogRetentionDaysParameter"}
    own_group = next(
        r for r in of_type("AWS::Logs::LogGroup").values() if r["Properties"] is log_groups[0]
    )
    condition = own_group["Condition"]
    if function_id == "WebConsoleFunction":  # an optional function: both conditions
        assert condition == "WebConsoleOwnLogs"
        assert CONDITIONS["WebConsoleOwnLogs"] == {
            "Fn::And": [{"Condition": "WebConsoleEnabled"}, {"Condition": "PerFunctionLogs"}]
        }
    else:
        assert condition == "PerFunctionLogs", "only when logs are not consolidated"
    name = folder.replace("_", "-")
    assert properties["FunctionName"] == {"Fn::Sub": f"${{AWS::StackName}}-{name}"}
    assert "Environment" not in properties, "settings live in Globals only"


def test_every_function_folder_is_in_the_template() -> None:
    folders = {p.parent.name for p in (ROOT / "functions").glob("*/app.py")}
    assert folders == {folder_of(name) for name in FUNCTIONS}


def test_integration_tests_exist_except_pending() -> None:
    missing = {
        folder_of(name)
        for name in FUNCTIONS
        if not (ROOT / "tests" / "integration" / f"test_{folder_of(name)}.py").is_file()
    }
    assert sorted(missing - PENDING_TESTS) == [], "add tests/integration/test_<dir>.py"
    assert sorted(PENDING_TESTS - missing) == [], "these exist now: drop them from PENDING_TESTS"


def test_manage_connections_only_for_functions_that_post() -> None:
    granted = set()
    for name in FUNCTIONS:
        for statement in statements(props(name).get("Policies", [])):
            if "execute-api:ManageConnections" in actions(statement):
                assert statement["Resource"] == {"Fn::Sub": MANAGE_CONNECTIONS_ARN}
                granted.add(name)
    assert granted == POSTING_FUNCTIONS
    assert "ConnectFunction" not in granted


def test_connect_may_invoke_only_the_connected_function() -> None:
    policies = props("ConnectFunction")["Policies"]
    invoke = [p["LambdaInvokePolicy"] for p in policies if "LambdaInvokePolicy" in p]
    assert invoke == [{"FunctionName": props("ConnectedFunction")["FunctionName"]}]
    others = [n for n in FUNCTIONS if n != "ConnectFunction"]
    assert not any("LambdaInvokePolicy" in str(props(n).get("Policies")) for n in others)


def test_fanout_reads_the_fifo_queue_one_batch_at_a_time() -> None:
    queue = props("FanoutQueue")
    assert queue["FifoQueue"] is True
    assert queue["VisibilityTimeout"] >= 6 * props("FanoutFunction")["Timeout"]
    source = props("FanoutFunction")["Events"]["FanoutBatch"]
    assert source["Type"] == "SQS"
    assert source["Properties"]["Queue"] == {"Fn::GetAtt": ["FanoutQueue", "Arn"]}
    assert source["Properties"]["BatchSize"] == 1
    assert source["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_liveness_reads_delayed_timers_and_sweeps_every_interval() -> None:
    queue = props("LivenessQueue")
    assert "FifoQueue" not in queue  # per-message DelaySeconds needs a standard queue
    assert queue["VisibilityTimeout"] >= 6 * props("LivenessFunction")["Timeout"]
    events = props("LivenessFunction")["Events"]
    assert events["Timers"]["Properties"]["Queue"] == {"Fn::GetAtt": ["LivenessQueue", "Arn"]}
    assert events["Timers"]["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    sweep = events["Sweep"]
    assert sweep["Type"] == "ScheduleV2"
    assert sweep["Properties"]["ScheduleExpression"] == "rate(1 minute)"
    assert GLOBAL_ENV["SWEEP_INTERVAL_SECONDS"] == "60"


def test_client_http_api_times_out_after_five_seconds() -> None:
    # SERVER-API §4.1: "Timeout: 5 s (v1.3.0)"; the Globals' 10 s is for the WebSocket routes.
    assert props("HttpApiFunction")["Timeout"] == 5


def test_stream_sees_only_ttl_removals() -> None:
    source = props("StreamFunction")["Events"]["TtlRemovals"]["Properties"]
    assert source["Stream"] == {"Fn::GetAtt": ["Table", "StreamArn"]}
    (pattern,) = [json.loads(f["Pattern"]) for f in source["FilterCriteria"]["Filters"]]
    assert pattern == {
        "eventName": ["REMOVE"],
        "userIdentity": {"type": ["Service"], "principalId": ["dynamodb.amazonaws.com"]},
    }
    assert source["BisectBatchOnFunctionError"] is True
    assert source["DestinationConfig"]["OnFailure"]["Type"] == "SQS"


# --- table ------------------------------------------------------------------------------------


def test_table_matches_the_data_model() -> None:
    table = props("Table")
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert {k["AttributeName"]: k["KeyType"] for k in table["KeySchema"]} == {
        "pk": "HASH",
        "sk": "RANGE",
    }
    index, optional, sweep = table["GlobalSecondaryIndexes"]
    assert index["IndexName"] == "gsi1"
    assert [k["AttributeName"] for k in index["KeySchema"]] == ["gsi1pk", "gsi1sk"]
    assert index["Projection"] == {"ProjectionType": "ALL"}
    # the sweep index (app/liveness.py): connection items only, keys only
    assert sweep["IndexName"] == "gsi2"
    assert [k["AttributeName"] for k in sweep["KeySchema"]] == ["gsi2pk", TTL_ATTRIBUTE]
    assert sweep["Projection"] == {"ProjectionType": "KEYS_ONLY"}
    assert table["StreamSpecification"] == {"StreamViewType": "OLD_IMAGE"}
    # MessageDataTableChannelEventGSIParameter: the channel+event index, off by default
    condition, event_index, absent = optional["Fn::If"]
    assert condition == "MessageChannelEventIndexEnabled" and absent == {"Ref": "AWS::NoValue"}
    assert event_index["IndexName"] == "channelEvent"
    assert [k["AttributeName"] for k in event_index["KeySchema"]] == [CHANNEL_EVENT_ATTRIBUTE, "sk"]
    assert TEMPLATE["Parameters"]["MessageDataTableChannelEventGSIParameter"]["Default"] == (
        "disabled"
    )


def test_ttl_attribute_is_the_one_the_code_writes() -> None:
    ttl = props("Table")["TimeToLiveSpecification"]
    assert ttl == {"AttributeName": "expiresAt", "Enabled": True}
    assert ttl["AttributeName"] == TTL_ATTRIBUTE  # opensock/store/keys.py


# --- environment --------------------------------------------------------------------------------


class RecordingEnviron(Mapping[str, str]):
    """An environment that answers every name and records which names were read."""

    def __init__(self) -> None:
        self.read: set[str] = set()

    def __getitem__(self, name: str) -> str:
        self.read.add(name)
        return "HS256" if name.endswith("_METHOD") else "1"

    def __iter__(self) -> Iterator[str]:
        raise AssertionError("load_settings must read names, not list the environment")

    def __len__(self) -> int:
        raise AssertionError("load_settings must read names, not list the environment")


def names_read_by_settings() -> set[str]:
    environ = RecordingEnviron()
    with contextlib.suppress(ValueError):  # only the names matter, not the sample values
        load_settings(environ)
    return environ.read


def test_globals_set_every_variable_the_settings_read() -> None:
    # AWS_* (region) come from the Lambda runtime and cannot be set in a template.
    needed = {name for name in names_read_by_settings() if not name.startswith("AWS_")}
    assert needed, "load_settings read nothing"
    assert needed - set(GLOBAL_ENV) == set()


def test_globals_set_nothing_that_no_code_reads() -> None:
    unread = set(GLOBAL_ENV) - names_read_by_settings()
    assert {name for name in unread if not name.startswith("POWERTOOLS_")} == set()


def test_globals_set_every_documented_variable() -> None:
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = doc.split("## Environment", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]*\*?)`", section))
    assert documented
    for name in documented:
        if name.endswith("*"):
            assert any(v.startswith(name[:-1]) for v in GLOBAL_ENV), name
        else:
            assert name in GLOBAL_ENV, name


def test_globals_reference_no_function() -> None:
    # A function referenced from Globals would be a dependency of every function: a cycle.
    referenced = set(referenced_ids(TEMPLATE["Globals"]))
    assert referenced & set(FUNCTIONS) == set()


def test_function_names_in_env_match_the_fixed_function_names() -> None:
    connected = props("ConnectedFunction")["FunctionName"]["Fn::Sub"]
    scheduled = props("ScheduledFunction")["FunctionName"]["Fn::Sub"]
    assert GLOBAL_ENV["CONNECTED_FUNCTION_NAME"] == {"Fn::Sub": connected}
    assert GLOBAL_ENV["SCHEDULED_FUNCTION_ARN"]["Fn::Sub"].endswith(f":function:{scheduled}")
    invoke = props("SchedulerRole")["Policies"][0]["PolicyDocument"]["Statement"][0]
    assert {"Fn::Sub": GLOBAL_ENV["SCHEDULED_FUNCTION_ARN"]["Fn::Sub"]} in invoke["Resource"]


# --- parameters and outputs -------------------------------------------------------------------


def test_hotsock_parameters_and_outputs_exist() -> None:
    assert set(TEMPLATE["Parameters"]) >= PARAMETERS
    assert set(TEMPLATE["Outputs"]) >= OUTPUTS


def test_signing_parameters_match_the_settings_model() -> None:
    parameters = TEMPLATE["Parameters"]
    assert set(parameters["SigningKey1MethodParameter"]["AllowedValues"]) == SIGNING_METHODS
    assert set(parameters["SigningKey2MethodParameter"]["AllowedValues"]) == {
        "",
        *SIGNING_METHODS,
    }
    assert parameters["SigningKey1EncodedParameter"]["NoEcho"] is True
    assert parameters["SigningKey2EncodedParameter"]["NoEcho"] is True


# --- sample events ----------------------------------------------------------------------------

EVENT_MODELS = {
    "connect": "APIGatewayWebSocketConnectEventModel",
    "disconnect": "APIGatewayWebSocketDisconnectEventModel",
    "default": "APIGatewayWebSocketMessageEventModel",
    "subscribe": "APIGatewayWebSocketMessageEventModel",
    "unsubscribe": "APIGatewayWebSocketMessageEventModel",
    "channel_storage_set": "APIGatewayWebSocketMessageEventModel",
    "channel_storage_get": "APIGatewayWebSocketMessageEventModel",
    "umd_update": "APIGatewayWebSocketMessageEventModel",
    "publish_http": "LambdaFunctionUrlModel",
    "http_api": "LambdaFunctionUrlModel",
    "fanout": "SqsModel",
    "stream": "DynamoDBStreamModel",
}


@pytest.mark.parametrize("name", sorted(EVENT_MODELS))
def test_sample_event_has_the_aws_shape(name: str) -> None:
    from aws_lambda_powertools.utilities.parser import models

    event = json.loads((ROOT / "events" / f"{name}.json").read_text(encoding="utf-8"))
    getattr(models, EVENT_MODELS[name]).model_validate(event)


# --- operator surface (issue #18) -------------------------------------------------------------


def test_logs_go_to_one_group_by_default_with_the_documented_levels() -> None:
    parameters = TEMPLATE["Parameters"]
    assert parameters["ConsolidateLogsParameter"]["Default"] == "enabled"
    assert parameters["LogRetentionDaysParameter"]["Default"] == 90
    assert parameters["LogLevelParameter"]["AllowedValues"] == ["DEBUG", "INFO", "WARN", "ERROR"]
    assert parameters["LogLevelParameter"]["Default"] == "INFO"
    assert parameters["SystemLogLevelParameter"]["AllowedValues"] == ["DEBUG", "INFO", "WARN"]
    assert parameters["SystemLogLevelParameter"]["Default"] == "WARN"
    logging = TEMPLATE["Globals"]["Function"]["LoggingConfig"]
    assert logging["LogGroup"] == {
        "Fn::If": ["ConsolidatedLogs", {"Ref": "LogGroup"}, {"Ref": "AWS::NoValue"}]
    }
    assert logging["ApplicationLogLevel"] == {"Ref": "LogLevelParameter"}
    assert logging["SystemLogLevel"] == {"Ref": "SystemLogLevelParameter"}
    group = RESOURCES["LogGroup"]
    assert group["Condition"] == "ConsolidatedLogs"
    assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDaysParameter"}


def test_trace_sampling_parameter_reaches_the_settings() -> None:
    rate = TEMPLATE["Parameters"]["TracesInLogsSampleRateParameter"]
    assert (rate["Default"], rate["MinValue"], rate["MaxValue"]) == (1, 0, 100)
    assert GLOBAL_ENV["TRACES_IN_LOGS_SAMPLE_RATE"] == {"Ref": "TracesInLogsSampleRateParameter"}


def test_websocket_endpoints_are_dual_stack() -> None:
    assert props("Api")["IpAddressType"] == "dualstack"
    (config,) = props("WebSocketsCustomDomain")["DomainNameConfigurations"]
    assert config["IpAddressType"] == "dualstack"
    assert RESOURCES["WebSocketsCustomDomain"]["Condition"] == "CustomDomainEnabled"
    assert RESOURCES["WebSocketsCustomDomainMapping"]["Condition"] == "CustomDomainEnabled"


def test_installation_version_is_the_package_version() -> None:
    import tomllib

    import opensock

    mapped = TEMPLATE["Mappings"]["Installation"]["Opensock"]["Version"]
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert mapped == opensock.__version__ == pyproject["project"]["version"]
    assert TEMPLATE["Outputs"]["InstallationVersion"]["Value"] == {
        "Fn::FindInMap": ["Installation", "Opensock", "Version"]
    }


def test_generated_keys_live_where_the_functions_read_them() -> None:
    keys = props("HttpApiSecretKeys")
    assert keys["ServiceToken"] == {"Fn::GetAtt": ["HttpApiSecretKeysFunction", "Arn"]}
    assert keys["ParameterPath"] == GLOBAL_ENV["API_KEYS_PARAMETER_PATH"]
    for number, name in enumerate(keys["KeyNames"], start=1):
        url = TEMPLATE["Outputs"][f"HttpApiSecret{name.title()}ConsoleUrl"]["Value"]["Fn::Sub"]
        assert url.endswith(f"%252F{name}/description?region=${{AWS::Region}}&tab=Table")
        assert name == f"key{number}"
