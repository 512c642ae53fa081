"""What reaches a voice: no emoji or markup, whole sentences, bounded chunks."""

from __future__ import annotations

from facelog.speech.metrics import character_error_rate
from facelog.speech.text import chunk_text, speakable, split_sentences


def test_speakable_drops_emoji_urls_and_markup_but_keeps_words_and_punctuation() -> None:
    text = "민아야 😢, 오늘 **정말** 힘들었지? 🫂 See https://example.com/x _now_!"
    assert speakable(text) == "민아야, 오늘 정말 힘들었지? See now!"


def test_sentences_split_on_korean_and_english_punctuation_and_line_breaks() -> None:
    text = "오늘 어땠어? 나는 좋았어! 정말이야.\nNew line here… And more."
    assert split_sentences(text) == [
        "오늘 어땠어?",
        "나는 좋았어!",
        "정말이야.",
        "New line here…",
        "And more.",
    ]


def test_chunks_keep_order_and_respect_the_limit() -> None:
    sentences = [f"Sentence number {i} is here." for i in range(20)]
    chunks = chunk_text(" ".join(sentences), 80, min_chars=40)
    assert all(len(chunk) <= 80 for chunk in chunks)
    assert " ".join(chunks) == " ".join(sentences)


def test_a_sentence_longer_than_the_limit_is_cut_at_commas_then_spaces() -> None:
    long = "one two three four five, six seven eight nine ten, " * 6 + "end."
    chunks = chunk_text(long, 60)
    assert all(len(chunk) <= 60 for chunk in chunks)
    assert " ".join(chunks).split() == long.split()


def test_full_chunks_for_remote_engines() -> None:
    text = "짧은 문장. " * 30
    assert len(chunk_text(text, 1000, min_chars=1000)) == 1


def test_nothing_speakable() -> None:
    assert chunk_text("😀🎉 ✨", 100) == []


def test_character_error_rate_ignores_case_spacing_and_punctuation() -> None:
    assert character_error_rate("Hello, World!", "hello world") == 0.0
    assert character_error_rate("오늘 정말 좋았어", "오늘정말 좋았어.") == 0.0
    assert character_error_rate("abcd", "abxd") == 0.25
    assert character_error_rate("abc", "") == 1.0
