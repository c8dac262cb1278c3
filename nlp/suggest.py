"""`linli rules suggest`: the words that tell one class from the others, for a person to
review and copy into a rule file (how a community bootstraps rules from its own tickets).

Each class is compared with all the others by the log-odds ratio with an informative
Dirichlet prior (Monroe, Colaresi & Quinn 2008, "Fightin' Words"): the prior is the word's
share of the whole corpus, so rare words do not top the list on two lucky counts and
everyday words ("的", "我们") are pulled back to zero. Words are counted once per message
(document frequency), so one message repeating a word does not make it a keyword.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# How strongly the prior pulls towards the corpus average: the prior adds this many
# pseudo-messages in total, spread by corpus frequency. 500 suits a few hundred to a few
# thousand messages; Monroe et al. use the corpus size of a similar order.
PRIOR_SIZE = 500.0
_WORDLIKE = re.compile(r"[\u4e00-\u9fffA-Za-z]")
# Function words say nothing about a topic but are frequent enough to pass any test in a
# small corpus; a person would strike them from every list.
STOP = frozenset("的 了 是 在 有 我 你 他 她 它 们 我们 你们 他们 这 那 这个 那个 就 都 也 还 又 和 "
                 "与 跟 把 被 给 让 对 从 到 向 上 下 里 中 一 一个 一下 个 很 太 吗 呢 吧 啊 呀 "
                 "么 什么 怎么 要 会 能 可以 说 着 过 得 地 不 没 没有 但 但是 而 而且 或 如果 "
                 "因为 所以 已经 现在 今天 昨天 时候 还是 就是 这样 那样 这么 那么 自己 大家".split())


@dataclass(frozen=True)
class Candidate:
    word: str
    z: float            # log-odds z-score, this class against all others
    count: int          # messages of this class with the word
    share: float        # of all messages with the word, the share in this class

    def to_dict(self) -> dict:
        return {"word": self.word, "z": round(self.z, 2), "count": self.count,
                "share": round(self.share, 3)}


def usable(token: str) -> bool:
    """Word-like tokens only: no punctuation, numbers, bare Latin letters or function words."""
    return (bool(_WORDLIKE.search(token)) and token not in STOP
            and not (len(token) == 1 and token.isascii()))


def log_odds(documents: Iterable[tuple[Iterable[str], str]], prior_size: float = PRIOR_SIZE
             ) -> dict[str, list[Candidate]]:
    """For each label, every word seen in it with its z-score, best first."""
    per_class: dict[str, Counter] = {}
    docs: Counter = Counter()
    for tokens, label in documents:
        words = {t for t in tokens if usable(t)}
        per_class.setdefault(label, Counter()).update(words)
        docs[label] += 1
    total = Counter()
    for counts in per_class.values():
        total.update(counts)
    grand = sum(total.values())
    result: dict[str, list[Candidate]] = {}
    for label, counts in per_class.items():
        n_in = sum(counts.values())
        n_out = grand - n_in
        ranked = []
        for word, y_in in counts.items():
            y_out = total[word] - y_in
            a = prior_size * total[word] / grand
            delta = (math.log((y_in + a) / (n_in + prior_size - y_in - a))
                     - math.log((y_out + a) / (n_out + prior_size - y_out - a)))
            z = delta / math.sqrt(1 / (y_in + a) + 1 / (y_out + a))
            ranked.append(Candidate(word, z, y_in, y_in / total[word]))
        ranked.sort(key=lambda c: (-c.z, c.word))
        result[label] = ranked
    return result


def suggest(documents: Iterable[tuple[Iterable[str], str]], top: int = 30, min_count: int = 3,
            min_z: float = 2.0, known: Iterable[str] = ()) -> dict[str, list[Candidate]]:
    """The `top` most discriminative new words per label (z >= min_z, >= min_count messages)."""
    known = set(known)
    return {label: [c for c in ranked if c.count >= min_count and c.z >= min_z
                    and c.word not in known][:top]
            for label, ranked in log_odds(documents).items()}


def format_toml(suggestions: dict[str, list[Candidate]], order: Sequence[str] = (),
                quiet: str | None = None) -> str:
    """Candidate rule entries: words with z >= 4 as `strong` candidates, the rest as
    `keywords`, each followed by a comment line with its evidence, for a person to review."""
    labels = [l for l in order if l in suggestions] + sorted(set(suggestions) - set(order))
    out = ["# Candidates mined by `linli rules suggest` (log-odds z-score, messages in class,",
           "# share of the word's messages in this class). Review before use: keep the words",
           "# that name a problem or its topic, drop names, dates and one-off details.", ""]
    for label in labels:
        found = suggestions[label]
        if not found:
            continue
        if label == quiet:
            out.append("[signals]   # words of messages that must stay quiet")
            out.append(_list("chitchat", found))
        else:
            out.append(f'[categories."{label}"]')
            strong = [c for c in found if c.z >= 4 and c.share >= 0.8]
            rest = [c for c in found if c not in strong]
            if strong:
                out.append(_list("strong", strong))
            if rest:
                out.append(_list("keywords", rest))
        out.append("")
    return "\n".join(out)


def _list(key: str, found: list[Candidate]) -> str:
    words = ", ".join(json.dumps(c.word, ensure_ascii=False) for c in found)
    notes = "  ".join(f"{c.word} z={c.z:.1f} n={c.count} {c.share:.0%}" for c in found)
    return f"{key} = [{words}]\n# {notes}"
