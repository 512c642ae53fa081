"""Property tests for the settings parsers: whatever the environment holds, Facelog either starts
with the value meant or stops with a ``ValidationError`` naming the variable — never a crash of
another kind (the classifier class list once failed that way: pydantic-settings tried to read
"anger,happy,…" as JSON)."""

from __future__ import annotations

import os
import string
import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager

from hypothesis import example, given
from hypothesis import strategies as st
from pydantic import ValidationError

from facelog.config import Settings
from facelog.domain import check_time_zone

ENV_TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40
)
NAME = st.text(string.ascii_letters + string.digits + "_-+.", min_size=1, max_size=12)
BLANK = st.text(" \t", max_size=3)


@contextmanager
def environment(**values: str) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def settings() -> Settings:
    return Settings(_env_file=None)  # type: ignore[call-arg]


@given(st.lists(st.tuples(BLANK, NAME, BLANK), min_size=1, max_size=8))
def test_classifier_classes_split_on_commas_and_trim(parts: list[tuple[str, str, str]]) -> None:
    raw = ",".join(f"{before}{name}{after}" for before, name, after in parts)
    expected = tuple(name for _, name, _ in parts)
    with environment(FACELOG_CLASSIFIER_CLASSES=raw):
        assert settings().classifier_classes == expected
    assert Settings(_env_file=None, classifier_classes=raw).classifier_classes == expected  # type: ignore[call-arg]


@given(st.sampled_from(sorted(zoneinfo.available_timezones())))
def test_every_installed_time_zone_is_accepted(zone: str) -> None:
    assert check_time_zone(zone) == zone


@given(ENV_TEXT)
@example("../../etc/passwd")
@example("/etc/localtime")
@example("Asia/Seoul\x01")
@example("")
def test_any_other_text_is_a_zone_or_a_value_error(text: str) -> None:
    try:
        assert check_time_zone(text) == text
    except ValueError:
        return
    zoneinfo.ZoneInfo(text)  # what was accepted really loads


FIELDS = {
    "FACELOG_MAX_VOICE_SECONDS": "max_voice_seconds",
    "FACELOG_LLM_FIRST_ANSWER_S": "llm_first_answer_s",
    "FACELOG_LLM_FOLLOWUP_RETRIES": "llm_followup_retries",
    "FACELOG_DETECT_MAX_SIDE": "detect_max_side",
    "FACELOG_LOG_LEVEL": "log_level",
    "FACELOG_CLASSIFIER_CROP": "classifier_crop",
    "FACELOG_STT_ENGINE": "stt_engine",
}


@given(st.sampled_from(sorted(FIELDS)), ENV_TEXT)
@example("FACELOG_MAX_VOICE_SECONDS", "nan")
@example("FACELOG_MAX_VOICE_SECONDS", "-inf")
@example("FACELOG_LLM_FOLLOWUP_RETRIES", "1e3")
def test_a_wrong_value_stops_with_an_error_naming_it(variable: str, value: str) -> None:
    with environment(**{variable: value}):
        try:
            loaded = settings()
        except ValidationError as error:
            assert error.errors()[0]["loc"][0] == FIELDS[variable]
            return
    assert getattr(loaded, FIELDS[variable]) is not None
