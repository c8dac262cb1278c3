"""The packages that keep data about a person, in the order 我的数据 lists them and 注销
erases them. Adding one is a line here (its `privacy.py` exported as
`privacy=("kept_about", "forget")`). `people` stays last: it unbinds the person's chat
accounts, and a redelivered 确认注销 must still find who sent it."""

from __future__ import annotations

from handlers import agenda, care, people, points, polls, rooms, sharing, tasks, tickets

PACKAGES = (
    tickets,
    polls,
    tasks,
    points,
    care,
    rooms,
    agenda,
    sharing,
    people,
)
