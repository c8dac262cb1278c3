"""The WeChat Official Account and WeCom channels: callbacks built with wechatpy's own
crypto, as WeChat sends them, against linli's server; a fake WeChat API records what
linli sends. The published crypto vectors and XML samples where ../shared is present."""

import asyncio
import hashlib
import json
import time

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from wechatpy.crypto import WeChatCrypto
from wechatpy.enterprise.crypto import WeChatCrypto as WeComCrypto

from bot.app import open_runtime
from bot.channels.wechat import OfficialAccount, parse, safe_xml, BadCallback
from bot.channels.wecom import WeCom
from bot.delivery import Delivery
from bot.server import build_app
from bot.settings import Settings
from bot.worker import Worker
from handlers.router import COMMANDS
from storage.identities import Identities
from tests.conftest import DEMO

TOKEN, AES_KEY, APP_ID = "linlitoken", "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR", "wx49f0ab532d5d035a"
CORP_ID, AGENT = "ww1436e0e65a779aee", 1000002


class FakeWeChat:
    """Plays api.weixin.qq.com and qyapi.weixin.qq.com: tokens, messages; records calls."""

    def __init__(self):
        self.calls = []
        self.expire_next = 0   # answer the next N token-using calls with 42001 (expired)

    async def handle(self, request):
        path = request.path
        body = await request.json() if request.can_read_body else {}
        self.calls.append((path, dict(request.query), body))
        if path in ("/cgi-bin/stable_token", "/cgi-bin/gettoken"):
            return web.json_response({"access_token": f"T{len(self.calls)}", "expires_in": 7200})
        if self.expire_next and "access_token" in request.query:
            self.expire_next -= 1
            return web.json_response({"errcode": 42001, "errmsg": "access_token expired"})
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    def sent(self, path):
        return [(q, b) for p, q, b in self.calls if p == path]


@pytest.fixture
async def fake_wechat():
    api = FakeWeChat()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", api.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    api.base = f"http://127.0.0.1:{server.port}"
    yield api
    await server.close()


@pytest.fixture
async def wx_runtime(tmp_path, redis_server, redis, fake_wechat):
    env = {"REDIS_URL": redis_server, "WECHAT_APP_ID": APP_ID, "WECHAT_APP_SECRET": "secret", "WECHAT_TOKEN": TOKEN,
           "WECHAT_AES_KEY": AES_KEY, "WECHAT_API_BASE": fake_wechat.base, "WECHAT_REPLY_BUDGET": "0.8",
           "WECOM_CORP_ID": CORP_ID, "WECOM_AGENT_ID": str(AGENT), "WECOM_SECRET": "s", "WECOM_TOKEN": TOKEN,
           "WECOM_AES_KEY": AES_KEY, "WECOM_API_BASE": fake_wechat.base,
           "WECOM_BOT_TOKEN": "bottoken", "WECOM_BOT_AES_KEY": AES_KEY}
    settings = Settings.load(DEMO, data_dir=tmp_path, env=env)
    async with open_runtime(settings, fake_clock=True) as runtime:
        runtime.services.classifier.warm_up()          # as `linli run` does at start
        await Identities(runtime.store).bind("wx:oZhang", "@zhang")
        await Identities(runtime.store).bind("wecom:wangshifu", "@vol_wang")
        yield runtime


@pytest.fixture
async def server(wx_runtime):
    channels = [OfficialAccount(wx_runtime, commands=COMMANDS), WeCom(wx_runtime, commands=COMMANDS)]
    async with TestClient(TestServer(build_app(wx_runtime, channels))) as client:
        client.channels = channels
        yield client
        for channel in channels:
            await channel.api.close()


def text_xml(content, msg_id="1001", openid="oZhang", create_time="1700000000"):
    return (f"<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{create_time}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>")


def signed(timestamp="1700000000", nonce="n1"):
    signature = hashlib.sha1("".join(sorted([TOKEN, timestamp, nonce])).encode()).hexdigest()
    return {"signature": signature, "timestamp": timestamp, "nonce": nonce}


def encrypted(xml, timestamp="1700000000", nonce="n1"):
    """What WeChat posts in safe mode, built with wechatpy's crypto (as a separate client would)."""
    envelope = WeChatCrypto(TOKEN, AES_KEY, APP_ID).encrypt_message(xml, nonce, timestamp)
    import xmltodict
    fields = xmltodict.parse(envelope)["xml"]
    params = {**signed(timestamp, nonce), "encrypt_type": "aes", "msg_signature": fields["MsgSignature"],
              "openid": "oZhang"}
    return params, f"<xml><ToUserName><![CDATA[gh_1]]></ToUserName><Encrypt><![CDATA[{fields['Encrypt']}]]></Encrypt></xml>"


