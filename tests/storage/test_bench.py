"""The benchmark script keeps working (a small run; the real numbers come from the CLI)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from storage import bench

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("MONGODB_URI")), reason="benchmarks the embedded server"
)


def test_bench_runs_and_writes_json(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    assert bench.main(["--entries", "60", "--concurrency", "5", "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    results = report["results"]
    assert results["create_entry_150KB"]["n"] == 30
    assert results["claim_job_20_concurrent_same_key"]["n"] == 20
    assert results["export_user"]["entries"] == 60
    assert results["delete_user"]["entries"] == 60
    assert report["embedded_restart_after_kill9_s"] > 0
