"""Privacy (个人信息保护法): what linli keeps about a person, erasing it, and how long
anything is kept.

- mydata.py: 我的数据, a person's own data, sent 1:1; erase.py: 注销 and 确认注销 (and
  `erase_person`, which staff's `linli admin privacy erase` runs too); tombstones.py: an
  erased id is nobody (the router asks `screen` and `is_erased`); retention.py: the daily
  job applying `[retention]` (rules.py, the community file's section).
- packages.py: the domain packages that keep data about a person, each with a
  `privacy.py` (`kept_about`, `forget`) exported as `privacy=("kept_about", "forget")`.
- commands.py: the package's commands and timers; texts.toml: its texts (those of the
  packages' privacy.py too).

Other packages and the core use only the names below (`from handlers import privacy`).
"""

from handlers.exports import exports

__getattr__, __all__ = exports(
    __name__,
    commands=("COMMANDS", "TIMERS"),
    rules=("RetentionRules", "parse_retention"),        # the community file
    tombstones=("screen", "is_erased"),                  # the router
    erase=("interrupts", "erase_person"),                # the router; the admin CLI
    mydata=("kept_about_all",),                          # the admin CLI
    retention=("apply_retention", "schedule_retention", "TIMER"),   # the admin CLI, start-up
)