async def work(runtime, stop):
    worker = Worker(runtime)
    while not stop.is_set():
        await worker.step(block_ms=50)


def working(runtime):
    """A worker running beside the server, as in `linli run`, already holding its shards."""
    class Running:
        async def __aenter__(self):
            self.stop = asyncio.Event()
            self.task = asyncio.create_task(work(runtime, self.stop))
            await asyncio.sleep(0.3)
            return self

        async def __aexit__(self, *exc):
            self.stop.set()
            await self.task
    return Running()


async def test_the_url_check_echoes_only_for_a_right_signature(server):
    ok = await server.get("/wechat", params={**signed(), "echostr": "hello123"})
    assert ok.status == 200 and await ok.text() == "hello123"
    bad = await server.get("/wechat", params={**signed(), "signature": "0" * 40, "echostr": "x"})
    assert bad.status == 403


@pytest.mark.parametrize("mode", ["plain", "aes"])
async def test_a_report_gets_its_reply_passively_within_the_budget(server, wx_runtime, fake_wechat, mode):
    xml = text_xml("3号楼2单元电梯坏了，老人下不了楼")
    params, body = (signed(), xml) if mode == "plain" else encrypted(xml)
    async with working(wx_runtime):
        started = time.monotonic()
        response = await server.post("/wechat", params=params, data=body)
        elapsed = time.monotonic() - started
    text = await response.text()
    assert response.status == 200 and elapsed < 2
    if mode == "aes":
        import xmltodict
        envelope = xmltodict.parse(text)["xml"]
        text = WeChatCrypto(TOKEN, AES_KEY, APP_ID).decrypt_message(
            text, envelope["MsgSignature"], envelope["TimeStamp"], envelope["Nonce"])
    assert "工单 #1" in text and "<ToUserName><![CDATA[oZhang]]></ToUserName>" in text
    delivery = Delivery(wx_runtime, server.channels[0])
    await delivery.start()
    await delivery.step()
    assert not fake_wechat.sent("/cgi-bin/message/custom/send")    # answered once, passively


async def test_a_slow_path_answers_success_and_replies_through_the_customer_service_api(server, wx_runtime,
                                                                                        fake_wechat):
    started = time.monotonic()
    response = await server.post("/wechat", params=signed(), data=text_xml("3号楼路灯坏了，晚上太黑"))
    assert await response.text() == "success" and time.monotonic() - started < 1.5   # no worker: budget ran out
    await Worker(wx_runtime).step(block_ms=None)
    delivery = Delivery(wx_runtime, server.channels[0])
    await delivery.start()
    await delivery.step()
    [(query, body)] = fake_wechat.sent("/cgi-bin/message/custom/send")
    assert body["touser"] == "oZhang" and "工单 #1" in body["text"]["content"]
    assert query["access_token"].startswith("T")
    assert len(fake_wechat.sent("/cgi-bin/stable_token")) == 1


async def test_a_retried_message_is_processed_once(server, wx_runtime):
    for _ in range(3):
        response = await server.post("/wechat", params=signed(), data=text_xml("3号楼路灯坏了", msg_id="77"))
        assert response.status == 200
    assert await wx_runtime.inbound.backlog() == 1


@pytest.mark.parametrize("params, body, status", [
    ({"signature": "0" * 40, "timestamp": "1", "nonce": "n"}, text_xml("x"), 403),
    (signed(), "<xml><unclosed>", 400),
    (signed(), "not xml at all", 400),
    (signed(), "<xml>" + "<a>x</a>" * 20000 + "</xml>", 400),                         # oversized
    (signed(), '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
               "<xml><Content>&lol2;</Content></xml>", 400),                          # entity expansion
    (signed(), '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><Content>&e;</Content></xml>', 400),
])
async def test_bad_callbacks_are_refused_and_nothing_is_stored(server, wx_runtime, params, body, status):
    response = await server.post("/wechat", params=params, data=body)
    assert response.status == status
    assert await wx_runtime.inbound.backlog() == 0


