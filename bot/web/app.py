"""The workbench's HTTP side: sign-in, sessions, the pages, and actions as chat commands.

Sign-in. `登录` (or `linli admin people web-login`) gives a link /web/login/TOKEN, good
for 10 minutes and once. Opening it shows a page with one button (a link preview that a
chat app fetches takes nothing); the button posts the token, which is taken (GETDEL) and
starts a session. Failed sign-ins are counted per client address: each waits FAIL_DELAY,
and after MAX_FAILURES within FAILURE_WINDOW every sign-in from there is refused (429)
until the window ends.

Sessions. The cookie holds the session id encrypted and signed (Fernet, with a key made
from LINLI_WEB_SECRET; its age is checked too); the id's digest is a Redis key that
expires with it, and sign-out deletes it. HttpOnly, SameSite=Lax, Secure on https, path
/web. Every page checks that the person may still sign in (the community file may have
changed). Every form carries a CSRF token (an HMAC of the session id) and is refused
without it; a POST whose Origin is another site is refused too.

Actions. A button on a ticket page makes the chat command it stands for (`处理 #12 下午去看`)
and puts it on the inbound stream as an event from the signed-in person's own chat
identity (runtime.accept), so the same handler runs it, it is durable and audited, and
everyone is told exactly as if it had been typed — the person included, in their chat.
The page waits a few seconds for the worker to be done, then shows the ticket again. The
pages beside tickets offer staff's actions the same way (/web/PAGE/action: 今日's triage
queue 确认/忽略, 取消投票, 取消任务 and 确认 T3, 核销; bot/web/views.py), each back to its page.

Every page read and every action is written to the audit log (via "web").
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import ipaddress
import json
import logging
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Awaitable, Callable
from urllib.parse import quote, urlsplit

import jinja2
from aiohttp import web
from cryptography.fernet import Fernet, InvalidToken

from bot.addressing import resolve
from bot.app import Runtime
from bot.web import data
from handlers.community import Person
from handlers.events import Event, Outgoing
from nlp.rules import Rules
from storage.identities import Identities
from storage.web import LINK_SECONDS, WebLogins, WebSessions

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
COOKIE = "linli_session"
MAX_FAILURES = 5            # failed sign-ins from one address within FAILURE_WINDOW, then 429
FAILURE_WINDOW = 900
FAIL_DELAY = 0.5            # seconds each failed sign-in waits before it is answered
ACTION_WAIT = 5.0           # seconds an action's page waits for the worker before showing the ticket
WORKBENCH = web.AppKey("workbench", object)


@dataclass
class Session:
    person: Person
    sid: str
    csrf: str


SESSION = web.RequestKey("session", Session) if hasattr(web, "RequestKey") else "session"


class Workbench:
    def __init__(self, runtime: Runtime) -> None:
        settings = runtime.settings
        self.runtime = runtime
        self.services = runtime.services
        self.secure = (settings.web_url or "").startswith("https://")
        self.origin = _origin(settings.web_url or "")
        self.session_seconds = int(settings.web_session_hours * 3600)
        key = hashlib.sha256(b"linli web session\0" + (settings.web_secret or "").encode()).digest()
        self.fernet = Fernet(base64.urlsafe_b64encode(key))
        self.csrf_key = hashlib.sha256(b"linli web csrf\0" + (settings.web_secret or "").encode()).digest()
        self.logins = WebLogins(runtime.store)
        self.sessions = WebSessions(runtime.store)
        self.action_wait = ACTION_WAIT
        self.categories = tuple(c.name for c in Rules.load(settings.rules_file).categories)
        self.templates = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"),
                                            autoescape=True, trim_blocks=True, lstrip_blocks=True)
        self.community_name = settings.community.name

    # -- sessions --------------------------------------------------------------------

    def csrf_of(self, sid: str) -> str:
        return hmac.new(self.csrf_key, sid.encode(), hashlib.sha256).hexdigest()

    def cookie_of(self, sid: str) -> str:
        return self.fernet.encrypt(json.dumps({"sid": sid}).encode()).decode()

    async def session(self, request: web.Request) -> Session | None:
        raw = request.cookies.get(COOKIE)
        if not raw:
            return None
        try:
            sid = json.loads(self.fernet.decrypt(raw.encode(), ttl=self.session_seconds))["sid"]
        except (InvalidToken, ValueError, KeyError, TypeError):
            return None
        person_id = await self.sessions.person(sid)
        person = self.services.community.people.get(person_id or "")
        if person is None or not data.allowed(self.services, person):
            return None
        return Session(person, sid, self.csrf_of(sid))

    async def audit(self, actor: str, action: str, subject: str) -> None:
        await self.services.audit.record(self.services.clock.now(), actor, action, subject, "web")

    # -- rendering -------------------------------------------------------------------

    def render(self, template: str, status: int = 200, session: Session | None = None, **values: Any) -> web.Response:
        html = self.templates.get_template(template).render(
            session=session, me=session.person if session else None, csrf=session.csrf if session else "",
            community=self.community_name, **values)
        return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")

    def message(self, title: str, text: str, status: int, session: Session | None = None,
                link: tuple[str, str] | None = None) -> web.Response:
        return self.render("message.html", status=status, session=session, title=title, text=text, link=link)


def _redirect(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location})


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def client_of(request: web.Request) -> str:
    """The client's address; behind a reverse proxy on this machine, the address it was
    forwarded for (the last hop of X-Forwarded-For)."""
    remote = request.remote or "unknown"
    try:
        local = ipaddress.ip_address(remote).is_loopback
    except ValueError:
        local = remote == "unknown"
    forwarded = request.headers.get("X-Forwarded-For", "")
    if local and forwarded:
        return forwarded.split(",")[-1].strip()[:64] or remote
    return remote


# -- middlewares ---------------------------------------------------------------------------

PUBLIC = {"login", "login_confirm", "static", "signed_out"}
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def security(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Headers for every answer; a session for every page but sign-in; the CSRF token and
    a same-site Origin for every form posted."""
    bench: Workbench = request.app[WORKBENCH]
    name = request.match_info.route.name
    if request.method == "POST":
        origin = request.headers.get("Origin")
        if origin and origin != "null" and origin not in {bench.origin, f"{request.scheme}://{request.host}"}:
            response = bench.message("请求被拒绝", "这个表单不是从工作台提交的。", 403)
            return _headers(response)
    if name not in PUBLIC:
        session = await bench.session(request)
        if session is None:
            response = bench.message("请先登录", "请在聊天里私聊小助手发送“登录”，打开收到的链接进入工作台。", 401)
            return _headers(response)
        if request.method == "POST":
            form = await request.post()
            token = str(form.get("csrf") or "")
            if not hmac.compare_digest(token, session.csrf):
                await bench.audit(session.person.id, "web_refused", f"csrf:{request.path}")
                response = bench.message("表单已失效", "页面停留太久或来源不对，请返回刷新页面后再试。", 403, session)
                return _headers(response)
        request[SESSION] = session
    response = await handler(request)
    return _headers(response)


