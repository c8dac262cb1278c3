"""The web workbench without a browser (aiohttp's test client): sign-in by a one-time link,
sessions, CSRF, who sees what, and an action taken through the inbound stream."""

from __future__ import annotations

import re

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import open_runtime
from bot.console import ConsoleSession
from bot.server import build_app
from bot.settings import Settings, SettingsError
from bot.web import app as web_app
from storage.web import WebLogins, digest
from tests.conftest import DEMO, Transcript

SECRET = "test-secret-" + "x" * 40
WEB_ENV = {"LINLI_WEB_URL": "http://127.0.0.1:8080", "LINLI_WEB_SECRET": SECRET}


@pytest.fixture
def web_settings(redis_server, tmp_path):
    return Settings.load(DEMO, data_dir=tmp_path, env={"REDIS_URL": redis_server, **WEB_ENV})


@pytest.fixture
async def bench(web_settings, redis, monkeypatch):
    """A console (to report and to run the worker) and a test client of the HTTP server."""
    monkeypatch.setattr(web_app, "FAIL_DELAY", 0)
    async with open_runtime(web_settings, fake_clock=True) as runtime:
        transcript = Transcript()
        async with ConsoleSession(runtime, out=transcript.buffer) as console:
            console.transcript = transcript
            app = build_app(runtime)
            client = TestClient(TestServer(app))
            await client.start_server()
            sub = next(r for r in app.router.resources() if getattr(r, "_app", None) is not None)._app
            sub[web_app.WORKBENCH].action_wait = 0
            client.console = console
            client.runtime = runtime
            try:
                yield client
            finally:
                await client.close()


async def sign_in(client, person: str) -> str:
    """Sign `person` in with a fresh link; the CSRF token of their session."""
    token = await WebLogins(client.runtime.store).issue(person)
    page = await client.get(f"/web/login/{token}")
    assert page.status == 200, await page.text()
    answer = await client.post("/web/login", data={"token": token}, allow_redirects=False)
    assert answer.status == 303 and answer.headers["Location"] == "/web/today"
    today = await client.get("/web/today")
    assert today.status == 200
    return re.search(r'name="csrf" value="([0-9a-f]+)"', await today.text()).group(1)


async def report(client, person: str, text: str) -> int:
    await client.console.say(person, None, text)
    lines = client.console.transcript.new()
    return int(re.search(r"#(\d+)", " ".join(line["text"] for line in lines)).group(1))


async def test_no_page_without_a_session(bench):
    for path in ("/web/today", "/web/tickets", "/web/tickets/1", "/web/polls", "/web/tasks", "/web/points", "/web/care",
                 "/web/"):
        answer = await bench.get(path, allow_redirects=False)
        assert answer.status == 401, path
        assert "登录" in await answer.text()
    answer = await bench.post("/web/tickets/1/action", data={"action": "start"})
    assert answer.status == 401
    forged = await bench.get("/web/today", cookies={"linli_session": "not-a-real-cookie"})
    assert forged.status == 401


async def test_a_link_works_once_and_makes_a_safe_cookie(bench):
    token = await WebLogins(bench.runtime.store).issue("grid")
    preview = await bench.get(f"/web/login/{token}")            # a chat app's link preview takes nothing
    assert preview.status == 200 and "进入工作台" in await preview.text()
    answer = await bench.post("/web/login", data={"token": token}, allow_redirects=False)
    assert answer.status == 303
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Max-Age=28800" in cookie and "Path=/web" in cookie
    assert "grid" not in cookie                                    # encrypted, not readable
    assert (await bench.get("/web/today")).status == 200
    bench.session.cookie_jar.clear()
    again = await bench.post("/web/login", data={"token": token}, allow_redirects=False)
    assert again.status == 403 and "已用过" in await again.text()
    assert "Set-Cookie" not in again.headers
    assert (await bench.get(f"/web/login/{token}")).status == 403
    assert (await bench.get("/web/today")).status == 401
    from prometheus_client import generate_latest
    from bot import metrics
    counted = generate_latest(metrics.REGISTRY).decode()
    assert "/web/login/{token}" in counted and token not in counted   # the route, never the link


