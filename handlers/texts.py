"""Everything a resident reads comes from a TOML file of templates, so a community worker
can reword replies without touching code. An override file is checked against the
bundled one: unknown keys and unknown placeholders stop start-up with a clear error."""

from __future__ import annotations

import string
import tomllib
from importlib import resources
from pathlib import Path


class TextsError(ValueError):
    pass


def _flatten(table: dict, prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, name + "."))
        else:
            flat[name] = value
    return flat


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


class Texts:
    def __init__(self, templates: dict[str, str]) -> None:
        self.templates = templates

    @classmethod
    def load(cls, override: str | Path | None = None) -> "Texts":
        templates: dict[str, str] = {}
        # The router's texts (handlers/texts.toml), then each package's beside its code
        # (handlers/tickets/texts.toml, …), so a feature's texts travel with the feature.
        root = resources.files("handlers")
        files = [("texts.toml", root.joinpath("texts.toml"))]
        for package in sorted((p for p in root.iterdir() if p.is_dir() and p.joinpath("__init__.py").is_file()),
                              key=lambda p: p.name):
            files += [(f"{package.name}/{e.name}", e) for e in sorted(package.iterdir(), key=lambda e: e.name)
                      if e.name.endswith(".toml")]
        for name, entry in files:
            for key, value in _flatten(tomllib.loads(entry.read_text(encoding="utf-8"))).items():
                if key in templates:
                    raise TextsError(f"handlers/{name}: {key}: already defined in another file")
                templates[key] = value
        if override is None:
            return cls(templates)
        path = Path(override)
        try:
            custom = _flatten(tomllib.loads(path.read_text(encoding="utf-8")))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise TextsError(f"{path}: {exc}") from None
        for key, value in custom.items():
            if key not in templates:
                raise TextsError(f"{path}: {key}: unknown text "
                                 "(see handlers/texts.toml and handlers/*/texts.toml for the keys)")
            if not isinstance(value, str):
                raise TextsError(f"{path}: {key}: must be a string")
            extra = _fields(value) - _fields(templates[key])
            if extra:
                raise TextsError(f"{path}: {key}: unknown placeholder {{{sorted(extra)[0]}}} "
                                 f"(allowed: {', '.join(sorted(_fields(templates[key]))) or 'none'})")
        return cls({**templates, **custom})

    def __call__(self, key: str, /, **values: object) -> str:
        return self.templates[key].format(**values).strip()