def _headers(response: web.StreamResponse) -> web.StreamResponse:
    response.headers.setdefault("Content-Security-Policy",
                                "default-src 'self'; img-src 'self' https: data:; style-src 'self'; "
                                "script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if response.content_type == "text/html":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


# -- sign-in -------------------------------------------------------------------------------

async def _too_many(bench: Workbench, client: str) -> web.Response | None:
    if await bench.logins.failures(client) >= MAX_FAILURES:
        wait = await bench.logins.retry_after(client) or FAILURE_WINDOW
        response = bench.message("尝试次数过多", f"登录失败次数过多，请 {max(1, -(-wait // 60))} 分钟后再试。", 429)
        response.headers["Retry-After"] = str(wait)
        return response
    return None


async def _failed(bench: Workbench, client: str, why: str) -> web.Response:
    await bench.logins.failed(client, FAILURE_WINDOW)
    await bench.audit(f"ip:{client}", "web_login_failed", why)
    await asyncio.sleep(FAIL_DELAY)
    return bench.message("链接无效", f"这个登录链接无效、已用过或已过期（{LINK_SECONDS // 60} 分钟内有效，只能用一次）。"
                         "请在聊天里重新发送“登录”。", 403)


async def login_confirm(request: web.Request) -> web.Response:
    """GET /web/login/TOKEN: whose link it is and a button; nothing is taken yet."""
    bench: Workbench = request.app[WORKBENCH]
    client = client_of(request)
    if (refused := await _too_many(bench, client)) is not None:
        return refused
    token = request.match_info["token"]
    person = bench.services.community.people.get(await bench.logins.peek(token) or "")
    if person is None:
        return await _failed(bench, client, "link unknown or used")
    if not data.allowed(bench.services, person):
        await bench.audit(person.id, "web_refused", "not staff")
        return bench.message("无权使用", "网页工作台只对社区工作人员、网格员和部门联系人开放。", 403)
    return bench.render("login.html", token=token, name=person.name)


async def login(request: web.Request) -> web.StreamResponse:
    """POST /web/login: the link is taken and a session starts."""
    bench: Workbench = request.app[WORKBENCH]
    client = client_of(request)
    if (refused := await _too_many(bench, client)) is not None:
        return refused
    form = await request.post()
    person_id = await bench.logins.redeem(str(form.get("token") or "")[:200])
    person = bench.services.community.people.get(person_id or "")
    if person is None:
        return await _failed(bench, client, "link unknown or used")
    if not data.allowed(bench.services, person):
        await bench.audit(person.id, "web_refused", "not staff")
        return bench.message("无权使用", "网页工作台只对社区工作人员、网格员和部门联系人开放。", 403)
    sid = await bench.sessions.open(person.id, bench.session_seconds)
    await bench.audit(person.id, "web_login", f"ip:{client}")
    response = _redirect("/web/today")
    response.set_cookie(COOKIE, bench.cookie_of(sid), max_age=bench.session_seconds, path="/web",
                        httponly=True, samesite="Lax", secure=bench.secure)
    return response


async def logout(request: web.Request) -> web.StreamResponse:
    bench: Workbench = request.app[WORKBENCH]
    session: Session = request[SESSION]
    await bench.sessions.close(session.sid)
    await bench.audit(session.person.id, "web_logout", "session")
    response = _redirect("/web/signed-out")
    response.del_cookie(COOKIE, path="/web")
    return response


async def signed_out(request: web.Request) -> web.Response:
    return request.app[WORKBENCH].message("已退出", "您已退出工作台。需要时请在聊天里重新发送“登录”。", 200)


# -- pages ---------------------------------------------------------------------------------

def _viewer(request: web.Request) -> tuple[Workbench, Session, data.Viewer]:
    bench: Workbench = request.app[WORKBENCH]
    session: Session = request[SESSION]
    return bench, session, data.Viewer.of(bench.services, session.person)


async def home(request: web.Request) -> web.StreamResponse:
    return _redirect("/web/today")


async def today(request: web.Request) -> web.Response:
    bench, session, viewer = _viewer(request)
    everything = request.query.get("scope") == "all"
    page = await data.today(viewer, () if everything else viewer.home_scope)
    await bench.audit(session.person.id, "web_view", "page:today")
    return bench.render("today.html", session=session, page=page, nav="today", buildings=viewer.home_buildings,
                        everything=everything, can_widen=bool(viewer.home_buildings), notice=_notice(request),
                        may_triage=viewer.community_wide and data.COMMAND["dismiss"].allowed.allows(viewer.ctx))


async def tickets(request: web.Request) -> web.Response:
    bench, session, viewer = _viewer(request)
    filters = data.Filters.parse(request.query)
    found = await data.listing(viewer, filters)
    await bench.audit(session.person.id, "web_view", f"page:tickets?{filters.query()}"[:200])
    return bench.render("tickets.html", session=session, nav="tickets", f=filters, found=found,
                        options=data.choices(viewer, bench.categories), home=viewer.home_buildings)


async def _ticket_or_refusal(request: web.Request) -> tuple[Any, web.Response | None]:
    bench, session, viewer = _viewer(request)
    try:
        ticket_id = int(request.match_info["id"])
    except ValueError:
        return None, bench.message("没有这张工单", "工单编号不对。", 404, session, ("/web/tickets", "返回工单列表"))
    ticket = await bench.services.tickets.get(ticket_id)
    if ticket is None:
        return None, bench.message("没有这张工单", f"没有找到工单 #{ticket_id}。", 404, session,
                                   ("/web/tickets", "返回工单列表"))
    if not viewer.sees(ticket):
        await bench.audit(session.person.id, "web_refused", f"ticket:{ticket_id}")
        return None, bench.message("无权查看", f"工单 #{ticket_id} 不归您处理，不能查看。", 403, session,
                                   ("/web/tickets", "返回工单列表"))
    return ticket, None


async def ticket(request: web.Request) -> web.Response:
    bench, session, viewer = _viewer(request)
    found, refusal = await _ticket_or_refusal(request)
    if refusal is not None:
        return refusal
    await bench.audit(session.person.id, "web_view", f"ticket:{found.id}")
    return bench.render("ticket.html", session=session, nav="tickets", t=await data.ticket_page(viewer, found),
                        notice=_notice(request), people=data.action_people(viewer),
                        departments=list(viewer.ctx.community.departments.values()))


async def action(request: web.Request) -> web.StreamResponse:
    """POST /web/tickets/N/action: the chat command, from the signed-in person."""
    bench, session, viewer = _viewer(request)
    found, refusal = await _ticket_or_refusal(request)
    if refusal is not None:
        return refusal
    form = await request.post()
    name = str(form.get("action") or "")
    text = data.command_text(viewer, found, name, form)
    if text is None:
        return bench.message("缺少内容", "请把表单填写完整（例如办结要写结果，驳回要写理由）。", 400, session,
                             (f"/web/tickets/{found.id}", f"返回工单 #{found.id}"))
    done = await _submit(bench, session, text, f"ticket:{found.id} {name}")
    return _redirect(f"/web/tickets/{found.id}?done={name}" + ("" if done else "&pending=1"))


PAGE_NAMES = {"today": "今日", "polls": "议事投票", "tasks": "志愿服务", "points": "积分超市"}


async def page_action(request: web.Request) -> web.StreamResponse:
    """POST /web/{today,polls,tasks,points}/action: an action of a page beside tickets
    (views.PAGE_ACTIONS), sent as the chat command as a ticket page's are. These are staff's
    actions, so only staff may post them; the handler still decides, as when typed."""
    bench, session, viewer = _viewer(request)
    from bot.web import views
    page = request.match_info["page"]
    back = f"/web/{page}"
    if not viewer.community_wide:
        await bench.audit(session.person.id, "web_refused", f"action:{page}")
        return bench.message("无权操作", f"{PAGE_NAMES[page]}的操作只对社区工作人员开放。", 403, session)
    form = await request.post()
    name = str(form.get("action") or "")
    made = views.page_command(page, name, form)
    if made is None:
        return bench.message("缺少内容", "请把表单填写完整（例如取消投票要写原因）。", 400, session,
                             (back, f"返回{PAGE_NAMES[page]}"))
    text, subject = made
    done = await _submit(bench, session, text, f"{subject} {name}")
    if page == "today" and form.get("scope") == "all":
        back += "?scope=all&"
    else:
        back += "?"
    return _redirect(f"{back}done={name}" + ("" if done else "&pending=1"))


def _notice(request: web.Request) -> str:
    """What a page says after one of its actions was sent (?done=NAME[&pending=1])."""
    done = request.query.get("done", "")
    if done not in data.COMMAND:
        return ""
    word = data.COMMAND[done].words[0]
    return (f"已提交“{word}”。结果已发到您的聊天窗口。" if request.query.get("pending") != "1"
            else f"已提交“{word}”，正在处理，请稍后刷新页面。")


async def _submit(bench: Workbench, session: Session, text: str, subject: str) -> bool:
    """Send `text` as the signed-in person's chat command (the inbound stream), audited as
    web_action `subject`; whether the worker was done with it within the action wait."""
    event = await _as_chat(bench, session.person, text)
    await bench.runtime.accept(event)
    await bench.audit(session.person.id, "web_action", f"{subject} event:{event.id}")
    return await _wait_done(bench, event.id)


async def _as_chat(bench: Workbench, person: Person, text: str) -> Event:
    """An event as if `person` had typed `text` to the bot 1:1, from the identity their
    replies go to (their first platform's; the console's where none is configured)."""
    runtime = bench.runtime
    bound = await Identities(runtime.store).of(f"@{person.id}")
    identity = resolve(runtime.settings.community, Outgoing(to=f"@{person.id}", text=""),
                       runtime.settings.platforms, bound)
    return Event(id=f"web:{uuid.uuid4().hex}", channel="web", sender=identity, chat=None, chat_kind="private",
                 text=text, received_at=runtime.clock.now(), data={"web": True})


async def _wait_done(bench: Workbench, event_id: str) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + bench.action_wait
    while True:
        if await bench.runtime.outbox.is_done(event_id):
            return True
        if loop.time() >= deadline:
            return False
        await asyncio.sleep(0.1)


async def _staff_page(request: web.Request, nav: str, title: str, load, detail: str = "") -> web.Response:
    """A page only those who see the whole community may read (a department's contact is
    refused, audited); `load(viewer)` gives the template's values."""
    bench, session, viewer = _viewer(request)
    if not viewer.community_wide:
        await bench.audit(session.person.id, "web_refused", f"page:{nav}")
        return bench.message("无权查看", f"{title}只对社区工作人员开放。", 403, session)
    await bench.audit(session.person.id, "web_view", f"page:{nav}{detail}")
    return bench.render(f"{nav}.html", session=session, nav=nav, notice=_notice(request), **await load(viewer))


async def polls(request: web.Request) -> web.Response:
    from bot.web import views
    return await _staff_page(request, "polls", "议事投票", lambda viewer: _as("polls", views.polls(viewer)))


async def tasks(request: web.Request) -> web.Response:
    from bot.web import views
    return await _staff_page(request, "tasks", "志愿服务", lambda viewer: _as("page", views.tasks(viewer)))


async def points(request: web.Request) -> web.Response:
    from bot.web import views
    verify = request.query.get("verify") == "1"
    return await _staff_page(request, "points", "积分超市", lambda viewer: _as("page", views.points(viewer, verify)),
                             " verify" if verify else "")


async def care(request: web.Request) -> web.Response:
    """GET /web/care[?person=ID]: 关爱, who is in care and their state; ID's care log."""
    from bot.web import views
    chosen = request.query.get("person", "")[:80]
    return await _staff_page(request, "care", "关爱名单", lambda viewer: _as("page", views.care(viewer, chosen)),
                             f" log:{chosen}" if chosen else "")


async def _as(name: str, pending) -> dict:
    return {name: await pending}


async def stats(request: web.Request) -> web.Response:
    bench, session, viewer = _viewer(request)
    if not viewer.community_wide:
        return bench.message("无权查看", "统计只对社区工作人员开放。", 403, session)
    from bot.web import views
    period, by = request.query.get("period", "")[:40], request.query.get("by", "building")
    await bench.audit(session.person.id, "web_view", f"page:stats {period} {by}"[:200])
    return bench.render("stats.html", session=session, nav="stats", s=await views.statistics(viewer, period, by))


async def report(request: web.Request) -> web.Response:
    """GET /web/report?month=2026-11: 月报, one printable page (staff only, as 统计)."""
    bench, session, viewer = _viewer(request)
    if not viewer.community_wide:
        await bench.audit(session.person.id, "web_refused", "page:report")
        return bench.message("无权查看", "月报只对社区工作人员开放。", 403, session)
    from bot.web import report as monthly
    month = request.query.get("month", "")[:20]
    await bench.audit(session.person.id, "web_view", f"page:report {month}".strip())
    try:
        found = monthly.month_of(viewer, month)
    except monthly.MonthError as error:
        return bench.render("report.html", status=400, session=session, nav="report", r=None, month=month,
                            error=str(error))
    return bench.render("report.html", session=session, nav="report", r=await monthly.monthly(viewer, found),
                        month=found.name, error="", made=viewer.ctx.when(viewer.ctx.now))


async def report_export(request: web.Request) -> web.Response:
    """GET /web/report/export?month=2026-11: the month's tickets as an .xlsx (staff only)."""
    bench, session, viewer = _viewer(request)
    if not viewer.community_wide:
        await bench.audit(session.person.id, "web_refused", "export:report")
        return bench.message("无权查看", "月报只对社区工作人员开放。", 403, session)
    from bot.web import report as monthly
    try:
        found = monthly.month_of(viewer, request.query.get("month", "")[:20])
    except monthly.MonthError as error:
        return bench.message("月份不对", str(error), 400, session, ("/web/report", "返回月报"))
    body = await monthly.export(viewer, found)
    await bench.audit(session.person.id, "web_export", f"report:{found.name}")
    filename = f"工单-{found.name}.xlsx"
    return web.Response(body=body, content_type=monthly.XLSX, headers={
        "Content-Disposition": f"attachment; filename=\"tickets-{found.name}.xlsx\"; "
                               f"filename*=UTF-8''{quote(filename)}",
        "Cache-Control": "no-store"})


def build(runtime: Runtime) -> web.Application:
    """The workbench as an aiohttp application, mounted at /web by `mount`."""
    app = web.Application(middlewares=[security])
    app[WORKBENCH] = Workbench(runtime)
    app.router.add_get("/", home, name="home")
    app.router.add_get("/login/{token}", login_confirm, name="login_confirm")
    app.router.add_post("/login", login, name="login")
    app.router.add_post("/logout", logout, name="logout")
    app.router.add_get("/signed-out", signed_out, name="signed_out")
    app.router.add_get("/today", today, name="today")
    app.router.add_get("/tickets", tickets, name="tickets")
    app.router.add_get("/tickets/{id}", ticket, name="ticket")
    app.router.add_post("/tickets/{id}/action", action, name="action")
    app.router.add_post("/{page:today|polls|tasks|points}/action", page_action, name="page_action")
    app.router.add_get("/polls", polls, name="polls")
    app.router.add_get("/tasks", tasks, name="tasks")
    app.router.add_get("/points", points, name="points")
    app.router.add_get("/care", care, name="care")
    app.router.add_get("/stats", stats, name="stats")
    app.router.add_get("/report", report, name="report")
    app.router.add_get("/report/export", report_export, name="report_export")
    app.router.add_static("/static", HERE / "static", name="static")
    return app
