"""`linli admin backup DIR` and `linli admin restore DIR` (issue #20).

    linli admin backup DIR [--json]              a consistent snapshot, online
    linli admin restore DIR [--force] [--json]   into an empty data dir, or REDIS_URL's Redis

A backup directory holds:

    dump.rdb        the whole Redis keyspace at one instant (storage/backup.py: SYNC)
    files/          the community file, the rule file and the texts file linli ran with
    manifest.json   when, versions, the community's counts, the ledger head, the keyspace's
                    fingerprint, and the SHA-256 of every file above

It is written into DIR.tmp and renamed to DIR once complete, so a half-written backup is
never mistaken for one. The counts and the fingerprint are read from the snapshot itself
(loaded in a temporary Valkey, which also proves it is readable), never from the live
server, which has moved on by then.

Restore checks every file's SHA-256 first, then refuses a target that holds any key
(saying what is there) unless --force, which empties it first; copies every key with its
time to live; then runs the ledger's verification and compares the counts, the ledger
head and the fingerprint with the manifest: exit 0 only when all agree, else 1 naming
what differs.

Both run without a runtime (no job scheduled, no stream created): a restore target must
stay exactly what the backup holds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
import time
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any, TextIO

from redis.exceptions import RedisError

from bot.admin.common import STDOUT, actor
from bot.settings import Settings, default_data_dir
from handlers.community import CommunityError, load_community
from handlers.points.verify import verify
from nlp.rules import DEFAULT_RULES
from storage import backup as snap
from storage.audit import Audit
from storage.backup import FILES, MANIFEST, SNAPSHOT, BackupError, SnapshotServer
from storage.connection import RedisUnavailable, connect, redact_url
from storage.keys import Keys
from storage.ledger import Ledger
from storage.store import Store

FORMAT = 1
FAILURES = (BackupError, CommunityError, RedisError, OSError)   # said in one line, exit 1 (not a traceback)
REDIS_WAIT = 30.0     # seconds a person at a terminal waits for Redis


def linli_version() -> str:
    try:
        return metadata.version("linli")
    except metadata.PackageNotFoundError:
        return "unknown"


def files_of(settings: Settings) -> list[tuple[str, Path, str]]:
    """(role, path, note) of each file linli ran with: the community file, the rule file
    (the bundled one when none is set) and the texts file (when one is set)."""
    found = [("community", settings.community_file, "LINLI_COMMUNITY / --community")]
    if settings.rules_file:
        found.append(("rules", settings.rules_file, "LINLI_RULES / --rules"))
    else:
        found.append(("rules", Path(DEFAULT_RULES), "the bundled rules"))
    if settings.texts_file:
        found.append(("texts", settings.texts_file, "LINLI_TEXTS"))
    return found


async def _ledger_report(url: str, community: str):
    from storage.connection import open_client
    client, close = open_client(url, max_connections=4)
    try:
        return await verify(Ledger(Store.open(client, community)))
    finally:
        await close()


def _read(client: Any, keys: Keys) -> dict[str, Any]:
    """What the manifest records and a restore must find again, read through `client`
    (the snapshot's server, or the restored target), which is closed after."""
    try:
        return {"counts": snap.entity_counts(client, keys), "ledger_head": snap.ledger_head(client, keys),
                "keyspace": snap.keyspace_facts(client, snap.process_keys(keys))}
    finally:
        client.close()


async def take(settings: Settings, url: str, dest: Path, source: str) -> dict[str, Any]:
    """Write a complete backup into `dest` (which must not exist, or be an empty
    directory) from the Redis at `url`; returns its manifest. `source` says in the
    manifest where it came from (no password)."""
    dest = Path(dest).expanduser().absolute()
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise BackupError(f"{dest} already exists and is not an empty directory; a backup never overwrites one")
    work = dest.with_name(dest.name + ".tmp")
    if work.exists():
        shutil.rmtree(work)   # what an interrupted earlier attempt left
    work.mkdir(parents=True, mode=0o700)   # residents' data: for the operator's eyes only
    try:
        keys = Keys(settings.community.id)
        slot = keys.ledger_head()   # every key of the community has one hash tag: any one names the node
        version = await asyncio.to_thread(snap.server_version, url, slot)
        db = (await asyncio.to_thread(snap.endpoint_of, url, slot)).db
        taken = time.time()
        size = await asyncio.to_thread(snap.fetch_snapshot, url, slot, work / SNAPSHOT)
        server = await asyncio.to_thread(SnapshotServer(work / SNAPSHOT, db).start)
        try:
            facts = await asyncio.to_thread(_read, server.client(), keys)
            ledger = await _ledger_report(server.url, settings.community.id)
        finally:
            await asyncio.to_thread(server.stop)
        files: dict[str, dict[str, Any]] = {SNAPSHOT: {"sha256": await asyncio.to_thread(snap.sha256_of, work / SNAPSHOT),
                                                       "bytes": size}}
        (work / FILES).mkdir()
        for role, path, note in files_of(settings):
            name = f"{FILES}/{role}{path.suffix or '.toml'}"
            shutil.copyfile(path, work / name)
            files[name] = {"sha256": snap.sha256_of(work / name), "bytes": (work / name).stat().st_size,
                           "role": role, "from": str(Path(path).absolute()), "set_by": note}
        manifest = {
            "format": FORMAT,
            "taken_at": datetime.fromtimestamp(taken, timezone.utc).isoformat(timespec="seconds"),
            "taken_unix": round(taken, 3),
            "linli_version": linli_version(),
            "redis_version": version,
            "source": source,
            "db": db,
            "community": settings.community.id,
            "counts": facts["counts"],
            "keyspace": facts["keyspace"],
            "ledger_head": facts["ledger_head"],
            "ledger_verified": ledger.ok,
            "ledger_problems": ledger.problems[:20],
            "files": files,
        }
        snap.write_json(work / MANIFEST, manifest)
        snap.fsync_dir(work)
        if dest.exists():
            dest.rmdir()
        os.replace(work, dest)
        snap.fsync_dir(dest.parent)
        return manifest
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise


def source_of(settings: Settings) -> str:
    return redact_url(settings.redis_url) if settings.redis_url else f"embedded Valkey in {settings.data_dir}"


async def backup_command(settings: Settings, dest: Path, as_json: bool, out: TextIO = STDOUT) -> int:
    async with connect(settings.redis_url, settings.data_dir, deadline=REDIS_WAIT) as client:
        url = settings.redis_url or client.linli_embedded.url
        manifest = await take(settings, url, dest, source_of(settings))
        store = Store.open(client, settings.community.id)
        await Audit(store, keep_days=settings.audit_days).record(time.time(), actor(), "backup", str(dest), "cli")
    if as_json:
        json.dump(manifest, out, ensure_ascii=False, indent=2)
        out.write("\n")
    else:
        counts = ", ".join(f"{k} {v}" for k, v in manifest["counts"].items())
        head = manifest["ledger_head"]
        out.write(f"backup written to {dest} ({manifest['files'][SNAPSHOT]['bytes']} bytes of snapshot, "
                  f"{manifest['keyspace']['keys']} keys, taken {manifest['taken_at']})\n"
                  f"counts: {counts}\nledger head: seq {head['seq']} {head['hash'] or '-'}\n"
                  f"files: {', '.join(sorted(manifest['files']))}\n")
    if not manifest["ledger_verified"]:
        print(f"linli: warning: the ledger in this snapshot does not verify: {'; '.join(manifest['ledger_problems'][:3])}",
              file=sys.stderr)
        return 1
    return 0


# --- restore ------------------------------------------------------------------------------

def read_manifest(backup: Path) -> dict[str, Any]:
    path = backup / MANIFEST
    if not path.is_file():
        raise BackupError(f"{backup} is not a linli backup (no {MANIFEST}); a directory ending in .tmp is an "
                          "unfinished one")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"{path} cannot be read: {exc}") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path}: format {manifest.get('format')!r}, this linli reads format {FORMAT}")
    return manifest


