"""The layers of ARCHITECTURE.md: handlers/ may use nlp/ and storage/; nlp/ and storage/
use nothing of ours; nothing below bot/ imports bot/ (so no handler knows a channel)."""

import ast
from pathlib import Path

import pytest

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
