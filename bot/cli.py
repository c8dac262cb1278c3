"""The `linli` command."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys

from bot.settings import Settings, SettingsError
from handlers.community import CommunityError
from handlers.texts import TextsError
from nlp import Classifier, RuleError
from nlp.evaluate import messages
from storage.connection import RedisUnavailable, RedisUrlError
from storage.embedded import EmbeddedServerError

CONFIG_ERRORS = (CommunityError, RuleError, TextsError, SettingsError, EmbeddedServerError,
                 RedisUrlError, RedisUnavailable)
# A person at a terminal waits this long for a Redis that does not answer; services wait on.
INTERACTIVE_REDIS_WAIT = 30.0


def _community_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--community", metavar="FILE", default=os.environ.get("LINLI_COMMUNITY"),
                        required="LINLI_COMMUNITY" not in os.environ,
                        help="the community file (TOML); env LINLI_COMMUNITY")
    parser.add_argument("--data-dir", metavar="DIR",
                        help="where the embedded Redis keeps its data (env LINLI_DATA_DIR; "
                             "default ~/.local/share/linli); ignored when REDIS_URL is set")
    parser.add_argument("--rules", metavar="FILE", help="a classifier rule file instead of the bundled one")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="linli", description="邻里 linli — a community self-governance chat-bot.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="the production main: HTTP server, workers and scheduler")
    _community_options(run)
    run.add_argument("--worker-processes", type=int, default=1, metavar="N",
                     help="events are handled in N `linli worker` child processes, restarted if one dies "
                          "(default 1; 0: in this process)")
    run.add_argument("--host", help="listen address (env LINLI_HOST, default 127.0.0.1)")
    run.add_argument("--port", type=int, help="listen port (env LINLI_PORT, default 8080)")

    worker = commands.add_parser("worker", help="extra worker process (no HTTP server): handles events (an even "
                                                "share of the inbound shards) and delivers replies")
    _community_options(worker)

    console = commands.add_parser("console", help="talk to the bot locally (interactive, or JSON lines on stdin)")
    _community_options(console)
    console.add_argument("--fake-clock", action="store_true",
                         help='use a clock that moves only on {"advance": "25h"} lines (kept across restarts)')

    classify = commands.add_parser(
        "classify", help="classify messages from stdin (a line each; tabs separate turns; "
                         "JSON lines give their \"text\"), JSON lines out")
    classify.add_argument("--rules", metavar="FILE", help="rule file (default: the bundled rules)")

    from bot import eval_cli, healthfile, rules_cli
    from bot.admin import AREAS

    eval_cli.register(commands)
    healthfile.register(commands)
    rules_cli.register(commands)
    admin = commands.add_parser("admin", help=f"staff tools: {', '.join(AREAS)}")
    areas = admin.add_subparsers(dest="area", required=True, metavar="AREA")
    for module in AREAS.values():
        module.register(areas, _community_options)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    quiet = args.command in ("console", "classify", "admin")
    logging.basicConfig(level=os.environ.get("LINLI_LOG_LEVEL", "WARNING" if quiet else "INFO").upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    try:
        code = _main(args)
        sys.stdout.flush()    # here, so a reader that went away is noticed below, not at exit
        return code
    except CONFIG_ERRORS as exc:
        print(f"linli: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`linli admin tickets list | head`): stop quietly, as a Unix
        # tool does, with the exit code of one ended by SIGPIPE (128 + 13).
        _stdout_to_devnull()
        return 141


def _main(args: argparse.Namespace) -> int:
    if getattr(args, "offline", None):   # eval, rules: no community, no Redis
        return args.offline(args)
    if args.command == "classify":
        return classify(args)
    settings = Settings.load(args.community, data_dir=args.data_dir, rules_file=args.rules,
                             host=getattr(args, "host", None), port=getattr(args, "port", None))
    from bot import logsafe
    logsafe.install_for(settings)   # no secret, no resident's name or phone number in any log line from here on
    return asyncio.run(dispatch(args, settings)) or 0


def _stdout_to_devnull() -> None:
    """What is left in stdout's buffer goes nowhere: Python flushes it at exit, and would
    print a second BrokenPipeError (the standard pattern, docs.python.org signal module)."""
    try:
        fd = sys.stdout.fileno()
    except (OSError, ValueError):   # no file descriptor (an in-process stdout): drop it instead
        sys.stdout = open(os.devnull, "w", encoding="utf-8")
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


async def dispatch(args: argparse.Namespace, settings: Settings) -> int:
    from bot import console, service
    from bot.admin import AREAS
    from bot.app import open_runtime

    if args.command in ("run", "worker"):
        processes = getattr(args, "worker_processes", 0)
        if processes < 0:
            raise SettingsError("--worker-processes must be 0 or more")
        await service.serve(settings, with_server=args.command == "run", worker_processes=processes)
        return 0
    if args.command == "console":
        async with open_runtime(settings, fake_clock=args.fake_clock,
                                redis_deadline=INTERACTIVE_REDIS_WAIT) as runtime:
            # As `linli run` does: the daily retention job, so `{"advance": "800d"}` applies
            # [retention] on the console's clock too.
            from handlers import privacy
            await privacy.schedule_retention(runtime.services.jobs, settings.community, runtime.clock.now())
            interactive = sys.stdin.isatty()
            async with console.ConsoleSession(runtime, pretty=interactive) as session:
                if interactive:
                    await console.run_interactive(session)
                    return 0
                await console.run_script(session, sys.stdin, sys.stderr)
                return 0  # bad lines were reported on stderr; the rest went on
    from bot.admin.common import AdminError

    async with open_runtime(settings, redis_deadline=INTERACTIVE_REDIS_WAIT) as runtime:
        try:
            return await AREAS[args.area].run(args, runtime)
        except AdminError as exc:    # an unknown person, category…: named, with the close ones
            print(f"linli: error: {exc}", file=sys.stderr)
            return 2


def classify(args: argparse.Namespace) -> int:
    classifier = Classifier.from_file(args.rules)
    for line in sys.stdin:
        for text in messages(line):
            print(json.dumps(classifier.classify(text).to_dict(), ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