def damaged_files(backup: Path, manifest: dict[str, Any]) -> list[str]:
    """Each file of the manifest that is missing or whose SHA-256 differs."""
    problems = []
    if SNAPSHOT not in manifest.get("files", {}):
        problems.append(f"{SNAPSHOT}: not listed in the manifest")
    for name, facts in manifest.get("files", {}).items():
        path = backup / name
        if not path.is_file():
            problems.append(f"{name}: missing")
        elif snap.sha256_of(path) != facts["sha256"]:
            problems.append(f"{name}: its SHA-256 differs from the manifest's (changed or damaged)")
    return problems


def _what_is_there(target: Any, keys: Keys, present: int) -> str:
    counts = {k: v for k, v in snap.entity_counts(target, keys).items() if v}
    named = ", ".join(f"{k} {v}" for k, v in counts.items())
    return f"{present} keys" + (f", among them {named}" if named else "")


def compare(manifest: dict[str, Any], found: dict[str, Any], ledger) -> list[str]:
    """What differs between the manifest and the restored target: counts, the ledger head,
    the keyspace's key count and fingerprint, and the ledger's own verification."""
    problems = []
    for kind, want in manifest["counts"].items():
        have = found["counts"].get(kind)
        if have != want:
            problems.append(f"{kind}: the backup has {want}, the target {have}")
    if found["ledger_head"] != manifest["ledger_head"]:
        problems.append(f"ledger head: the backup has {manifest['ledger_head']}, the target {found['ledger_head']}")
    want, have = manifest["keyspace"], found["keyspace"]
    if have["keys"] != want["keys"]:
        problems.append(f"keys: the backup has {want['keys']}, the target {have['keys']}")
    elif have["digest"] != want["digest"]:
        problems.append("content: the same number of keys, but some key's value differs from the backup's")
    if not ledger.ok:
        problems += [f"ledger verify: {p}" for p in ledger.problems[:20]]
    return problems


