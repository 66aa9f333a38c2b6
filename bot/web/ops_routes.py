"""``GET /readyz`` and ``GET /metrics`` on the bot's HTTP front.

``/metrics`` exists only when ``METRICS_TOKEN`` is set (else it is the router's 404), and
answers only a request carrying it as a bearer token, compared in constant time.
"""

from __future__ import annotations

import hmac

from bot.ops.metrics import CONTENT_TYPE, Metrics
from bot.ops.readiness import Readiness
from bot.store import Store
from bot.web.http import Request, Response, Routes

READYZ_PATH = "/readyz"
METRICS_PATH = "/metrics"


def install(
    routes: Routes,
    *,
    readiness: Readiness,
    metrics: Metrics,
    store: Store,
    metrics_token: str | None,
) -> None:
    async def readyz(_request: Request) -> Response:
        checks = await readiness.run()
        failing = [c.name for c in checks if not c.ok]
        body = {
            "ready": not failing,
            "failing": failing,
            "checks": {c.name: c.to_json() for c in checks},
        }
        return Response.json(body, status=503 if failing else 200)

    routes.add("GET", READYZ_PATH, readyz)
    if not metrics_token:
        return
    expected = f"Bearer {metrics_token}".encode()

    async def scrape(request: Request) -> Response:
        given = request.headers.get("authorization", "").encode("latin-1")
        if not hmac.compare_digest(given, expected):
            return Response(
                401,
                b"A bearer token (METRICS_TOKEN) is required.\n",
                headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
            )
        metrics.set_export_states(await store.export_states())
        return Response(200, metrics.render(), CONTENT_TYPE)

    routes.add("GET", METRICS_PATH, scrape)
