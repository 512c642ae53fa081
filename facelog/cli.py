"""``facelog``: the bot, the demo and the face pipeline from a terminal.

Heavy imports (TensorFlow, dlib) happen inside the commands that need them, so ``--help`` and
argument errors answer instantly.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import sys
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from facelog.config import Settings
from facelog.logs import configure_logging

if TYPE_CHECKING:
    from inference.pipeline import Analysis, FacePipeline
    from storage import Cipher

log = logging.getLogger("facelog")


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {k: v for k in ("detector", "classifier") if (v := getattr(args, k, None))}
    return Settings(**overrides)


def _pipeline(settings: Settings) -> FacePipeline:
    from inference.pipeline import FacePipeline

    return FacePipeline.from_settings(settings)


def _describe(name: str, analysis: Analysis) -> str:
    from inference.labels import KOREAN

    t = analysis.timings
    took = (
        f"{t.total:.0f} ms (decode {t.decode:.0f}, detect {t.detect:.0f}, "
        f"align {t.align:.0f}, classify {t.classify:.0f})"
    )
    if analysis.face is None:
        return f"{name}: no face found — {took}"
    probs = "  ".join(f"{e.value} {p:.2f}" for e, p in analysis.probabilities.items())
    more = f" (largest of {analysis.faces})" if analysis.faces > 1 else ""
    return (
        f"{name}: {analysis.emotion.value} ({KOREAN[analysis.emotion]}) "
        f"{analysis.confidence:.0%}{more}\n  {probs}\n  faces: {analysis.faces}  box: "
        f"{analysis.box.x},{analysis.box.y} {analysis.box.width}×{analysis.box.height}  {took}"
    )


def _as_json(name: str, analysis: Analysis) -> dict[str, object]:
    out: dict[str, object] = {"photo": name, "faces": analysis.faces, "ms": analysis.timings.total}
    if analysis.face is not None:
        out |= {
            "emotion": analysis.emotion.value,
            "probabilities": {e.value: round(p, 4) for e, p in analysis.probabilities.items()},
            "box": [analysis.box.x, analysis.box.y, analysis.box.width, analysis.box.height],
        }
    return out


def cmd_analyze(args: argparse.Namespace) -> int:
    from inference.align import to_uint8
    from inference.image import ImageError

    pipeline = _pipeline(_settings(args))
    save = Path(args.save_aligned) if args.save_aligned else None
    if save:
        save.mkdir(parents=True, exist_ok=True)
    failed = 0
    for photo in args.photos:
        path = Path(photo)
        try:
            analysis = pipeline.analyze_sync(path.read_bytes())
        except (OSError, ImageError) as exc:
            failed += 1
            print(f"{path}: {exc}", file=sys.stderr)
            continue
        if args.json:
            print(json.dumps(_as_json(str(path), analysis), ensure_ascii=False))
        else:
            print(_describe(str(path), analysis))
        if save and analysis.face is not None:
            from PIL import Image

            target = save / f"{path.stem}.aligned.png"
            Image.fromarray(to_uint8(analysis.aligned)).save(target)
            if not args.json:
                print(f"  aligned crop: {target}")
    pipeline.close()
    return 1 if failed else 0


def sample_selfie() -> bytes:
    return resources.files("inference").joinpath("samples/selfie.jpg").read_bytes()


def cmd_demo(args: argparse.Namespace) -> int:
    """Everything a post does without Telegram: the sample selfie through the pipeline."""
    pipeline = _pipeline(_settings(args))
    print(
        f"Facelog demo — classifier: {pipeline.classifier.name}, detector: {pipeline.detector.name}"
    )
    analysis = pipeline.analyze_sync(sample_selfie())
    print(_describe("inference/samples/selfie.jpg", analysis))
    pipeline.close()
    return 0 if analysis.face is not None else 1


def cmd_run(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if settings.telegram_bot_token is None:
        print(
            "No TELEGRAM_BOT_TOKEN is set, so here is the local demo instead "
            "(README.md says how to get a token from @BotFather).\n"
        )
        return cmd_demo(args)
    from telegram.error import InvalidToken, NetworkError

    from facelog.serve import serve
    from facelog.webhook import webhook_problem
    from storage import EncryptionKeyError

    if args.webhook or settings.webhook_url:
        problem = webhook_problem(settings)
        if problem is not None:
            print(f"facelog: {problem}", file=sys.stderr)
            return 2
    configure_logging(settings.log_level, settings.log_format)
    try:
        asyncio.run(serve(settings))
    except InvalidToken:
        print(
            "facelog: Telegram rejected TELEGRAM_BOT_TOKEN (check it with @BotFather)",
            file=sys.stderr,
        )
        return 2
    except NetworkError as exc:
        print(f"facelog: cannot reach the Telegram Bot API: {type(exc).__name__}", file=sys.stderr)
        return 2
    except EncryptionKeyError as exc:  # names the setting, never a key (docs/security.md)
        print(f"facelog: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        pass
    return 0


def cmd_serve_inference(args: argparse.Namespace) -> int:
    """A face-analysis worker for bot replicas (FACELOG_INFERENCE_URL); docs/deploy.md."""
    from inference.service import run_worker

    settings = _settings(args)
    configure_logging(settings.log_level, settings.log_format)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run_worker(settings, args.host, args.port))
    return 0


def cmd_rekey(args: argparse.Namespace) -> int:
    """Re-encrypt everything stored with the newest key (docs/security.md, key rotation)."""
    settings = _settings(args)
    if settings.encryption_keys is None:
        print(
            "facelog rekey: FACELOG_ENCRYPTION_KEYS is not set; put the new key first "
            "(NEW,OLD) and run this again",
            file=sys.stderr,
        )
        return 2
    from storage import Cipher, EmbeddedMongoError, RekeyReport, StorageError, open_storage

    cipher = Cipher.from_setting(settings.encryption_keys.get_secret_value())
    uri = settings.mongodb_uri.get_secret_value() if settings.mongodb_uri else None

    async def run() -> RekeyReport:
        async with open_storage(
            settings.data_dir, uri, database=settings.mongodb_database, cipher=cipher
        ) as repo:
            return await repo.reencrypt_all()

    try:
        report = asyncio.run(run())
    except (StorageError, EmbeddedMongoError) as exc:  # messages carry no key and no data
        print(f"facelog rekey: {exc}", file=sys.stderr)
        return 2
    print(
        f"facelog rekey: re-encrypted {report.users} users, {report.entries} entries, "
        f"{report.chat_turns} chat turns and {report.blobs} blobs with the newest key; "
        "the older keys can now be removed"
    )
    return 0


def _app_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("facelog")
    except PackageNotFoundError:
        return "unknown"


def _backup_cipher(settings: Settings) -> Cipher | None:
    from storage import Cipher

    keys = settings.encryption_keys
    return Cipher.from_setting(keys.get_secret_value()) if keys is not None else None


def cmd_backup(args: argparse.Namespace) -> int:
    """One verified archive of everything stored, while the bot runs (docs/deploy.md)."""
    from datetime import UTC, datetime

    from pymongo.errors import PyMongoError

    from storage import MIGRATIONS, EmbeddedMongoError
    from storage.backup import BackupError, backup_name, list_backups, open_database, write_backup

    settings = _settings(args)
    if args.list:
        backups = list_backups(settings.backups_path)
        if not backups:
            print(f"no backups in {settings.backups_path}")
        for info in backups:
            print(info.describe())
        return 0
    cipher = _backup_cipher(settings)
    uri = settings.mongodb_uri.get_secret_value() if settings.mongodb_uri else None
    sealed = cipher is not None and cipher.enabled
    out = (
        Path(args.out)
        if args.out
        else settings.backups_path / backup_name(datetime.now(UTC), sealed)
    )

    async def run() -> int:
        async with open_database(
            settings.data_dir, uri, settings.mongodb_database, exclusive=False
        ) as (client, source):
            result = await write_backup(
                client[settings.mongodb_database],
                out,
                cipher=cipher,
                app_version=_app_version(),
                source=source,
                latest_schema=MIGRATIONS[-1][0],
            )
        seconds = max(result.seconds, 1e-6)
        print(f"{result.manifest.summary()}")
        print(
            f"{result.size / 1e6:.1f} MB in {result.seconds:.1f} s "
            f"({result.size / 1e6 / seconds:.1f} MB/s), verified"
            + (", encrypted with the newest FACELOG_ENCRYPTION_KEYS key" if sealed else "")
        )
        print(result.path)
        return 0

    try:
        return asyncio.run(run())
    except (BackupError, EmbeddedMongoError, PyMongoError, OSError) as exc:
        print(f"facelog backup: failed: {_one_line(exc)}", file=sys.stderr)
        return 2


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def cmd_restore(args: argparse.Namespace) -> int:
    """Put a backup back; refuses a running bot, a damaged archive, a newer schema, a wrong key."""
    from pymongo.errors import PyMongoError

    from storage import MIGRATIONS, EmbeddedMongoError
    from storage.backup import BackupError, open_database, restore, verify

    settings = _settings(args)
    cipher = _backup_cipher(settings)
    uri = settings.mongodb_uri.get_secret_value() if settings.mongodb_uri else None
    path = Path(args.path)
    latest = MIGRATIONS[-1][0]
    aside_dir = settings.backups_path

    async def run() -> int:
        # The archive first, before a server starts or anything is touched.
        await asyncio.to_thread(verify, path, cipher, latest_schema=latest)
        async with open_database(
            settings.data_dir, uri, settings.mongodb_database, exclusive=True
        ) as (client, source):
            manifest, aside = await restore(
                client,
                settings.mongodb_database,
                path,
                cipher=cipher,
                latest_schema=latest,
                force=args.force,
                aside_dir=aside_dir,
                app_version=_app_version(),
                source=source,
            )
        print(f"restored {manifest.summary()}")
        print(f"from the backup of {manifest.created_at} (schema v{manifest.schema_version})")
        if aside is not None:
            print(f"the data it replaced is kept in {aside} (delete it when you no longer need it)")
        return 0

    try:
        return asyncio.run(run())
    except (BackupError, EmbeddedMongoError, PyMongoError, OSError) as exc:
        print(f"facelog restore: refused: {_one_line(exc)}", file=sys.stderr)
        return 2


def cmd_speak(args: argparse.Namespace) -> int:
    """Anna's voice for a text, written as an OGG/Opus voice note."""
    from facelog.speech import build_synthesizer
    from facelog.voice import speech_config

    settings = _settings(args)
    if args.korean_voice:
        settings = settings.model_copy(update={"korean_offline_voice": args.korean_voice})
    synthesizer = build_synthesizer(speech_config(settings), cache=False)
    if not synthesizer.supports(args.language):
        # Korean offline is text only by default; say what would give it a voice rather than
        # failing with a traceback (or, as before, writing a note nobody can understand).
        print(
            f"facelog speak: no voice for {args.language!r} here: set ELEVENLABS_API_KEY for a "
            "natural voice, or pass --korean-voice espeak (FACELOG_KOREAN_OFFLINE_VOICE=espeak) "
            "for espeak-ng's robotic one",
            file=sys.stderr,
        )
        asyncio.run(synthesizer.aclose())
        return 2

    async def run() -> int:
        note = await synthesizer.synthesize(args.text, args.language)
        Path(args.out).write_bytes(note.ogg)
        print(f"{args.out}: {note.seconds:.1f} s of speech ({note.engine})")
        await synthesizer.aclose()
        return 0

    return asyncio.run(run())


