"""One JobRecord: the job's, the batch's failure record and the index's cleaned record agree."""

from __future__ import annotations

import json
from pathlib import Path

from test_report_support import make_tiny_bundle

from tcmcounty.reporting.records import JobRecord
from tcmcounty.run import index as I
from tcmcounty.run import report as R


def test_round_trip_keeps_every_field() -> None:
    rec = JobRecord(
        kind="county_report",
        name="512021-anyue",
        status="ok",
        counties=[{"adcode": "512021", "name_zh": "安岳县"}],
        headline={"n_met": 3},
        outputs=["512021-anyue.html"],
        html_bytes=10,
        attempts=1,
        durations={"total": 1.5},
        extra={"params_hash": "abc", "retried": ["x"]},
    )
    data = json.loads(json.dumps(rec.to_json()))
    back = JobRecord.from_json(data, "512021-anyue")
    assert back is not None
    assert back.extra == rec.extra and back.headline == rec.headline
    assert back.counties[0]["name_zh"] == "安岳县" and back.counties[0]["city"] is None
    assert I.clean_record(data) == back.to_json()


def test_failure_record_reads_back(tmp_path: Path) -> None:
    bundle = make_tiny_bundle(tmp_path / "in", "999571-gone")
    spec = R.make_spec([bundle], parameters=R.county_parameters(report_date="2024-01-01"))
    rec = R.failure_record(spec, "worker died", 2)
    back = JobRecord.from_json(json.loads(json.dumps(rec.to_json())), spec.name)
    assert back is not None and (back.status, back.error, back.attempts) == (
        "failed",
        "worker died",
        2,
    )
    assert back.extra["inputs"] == spec.inputs and back.outputs == []


def test_not_a_record() -> None:
    assert JobRecord.from_json([1]) is None
    assert JobRecord.from_json({"kind": "other", "name": "a"}) is None
    assert JobRecord.from_json({"kind": "comparison", "name": 3}) is None
