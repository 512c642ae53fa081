"""Nobody sees another person's diary: every button and command, forged with the victim's ids.

A victim keeps a diary (photos, texts, Anna's comments, a voice note, chat); an attacker then
presses every kind of button the bot knows — replaying every payload the victim's own keyboards
carried and forging the rest with the victim's entry ids, days and months — and sends every
command with the victim's ids as arguments. Everything the bot sends the attacker (messages,
alerts, photos, voice notes, the /export archive, unzipped) is searched for the victim's words
and bytes, and the victim's stored data must be exactly as before.

A static check over ``storage/repository.py`` complements it: every repository method that
touches a person's data takes their user id and passes it into every query it makes.
"""

from __future__ import annotations

import ast
import inspect
import io
import json
import re
import textwrap
import zipfile
from typing import Any

import pytest

from bot import app as bot_app
from bot import callbacks
from facelog.domain import Month
from facelog.i18n import t
from inference.labels import EMOTIONS
from storage import Repository
from storage import repository as repository_module
from tests.bot.test_diary_flows import onboard

from .conftest import AppRig

VICTIM_NAME = "Victoria Nightshade"
VICTIM_INTRO = "keeps a diary about her divorce 5e5e"
VICTIM_POSTS = ("my secret about the divorce lawyer 1a2b", "2024-06-02 the day I lied to mum 3c4d")
VICTIM_CHAT = "please never tell anyone about the debt 9d9d"
VICTIM_VOICE = b"OggS\x00victim-voice" + bytes(range(200)) * 30


def keyboard_payloads(messages: list[dict[str, Any]]) -> set[str]:
    """Every callback_data on every inline keyboard among ``messages``."""
    found: set[str] = set()
    for message in messages:
        markup = message.get("reply_markup") or {}
        for row in markup.get("inline_keyboard") or []:
            for button in row:
                if button.get("callback_data"):
                    found.add(button["callback_data"])
    return found


def payload_heads_in_source() -> set[str]:
    """The payload prefixes ``bot/callbacks.py`` can build (``"set"``, ``"cal"``, ``"rem"`` …):
    a new kind of button shows up here, and the walk below must cover it."""
    source = inspect.getsource(callbacks)
    return set(re.findall(r'f?"([a-z]+):', source)) | {
        value.partition(":")[0] for value in callbacks._FIXED
    }


def forged_payloads(entry_ids: list[str], days: list[Any]) -> set[str]:
    """Every shape ``callbacks.parse`` accepts, with the victim's ids wherever one fits."""
    payloads = set(callbacks._FIXED)
    for kind, values in callbacks._SETTING_VALUES.items():
        payloads |= {callbacks.setting(kind, value) for value in values}
    payloads |= {callbacks.setting("voice"), callbacks.setting("done")}
    for entry_id in entry_ids:
        payloads |= {callbacks.entry(entry_id), callbacks.listen(entry_id)}
        # ✏️ and everything it opens: the victim's entries must not change or go.
        payloads |= {
            callbacks.edit(entry_id),
            callbacks.edit_text(entry_id),
            callbacks.delete_entry(entry_id),
            callbacks.delete_entry_yes(entry_id),
            callbacks.back(entry_id),
            *(callbacks.set_emotion(entry_id, emotion) for emotion in EMOTIONS),
            *(callbacks.move(entry_id, day) for day in days),
        }
    for day in days:
        payloads |= {callbacks.day(day), callbacks.calendar(Month.of(day))}
    if hasattr(callbacks, "reminders"):  # /reminders' buttons
        for action in getattr(callbacks, "_REMINDER_ACTIONS", ()):
            payloads.add(callbacks.reminders(action))
        payloads |= {callbacks.reminders("h", "7"), callbacks.reminders("z", "1")}
    return payloads


def unpacked(data: bytes) -> bytes:
    """A file as searchable bytes: a ZIP (the /export archive) is unpacked member by member."""
    if not data.startswith(b"PK"):
        return data
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return b"\n".join(archive.read(name) for name in archive.namelist())


async def snapshot(repo: Repository, user_id: int) -> dict[str, Any]:
    """Everything stored about a person, to compare before and after the attack."""
    export = await repo.export_user(user_id)
    return {
        "account": export.account,
        "entries": [(i.entry, i.photo, i.voice) for i in export.entries],
        "chat": export.chat,
        "session": await repo.get_session(user_id),
    }


