"""Turning diary values into Telegram text (HTML) and inline keyboards.

Everything a user typed is escaped before it enters the bot's own HTML, so a diary line with
``<b>`` or ``</i>`` shows as typed and can never break or hijack the bot's formatting.
"""

from __future__ import annotations

import calendar as cal
from datetime import date, datetime, timedelta
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import callbacks
from facelog.domain import (
    COMPONENTS,
    INTENSITIES,
    LENGTHS,
    Account,
    AnnaSettings,
    EmotionCounts,
    Entry,
    Language,
    Month,
    ReminderSettings,
)
from facelog.i18n import EMOJI, emotion_name, format_day, format_month, t
from facelog.summary import MonthlySummary, dominant_line
from inference.labels import EMOTIONS, Emotion

#: Telegram's limit for one message's text.
MESSAGE_LIMIT = 4096


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(0, limit - 1)] + "…"


def post_text(
    language: Language,
    entry: Entry,
    comment: str | None,
    *,
    faces_note: bool = True,
) -> str:
    """The reply to a post: date, emotion of the day, the diary text, Anna's comment."""
    parts = [entry_caption(language, entry)]
    if faces_note and entry.faces > 1:
        parts.append(f"<i>{escape(t(language, 'several_faces', count=entry.faces))}</i>")
    anna = (
        f"<b>{t(language, 'anna_says')}</b>\n{escape(comment)}"
        if comment
        else t(language, "anna_later")
    )
    fixed = "\n".join(parts) + "\n\n\n\n" + anna
    room = MESSAGE_LIMIT - len(fixed)
    if not entry.text:
        diary = t(language, "saved_no_text")
    else:
        cut = len(entry.text)
        diary = escape(entry.text)
        while len(diary) > room and cut > 0:  # escaping can lengthen the text: shrink until it fits
            cut = max(0, cut - max(16, len(diary) - room))
            diary = escape(_clip(entry.text, cut))
    return "\n".join(parts) + f"\n\n{diary}\n\n" + anna


def late_comment(language: Language, entry: Entry) -> str:
    """Anna's comment that came after the post was answered: the entry's header and her words
    (sent as a reply to the post, so the diary text need not be repeated)."""
    comment = _clip(entry.anna_comment or "", MESSAGE_LIMIT - 200)
    header = entry_caption(language, entry)
    return f"{header}\n\n<b>{t(language, 'anna_says')}</b>\n{escape(comment)}"


def post_keyboard(
    language: Language, entry: Entry, *, offer_emotions: bool = False
) -> InlineKeyboardMarkup:
    """🔊 📅 ✏️ under every entry; ``offer_emotions`` adds the four feelings as one tap each,
    when Anna asks about a face and words that disagree."""
    rows = [
        [
            InlineKeyboardButton(t(language, "listen"), callback_data=callbacks.listen(entry.id)),
            InlineKeyboardButton(
                t(language, "calendar_button"),
                callback_data=callbacks.calendar(Month.of(entry.day)),
            ),
            InlineKeyboardButton(
                t(language, "edit_button"), callback_data=callbacks.edit(entry.id)
            ),
        ]
    ]
    if offer_emotions:
        rows.append(
            [
                InlineKeyboardButton(EMOJI[e], callback_data=callbacks.set_emotion(entry.id, e))
                for e in EMOTIONS
            ]
        )
    return InlineKeyboardMarkup(rows)