async def test_an_expired_link_and_an_ended_session_are_refused(bench, redis):
    store = bench.runtime.store
    token = await WebLogins(store).issue("staff_chen")
    await redis.pexpire(store.keys.web_login(digest(token)), 1)    # its 10 minutes are over
    await redis.delete(store.keys.web_login(digest(token)))
    answer = await bench.post("/web/login", data={"token": token}, allow_redirects=False)
    assert answer.status == 403 and "过期" in await answer.text()
    await sign_in(bench, "staff_chen")
    for key in await redis.keys(store.keys("web", "session", "*")):   # the session's time is over
        await redis.delete(key)
    assert (await bench.get("/web/today")).status == 401


async def test_a_link_lasts_ten_minutes(bench, redis):
    token = await WebLogins(bench.runtime.store).issue("grid")
    ttl = await redis.ttl(bench.runtime.store.keys.web_login(digest(token)))
    assert 590 <= ttl <= 600


async def test_repeated_failed_sign_ins_are_slowed_then_refused(bench):
    for n in range(web_app.MAX_FAILURES):
        answer = await bench.post("/web/login", data={"token": f"guess{n}"}, allow_redirects=False)
        assert answer.status == 403
    token = await WebLogins(bench.runtime.store).issue("grid")   # even a good link, from there, for now
    answer = await bench.post("/web/login", data={"token": token}, allow_redirects=False)
    assert answer.status == 429 and int(answer.headers["Retry-After"]) > 0
    assert "次数过多" in await answer.text()
    entries = await bench.runtime.services.audit.entries()
    assert sum(e["action"] == "web_login_failed" for e in entries) == web_app.MAX_FAILURES


async def test_a_resident_and_a_volunteer_are_refused(bench):
    for person in ("zhang", "vol_wang"):
        token = await WebLogins(bench.runtime.store).issue(person)
        page = await bench.get(f"/web/login/{token}")
        assert page.status == 403 and "只对社区工作人员" in await page.text()
        answer = await bench.post("/web/login", data={"token": token}, allow_redirects=False)
        assert answer.status == 403 and "Set-Cookie" not in answer.headers
        assert (await bench.get("/web/today")).status == 401


async def test_a_form_without_its_token_is_refused(bench):
    ticket = await report(bench, "zhang", "3号楼2单元楼道灯坏了，晚上看不见")
    csrf = await sign_in(bench, "grid")
    for form in ({"action": "start"}, {"action": "start", "csrf": "0" * 64}):
        answer = await bench.post(f"/web/tickets/{ticket}/action", data=form, allow_redirects=False)
        assert answer.status == 403 and "表单已失效" in await answer.text()
    assert await bench.runtime.inbound.backlog() == 0               # nothing was put on the stream
    assert (await bench.post("/web/logout", data={}, allow_redirects=False)).status == 403
    elsewhere = await bench.post(f"/web/tickets/{ticket}/action", data={"action": "start", "csrf": csrf},
                                 headers={"Origin": "https://evil.example"}, allow_redirects=False)
    assert elsewhere.status == 403
    assert (await bench.runtime.services.tickets.get(ticket)).status == "open"


async def test_an_action_is_the_chat_command_from_the_signed_in_person(bench):
    ticket = await report(bench, "zhang", "3号楼2单元楼道灯坏了，晚上看不见")
    csrf = await sign_in(bench, "grid")
    answer = await bench.post(f"/web/tickets/{ticket}/action", data={"action": "start", "note": "下午去看",
                                                                        "csrf": csrf}, allow_redirects=False)
    assert answer.status == 303 and answer.headers["Location"].startswith(f"/web/tickets/{ticket}?done=start")
    await bench.console.drain()                                    # the worker handles it as if typed
    said = bench.console.transcript.new()
    assert any(line["to"] == "@grid" and f"#{ticket}" in line["text"] for line in said)   # the reply, in chat
    assert any(line["to"] == "@zhang" for line in said)                                  # the reporter told
    found = await bench.runtime.services.tickets.get(ticket)
    assert found.status == "in_progress"
    assert found.history[-1]["by"] == "grid" and found.history[-1]["note"] == "下午去看"
    page = await (await bench.get(f"/web/tickets/{ticket}")).text()
    assert "处理中" in page and "下午去看" in page
    entries = await bench.runtime.services.audit.entries()
    assert any(e["action"] == "web_action" and e["subject"].startswith(f"ticket:{ticket} start") for e in entries)
    assert any(e["action"] == "web_view" and e["subject"] == f"ticket:{ticket}" for e in entries)
    assert any(e["action"] == "web_login" and e["actor"] == "grid" for e in entries)


