"""Tickets: what residents report, and what staff do with it.

- reports.py: ordinary text and 报修 become a ticket, join an open one (duplicates.py) or
  wait for staff (triage.py, 待确认); short_messages.py answers 在吗, 催一下, 人工客服;
  media.py attaches photos and locations to the sender's open ticket.
- actions.py: 派单 处理 办结 驳回 吹哨 合并 拆分, the reporter's 评价 and 重开; views.py:
  查询 and 待办; deadlines.py: reminders, escalation, closing what nobody rated.
- stats.py: 响应率, 解决率, 满意率 and the rest, by month, building, category, department
  and holder, the heat map and 今日 (from the counters the ticket scripts keep).
- learning.py: staff's judgements kept as labelled examples (#14).
- common.py: what they share: who answers for a ticket, how it reads, `load_ticket`.
- commands.py: the package's commands and timers; texts.toml and media.toml: its texts.

Other packages use only the names below (`from handlers import tickets`).
"""

from handlers.exports import exports

__getattr__, __all__ = exports(
    __name__,
    commands=("COMMANDS", "TIMERS"),
    privacy=("kept_about", "forget"),     # 我的数据 and 注销 (handlers/privacy)
    reports=("on_text",),                 # text that is no command (the router)
    media=("on_media",),                  # a photo, a location, a voice message (the router)
    common=("OPEN_STATES", "entry", "place", "status_label"),
    actions=("assign_to", "finish"),      # a volunteer's 接单 and 完成 (tasks)
    duplicates=("similarity",),           # a proposed topic much like an open one (agenda)
    triage=("confirm", "is_waiting"),     # 确认 #12 (the points package's 确认 passes it on)
    # 接诉即办's figures for the web workbench and `linli admin stats` (README "Statistics")
    stats=("rates", "trend", "heat_map", "today", "rebuild_stats", "parse_period", "next_due",
           "Rate", "Figures", "Rates", "Trend", "HeatMap", "Today", "BuildingToday", "Period", "PeriodError"),
)
