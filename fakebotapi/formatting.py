"""Telegram's text formatting, parsed the way the Bot API server parses it.

A port of the parts of TDLib's ``parse_html`` (and a smaller MarkdownV2 / legacy Markdown check)
that decide whether Telegram *accepts* a formatted text, and what plain text and entities it
stores. Error messages follow TDLib's wording, so a test sees the same
``Bad Request: can't parse entities: ...`` description as a bot talking to the real API.

Offsets in the returned entities are in UTF-16 code units, as in the Bot API; byte offsets in
error messages are UTF-8 byte offsets into the text as sent, as in TDLib.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "EntityParseError",
    "parse_formatted",
    "parse_html",
    "parse_markdown",
    "parse_markdown_v2",
    "trim_formatted",
    "utf16_len",
]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Tags Telegram's HTML parse mode knows; any other start tag is an error.
HTML_TAGS = _words(
    "a b strong i em u ins s strike del span tg-spoiler tg-emoji code pre blockquote"
)

_SIMPLE_TAG_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
}


class EntityParseError(ValueError):
    """The text can't be parsed in the given parse mode (Telegram answers 400)."""


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units: the unit of Bot API entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def _is_space(c: int) -> bool:
    # TDLib's is_space: ' ', '\t', '\r', '\n', '\0', '\v'
    return c in (0x20, 0x09, 0x0D, 0x0A, 0x00, 0x0B)


def _is_alnum(c: int) -> bool:
    return 0x30 <= c <= 0x39 or 0x41 <= c <= 0x5A or 0x61 <= c <= 0x7A


def _decode_html_entity(data: bytes, pos: int) -> tuple[int, int] | None:
    """``&...;`` at ``pos`` → (code point, position after it), or None if it isn't one."""
    n = len(data)

    def at(i: int) -> int:
        return data[i] if i < n else 0

    end = pos + 1
    code = 0
    if at(pos + 1) == ord("#"):
        end += 1
        if at(pos + 2) == ord("x"):
            end += 1
            while chr(at(end)) in "0123456789abcdefABCDEF" and at(end) != 0:
                code = code * 16 + int(chr(at(end)), 16)
                end += 1
        else:
            while 0x30 <= at(end) <= 0x39:
                code = code * 10 + at(end) - 0x30
                end += 1
        if code == 0 or code >= 0x10FFFF or end - pos >= 10:
            return None
    else:
        while 0x41 <= at(end) <= 0x5A or 0x61 <= at(end) <= 0x7A:
            end += 1
        name = data[pos + 1 : end]
        named = {b"lt": ord("<"), b"gt": ord(">"), b"amp": ord("&"), b"quot": ord('"')}
        if name not in named:
            return None
        code = named[name]
    if at(end) == ord(";"):
        end += 1
    return code, end


@dataclass
class _Open:
    tag: str
    argument: str
    utf16_offset: int
    out_begin: int  # byte position in the output where the entity's text starts


def _checked_link(url: str) -> str:
    """A simplified LinkManager::get_checked_link: '' when Telegram would drop the link."""
    url = url.strip()
    if not url or any(c.isspace() for c in url):
        return ""
    lower = url.lower()
    if lower.startswith("tg:") or lower.startswith("ton:"):
        return url
    if "://" not in url:
        url = "http://" + url
    scheme, _, rest = url.partition("://")
    if scheme.lower() not in ("http", "https") or not rest:
        return ""
    if "/" not in rest and "?" not in rest and "#" not in rest:
        url += "/"
    return url


def parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Telegram's HTML parse mode → (plain text, entities); raises EntityParseError."""
    data = text.encode("utf-8", "surrogatepass")
    n = len(data)

    def at(i: int) -> int:
        return data[i] if i < n else 0

    out = bytearray()
    entities: list[dict[str, Any]] = []
    nested: list[_Open] = []
    utf16 = 0
    i = 0
    while i < n:
        c = data[i]
        if c == ord("&"):
            decoded = _decode_html_entity(data, i)
            if decoded is not None:
                code, i = decoded
                if 0xD800 <= code <= 0xDFFF:
                    raise EntityParseError(
                        "Text contains invalid Unicode characters after decoding HTML entities, "
                        "check for unmatched surrogate code units"
                    )
                utf16 += 2 if code > 0xFFFF else 1
                out += chr(code).encode("utf-8")
                continue
        if c != ord("<"):
            if c & 0xC0 != 0x80:
                utf16 += 2 if c >= 0xF0 else 1
            out.append(c)
            i += 1
            continue

        begin = i
        i += 1
        if at(i) != ord("/"):
            while not _is_space(at(i)) and at(i) != ord(">"):
                i += 1
            if i >= n:
                raise EntityParseError(f"Unclosed start tag at byte offset {begin}")
            tag = data[begin + 1 : i].decode("utf-8", "replace").lower()
            if tag not in HTML_TAGS:
                raise EntityParseError(f'Unsupported start tag "{tag}" at byte offset {begin}')
            argument = ""
            while at(i) != ord(">"):
                while i < n and _is_space(at(i)):
                    i += 1
                if at(i) == ord(">"):
                    break
                attr_begin = i
                while not _is_space(at(i)) and at(i) not in (ord("="), ord(">")):
                    i += 1
                attr_name = data[attr_begin:i].decode("utf-8", "replace")
                if not attr_name:
                    raise EntityParseError(
                        f'Empty attribute name in the tag "{tag}" at byte offset {begin}'
                    )
                while i < n and _is_space(at(i)):
                    i += 1
                if at(i) != ord("="):
                    if tag == "blockquote" and attr_name.lower() == "expandable" and i < n:
                        continue  # <blockquote expandable>
                    if i >= n:
                        raise EntityParseError(f'Unclosed start tag "{tag}" at byte offset {begin}')
                    raise EntityParseError(
                        "Expected equal sign in declaration of an attribute of the tag "
                        f'"{tag}" at byte offset {begin}'
                    )
                i += 1
                while i < n and _is_space(at(i)):
                    i += 1
                if i >= n:
                    raise EntityParseError(f'Unclosed start tag "{tag}" at byte offset {begin}')
                if at(i) not in (ord("'"), ord('"')):
                    token_begin = i
                    while _is_alnum(at(i)) or at(i) in (ord("."), ord("-")):
                        i += 1
                    value = data[token_begin:i].decode("ascii").lower()
                    if not _is_space(at(i)) and at(i) != ord(">"):
                        raise EntityParseError(
                            f"Unexpected end of name token at byte offset {token_begin}"
                        )
                else:
                    quote = at(i)
                    i += 1
                    raw = bytearray()
                    while i < n and at(i) != quote:
                        if at(i) == ord("&"):
                            decoded = _decode_html_entity(data, i)
                            if decoded is not None:
                                code, i = decoded
                                raw += chr(code).encode("utf-8", "surrogatepass")
                                continue
                        raw.append(at(i))
                        i += 1
                    if at(i) == quote:
                        i += 1
                    value = raw.decode("utf-8", "replace")
                if i >= n:
                    raise EntityParseError(f"Unclosed start tag at byte offset {begin}")
                attr = attr_name.lower()
                if tag == "a" and attr == "href":
                    argument = value
                elif tag == "code" and attr == "class" and value.startswith("language-"):
                    argument = value[len("language-") :]
                elif tag == "span" and attr == "class" and value.startswith("tg-"):
                    argument = value[len("tg-") :]
                elif tag == "tg-emoji" and attr == "emoji-id":
                    argument = value
            if tag == "span" and argument != "spoiler":
                raise EntityParseError(
                    f'Tag "span" must have class "tg-spoiler" at byte offset {begin}'
                )
            nested.append(_Open(tag, argument, utf16, len(out)))
            i += 1  # skip '>'
            continue

        # end tag
        if not nested:
            raise EntityParseError(f"Unexpected end tag at byte offset {begin}")
        while not _is_space(at(i)) and at(i) != ord(">"):
            i += 1
        end_tag = data[begin + 2 : i].decode("utf-8", "replace").lower()
        while i < n and _is_space(at(i)):
            i += 1
        if at(i) != ord(">"):
            raise EntityParseError(f"Unclosed end tag at byte offset {begin}")
        i += 1
        top = nested[-1]
        if end_tag and end_tag != top.tag:
            raise EntityParseError(
                f'Unmatched end tag at byte offset {begin}, expected "</{top.tag}>", '
                f'found "</{end_tag}>"'
            )
        nested.pop()
        if utf16 <= top.utf16_offset:
            continue
        entity: dict[str, Any] = {"offset": top.utf16_offset, "length": utf16 - top.utf16_offset}
        if top.tag in _SIMPLE_TAG_TYPES:
            entity["type"] = _SIMPLE_TAG_TYPES[top.tag]
        elif top.tag == "span":
            entity["type"] = "spoiler"
        elif top.tag == "blockquote":
            entity["type"] = "blockquote"
        elif top.tag == "tg-emoji":
            if not top.argument.isdigit() or int(top.argument) == 0:
                raise EntityParseError("Invalid custom emoji identifier specified")
            entity.update(type="custom_emoji", custom_emoji_id=top.argument)
        elif top.tag == "a":
            url = top.argument or out[top.out_begin :].decode("utf-8", "replace")
            url = _checked_link(url)
            if not url:
                continue
            entity.update(type="text_link", url=url)
        elif top.tag == "pre":
            last = entities[-1] if entities else None
            if (
                last is not None
                and last["type"] == "code"
                and last["offset"] == entity["offset"]
                and last["length"] == entity["length"]
                and last.get("_language")
            ):
                last["type"] = "pre"
                last["language"] = last.pop("_language")
                continue
            entity["type"] = "pre"
        elif top.tag == "code":
            last = entities[-1] if entities else None
            if (
                last is not None
                and last["type"] == "pre"
                and "language" not in last
                and last["offset"] == entity["offset"]
                and last["length"] == entity["length"]
                and top.argument
            ):
                last["language"] = top.argument
                continue
            entity["type"] = "code"
            if top.argument:
                entity["_language"] = top.argument
        entities.append(entity)

    if nested:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{nested[-1].tag}"')
    for entity in entities:
        entity.pop("_language", None)
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return out.decode("utf-8"), entities