async def _page_action(bench, page: str, csrf: str, **form) -> str:
    """Post an action of a page beside tickets; run the worker on it; the page it leads back to."""
    answer = await bench.post(f"/web/{page}/action", data={**form, "csrf": csrf}, allow_redirects=False)
    assert answer.status == 303, await answer.text()
    location = answer.headers["Location"]
    assert location.startswith(f"/web/{page}?") and f"done={form['action']}" in location
    await bench.console.drain()                                    # the worker handles it as if typed
    return location


def _web_actions(entries) -> list[str]:
    return [e["subject"] for e in entries if e["action"] == "web_action"]


async def test_todays_triage_queue_is_confirmed_and_dismissed_from_the_page(bench):
    tickets = bench.runtime.services.tickets
    await bench.console.say("zhang", "b3", "楼道灯好像不太亮")             # unsure: waits for staff
    await bench.console.say("zhang", "b3", "楼下好吵啊")
    assert bench.console.transcript.new() == [] and sorted(await tickets.queue_ids()) == [1, 2]
    csrf = await sign_in(bench, "secretary")
    today = await (await bench.get("/web/today")).text()
    for form in ("triage-confirm-1", "triage-dismiss-1", "triage-confirm-2", "triage-dismiss-2"):
        assert f'id="{form}"' in today
    back = await _page_action(bench, "today", csrf, action="confirm", target="1")
    said = bench.console.transcript.new()
    assert any(line["to"] == "@secretary" and "#1" in line["text"] for line in said)    # the reply, in chat
    assert any(line["to"] == "@zhang" and "#1" in line["text"] for line in said)        # told as a new ticket
    assert (await tickets.get(1)).status == "open"
    assert "已提交“确认”" in await (await bench.get(back)).text()        # (pending: the test waits 0 s)
    await _page_action(bench, "today", csrf, action="dismiss", target="#2", note="只是闲聊")
    dismissed = await tickets.get(2)
    assert dismissed.status == "dismissed" and dismissed.reason == "只是闲聊"
    assert not any(line["to"] == "@zhang" for line in bench.console.transcript.new())   # nobody else hears
    assert await tickets.queue_ids() == []
    assert 'id="triage-confirm' not in await (await bench.get("/web/today")).text()
    subjects = _web_actions(await bench.runtime.services.audit.entries())
    assert any(s.startswith("ticket:1 confirm event:web:") for s in subjects)
    assert any(s.startswith("ticket:2 dismiss event:web:") for s in subjects)


async def test_a_poll_is_cancelled_from_the_page_with_a_reason(bench):
    await bench.console.say("r101", "council", "发起投票 是否同意调整物业费 规则=三分之二 范围=议事会 截止=3天")
    bench.console.transcript.new()
    csrf = await sign_in(bench, "secretary")
    assert 'id="poll-cancel-1"' in await (await bench.get("/web/polls")).text()
    empty = await bench.post("/web/polls/action", data={"action": "cancelpoll", "target": "1", "csrf": csrf},
                             allow_redirects=False)
    assert empty.status == 400 and await bench.runtime.inbound.backlog() == 0            # a reason is needed
    await _page_action(bench, "polls", csrf, action="cancelpoll", target="1", note="问题写错了")
    said = bench.console.transcript.new()
    assert any(line["to"] == "@secretary" for line in said)
    from storage.polls import Polls
    poll = await Polls(bench.runtime.store).get(1)
    assert poll.status == "cancelled" and poll.cancel_reason == "问题写错了" and poll.cancelled_by == "secretary"
    page = await (await bench.get("/web/polls?done=cancelpoll")).text()
    assert 'id="poll-cancel-1"' not in page and "已提交“取消投票”" in page
    assert any(s.startswith("poll:1 cancelpoll event:web:") for s in _web_actions(
        await bench.runtime.services.audit.entries()))


