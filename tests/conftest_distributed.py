"""Session fixtures for tests/test_distributed.py: a real 3-master Valkey Cluster and a real
Sentinel set (tests/redis_servers.py), each started on first use and stopped when the
session ends. Registered from tests/conftest.py's `pytest_plugins`."""

from __future__ import annotations

import pytest

from storage.embedded import EmbeddedServerError, server_binary


def _binary_or_skip() -> None:
    try:
        server_binary()
    except EmbeddedServerError as exc:
        pytest.skip(f"no valkey-server binary to start a Cluster or Sentinel set with: {exc}")


@pytest.fixture(scope="session")
def valkey_cluster(tmp_path_factory):
    from tests.redis_servers import Cluster

    _binary_or_skip()
    cluster = Cluster(tmp_path_factory.mktemp("cluster"))
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def valkey_sentinel(tmp_path_factory):
    from tests.redis_servers import SentinelSet

    _binary_or_skip()
    sentinels = SentinelSet(tmp_path_factory.mktemp("sentinel"))
    yield sentinels
    sentinels.stop()


@pytest.fixture
def cluster(valkey_cluster):
    """The session's Cluster, emptied."""
    valkey_cluster.flush()
    return valkey_cluster


@pytest.fixture
def sentinel_set(valkey_sentinel):
    """The session's Sentinel set, emptied."""
    valkey_sentinel.flush()
    return valkey_sentinel