async def test_an_attacker_pressing_every_button_and_command_gets_nothing_of_the_victim(
    sealed_rig: AppRig, face_photos: dict[str, bytes]
) -> None:
    rig, repo = sealed_rig, sealed_rig.repo
    victim = rig.user(language_code="en", first_name="Victoria")
    attacker = rig.user(language_code="en", first_name="Mallory")

    # -- the victim's diary, and every keyboard the victim is shown --------------------------
    await onboard(victim, VICTIM_NAME, intro=VICTIM_INTRO)
    for caption, photo in zip(VICTIM_POSTS, face_photos.values(), strict=False):
        await victim.send_photo(photo, caption=caption)
        await victim.wait_for_reply(lambda c: "Emotion of the day" in (c.text or ""))
    await victim.send_text(VICTIM_CHAT)
    await victim.wait_for_reply()
    entries = await repo.recent_entries(victim.id, 10)
    assert len(entries) == 2
    assert await repo.set_entry_voice(victim.id, entries[0].id, VICTIM_VOICE)
    for command in bot_app.COMMANDS:
        if command not in {"start", "delete_me", "export"}:
            await victim.send_command(command)
            await rig.idle()
    grid = next(m for m in victim.history()[::-1] if "◀" in json.dumps(m, ensure_ascii=False))
    await victim.press("◀", on=grid)
    await rig.idle()
    victims_buttons = keyboard_payloads(victim.history())
    before = await snapshot(repo, victim.id)
    secrets = [
        VICTIM_NAME,
        VICTIM_INTRO,
        VICTIM_CHAT,
        *(e.text for e in entries),
        *(e.anna_comment or "" for e in entries),
        *(turn.text for turn in before["chat"]),
    ]
    assert all(secrets) and len(secrets) >= 8
    blobs = [photo for _, photo, _ in before["entries"]] + [VICTIM_VOICE]

    # -- the attack ---------------------------------------------------------------------------
    await onboard(attacker, "Mallory")
    month = Month.of(entries[0].day)
    arguments = f"{victim.id} {entries[0].id} {month} {entries[1].day.isoformat()}"
    for command in bot_app.COMMANDS:
        await attacker.send_command(command, arguments)
        await rig.idle()
        await attacker.send_command(f"{command}@{rig.fake.bot_user['username']}", str(victim.id))
        await rig.idle()
    await attacker.send_command("/calendar")
    [own_grid] = await attacker.wait_for_reply()
    forged = forged_payloads([e.id for e in entries], [e.day for e in entries])
    walk = sorted(victims_buttons | forged, key=lambda p: p == callbacks.DELETE_YES)  # erase last
    for payload in walk:
        await attacker.send_callback(payload, on=own_grid)
        await rig.idle()

    # The walk covered every kind of button the bot can build.
    walked = {callbacks.parse(p) for p in walk}
    actions = {press.action.partition(":")[0] for press in walked if press is not None}
    assert payload_heads_in_source() <= {p.partition(":")[0] for p in walk}
    assert {"cal", "day", "ent", "say", "set"} <= actions
    assert {p for p in victims_buttons if callbacks.parse(p)} <= set(walk)

    # -- what the attacker received -----------------------------------------------------------
    calls = attacker.calls(since=0)
    answers = [
        rig.fake.callback_answers.get(str(update["callback_query"]["id"]), {})
        for update in attacker.updates
        if "callback_query" in update
    ]
    seen = json.dumps([c.params for c in calls] + answers, ensure_ascii=False).encode()
    files = [unpacked(f.data) for c in calls for f in (c.files or {}).values()]
    media = {"sendPhoto", "sendVoice", "sendAudio", "sendDocument"}  # also those sent by file_id
    files += [unpacked(attacker.downloaded(c)) for c in calls if c.ok and c.method in media]
    for text in secrets:
        assert text.encode() not in seen, text
        assert all(text.encode() not in f for f in files), text
    for blob in blobs:
        middle = blob[len(blob) // 2 : len(blob) // 2 + 64]
        assert all(middle not in f for f in files)
    # Counts: the attacker has no entries, so anything counted was counted from nothing.
    stats = [c.text for c in calls if c.method in {"sendMessage", "sendPhoto"} and c.text]
    assert t("en", "stats_empty") in stats
    exports = [c for c in calls if c.ok and c.method == "sendDocument"]
    assert exports, "the attacker's /export answered with an archive"
    for export in exports:
        with zipfile.ZipFile(io.BytesIO(attacker.downloaded(export))) as archive:
            document = json.loads(archive.read("entries.json"))
        assert document["entries"] == []
        assert document["profile"] is None or document["profile"]["name"] == "Mallory"

    # -- the victim's diary is untouched ------------------------------------------------------
    assert await snapshot(repo, victim.id) == before
    assert await repo.get_account(attacker.id) is None  # the attacker's "erase" erased only them


async def test_pressing_a_button_on_someone_elses_entry_says_it_cannot_be_found(
    sealed_rig: AppRig, face_photos: dict[str, bytes]
) -> None:
    """What the attacker sees for a forged entry button: the same answer as for a deleted one."""
    rig = sealed_rig
    victim, attacker = rig.user(language_code="ko"), rig.user(language_code="ko")
    await onboard(victim, "피해자")
    await onboard(attacker, "공격자")
    await victim.send_photo(face_photos["astronaut"], caption="아무도 몰라야 하는 일 7e7e")
    await victim.wait_for_reply(lambda c: "오늘의 감정" in (c.text or ""))
    [entry] = await rig.repo.recent_entries(victim.id, 5)
    await attacker.send_command("/calendar")
    [grid] = await attacker.wait_for_reply()
    for payload in (callbacks.entry(entry.id), callbacks.listen(entry.id)):
        update = await attacker.send_callback(payload, on=grid)
        answer = await attacker.wait_for_answer(update)
        assert answer.get("text") == t("ko", "entry_missing") and answer.get("show_alert")
    update = await attacker.send_callback(callbacks.day(entry.day), on=grid)
    answer = await attacker.wait_for_answer(update)
    assert answer.get("text") == t("ko", "no_entry_day")


# -- static: every repository method that touches a person's data is scoped by their id -------

#: Collections that hold a person's data, and the key that names the person in each.
PERSONAL = {
    "_entries": "user_id",
    "_chat": "user_id",
    "_pending": "user_id",
    "_sent": "user_id",
    "_users": "_id",
    "_sessions": "_id",
}
#: The filter argument's position for each collection method (``insert_*`` write a document
#: that carries the owner; ``aggregate`` is checked through its ``$match``).
FILTERED = {
    "find",
    "find_one",
    "count_documents",
    "update_one",
    "update_many",
    "delete_one",
    "delete_many",
    "replace_one",
    "find_one_and_update",
    "find_one_and_delete",
}
#: Methods that cross people on purpose, with the reason.
CROSS_USER = {
    "iter_accounts": "the scheduler walks every account",
    "sweep_pending_blobs": "start-up clean-up of crash leftovers, each checked against its owner",
    "reencrypt_all": "key rotation rewrites every record",
    "_pages": "paging helper of reencrypt_all",
    "_reseal_blob": "reencrypt_all's blob step, scoped by the entry it was given",
    "check_keys": "reads the key-check record in meta",
    "_settle_blob": "drops the pending record of a blob just written, by its unique id",
    "migrate": "schema",
    "schema_version": "schema",
    "_create_indexes": "schema",
}


def _names_a_user(node: ast.expr, key: str, assigned: dict[str, list[ast.expr]]) -> bool:
    """Whether a filter expression pins ``key`` to the method's user (a literal dict with the
    key, ``_month_filter(user_id, …)``, a conditional of such, or a variable assigned one)."""
    if isinstance(node, ast.Dict):
        for k, v in zip(node.keys, node.values, strict=True):
            if isinstance(k, ast.Constant) and k.value == key:
                return "user" in ast.unparse(v) or "owner" in ast.unparse(v)
            if k is None and _names_a_user(v, key, assigned):  # {**query, ...}
                return True
        return False
    if isinstance(node, ast.Call):
        return ast.unparse(node.func) == "_month_filter" and "user_id" in ast.unparse(node.args[0])
    if isinstance(node, ast.IfExp):
        return _names_a_user(node.body, key, assigned) and _names_a_user(node.orelse, key, assigned)
    if isinstance(node, ast.Name) and node.id in assigned:
        return all(_names_a_user(value, key, assigned) for value in assigned[node.id])
    return False


def repository_methods() -> list[ast.AsyncFunctionDef]:
    tree = ast.parse(textwrap.dedent(inspect.getsource(repository_module.Repository)))
    [cls] = tree.body
    assert isinstance(cls, ast.ClassDef)
    return [node for node in cls.body if isinstance(node, ast.AsyncFunctionDef)]


def personal_queries(method: ast.AsyncFunctionDef) -> list[tuple[str, str, ast.Call]]:
    """(collection, operation, call) for every query on a personal collection in ``method``."""
    found = []
    for node in ast.walk(method):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        target = node.func.value
        if (
            isinstance(target, ast.Attribute)
            and isinstance(target.value, ast.Name)
            and target.value.id == "self"
            and target.attr in PERSONAL
        ):
            found.append((target.attr, node.func.attr, node))
    return found


def assignments(method: ast.AsyncFunctionDef) -> dict[str, list[ast.expr]]:
    """Each local variable of ``method`` and the expressions assigned to it."""
    assigned: dict[str, list[ast.expr]] = {}
    for node in ast.walk(method):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    assigned.setdefault(target.id, []).append(node.value)
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and node.value is not None
        ):
            assigned.setdefault(node.target.id, []).append(node.value)
    return assigned


