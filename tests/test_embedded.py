"""The embedded default: a real server, shared by the processes of one data directory,
persisting to an append-only file and stopped by the last process to leave."""

import os
import time

import redis

from storage.embedded import EmbeddedServer


def test_data_survives_a_restart_and_the_last_user_stops_the_server(tmp_path):
    first = EmbeddedServer(tmp_path)
    first.start()
    client = redis.Redis(unix_socket_path=str(first.socket), decode_responses=True)
    client.set("kept", "yes")
    assert client.config_get("appendonly") == {"appendonly": "yes"}
    client.close()
    first.stop()
    assert not os.path.exists(first.socket) or not EmbeddedServer(tmp_path)._answers()

    again = EmbeddedServer(tmp_path)
    again.start()
    client = redis.Redis(unix_socket_path=str(again.socket), decode_responses=True)
    assert client.get("kept") == "yes"
    client.close()
    again.stop()


def test_a_second_process_attaches_and_the_server_outlives_the_first_to_leave(tmp_path):
    first, second = EmbeddedServer(tmp_path), EmbeddedServer(tmp_path)
    first.start()
    second.start()      # same pid here, so simulate another process by a live foreign pid
    client = redis.Redis(unix_socket_path=str(first.socket), decode_responses=True)
    client.sadd("linli:embedded:users", os.getppid())
    first.stop()
    assert client.ping()
    client.srem("linli:embedded:users", os.getppid())
    client.close()
    second._registered = True
    second.stop()
    assert not second._answers()



def test_the_last_to_leave_shuts_the_server_down_at_once(tmp_path):
    """SHUTDOWN "fails" as the server exits: retried with redis-py's default backoff, every
    short `linli admin` run waited about 4 s more at its end (#15)."""
    server = EmbeddedServer(tmp_path)
    server.start()
    began = time.monotonic()
    server.stop()
    assert time.monotonic() - began < 1.0
    assert not server._answers()

def test_long_data_dirs_use_a_short_socket_path(tmp_path):
    deep = tmp_path / ("x" * 120)
    server = EmbeddedServer(deep)
    assert len(str(server.socket)) < 100
