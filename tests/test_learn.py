"""Rules as a linear model: a rule file's learned `[model]`, how it scores, and
`linli rules learn`, which fits it."""

from pathlib import Path

import pytest

from nlp import Classifier
from nlp.rules import DEFAULT_RULES, RuleError, Rules



def without_model() -> str:
    """The bundled rule file with its learned model taken out."""
    text = DEFAULT_RULES.read_text(encoding="utf-8")
    cut = text.find("# ── 学到的权重")
    return text if cut < 0 else text[:cut]


def with_model(tmp_path, model: str) -> Path:
    path = tmp_path / "rules.toml"
    path.write_text(without_model() + "\n" + model, encoding="utf-8")
    return path


@pytest.mark.parametrize("model, problem", [
    ("[model]\nfeatures = { topic = 1.0 }\n", "model.bias: missing"),
    ("[model]\nbias = -3\nfeatures = { topics = 1.0 }\n", "model.features.topics: unknown key (did you mean 'topic'?)"),
    ("[model]\nbias = -3\n[model.words]\n\"猫\" = -1.0\n", "two or more characters"),
    ("[model]\nbias = \"low\"\n", "model.bias: must be a number"),
    ("[model]\nbias = -3\n[model.urgent]\nthreshold = 0.5\n", "model.urgent.bias: missing"),
    ("[model]\nbias = -3\n[model.urgent]\nbias = -3\nthreshold = 2\n", "model.urgent.threshold: must be between 0 and 1, got 2"),
    ("[model]\nbias = -3\n[model.urgent]\nbias = -3\nfloor = 0.2\n", "model.urgent.floor: unknown key"),
])
def test_a_broken_model_table_is_refused_with_its_key(tmp_path, model, problem):
    with pytest.raises(RuleError) as err:
        Rules.load(with_model(tmp_path, model))
    assert problem in str(err.value)


def test_a_model_word_weighs_in_where_the_rules_would_open_a_ticket(tmp_path):
    """A lost cat 'under a car, door broken' reads as a report to the rules; a learned
    weight on 寻猫 keeps it quiet, while a real report is untouched."""
    features = "topic = 2.3, firm = 2.0, topic_and_firm = 2.1, service_and_ask = 3.6, life = 3.0"
    path = with_model(tmp_path, f"[model]\nbias = -4.9\nfeatures = {{ {features} }}\n"
                                "[model.words]\n\"寻猫\" = -9.0\n")
    learned = Classifier.from_file(path)
    lost_cat = "寻猫：橘猫钻进3号楼车库门坏了的那个缝里了"
    plain = tmp_path / "plain.toml"
    plain.write_text(without_model(), encoding="utf-8")
    assert Classifier.from_file(plain).classify(lost_cat).actionable
    assert not learned.classify(lost_cat).actionable
    assert learned.classify("3号楼电梯坏了，困了两个小时").actionable


def test_danger_to_life_needs_the_model_to_agree(tmp_path):
    """With a model, a life word is urgent only when the message scores above the floor:
    a forwarded video of a fire does not post the emergency numbers."""
    features = "topic = 2.3, firm = 2.0, topic_and_firm = 2.1, life = 3.0, elsewhere = -12.0"
    classifier = Classifier.from_file(with_model(tmp_path, f"[model]\nbias = -4.0\nfeatures = {{ {features} }}\n"))
    fire = classifier.classify("5号楼3层着火了，好多烟")
    assert fire.actionable and fire.urgent and fire.life_risk
    video = classifier.classify("抖音上看到别的地方着火了，好多烟")
    assert not video.urgent and not video.life_risk


def test_a_learned_urgency_flags_danger_no_list_names(tmp_path):
    """`[model.urgent]`: danger in words no `[urgency]` list has is urgent (and a report
    anywhere); the same words from somewhere else, or below the report floor, are not."""
    features = "topic = 2.3, firm = 2.0, topic_and_firm = 2.1, elsewhere = -12.0"
    urgent = ('[model.urgent]\nbias = -4.0\nthreshold = 0.5\n[model.urgent.words]\n'
              '"滚烫" = 5.0\n')
    classifier = Classifier.from_file(with_model(tmp_path, f"[model]\nbias = -4.0\nfeatures = {{ {features} }}\n"
                                                           + urgent))
    burst = classifier.classify("3单元暖气管坏了，滚烫的水喷了一地")
    assert burst.actionable and burst.urgent and not burst.life_risk   # no emergency numbers for a pipe
    calm = classifier.classify("3单元暖气管坏了，麻烦来修一下")
    assert calm.actionable and not calm.urgent
    news = classifier.classify("朋友圈看到别的小区暖气管坏了，滚烫的水喷了一地")
    assert not news.urgent
    assert not classifier.classify("今天的汤滚烫").urgent   # not a report at all: never asked