async def test_tasks_are_confirmed_and_cancelled_from_the_page(bench):
    from storage.tasks import Tasks
    for text in ("发布任务 帮忙买菜 @r303", "发布任务 陪同看病 @r303"):
        await bench.console.say("grid", None, text)
    await bench.console.say("vol_liu", None, "接单 T1")
    await bench.console.say("vol_liu", None, "完成 T1 1.5")
    bench.console.transcript.new()
    repo = Tasks(bench.runtime.store)
    assert (await repo.get(1)).status == "completed" and (await repo.get(2)).status == "open"
    csrf = await sign_in(bench, "secretary")
    page = await (await bench.get("/web/tasks")).text()
    assert 'id="task-confirm-T1"' in page and 'id="task-cancel-T2"' in page
    assert 'id="task-cancel-T1"' not in page and 'id="task-confirm-T2"' not in page   # only what each state allows
    await _page_action(bench, "tasks", csrf, action="confirm", target="T1")
    assert (await repo.get(1)).status == "confirmed"
    assert any(line["to"] == "@vol_liu" for line in bench.console.transcript.new())   # the volunteer hears
    await _page_action(bench, "tasks", csrf, action="canceltask", target="T2", note="家属来了")
    assert (await repo.get(2)).status == "cancelled"
    subjects = _web_actions(await bench.runtime.services.audit.entries())
    assert any(s.startswith("task:T1 confirm event:web:") for s in subjects)
    assert any(s.startswith("task:T2 canceltask event:web:") for s in subjects)


async def test_a_redemption_is_fulfilled_from_the_page(bench):
    from storage.ledger import POOL, Ledger, Transfer, Txn
    from storage.rewards import Rewards
    txn = Txn(key="fund:web", event="test", at=bench.runtime.clock.now(),
              transfers=[Transfer("points", POOL, "person:zhang", 120, "adjusted", "test")])
    assert (await Ledger(bench.runtime.store).post(txn)).ok
    await bench.console.say("zhang", None, "兑换 理发券")
    code = re.search(r"兑换码：([A-Z0-9]{6})", " ".join(m["text"] for m in bench.console.transcript.new())).group(1)
    csrf = await sign_in(bench, "staff_chen")
    assert f'id="fulfil-{code}"' in await (await bench.get("/web/points")).text()
    await _page_action(bench, "points", csrf, action="fulfil", target=code)
    assert (await Rewards(bench.runtime.store).redemption(code)).status == "fulfilled"
    said = bench.console.transcript.new()
    assert any(line["to"] == "@staff_chen" for line in said) and any(line["to"] == "@zhang" for line in said)
    assert f'id="fulfil-{code}"' not in await (await bench.get("/web/points")).text()
    assert any(s.startswith(f"redemption:{code} fulfil event:web:") for s in _web_actions(
        await bench.runtime.services.audit.entries()))


async def test_page_actions_need_the_token_and_are_staffs(bench):
    await bench.console.say("zhang", "b3", "楼道灯好像不太亮")
    await bench.console.say("r101", "council", "发起投票 是否同意调整物业费 规则=三分之二 范围=议事会 截止=3天")
    bench.console.transcript.new()
    forms = {"today": {"action": "confirm", "target": "1"},
             "polls": {"action": "cancelpoll", "target": "1", "note": "问题写错了"},
             "tasks": {"action": "canceltask", "target": "T1"}, "points": {"action": "fulfil", "target": "K7Q4MX"}}
    csrf = await sign_in(bench, "secretary")
    for page, form in forms.items():
        for token in ({}, {"csrf": "0" * 64}):
            answer = await bench.post(f"/web/{page}/action", data={**form, **token}, allow_redirects=False)
            assert answer.status == 403 and "表单已失效" in await answer.text(), page
        bad = await bench.post(f"/web/{page}/action", data={**form, "action": "rm -rf", "csrf": csrf},
                               allow_redirects=False)
        assert bad.status == 400, page
    assert await bench.runtime.inbound.backlog() == 0
    bench.session.cookie_jar.clear()
    csrf = await sign_in(bench, "wuye_li")                          # a department's contact
    assert "/action" not in await (await bench.get("/web/today")).text()
    for page, form in forms.items():
        answer = await bench.post(f"/web/{page}/action", data={**form, "csrf": csrf}, allow_redirects=False)
        assert answer.status == 403, page
    assert await bench.runtime.inbound.backlog() == 0
    assert (await bench.runtime.services.tickets.get(1)).status == "unconfirmed"
    assert sum(e["action"] == "web_refused" and e["subject"].startswith("action:")
               for e in await bench.runtime.services.audit.entries()) == len(forms)


