"""The lean poster: botocore's SigV4 on a pooled connection, boto3's error and retry shapes."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from opensock.adapters.apigw import ApiGatewayConnections, LeanPoster
from opensock.errors import ConnectionGoneError

ENDPOINT = "https://abc123.execute-api.eu-west-1.amazonaws.com/v1"


class Answer:
    def __init__(self, status: int, error_type: str = "", data: bytes = b"") -> None:
        self.status = status
        self.headers = {"x-amzn-ErrorType": error_type} if error_type else {}
        self.data = data


class FakePool:
    """urllib3's `PoolManager.request`: records each call, answers from a script."""

    def __init__(self, *answers: Answer | Exception) -> None:
        self.answers = list(answers)
        self.calls: list[tuple[str, str, bytes, dict[str, str]]] = []

    def request(self, method: str, url: str, body: bytes, headers: dict[str, str]) -> Answer:
        self.calls.append((method, url, body, headers))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def poster(*answers: Answer | Exception, token: str | None = "TOKEN") -> tuple[LeanPoster, Any]:
    waits: list[float] = []
    lean = LeanPoster(
        ENDPOINT, credentials=Credentials("AKID", "SECRET", token), sleep=waits.append
    )
    lean._pool = FakePool(*answers)  # type: ignore[assignment]
    return lean, waits


def test_post_is_signed_by_botocore_for_execute_api_in_the_endpoints_region() -> None:
    lean, _ = poster(Answer(200))
    lean.post("Ab1=", b'{"event":"x"}')
    [(method, url, body, headers)] = lean._pool.calls  # type: ignore[attr-defined]
    assert method == "POST" and body == b'{"event":"x"}'
    assert url == f"{ENDPOINT}/@connections/Ab1%3D"
    assert "/eu-west-1/execute-api/aws4_request" in headers["Authorization"]
    assert headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKID/")
    assert headers["X-Amz-Security-Token"] == "TOKEN"
    assert "X-Amz-Date" in headers


def test_the_signature_is_the_one_botocore_computes_for_the_same_request() -> None:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest

    lean, _ = poster(Answer(200), token=None)
    lean.post("Ab1=", b"hi")
    [(_, url, body, headers)] = lean._pool.calls  # type: ignore[attr-defined]
    again = AWSRequest(method="POST", url=url, data=body)
    again.context["timestamp"] = headers["X-Amz-Date"]
    auth = SigV4Auth(Credentials("AKID", "SECRET"), "execute-api", "eu-west-1")
    again.headers["X-Amz-Date"] = headers["X-Amz-Date"]
    signature = auth.signature(auth.string_to_sign(again, auth.canonical_request(again)), again)
    assert headers["Authorization"].endswith(f"Signature={signature}")


def test_410_is_connection_gone_without_a_retry() -> None:
    lean, waits = poster(Answer(410, "GoneException"))
    with pytest.raises(ConnectionGoneError):
        lean.post("gone=", b"x")
    assert len(lean._pool.calls) == 1 and waits == []  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "first",
    [
        Answer(429, "LimitExceededException"),
        Answer(400, "ThrottlingException"),
        Answer(503),
        ConnectionError("reset"),
    ],
)
def test_throttling_transients_and_connection_errors_are_retried(first: Any) -> None:
    lean, waits = poster(first, Answer(200))
    lean.post("c=", b"x")
    assert len(lean._pool.calls) == 2 and len(waits) == 1  # type: ignore[attr-defined]
    assert 0 <= waits[0] <= 1


def test_retries_stop_after_three_attempts_with_a_client_error() -> None:
    lean, waits = poster(Answer(500), Answer(502), Answer(500, "InternalServerError"))
    with pytest.raises(ClientError) as caught:
        lean.post("c=", b"x")
    assert caught.value.response["Error"]["Code"] == "InternalServerError"
    assert len(waits) == 2 and waits[1] <= 2


def test_other_errors_are_raised_at_once_as_boto3_would() -> None:
    lean, waits = poster(Answer(413, "PayloadTooLargeException", b'{"message":"too long"}'))
    with pytest.raises(ClientError) as caught:
        lean.post("c=", b"x")
    assert caught.value.response["Error"]["Code"] == "PayloadTooLargeException"
    assert caught.value.operation_name == "PostToConnection" and waits == []


def test_the_gateway_posts_frames_through_the_poster() -> None:
    lean, _ = poster(Answer(200), Answer(410, "GoneException"))
    gateway = ApiGatewayConnections(ENDPOINT, poster=lean)
    gateway.post("a=", {"event": "e"})
    with pytest.raises(ConnectionGoneError):
        gateway.post("b=", b"raw")
    assert [call[2] for call in lean._pool.calls] == [b'{"event":"e"}', b"raw"]  # type: ignore[attr-defined]
