"""One place checks report parameters: the CLI, a job, the kernel and the computation agree."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from test_report_support import make_tiny_bundle

from tcmcounty.errors import ReportError
from tcmcounty.reporting import results as RS
from tcmcounty.reporting import views
from tcmcounty.reporting.parameters import DEFAULT_THRESHOLDS_KM, ReportParameters
from tcmcounty.run import report as R


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_bundle(tmp_path_factory.mktemp("in"))


def test_from_raw_types_everything(tiny: Path, tmp_path: Path) -> None:
    targets = tmp_path / "t.csv"
    targets.write_text("id\n", encoding="utf-8")
    p = ReportParameters.from_raw(
        str(tiny), "registered", "5, 2,2", str(targets), "2024-06-30", "en", str(tmp_path)
    )
    assert p.county == str(tiny.resolve()) or Path(p.county) == tiny
    assert p.thresholds_km == (2.0, 5.0) and p.population == "registered"
    assert p.targets == str(targets.resolve()) and p.report_date == dt.date(2024, 6, 30)
    assert p.language == "en" and p.results_dir == str(tmp_path)


def test_shared_parameters_round_trip_through_the_template(tiny: Path) -> None:
    shared = ReportParameters.from_raw(report_date="2024-01-02", require_county=False)
    assert shared.county == "" and shared.thresholds_km == DEFAULT_THRESHOLDS_KM
    template = shared.template_parameters()
    assert R.county_parameters(report_date="2024-01-02") == shared  # the job's spec
    assert ReportParameters.from_template(None, template) == shared  # the job's JSON
    again = ReportParameters.from_template(tiny, template)  # the JSON, for one county
    kernel = views.check_parameters(str(tiny), **template)  # the notebook's first cell
    assert again == kernel == shared.for_county(tiny)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"population": "everyone"}, "population"),
        ({"language": "fr"}, "language"),
        ({"thresholds_km": "five"}, "not a number"),
        ({"report_date": "soon"}, "report_date"),
        ({"targets": "/no/such/file.csv"}, "targets"),
    ],
)
def test_every_entry_point_refuses_alike(tiny: Path, kwargs: dict, fragment: str) -> None:
    """The CLI / job (county_parameters), the kernel and compute_results say the same."""
    messages = []
    with pytest.raises(ReportError, match=fragment) as e1:
        R.county_parameters(**kwargs)
    messages.append(str(e1.value))
    with pytest.raises(ReportError, match=fragment) as e2:
        views.check_parameters(str(tiny), **kwargs)
    messages.append(str(e2.value))
    if "report_date" not in kwargs and "language" not in kwargs:
        with pytest.raises(ReportError, match=fragment) as e3:
            RS.compute_results(tiny, **kwargs)
        messages.append(str(e3.value))
    assert len(set(messages)) == 1, messages