def edit_keyboard(language: Language, entry: Entry, *, today: date) -> InlineKeyboardMarkup:
    """✏️ opened in place: the four feelings (the current one marked), the day before and after
    (never past today), the words, delete, and back."""

    def button(label: str, data: str) -> InlineKeyboardButton:
        return InlineKeyboardButton(label, callback_data=data)

    feelings = [
        button(
            _mark(entry.emotion == e, f"{EMOJI[e]} {emotion_name(language, e)}"),
            callbacks.set_emotion(entry.id, e),
        )
        for e in EMOTIONS
    ]
    earlier, later = entry.day - timedelta(days=1), entry.day + timedelta(days=1)
    dates = [button(f"◀ {format_short_day(earlier)}", callbacks.move(entry.id, earlier))]
    if later <= today:
        dates.append(button(f"{format_short_day(later)} ▶", callbacks.move(entry.id, later)))
    return InlineKeyboardMarkup(
        [
            feelings[:2],
            feelings[2:],
            dates,
            [
                button(t(language, "text_button"), callbacks.edit_text(entry.id)),
                button(t(language, "delete_entry_button"), callbacks.delete_entry(entry.id)),
            ],
            [button(t(language, "back_button"), callbacks.back(entry.id))],
        ]
    )


def delete_entry_view(language: Language, entry: Entry) -> tuple[str, InlineKeyboardMarkup]:
    """🗑's question, in place of the entry until it is answered."""
    text = t(language, "delete_entry_confirm", date=format_day(language, entry.day))
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t(language, "delete_entry_yes"),
                    callback_data=callbacks.delete_entry_yes(entry.id),
                ),
                InlineKeyboardButton(
                    t(language, "delete_entry_keep"), callback_data=callbacks.back(entry.id)
                ),
            ]
        ]
    )
    return escape(text), keyboard


def format_short_day(day: date) -> str:
    """A date button's label: month/day, the way both languages write it short."""
    return f"{day.month}/{day.day}"


def entry_caption(language: Language, entry: Entry) -> str:
    """Date and emotion of the day: the post's header, and the caption of its photo in the
    calendar (captions stop at 1 024 characters, so the text goes in its own message).

    The person's own word shows as theirs, with what the face read beside it when the two
    differ; a face reading shows its confidence.
    """
    day = escape(format_day(language, entry.day))
    emotion = emotion_name(language, entry.emotion)
    if entry.by_person and entry.face != entry.emotion:
        return t(
            language,
            "post_header_person",
            date=day,
            emoji=EMOJI[entry.emotion],
            emotion=emotion,
            face_emoji=EMOJI[entry.face],
            face=emotion_name(language, entry.face),
        )
    if entry.by_person:
        return t(
            language, "post_header_confirmed", date=day, emoji=EMOJI[entry.emotion], emotion=emotion
        )
    return t(
        language,
        "post_header",
        date=day,
        emoji=EMOJI[entry.emotion],
        emotion=emotion,
        confidence=f"{entry.confidence:.0%}",
    )


def _mark(chosen: bool, label: str) -> str:
    return f"✅ {label}" if chosen else label


def settings_text(account: Account, *, speaks: bool = True, learned: int | None = None) -> str:
    """The settings panel's text; ``speaks=False`` (no voice for the account's language here,
    e.g. Korean without ElevenLabs) adds why replies come as text only and what would change it,
    so "voice replies: on" never promises a voice that will not come."""
    language, anna = account.user.language, account.anna
    composition = (
        ", ".join(t(language, f"part_{p}") for p in COMPONENTS if p in anna.composition)
        if anna.composition
        else t(language, "all_parts")
    )
    title = t(
        language,
        "settings_title",
        attitude=t(language, f"attitude_{anna.attitude}"),
        composition=composition,
        intensity=t(language, f"intensity_{anna.intensity}"),
        length=anna.length,
        voice=t(language, "voice_on" if anna.voice_replies else "voice_off"),
    )
    text_only = f"\n{escape(t(language, 'voice_text_only'))}" if not speaks else ""
    learning = ""
    if learned is not None:
        line = (
            t(language, "learned_some", count=learned) if learned else t(language, "learned_none")
        )
        learning = f"\n{escape(line)}"
    return f"{escape(title)}{text_only}{learning}\n<i>{escape(t(language, 'settings_hint'))}</i>"


