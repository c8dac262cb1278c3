"""Points (积分), the time bank (时间银行) and the 爱心超市.

- earning.py: what every feature calls to book points or hours (`earn`, `credit_hours`),
  amounts as people read them, and 签到; view.py: 积分 and 排行; timebank.py: help between
  neighbours, 确认 and 异议, 换积分; rewards.py: 爱心超市, 兑换, 核销, 取消兑换;
  verify.py: checking the books; adjusted.py: telling a person of staff's correction
  (linli admin ledger adjust); rules.py: the community file's `[points]`, `[timebank]`
  and `[[rewards]]`.
- commands.py: the package's commands and timers; texts.toml: its texts.

Other packages use only the names below (`from handlers import points`).
"""

from handlers.exports import exports

__getattr__, __all__ = exports(
    __name__,
    commands=("COMMANDS", "TIMERS"),
    privacy=("kept_about", "forget"),     # 我的数据 and 注销 (handlers/privacy)
    earning=("earn", "credit_hours", "report_accepted", "rating_given", "parse_hours", "hours_text",
             "amount_text"),
    rules=("LedgerRules", "parse_rules"),            # the community file
    timebank=("record",),                            # help recorded from elsewhere (sharing: 帮完 M3 1.5)
)
