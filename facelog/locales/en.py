"""English messages. Placeholders are str.format fields and must match ko.py."""

MESSAGES: dict[str, str] = {
    # onboarding and profile
    "welcome": (
        "Hi! I'm Facelog. Send me a selfie with a line about your day: I'll read today's emotion "
        "on your face, and Anna, your AI friend, will comment like a friend would.\n\n"
        "🔒 This diary is private: only you ever see your photos, words and Anna's comments. "
        "Photos are only used to read your expression and are never sent to the AI. "
        "/export downloads everything, /delete_me erases everything, any time."
    ),
    "ask_name": "What should Anna call you? Send me your name (1–40 characters).",
    "bad_name": "Please send a name of 1–40 characters.",
    "ask_intro": (
        "Nice to meet you, {name}! Tell Anna a little about yourself in one line and she'll keep "
        "it in mind (optional, up to 200 characters)."
    ),
    "bad_intro": "Please keep your intro within 200 characters.",
    "skip": "Skip",
    "onboarding_done": (
        "All set! Send a selfie with today's line as its caption. Send a photo without a "
        "caption and Anna will ask about your day first.\n\n"
        "⏰ I'll remind you every day at {time} ({zone}) unless you've already written; "
        "/reminders changes the time and time zone or turns it off. On the 1st of each month "
        "you get a summary of the month with a letter from Anna (/summary any time)."
    ),
    "menu": (
        "Welcome back, {name}! Send a selfie with a line about today.\n\n"
        "📅 /calendar  📊 /stats  ⚙️ /settings  👤 /profile  ❓ /help"
    ),
    "profile": "👤 Name: {name}\n✍️ Intro: {intro}",
    "profile_no_intro": "(none)",
    "edit_name": "✏️ Change name",
    "edit_intro": "✏️ Change intro",
    "clear_intro": "🗑 Remove intro",
    "profile_saved": "Profile saved. Your diary entries are unchanged.",
    "need_start": "Please send /start first.",
    # settings
    "settings_title": (
        "⚙️ Anna's settings\n"
        "Tone: {attitude} · Parts: {composition} · Intensity: {intensity} · Length: {length} "
        "chars · Voice replies: {voice} · Language: English"
    ),
    "settings_hint": "Choose no part at all and Anna writes advice, comfort and empathy.",
    "attitude_casual": "Casual",
    "attitude_polite": "Polite",
    "part_advice": "Advice",
    "part_comfort": "Comfort",
    "part_empathy": "Empathy",
    "all_parts": "all",
    "intensity_1.0": "Creative",
    "intensity_0.75": "Normal",
    "intensity_0.5": "Honest",
    "length_150": "Short",
    "length_300": "Normal",
    "length_450": "Long",
    "voice_on": "on",
    "voice_off": "off",
    "voice_button": "🔊 Voice replies: {state}",
    "done": "✔ Done",
    "settings_saved": "Settings saved.",
    # posting
    "no_face": "I couldn't find a face in this image. Please upload an image where your face is visible!",
    "several_faces": "I found {count} faces and read the largest one.",
    "post_header": "📅 {date}\nEmotion of the day: {emoji} {emotion} ({confidence})",
    "anna_says": "💬 Anna",
    "anna_later": "💬 Anna will answer shortly.",
    "listen": "🔊 Listen",
    "calendar_button": "📅 Calendar",
    "ask_diary": "How was your day? Tell me in a text or a voice message.",
    "saved_no_text": "(no text)",
    "bad_date": "I couldn't read that date. Write it like 2024-06-02 or 6/2.",
    "future_date": "That day hasn't come yet: entries can only be for today or earlier.",
    "image_unreadable": "I can't read this file as a photo. Please send a JPEG, PNG or WebP photo.",
    "image_too_large": "That photo is too large. Please send one under 20 MB.",
    "image_empty": "That file is empty. Please send the photo again.",
    "working": "Looking at your photo…",
    "caption_too_long": "That entry is too long. Please keep it under {limit} characters.",
    # calendar
    "calendar_title": "📅 {month_name} {year}",
    "weekdays": "Mo Tu We Th Fr Sa Su",
    "calendar_today": "{mark} today",
    "no_entry_day": "No entry on this day.",
    "day_list": "{count} entries on {date}",
    "entry_missing": "I can't find that entry.",
    "date_format": "{month_name} {day}, {year}",
    # stats
    "stats_title": "📊 Your emotions so far ({total} entries)",
    "stats_empty": "No entries yet. Send a selfie to write your first one!",
    "stats_dominant": "Most frequent: {emoji} {emotion}",
    "stats_dominant_tie": "Most frequent: {emotions}, tied",
    "chart_counts": "Entries per emotion",
    "chart_days": "Emotion per day, {month}",
    # export and delete
    "export_caption": "📦 Everything you stored in Facelog ({count} entries)",
    "export_empty": "There is nothing to export yet.",
    "delete_confirm": (
        "⚠️ Erase all your entries, photos, voice notes, chat history and settings for good? "
        "This cannot be undone."
    ),
    "delete_yes": "🗑 Yes, erase everything",
    "delete_no": "Cancel",
    "deleted": "Everything is erased. Send /start whenever you want to begin again.",
    "delete_cancelled": "Nothing was erased.",
    # chat and voice
    "voice_too_long": "That voice message is too long. Please keep it under {limit} seconds.",
    "voice_unheard": "I couldn't hear anything. Could you say it again?",
    "voice_failed": "I couldn't turn that voice message into text. Could you type it instead?",
    "voice_text_only": (
        "🔇 Anna answers in text only here: a natural voice needs ELEVENLABS_API_KEY."
    ),
    "voice_no_voice": (
        "🔇 A natural voice needs ELEVENLABS_API_KEY; for now Anna's comment is text only."
    ),
    # everything else
    "voice_unavailable": "Voice isn't available yet.",
    "edits_ignored": "Only a diary entry's caption or words can be edited, and this message isn't one, so nothing changed.",
    "help": (
        "Facelog is a diary only you can see.\n\n"
        "📸 Selfie + caption: today's entry (start the caption with 2024-06-02 or 6/2 to "
        "file it under that day)\n"
        "📸 Selfie without caption: Anna asks first; your next text or voice note becomes the entry\n"
        "✏️ Under an entry: set the feeling it really was (Facelog learns your face from it), "
        "fix the words or the date, or delete it\n"
        "💬 Text or 🎤 voice: chat with Anna\n\n"
        "/calendar · /stats · /summary · /reminders · /settings · /profile · /export · /import · "
        "/delete_me"
    ),
    "unsupported": (
        "I can't understand this kind of message yet. Send me a selfie, a text or a voice "
        "message. /help shows what I can do."
    ),
    "unknown_command": "I don't know that command. /help lists the ones I do.",
    "private_only": "Facelog is a private diary, so I only answer in one-to-one chats. Message me directly.",
    "stale_button": "This button no longer works.",
    "try_again": "I couldn't save that just now. Please send it again in a moment (nothing was saved).",
    "update_parked": "Something in that message kept tripping me up, so I set it aside. Please send it again, perhaps a little differently.",
    "storage_waiting": "I can't reach my diary storage right now. Your message isn't lost: I'll take care of it as soon as I'm back.",
    "slow_down": "That's a lot of messages. Please wait a moment and try again.",
    "too_many_posts": "You can write up to {limit} entries an hour. Please try again in about {minutes} min.",
    "not_allowed": "This Facelog is invite-only. Please ask the person who runs it to add you.",
    # reminders and monthly summaries
    "reminder_0": "🌙 {name}, how was today? A selfie and one line is all it takes.",
    "reminder_1": "📸 Hey {name}! Anna's curious how your day went. Send a selfie with a line about it?",
    "reminder_2": "✍️ {name}, today isn't in your diary yet. What's one thing you'd like to remember?",
    "reminder_3": "😊 Quick check-in, {name}: what does your face say about today?",
    "reminder_4": "🕯 Before the day ends, {name}: a selfie and a sentence, just for you.",
    "reminder_5": "💬 Anna here! Tell me about your day, {name} — a photo and a caption will do.",
    "reminder_footer": "⏰ /reminders to change the time or turn these off",
    "reminders_title": "⏰ Daily reminder: {state}\nTime: {time} ({zone})",
    "reminders_next": "Next one: {when}",
    "reminders_skip_note": "No reminder comes on a day you've already written.",
    "reminders_on": "on",
    "reminders_off": "off",
    "reminders_turn_on": "🔔 Turn on",
    "reminders_turn_off": "🔕 Turn off",
    "reminders_change_time": "🕘 Change time",
    "reminders_change_zone": "🌍 Time zone",
    "reminders_pick_hour": "At what time should I remind you? (your local time, {zone})",
    "reminders_pick_zone": "Which time zone are you in? Pick one, or type its name.",
    "reminders_type_zone": "⌨️ Type a name",
    "reminders_ask_zone": "Send me your time zone's name, like Europe/Paris, America/New_York or Asia/Seoul.",
    "reminders_bad_zone": "I don't know that time zone. Send a name like Europe/Paris or America/New_York, or pick one in /reminders.",
    "back": "‹ Back",
    "month_label": "{month_name} {year}",
    "summary_title": "📔 {name}'s {month}",
    "summary_entries": "✍️ Entries: {count}",
    "summary_entries_change": "✍️ Entries: {count} ({change} vs {previous})",
    "summary_dominant": "Most frequent: {emoji} {emotion}",
    "summary_dominant_tie": "Most frequent: {emotions}, tied",
    "summary_letter": "💌 A letter from Anna",
    "summary_empty": "There are no entries in {month}. Send a selfie with a line to start one!",
    "summary_bad_month": "Write the month as YYYY-MM, for example /summary 2026-10.",
    "summary_future": "That month hasn't come yet. Try /summary without a month for this one.",
    "chart_counts_month": "Entries per emotion, {month}",
    # commands (setMyCommands)
    "cmd_start": "Start / main menu",
    "cmd_calendar": "Browse your diary by month",
    "cmd_stats": "Your emotion statistics",
    "cmd_settings": "How Anna writes",
    "cmd_profile": "Your name and intro",
    "cmd_export": "Download all your data",
    "cmd_delete_me": "Erase all your data",
    "cmd_reminders": "Daily reminder: time, time zone, on/off",
    "cmd_summary": "Monthly summary (e.g. /summary 2026-10)",
    "cmd_help": "Help",
    # emotions
    "emotion_anger": "Anger",
    "emotion_happy": "Happy",
    "emotion_panic": "Panic",
    "emotion_sadness": "Sadness",
    # -- the person has the last word (#24) --
    "post_header_person": "📅 {date}\nEmotion of the day: {emoji} {emotion} (your word; the face read {face_emoji} {face})",
    "post_header_confirmed": "📅 {date}\nEmotion of the day: {emoji} {emotion} (your word)",
    "edit_button": "✏️ Edit",
    "edit_hint": "Tap the feeling it really was, move the date, fix the words or delete the entry.",
    "text_button": "📝 Words",
    "delete_entry_button": "🗑 Delete",
    "back_button": "↩ Back",
    "emotion_set": "Saved: {emoji} {emotion}",
    "emotion_unchanged": "It's already {emoji} {emotion}.",
    "entry_moved": "Moved to {date}.",
    "delete_entry_confirm": "Delete the entry of {date} for good? Its photo, Anna's comment and voice note go with it.",
    "delete_entry_yes": "🗑 Yes, delete it",
    "delete_entry_keep": "↩ Keep it",
    "entry_deleted": "🗑 The entry of {date} is deleted, with its photo, Anna's comment and voice note.",
    "entry_deleted_old": "Telegram doesn't let a bot remove chat messages older than 48 hours, so the older messages of this entry stay in the chat: long-press them to delete them yourself.",
    "ask_entry_text": "Send the new words for the entry of {date}. Start with a date such as 6/2 to move it as well.",
    "entry_text_saved": "✏️ The entry is updated.",
    "learned_some": "🧠 Reading your face: learned from {count} of your corrections.",
    "learned_none": "🧠 Reading your face: nothing learned yet. Tap ✏️ under an entry to set its feeling, and Facelog learns how your face reads.",
    "learn_reset_button": "🧠 Forget what Facelog learned",
    "learn_reset_done": "Done: Facelog reads your face afresh.",
    # /import (#26)
    "cmd_import": "Bring back entries from an /export ZIP",
    "import_send": (
        "Send me the ZIP that /export gave you, as a file. Entries already here are skipped."
    ),
    "import_working": "📥 Reading your export…",
    "import_done": "📥 Imported {imported} entries; {skipped} were already here.",
    "import_too_big": "This file is too big: an export ZIP can be at most 20 MB.",
    "import_not_zip": "This is not a ZIP file. Send the ZIP that /export gave you.",
    "import_bomb": "This ZIP unpacks to far more than an export could. Nothing was imported.",
    "import_bad_path": "This ZIP holds a file outside its folder. Nothing was imported.",
    "import_bad_json": (
        "This ZIP's entries.json is not what /export writes. Nothing was imported."
    ),
    "import_not_image": "A photo in this ZIP is not an image. Nothing was imported.",
    "import_other_account": (
        "This export belongs to another Telegram account. Only your own can be imported."
    ),
    "import_failed": "Storage is unavailable right now; nothing was imported. Try again later.",
}