async def test_an_incomplete_form_is_not_sent(bench):
    ticket = await report(bench, "zhang", "3号楼2单元楼道灯坏了，晚上看不见")
    csrf = await sign_in(bench, "grid")
    for form in ({"action": "resolve"}, {"action": "assign", "person": "nobody"}, {"action": "merge", "other": "x"},
                 {"action": "rm -rf"}):
        answer = await bench.post(f"/web/tickets/{ticket}/action", data={**form, "csrf": csrf}, allow_redirects=False)
        assert answer.status == 400
    assert await bench.runtime.inbound.backlog() == 0


async def test_a_department_contact_sees_only_theirs(bench):
    repair = await report(bench, "zhang", "3号楼2单元楼道灯坏了，晚上看不见")          # 设施维修: routed to 物业
    litter = await report(bench, "r201", "2号楼门口垃圾堆了三天没人清理，臭死了")        # 环境卫生: not theirs
    assert (await bench.runtime.services.tickets.get(litter)).category != "设施维修"
    await sign_in(bench, "wuye_li")
    listing = await (await bench.get("/web/tickets")).text()
    assert f"#{repair}" in listing and f"#{litter}" not in listing
    today = await (await bench.get("/web/today")).text()
    assert f"#{repair}" in today and f"#{litter}" not in today
    assert (await bench.get(f"/web/tickets/{repair}")).status == 200
    refused = await bench.get(f"/web/tickets/{litter}")
    assert refused.status == 403 and "不归您处理" in await refused.text()
    assert (await bench.get("/web/tickets?status=all")).status == 200
    assert f"#{litter}" not in await (await bench.get("/web/tickets?status=all")).text()
    assert (await bench.get("/web/polls")).status == 403             # community views are staff's
    # the city department sees nothing of 物业's until a ticket is escalated to it
    bench.session.cookie_jar.clear()
    await sign_in(bench, "dept_cg")
    assert f"#{repair}" not in await (await bench.get("/web/tickets")).text()


async def test_staff_see_the_community_and_every_page(bench):
    repair = await report(bench, "zhang", "3号楼2单元楼道灯坏了，晚上看不见")
    litter = await report(bench, "r201", "2号楼门口垃圾堆了三天没人清理，臭死了")
    await sign_in(bench, "secretary")
    for path in ("/web/today", "/web/tickets", "/web/polls", "/web/tasks", "/web/points", "/web/points?verify=1",
                 f"/web/tickets/{repair}"):
        answer = await bench.get(path)
        assert answer.status == 200, path
        page = await answer.text()
        assert "<html" in page and "cdn" not in page.lower()
        assert "Content-Security-Policy" in answer.headers and answer.headers["Cache-Control"] == "no-store"
    listing = await (await bench.get("/web/tickets")).text()
    assert f"#{repair}" in listing and f"#{litter}" in listing
    only = await (await bench.get("/web/tickets?building=2")).text()
    assert f"#{litter}" in only and f"#{repair}" not in only
    searched = await (await bench.get("/web/tickets?q=垃圾")).text()
    assert f"#{litter}" in searched and f"#{repair}" not in searched
    assert "账本完好" in await (await bench.get("/web/points?verify=1")).text()
    css = await bench.get("/web/static/web.css")
    assert css.status == 200 and "body" in await css.text()


