"""Volunteer tasks: made from a ticket (派单 #12 志愿者) or published (发布任务), offered to
the volunteers who fit best, claimed, done, confirmed.

- create.py: where tasks come from; push.py: offering them in batches, quiet hours, the
  claim window; claim.py: 接单 退单 完成, the beneficiary's 确认 and 评价, 我的任务,
  取消任务; volunteers.py: profiles (志愿者 …) and who fits a task; rules.py: the community
  file's `[volunteers]` and a person's `volunteer = {…}`.
- commands.py: the package's commands and timers; texts.toml: its texts.

Other packages use only the names below (`from handlers import tasks`).
"""

from handlers.exports import exports

__getattr__, __all__ = exports(
    __name__,
    commands=("COMMANDS", "TIMERS"),
    privacy=("kept_about", "forget"),     # 我的数据 and 注销 (handlers/privacy)
    claim=("is_task_ref", "rate", "confirm"),        # 评价 T3, 确认 T3 (words tickets and points own)
    create=("from_ticket",),                         # 派单 #12 志愿者 (tickets)
    push=("cancel_for_ticket",),                     # the ticket was closed (tickets)
    rules=("Profile", "Volunteering", "parse_profile", "parse_volunteering"),   # the community file
)