@pytest.mark.parametrize("text", ["有人吗", "在吗", "你好", "催一下", "您好小邻", "人工客服", "🙏🙏🙏"])
def test_short_messages_said_to_the_bot_open_nothing(text):
    result = Classifier.from_file().classify(text, addressed=True)
    assert not result.actionable and not result.urgent


TRAINING = [
    *[(f"{b}号楼{thing}坏了，麻烦来修一下", "设施维修") for b in range(1, 9)
      for thing in ("电梯", "路灯", "门禁", "水管", "楼道灯")],
    *[(f"{b}号楼门口的垃圾三天没人清了，臭死了", "环境卫生") for b in range(1, 9)],
    *[(f"寻猫启事：{b}号楼丢了一只{color}猫，有看到的麻烦告诉我", "chitchat") for b in range(1, 9)
      for color in ("橘", "白", "黑", "花")],
    *[(f"朋友圈看到别的小区{thing}坏了，好惨", "chitchat") for thing in ("电梯", "路灯", "门禁", "水管")],
    *[(f"转发：{thing}坏了千万别自己修，找专业师傅", "chitchat") for thing in ("电梯", "燃气灶", "电闸", "水管")],
    *[(text, "chitchat") for text in ("大家早上好", "收到", "谢谢物业", "哈哈哈", "今天天气真好", "好的",
                                       "周末去哪玩", "晚饭吃什么", "孩子放学了", "下雨了记得收衣服")],
]


def write_tsv(path: Path, rows, urgent=None) -> Path:
    """`urgent`: the texts to mark urgent, in an `urgent` column (none: no column)."""
    if urgent is None:
        path.write_text("text\tlabel\n" + "".join(f"{t}\t{label}\n" for t, label in rows), encoding="utf-8")
    else:
        path.write_text("text\tlabel\turgent\n" + "".join(f"{t}\t{label}\t{int(t in urgent)}\n" for t, label in rows),
                        encoding="utf-8")
    return path


def test_rules_learn_writes_a_rule_file_that_loads_and_separates_its_examples(linli, tmp_path):
    pytest.importorskip("sklearn")
    labeled = write_tsv(tmp_path / "train.tsv", TRAINING)
    out = tmp_path / "learned.toml"
    run = linli("rules", "learn", "--labeled", str(labeled), "--out", str(out))
    assert run.returncode == 0, run.stderr
    assert "learned from" in run.stdout and "kept" in run.stdout
    rules = Rules.load(out)
    assert rules.model is not None and rules.model.words
    assert rules.triage_threshold is not None and rules.triage_threshold <= rules.auto_threshold
    assert "[categories.\"设施维修\"]" in out.read_text(encoding="utf-8")   # the hand rules are kept
    classifier = Classifier(rules)
    right = sum(classifier.classify(t).actionable == (label != "chitchat") for t, label in TRAINING)
    assert right / len(TRAINING) >= 0.95
    # Learning again from the learned file replaces its model rather than adding a second.
    again = linli("rules", "learn", "--labeled", str(labeled), "--rules", str(out), "--out", str(out))
    assert again.returncode == 0, again.stderr
    assert out.read_text(encoding="utf-8").count("[model]") == 1


URGENT = [(f"{b}号楼{where}{thing}，快来人", "设施维修") for b in range(1, 9)
          for where, thing in (("地下室", "水往里灌"), ("楼道", "管子喷水"), ("电梯", "里有人出不来"))]


def test_rules_learn_fits_urgency_from_the_urgent_column(linli, tmp_path):
    pytest.importorskip("sklearn")
    labeled = write_tsv(tmp_path / "train.tsv", TRAINING + URGENT, urgent={t for t, _ in URGENT})
    out = tmp_path / "learned.toml"
    run = linli("rules", "learn", "--labeled", str(labeled), "--out", str(out))
    assert run.returncode == 0, run.stderr
    assert "urgency:" in run.stdout
    rules = Rules.load(out)
    assert rules.model.urgent is not None and rules.model.urgent.words
    assert 0 < rules.model.urgent.threshold < 1
    classifier = Classifier(rules)
    flagged = sum(classifier.classify(t).urgent for t, _ in URGENT)
    calm = sum(classifier.classify(t).urgent for t, label in TRAINING if label != "chitchat")
    assert flagged >= 0.9 * len(URGENT) and calm <= 2
    # Without an urgent column no urgency model is written.
    plain = linli("rules", "learn", "--labeled", str(write_tsv(tmp_path / "p.tsv", TRAINING)), "--out", str(out))
    assert plain.returncode == 0 and Rules.load(out).model.urgent is None


def test_held_out_sets_are_never_fitted(linli, tmp_path):
    held = tmp_path / "heldout"
    held.mkdir()
    labeled = write_tsv(held / "set.tsv", TRAINING)
    run = linli("rules", "learn", "--labeled", str(labeled), "--out", str(tmp_path / "x.toml"))
    assert run.returncode == 2 and "held-out sets are for measuring only" in run.stderr
