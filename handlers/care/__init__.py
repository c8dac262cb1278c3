"""Elders living alone (关爱): who is in care and their guardians, signs of life, the
alarm ladder, declared absences, the weekly summary.

- rules.py: the community file's `[care]` and `[[care.people]]`; common.py: an enrolment,
  finding the person a command names (privacy: only guardians and staff), the care log,
  the daily check's time; ladder.py: signs of life (messages, visits, records, devices),
  the ladder's steps as jobs, the water-meter rule, the button, the weekly summary;
  chat.py: 关爱 登记/记录/查看/名单, 平安, 探访, 我去看看, 外出.
- commands.py: the package's commands and timers; texts.toml: its texts.

Other packages and the core use only the names below (`from handlers import care`).
"""

from handlers.exports import exports

__getattr__, __all__ = exports(
    __name__,
    commands=("COMMANDS", "TIMERS"),
    privacy=("kept_about", "forget"),     # 我的数据 and 注销 (handlers/privacy)
    ladder=("on_message", "on_device"),                  # the router: every message, device events
    rules=("CareRules", "parse_care", "parse_time"),     # the community file, the admin CLI
    common=("Enrolment", "SYNC", "log", "schedule_check", "schedule_week"),   # the admin CLI
)
