"""``facelog report``: every generated table in the docs matches its results file.

The first test is the guard: a number edited by hand in a generated table, or a results file
rerun without re-rendering the docs, fails it. The others show the check catches what it
should (an edited number, a lost marker) and that rewriting fixes exactly the table.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from facelog import report
from facelog.cli import main as cli_main


def test_every_generated_table_matches_its_results_file() -> None:
    problems = report.sync(report.REPO_ROOT, write=False)
    assert not problems, "run `facelog report` (or fix the results file):\n" + "\n".join(
        map(str, problems)
    )


def test_every_registered_table_has_its_results_files_and_one_marker() -> None:
    names = [table.name for table in report.TABLES]
    assert len(names) == len(set(names))
    for table in report.TABLES:
        for source in table.sources:
            assert (report.REPO_ROOT / source).is_file(), source
        text = (report.REPO_ROOT / table.doc).read_text(encoding="utf-8")
        assert text.count(f"<!-- report:{table.name} -->") == 1, table.name


def _copy(table_name: str, root: Path) -> tuple[report.Table, Path]:
    """A copy of one table's document and results under ``root`` (the same relative paths)."""
    table = next(t for t in report.TABLES if t.name == table_name)
    for relative in (table.doc, *table.sources):
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(report.REPO_ROOT / relative, target)
    return table, root / table.doc


def test_a_number_edited_by_hand_is_reported_and_rewriting_restores_it(tmp_path: Path) -> None:
    table, doc = _copy("storage-latency", tmp_path)
    original = doc.read_text(encoding="utf-8")
    # Whatever the last run measured: nudge the get_entry p50 by hand.
    found = re.search(r"\| `get_entry` \| ([0-9.]+) ms \|", original)
    assert found is not None
    edited = f"{float(found.group(1)) + 0.1:.1f}"
    doc.write_text(original.replace(found.group(0), f"| `get_entry` | {edited} ms |"))

    problems = report.sync(tmp_path, write=False, tables=[table])
    assert [(p.doc, p.table) for p in problems] == [("storage/README.md", "storage-latency")]
    assert "differs from storage/bench-results.json" in problems[0].reason

    # The command exits non-zero and names the table …
    assert report.main(["--check", "--root", str(tmp_path)]) == 1
    # … and rewriting puts the measured number back, touching nothing outside the markers.
    assert report.sync(tmp_path, write=True, tables=[table])
    assert doc.read_text(encoding="utf-8") == original
    assert report.sync(tmp_path, write=False, tables=[table]) == []


def test_a_changed_results_file_is_reported(tmp_path: Path) -> None:
    table, _ = _copy("crypto-cost", tmp_path)
    results = tmp_path / "storage" / "crypto-bench-results.json"
    text = results.read_text()
    measured = re.search(r'"p50_ms": ([0-9.]+)', text)
    assert measured is not None
    rerun = f'"p50_ms": {float(measured.group(1)) * 3 + 1:.3f}'  # a rerun that measured more
    results.write_text(text.replace(measured.group(0), rerun, 1))
    problems = report.sync(tmp_path, write=False, tables=[table])
    assert [p.table for p in problems] == ["crypto-cost"]


def test_a_lost_marker_is_reported(tmp_path: Path) -> None:
    table, doc = _copy("monthly-summaries", tmp_path)
    doc.write_text(doc.read_text().replace("<!-- report:monthly-summaries -->\n", ""))
    problems = report.sync(tmp_path, write=True, tables=[table])
    assert [p.reason for p in problems] == ["no <!-- report:NAME --> marker in the document"]


def test_the_cli_check_passes_on_the_repository(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["report", "--check"]) == 0
    assert f"{len(report.TABLES)}/{len(report.TABLES)} generated tables" in capsys.readouterr().out


def test_p50_and_p95_columns_hold_a_p50_and_a_p95() -> None:
    """The drift that started this: two p50s under a "p50 / p95" header. Every cell of the
    security table is "a / b ms" with a ≤ b."""
    table = next(t for t in report.TABLES if t.name == "crypto-cost")
    for line in report.render(table).strip().splitlines()[2:]:
        for cell in line.strip("|").split("|")[1:]:
            if cell.strip():
                p50, p95 = map(float, re.findall(r"[\d.]+", cell))
                assert p50 <= p95, line


def test_rounding_follows_the_printed_digits() -> None:
    assert report.fixed(0.95, 1) == "1.0"  # a binary float would round this down
    assert report.ms(1.065) == "1.07"
    assert report.grouped(1644.8) == "1 645"


def test_the_crops_in_the_docs_are_the_crops_the_code_ships() -> None:
    """The model card once said 0.75 where the code ships 0.85: the models table's crop for
    each classifier must be its ``InputSpec`` crop."""
    from inference.classifier import FER_SPEC
    from inference.ferplus_model import FERPLUS_CROP
    from inference.realface_model import LITE0_SPEC

    assert FER_SPEC.crop == report.FER_CROP
    text = (report.REPO_ROOT / "inference" / "README.md").read_text(encoding="utf-8")
    rows = {m[1]: m[2] for m in re.finditer(r"^\| classifier \(`(\w+)`\) \|(.*)$", text, re.M)}
    for name, crop in (("fer", FER_SPEC.crop), ("lite0", LITE0_SPEC.crop)):
        assert f"crop {crop}" in rows[name], name
    assert f"crop {FERPLUS_CROP}" in rows["ferplus"]
    assert f"FERPLUS_CROP = {FERPLUS_CROP}" in text


def test_real_runs_publish_their_reports_and_smoke_runs_do_not() -> None:
    """Training and export write their reports beside the other results (so tables can be
    rendered from them); a ``--smoke`` run must never overwrite a published run's file."""
    from inference.training import ferplus, ferplus_export, realfaces

    results = report.REPO_ROOT / "inference" / "evaluation" / "results"
    run = realfaces.TrainConfig(out=Path("runs/lite0/r3"), color="rgb")
    assert realfaces.default_results(run) == results / "lite0-run-r3-rgb.json"
    smoke = realfaces.TrainConfig(out=Path("runs/lite0/r3"), smoke=True)
    assert realfaces.default_results(smoke) is None

    assert ferplus.default_results(ferplus.TrainConfig(out="runs/ferplus/e30")) == (
        results / "ferplus-run-e30.json"
    )
    assert ferplus.default_results(ferplus.TrainConfig(out="runs/x", smoke=True)) is None
    assert results / "ferplus-export.json" == ferplus_export.RESULTS