async def test_the_care_page_lists_who_is_in_care_for_staff_only(bench):
    console = bench.console
    await console.say("secretary", None, "关爱 登记 @张阿姨 监护 @卢奶奶 @余阿姨 同意 本人当面同意")
    await console.say("secretary", None, "关爱 登记 @吴婶 监护 @卢奶奶 同意 本人当面同意")
    await console.say("r103", None, "外出 5天 去女儿家")
    await console.advance(2 * 86400)                     # 张阿姨 says nothing: reminded, then 卢奶奶 asked
    await console.drain()
    console.transcript.new()
    await sign_in(bench, "grid")
    answer = await bench.get("/web/care")
    assert answer.status == 200
    page = await answer.text()
    zhang = page[page.index('id="care-zhang"'):].split("</tr>")[0]
    assert "卢奶奶、余阿姨" in zhang and "没有报平安" in zhang and "最新一步" in zhang and "3-2-502" in zhang
    wu = page[page.index('id="care-r103"'):].split("</tr>")[0]
    assert "外出到" in wu and "本人发消息" in wu and "天前" in wu and "没有报平安" not in wu
    assert "关爱记录" not in page
    log = await (await bench.get("/web/care?person=zhang")).text()
    assert "张阿姨 的关爱记录" in log and "登记关爱" in log and "提醒本人" in log and "请监护人去看" in log
    entries = await bench.runtime.services.audit.entries()
    assert any(e["action"] == "web_view" and e["subject"] == "page:care" and e["actor"] == "grid" for e in entries)
    assert any(e["action"] == "web_view" and e["subject"] == "page:care log:zhang" for e in entries)
    bench.session.cookie_jar.clear()
    assert (await bench.get("/web/care", allow_redirects=False)).status == 401      # no session
    await sign_in(bench, "wuye_li")                                                   # a department's contact
    refused = await bench.get("/web/care?person=zhang")
    assert refused.status == 403 and "张阿姨" not in await refused.text()


async def test_words_in_lists_are_masked_as_in_a_group(bench):
    ticket = await report(bench, "zhang", "3号楼楼道灯坏了，联系我13812345678")
    await sign_in(bench, "grid")
    listing = await (await bench.get("/web/tickets")).text()
    assert f"#{ticket}" in listing and "13812345678" not in listing and "138****5678" in listing


async def test_sign_in_from_chat(bench):
    console = bench.console
    await console.say("grid", None, "登录")
    [line] = console.transcript.new()
    url = re.search(r"http://127\.0\.0\.1:8080(/web/login/\S+)", line["text"]).group(1)
    assert "10 分钟" in line["text"]
    assert (await bench.get(url)).status == 200
    await console.say("zhang", None, "登录")
    [refused] = console.transcript.new()
    assert "只对社区工作人员" in refused["text"] and "/web/login/" not in refused["text"]
    await console.say("grid", "b3", "登录")                          # never a link in a group
    said = console.transcript.new()
    assert said and all("/web/login/" not in line["text"] for line in said)
    assert "私聊" in said[0]["text"]


def test_the_admin_cli_prints_a_link_last(linli, redis_server, tmp_path):
    env = {"REDIS_URL": redis_server, "LINLI_DATA_DIR": str(tmp_path), **WEB_ENV}
    ran = linli("admin", "people", "web-login", "grid", "--community", str(DEMO), env=env)
    assert ran.returncode == 0, ran.stderr
    assert re.fullmatch(r"http://127\.0\.0\.1:8080/web/login/[A-Za-z0-9_-]{40,}", ran.stdout.splitlines()[-1])
    resident = linli("admin", "people", "web-login", "zhang", "--community", str(DEMO), env=env)
    assert resident.returncode == 1 and "may not sign in" in resident.stderr
    off = linli("admin", "people", "web-login", "grid", "--community", str(DEMO),
                env={"REDIS_URL": redis_server, "LINLI_DATA_DIR": str(tmp_path)})
    assert off.returncode == 2 and "LINLI_WEB_URL" in off.stderr