async def test_a_wrong_msg_signature_in_safe_mode_is_403(server, wx_runtime):
    params, body = encrypted(text_xml("x"))
    response = await server.post("/wechat", params={**params, "msg_signature": "0" * 40}, data=body)
    assert response.status == 403 and await wx_runtime.inbound.backlog() == 0


async def test_a_push_goes_as_a_customer_service_message_in_the_window_else_a_template(server, wx_runtime,
                                                                                         fake_wechat):
    from handlers.events import Outgoing
    channel = server.channels[0]
    with pytest.raises(Exception) as error:                     # never wrote: no window, no template
        await channel.send("wx:oZhang", Outgoing(to="@zhang", text="【志愿任务】"))
    assert getattr(error.value, "permanent", False)
    await server.post("/wechat", params=signed(), data=text_xml("你好", msg_id="5"))
    await channel.send("wx:oZhang", Outgoing(to="@zhang", text="【志愿任务】"))
    assert fake_wechat.sent("/cgi-bin/message/custom/send")[-1][1]["text"]["content"] == "【志愿任务】"
    channel.template_id = "TPL1"
    wx_runtime.clock.set(wx_runtime.clock.now() + 49 * 3600)   # the 48-hour window closed
    await channel.send("wx:oZhang", Outgoing(to="@zhang", text="投票提醒"))
    [(_, body)] = fake_wechat.sent("/cgi-bin/message/template/send")
    assert body["template_id"] == "TPL1" and body["data"]["content"]["value"] == "投票提醒"


async def test_an_expired_token_is_refreshed_once(server, wx_runtime, fake_wechat):
    from handlers.events import Outgoing
    await server.post("/wechat", params=signed(), data=text_xml("你好", msg_id="6"))
    fake_wechat.expire_next = 1
    await server.channels[0].send("wx:oZhang", Outgoing(to="@zhang", text="hi"))
    assert len(fake_wechat.sent("/cgi-bin/stable_token")) == 2
    assert len(fake_wechat.sent("/cgi-bin/message/custom/send")) == 2    # refused once, then sent


@pytest.mark.parametrize("xml, expected", [
    ("<xml><ToUserName>g</ToUserName><FromUserName>oNew</FromUserName><CreateTime>1</CreateTime>"
     "<MsgType>event</MsgType><Event>subscribe</Event></xml>", "绑定"),
    ("<xml><ToUserName>g</ToUserName><FromUserName>oZhang</FromUserName><CreateTime>2</CreateTime>"
     "<MsgType>event</MsgType><Event>CLICK</Event><EventKey>points</EventKey></xml>", "积分"),
    ("<xml><ToUserName>g</ToUserName><FromUserName>oZhang</FromUserName><CreateTime>21</CreateTime>"
     "<MsgType>event</MsgType><Event>CLICK</Event><EventKey>查询</EventKey></xml>", "反映过问题"),
    ("<xml><ToUserName>g</ToUserName><FromUserName>oZhang</FromUserName><CreateTime>22</CreateTime>"
     "<MsgType>event</MsgType><Event>CLICK</Event><EventKey>V1001_UNKNOWN</EventKey></xml>", "帮助"),
    ("<xml><ToUserName>g</ToUserName><FromUserName>oZhang</FromUserName><CreateTime>3</CreateTime>"
     "<MsgType>voice</MsgType><MediaId>m</MediaId><Format>amr</Format><MsgId>31</MsgId>"
     "<Recognition>3号楼电梯坏了</Recognition></xml>", "工单 #1"),
    ("<xml><ToUserName>g</ToUserName><FromUserName>oZhang</FromUserName><CreateTime>4</CreateTime>"
     "<MsgType>voice</MsgType><MediaId>m</MediaId><Format>amr</Format><MsgId>32</MsgId></xml>", "没听清"),
    ("<xml><ToUserName>g</ToUserName><FromUserName>oZhang</FromUserName><CreateTime>5</CreateTime>"
     "<MsgType>image</MsgType><PicUrl>http://p/1.jpg</PicUrl><MediaId>m</MediaId><MsgId>33</MsgId></xml>",
     "先用文字"),
])
async def test_message_kinds(server, wx_runtime, xml, expected):
    async with working(wx_runtime):
        response = await server.post("/wechat", params=signed(), data=xml)
    assert expected in await response.text()


