"""OGG/Opus voice notes: what Telegram's sendVoice needs, checked by decoding with PyAV."""

from __future__ import annotations

import io
import wave
from types import SimpleNamespace

import av
import numpy as np
import pytest

from facelog.speech import ogg
from facelog.speech.errors import AudioDecodeError, AudioTooLarge, AudioTooLong
from facelog.speech.ogg import decode_audio, encode_voice_note, whole_seconds
from facelog.speech.stt import VoiceLimits

from .conftest import encode_with_pyav, rms, tone


def probe(data: bytes) -> tuple[str, str, int, int, float]:
    """(container, codec, channels, rate, decoded seconds) as PyAV itself sees the file."""
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.audio[0]
        samples = sum(frame.samples for frame in container.decode(stream))
        rate = stream.codec_context.sample_rate
        return (
            container.format.name,
            stream.codec_context.name,
            stream.codec_context.layout.nb_channels,
            rate,
            samples / rate,
        )


@pytest.mark.parametrize("rate", [8_000, 16_000, 22_050, 44_100, 48_000])
@pytest.mark.parametrize("dtype", ["float32", "int16"])
def test_voice_note_is_ogg_opus_mono_48k_with_the_right_duration(rate: int, dtype: str) -> None:
    seconds = 2.37
    pcm = tone(seconds, rate)
    if dtype == "int16":
        pcm = (pcm * 32767).astype(np.int16)
    note = encode_voice_note(pcm, rate)
    assert note.ogg.startswith(b"OggS")
    container, codec, channels, out_rate, decoded = probe(note.ogg)
    assert (container, codec, channels, out_rate) == ("ogg", "opus", 1, 48_000)
    assert abs(decoded - seconds) < 0.1
    assert abs(note.seconds - seconds) < 1e-3
    assert note.duration_s == 2
    back = decode_audio(note.ogg)
    assert 0.15 < rms(back.samples) < 0.3  # the tone survived (0.3 peak → 0.21 RMS)


def test_whole_seconds_is_what_send_voice_expects() -> None:
    assert whole_seconds(0.2) == 1  # a short note still shows 0:01
    assert whole_seconds(1.49) == 1
    assert whole_seconds(1.5) == 2
    assert whole_seconds(59.7) == 60


def test_encoder_refuses_what_is_not_mono_pcm() -> None:
    with pytest.raises(ValueError):
        encode_voice_note(np.zeros((2, 100), dtype=np.float32), 16_000)
    with pytest.raises(ValueError):
        encode_voice_note(np.zeros(0, dtype=np.float32), 16_000)
    with pytest.raises(ValueError):
        encode_voice_note(np.zeros(100, dtype=np.int32), 16_000)


def test_decodes_an_ogg_opus_made_by_another_encoder_like_telegram_clients() -> None:
    # Telegram's apps record stereo-capable Opus in VOIP mode at low bit rates; this file is
    # made with PyAV directly, not with facelog's encoder.
    source = tone(3.0, 24_000, freq=330)
    data = encode_with_pyav(
        source,
        24_000,
        container="ogg",
        codec="libopus",
        out_rate=48_000,
        layout="stereo",
        bit_rate=16_000,
        options={"application": "voip"},
    )
    audio = decode_audio(data)
    assert audio.sample_rate == 16_000
    assert audio.samples.dtype == np.float32
    assert abs(audio.duration_s - 3.0) < 0.1
    assert rms(audio.samples) > 0.1


def test_decodes_mp3_and_wav() -> None:
    source = tone(1.5, 44_100)
    mp3 = encode_with_pyav(source, 44_100, container="mp3", codec="libmp3lame")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(22_050)
        writer.writeframes((tone(1.5, 22_050) * 32767).astype("<i2").tobytes())
    for data in (mp3, buffer.getvalue()):
        audio = decode_audio(data, sample_rate=16_000)
        assert abs(audio.duration_s - 1.5) < 0.1
        assert rms(audio.samples) > 0.1


def test_too_large_is_refused_before_parsing() -> None:
    # Garbage would be a decode error; the size check must come first.
    with pytest.raises(AudioTooLarge) as caught:
        decode_audio(b"\x00" * 2_000, max_bytes=1_000)
    assert caught.value.reason == "too-large"
    assert caught.value.limit_bytes == 1_000


def test_too_long_is_refused_from_the_declared_duration() -> None:
    note = encode_voice_note(tone(5.0, 16_000), 16_000)
    with pytest.raises(AudioTooLong) as caught:
        decode_audio(note.ogg, max_seconds=2.0)
    assert caught.value.duration_s == pytest.approx(5.0, abs=0.2)
    assert caught.value.reason == "too-long"
    # Within the limit plus Telegram's rounding slack it passes.
    assert decode_audio(note.ogg, max_seconds=4.6).duration_s == pytest.approx(5.0, abs=0.1)


def test_decoding_stops_at_the_limit_when_nothing_is_declared(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    note = encode_voice_note(tone(10.0, 16_000), 16_000)
    monkeypatch.setattr(ogg, "declared_duration", lambda container, size: None)
    with pytest.raises(AudioTooLong) as caught:
        decode_audio(note.ogg, max_seconds=3.0)
    assert 3.0 < caught.value.duration_s < 4.5  # stopped soon after the limit, not at 10 s


@pytest.mark.parametrize(
    "data",
    [b"", b"not audio at all" * 50, b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, b"OggS" + b"\x00" * 60],
)
def test_undecodable_bytes_are_a_typed_error(data: bytes) -> None:
    with pytest.raises(AudioDecodeError):
        decode_audio(data)


def test_declared_limits_refuse_a_note_before_it_is_downloaded() -> None:
    limits = VoiceLimits(max_seconds=120, max_bytes=1_000_000)
    limits.check_declared(duration_s=120, size_bytes=500_000)
    with pytest.raises(AudioTooLong):
        limits.check_declared(duration_s=121)
    with pytest.raises(AudioTooLarge):
        limits.check_declared(size_bytes=1_000_001)


def test_a_wav_whose_header_does_not_know_its_length_decodes() -> None:
    # espeak-ng writes WAV to stdout before it knows the length: the header says 0x7FFFFFFF.
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(22_050)
        writer.writeframes((tone(2.0, 22_050) * 32767).astype("<i2").tobytes())
    data = bytearray(buffer.getvalue())
    data[4:8] = (0x7FFFFFFF).to_bytes(4, "little")
    data[40:44] = (0x7FFFFFFF - 36).to_bytes(4, "little")
    audio = decode_audio(bytes(data), max_seconds=10)
    assert audio.duration_s == pytest.approx(2.0, abs=0.05)


def test_an_implausible_declared_duration_is_ignored() -> None:
    # An hour in 10 kB would be 22 bit/s: no codec does that, so the header is not trusted and
    # decoding counts the real samples instead.
    audio_stream = SimpleNamespace(duration=None, time_base=None)
    liar = SimpleNamespace(
        duration=3_600 * 1_000_000, streams=SimpleNamespace(audio=[audio_stream])
    )
    assert ogg.declared_duration(liar, 10_000) is None  # type: ignore[arg-type]
    honest = SimpleNamespace(duration=5 * 1_000_000, streams=SimpleNamespace(audio=[audio_stream]))
    assert ogg.declared_duration(honest, 10_000) == 5.0  # type: ignore[arg-type]
