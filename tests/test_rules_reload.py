"""A changed rule file is taken up without a restart; a broken one leaves the old rules
running and says why in the log."""

import logging
import os

from bot.app import open_runtime
from bot.settings import Settings
from nlp.rules import DEFAULT_RULES
from tests.conftest import DEMO

WORD = "鸵鸟"   # not a keyword of the bundled rules


async def test_rules_reload_when_the_file_changes_and_a_bad_file_changes_nothing(tmp_path, redis_server, redis,
                                                                                 caplog):
    rules = tmp_path / "rules.toml"
    original = DEFAULT_RULES.read_text(encoding="utf-8")
    rules.write_text(original, encoding="utf-8")
    settings = Settings.load(DEMO, data_dir=tmp_path, rules_file=rules, env={"REDIS_URL": redis_server})
    async with open_runtime(settings, fake_clock=True) as runtime:
        assert WORD not in runtime.services.classifier.classify(f"3号楼楼道有个{WORD}").keywords
        assert not await runtime.refresh_rules(every=0)                     # unchanged: nothing to do
        added = original.replace('  "电梯", "电梯间"', f'  "{WORD}", "电梯", "电梯间"', 1)
        assert added != original
        rules.write_text(added, encoding="utf-8")
        os.utime(rules, (1, 1))                                             # a different mtime, surely
        assert await runtime.refresh_rules(every=0)
        result = runtime.services.classifier.classify(f"3号楼楼道有个{WORD}")
        assert WORD in result.keywords
        working = runtime.services.classifier
        rules.write_text(added + "\n[nonsense\n", encoding="utf-8")
        os.utime(rules, (2, 2))
        with caplog.at_level(logging.ERROR):
            assert not await runtime.refresh_rules(every=0)
        assert runtime.services.classifier is working
        assert "not reloaded" in caplog.text and str(rules) in caplog.text


def test_the_communitys_place_names_stay_whole_tokens(tmp_path):
    from handlers.community import CommunityError, load_community
    from nlp import Classifier
    from tests.test_community import GOOD
    (tmp_path / "places.txt").write_text("# estates\n幸福里 100 ns\n阳光菜市场\n", encoding="utf-8")
    path = tmp_path / "c.toml"
    path.write_text(GOOD + '[dictionary]\nwords = ["中心花园"]\nfile = "places.txt"\n', encoding="utf-8")
    community = load_community(path)
    assert community.dictionary == ("中心花园", "幸福里", "阳光菜市场")
    classifier = Classifier.from_file()
    segmenter = classifier._scorer.segmenter
    assert "幸福里" not in segmenter.tokens("幸福里门口的路灯坏了")
    classifier.add_words(community.dictionary)
    assert "幸福里" in segmenter.tokens("幸福里门口的路灯坏了")
    assert "阳光菜市场" in segmenter.tokens("阳光菜市场门口垃圾很多")
    assert classifier.classify("幸福里门口的路灯坏了").actionable
    path.write_text(GOOD + '[dictionary]\nfile = "missing.txt"\n', encoding="utf-8")
    try:
        load_community(path)
    except CommunityError as exc:
        assert "dictionary.file" in str(exc)
    else:
        raise AssertionError("a missing dictionary file must stop start-up")