async def test_a_photo_and_a_location_join_the_senders_open_ticket(server, wx_runtime):
    running = working(wx_runtime)
    await running.__aenter__()
    await server.post("/wechat", params=signed(), data=text_xml("3号楼路灯坏了，晚上太黑", msg_id="40"))
    photo = ("<xml><ToUserName>g</ToUserName><FromUserName>oZhang</FromUserName><CreateTime>6</CreateTime>"
             "<MsgType>image</MsgType><PicUrl>http://p/2.jpg</PicUrl><MediaId>m</MediaId><MsgId>41</MsgId></xml>")
    assert "附到工单 #1" in await (await server.post("/wechat", params=signed(), data=photo)).text()
    where = ("<xml><ToUserName>g</ToUserName><FromUserName>oZhang</FromUserName><CreateTime>7</CreateTime>"
             "<MsgType>location</MsgType><Location_X>31.2</Location_X><Location_Y>121.4</Location_Y>"
             "<Scale>15</Scale><Label>示范社区3号楼</Label><MsgId>42</MsgId></xml>")
    assert "位置已附到工单 #1" in await (await server.post("/wechat", params=signed(), data=where)).text()
    await running.__aexit__(None, None, None)
    ticket = await wx_runtime.services.tickets.get(1)
    assert ticket.location["label"] == "示范社区3号楼" and ticket.location["lat"] == "31.2"
    assert [h["action"] for h in ticket.history][-2:] == ["attached", "located"]
    assert ticket.history[-2]["note"] == "http://p/2.jpg"


# ---- WeCom --------------------------------------------------------------------------------

def wecom_post(xml, timestamp="1700000000", nonce="n2"):
    envelope = WeComCrypto(TOKEN, AES_KEY, CORP_ID).encrypt_message(xml, nonce, timestamp)
    import xmltodict
    fields = xmltodict.parse(envelope)["xml"]
    params = {"msg_signature": fields["MsgSignature"], "timestamp": timestamp, "nonce": nonce}
    return params, f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><Encrypt><![CDATA[{fields['Encrypt']}]]></Encrypt><AgentID>{AGENT}</AgentID></xml>"


async def test_wecom_url_check_decrypts_echostr(server):
    crypto = WeComCrypto(TOKEN, AES_KEY, CORP_ID)
    import xmltodict
    envelope = xmltodict.parse(crypto.encrypt_message("echo-9876", "n3", "1700000000"))["xml"]
    response = await server.get("/wecom", params={"msg_signature": envelope["MsgSignature"], "timestamp": "1700000000",
                                                   "nonce": "n3", "echostr": envelope["Encrypt"]})
    assert response.status == 200 and await response.text() == "echo-9876"
    bad = await server.get("/wecom", params={"msg_signature": "0" * 40, "timestamp": "1", "nonce": "n",
                                              "echostr": envelope["Encrypt"]})
    assert bad.status == 403


async def test_a_wecom_member_talks_to_linli_and_a_task_push_arrives_as_a_text_card(server, wx_runtime,
                                                                                    fake_wechat):
    xml = (f"<xml><ToUserName>{CORP_ID}</ToUserName><FromUserName>wangshifu</FromUserName><CreateTime>8</CreateTime>"
           f"<MsgType>text</MsgType><Content>我的任务</Content><MsgId>51</MsgId><AgentID>{AGENT}</AgentID></xml>")
    params, body = wecom_post(xml)
    for _ in range(2):                                            # a retried callback counts once
        response = await server.post("/wecom", params=params, data=body)
        assert response.status == 200
    assert await wx_runtime.inbound.backlog() == 1
    await Worker(wx_runtime).step(block_ms=None)
    from tests.test_points import handle
    from bot.addressing import encode, resolve
    ctx = await handle(wx_runtime, "grid", "发布任务 修水龙头 技能维修 紧急")   # 王师傅 fits best
    push = next(m for m in ctx.outgoing if m.to == "@vol_wang")
    identity = resolve(wx_runtime.settings.community, push, wx_runtime.settings.platforms,
                       await Identities(wx_runtime.store).of("@vol_wang"))
    assert identity == "wecom:wangshifu"
    await wx_runtime.outbox.queue("wecom").push(encode(identity, push))
    delivery = Delivery(wx_runtime, server.channels[1])
    await delivery.start()
    await delivery.step()
    sent = [b for _, b in fake_wechat.sent("/cgi-bin/message/send")]
    assert sent[0]["msgtype"] == "text" and "没有进行中的志愿任务" in sent[0]["text"]["content"]
    card = sent[1]
    assert card["msgtype"] == "textcard" and card["touser"] == "wangshifu" and card["agentid"] == AGENT
    assert "接单 T1" in card["textcard"]["description"]
    assert len(fake_wechat.sent("/cgi-bin/gettoken")) == 1