def _restore_keys(server: SnapshotServer, url: str, keys: Keys, force: bool) -> tuple[int, int, str | None]:
    """(keys removed by --force, keys written, what was there when refused)."""
    target = snap.client_of(url)
    source = server.client()
    try:
        present = snap.key_count(target)
        if present and not force:
            return 0, 0, _what_is_there(target, keys, present)
        removed = snap.empty(target) if present else 0
        return removed, snap.copy_keys(source, target, snap.process_keys(keys)), None
    finally:
        target.close()
        source.close()


async def restore_command(backup: Path, redis_url: str | None, data_dir: Path, force: bool, as_json: bool,
                          out: TextIO = STDOUT) -> int:
    backup = Path(backup).expanduser()
    manifest = read_manifest(backup)
    damaged = await asyncio.to_thread(damaged_files, backup, manifest)
    if damaged:
        for problem in damaged:
            print(f"linli: error: {problem}", file=sys.stderr)
        print(f"linli: error: {backup} is damaged; nothing was restored", file=sys.stderr)
        return 1
    keys = Keys(manifest["community"])
    where = redact_url(redis_url) if redis_url else f"the embedded Valkey in {data_dir}"
    server = await asyncio.to_thread(SnapshotServer(backup / SNAPSHOT, manifest.get("db", 0)).start)
    try:
        async with connect(redis_url, data_dir, deadline=REDIS_WAIT) as client:
            url = redis_url or client.linli_embedded.url
            removed, written, refused = await asyncio.to_thread(_restore_keys, server, url, keys, force)
            if refused:
                print(f"linli: error: {where} is not empty: it holds {refused}. Restore into an empty data dir "
                      "or Redis, or give --force to delete all of it first", file=sys.stderr)
                return 1
            found = await asyncio.to_thread(lambda: _read(snap.client_of(url), keys))
            ledger = await verify(Ledger(Store.open(client, manifest["community"])))
    finally:
        await asyncio.to_thread(server.stop)
    problems = compare(manifest, found, ledger)
    result = {"ok": not problems, "target": where, "removed": removed, "written": written,
              "counts": found["counts"], "ledger_head": found["ledger_head"], "keys": found["keyspace"]["keys"],
              "ledger": {"ok": ledger.ok, "entries": ledger.entries}, "problems": problems,
              "files": {name: facts["from"] for name, facts in manifest["files"].items() if "from" in facts}}
    if as_json:
        json.dump(result, out, ensure_ascii=False, indent=2)
        out.write("\n")
    elif problems:
        for problem in problems:
            out.write(f"MISMATCH {problem}\n")
    else:
        counts = ", ".join(f"{k} {v}" for k, v in found["counts"].items())
        out.write(f"restored {written} keys from {backup} (taken {manifest['taken_at']}) into {where}"
                  + (f", after deleting the {removed} keys there" if removed else "") + "\n"
                  f"ledger verify: ok, {ledger.entries} entries; counts match: {counts}\n"
                  f"content matches the backup: {found['keyspace']['keys']} keys compared value by value "
                  f"(and {found['keyspace']['volatile_keys']} with a time to live, not compared)\n"
                  f"the files linli ran with are in {backup / FILES}: "
                  + ", ".join(f"{Path(n).name} (was {f})" for n, f in result["files"].items()) + "\n")
    if problems:
        print(f"linli: error: the restore does not match the backup ({len(problems)} difference(s))", file=sys.stderr)
        return 1
    return 0


