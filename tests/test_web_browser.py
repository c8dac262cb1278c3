"""The web workbench in a real headless browser: Debian's chromium driven by its
chromedriver through selenium (installed by .ci/run; nothing is downloaded). A grid worker
signs in with the link `登录` sends in chat, opens every page, filters, takes an action
(处理) and sees the ticket change on the page and the reply in chat; a resident's link is
refused; a department's contact sees only their tickets. Staff confirm a triage-queue
message from 今日.

The HTTP server and the worker run in the test's event loop; selenium, which blocks, runs
in a thread beside it."""

from __future__ import annotations

import asyncio
import base64
import os
import re
import shutil
import socket

import pytest
from aiohttp.test_utils import TestServer

from bot.app import open_runtime
from bot.console import ConsoleSession
from bot.server import build_app
from bot.settings import Settings
from bot.web import app as web_app
from storage.web import WebLogins
from tests.conftest import DEMO, Transcript

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")

try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.support.ui import Select, WebDriverWait
except ImportError:   # pragma: no cover - the test extra installs it
    webdriver = None

pytestmark = pytest.mark.skipif(
    webdriver is None or not CHROMIUM or not CHROMEDRIVER,
    reason="needs selenium and Debian's chromium and chromium-driver (apt-get install -y chromium "
           "chromium-driver; .ci/run installs them)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def browser():
    os.environ.setdefault("SE_OFFLINE", "true")      # selenium manager must never fetch a browser or driver
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=420,900", "--lang=zh-CN"):   # a phone's width
        options.add_argument(argument)
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def follow(driver, element) -> None:
    """Click `element` and wait for the page it leads to (a click returns before it loads)."""
    page = driver.find_element(By.TAG_NAME, "html")
    element.click()

    def gone(_driver) -> bool:
        # Chromium answers a question about a node of a page being replaced either "stale
        # element" or "Node with given id does not belong to the document": both mean gone.
        try:
            page.is_enabled()
            return False
        except WebDriverException:
            return True

    def loaded(_driver) -> bool:
        # The old page is gone, but the new one may still be loading: an element found now
        # can belong to a document about to be replaced.
        try:
            return driver.execute_script("return document.readyState") == "complete"
        except WebDriverException:
            return False

    WebDriverWait(driver, 10).until(gone)
    WebDriverWait(driver, 10).until(loaded)


@pytest.fixture
async def served(redis_server, redis, tmp_path, monkeypatch):
    """The workbench on a real port, and a console whose worker and delivery keep running."""
    monkeypatch.setattr(web_app, "FAIL_DELAY", 0)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = Settings.load(DEMO, data_dir=tmp_path, env={
        "REDIS_URL": redis_server, "LINLI_WEB_URL": base, "LINLI_WEB_SECRET": "browser-test-" + "s" * 40})
    async with open_runtime(settings, fake_clock=True) as runtime:
        transcript = Transcript()
        async with ConsoleSession(runtime, out=transcript.buffer) as console:
            console.transcript = transcript
            server = TestServer(build_app(runtime), host="127.0.0.1", port=port)
            await server.start_server()
            stop = asyncio.Event()

            async def keep_handling():
                while not stop.is_set():
                    await console.drain()
                    await asyncio.sleep(0.05)

            handling = asyncio.create_task(keep_handling())
            try:
                yield base, console
            finally:
                stop.set()
                await handling
                await server.close()


async def test_a_grid_worker_works_a_ticket_in_the_browser(served):
    base, console = served
    await console.say("zhang", None, "3号楼2单元楼道灯坏了，晚上看不见")
    await console.say("r201", None, "2号楼门口垃圾堆了三天没人清理，臭死了")
    console.transcript.new()
    await console.say("grid", None, "登录")
    [line] = console.transcript.new()
    link = re.search(r"http://\S+/web/login/\S+", line["text"]).group(0)
    resident_link = f"{base}/web/login/" + await WebLogins(console.runtime.store).issue("zhang")
    contact_link = f"{base}/web/login/" + await WebLogins(console.runtime.store).issue("wuye_li")

    def scenario() -> dict:
        seen = {}
        driver = browser()
        try:
            driver.implicitly_wait(5)
            driver.get(link)
            assert "进入工作台" in driver.page_source
            follow(driver, driver.find_element(By.ID, "enter"))
            assert driver.current_url.endswith("/web/today")
            today = driver.find_element(By.TAG_NAME, "main").text
            seen["today"] = today
            for nav, heading in (("工单", "工单"), ("议事投票", "议事投票"), ("志愿服务", "志愿服务"),
                                 ("积分超市", "积分超市"), ("关爱", "关爱"), ("统计", "统计"), ("今日", "今日")):
                follow(driver, driver.find_element(By.LINK_TEXT, nav))
                assert driver.find_element(By.TAG_NAME, "h1").text.startswith(heading), nav
            # filter: 2号楼 only, then words
            follow(driver, driver.find_element(By.LINK_TEXT, "工单"))
            Select(driver.find_element(By.NAME, "building")).select_by_value("2")
            follow(driver, driver.find_element(By.ID, "apply"))
            seen["building2"] = driver.find_element(By.TAG_NAME, "main").text
            driver.get(f"{base}/web/tickets")
            driver.find_element(By.NAME, "q").send_keys("楼道灯")
            follow(driver, driver.find_element(By.ID, "apply"))
            seen["search"] = driver.find_element(By.TAG_NAME, "main").text
            # take an action: 处理 #1
            follow(driver, driver.find_element(By.PARTIAL_LINK_TEXT, "#1 "))
            assert driver.find_element(By.ID, "status").text == "待受理"
            driver.find_element(By.XPATH, "//summary[text()='处理']").click()
            form = driver.find_element(By.ID, "action-start")
            form.find_element(By.NAME, "note").send_keys("下午去看")
            follow(driver, form.find_element(By.TAG_NAME, "button"))
            seen["notice"] = driver.find_element(By.ID, "notice").text
            seen["status"] = driver.find_element(By.ID, "status").text
            seen["timeline"] = driver.find_element(By.ID, "timeline").text
            # sign out; a resident's link; a department's contact
            follow(driver, driver.find_element(By.XPATH, "//button[text()='退出']"))
            seen["signed_out"] = driver.find_element(By.TAG_NAME, "main").text
            driver.get(f"{base}/web/today")
            seen["after_sign_out"] = driver.find_element(By.TAG_NAME, "main").text
            driver.get(resident_link)
            seen["resident"] = driver.find_element(By.TAG_NAME, "main").text
            driver.get(contact_link)
            follow(driver, driver.find_element(By.ID, "enter"))
            driver.get(f"{base}/web/tickets")
            seen["contact"] = driver.find_element(By.TAG_NAME, "main").text
            driver.get(f"{base}/web/tickets/2")
            seen["contact_other"] = driver.find_element(By.TAG_NAME, "main").text
        finally:
            driver.quit()
        return seen

    seen = await asyncio.to_thread(scenario)
    assert "#1 设施维修" in seen["today"] and "#2" in seen["today"] and "3号楼" in seen["today"]
    assert "#2" in seen["building2"] and "#1 " not in seen["building2"]
    assert "#1 " in seen["search"] and "#2" not in seen["search"]
    assert "已提交“处理”" in seen["notice"]
    assert seen["status"] == "处理中"
    assert "林网格员 开始处理：下午去看" in seen["timeline"]
    said = console.transcript.new()
    assert any(m["to"] == "@grid" and "#1" in m["text"] for m in said), said       # the reply, in chat
    assert any(m["to"] == "@zhang" and "#1" in m["text"] for m in said), said      # the resident told
    ticket = await console.runtime.services.tickets.get(1)
    assert ticket.status == "in_progress" and ticket.history[-1]["by"] == "grid"
    assert "已退出" in seen["signed_out"] and "请先登录" in seen["after_sign_out"]
    assert "只对社区工作人员" in seen["resident"]
    assert "#1 " in seen["contact"] and "#2" not in seen["contact"]
    assert "不归您处理" in seen["contact_other"]


async def test_staff_confirm_a_triage_message_from_today(served):
    base, console = served
    await console.say("zhang", "b3", "楼道灯好像不太亮")               # unsure: waits in the triage queue
    assert console.transcript.new() == []
    link = f"{base}/web/login/" + await WebLogins(console.runtime.store).issue("secretary")

    def scenario() -> dict:
        seen = {}
        driver = browser()
        try:
            driver.implicitly_wait(5)
            driver.get(link)
            follow(driver, driver.find_element(By.ID, "enter"))
            seen["triage"] = driver.find_element(By.ID, "triage").text
            form = driver.find_element(By.ID, "triage-confirm-1")
            follow(driver, form.find_element(By.TAG_NAME, "button"))
            seen["url"] = driver.current_url
            seen["notice"] = driver.find_element(By.ID, "notice").text
        finally:
            driver.quit()
        return seen

    seen = await asyncio.to_thread(scenario)
    assert "#1" in seen["triage"] and "忽略" in seen["triage"]
    assert "/web/today?done=confirm" in seen["url"] and "已提交“确认”" in seen["notice"]
    said = []
    for _ in range(100):                                         # the worker runs beside the browser
        said += console.transcript.new()
        if {"@secretary", "@zhang"} <= {m["to"] for m in said}:
            break
        await asyncio.sleep(0.1)
    assert (await console.runtime.services.tickets.get(1)).status == "open"
    assert any(m["to"] == "@secretary" and "#1" in m["text"] for m in said), said   # the reply, in chat
    assert any(m["to"] == "@zhang" and "#1" in m["text"] for m in said), said       # told as a new ticket


async def test_charts_on_statistics_and_the_monthly_report(served):
    """统计 and 月报 draw their charts with the ECharts file the app serves itself (no CDN):
    a canvas (统计) or an SVG (月报, for print) inside each chart's box, no script error; 月报
    printed shows the report without the menu and the buttons."""
    base, console = served
    await console.say("zhang", None, "3号楼2单元楼道灯坏了，晚上看不见")
    await console.say("r201", None, "2号楼门口垃圾堆了三天没人清理，臭死了")
    await console.say("grid", None, "处理 #1")
    await console.say("grid", None, "办结 #1 换了灯泡")
    console.transcript.new()
    link = f"{base}/web/login/" + await WebLogins(console.runtime.store).issue("secretary")

    def drawn(driver, box: str, inside: str) -> bool:
        return driver.execute_script(
            "var el = document.getElementById(arguments[0]);"
            "return !!(el && el.querySelector(arguments[1]) && echarts.getInstanceByDom(el));", box, inside)

    def scenario() -> dict:
        seen = {}
        driver = browser()
        try:
            driver.implicitly_wait(5)
            driver.get(link)
            follow(driver, driver.find_element(By.ID, "enter"))
            follow(driver, driver.find_element(By.LINK_TEXT, "统计"))
            WebDriverWait(driver, 10).until(lambda d: drawn(d, "chart-response", "canvas"))
            seen["stats_echarts"] = driver.execute_script("return typeof echarts + ' ' + echarts.version")
            seen["stats_drawn"] = {box: drawn(driver, box, "canvas") for box in
                                   ("chart-response", "chart-resolution", "chart-satisfaction", "chart-by",
                                    "chart-ratings", "chart-heat")}
            seen["stats_markline"] = driver.execute_script(
                "var o = echarts.getInstanceByDom(document.getElementById('chart-response')).getOption();"
                "return o.series[0].markLine.data[0].yAxis;")
            seen["stats_table"] = driver.find_element(By.ID, "rates").text
            seen["stats_scripts"] = driver.execute_script(
                "return Array.from(document.scripts).filter(s => s.src).map(s => s.src);")
            seen["stats_resources"] = driver.execute_script(
                "return performance.getEntriesByType('resource').map(e => e.name);")
            follow(driver, driver.find_element(By.LINK_TEXT, "月报"))
            WebDriverWait(driver, 10).until(lambda d: drawn(d, "chart-rates", "svg"))
            seen["report_drawn"] = {box: drawn(driver, box, "svg") for box in
                                    ("chart-rates", "chart-category", "chart-building", "chart-ratings", "chart-heat")}
            seen["report_rates"] = driver.find_element(By.ID, "rates").text
            seen["report_done"] = driver.find_element(By.ID, "done").text
            seen["report_resources"] = driver.execute_script(
                "return performance.getEntriesByType('resource').map(e => e.name);")
            seen["export"] = driver.find_element(By.ID, "export").get_attribute("href")
            driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
            seen["print_menu"] = driver.find_element(By.CSS_SELECTOR, "header.top").is_displayed()
            seen["print_tools"] = driver.find_element(By.ID, "export").is_displayed()
            seen["print_chart"] = driver.find_element(By.ID, "chart-rates").is_displayed()
            driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
            pdf = driver.execute_cdp_cmd("Page.printToPDF", {"paperWidth": 8.27, "paperHeight": 11.69,
                                                             "preferCSSPageSize": True, "printBackground": True})
            seen["pdf"] = base64.b64decode(pdf["data"])
            try:
                seen["errors"] = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"
                                  and "favicon.ico" not in entry["message"]]
            except Exception:   # pragma: no cover - a driver without the log
                seen["errors"] = []
        finally:
            driver.quit()
        return seen

    seen = await asyncio.to_thread(scenario)
    assert seen["stats_echarts"].startswith("object 5.")
    assert all(seen["stats_drawn"].values()), seen["stats_drawn"]
    assert seen["stats_markline"] == 95                    # [targets] response_rate, drawn on the chart
    assert "响应率" in seen["stats_table"] and "50.0%" in seen["stats_table"]     # #1 answered, #2 not yet
    assert f"{base}/web/static/vendor/echarts.min.js" in seen["stats_scripts"]
    for resources in (seen["stats_resources"], seen["report_resources"]):
        assert resources and all(name.startswith(base + "/web/static/") for name in resources), resources
    assert all(seen["report_drawn"].values()), seen["report_drawn"]
    assert "响应率" in seen["report_rates"] and "1 / 2" in seen["report_rates"] and "未达标" in seen["report_rates"]
    assert "换了灯泡" in seen["report_done"]
    assert seen["export"].startswith(f"{base}/web/report/export?month=")
    assert not seen["print_menu"] and not seen["print_tools"] and seen["print_chart"]
    pages = len(re.findall(rb"/Type\s*/Page[^s]", seen["pdf"]))                  # print to PDF: A4 pages
    assert seen["pdf"].startswith(b"%PDF") and 1 <= pages <= 4, pages
    assert not seen["errors"], seen["errors"]