def settings_keyboard(
    language: Language, anna: AnnaSettings, *, learned: int = 0
) -> InlineKeyboardMarkup:
    def button(label: str, data: str) -> InlineKeyboardButton:
        return InlineKeyboardButton(label, callback_data=data)

    rows = [
        [
            button(
                _mark(anna.attitude == a, t(language, f"attitude_{a}")), callbacks.setting("att", a)
            )
            for a in ("casual", "polite")
        ],
        [
            button(
                ("☑️ " if p in anna.composition else "▫️ ") + t(language, f"part_{p}"),
                callbacks.setting("cmp", p),
            )
            for p in COMPONENTS
        ],
        [
            button(
                _mark(anna.intensity == v, t(language, f"intensity_{v}")),
                callbacks.setting("int", str(v)),
            )
            for v in INTENSITIES
        ],
        [
            button(
                _mark(anna.length == v, t(language, f"length_{v}")),
                callbacks.setting("len", str(v)),
            )
            for v in LENGTHS
        ],
        [
            button(
                t(
                    language,
                    "voice_button",
                    state=t(language, "voice_on" if anna.voice_replies else "voice_off"),
                ),
                callbacks.setting("voice"),
            )
        ],
        [
            button(_mark(language == "ko", "한국어"), callbacks.setting("lang", "ko")),
            button(_mark(language == "en", "English"), callbacks.setting("lang", "en")),
        ],
    ]
    if learned:
        rows.append([button(t(language, "learn_reset_button"), callbacks.LEARN_RESET)])
    rows.append([button(t(language, "done"), callbacks.setting("done"))])
    return InlineKeyboardMarkup(rows)


#: Marks today in the calendar: one narrow character before the day, so even "•28😊" stays
#: four visible characters and fits one of seven buttons on a phone ("[28]😊" would be cut).
TODAY_MARK = "•"


def day_label(number: int, emotion: Emotion | None, *, today: bool = False) -> str:
    """A calendar button: the day and, when there is an entry, its emotion ("6😊"), so nobody
    has to count columns to know which day a face belongs to; today is marked ("•6")."""
    label = f"{number}{EMOJI[emotion]}" if emotion is not None else str(number)
    return f"{TODAY_MARK}{label}" if today else label


def calendar_view(
    language: Language, month: Month, entries: list[Entry], *, today: date | None = None
) -> tuple[str, InlineKeyboardMarkup]:
    """A month grid: each day shows its number, and its emotion's emoji when it has entries
    (the latest entry's); ``today`` (the person's own date, from the diary's clock) is marked."""
    by_day: dict[int, Emotion] = {}
    for entry in entries:  # oldest first: the last one of a day wins
        by_day[entry.day.day] = entry.emotion
    today_number = today.day if today is not None and Month.of(today) == month else None
    title = t(
        language,
        "calendar_title",
        year=month.year,
        month=month.month,
        month_name=cal.month_name[month.month],
    )
    noop = callbacks.NOOP
    rows = [
        [
            InlineKeyboardButton("◀", callback_data=callbacks.calendar(month.previous())),
            InlineKeyboardButton(title.removeprefix("📅 "), callback_data=noop),
            InlineKeyboardButton("▶", callback_data=callbacks.calendar(month.next())),
        ],
        [InlineKeyboardButton(d, callback_data=noop) for d in t(language, "weekdays").split()],
    ]
    for week in cal.Calendar(firstweekday=0).monthdayscalendar(month.year, month.month):
        row = []
        for number in week:
            if number == 0:
                row.append(InlineKeyboardButton("·", callback_data=noop))
                continue
            label = day_label(number, by_day.get(number), today=number == today_number)
            data = (
                callbacks.day(date(month.year, month.month, number)) if number in by_day else noop
            )
            row.append(InlineKeyboardButton(label, callback_data=data))
        rows.append(row)
    counts = EmotionCounts.of(e.emotion for e in entries)
    summary = "  ".join(f"{EMOJI[e]} {counts[e]}" for e in EMOTIONS if counts[e])
    lines = [escape(title)]
    if summary:
        lines.append(summary)
    if today_number is not None:  # the legend, only where the mark appears
        lines.append(f"<i>{escape(t(language, 'calendar_today', mark=TODAY_MARK))}</i>")
    return "\n".join(lines), InlineKeyboardMarkup(rows)