_MDV2_RESERVED = "_*[]()~`>#+-=|{}.!"
_MDV2_TYPE_NAMES = {
    "italic": "Italic",
    "bold": "Bold",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "text_link": "TextUrl",
    "custom_emoji": "CustomEmoji",
}


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8", "surrogatepass"))


def parse_markdown_v2(text: str) -> tuple[str, list[dict[str, Any]]]:
    """MarkdownV2 → (plain text, entities); raises EntityParseError like Telegram.

    Covers escaping, reserved characters, the paired entities (``_ __ * ~ || ` ```), links
    ``[text](url)``, custom emoji ``![x](tg://emoji?id=..)`` and ``>`` block quotes at a line
    start. Simplified: the pre block's language line is taken but not validated.
    """
    out: list[str] = []
    utf16 = 0
    entities: list[dict[str, Any]] = []
    # (type, index in text where it began, utf16 offset in output)
    stack: list[tuple[str, int, int]] = []
    i = 0
    n = len(text)

    def emit(s: str) -> None:
        nonlocal utf16
        out.append(s)
        utf16 += utf16_len(s)

    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n and 0 < ord(text[i + 1]) <= 126:
            emit(text[i + 1])
            i += 2
            continue
        in_code = bool(stack) and stack[-1][0] in ("code", "pre")
        if in_code and c != "`":
            emit(c)
            i += 1
            continue
        if c not in _MDV2_RESERVED:
            emit(c)
            i += 1
            continue
        top = stack[-1][0] if stack else None
        # closing an open entity?
        closer = None
        if top == "italic" and c == "_":
            closer = 1
        elif top == "underline" and text.startswith("__", i):
            closer = 2
        elif (top == "bold" and c == "*") or (top == "strikethrough" and c == "~"):
            closer = 1
        elif top == "spoiler" and text.startswith("||", i):
            closer = 2
        elif top == "code" and c == "`":
            closer = 1
        elif top == "pre" and text.startswith("```", i):
            closer = 3
        elif top in ("text_link", "custom_emoji") and c == "]":
            closer = 1
        if closer is not None:
            kind, _begin, offset = stack.pop()
            i += closer
            entity: dict[str, Any] = {"type": kind, "offset": offset, "length": utf16 - offset}
            if kind in ("text_link", "custom_emoji"):
                url = ""
                if i < n and text[i] == "(":
                    url_begin = i + 1
                    j = url_begin
                    chars: list[str] = []
                    while j < n and text[j] != ")":
                        if text[j] == "\\" and j + 1 < n and 0 < ord(text[j + 1]) <= 126:
                            chars.append(text[j + 1])
                            j += 2
                            continue
                        chars.append(text[j])
                        j += 1
                    if j >= n:
                        where = _byte_offset(text, url_begin)
                        raise EntityParseError(f"Can't find end of a URL at byte offset {where}")
                    url = "".join(chars)
                    i = j + 1
                elif kind == "custom_emoji":
                    raise EntityParseError("Custom emoji entity must contain a tg://emoji URL")
                else:
                    url = "".join(out)[-entity["length"] :] if entity["length"] else ""
                if kind == "text_link":
                    url = _checked_link(url)
                    if not url or not entity["length"]:
                        continue
                    entity["url"] = url
                else:
                    entity["custom_emoji_id"] = url.rpartition("id=")[2]
            if entity["length"] > 0:
                entities.append(entity)
            continue
        # opening a new entity
        line_start = i == 0 or text[i - 1] == "\n"
        if c == ">" and line_start:
            i += 1  # block quote marker; its entity is not tracked
            continue
        if c == "_":
            if text.startswith("__", i):
                stack.append(("underline", i, utf16))
                i += 2
            else:
                stack.append(("italic", i, utf16))
                i += 1
        elif c == "*":
            if text.startswith("**>", i) and line_start:
                i += 3
                continue
            stack.append(("bold", i, utf16))
            i += 1
        elif c == "~":
            stack.append(("strikethrough", i, utf16))
            i += 1
        elif c == "|" and text.startswith("||", i):
            stack.append(("spoiler", i, utf16))
            i += 2
        elif c == "`":
            if text.startswith("```", i):
                stack.append(("pre", i, utf16))
                i += 3
                newline = text.find("\n", i)
                language = text[i:newline] if newline != -1 else ""
                if language and not any(ch.isspace() for ch in language):
                    i = newline + 1  # the language line
            else:
                stack.append(("code", i, utf16))
                i += 1
        elif c == "[":
            stack.append(("text_link", i, utf16))
            i += 1
        elif c == "!" and text.startswith("![", i):
            stack.append(("custom_emoji", i, utf16))
            i += 2
        else:
            raise EntityParseError(
                f"Character '{c}' is reserved and must be escaped with the preceding '\\'"
            )
    if stack:
        kind, begin, _ = stack[-1]
        raise EntityParseError(
            f"Can't find end of {_MDV2_TYPE_NAMES[kind]} entity at byte offset "
            f"{_byte_offset(text, begin)}"
        )
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def parse_markdown(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Legacy Markdown (``*bold* _italic_ `code` ```pre``` [text](url)``)."""
    out: list[str] = []
    utf16 = 0
    entities: list[dict[str, Any]] = []
    i = 0
    n = len(text)
    pairs = {"*": "bold", "_": "italic"}
    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n and text[i + 1] in "_*`[":
            out.append(text[i + 1])
            utf16 += 1
            i += 2
            continue
        if c not in "_*`[":
            out.append(c)
            utf16 += utf16_len(c)
            i += 1
            continue
        begin = i
        if c == "[":
            close = text.find("]", i + 1)
            if close == -1 or not text.startswith("(", close + 1) or text.find(")", close) == -1:
                where = _byte_offset(text, begin)
                raise EntityParseError(
                    f"Can't find end of the entity starting at byte offset {where}"
                )
            label = text[i + 1 : close]
            url_end = text.find(")", close)
            url = _checked_link(text[close + 2 : url_end])
            if url and label:
                entities.append(
                    {"type": "text_link", "offset": utf16, "length": utf16_len(label), "url": url}
                )
            out.append(label)
            utf16 += utf16_len(label)
            i = url_end + 1
            continue
        marker = "```" if text.startswith("```", i) else c
        close = text.find(marker, i + len(marker))
        if close == -1:
            where = _byte_offset(text, begin)
            raise EntityParseError(f"Can't find end of the entity starting at byte offset {where}")
        inner = text[i + len(marker) : close]
        kind = "pre" if marker == "```" else "code" if c == "`" else pairs[c]
        if inner:
            entities.append({"type": kind, "offset": utf16, "length": utf16_len(inner)})
        out.append(inner)
        utf16 += utf16_len(inner)
        i = close + len(marker)
    return "".join(out), entities


def trim_formatted(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Strip leading/trailing whitespace as Telegram does, keeping entity offsets right."""
    stripped_left = text.lstrip()
    lead = utf16_len(text) - utf16_len(stripped_left)
    result = stripped_left.rstrip()
    total = utf16_len(result)
    fixed: list[dict[str, Any]] = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, total)
        if end > start:
            fixed.append({**entity, "offset": start, "length": end - start})
    return result, fixed


def parse_formatted(
    text: str, parse_mode: str | None, entities: list[dict[str, Any]] | None = None
) -> tuple[str, list[dict[str, Any]]]:
    """Apply ``parse_mode`` (or explicit ``entities``) and Telegram's trimming."""
    mode = (parse_mode or "").strip()
    if not mode:
        return trim_formatted(text, list(entities or []))
    lowered = mode.lower()
    if lowered == "html":
        plain, found = parse_html(text)
    elif lowered == "markdownv2":
        plain, found = parse_markdown_v2(text)
    elif lowered == "markdown":
        plain, found = parse_markdown(text)
    else:
        raise ValueError(f"unsupported parse_mode {parse_mode!r}")
    return trim_formatted(plain, found)