async def test_a_wecom_group_robot_is_paced_at_20_a_minute(wx_runtime, fake_wechat):
    from handlers.events import Outgoing
    from storage.ratelimit import RateLimiter
    now = [1000.0]
    channel = WeCom(wx_runtime, limiter=RateLimiter(wx_runtime.store, clock=lambda: now[0]))
    for n in range(20):
        await channel.send("wecom:robot:KEY1", Outgoing(to="b3", text=f"通知{n}"))
    with pytest.raises(Exception) as error:
        await channel.send("wecom:robot:KEY1", Outgoing(to="b3", text="第21条"))
    assert error.value.throttled and error.value.retry_after > 0
    now[0] += 61
    await channel.send("wecom:robot:KEY1", Outgoing(to="b3", text="第21条"))
    sent = fake_wechat.sent("/cgi-bin/webhook/send")
    assert len(sent) == 21 and sent[-1][0]["key"] == "KEY1" and "access_token" not in sent[-1][0]
    await channel.api.close()


def aibot_post(data, timestamp="1700000000", nonce="n4"):
    """An AI bot callback as WeCom sends it: JSON whose `encrypt` holds the message."""
    import xmltodict
    crypto = WeComCrypto("bottoken", AES_KEY, "")
    envelope = xmltodict.parse(crypto.encrypt_message(json.dumps(data, ensure_ascii=False), nonce, timestamp))["xml"]
    return ({"msg_signature": envelope["MsgSignature"], "timestamp": timestamp, "nonce": nonce},
            json.dumps({"encrypt": envelope["Encrypt"]}))


async def test_a_building_group_on_wecom_reports_through_the_ai_bot(server, wx_runtime, fake_wechat):
    await Identities(wx_runtime.store).bind("wecom:chat:wrB3", "b3")
    await Identities(wx_runtime.store).bind("wecom:r303", "@r303")
    data = {"msgid": "m1", "aibotid": "AIB", "chatid": "wrB3", "chattype": "group", "from": {"userid": "r303"},
            "response_url": f"{fake_wechat.base}/aibot/respond?code=1", "msgtype": "text",
            "text": {"content": "@小邻 3号楼3单元电梯坏了，门打不开"}}
    params, body = aibot_post(data)
    for _ in range(2):
        response = await server.post("/wecom/aibot", params=params, data=body)
        assert response.status == 200
    assert await wx_runtime.inbound.backlog() == 1
    await Worker(wx_runtime).step(block_ms=None)
    ticket = await wx_runtime.services.tickets.get(1)
    assert ticket.chat == "b3" and ticket.reporter == "r303"
    delivery = Delivery(wx_runtime, server.channels[1])
    await delivery.start()
    await delivery.step()
    replies = [b for p, q, b in fake_wechat.calls if p == "/aibot/respond"]
    assert replies and "工单 #1" in replies[0]["markdown"]["content"]


@pytest.mark.parametrize("tamper, status", [("signature", 403), ("json", 400), ("fields", 400)])
async def test_bad_ai_bot_callbacks_are_refused(server, wx_runtime, tamper, status):
    params, body = aibot_post({"msgid": "m2", "chattype": "single", "from": {"userid": "r303"}, "msgtype": "text",
                               "text": {"content": "hi"}})
    if tamper == "signature":
        params = {**params, "msg_signature": "0" * 40}
    elif tamper == "json":
        body = "{not json"
    else:
        params, body = aibot_post({"hello": "world"})
    assert (await server.post("/wecom/aibot", params=params, data=body)).status == status
    assert await wx_runtime.inbound.backlog() == 0


async def test_the_ai_bot_url_check(server):
    import xmltodict
    envelope = xmltodict.parse(WeComCrypto("bottoken", AES_KEY, "").encrypt_message("e-42", "n5", "1700000000"))["xml"]
    response = await server.get("/wecom/aibot", params={"msg_signature": envelope["MsgSignature"],
                                                         "timestamp": "1700000000", "nonce": "n5",
                                                         "echostr": envelope["Encrypt"]})
    assert await response.text() == "e-42"