def day_list(
    language: Language, day: date, entries: list[Entry]
) -> tuple[str, InlineKeyboardMarkup]:
    text = t(language, "day_list", date=format_day(language, day), count=len(entries))
    rows = [
        [
            InlineKeyboardButton(
                f"{EMOJI[e.emotion]} {e.created_at.strftime('%H:%M')} {_clip(e.text, 24)}",
                callback_data=callbacks.entry(e.id),
            )
        ]
        for e in entries
    ]
    rows.append(
        [
            InlineKeyboardButton(
                t(language, "calendar_button"), callback_data=callbacks.calendar(Month.of(day))
            )
        ]
    )
    return escape(text), InlineKeyboardMarkup(rows)


def stats_text(language: Language, counts: EmotionCounts) -> str:
    lines = [t(language, "stats_title", total=counts.total)]
    for emotion in EMOTIONS:
        lines.append(f"{EMOJI[emotion]} {emotion_name(language, emotion)}: {counts[emotion]}")
    dominant = dominant_line(language, counts.as_dict(), "stats_dominant")
    if dominant is not None:  # a tie is shown as a tie
        lines.append(dominant)
    return escape("\n".join(lines))


def profile_view(account: Account) -> tuple[str, InlineKeyboardMarkup]:
    language, user = account.user.language, account.user
    text = t(
        language,
        "profile",
        name=escape(user.name),
        intro=escape(user.intro) if user.intro else t(language, "profile_no_intro"),
    )
    rows = [
        [
            InlineKeyboardButton(t(language, "edit_name"), callback_data=callbacks.EDIT_NAME),
            InlineKeyboardButton(t(language, "edit_intro"), callback_data=callbacks.EDIT_INTRO),
        ]
    ]
    if user.intro:
        rows.append(
            [InlineKeyboardButton(t(language, "clear_intro"), callback_data=callbacks.CLEAR_INTRO)]
        )
    return text, InlineKeyboardMarkup(rows)


def one_button(label: str, data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data)]])


def delete_keyboard(language: Language) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(t(language, "delete_yes"), callback_data=callbacks.DELETE_YES),
                InlineKeyboardButton(t(language, "delete_no"), callback_data=callbacks.DELETE_NO),
            ]
        ]
    )


# -- reminders and monthly summaries --------------------------------------------------------

#: Telegram's limit for a photo caption.
CAPTION_LIMIT = 1024


def reminders_view(
    language: Language, reminder: ReminderSettings, next_at: datetime | None
) -> tuple[str, InlineKeyboardMarkup]:
    """``/reminders``: the current state, when the next one comes, and what can be changed."""
    lines = [
        t(
            language,
            "reminders_title",
            state=t(language, "reminders_on" if reminder.enabled else "reminders_off"),
            time=f"{reminder.hour:02d}:{reminder.minute:02d}",
            zone=reminder.time_zone,
        )
    ]
    if next_at is not None:
        local = next_at.astimezone(reminder.zone)
        when = f"{format_day(language, local.date())} {local:%H:%M}"
        lines.append(t(language, "reminders_next", when=when))
        lines.append(f"<i>{escape(t(language, 'reminders_skip_note'))}</i>")
    toggle = (
        InlineKeyboardButton(
            t(language, "reminders_turn_off"), callback_data=callbacks.reminders("off")
        )
        if reminder.enabled
        else InlineKeyboardButton(
            t(language, "reminders_turn_on"), callback_data=callbacks.reminders("on")
        )
    )
    rows = [
        [toggle],
        [
            InlineKeyboardButton(
                t(language, "reminders_change_time"), callback_data=callbacks.reminders("time")
            ),
            InlineKeyboardButton(
                t(language, "reminders_change_zone"), callback_data=callbacks.reminders("zone")
            ),
        ],
    ]
    head = escape(lines[0]) + "".join(
        f"\n{line}" if line.startswith("<i>") else f"\n{escape(line)}" for line in lines[1:]
    )
    return head, InlineKeyboardMarkup(rows)


