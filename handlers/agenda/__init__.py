"""议题: residents set the council's agenda. A resident proposes a topic, neighbours second
it (附议), at the threshold it goes onto the council's agenda; the council decides its path
in one command (a poll, a department, a merge, or no), a passed decision is carried out
like a ticket, and the seconders evaluate it (评议).

- propose.py: 议题 (propose, the board, one topic's path), 撤回议题; second.py: 附议, the
  threshold crossed once (storage/lua/agenda_second.lua); decide.py: 决定, 排期, and the
  linked poll's close; follow.py: 落实, 进展, 评议 and the package's timers (the seconding
  window, the secretary's reminder, the due date, the 评议 window).
- common.py: loading a topic, telling its followers, how it reads; rules.py: the community
  file's `[agenda]`; privacy.py: 我的数据 and 注销.
- commands.py: the package's commands and timers; texts.toml: its texts.

Other packages use only the names below (`from handlers import agenda`).
"""

from handlers.exports import exports

__getattr__, __all__ = exports(
    __name__,
    commands=("COMMANDS", "TIMERS"),
    decide=("on_poll_closed",),                       # a poll opened from a topic closed (polls)
    rules=("AgendaRules", "parse_agenda"),            # the community file's [agenda]
    privacy=("kept_about", "forget"),                 # 我的数据 and 注销 (the privacy package)
)
