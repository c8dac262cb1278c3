"""The rule file: categories, urgency words and message signals, loaded from TOML.

Community workers edit this file by hand, so loading is strict and every problem is
reported as "<file>: <key>: <what is wrong>" before the bot starts, rather than a typo
silently turning a category off. The format is documented at the top of
``nlp/rules/default.toml``.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nlp.normalize import normalize

DEFAULT_RULES = Path(__file__).resolve().parent / "rules" / "default.toml"

TOP_KEYS = ("settings", "categories", "urgency", "signals", "model")
SETTINGS_KEYS = ("auto_threshold", "actionable_threshold", "triage_threshold")
CATEGORY_KEYS = ("description", "keywords", "strong", "weak", "combos", "service", "fallback")
URGENCY_KEYS = ("keywords", "combos", "life", "life_combos")
SIGNAL_KEYS = ("problem", "intensity", "request", "complaint", "chitchat", "notice", "resolved",
               "neutral", "neighbours", "elsewhere", "planned", "lost_found", "forward", "sale", "thanks")
CHAR_KEY = "problem_chars"
MODEL_KEYS = ("bias", "features", "words", "urgent")
URGENT_MODEL_KEYS = ("bias", "threshold", "features", "words")
# The evidence a message's score is made of (nlp/scoring.py computes them): the learned
# weights of `[model.features]` are keyed by these names.
FEATURES = ("topic", "firm", "soft", "topic_and_firm", "topic_and_soft", "topic_and_negation",
            "service_and_ask", "urgent", "chitchat", "notice", "resolved", "neighbours", "elsewhere",
            "planned", "lost_found", "forward", "sale", "thanks", "life", "topic_not_here")


class RuleError(ValueError):
    """A rule-file problem; the message names the file, the key and the problem."""


@dataclass(frozen=True)
class Category:
    name: str
    keywords: tuple[str, ...]
    strong: tuple[str, ...] = ()
    weak: tuple[str, ...] = ()
    combos: tuple[tuple[str, ...], ...] = ()
    service: bool = False
    fallback: bool = False
    description: str = ""


@dataclass(frozen=True)
class Signals:
    problem: tuple[str, ...] = ()
    intensity: tuple[str, ...] = ()
    request: tuple[str, ...] = ()
    complaint: tuple[str, ...] = ()
    chitchat: tuple[str, ...] = ()
    notice: tuple[str, ...] = ()
    resolved: tuple[str, ...] = ()
    neutral: tuple[str, ...] = ()
    neighbours: tuple[str, ...] = ()
    elsewhere: tuple[str, ...] = ()
    planned: tuple[str, ...] = ()
    lost_found: tuple[str, ...] = ()
    forward: tuple[str, ...] = ()
    sale: tuple[str, ...] = ()
    thanks: tuple[str, ...] = ()
    problem_chars: tuple[str, ...] = ()


@dataclass(frozen=True)
class Model:
    """Learned weights (`linli rules learn`): the score of a message is
    bias + Σ feature weight × feature + Σ the weights of the model words it contains."""
    bias: float
    features: dict[str, float]
    words: dict[str, float]
    # `[model.urgent]`: the same kind of score for "urgent" (someone or something is in
    # danger now), learned from the examples' urgent column; a report is urgent from
    # `threshold` on, or by an `[urgency]` word.
    urgent: "Model | None" = None
    threshold: float = 1.0


@dataclass(frozen=True)
class Rules:
    source: str
    categories: tuple[Category, ...]
    urgency: tuple[str, ...]
    signals: Signals
    auto_threshold: float = 0.6
    actionable_threshold: float = 0.5
    triage_threshold: float | None = None   # from here to auto_threshold: 待确认 in auto groups
    model: Model | None = None
    # Life at risk: urgent, a report on its own, and the chat gets the emergency numbers.
    # A combo part may list alternatives: ("老人", "大爷") x ("没出门", "没见").
    life: tuple[str, ...] = ()
    life_combos: tuple[tuple[tuple[str, ...], ...], ...] = ()
    # Urgent, though no life is at risk: damage still happening ("水…还在涨").
    urgent_combos: tuple[tuple[tuple[str, ...], ...], ...] = ()

    @property
    def fallback(self) -> Category:
        return next(c for c in self.categories if c.fallback)

    def all_keywords(self) -> set[str]:
        words: set[str] = set(self.urgency) | set(self.life)
        for cat in self.categories:
            words.update(cat.keywords, cat.strong, cat.weak)
        for name in SIGNAL_KEYS:
            words.update(getattr(self.signals, name))
        return words

    @classmethod
    def load(cls, path: str | Path | None = None) -> "Rules":
        path = Path(path) if path is not None else DEFAULT_RULES
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise RuleError(f"{path}: cannot read the rule file: {exc.strerror or exc}") from exc
        try:
            data = tomllib.loads(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise RuleError(f"{path}: the file is not UTF-8 text ({exc.reason})") from exc
        except tomllib.TOMLDecodeError as exc:
            # tomllib's message already ends in "(at line N, column M)".
            raise RuleError(f"{path}: TOML syntax error: {exc}") from exc
        return cls.from_dict(data, source=str(path))

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "<rules>") -> "Rules":
        check = _Checker(source)
        check.keys(data, "", TOP_KEYS)

        settings = check.table(data, "settings", required=False)
        check.keys(settings, "settings", SETTINGS_KEYS)
        auto = check.fraction(settings, "settings.auto_threshold", 0.6)
        actionable = check.fraction(settings, "settings.actionable_threshold", 0.5)
        if auto < actionable:
            check.fail("settings.auto_threshold",
                       f"must not be below settings.actionable_threshold ({actionable})")
        triage = check.fraction(settings, "settings.triage_threshold", -1.0)
        if triage > auto:
            check.fail("settings.triage_threshold", f"must not be above settings.auto_threshold ({auto})")

        table = check.table(data, "categories", required=True)
        if not table:
            check.fail("categories", "at least one category is needed")
        categories = tuple(check.category(name, body) for name, body in table.items())
        fallbacks = [c.name for c in categories if c.fallback]
        if len(fallbacks) != 1:
            check.fail("categories", "exactly one category must have fallback = true "
                       f"(found {len(fallbacks)}: {', '.join(fallbacks) or 'none'})")

        urgency_table = check.table(data, "urgency", required=False)
        check.keys(urgency_table, "urgency", URGENCY_KEYS)
        urgency = check.words(urgency_table, "urgency.keywords", required=False)
        life = check.words(urgency_table, "urgency.life", required=False)
        life_combos = tuple(tuple(tuple(w for w in part.split("|") if w) for part in combo)
                            for combo in check.combos(urgency_table, "urgency.life_combos",
                                                      name="life_combos"))
        urgent_combos = tuple(tuple(tuple(w for w in part.split("|") if w) for part in combo)
                              for combo in check.combos(urgency_table, "urgency.combos"))

        signal_table = check.table(data, "signals", required=False)
        check.keys(signal_table, "signals", SIGNAL_KEYS + (CHAR_KEY,))
        signals = Signals(**{name: check.words(signal_table, f"signals.{name}", required=False)
                             for name in SIGNAL_KEYS},
                          problem_chars=check.chars(signal_table, f"signals.{CHAR_KEY}"))
        model = check.model(check.table(data, "model", required=False)) if "model" in data else None
        return cls(source=source, categories=categories, urgency=urgency, signals=signals,
                   auto_threshold=auto, actionable_threshold=actionable,
                   triage_threshold=None if triage < 0 else triage, model=model, life=life,
                   life_combos=life_combos, urgent_combos=urgent_combos)


class _Checker:
    """Validation helpers that all fail with the same "<file>: <key>: <problem>" shape."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, key: str, problem: str) -> None:
        raise RuleError(f"{self.source}: {key}: {problem}" if key else f"{self.source}: {problem}")

    def keys(self, table: dict[str, Any], where: str, allowed: tuple[str, ...]) -> None:
        for key in table:
            if key not in allowed:
                hint = difflib.get_close_matches(key, allowed, n=1)
                why = f"did you mean '{hint[0]}'?" if hint else f"expected one of {', '.join(allowed)}"
                self.fail(f"{where}.{key}" if where else key, f"unknown key ({why})")

    def table(self, data: dict[str, Any], key: str, required: bool) -> dict[str, Any]:
        if key not in data:
            if required:
                self.fail(key, "missing table")
            return {}
        value = data[key]
        if not isinstance(value, dict):
            self.fail(key, "must be a table ([%s])" % key)
        return value

    def number(self, value: Any, key: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(key, f"must be a number, got {value!r}")
        return float(value)

    def model(self, table: dict[str, Any], where: str = "model") -> Model:
        self.keys(table, where, MODEL_KEYS if where == "model" else URGENT_MODEL_KEYS)
        if "bias" not in table:
            self.fail(f"{where}.bias", "missing; the model needs its bias")
        features = table.get("features", {})
        words = table.get("words", {})
        for key, value in ((f"{where}.features", features), (f"{where}.words", words)):
            if not isinstance(value, dict):
                self.fail(key, "must be a table of name = weight")
        self.keys(features, f"{where}.features", FEATURES)
        learned: dict[str, float] = {}
        for raw, weight in words.items():
            word = normalize(raw)
            if len(word) < 2:
                self.fail(f"{where}.words.{raw}", "model words have two or more characters")
            learned[word] = learned.get(word, 0.0) + self.number(weight, f"{where}.words.{raw}")
        urgent = None
        if where == "model" and "urgent" in table:
            urgent = self.model(self.table(table, "urgent", required=True), "model.urgent")
        return Model(bias=self.number(table["bias"], f"{where}.bias"),
                     features={k: self.number(v, f"{where}.features.{k}") for k, v in features.items()},
                     words=learned, urgent=urgent,
                     threshold=self.fraction(table, f"{where}.threshold", 1.0))

    def fraction(self, table: dict[str, Any], key: str, default: float) -> float:
        name = key.rsplit(".", 1)[-1]
        if name not in table:
            return default
        value = table[name]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(key, f"must be a number between 0 and 1, got {value!r}")
        if not 0 <= value <= 1:
            self.fail(key, f"must be between 0 and 1, got {value}")
        return float(value)

    def words(self, table: dict[str, Any], key: str, required: bool) -> tuple[str, ...]:
        name = key.rsplit(".", 1)[-1]
        if name not in table:
            if required:
                self.fail(key, "missing; must be a non-empty list of strings")
            return ()
        value = table[name]
        if not isinstance(value, list) or not value or not all(isinstance(w, str) for w in value):
            self.fail(key, "must be a non-empty list of strings")
        words: list[str] = []
        for raw in value:
            word = normalize(raw)
            if not word:
                self.fail(key, f"contains an empty keyword ({raw!r})")
            if word not in words:  # duplicates are harmless; keep the first
                words.append(word)
        return tuple(words)

    def chars(self, table: dict[str, Any], key: str) -> tuple[str, ...]:
        chars = self.words(table, key, required=False)
        for ch in chars:
            if len(ch) != 1:
                self.fail(key, f"must list single characters, got {ch!r}")
        return chars

    def category(self, name: str, body: Any) -> Category:
        key = f"categories.{name}"
        if not name.strip():
            self.fail(key, "category name must not be empty")
        if not isinstance(body, dict):
            self.fail(key, f"must be a table ([categories.{name}])")
        self.keys(body, key, CATEGORY_KEYS)
        fallback, service = body.get("fallback", False), body.get("service", False)
        for flag, value in (("fallback", fallback), ("service", service)):
            if not isinstance(value, bool):
                self.fail(f"{key}.{flag}", f"must be true or false, got {value!r}")
        description = body.get("description", "")
        if not isinstance(description, str):
            self.fail(f"{key}.description", "must be a string")
        # The fallback category catches reports no other category claims, so it may have
        # no words of its own; every other category needs some or it can never be chosen.
        keywords = self.words(body, f"{key}.keywords", required=not fallback)
        strong = self.words(body, f"{key}.strong", required=False)
        weak = self.words(body, f"{key}.weak", required=False)
        combos = self.combos(body, f"{key}.combos")
        return Category(name=name, keywords=keywords, strong=strong, weak=weak, combos=combos,
                        service=service, fallback=fallback, description=description)

    def combos(self, table: dict[str, Any], key: str,
               name: str = "combos") -> tuple[tuple[str, ...], ...]:
        if name not in table:
            return ()
        value = table[name]
        problem = "must be a non-empty list of word lists, e.g. [[\"电动车\", \"充电\"]]"
        if not isinstance(value, list) or not value:
            self.fail(key, problem)
        combos = []
        for i, combo in enumerate(value):
            if (not isinstance(combo, list) or len(combo) < 2
                    or not all(isinstance(w, str) and normalize(w) for w in combo)):
                self.fail(f"{key}[{i}]", "must list two or more non-empty words, "
                          f"got {combo!r}")
            combos.append(tuple(normalize(w) for w in combo))
        return tuple(combos)
