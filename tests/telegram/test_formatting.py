"""The fake server parses formatted text like Telegram (cases from TDLib's own tests)."""

from __future__ import annotations

import pytest

from fakebotapi.formatting import (
    EntityParseError,
    parse_formatted,
    parse_html,
    parse_markdown,
    parse_markdown_v2,
    utf16_len,
)


@pytest.mark.parametrize(
    ("html", "error"),
    [
        ("🏟 🏟&lt;<abacaba", "Unclosed start tag at byte offset 13"),
        ("🏟 🏟&lt;<abac aba>", 'Unsupported start tag "abac" at byte offset 13'),
        ("🏟 🏟&lt;<i   =aba>", 'Empty attribute name in the tag "i" at byte offset 13'),
        (
            "🏟 🏟&lt;<i    aba>",
            'Expected equal sign in declaration of an attribute of the tag "i" at byte offset 13',
        ),
        ("🏟 🏟&lt;<i    aba  =  ", 'Unclosed start tag "i" at byte offset 13'),
        ("🏟 🏟&lt;<i    aba  =  190azAz-.,", "Unexpected end of name token at byte offset 27"),
        ("🏟 🏟&lt;</", "Unexpected end tag at byte offset 13"),
        ("🏟 🏟&lt;<b></b></", "Unexpected end tag at byte offset 20"),
        ("🏟 🏟&lt;<i>a</i   ", "Unclosed end tag at byte offset 17"),
        (
            "🏟 🏟&lt;<i>a</em   >",
            'Unmatched end tag at byte offset 17, expected "</i>", found "</em>"',
        ),
        ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<p>paragraph</p>", 'Unsupported start tag "p" at byte offset 0'),
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("&#xDFDF;", "Text contains invalid Unicode characters"),
    ],
)
def test_html_errors_match_tdlib(html: str, error: str) -> None:
    with pytest.raises(EntityParseError) as caught:
        parse_html(html)
    assert str(caught.value).startswith(error)


def test_html_entities_and_text() -> None:
    assert parse_html("&lt;&gt;&amp;&quot;&laquo;&raquo;&#12345678;") == (
        '<>&"&laquo;&raquo;&#12345678;',
        [],
    )
    text, entities = parse_html("➡️ ➡️<i>➡️ ➡️</i><b>➡️ ➡️</b>")
    assert text == "➡️ ➡️➡️ ➡️➡️ ➡️"
    assert entities == [
        {"type": "italic", "offset": 5, "length": 5},
        {"type": "bold", "offset": 10, "length": 5},
    ]
    text, entities = parse_html('<a href="https://example.org/x?a=1&amp;b=2">link</a> <a>t.me</a>')
    assert text == "link t.me"
    assert entities == [
        {"type": "text_link", "offset": 0, "length": 4, "url": "https://example.org/x?a=1&b=2"},
        {"type": "text_link", "offset": 5, "length": 4, "url": "http://t.me/"},
    ]
    text, entities = parse_html('<pre><code class="language-python">x = 1</code></pre>')
    assert (text, entities) == (
        "x = 1",
        [{"type": "pre", "offset": 0, "length": 5, "language": "python"}],
    )
    text, entities = parse_html(
        "<blockquote expandable>q</blockquote><tg-spoiler>s</tg-spoiler>"
        '<span class="tg-spoiler">t</span>'
    )
    assert text == "qst"
    assert [e["type"] for e in entities] == ["blockquote", "spoiler", "spoiler"]


def test_offsets_are_utf16() -> None:
    text, entities = parse_html("😀 <b>기분</b>")
    assert text == "😀 기분"
    assert entities == [{"type": "bold", "offset": 3, "length": 2}]
    assert utf16_len("😀") == 2


@pytest.mark.parametrize("char", list("]()>#+-=|{}.!"))
def test_markdown_v2_reserved_characters(char: str) -> None:
    text = "a>" if char == ">" else char  # a '>' that starts a line is a block quote
    with pytest.raises(EntityParseError, match="is reserved and must be escaped"):
        parse_markdown_v2(text)
    assert parse_markdown_v2("\\" + char) == (char, [])


def test_markdown_v2_entities_and_errors() -> None:
    text, entities = parse_markdown_v2(
        "*bold* _it_ __u__ ~s~ ||sp|| `c` [l](https://a.b/c) done\\."
    )
    assert text == "bold it u s sp c l done."
    assert [e["type"] for e in entities] == [
        "bold",
        "italic",
        "underline",
        "strikethrough",
        "spoiler",
        "code",
        "text_link",
    ]
    with pytest.raises(EntityParseError, match="Can't find end of Italic entity at byte offset 9"):
        parse_markdown_v2("🏟 🏟_abacaba")
    with pytest.raises(EntityParseError, match="Can't find end of Code entity at byte offset 9"):
        parse_markdown_v2("🏟 🏟`")
    with pytest.raises(EntityParseError, match="Can't find end of a URL at byte offset 16"):
        parse_markdown_v2("[telegram\\.org](asd")


def test_legacy_markdown() -> None:
    assert parse_markdown("*b* _i_ `c`")[0] == "b i c"
    with pytest.raises(EntityParseError, match="Can't find end of the entity starting at byte"):
        parse_markdown("a *b")


def test_trim_and_plain() -> None:
    assert parse_formatted("  <b> hi </b>\n", "HTML") == (
        "hi",
        [{"type": "bold", "offset": 0, "length": 2}],
    )
    assert parse_formatted("a < b", None) == ("a < b", [])
    with pytest.raises(ValueError, match="unsupported parse_mode"):
        parse_formatted("x", "BBCode")
