"""The web workbench (issue #17): pages for community staff, grid workers, the secretary and
departments' contacts, served under /web/ by `linli run`'s HTTP server when LINLI_WEB_URL
is set. README "Web workbench" describes it; bot/web/app.py how sign-in, sessions and
actions work; bot/web/data.py who sees what and where the lists come from.
"""

from __future__ import annotations

from aiohttp import web


def mount(app: web.Application, runtime) -> None:
    """Serve the workbench under /web/ of `app`, when the settings ask for it."""
    if not runtime.settings.web_url:
        return
    from bot.web.app import build
    app.add_subapp("/web/", build(runtime))
