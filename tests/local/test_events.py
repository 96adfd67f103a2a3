"""Event shapes: the emulator's events parse with the Powertools models AWS events parse with."""

from __future__ import annotations

import json

from aws_lambda_powertools.utilities.parser import models

from tools.local import events, records

WS = events.WsContext(
    "Xy3dQe1EoAMCKpQ=", 1_767_225_600_000, "203.0.113.9", "ua/1", "127.0.0.1:8787", "v1", "api"
)


def test_websocket_events_match_the_api_gateway_models() -> None:
    connect = events.ws_connect(
        WS, [("Host", "h"), ("User-Agent", "ua/1")], [("token", "t"), ("a", "1"), ("a", "2")]
    )
    parsed = models.APIGatewayWebSocketConnectEventModel.model_validate(connect)
    assert parsed.request_context.connection_id == "Xy3dQe1EoAMCKpQ="
    assert connect["queryStringParameters"] == {"token": "t", "a": "2"}
    assert connect["multiValueQueryStringParameters"] == {"token": ["t"], "a": ["1", "2"]}
    message = events.ws_message(WS, "hotsock.subscribe", '{"event": "hotsock.subscribe"}')
    assert models.APIGatewayWebSocketMessageEventModel.model_validate(
        message
    ).request_context.message_id
    disconnect = events.ws_disconnect(WS, 1001, "Going away")
    parsed_disconnect = models.APIGatewayWebSocketDisconnectEventModel.model_validate(disconnect)
    assert parsed_disconnect.request_context.disconnect_status_code == 1001


def test_function_url_event_matches_the_lambda_url_model() -> None:
    facts = events.HttpRequestFacts(
        "POST",
        "/publish",
        "a=1",
        [("a", "1")],
        [("Content-Type", "application/json"), ("Cookie", "x=1")],
        b'{"channel": "c"}',
        "127.0.0.1",
        "abc",
    )
    event = events.function_url(facts, "us-east-1")
    parsed = models.LambdaFunctionUrlModel.model_validate(event)
    assert parsed.requestContext.http.method == "POST"
    assert json.loads(event["body"]) == {"channel": "c"}
    assert event["cookies"] == ["x=1"]


def test_sqs_and_stream_records_match_their_models() -> None:
    message = {
        "MessageId": "m1",
        "ReceiptHandle": "r",
        "Body": "{}",
        "MD5OfBody": "x",
        "Attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": "1",
            "SenderId": "s",
            "ApproximateFirstReceiveTimestamp": "1",
        },
        "MessageAttributes": {"k": {"DataType": "String", "StringValue": "v"}},
    }
    record = records.sqs_record(message, "arn:aws:sqs:us-east-1:123456789012:q", "us-east-1")
    assert models.SqsModel.model_validate({"Records": [record]}).Records[0].messageId == "m1"
    removal = records.ttl_removal_record(
        {"pk": {"S": "a"}}, {"pk": {"S": "a"}}, "OLD_IMAGE", "arn:s", "us-east-1", 1
    )
    parsed = models.DynamoDBStreamModel.model_validate({"Records": [removal]})
    assert parsed.Records[0].eventName == "REMOVE"
