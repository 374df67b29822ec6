"""kombu's Redis transport with one fix: a worker survives Redis going away while a task runs.

When the connection drops, Celery collects it (which detaches the transport from its client) and
then closes it; closing a channel that still holds an unacknowledged message tries to put the
message back through a client it can no longer build, and the AttributeError that follows ends
the worker ("Unrecoverable error: 'NoneType' object has no attribute 'hostname'"; seen here with
kombu 5.7 in tests/test_service_queue.py, cf. celery/kombu#582 and celery/celery#9250).
Nothing needs putting back at that point: the message is still in Redis's unacknowledged index,
and the visibility timeout returns it to the queue.
"""

from __future__ import annotations

from typing import Any

from kombu.transport import redis


class QoS(redis.QoS):
    def restore_unacked(self, client: Any = None) -> None:
        connection = self.channel.connection
        if client is None and (connection is None or connection.client is None):
            self._delivered.clear()  # left to the visibility timeout, see the module docstring
            return
        super().restore_unacked(client)  # type: ignore[no-untyped-call]


class Channel(redis.Channel):
    QoS = QoS


class Transport(redis.Transport):
    Channel = Channel
