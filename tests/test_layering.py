"""The layers of ARCHITECTURE.md: handlers/ may use nlp/ and storage/; nlp/ and storage/
use nothing of ours; nothing below bot/ imports bot/ (so no handler knows a channel).
Inside handlers/, the domain packages reach each other only through their API (the names
their __init__.py exports), and the shared core knows no package but through the router."""

import ast
import importlib
from pathlib import Path

import pytest

from handlers.router import COMMANDS, TIMERS

ROOT = Path(__file__).resolve().parents[1]
OURS = {"bot", "handlers", "nlp", "storage"}
ALLOWED = {"handlers": {"handlers", "nlp", "storage"}, "nlp": {"nlp"}, "storage": {"storage"}}


def imports_of(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found & OURS


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layer_imports_only_what_it_may(layer):
    files = sorted((ROOT / layer).rglob("*.py"))
    assert files, f"{layer}/ has no modules"
    wrong = {str(f.relative_to(ROOT)): sorted(imports_of(f) - ALLOWED[layer]) for f in files}
    assert {f: mods for f, mods in wrong.items() if mods} == {}


def modules_imported_by(path: Path) -> set[str]:
    """Full module names, `from a.b import c` giving a.b and a.b.c."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def test_no_channel_imports_the_router():
    """Channels get the command table from the service (their menus are made from it);
    the route table is the handlers' business."""
    files = sorted((ROOT / "bot" / "channels").rglob("*.py"))
    assert files
    wrong = {str(f.relative_to(ROOT)) for f in files
             if any(m == "handlers.router" or m.startswith("handlers.router.") for m in modules_imported_by(f))}
    assert wrong == set()


PACKAGES = sorted(p.name for p in (ROOT / "handlers").iterdir() if (p / "__init__.py").is_file())
# The core modules that may know packages, each only by its API: the router joins their
# commands and timers; the community file has sections ([points], [volunteers]) they define.
CORE_USING_PACKAGES = {"router.py", "community.py"}


def _handlers_imports(path: Path) -> list[tuple[str, tuple[str, ...]]]:
    """(module, names) of each `import handlers…` / `from handlers… import names`."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, ()) for alias in node.names if alias.name.split(".")[0] == "handlers"]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] == "handlers":
            found.append((node.module, tuple(alias.name for alias in node.names)))
    return found


def _packages_used(path: Path) -> dict[str, str]:
    """The packages a module names, and how: "api" (`from handlers import tickets`) or
    the module it reaches into ("handlers.tickets.actions")."""
    used = {}
    for module, names in _handlers_imports(path):
        parts = module.split(".")
        if module == "handlers":
            used.update({name: "api" for name in names if name in PACKAGES})
        elif len(parts) >= 2 and parts[1] in PACKAGES:
            used[parts[1]] = "api" if len(parts) == 2 else module
    return used


def test_packages_reach_each_other_only_through_their_api():
    wrong = {}
    for package in PACKAGES:
        for path in sorted((ROOT / "handlers" / package).rglob("*.py")):
            for other, how in _packages_used(path).items():
                if other != package and how != "api":
                    wrong[str(path.relative_to(ROOT))] = how
    assert wrong == {}


def test_the_core_knows_packages_only_where_it_joins_them():
    wrong = {}
    for path in sorted((ROOT / "handlers").glob("*.py")):
        used = _packages_used(path)
        if used and (path.name not in CORE_USING_PACKAGES or set(used.values()) != {"api"}):
            wrong[path.name] = used
    assert wrong == {}


def test_what_a_package_uses_of_another_is_in_its_api():
    """`tickets.assign_to` in handlers/tasks/claim.py needs "assign_to" in tickets' API."""
    missing = set()
    for path in sorted((ROOT / "handlers").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        aliases = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "handlers":
                aliases.update({a.asname or a.name: a.name for a in node.names if a.name in PACKAGES})
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
                package = importlib.import_module(f"handlers.{aliases[node.value.id]}")
                if node.attr not in package.__all__:
                    missing.add(f"{path.relative_to(ROOT)}: {aliases[node.value.id]}.{node.attr}")
    assert missing == set()


def test_every_package_declares_its_commands_and_timers_and_the_router_joins_them():
    joined_commands, joined_timers = [], {}
    for package in PACKAGES:
        declared = importlib.import_module(f"handlers.{package}.commands")
        assert importlib.import_module(f"handlers.{package}").COMMANDS is declared.COMMANDS
        joined_commands += declared.COMMANDS
        joined_timers.update(declared.TIMERS)
    assert {c.name for c in COMMANDS} - {c.name for c in joined_commands} == {"help"}   # the router's own
    assert len({c.name for c in COMMANDS}) == len(COMMANDS)
    assert len({w for c in COMMANDS for w in c.words}) == sum(len(c.words) for c in COMMANDS)
    assert len({c.slash for c in COMMANDS}) == len(COMMANDS)
    assert TIMERS == joined_timers


def test_every_command_has_its_usage_text():
    from handlers.texts import Texts

    texts = Texts.load()
    assert [c.usage for c in COMMANDS if c.usage not in texts.templates] == []
    assert [c.refusal for c in COMMANDS if c.refusal and c.refusal not in texts.templates] == []


def test_architecture_md_names_only_files_that_exist():
    """ARCHITECTURE.md stays true about where things are."""
    import re

    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`((?:bot|handlers|nlp|storage|tests)/[\w/.<>-]*\.(?:py|toml))`", text))
    assert named, "ARCHITECTURE.md names no file"
    concrete = {n for n in named if "<" not in n}
    assert sorted(n for n in concrete if not (ROOT / n).exists()) == []
    for package in PACKAGES:   # every package is described, with the files it must have
        assert f"`{package}/`" in text
        assert all((ROOT / "handlers" / package / f).is_file() for f in ("__init__.py", "commands.py", "texts.toml"))
