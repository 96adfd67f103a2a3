"""Talking to connections through the API Gateway management API.

The only module that knows `apigatewaymanagementapi`. Posts go through `LeanPoster`: a large
fan-out is one `post_to_connection` per recipient, and through boto3 each costs ≈ 2 ms of CPU
(parameter validation, event hooks, serialising, parsing), which Lambda bills. The poster keeps
only what a post needs: botocore's own `SigV4Auth` (no signing is written here) with the
session's credentials (refreshable ones are frozen per call), and a pooled urllib3 connection
per post thread. Retries follow botocore's standard mode: up to 3 attempts for throttling (429
and the throttling error codes), 5xx transients and connection errors, full-jitter exponential
backoff (base × 2^n, capped at 20 s); its retry quota is not kept. A 410 is
`ConnectionGoneError`, any other error a botocore `ClientError`, as from boto3. The rarer calls
(`GET`/`DELETE @connections`) use a lazy boto3 client whose endpoint comes from settings.
"""

from __future__ import annotations

import json
import random
import re
import time
from collections.abc import Callable
from typing import Any

from opensock.errors import ConnectionGoneError
from opensock.jsoncodec import JsonValue, dumps
from opensock.tracing import end_span, start_span

GONE_CODES = frozenset({"GoneException"})

MAX_ATTEMPTS = 3
MAX_BACKOFF_S = 20.0
TRANSIENT_STATUS = frozenset({500, 502, 503, 504})
THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "RequestThrottled",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
    }
)
"""botocore `retries/standard.py`: the codes its standard mode retries as throttling."""
_REGION = re.compile(r"\.execute-api\.([a-z0-9-]+)\.amazonaws\.com")


def _error_code(headers: Any, body: bytes) -> str:
    code = str(headers.get("x-amzn-ErrorType", "")).split(":", 1)[0]
    if code:
        return code
    try:
        parsed = json.loads(body or b"{}")
    except ValueError:
        return ""
    return str(parsed.get("__type") or parsed.get("code") or "") if isinstance(parsed, dict) else ""


class LeanPoster:
    """`post(connection_id, data)` on `endpoint_url` (`https://{api}.execute-api.{region}…/{stage}`)."""

    def __init__(
        self,
        endpoint_url: str,
        *,
        pool_size: int = 250,
        credentials: Any = None,
        region: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
        max_attempts: int = MAX_ATTEMPTS,
    ) -> None:
        import botocore.session
        import urllib3

        self._base = endpoint_url.rstrip("/")
        session = botocore.session.get_session()
        self._credentials = credentials if credentials is not None else session.get_credentials()
        match = _REGION.search(self._base)
        self._region: str = (
            region
            or (match.group(1) if match else None)
            or session.get_config_variable("region")
            or "us-east-1"
        )
        self._sleep = sleep
        self._max_attempts = max_attempts
        self._pool = urllib3.PoolManager(
            num_pools=4,
            maxsize=pool_size,
            retries=False,
            timeout=urllib3.Timeout(connect=2.0, read=5.0),
        )

    def url(self, connection_id: str) -> str:
        from botocore.utils import percent_encode

        return f"{self._base}/@connections/{percent_encode(connection_id)}"

    def _signed_headers(self, url: str, data: bytes) -> dict[str, str]:
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest

        request = AWSRequest(method="POST", url=url, data=data)
        credentials = self._credentials.get_frozen_credentials()
        SigV4Auth(credentials, "execute-api", self._region).add_auth(request)
        return dict(request.headers.items())

    def post(self, connection_id: str, data: bytes) -> None:
        """One post, as a span `aws apigatewaymanagementapi.PostToConnection` (the span boto3's
        call events gave it, `adapters/call_spans.py`)."""
        span = start_span("aws apigatewaymanagementapi.PostToConnection")
        status = "error"
        try:
            self._post(connection_id, data)
            status = "ok"
        finally:
            end_span(span, status)

    def _post(self, connection_id: str, data: bytes) -> None:
        url = self.url(connection_id)
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._pool.request(
                    "POST", url, body=data, headers=self._signed_headers(url, data)
                )
            except Exception:
                if attempt >= self._max_attempts:
                    raise
                self._backoff(attempt)
                continue
            status = response.status
            if status < 300:
                return
            if status == 410:
                raise ConnectionGoneError(connection_id)
            code = _error_code(response.headers, response.data)
            retryable = status in TRANSIENT_STATUS or status == 429 or code in THROTTLING_CODES
            if retryable and attempt < self._max_attempts:
                self._backoff(attempt)
                continue
            raise self._client_error(status, code, response.data)

    def _backoff(self, attempt: int) -> None:
        self._sleep(min(random.random() * 2 ** (attempt - 1), MAX_BACKOFF_S))

    @staticmethod
    def _client_error(status: int, code: str, body: bytes) -> Exception:
        from botocore.exceptions import ClientError

        message = body.decode("utf-8", "replace")[:200]
        error = {"Code": code or str(status), "Message": message}
        response: Any = {"Error": error, "ResponseMetadata": {"HTTPStatusCode": status}}
        failure: Exception = ClientError(response, "PostToConnection")
        return failure


class ApiGatewayConnections:
    def __init__(
        self,
        endpoint_url: str,
        client: Any = None,
        pool_size: int = 250,
        poster: LeanPoster | None = None,
    ) -> None:
        # pool_size >= fanout.delivery.MAX_POST_WORKERS: every post thread gets a connection.
        self._endpoint_url = endpoint_url
        self._client = client
        self._pool_size = pool_size
        self._poster = poster
        self._lean = client is None  # an injected boto3 client posts too (tests, the bench)

    @property
    def poster(self) -> LeanPoster:
        if self._poster is None:
            self._poster = LeanPoster(self._endpoint_url, pool_size=self._pool_size)
        return self._poster

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3
            from botocore.config import Config

            config = Config(
                retries={"mode": "standard", "max_attempts": 3},
                max_pool_connections=self._pool_size,
                connect_timeout=2,
                read_timeout=5,
            )
            self._client = boto3.client(
                "apigatewaymanagementapi", endpoint_url=self._endpoint_url, config=config
            )
        return self._client

    def post(self, connection_id: str, frame: JsonValue) -> None:
        from botocore.exceptions import ClientError

        data = frame if isinstance(frame, bytes) else dumps(frame).encode("utf-8")
        if self._lean:
            self.poster.post(connection_id, data)
            return
        try:
            self.client.post_to_connection(ConnectionId=connection_id, Data=data)
        except ClientError as exc:
            if exc.response["Error"]["Code"] in GONE_CODES:
                raise ConnectionGoneError(connection_id) from exc
            raise

    def is_connected(self, connection_id: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.get_connection(ConnectionId=connection_id)
        except ClientError as exc:
            if exc.response["Error"]["Code"] in GONE_CODES:
                return False
            raise
        return True

    def last_active(self, connection_id: str) -> float | None:
        from botocore.exceptions import ClientError

        try:
            response = self.client.get_connection(ConnectionId=connection_id)
        except ClientError as exc:
            if exc.response["Error"]["Code"] in GONE_CODES:
                return None
            raise
        return float(response["LastActiveAt"].timestamp())

    def close(self, connection_id: str) -> None:
        from botocore.exceptions import ClientError

        try:
            self.client.delete_connection(ConnectionId=connection_id)
        except ClientError as exc:
            if exc.response["Error"]["Code"] not in GONE_CODES:
                raise
