"""Rooms and equipment the community lends (活动室, 会议室, 轮椅): booking a slot, staff
approval where the file asks for it, reminders, cancellation, utilisation per month.

- rules.py: the community file's `[[rooms]]` (opening hours, approval, limits);
  slots.py: time arithmetic with no texts and no Redis (reading 周六 14:00-16:00 through
  the polls package's date reader, opening hours, free times, seconds per month);
  common.py: finding a room or a booking (B3), who may decide, the timers;
  book.py: 预约, 我的预约, 取消预约; approve.py: 批准, 拒绝, reminders, lapses;
  usage.py: utilisation per room per month and the idle flag; privacy.py: 我的数据, 注销.
- commands.py: the package's commands and timers; texts.toml: its texts.

Other packages and the core use only the names below (`from handlers import rooms`).
"""

from handlers.exports import exports

__getattr__, __all__ = exports(
    __name__,
    commands=("COMMANDS", "TIMERS"),
    rules=("Room", "parse_rooms"),                              # the community file
    usage=("usage_of", "recount_month", "IDLE_BELOW"),          # the admin CLI
    slots=("span_words", "midnight"),                           # the admin CLI
    privacy=("kept_about", "forget"),                           # 我的数据, 注销
)
