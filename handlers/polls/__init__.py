"""Polls: 发起投票, 投票, 代投, and counting them.

- syntax.py: how a poll is written (in chat and by `linli admin polls create`);
  rules.py: the decision rules, one class per kind (plurality, majority, threshold), and
  the arithmetic, with no texts and no Redis.
- create.py: the electorate fixed on the day, the announcement; vote.py: ballots, in chat
  or by proxy; close.py: the deadline, the reminder, closing early once decided;
  view.py: how a poll and its result read; audit.py: recounting from the stored ballots;
  cancel.py: 取消投票 (the creator or staff), and telling everyone it was announced to.
- dates.py: deadlines as people write them (截止=下周五, also 排期 and 预约); windows.py: the
  time windows a sentence names (供需: 周六上午, 工作日 9:00-17:00).
- hints.py: the open poll a sender may vote in, for other packages (the tickets package
  tells someone who says "我同意" during a poll how to vote).
- commands.py: the package's commands and timers; texts.toml: its texts.
"""

from handlers.exports import exports

__getattr__, __all__ = exports(
    __name__,
    commands=("COMMANDS", "TIMERS"),
    privacy=("kept_about", "forget"),     # 我的数据 and 注销 (handlers/privacy)
    hints=("votable",),                   # the open poll a sender may vote in (tickets: "我同意" → how to vote)
    create=("create_poll", "announce"),   # a poll opened from a topic (agenda: 决定 Y3 投票)
    cancel=("cancel_poll",),              # …withdrawn when another decision on the topic came first
    syntax=("parse_spec", "SpecError"),
    # Chinese dates and times: 排期 Y3 下周三晚上7点 (agenda), 预约 活动室 周六 14:00-16:00 (rooms)
    dates=("parse_when", "parse_length", "normalize"),
    windows=("find_window",),              # a time window in a sentence (sharing: 周六上午, 每周三下午)
)