def cmd_transcribe(args: argparse.Namespace) -> int:
    """What Whisper hears in a voice file (any format PyAV reads)."""
    from facelog.speech import NothingHeard, build_transcriber
    from facelog.voice import speech_config

    transcriber = build_transcriber(speech_config(_settings(args)))

    async def run() -> int:
        heard = await transcriber.transcribe(Path(args.file).read_bytes(), language=args.language)
        await transcriber.aclose()
        if isinstance(heard, NothingHeard):
            print(f"{args.file}: nothing heard ({heard.reason})")
            return 1
        print(heard.text)
        return 0

    return asyncio.run(run())


def cmd_evaluate(args: argparse.Namespace) -> int:
    if args.rest and args.rest[0] == "realfaces":
        from inference.evaluation import realfaces

        return realfaces.main(args.rest[1:])
    if args.rest and args.rest[0] == "personal":
        from inference.evaluation import personal

        return personal.main(args.rest[1:])
    if args.rest and args.rest[0] in ("aihub", "ensemble"):
        from inference.evaluation import ensemble

        return ensemble.main(args.rest)
    from inference.evaluation import accuracy

    return accuracy.main(args.rest)


def _module_main(module: str) -> Callable[[argparse.Namespace], int]:
    """A subcommand that hands its arguments to ``module.main`` (imported only when run)."""

    def run(args: argparse.Namespace) -> int:
        import importlib

        return int(importlib.import_module(module).main(args.rest))

    return run


