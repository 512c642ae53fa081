"""한국어 메시지. 자리표시자는 str.format 형식이며 en.py와 같아야 합니다."""

MESSAGES: dict[str, str] = {
    # onboarding and profile
    "welcome": (
        "안녕하세요! 저는 Facelog예요. 셀카와 한 줄 일기를 보내 주시면 표정에서 오늘의 감정을 "
        "읽고, AI 친구 Anna가 친구처럼 댓글을 달아 드려요.\n\n"
        "🔒 비공개 일기예요: 사진, 일기, Anna의 댓글은 당신만 볼 수 있어요. "
        "사진은 감정 인식에만 쓰이고 AI에게 보내지지 않아요. "
        "/export 로 모든 기록을 내려받고, /delete_me 로 언제든 전부 지울 수 있어요."
    ),
    "ask_name": "Anna가 어떻게 불러 드리면 될까요? 이름을 보내 주세요 (1–40자).",
    "bad_name": "이름은 1–40자의 글자로 보내 주세요.",
    "ask_intro": (
        "반가워요, {name}님! 자신을 한 줄로 소개해 주시면 Anna가 댓글에 참고해요 "
        "(선택, 200자 이내)."
    ),
    "bad_intro": "소개는 200자 이내로 보내 주세요.",
    "skip": "건너뛰기",
    "onboarding_done": (
        "준비 끝! 이제 셀카에 오늘의 한 줄을 캡션으로 달아 보내 주세요. "
        "캡션 없이 사진만 보내면 Anna가 먼저 말을 걸어요.\n\n"
        "⏰ 매일 {time}({zone})에 알림을 보내 드려요. 이미 일기를 쓴 날은 보내지 않아요. "
        "시간, 시간대 변경이나 끄기는 /reminders 에서 할 수 있어요. 매달 1일에는 지난달 요약과 "
        "Anna의 편지가 와요 (언제든 /summary)."
    ),
    "menu": (
        "{name}님, 다시 오셨네요! 셀카와 함께 오늘의 한 줄을 보내 주세요.\n\n"
        "📅 /calendar 달력  📊 /stats 감정 통계  ⚙️ /settings Anna 설정\n"
        "👤 /profile 프로필  ❓ /help 도움말"
    ),
    "profile": "👤 이름: {name}\n✍️ 소개: {intro}",
    "profile_no_intro": "(없음)",
    "edit_name": "✏️ 이름 바꾸기",
    "edit_intro": "✏️ 소개 바꾸기",
    "clear_intro": "🗑 소개 지우기",
    "profile_saved": "프로필을 저장했어요. 지금까지의 일기는 그대로예요.",
    "need_start": "먼저 /start 로 시작해 주세요.",
    # settings
    "settings_title": (
        "⚙️ Anna 설정\n"
        "말투: {attitude} · 구성: {composition} · 답변 강도: {intensity} · 길이: {length}자 · "
        "음성 답장: {voice} · 언어: 한국어"
    ),
    "settings_hint": "구성을 하나도 고르지 않으면 조언, 위로, 공감을 모두 담아요.",
    "attitude_casual": "반말",
    "attitude_polite": "존댓말",
    "part_advice": "조언",
    "part_comfort": "위로",
    "part_empathy": "공감",
    "all_parts": "모두",
    "intensity_1.0": "창의적",
    "intensity_0.75": "보통",
    "intensity_0.5": "정직",
    "length_150": "짧게",
    "length_300": "보통",
    "length_450": "길게",
    "voice_on": "켜짐",
    "voice_off": "꺼짐",
    "voice_button": "🔊 음성 답장: {state}",
    "done": "✔ 완료",
    "settings_saved": "설정을 저장했어요.",
    # posting
    "no_face": "이미지에서 얼굴을 인식하지 못했습니다. 얼굴이 드러난 이미지를 업로드해주세요!",
    "several_faces": "사진에서 얼굴 {count}개를 찾아 가장 크게 나온 얼굴을 읽었어요.",
    "post_header": "📅 {date}\n오늘의 감정: {emoji} {emotion} ({confidence})",
    "anna_says": "💬 Anna",
    "anna_later": "💬 Anna가 곧 답장할게요.",
    "listen": "🔊 듣기",
    "calendar_button": "📅 달력",
    "ask_diary": "오늘 하루는 어땠나요? 글이나 음성 메시지로 들려주세요.",
    "saved_no_text": "(일기 없음)",
    "bad_date": "날짜를 이해하지 못했어요. 2024-06-02 또는 6/2 처럼 써 주세요.",
    "future_date": "아직 오지 않은 날짜에는 일기를 쓸 수 없어요.",
    "image_unreadable": "이 파일은 사진으로 읽을 수 없어요. JPEG, PNG, WebP 사진을 보내 주세요.",
    "image_too_large": "사진이 너무 커요. 20MB 이하의 사진을 보내 주세요.",
    "image_empty": "빈 파일이에요. 사진을 다시 보내 주세요.",
    "working": "사진을 보고 있어요…",
    "caption_too_long": "일기가 너무 길어요. {limit}자 이내로 줄여 주세요.",
    # calendar
    "calendar_title": "📅 {year}년 {month}월",
    "weekdays": "월 화 수 목 금 토 일",
    "calendar_today": "{mark} 오늘",
    "no_entry_day": "이 날에는 일기가 없어요.",
    "day_list": "{date}의 일기 {count}개",
    "entry_missing": "이 일기를 찾을 수 없어요.",
    "date_format": "{year}년 {month}월 {day}일",
    # stats
    "stats_title": "📊 지금까지의 감정 ({total}개의 일기)",
    "stats_empty": "아직 일기가 없어요. 셀카와 함께 첫 일기를 써 보세요!",
    "stats_dominant": "가장 많이 느낀 감정: {emoji} {emotion}",
    "stats_dominant_tie": "가장 많이 느낀 감정: {emotions} (같은 횟수)",
    "chart_counts": "감정별 일기 수",
    "chart_days": "{month}의 날짜별 감정",
    # export and delete
    "export_caption": "📦 내 Facelog 기록 전체 (일기 {count}개)",
    "export_empty": "내보낼 기록이 없어요.",
    "delete_confirm": (
        "⚠️ 모든 일기, 사진, 음성, 대화 기록, 설정을 영구히 지울까요? 되돌릴 수 없어요."
    ),
    "delete_yes": "🗑 네, 전부 지워 주세요",
    "delete_no": "취소",
    "deleted": "모든 기록을 지웠어요. 다시 쓰고 싶으면 언제든 /start 를 보내 주세요.",
    "delete_cancelled": "지우지 않았어요.",
    # chat and voice
    "voice_too_long": "음성 메시지가 너무 길어요. {limit}초 이내로 보내 주세요.",
    "voice_unheard": "아무 소리도 들리지 않았어요. 다시 한 번 말해 주세요.",
    "voice_failed": "음성을 글로 바꾸지 못했어요. 글로 보내 주시겠어요?",
    "voice_text_only": (
        "🔇 지금은 Anna가 글로만 답해요: 자연스러운 한국어 음성에는 ELEVENLABS_API_KEY가 필요해요."
    ),
    "voice_no_voice": (
        "🔇 자연스러운 한국어 음성에는 ELEVENLABS_API_KEY가 필요해요. 지금은 Anna의 댓글을 "
        "글로만 볼 수 있어요."
    ),
    # everything else
    "voice_unavailable": "음성은 아직 준비 중이에요.",
    "edits_ignored": "일기의 사진 설명이나 글만 수정할 수 있어요. 이 메시지는 일기가 아니라서 바뀐 게 없어요.",
    "help": (
        "Facelog는 나만 보는 감정 일기예요.\n\n"
        "📸 셀카 + 캡션: 오늘의 일기 (캡션 앞에 2024-06-02 또는 6/2 를 쓰면 그날의 일기)\n"
        "📸 캡션 없는 셀카: Anna가 먼저 묻고, 다음 글이나 음성이 일기가 돼요\n"
        "✏️ 일기 아래: 실제 감정 고르기 (Facelog가 내 얼굴을 배워요), 글·날짜 고치기, 삭제\n"
        "💬 글이나 🎤 음성: Anna와 대화\n\n"
        "/calendar 달력 · /stats 감정 통계 · /settings Anna 설정 · /profile 프로필\n"
        "/summary 월간 요약 · /reminders 매일 알림\n"
        "/export 기록 내보내기 · /import 내보낸 기록 가져오기 · /delete_me 전부 지우기"
    ),
    "unsupported": (
        "이런 메시지는 아직 이해하지 못해요. 셀카(사진), 글, 음성 메시지를 보내 주세요. "
        "도움말은 /help"
    ),
    "unknown_command": "모르는 명령이에요. /help 에서 쓸 수 있는 명령을 볼 수 있어요.",
    "private_only": "Facelog는 비공개 일기라서 1:1 대화에서만 답해요. 저에게 직접 메시지를 보내 주세요.",
    "stale_button": "이 버튼은 더 이상 쓸 수 없어요.",
    "try_again": "지금 기록을 저장하지 못했어요. 잠시 후 다시 보내 주세요. (아무것도 저장되지 않았어요)",
    "update_parked": "이 메시지를 처리하다가 계속 문제가 생겨서 잠시 옆에 두었어요. 조금 다르게 다시 보내 주실래요?",
    "storage_waiting": "지금 일기 저장소에 연결이 안 돼요. 보내 주신 메시지는 사라지지 않았어요: 연결되는 대로 바로 처리할게요.",
    "slow_down": "메시지가 너무 많아요. 잠시 후 다시 보내 주세요.",
    "too_many_posts": "일기는 한 시간에 {limit}개까지 쓸 수 있어요. {minutes}분쯤 뒤에 다시 보내 주세요.",
    "not_allowed": "이 Facelog는 초대받은 분만 쓸 수 있어요. 운영자에게 추가해 달라고 요청해 주세요.",
    # reminders and monthly summaries
    "reminder_0": "🌙 {name}님, 오늘 하루 어땠어요? 셀카 한 장과 한 줄이면 충분해요.",
    "reminder_1": "📸 {name}님! Anna가 오늘 하루가 궁금하대요. 셀카와 한 줄 남겨 줄래요?",
    "reminder_2": "✍️ {name}님, 오늘의 일기가 아직 비어 있어요. 기억하고 싶은 순간이 있었나요?",
    "reminder_3": "😊 {name}님, 잠깐! 오늘 표정은 어떤 이야기를 하고 있나요?",
    "reminder_4": "🕯 하루가 끝나기 전에, {name}님만을 위한 셀카 한 장과 한 문장 어때요?",
    "reminder_5": "💬 Anna예요! {name}님의 오늘 이야기를 들려주세요. 사진과 캡션이면 돼요.",
    "reminder_footer": "⏰ 알림 시간 변경이나 끄기는 /reminders",
    "reminders_title": "⏰ 매일 알림: {state}\n시간: {time} ({zone})",
    "reminders_next": "다음 알림: {when}",
    "reminders_skip_note": "이미 일기를 쓴 날에는 알림이 오지 않아요.",
    "reminders_on": "켜짐",
    "reminders_off": "꺼짐",
    "reminders_turn_on": "🔔 켜기",
    "reminders_turn_off": "🔕 끄기",
    "reminders_change_time": "🕘 시간 바꾸기",
    "reminders_change_zone": "🌍 시간대",
    "reminders_pick_hour": "몇 시에 알려 드릴까요? ({zone} 기준)",
    "reminders_pick_zone": "어느 시간대에 계세요? 고르거나 이름을 직접 보내 주세요.",
    "reminders_type_zone": "⌨️ 직접 입력",
    "reminders_ask_zone": "시간대 이름을 보내 주세요. 예: Asia/Seoul, Europe/Paris, America/New_York",
    "reminders_bad_zone": "모르는 시간대예요. Asia/Seoul 이나 Europe/Paris 같은 이름을 보내 주시거나 /reminders 에서 골라 주세요.",
    "back": "‹ 뒤로",
    "month_label": "{year}년 {month}월",
    "summary_title": "📔 {name}님의 {month}",
    "summary_entries": "✍️ 일기 {count}개",
    "summary_entries_change": "✍️ 일기 {count}개 ({previous}보다 {change})",
    "summary_dominant": "가장 많이 느낀 감정: {emoji} {emotion}",
    "summary_dominant_tie": "가장 많이 느낀 감정: {emotions} (같은 횟수)",
    "summary_letter": "💌 Anna의 편지",
    "summary_empty": "{month}에는 일기가 없어요. 셀카와 한 줄로 시작해 보세요!",
    "summary_bad_month": "월은 YYYY-MM 형식으로 써 주세요. 예: /summary 2026-10",
    "summary_future": "아직 오지 않은 달이에요. 이번 달은 /summary 만 보내 주세요.",
    "chart_counts_month": "{month} 감정별 일기 수",
    # commands (setMyCommands)
    "cmd_start": "시작하기 / 메인 메뉴",
    "cmd_calendar": "달력으로 일기 보기",
    "cmd_stats": "감정 통계",
    "cmd_settings": "Anna 설정",
    "cmd_profile": "이름과 소개",
    "cmd_export": "내 기록 내보내기",
    "cmd_delete_me": "내 기록 전부 지우기",
    "cmd_reminders": "매일 알림: 시간, 시간대, 켜기/끄기",
    "cmd_summary": "월간 요약 (예: /summary 2026-10)",
    "cmd_help": "도움말",
    # emotions
    "emotion_anger": "분노",
    "emotion_happy": "기쁨",
    "emotion_panic": "당황",
    "emotion_sadness": "슬픔",
    # -- the person has the last word (#24) --
    "post_header_person": "📅 {date}\n오늘의 감정: {emoji} {emotion} (직접 고른 감정 · 얼굴은 {face_emoji} {face})",
    "post_header_confirmed": "📅 {date}\n오늘의 감정: {emoji} {emotion} (직접 고른 감정)",
    "edit_button": "✏️ 수정",
    "edit_hint": "실제 감정을 고르거나, 날짜를 옮기거나, 글을 고치거나, 일기를 지울 수 있어요.",
    "text_button": "📝 글 수정",
    "delete_entry_button": "🗑 삭제",
    "back_button": "↩ 돌아가기",
    "emotion_set": "저장했어요: {emoji} {emotion}",
    "emotion_unchanged": "이미 {emoji} {emotion}(으)로 되어 있어요.",
    "entry_moved": "{date}(으)로 옮겼어요.",
    "delete_entry_confirm": "{date} 일기를 완전히 지울까요? 사진, Anna의 댓글과 음성도 함께 지워져요.",
    "delete_entry_yes": "🗑 네, 지울게요",
    "delete_entry_keep": "↩ 그대로 둘게요",
    "entry_deleted": "🗑 {date} 일기를 사진, Anna의 댓글, 음성과 함께 지웠어요.",
    "entry_deleted_old": "텔레그램은 봇이 48시간이 지난 대화 메시지를 지우지 못하게 해요. 그래서 이 일기의 예전 메시지는 대화방에 남아 있어요. 길게 눌러 직접 지울 수 있어요.",
    "ask_entry_text": "{date} 일기의 새 글을 보내 주세요. 6/2처럼 날짜로 시작하면 날짜도 옮겨져요.",
    "entry_text_saved": "✏️ 일기를 고쳤어요.",
    "learned_some": "🧠 얼굴 읽기: 직접 고쳐 준 {count}개의 감정에서 배웠어요.",
    "learned_none": "🧠 얼굴 읽기: 아직 배운 게 없어요. 일기 아래 ✏️를 눌러 감정을 고르면 Facelog가 내 얼굴을 배워요.",
    "learn_reset_button": "🧠 배운 것 지우기",
    "learn_reset_done": "Facelog가 얼굴을 처음부터 다시 읽어요.",
    # /import (#26)
    "cmd_import": "내보낸 ZIP에서 기록 가져오기",
    "import_send": "/export로 받은 ZIP 파일을 파일로 보내주세요. 이미 있는 기록은 건너뜁니다.",
    "import_working": "📥 내보낸 기록을 읽고 있어요…",
    "import_done": "📥 기록 {imported}개를 가져왔어요. {skipped}개는 이미 있었어요.",
    "import_too_big": "파일이 너무 커요. 내보낸 ZIP은 20MB까지 가능해요.",
    "import_not_zip": "ZIP 파일이 아니에요. /export로 받은 ZIP을 보내주세요.",
    "import_bomb": "이 ZIP은 내보낸 기록이라기엔 너무 크게 풀려요. 아무것도 가져오지 않았어요.",
    "import_bad_path": "이 ZIP에 폴더 밖을 가리키는 파일이 있어요. 아무것도 가져오지 않았어요.",
    "import_bad_json": (
        "이 ZIP의 entries.json이 /export 형식이 아니에요. 아무것도 가져오지 않았어요."
    ),
    "import_not_image": "ZIP 안의 사진 중 이미지가 아닌 것이 있어요. 아무것도 가져오지 않았어요.",
    "import_other_account": "다른 텔레그램 계정의 기록이에요. 내 기록만 가져올 수 있어요.",
    "import_failed": "지금은 저장소에 연결할 수 없어 아무것도 가져오지 않았어요. 잠시 후 다시 시도해주세요.",
}
