"""供需: neighbours' needs (需要), offers of help (提供) and things to give away (闲置),
matched privately.

- publish.py: publishing (and when a group message is one), 关闭, 下架, expiry, 我的供需;
  words.py: what an item is about, as matching keys (jieba, the community dictionary, near
  spellings), read against vocabulary.py's tables of activities and things by family; match.py: candidates from the inverted index, ranking
  by nearness, proposals, 接受 / 不用, 留言, 帮完 (the time bank); digest.py: the daily
  digest per building; rules.py: the community file's `[sharing]`; privacy.py: 我的数据
  and 注销.
- commands.py: the package's commands and timers; texts.toml: its texts.

Other packages and the core use only the names below (`from handlers import sharing`).
"""

from handlers.exports import exports

__getattr__, __all__ = exports(
    __name__,
    commands=("COMMANDS", "TIMERS"),
    rules=("SharingRules", "parse_sharing"),          # the community file
    privacy=("kept_about", "forget"),                 # 我的数据 and 注销 (the privacy package)
)