def query_filter(operation: str, call: ast.Call, where: str) -> ast.expr:
    """The expression that selects documents in a query (the document itself for an insert)."""
    if operation == "aggregate":
        pipeline = call.args[0]
        assert isinstance(pipeline, ast.List), where
        match = pipeline.elts[0]
        assert isinstance(match, ast.Dict) and ast.unparse(match.keys[0]) == "'$match'", where
        return match.values[0]
    if operation.startswith("insert") or operation in FILTERED:
        assert call.args, where
        return call.args[0]
    pytest.fail(f"unchecked collection operation {operation!r} in {where}")


def scoping_problems(methods: list[ast.AsyncFunctionDef]) -> tuple[list[str], list[str]]:
    """(problems, what was checked) for a class's methods: each query on a personal collection
    must pin the owner, and a helper taking its filter from the caller must get a pinned one."""
    problems: list[str] = []
    checked: list[str] = []
    #: Helpers that take their filter from the caller: name → (position, parameter, key).
    forwarding: dict[str, tuple[int, str, str]] = {}
    for method in methods:
        queries = personal_queries(method)
        if method.name in CROSS_USER or not queries:
            continue
        parameters = [a.arg for a in method.args.args[1:] + method.args.kwonlyargs]
        assigned = assignments(method)
        for collection, operation, call in queries:
            key = PERSONAL[collection]
            where = f"{method.name}: {ast.unparse(call)[:90]}"
            selector = query_filter(operation, call, where)
            if isinstance(selector, ast.Name) and selector.id in parameters:
                forwarding[method.name] = (parameters.index(selector.id), selector.id, key)
                continue
            if operation.startswith("insert") and isinstance(selector, ast.Name):
                continue  # a document built by _entry_doc from an Entry, owner included
            if not _names_a_user(selector, key, assigned):
                problems.append(where)
        owners = {"user_id", "user", "user_ids"}  # user_ids: a scheduler batch, each one named
        if method.name not in forwarding and not owners & set(parameters):
            problems.append(f"{method.name} takes no user id")
        checked.append(method.name)

    for method in methods:
        if method.name in CROSS_USER:
            continue
        assigned = assignments(method)
        for node in ast.walk(method):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "self"
                and node.func.attr in forwarding
            ):
                continue
            position, name, key = forwarding[node.func.attr]
            given = [k.value for k in node.keywords if k.arg == name]
            argument = node.args[position] if position < len(node.args) else given[0]
            if not _names_a_user(argument, key, assigned):
                problems.append(f"{method.name}: {ast.unparse(node)}")
            checked.append(f"{method.name} → {node.func.attr}")
    return problems, checked