def hour_keyboard(language: Language, current: int) -> InlineKeyboardMarkup:
    """24 hours, six per row, the current one marked."""
    buttons = [
        InlineKeyboardButton(
            _mark(hour == current, f"{hour:02d}:00"),
            callback_data=callbacks.reminders("h", str(hour)),
        )
        for hour in range(24)
    ]
    rows = [buttons[i : i + 6] for i in range(0, 24, 6)]
    rows.append(
        [InlineKeyboardButton(t(language, "back"), callback_data=callbacks.reminders("menu"))]
    )
    return InlineKeyboardMarkup(rows)


def zone_keyboard(language: Language, current: str) -> InlineKeyboardMarkup:
    """The common zones, two per row, plus "type a name" and back."""
    buttons = [
        InlineKeyboardButton(
            _mark(zone == current, zone.replace("_", " ")),
            callback_data=callbacks.reminders("z", str(index)),
        )
        for index, zone in enumerate(callbacks.COMMON_ZONES)
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append(
        [
            InlineKeyboardButton(
                t(language, "reminders_type_zone"), callback_data=callbacks.reminders("type")
            ),
            InlineKeyboardButton(t(language, "back"), callback_data=callbacks.reminders("menu")),
        ]
    )
    return InlineKeyboardMarkup(rows)


def reminder_message(language: Language, text: str) -> str:
    return f"{escape(text)}\n\n<i>{escape(t(language, 'reminder_footer'))}</i>"


def _signed(number: int) -> str:
    return f"+{number}" if number > 0 else ("±0" if number == 0 else f"−{-number}")


def summary_caption(language: Language, name: str, summary: MonthlySummary) -> str:
    """Numbers of the month: entries (and change), per emotion (and change), the dominant one."""
    month = format_month(language, summary.month)
    lines = [f"<b>{escape(t(language, 'summary_title', name=name, month=month))}</b>"]
    if summary.previous.total:
        lines.append(
            escape(
                t(
                    language,
                    "summary_entries_change",
                    count=summary.entries,
                    change=_signed(summary.entries - summary.previous.total),
                    previous=format_month(language, summary.month.previous()),
                )
            )
        )
    else:
        lines.append(escape(t(language, "summary_entries", count=summary.entries)))
    for emotion in EMOTIONS:
        change = f" ({_signed(summary.change(emotion))})" if summary.previous.total else ""
        lines.append(
            f"{EMOJI[emotion]} {escape(emotion_name(language, emotion))}: "
            f"{summary.counts[emotion]}{change}"
        )
    dominant = dominant_line(language, summary.counts.as_dict())
    if dominant is not None:  # a tie is shown as a tie
        lines.append(escape(dominant))
    return "\n".join(lines)


def summary_letter(language: Language, letter: str) -> str:
    title = escape(t(language, "summary_letter"))
    return f"<b>{title}</b>\n{escape(_clip(letter, MESSAGE_LIMIT - 100))}"


def summary_messages(
    language: Language, name: str, summary: MonthlySummary
) -> tuple[str, str | None]:
    """The photo's caption and, when the letter does not fit in it, a separate letter message.

    One message per user when possible: the monthly run is bounded by Telegram's 30 messages/s.
    """
    caption = summary_caption(language, name, summary)
    if not summary.letter:
        return caption, None
    letter = summary_letter(language, summary.letter)
    combined = f"{caption}\n\n{letter}"
    if len(combined) <= CAPTION_LIMIT:
        return combined, None
    return caption, letter
