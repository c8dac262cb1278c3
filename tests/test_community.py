"""The community file: the demo loads, and every mistake names the file and the key."""

import pytest

from handlers.community import CommunityError, load_community
from tests.conftest import DEMO

GOOD = '''
[community]
id = "t"
name = "测试社区"

[[people]]
id = "zhang"
name = "张阿姨"
household = "3-2-502"
identities = ["tg:1"]
'''


def test_demo_community_has_what_the_issue_asks():
    c = load_community(DEMO)
    assert c.id == "demo" and c.timezone == "Asia/Shanghai"
    assert sum(chat.kind == "building" for chat in c.chats.values()) == 6
    assert len(c.with_role("council")) == 9
    assert 5 <= len(c.with_role("volunteer")) <= 8
    assert c.with_role("grid_worker") and c.with_role("secretary")
    assert len(c.departments) == 3
    assert len({p.household for p in c.people.values() if p.household}) >= 24
    assert c.sla.respond_hours == 24 and c.sla.resolve_hours == 72


def test_identities_resolve_people_and_chats_including_console_defaults():
    c = load_community(DEMO)
    assert c.person_by_identity("console:zhang").name == "张阿姨"
    assert c.chat_by_identity("console:b3").building == "3"
    assert c.person_by_identity("console:nobody") is None
    assert c.department("城管").id == "chengguan"


@pytest.mark.parametrize("addition, key, problem", [
    ('\n[sla]\nrespond_hours = -1\n', "sla.respond_hours", "positive number"),
    ('\n[sla]\nrespond_hour = 24\n', "sla.respond_hour", "unknown key"),
    ('\n[[chats]]\nid = "b1"\nname = "x"\nkind = "garden"\n', "chats[0].kind", "unknown kind"),
    ('\n[[chats]]\nid = "b1"\nname = "x"\nkind = "building"\nmode = "loud"\n', "chats[0].mode", "unknown mode"),
    ('\n[[people]]\nid = "li"\nname = "李"\nroles = ["king"]\n', "people[1].roles", "unknown role"),
    ('\n[[people]]\nid = "li"\nname = "李"\nhousehold = "502"\n', "people[1].household", "building-unit-room"),
    ('\n[[people]]\nid = "zhang"\nname = "又一个"\n', "people[1].id", "duplicate id"),
    ('\n[[people]]\nid = "li"\nname = "李"\nidentities = ["tg:1"]\n', "people.li.identities", "already belongs"),
    ('\n[[people]]\nid = "li"\nname = "李"\nidentities = ["nocolon"]\n', "people[1].identities", "channel:id"),
    ('\n[[departments]]\nid = "d"\nname = "部门"\ncontact = "ghost"\n', "departments[0].contact", "unknown person"),
    ('\n[routing]\n"设施维修" = "ghost"\n', "routing.设施维修", "unknown person"),
])
def test_mistakes_name_the_key(tmp_path, addition, key, problem):
    path = tmp_path / "c.toml"
    path.write_text(GOOD + addition, encoding="utf-8")
    with pytest.raises(CommunityError) as err:
        load_community(path)
    assert str(err.value).startswith(f"{path}: {key}:")
    assert problem in str(err.value)


@pytest.mark.parametrize("text, problem", [
    ("[community]\nname = \"x\"\n", "community.id: is required"),
    ("[community]\nid = \"社区\"\nname = \"x\"\n", "community.id: use ASCII"),
    ("[community]\nid = \"x\"\nname = \"x\"\ntimezone = \"Mars/Base\"\n", "unknown time zone"),
    ("[community\nid = 1", "not valid TOML"),
])
def test_broken_files_stop_with_a_clear_message(tmp_path, text, problem):
    path = tmp_path / "c.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CommunityError, match=problem):
        load_community(path)


def test_missing_file(tmp_path):
    with pytest.raises(CommunityError, match="file not found"):
        load_community(tmp_path / "nope.toml")
