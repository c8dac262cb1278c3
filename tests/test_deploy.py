"""The deployment files as an operator uses them, read and validated without Docker:
docker/compose.yml against the Compose Specification's JSON schema (vendored in
tests/data/compose-spec/, Apache-2.0, from github.com/compose-spec/compose-spec) and
against what the issue asks (a non-root image, a health check per service that tells the
truth — the worker's is `linli health`, not HTTP — channel settings from an env file, no
secret in the file, every setting linli reads named somewhere); the Dockerfile; the
systemd units (parsed, and `systemd-analyze verify` where it runs); and `linli health`
against a real `linli worker` process: running → healthy, stopped or killed → unhealthy.
With a Docker daemon and the compose plugin, `docker compose config` and an image build
with a smoke test run too; without them those tests are skipped, saying why."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import pytest
import yaml

from bot import healthfile, logsafe
from bot.cli import build_parser
from bot.settings import Settings
from bot.supervisor import Health

ROOT = Path(__file__).resolve().parents[1]
DOCKER = ROOT / "docker"
COMPOSE = DOCKER / "compose.yml"
DOCKERFILE = DOCKER / "Dockerfile"
ENV_EXAMPLE = DOCKER / "linli.env.example"
SYSTEMD = ROOT / "deploy" / "systemd"
SCHEMA = ROOT / "tests" / "data" / "compose-spec" / "compose-spec.json"
DEMO = ROOT / "examples" / "demo.toml"

# Variables linli reads that an operator never sets: internal (set by `linli run` for its
# children), the XDG fallback of LINLI_DATA_DIR, and the offline `linli rules learn`'s knobs.
NOT_DEPLOYMENT = {"LINLI_PARENT_PID", "XDG_DATA_HOME", "LINLI_LEARN_URGENT_FLOOR",
                  "LINLI_LEARN_URGENT_WORD_SCALE", "LINLI_LEARN_WORD_SCALE"}
ENV_NAME = re.compile(r"""["']((?:LINLI|TELEGRAM|WECHAT|WECOM)_[A-Z0-9_]+|REDIS_URL)["']""")


def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def env_example() -> tuple[dict[str, str], set[str], set[str]]:
    """(the variables set, as Docker's env_file reads them; every variable named, commented
    out or not; the variables whose comment line says SECRET)."""
    values, named, secret = {}, set(), set()
    previous = ""
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if match := re.fullmatch(r"#?\s*([A-Z][A-Z0-9_]*)=(.*)", stripped):
            named.add(match[1])
            if not stripped.startswith("#"):
                values[match[1]] = match[2]
                if previous.startswith("# SECRET"):
                    secret.add(match[1])
        previous = stripped
    return values, named, secret


def read_by_linli() -> set[str]:
    """Every environment variable the code reads (a quoted name in bot/, handlers/, storage/, nlp/)."""
    names = set()
    for package in ("bot", "handlers", "storage", "nlp"):
        for path in (ROOT / package).rglob("*.py"):
            names |= set(ENV_NAME.findall(path.read_text(encoding="utf-8")))
    return names


def parses_as_linli(argv: list[str]) -> None:
    """A command the image or a unit runs is a `linli` command that exists (argparse exits on
    an unknown one)."""
    assert Path(argv[0]).name == "linli", argv
    env = {**os.environ, "LINLI_COMMUNITY": str(DEMO)}
    saved = os.environ.copy()
    os.environ.update(env)   # --community defaults from it, as in the container
    try:
        args = build_parser().parse_args(argv[1:])
    finally:
        os.environ.clear()
        os.environ.update(saved)
    assert args.command


# ---- compose.yml ---------------------------------------------------------------------------

def test_compose_file_is_valid_against_the_compose_specification():
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator(schema).validate(compose())
    broken = compose()
    broken["services"]["worker"]["healthcheck"]["interval"] = ["30s"]   # the schema does catch mistakes
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(schema).validate(broken)


def test_every_service_has_a_health_check_and_a_restart_policy():
    services = compose()["services"]
    assert set(services) == {"redis", "linli", "worker"}
    for name, service in services.items():
        assert service["healthcheck"]["test"][0] == "CMD", name
        assert service["restart"] in ("unless-stopped", "always", "on-failure"), name
    assert "/healthz" in " ".join(services["linli"]["healthcheck"]["test"])


def test_the_workers_health_check_is_its_own_not_http():
    worker = compose()["services"]["worker"]
    test = worker["healthcheck"]["test"]
    assert test[1:] == ["linli", "health"]
    assert not any("http" in part or "healthz" in part for part in test)
    assert worker["command"] == ["linli", "worker"]
    for argv in (test[1:], worker["command"], compose()["services"]["linli"]["command"]):
        parses_as_linli(argv)


def test_redis_keeps_its_data_append_only_in_a_volume():
    redis = compose()["services"]["redis"]
    assert "--appendonly" in redis["command"] and redis["command"][redis["command"].index("--appendonly") + 1] == "yes"
    assert any(volume.endswith(":/data") and not volume.startswith((".", "/")) for volume in redis["volumes"])
    assert "redis-data" in compose()["volumes"]
    for name in ("linli", "worker"):
        assert compose()["services"][name]["depends_on"]["redis"]["condition"] == "service_healthy"


def test_redis_writes_snapshots_the_backups_can_read():
    """Backups load the RDB into the bundled Valkey 8.1, which reads RDB version 11 at most:
    Redis up to 7.2 (7.4 writes version 12), or Valkey."""
    image, _, tag = compose()["services"]["redis"]["image"].partition(":")
    major_minor = tuple(int(part) for part in tag.split(".")[:2])
    assert (image == "redis" and major_minor <= (7, 2)) or (image.endswith("valkey") and major_minor <= (8, 1))


def test_settings_come_from_an_env_file_that_git_and_the_image_leave_out():
    for name in ("linli", "worker"):
        assert compose()["services"][name]["env_file"] == "linli.env"
    assert "docker/linli.env" in (ROOT / ".gitignore").read_text().split()
    assert "docker/linli.env" in (ROOT / ".dockerignore").read_text().split()
    if (ROOT / ".git").exists():   # a checkout (not an exported tree): git itself agrees
        assert subprocess.run(["git", "check-ignore", "-q", "docker/linli.env"], cwd=ROOT).returncode == 0


def test_no_secret_in_the_compose_file_and_the_example_is_empty():
    values, named, secret = env_example()
    assert secret >= {"TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET", "WECHAT_APP_SECRET", "WECHAT_TOKEN",
                      "WECHAT_AES_KEY", "WECOM_SECRET", "WECOM_TOKEN", "WECOM_AES_KEY", "WECOM_BOT_TOKEN",
                      "WECOM_BOT_AES_KEY", "LINLI_WEB_SECRET"}
    assert all(values[name] == "" for name in secret)
    for name, service in compose()["services"].items():
        environment = service.get("environment", {})
        assert not set(environment) & named - {"LINLI_DATA_DIR", "LINLI_COMMUNITY"}, name
        assert not set(environment) & secret, name
        for value in environment.values():   # a URL with a password would be a secret
            assert not re.search(r"://[^/@]*:[^/@]*@", str(value)), value


def test_every_setting_linli_reads_is_passed_or_in_the_env_example():
    _, named, _ = env_example()
    environment = set(compose()["services"]["linli"]["environment"])
    dockerfile_env = set(re.findall(r"\b(LINLI_[A-Z_]+)=", DOCKERFILE.read_text()))
    missing = read_by_linli() - NOT_DEPLOYMENT - named - environment - dockerfile_env
    assert missing == set()
    assert {"TELEGRAM_BOT_TOKEN", "WECHAT_APP_ID", "WECOM_CORP_ID", "LINLI_WEB_URL",
            "LINLI_DEVICE_KEYS_FILE"} <= named   # the channels, the workbench, the devices


def test_the_env_example_loads_as_is_and_every_secret_it_names_is_masked_in_logs(tmp_path):
    values, _, secret = env_example()
    inside = {**values, **compose()["services"]["linli"]["environment"]}
    settings = Settings.load(DEMO, data_dir=tmp_path, env=inside)   # empty: no channel, no error
    assert settings.platforms == ()
    filled = {**inside, "TELEGRAM_BOT_TOKEN": "123:tg-token-value", "TELEGRAM_WEBHOOK_SECRET": "tg-hook-secret",
              "WECHAT_APP_ID": "wx1", "WECHAT_APP_SECRET": "wx-app-secret", "WECHAT_TOKEN": "wx-token",
              "WECHAT_AES_KEY": "W" * 43, "WECOM_CORP_ID": "ww1", "WECOM_AGENT_ID": "1000002",
              "WECOM_SECRET": "wecom-secret", "WECOM_TOKEN": "wecom-token", "WECOM_AES_KEY": "E" * 43,
              "WECOM_BOT_TOKEN": "wecom-bot-token", "WECOM_BOT_AES_KEY": "B" * 43,
              "LINLI_WEB_URL": "https://linli.example.cn", "LINLI_WEB_SECRET": "s" * 40}
    settings = Settings.load(DEMO, data_dir=tmp_path, env=filled)
    assert set(settings.platforms) == {"tg", "wx", "wecom"}
    masked = set(logsafe.secrets_of(settings))
    assert {filled[name] for name in secret} <= masked


# ---- Dockerfile ----------------------------------------------------------------------------

def dockerfile() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text(encoding="utf-8").replace("\\\n", " ")
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in text.splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def test_the_image_runs_as_a_fixed_non_root_user_with_a_data_dir_of_its_own():
    steps = dockerfile()
    users = [value for kind, value in steps if kind == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    uid = re.search(r"LINLI_UID=(\d+)", DOCKERFILE.read_text())
    assert uid and int(uid[1]) >= 1000
    assert re.search(r"useradd [^\n]*--uid \$\{LINLI_UID\}", DOCKERFILE.read_text())
    run = " ".join(value for kind, value in steps if kind == "RUN")
    assert "install -d -o linli -g linli" in run and "/var/lib/linli" in run
    assert "LINLI_DATA_DIR=/var/lib/linli" in DOCKERFILE.read_text()


def test_the_image_is_pinned_installs_without_cache_and_bakes_in_no_secret():
    steps = dockerfile()
    base = [value for kind, value in steps if kind == "FROM"]
    assert len(base) == 1 and re.fullmatch(r"python:3\.11\.\d+-slim-\w+", base[0])
    assert "pip install --no-cache-dir" in " ".join(value for kind, value in steps if kind == "RUN")
    _, named, secret = env_example()
    baked = " ".join(value for kind, value in steps if kind in ("ENV", "ARG"))
    assert not [name for name in secret if name in baked]
    for kind, value in steps:   # everything the image copies is in the repository
        if kind == "COPY":
            for source in value.split()[:-1]:
                assert (ROOT / source).exists(), source


def test_the_images_commands_exist_and_its_health_check_is_linli_health(tmp_path):
    steps = dict((kind, value) for kind, value in dockerfile() if kind in ("CMD", "HEALTHCHECK"))
    parses_as_linli(json.loads(steps["CMD"]))
    check = json.loads(steps["HEALTHCHECK"].split("CMD", 1)[1])
    assert check == ["linli", "health"]
    parses_as_linli(check)
    # and it tells the truth: nothing runs here, so it fails, saying why
    problems, healthy = healthfile.check(tmp_path)
    assert healthy == [] and "no linli process is running here" in problems[0]


def test_dockerignore_keeps_the_venv_git_tests_and_secrets_out_of_the_image():
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".git", ".venv", "tests", "docker/linli.env", "**/__pycache__"} <= ignored
    copied = {value.split()[0] for kind, value in dockerfile() if kind == "COPY"}
    assert not copied & ignored


# ---- systemd -------------------------------------------------------------------------------

def unit(name: str) -> dict[str, dict[str, list[str]]]:
    """A unit file's sections, each key's values in order (a key may repeat: Environment=)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    for line in (SYSTEMD / name).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
            continue
        key, _, value = line.partition("=")
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


@pytest.mark.parametrize("name, command", [("linli.service", "run"), ("linli-worker@.service", "worker")])
def test_systemd_units_have_the_data_dir_restart_policy_journal_and_hardening(name, command):
    service = unit(name)["Service"]
    one = {key: values[-1] for key, values in service.items()}
    assert one["User"] == one["Group"] == "linli"
    assert one["StateDirectory"] == "linli"
    assert one["EnvironmentFile"] == "/etc/linli/linli.env"
    assert one["Restart"] == "on-failure" and float(one["RestartSec"]) > 0
    assert one["RestartPreventExitStatus"] == "2"   # a configuration error: not fixed by restarting
    assert one["StandardOutput"] == one["StandardError"] == "journal"
    assert one["NoNewPrivileges"] == one["PrivateTmp"] == "yes" and one["ProtectSystem"] == "strict"
    environment = dict(pair.split("=", 1) for values in service["Environment"] for pair in shlex.split(values))
    # With ProtectSystem=strict only ReadWritePaths are writable: the data dir (the embedded
    # Valkey), the health files and the backups must be under them.
    writable = one["ReadWritePaths"].split()
    assert environment["LINLI_DATA_DIR"] == "/var/lib/linli" in writable
    for variable in ("LINLI_HEALTH_DIR", "LINLI_BACKUP_DIR"):
        if variable in environment:
            assert any(environment[variable].startswith(path + "/") for path in writable), variable
    assert "LINLI_HEALTH_DIR" in environment
    argv = shlex.split(one["ExecStart"])
    assert argv[1:] == [command]
    parses_as_linli(argv)
    assert "WantedBy" in unit(name)["Install"]


def test_systemd_analyze_verify_accepts_the_units(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed: the units were only parsed")
    linli = Path(sys.executable).with_name("linli")   # an executable that exists, for ExecStart
    for name in ("linli.service", "linli-worker@.service"):
        text = (SYSTEMD / name).read_text(encoding="utf-8").replace("/opt/linli/bin/linli", str(linli))
        (tmp_path / name).write_text(text, encoding="utf-8")
    done = subprocess.run([analyze, "verify", str(tmp_path / "linli.service"), str(tmp_path / "linli-worker@1.service")],
                          capture_output=True, text=True, timeout=60)
    ours = [line for line in done.stderr.splitlines() if str(tmp_path) in line or "linli" in line]
    if done.returncode != 0 and not ours:
        pytest.skip(f"systemd-analyze cannot run here: {done.stderr.strip()[:200]}")
    assert ours == [] and done.returncode == 0, done.stderr
    # and it does complain about a mistake
    (tmp_path / "linli.service").write_text(text.replace("Restart=on-failure", "Restart=sometimes"), encoding="utf-8")
    bad = subprocess.run([analyze, "verify", str(tmp_path / "linli.service")], capture_output=True, text=True,
                         timeout=60)
    assert "sometimes" in bad.stderr


# ---- linli health, for real ----------------------------------------------------------------

def wait_for(predicate, seconds: float):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if (value := predicate()):
            return value
        time.sleep(0.2)
    return predicate()


def test_linli_health_follows_a_real_worker_process(redis_server, linli, tmp_path):
    health_dir = tmp_path / "health"
    env = {**os.environ, "REDIS_URL": redis_server, "LINLI_COMMUNITY": str(DEMO),
           "LINLI_HEALTH_DIR": str(health_dir), "LINLI_LOG_LEVEL": "WARNING"}
    script = Path(sys.executable).with_name("linli")
    argv = [str(script)] if script.exists() else [sys.executable, "-m", "bot.cli"]
    worker = subprocess.Popen([*argv, "worker"], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        healthy = wait_for(lambda: healthfile.check(health_dir)[1] or worker.poll() is not None, 60)
        if healthy is True or not healthy:
            worker.terminate()
            raise AssertionError(f"the worker did not report healthy: {healthfile.check(health_dir)}, "
                                 f"{worker.communicate(timeout=30)[1][-3000:]}")
        assert f"linli worker (pid {worker.pid}): ok" in healthy[0]
        ran = linli("health", env={"LINLI_HEALTH_DIR": str(health_dir)})
        assert ran.returncode == 0 and f"pid {worker.pid}" in ran.stdout
        report = json.loads((health_dir / f"{worker.pid}.json").read_text())
        assert {"scheduler", "health-file"} <= set(report["loops"]) and report["problems"] == []

        worker.send_signal(signal.SIGSTOP)   # stuck: alive, but its loops do not run
        time.sleep(3.5)
        ran = linli("health", "--max-age", "3", env={"LINLI_HEALTH_DIR": str(health_dir)})
        assert ran.returncode == 1 and "stopped or stuck" in ran.stderr
        worker.send_signal(signal.SIGCONT)
        assert wait_for(lambda: not healthfile.check(health_dir, max_age=3)[0], 10)

        worker.kill()   # gone: no live process here, whatever its file says
        worker.wait(10)
        ran = linli("health", env={"LINLI_HEALTH_DIR": str(health_dir)})
        assert ran.returncode == 1 and "no linli process is running here" in ran.stderr
        assert list(health_dir.glob("*.json")) == []   # the dead process's file went
    finally:
        if worker.poll() is None:
            worker.send_signal(signal.SIGCONT)
            worker.terminate()
            worker.wait(30)


def test_a_loop_problem_makes_the_process_unhealthy_and_a_clean_stop_removes_its_file(tmp_path):
    health = Health()
    health.beat("worker-1")
    path = healthfile.write(tmp_path, health, "worker")
    assert healthfile.check(tmp_path)[0] == []
    health.outage("worker-1", ConnectionError("Connection refused"))
    healthfile.write(tmp_path, health, "worker")
    problems, healthy = healthfile.check(tmp_path)
    assert healthy == [] and "waiting for Redis" in problems[0] and f"pid {os.getpid()}" in problems[0]
    # a file whose pid now belongs to another process (a container restarted: pid 1 again)
    report = json.loads(path.read_text())
    path.write_text(json.dumps({**report, "started": "1"}))
    assert "no linli process is running here" in healthfile.check(tmp_path)[0][0]

    async def run_then_stop():
        stop = asyncio.Event()
        task = asyncio.create_task(healthfile.keep_written(Health(), stop, "worker", tmp_path))
        for _ in range(50):
            await asyncio.sleep(0.02)
            if list(tmp_path.glob("*.json")):
                break
        assert healthfile.check(tmp_path)[1]
        stop.set()
        await task

    asyncio.run(run_then_stop())
    assert list(tmp_path.glob("*.json")) == []


def test_waiting_loops_beat_so_a_long_running_linli_run_stays_healthy(monkeypatch):
    """`linli run`'s loop that waits for its worker process, and a worker's watch on its
    parent, do their work by waiting: they beat while they wait, or /healthz (and `linli
    health`) called every `linli run` unhealthy a minute after start."""
    from bot import service

    async def scenario():
        health, stop = Health(), asyncio.Event()

        real = asyncio.create_subprocess_exec

        async def sleeper(*args, **kwargs):   # the child `linli worker`: a process that runs on
            return await real("sleep", "30")

        monkeypatch.setattr(service.asyncio, "create_subprocess_exec", sleeper)
        waiting = asyncio.create_task(service._worker_process(
            Settings.load(DEMO, data_dir="/nonexistent", env={}), "worker-process-1", stop, health))
        watching = asyncio.create_task(service._stop_with_parent(os.getppid(), stop, health))
        await asyncio.sleep(0.1)
        first = {name: health.task(name).beat for name in ("worker-process-1", "parent-watch")}
        await asyncio.sleep(2.3)
        later = {name: health.task(name).beat for name in first}
        stop.set()
        await asyncio.gather(waiting, watching)
        return first, later

    first, later = asyncio.run(scenario())
    assert all(later[name] - first[name] >= 1.0 for name in first), (first, later)


# ---- with Docker, when there is one --------------------------------------------------------

def docker_or_skip(what: str, compose: bool = False) -> str:
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip(f"no docker CLI: {what} not run")
    if compose and subprocess.run([docker, "compose", "version"], capture_output=True, text=True).returncode != 0:
        pytest.skip(f"the docker CLI has no compose plugin (`docker compose version` failed): {what} not run")
    daemon = subprocess.run([docker, "info", "--format", "{{.ServerVersion}}"], capture_output=True, text=True)
    if daemon.returncode != 0:
        pytest.skip(f"no Docker daemon answers (`docker info` failed): {what} not run")
    return docker


def test_docker_compose_config_accepts_the_file(tmp_path):
    docker = docker_or_skip("docker compose config", compose=True)
    work = tmp_path / "docker"
    shutil.copytree(DOCKER, work)
    shutil.copy(ENV_EXAMPLE, work / "linli.env")
    shutil.copy(DEMO, work / "community.toml")
    done = subprocess.run([docker, "compose", "-f", str(work / "compose.yml"), "config", "--format", "json"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    services = json.loads(done.stdout)["services"]
    assert services["worker"]["healthcheck"]["test"] == ["CMD", "linli", "health"]


def test_the_image_builds_and_answers(tmp_path):
    docker = docker_or_skip("the image build and its smoke test")
    tag = "linli:test-deploy"
    built = subprocess.run([docker, "build", "-f", str(DOCKERFILE), "-t", tag, str(ROOT)],
                           capture_output=True, text=True, timeout=1800)
    assert built.returncode == 0, built.stderr[-2000:]
    user = subprocess.run([docker, "run", "--rm", tag, "id", "-u"], capture_output=True, text=True, timeout=120)
    assert user.stdout.strip() == "10001"
    helped = subprocess.run([docker, "run", "--rm", tag, "linli", "--help"], capture_output=True, text=True,
                            timeout=120)
    assert helped.returncode == 0 and "health" in helped.stdout
    checked = subprocess.run([docker, "run", "--rm", tag, "linli", "health"], capture_output=True, text=True,
                             timeout=120)
    assert checked.returncode == 1 and "no linli process is running here" in checked.stderr


def test_a_health_directory_of_another_user_is_not_written_into(tmp_path):
    """In a shared /tmp someone could make the directory first and write 'ok' reports."""
    if os.getuid() != 0:
        pytest.skip("needs root, to give a directory to another user")
    foreign = tmp_path / "theirs"
    foreign.mkdir()
    os.chown(foreign, 4242, 4242)
    with pytest.raises(PermissionError, match="another user"):
        healthfile.write(foreign, Health(), "worker")


@pytest.mark.parametrize("status, code", [(200, 0), (503, 1)])
def test_the_linli_services_http_check_fails_on_a_503(status, code):
    """compose.yml's check of `linli run` exits non-zero when /healthz answers 503."""
    import http.server
    import threading

    class Healthz(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(status if self.path == "/healthz" else 404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Healthz)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        test = compose()["services"]["linli"]["healthcheck"]["test"]
        argv = [sys.executable if part == "python" else part.replace(":8080/", f":{server.server_port}/")
                for part in test[1:]]
        assert subprocess.run(argv, capture_output=True, timeout=30).returncode == code
    finally:
        server.shutdown()