def test_the_published_crypto_vectors_decrypt_and_verify(shared_data):
    vectors = json.loads((shared_data / "wechat" / "crypto_test_vectors.json").read_text())["vectors"]
    checked = 0
    for v in vectors:
        incoming = v.get("incoming") or {}
        if not incoming.get("body_xml") or "receive_id" not in v:
            continue
        crypto = WeComCrypto(v["token"], v["encoding_aes_key"], v["receive_id"])
        xml = crypto.decrypt_message(incoming["body_xml"], incoming["msg_signature"], incoming["timestamp"],
                                     incoming["nonce"])
        assert xml.strip() == incoming["decrypted_xml_derived_by_researcher"].strip(), v["id"]
        safe_xml(xml.encode())
        checked += 1
    assert checked >= 2


def test_the_wechatpy_xml_samples_parse_or_are_refused_cleanly(shared_data):
    parsed = refused = 0
    for line in (shared_data / "wechat" / "wechatpy_xml_samples.jsonl").open(encoding="utf-8"):
        xml = json.loads(line)["xml"]
        try:
            message = parse(safe_xml(xml.encode()))
        except BadCallback:
            refused += 1
            continue
        parsed += 1
        assert message.source
    assert parsed >= 60


async def test_a_running_linli_answers_a_real_official_account_callback(tmp_path, fake_wechat):
    """As it will be checked: `linli run` with the Official Account configured, a separate
    client posting an encrypted callback built with wechatpy, the fake WeChat API recording."""
    import os
    import signal
    import subprocess
    import sys
    import aiohttp
    from tests.conftest import ROOT
    from tests.test_cli import free_port
    port = free_port()
    env = {**os.environ, "WECHAT_APP_ID": APP_ID, "WECHAT_APP_SECRET": "secret", "WECHAT_TOKEN": TOKEN,
           "WECHAT_AES_KEY": AES_KEY, "WECHAT_API_BASE": fake_wechat.base, "WECHAT_REPLY_BUDGET": "2"}
    env.pop("REDIS_URL", None)
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "run", "--community", str(DEMO), "--data-dir",
                             str(tmp_path), "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}/wechat"
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(150):
                try:
                    async with session.get(base, params={**signed(), "echostr": "ok42"}) as response:
                        assert await response.text() == "ok42"
                        break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.1)
            params, body = encrypted(text_xml("3号楼路灯坏了，晚上太黑", openid="oStranger", msg_id="9001"))
            async with session.post(base, params=params, data=body) as response:
                assert response.status == 200
                reply = await response.text()
            async with session.post(base, params=params, data=body) as response:   # WeChat's retry
                assert response.status == 200
            async with session.post(base, params={**params, "msg_signature": "0" * 40}, data=body) as response:
                assert response.status == 403
        # Passive when the worker answered within the budget, else through the customer-service
        # API; a busy machine may take either path, and each must deliver the reply exactly once.
        if reply == "success":
            for _ in range(100):
                if fake_wechat.sent("/cgi-bin/message/custom/send"):
                    break
                await asyncio.sleep(0.1)
            [(_, sent)] = fake_wechat.sent("/cgi-bin/message/custom/send")
            assert sent["touser"] == "oStranger"
            text = sent["text"]["content"]
        else:
            import xmltodict
            envelope = xmltodict.parse(reply)["xml"]
            text = WeChatCrypto(TOKEN, AES_KEY, APP_ID).decrypt_message(reply, envelope["MsgSignature"],
                                                                        envelope["TimeStamp"], envelope["Nonce"])
            await asyncio.sleep(1)
            assert not fake_wechat.sent("/cgi-bin/message/custom/send")      # sent once, passively
        assert "绑定" in text                    # a stranger is told how to register
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err


def test_menu_keys_come_from_the_command_table():
    """A button's EventKey: a command's slash name, the old `tasks` key, or a command's own
    words; every key configured accounts used before still means what it meant."""
    from bot.channels.wechat import Menu
    menu = Menu(COMMANDS)
    before = {"report": "报修", "status": "查询", "points": "积分", "tasks": "我的任务", "vote": "投票", "help": "帮助"}
    assert {key: menu(key) for key in before} == before
    assert menu("mytasks") == "我的任务" and menu("rewards") == "爱心超市"
    assert menu("积分") == "积分" and menu("我的任务") == "我的任务"
    assert menu("V1001_UNKNOWN") == "帮助" and menu("") == "帮助"
