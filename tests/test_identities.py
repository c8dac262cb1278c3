"""Identities bound at run time are resolved like the community file's, both ways:
who an incoming message is from, and where a push to a person goes."""

from bot.addressing import decode, resolve
from bot.worker import Worker
from handlers.events import Event, Outgoing
from storage.identities import Identities


async def test_a_bound_identity_speaks_as_its_person_and_receives_their_pushes(runtime):
    community = runtime.settings.community
    bound = Identities(runtime.store)
    assert await bound.owner("tg:999") is None
    await bound.bind("tg:999", "@zhang")
    await bound.bind("tg:-5", "b3")
    event = Event(id="tg:1", channel="tg", sender="tg:999", chat="tg:-5", chat_kind="group",
                  text="@小邻 查询", addressed=True, received_at=runtime.clock.now())
    await runtime.accept(event)
    await Worker(runtime).step(block_ms=None)
    stream = runtime.store.keys.outbox("tg")
    [(_, fields)] = await runtime.redis.xrange(stream)
    identity, message = decode(fields["msg"])
    assert identity == "tg:-5" and message.to == "b3"       # answered as zhang in b3
    push = Outgoing(to="@zhang", text="x")
    assert resolve(community, push, ("tg",), await bound.of("@zhang")) == "tg:999"
    assert resolve(community, push, ("wx",), await bound.of("@zhang")) == "console:zhang"


async def test_rebinding_moves_an_identity_and_unbinding_forgets_it(runtime):
    bound = Identities(runtime.store)
    await bound.bind("tg:999", "@zhang")
    await bound.bind("tg:999", "@wang")
    assert await bound.of("@zhang") == () and await bound.of("@wang") == ("tg:999",)
    assert await bound.unbind("tg:999") == "@wang"
    assert await bound.owner("tg:999") is None and await bound.of("@wang") == ()


def test_buttons_survive_the_outbox_round_trip():
    message = Outgoing(to="@zhang", text="新任务", buttons=((("接单", "接单 T1"), ("不方便", "帮助")),))
    again = Outgoing.from_json(message.to_json())
    assert again == message and again.buttons[0][0] == ("接单", "接单 T1")


async def test_console_prints_buttons_with_their_commands(console):
    from bot.channels.console import ConsoleChannel
    import io
    out = io.StringIO()
    await ConsoleChannel(out).send("console:zhang", Outgoing(to="@zhang", text="t", buttons=((("接单", "接单 T1"),),)))
    assert '"buttons": [[{"label": "接单", "command": "接单 T1"}]]' in out.getvalue()
