"""The command line a newcomer uses first: demo, analyze, run without a token."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from facelog.cli import main
from tests.conftest import FACE_PHOTOS, NO_FACE_PHOTOS, package_file


def test_demo_reads_the_bundled_selfie(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "happy (기쁨)" in out
    for emotion in ("anger", "happy", "panic", "sadness"):
        assert emotion in out
    assert "faces: 1" in out and " ms " in out


def test_analyze_prints_each_photo_and_saves_aligned_crops(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    face = package_file(*FACE_PHOTOS["astronaut"])
    no_face = package_file(*NO_FACE_PHOTOS["coffee"])
    crops = tmp_path / "aligned"
    assert main(["analyze", str(face), str(no_face), "--save-aligned", str(crops)]) == 0
    out = capsys.readouterr().out
    assert f"{face}: happy" in out
    assert f"{no_face}: no face found" in out
    saved = list(crops.iterdir())
    assert [p.name for p in saved] == ["astronaut.aligned.png"]
    assert Image.open(saved[0]).size == (224, 224)


def test_analyze_json_and_unreadable_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff not really")
    face = package_file(*FACE_PHOTOS["grace_hopper"])
    assert main(["analyze", "--json", str(face), str(broken)]) == 1
    captured = capsys.readouterr()
    record = json.loads(captured.out.strip())
    assert record["faces"] == 1
    assert set(record["probabilities"]) == {"anger", "happy", "panic", "sadness"}
    assert "broken.jpg" in captured.err


def test_run_without_token_falls_back_to_the_demo(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)  # no .env here
    assert main(["run"]) == 0
    out = capsys.readouterr().out
    assert "TELEGRAM_BOT_TOKEN" in out and "happy" in out


def test_bad_settings_are_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FACELOG_MAX_BATCH", "0")
    assert main(["demo"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("facelog: invalid setting max_batch")
    assert "\n" not in err


def test_speak_then_transcribe_round_trip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FACELOG_DATA_DIR", str(tmp_path / "data"))
    note = tmp_path / "anna.ogg"
    assert main(["speak", "Good morning Mia.", "--language", "en", "--out", str(note)]) == 0
    assert note.read_bytes()[:4] == b"OggS"
    capsys.readouterr()
    assert main(["transcribe", str(note), "--language", "en"]) == 0
    assert "good morning" in capsys.readouterr().out.lower()


def test_speak_korean_says_what_it_needs_or_uses_espeak_when_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FACELOG_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("ELEVENLABS_API_KEY", raising=False)
    monkeypatch.delenv("FACELOG_KOREAN_OFFLINE_VOICE", raising=False)
    note = tmp_path / "anna.ogg"
    assert main(["speak", "안녕, 오늘 어땠어?", "--language", "ko", "--out", str(note)]) == 2
    err = capsys.readouterr().err
    assert "ELEVENLABS_API_KEY" in err and "--korean-voice espeak" in err
    assert not note.exists()
    argv = ["speak", "안녕, 오늘 어땠어?", "--language", "ko", "--out", str(note)]
    assert main([*argv, "--korean-voice", "espeak"]) == 0
    assert note.read_bytes()[:4] == b"OggS" and "espeak-ng" in capsys.readouterr().out
    monkeypatch.setenv("FACELOG_KOREAN_OFFLINE_VOICE", "espeak")  # the same, configured
    note.unlink()
    assert main(argv) == 0 and note.read_bytes()[:4] == b"OggS"


def test_run_with_a_rejected_token_is_one_line_and_exit_code_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Against the fake Bot API server, which answers 401 to a token it does not know."""
    from fakebotapi.server import FakeTelegram
    from tests.conftest import LoopThread

    loop = LoopThread()
    fake = FakeTelegram()
    loop.run(fake.__aenter__())
    try:
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:not-the-right-token")
        monkeypatch.setenv("FACELOG_TELEGRAM_BASE_URL", fake.base_url)
        monkeypatch.setenv("FACELOG_TELEGRAM_BASE_FILE_URL", fake.base_file_url)
        monkeypatch.setenv("FACELOG_DATA_DIR", str(tmp_path / "data"))
        assert main(["run"]) == 2
        err = capsys.readouterr().err.strip()
        assert err == "facelog: Telegram rejected TELEGRAM_BOT_TOKEN (check it with @BotFather)"
        assert "not-the-right-token" not in err
    finally:
        loop.run(fake.__aexit__(None, None, None))
        loop.close()
