"""Talking to connections through the API Gateway management API.

The only module that knows `apigatewaymanagementapi`: a lazy client whose endpoint comes from
settings, and `GoneException` turned into `ConnectionGoneError`.
"""

from __future__ import annotations

from typing import Any

from opensock.errors import ConnectionGoneError
from opensock.jsoncodec import JsonValue, dumps

GONE_CODES = frozenset({"GoneException"})


class ApiGatewayConnections:
    def __init__(self, endpoint_url: str, client: Any = None, pool_size: int = 250) -> None:
        # pool_size >= fanout.delivery.MAX_POST_WORKERS: every post thread gets a connection.
        self._endpoint_url = endpoint_url
        self._client = client
        self._pool_size = pool_size

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
