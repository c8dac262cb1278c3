"""The HTTP server of `linli run`."""

from aiohttp.test_utils import TestClient, TestServer

from bot.server import build_app


async def test_healthz_reports_ok_with_the_backlog(runtime):
    async with TestClient(TestServer(build_app(runtime))) as client:
        response = await client.get("/healthz")
        assert response.status == 200
        body = await response.json()
        assert body == {"status": "ok", "community": "demo", "inbound_backlog": 0}
        assert (await client.get("/nope")).status == 404