def test_settings_need_a_secret_and_keep_it_out_of_logs(redis_server, tmp_path):
    from bot import logsafe
    with pytest.raises(SettingsError, match="LINLI_WEB_SECRET"):
        Settings.load(DEMO, data_dir=tmp_path, env={"LINLI_WEB_URL": "https://linli.example.cn"})
    with pytest.raises(SettingsError, match="at least"):
        Settings.load(DEMO, data_dir=tmp_path, env={"LINLI_WEB_URL": "https://x.cn", "LINLI_WEB_SECRET": "short"})
    settings = Settings.load(DEMO, data_dir=tmp_path, env=WEB_ENV)
    assert SECRET in logsafe.secrets_of(settings) and SECRET not in repr(settings)
    redactor = logsafe.Redactor(logsafe.secrets_of(settings))
    assert redactor.redact(f"key {SECRET} GET /web/login/AbC_123-x") == "key *** GET /web/login/***"


def test_filters_survive_paging():
    from bot.web.data import Filters
    f = Filters.parse({"status": "closed", "building": "3", "overdue": "1", "urgent": "0", "page": "2", "q": "灯",
                       "start": "2026-13-01", "end": "2026-11-30"})
    assert f.start == "" and f.end == "2026-11-30" and not f.urgent
    assert f.query(page=3) == "status=closed&building=3&end=2026-11-30&overdue=1&q=%E7%81%AF&page=3"
    assert Filters.parse({"status": "nonsense"}).status == ""


async def test_a_grid_worker_starts_on_their_buildings_and_what_nobody_covers(bench):
    from bot.web.data import Viewer
    community = bench.runtime.settings.community
    person = community.people["grid"]
    narrow = type(person)(**{**person.__dict__, "buildings": ("3",)})
    viewer = Viewer.of(bench.runtime.services, narrow)
    assert viewer.home_buildings == ("3",)
    scope = viewer.home_scope
    assert "3" in scope and None in scope and "2" not in scope   # 2 is the demo grid worker's (in the file)


async def test_the_statistics_page(bench):
    ticket = await report(bench, "zhang", "3号楼2单元楼道灯坏了，晚上看不见")
    await bench.console.say("grid", None, f"处理 #{ticket}")
    await sign_in(bench, "secretary")
    page = await bench.get("/web/stats")
    assert page.status == 200
    text = await page.text()
    assert "响应率" in text and "解决率" in text and "满意率" in text and "100.0%" in text and "近 12 个月" in text
    assert "3号楼" in text or ">3<" in text
    by_category = await (await bench.get("/web/stats?by=category")).text()
    assert "设施维修" in by_category
    wrong = await (await bench.get("/web/stats?period=abc")).text()
    assert "not a period" in wrong or "abc" in wrong
    bench.session.cookie_jar.clear()
    await sign_in(bench, "wuye_li")
    assert (await bench.get("/web/stats")).status == 403


async def _tenth_of_next_month(bench) -> str:
    """Move the clock to 09:00 on the 10th of the next month; that month's name."""
    from datetime import datetime, timedelta
    runtime = bench.runtime
    now = datetime.fromtimestamp(runtime.clock.now(), runtime.settings.community.tz)
    tenth = (now.replace(day=28) + timedelta(days=4)).replace(day=10, hour=9, minute=0, second=0, microsecond=0)
    runtime.clock.set(tenth.timestamp())
    await runtime.save_fake_clock()
    return f"{tenth.year:04d}-{tenth.month:02d}"


