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
        "caption and Anna will ask about your day first."
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
    "no_entry_day": "No entry on this day.",
    "day_list": "{count} entries on {date}",
    "entry_missing": "I can't find that entry.",
    "date_format": "{month_name} {day}, {year}",
    # stats
    "stats_title": "📊 Your emotions so far ({total} entries)",
    "stats_empty": "No entries yet. Send a selfie to write your first one!",
    "stats_dominant": "Most frequent: {emoji} {emotion}",
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
    # everything else
    "voice_unavailable": "Voice isn't available yet.",
    "edits_ignored": "Edited messages don't change your diary. Please send a new message instead.",
    "help": (
        "Facelog is a diary only you can see.\n\n"
        "📸 Selfie + caption: today's entry (start the caption with 2024-06-02 or 6/2 to "
        "file it under that day)\n"
        "📸 Selfie without caption: Anna asks first; your next text or voice note becomes the entry\n"
        "💬 Text or 🎤 voice: chat with Anna\n\n"
        "/calendar · /stats · /settings · /profile · /export · /delete_me"
    ),
    "unsupported": (
        "I can't understand this kind of message yet. Send me a selfie, a text or a voice "
        "message. /help shows what I can do."
    ),
    "unknown_command": "I don't know that command. /help lists the ones I do.",
    "private_only": "Facelog is a private diary, so I only answer in one-to-one chats. Message me directly.",
    "stale_button": "This button no longer works.",
    "try_again": "I couldn't save that just now. Please send it again in a moment (nothing was saved).",
    "slow_down": "That's a lot of messages. Please wait a moment and try again.",
    # commands (setMyCommands)
    "cmd_start": "Start / main menu",
    "cmd_calendar": "Browse your diary by month",
    "cmd_stats": "Your emotion statistics",
    "cmd_settings": "How Anna writes",
    "cmd_profile": "Your name and intro",
    "cmd_export": "Download all your data",
    "cmd_delete_me": "Erase all your data",
    "cmd_help": "Help",
    # emotions
    "emotion_anger": "Anger",
    "emotion_happy": "Happy",
    "emotion_panic": "Panic",
    "emotion_sadness": "Sadness",
}
