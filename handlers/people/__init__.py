"""People: households (登记, 核实: who lives in which unit, verified for household polls)
and linking (绑定: a platform account becomes a person; 绑定群: a group chat one of the
community's chats).

- households.py, linking.py; web_login.py: 登录, a one-time link to the web workbench
  (bot/web/) and who may sign in (WORKBENCH); commands.py: the package's commands;
  texts.toml and web.toml: its texts.
  Finding a person by @name is the community's (`Community.find_person`).

Other packages use only the names below (`from handlers import people`).
"""

from handlers.exports import exports

__getattr__, __all__ = exports(
    __name__,
    commands=("COMMANDS", "TIMERS"),
    privacy=("kept_about", "forget"),     # 我的数据 and 注销 (handlers/privacy)
    households=("describe", "memberships", "membership_of", "verified_households"),   # household polls
)