async def test_the_monthly_report_and_its_export(bench):
    import io

    import openpyxl

    from bot.web.report import COLUMNS
    before = await _tenth_of_next_month(bench)
    earlier = await report(bench, "r201", "2号楼门口垃圾堆了三天没人清理，臭死了")   # a month before: not in it
    month = await _tenth_of_next_month(bench)
    lamp = await report(bench, "zhang", "3号楼2单元楼道灯坏了，晚上看不见，电话13812345678")
    litter = await report(bench, "r201", "2号楼门口垃圾堆了三天没人清理，臭死了")
    await bench.console.say("grid", None, f"处理 #{lamp}")
    await bench.console.say("grid", None, f"办结 #{lamp} 换了灯泡")
    await bench.console.say("grid", None, f"处理 #{litter}")
    bench.console.transcript.new()
    await sign_in(bench, "secretary")

    page = await bench.get(f"/web/report?month={month}")
    assert page.status == 200
    text = await page.text()
    assert "月报" in text and "cdn" not in text.lower()
    rates = {name: re.search(rf'id="rate-{name}">.*?</div>', text, re.S).group(0)
             for name in ("response", "resolution", "satisfaction")}
    assert "100.0%" in rates["response"] and "2 / 2" in rates["response"] and "≥95%" in rates["response"]
    assert "50.0%" in rates["resolution"] and "1 / 2" in rates["resolution"] and "未达标" in rates["resolution"]
    assert "—" in rates["satisfaction"] and "0 / 0" in rates["satisfaction"]
    assert re.search(r'id="created">2<', text) and re.search(r'id="resolved">1<', text)
    assert "设施维修" in text and "环境卫生" in text and "3号楼" in text      # the top problems
    assert f"#{lamp}" in text and "换了灯泡" in text and "13812345678" not in text   # what was done, masked
    assert '<script src="/web/static/vendor/echarts.min.js">' in text and 'id="chart-data"' in text
    assert 'data-chart="rates"' in text and "@page" not in text          # print rules live in web.css
    css = await (await bench.get("/web/static/web.css")).text()
    assert "@page" in css and "A4" in css
    for path in ("/web/static/vendor/echarts.min.js", "/web/static/charts.js"):
        served = await bench.get(path)
        assert served.status == 200 and "javascript" in served.headers["Content-Type"], path
    assert "Apache" in await (await bench.get("/web/static/vendor/echarts.LICENSE")).text()
    default = await (await bench.get("/web/report")).text()                   # this month by default
    assert f'value="{month}"' in default
    wrong = await bench.get("/web/report?month=2026-13")
    assert wrong.status == 400 and "不是月份" in await wrong.text()

    answer = await bench.get(f"/web/report/export?month={month}")
    assert answer.status == 200
    assert answer.headers["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    assert f"tickets-{month}.xlsx" in answer.headers["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(await answer.read()))
    sheet = book.active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert tuple(rows[0]) == COLUMNS
    for header in ("编号", "状态", "类别", "报告人", "负责人", "响应期限", "办结期限", "是否超期"):
        assert header in rows[0]
    by_id = {row[0]: dict(zip(COLUMNS, row)) for row in rows[1:]}
    assert set(by_id) == {lamp, litter}                                       # the month's, not the one before
    lamp_row = by_id[lamp]
    assert lamp_row["报告人"] == "张阿姨" and lamp_row["负责人"] == "林网格员" and lamp_row["状态"] == "已办结"
    assert lamp_row["类别"] == "设施维修" and lamp_row["楼栋"] == "3号楼" and lamp_row["是否超期"] == "否"
    assert "13812345678" not in lamp_row["内容"]
    assert lamp_row["创建时间"].strftime("%Y-%m") == month and lamp_row["办结期限"] > lamp_row["创建时间"]
    assert lamp_row["办结时间"] is not None and by_id[litter]["办结时间"] is None
    assert by_id[litter]["状态"] == "处理中" and by_id[litter]["报告人"] == "陈大爷"
    older = openpyxl.load_workbook(io.BytesIO(await (await bench.get(f"/web/report/export?month={before}")).read()))
    assert [row[0] for row in older.active.iter_rows(min_row=2, values_only=True)] == [earlier]


async def test_the_monthly_report_is_staff_only(bench):
    await report(bench, "zhang", "3号楼2单元楼道灯坏了，晚上看不见")
    for path in ("/web/report", "/web/report/export"):
        assert (await bench.get(path, allow_redirects=False)).status == 401, path   # no session
    token = await WebLogins(bench.runtime.store).issue("zhang")                      # a resident gets none
    assert (await bench.get(f"/web/login/{token}")).status == 403
    answer = await bench.post("/web/login", data={"token": token}, allow_redirects=False)
    assert answer.status == 403 and "linli_session" not in answer.cookies
    assert (await bench.get("/web/report")).status == 401
    await sign_in(bench, "wuye_li")                                                 # a department's contact
    for path in ("/web/report", "/web/report/export", "/web/report?month=2026-11"):
        refused = await bench.get(path)
        assert refused.status == 403, path
        assert "只对社区工作人员" in await refused.text()
    assert "/web/report" not in await (await bench.get("/web/today")).text()        # not in their menu