def test_every_repository_query_on_personal_data_names_its_owner() -> None:
    problems, checked = scoping_problems(repository_methods())
    assert problems == []
    # The check really ran over the methods that matter.
    assert {
        "get_entry",
        "_entry_blob",
        "set_anna_comment",
        "delete_entry",
        "chat_history",
        "append_chat",
        "delete_user",
    } <= set(checked)
    assert any(name.startswith("list_month") for name in checked)


def test_the_static_check_catches_an_unscoped_query() -> None:
    """The check above can fail: a lookup by entry id alone, a method without a user id, and a
    helper handed an unscoped filter are all reported."""
    leaky = ast.parse(
        textwrap.dedent(
            """
            class Repository:
                async def get_entry(self, user_id, entry_id):
                    return await self._entries.find_one({"_id": entry_id})

                async def forget_turn(self, turn_id):
                    await self._chat.delete_one({"_id": turn_id, "user_id": turn_id})

                async def _where(self, match):
                    return await self._entries.aggregate([{"$match": match}])

                async def list_day(self, user_id, day):
                    return await self._where({"user_id": user_id, "day": day})

                async def list_anyones_day(self, user_id, day):
                    return await self._where({"day": day})
            """
        )
    ).body[0]
    assert isinstance(leaky, ast.ClassDef)
    methods = [m for m in leaky.body if isinstance(m, ast.AsyncFunctionDef)]
    problems, _ = scoping_problems(methods)
    assert {problem.partition(":")[0].split()[0] for problem in problems} == {
        "get_entry",
        "forget_turn",
        "list_anyones_day",
    }
    assert "forget_turn takes no user id" in problems