# --- the command line ---------------------------------------------------------------------

def _run_backup(args: argparse.Namespace) -> int:
    from bot import logsafe
    settings = Settings.load(args.community, data_dir=args.data_dir, rules_file=args.rules)
    logsafe.install(logsafe.secrets_of(settings))
    try:
        return asyncio.run(backup_command(settings, Path(args.dir), args.json))
    except FAILURES as exc:
        return _failed(exc)


def _run_restore(args: argparse.Namespace) -> int:
    env = os.environ
    redis_url = env.get("REDIS_URL") or None
    data_dir = Path(args.data_dir or env.get("LINLI_DATA_DIR") or default_data_dir(env)).expanduser()
    try:
        if args.community:   # a backup of another community would be restored under its own keys, unseen
            wanted, found = load_community(args.community).id, read_manifest(Path(args.dir).expanduser())["community"]
            if wanted != found:
                raise BackupError(f"{args.dir} is a backup of community {found!r}, not {wanted!r} "
                                  f"({args.community}); nothing was restored")
        return asyncio.run(restore_command(Path(args.dir), redis_url, data_dir, args.force, args.json))
    except FAILURES as exc:
        return _failed(exc)


def _failed(exc: BaseException) -> int:
    """One line naming the cause (a full disk, Redis refusing a write…), exit 1. Redis
    not answering at all is the CLI's to say, as for every command (exit 2)."""
    if isinstance(exc, RedisUnavailable):
        raise exc
    text = str(exc) if isinstance(exc, BackupError) else f"{type(exc).__name__}: {exc}"
    print(f"linli: error: {text}", file=sys.stderr)
    return 1


class _Area:
    """`backup` and `restore` are areas of their own (`linli admin backup DIR`, as the
    issue writes it), each with the admin areas' register/run."""

    def __init__(self, register) -> None:
        self.register = register

    async def run(self, args: argparse.Namespace, runtime) -> int:   # never: both run offline
        raise RuntimeError("linli admin backup/restore run without a runtime")


def _register_backup(areas: argparse._SubParsersAction, community_options) -> None:
    parser = areas.add_parser("backup", help="write a consistent snapshot of the data, online, into DIR")
    parser.add_argument("dir", metavar="DIR", help="where to write it (must not exist yet, or be empty)")
    community_options(parser)
    parser.add_argument("--json", action="store_true", help="print the manifest as JSON")
    parser.set_defaults(offline=_run_backup)


def _register_restore(areas: argparse._SubParsersAction, community_options) -> None:
    parser = areas.add_parser("restore", help="bring a backup back into an empty data dir (or REDIS_URL's Redis), "
                                              "then check it")
    parser.add_argument("dir", metavar="DIR", help="a directory `linli admin backup` wrote")
    parser.add_argument("--data-dir", metavar="DIR",
                        help="the embedded Redis's data dir to restore into (env LINLI_DATA_DIR; default "
                             "~/.local/share/linli); ignored when REDIS_URL is set")
    parser.add_argument("--community", metavar="FILE",
                        help="optional: the community file the restored data will run with; the backup "
                             "must be of the same community (its id)")
    parser.add_argument("--force", action="store_true", help="delete everything the target holds first")
    parser.add_argument("--json", action="store_true", help="JSON output")
    parser.set_defaults(offline=_run_restore)


BACKUP = _Area(_register_backup)
RESTORE = _Area(_register_restore)
