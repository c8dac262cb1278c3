"""A domain package's API: the names other packages may use, each looked up in its module
when first used.

    # handlers/tickets/__init__.py
    __getattr__, __all__ = exports(__name__, commands=("COMMANDS", "TIMERS"), actions=("assign_to", "finish"))

Other packages write `from handlers import tickets` and call `tickets.assign_to(…)`; they
never import `handlers.tickets.actions` (tests/test_layering.py). Looking a name up only
when it is used lets packages that use each other (tickets and tasks) be imported in any
order, and keeps `import handlers.points.rules` (the community file's sections) light.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any, Callable


def exports(package: str, **names_by_module: tuple[str, ...]) -> tuple[Callable[[str], Any], list[str]]:
    where = {name: module for module, names in names_by_module.items() for name in names}

    def __getattr__(name: str) -> Any:
        if name not in where:
            raise AttributeError(f"module {package!r} has no attribute {name!r} "
                                 f"(other packages may use: {', '.join(sorted(where))})")
        return getattr(import_module(f"{package}.{where[name]}"), name)

    return __getattr__, sorted(where)