def cmd_bench(args: argparse.Namespace) -> int:
    import runpy

    module = {
        "speed": "inference.benchmarks.speed",
        "alignment": "inference.benchmarks.alignment",
        "classifier": "inference.benchmarks.classifier",
        "calibration": "inference.benchmarks.calibration",
        "storage": "storage.bench",
        "learning": "facelog.learning_bench",
        "anna": "facelog.anna.bench",
        "speech": "facelog.speech.bench",
        "load": "bot.loadtest",
        "crash": "bot.crashtest",
        "backup": "storage.backup_bench",
    }[args.which]
    sys.argv = [module, *args.rest]
    runpy.run_module(module, run_name="__main__")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="facelog", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", required=True)

    def pipeline_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--detector", choices=["seed", "dlib", "mtcnn"], help="face detector")
        p.add_argument(
            "--classifier",
            choices=["realface", "lite0", "ferplus", "fer", "keras"],
            help="emotion classifier",
        )

    run = sub.add_parser("run", help="run the Telegram bot (the demo when no token is set)")
    pipeline_options(run)
    run.add_argument(
        "--webhook",
        action="store_true",
        help="receive updates by webhook (needs FACELOG_WEBHOOK_URL and FACELOG_WEBHOOK_SECRET)",
    )
    run.set_defaults(func=cmd_run)

    serve_inference = sub.add_parser(
        "serve-inference", help="run a face-analysis worker that bot replicas send photos to"
    )
    serve_inference.add_argument("--host", default="0.0.0.0", help="address to listen on")
    serve_inference.add_argument("--port", type=int, default=8090, help="port to listen on")
    pipeline_options(serve_inference)
    serve_inference.set_defaults(func=cmd_serve_inference)

    demo = sub.add_parser("demo", help="run the face pipeline on the bundled sample selfie")
    pipeline_options(demo)
    demo.set_defaults(func=cmd_demo)

    analyze = sub.add_parser("analyze", help="read the emotion on each photo")
    analyze.add_argument("photos", nargs="+", metavar="PHOTO")
    analyze.add_argument("--save-aligned", metavar="DIR", help="write the aligned 224×224 crops")
    analyze.add_argument("--json", action="store_true", help="one JSON object per photo")
    pipeline_options(analyze)
    analyze.set_defaults(func=cmd_analyze)

    speak = sub.add_parser("speak", help="say a text in Anna's voice (OGG/Opus file)")
    speak.add_argument("text")
    speak.add_argument("--language", choices=["ko", "en"], default="ko")
    speak.add_argument("--out", default="anna.ogg")
    speak.add_argument(
        "--korean-voice",
        choices=["none", "espeak"],
        default=None,
        help="Korean without ElevenLabs: espeak = espeak-ng's robotic voice "
        "(default: FACELOG_KOREAN_OFFLINE_VOICE, which is none)",
    )
    speak.set_defaults(func=cmd_speak)

    transcribe = sub.add_parser("transcribe", help="turn a voice file into text")
    transcribe.add_argument("file")
    transcribe.add_argument("--language", choices=["ko", "en"], default=None)
    transcribe.set_defaults(func=cmd_transcribe)

    train = sub.add_parser("train", help="train an emotion classifier")
    train_sub = train.add_subparsers(dest="trainer", required=True)
    from inference.training import efficientnet
    from inference.training.ferplus import add_cli
    from inference.training.ferplus_export import add_export_cli

    add_cli(train_sub)
    add_export_cli(train_sub)
    efficientnet.add_cli(train_sub)
    for trainer, module, helptext in (
        (
            "realfaces",
            "inference.training.realfaces",
            "fine-tune ImageNet EfficientNet-Lite0 on real faces and FER+ (--help for options)",
        ),
        (
            "export-lite0",
            "inference.training.lite0_export",
            "ship a Lite0 run into the package (int8 LiteRT + Keras, sha256)",
        ),
    ):
        passthrough = train_sub.add_parser(trainer, help=helptext, add_help=False)
        passthrough.add_argument("rest", nargs=argparse.REMAINDER)
        passthrough.set_defaults(func=_module_main(module))

    evaluate = sub.add_parser(
        "evaluate",
        help="accuracy on the real-photo set (options: facelog evaluate -- --help), or of "
        "models on labeled Korean faces (facelog evaluate aihub|ensemble --help), or of "
        "per-person calibration (facelog evaluate personal --help)",
    )
    evaluate.add_argument("rest", nargs=argparse.REMAINDER)
    evaluate.set_defaults(func=cmd_evaluate)

    rekey = sub.add_parser(
        "rekey", help="re-encrypt stored data with the newest FACELOG_ENCRYPTION_KEYS key"
    )
    rekey.set_defaults(func=cmd_rekey)

    backup = sub.add_parser(
        "backup",
        help="write a verified backup of all stored data (while the bot runs); "
        "prints the archive's path last",
    )
    backup.add_argument("--out", metavar="PATH", help="archive path (default: FACELOG_BACKUP_DIR)")
    backup.add_argument("--list", action="store_true", help="list the backups with their counts")
    backup.set_defaults(func=cmd_backup)

    restore = sub.add_parser(
        "restore", help="restore a backup into an empty data directory or database"
    )
    restore.add_argument("path", metavar="PATH", help="a file written by facelog backup")
    restore.add_argument(
        "--force",
        action="store_true",
        help="replace existing data (it is backed up aside first, and put back on failure)",
    )
    restore.set_defaults(func=cmd_restore)

    bench = sub.add_parser("bench", help="run a benchmark; numbers go to its results file")
    bench.add_argument(
        "which",
        choices=[
            "speed",
            "alignment",
            "classifier",
            "calibration",
            "storage",
            "learning",
            "anna",
            "speech",
            "load",
            "crash",
            "backup",
        ],
    )
    bench.add_argument("rest", nargs=argparse.REMAINDER)
    bench.set_defaults(func=cmd_bench)

    from facelog import report as report_tool  # standard library only: cheap to import

    report = sub.add_parser(
        "report",
        help="render the docs' tables of measured numbers from their results files "
        "(--check: only compare)",
        description=report_tool.DESCRIPTION,
    )
    report_tool.add_arguments(report)
    report.set_defaults(func=report_tool.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # Subcommands that own their options (``rest``) take everything after their name, options
    # included, which argparse's REMAINDER does not do when the first one starts with "-".
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        if not hasattr(args, "rest"):
            parser.error(f"unrecognized arguments: {' '.join(unknown)}")
        args.rest = [*args.rest, *unknown]
    configure_logging(logging.INFO if args.verbose else logging.WARNING)
    try:
        return int(args.func(args))
    except ValidationError as exc:
        first = exc.errors()[0]
        print(
            f"facelog: invalid setting {'.'.join(map(str, first['loc']))}: {first['msg']}",
            file=sys.stderr,
        )
        return 2
    except FileNotFoundError as exc:
        print(f"facelog: {exc}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as exc:  # a TensorFlow-only path without TensorFlow: say so
        from inference.optional import missing

        clear = missing(exc, f"facelog {args.command}")
        if clear is None:
            raise
        print(f"facelog: {clear if type(exc) is ModuleNotFoundError else exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
