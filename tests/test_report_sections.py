"""A failing analysis step: its sections say why, every other section still renders."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_report_support import make_tiny_bundle

from tcmcounty.errors import ReportError
from tcmcounty.reporting import results as RS
from tcmcounty.reporting import views

#: Section methods of the county view, in report order.
SECTIONS = (
    "header",
    "headline",
    "indicators",
    "facilities",
    "maps",
    "alliances",
    "access",
    "sites",
    "worklist",
    "timetable",
    "quality",
    "appendix",
)

#: Anchors of the sections that show a step's results.
SECTIONS_OF = {
    "indicators": ("indicators",),
    "coverage": ("facilities", "maps", "alliances"),
    "access": ("access",),
    "plan": ("sites",),
}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_bundle(tmp_path_factory.mktemp("in"))


def _render(path: Path, res: RS.CountyResults) -> dict[str, str]:
    view = views.CountyView(views.check_parameters(str(path), language="zh-en"), results=res)
    return {name: str(getattr(view, name)()) for name in SECTIONS}


def _section_of(html: str, anchor: str) -> str:
    start = html.index(f"id='{anchor}'")
    return html[start : html.index("</section>", start)]


@pytest.mark.parametrize(
    ("step", "exc"),
    [
        ("indicators", ReportError("registry broke / 指标表损坏")),
        ("coverage", ValueError("no pairs")),
        ("access", RuntimeError("solver exploded")),
        ("plan", ZeroDivisionError("division by zero")),
    ],
)
def test_failing_step_shows_reason_and_rest_renders(
    tiny: Path, monkeypatch: pytest.MonkeyPatch, step: str, exc: Exception
) -> None:
    def boom(res: RS.CountyResults) -> None:
        raise exc

    monkeypatch.setattr(RS, f"_{step}", boom)
    res = RS.compute_results(tiny)
    assert step in res.unavailable and str(exc) in res.unavailable[step]
    if not isinstance(exc, RS.STEP_ERRORS):  # unexpected: the type is recorded too
        assert type(exc).__name__ in res.unavailable[step]
    assert set(res.unavailable) == {step}
    html = _render(tiny, res)
    for anchor in SECTIONS_OF[step]:
        part = _section_of(html[anchor], anchor)
        assert "本节无法计算" in part and "could not compute" in part
        assert str(exc).split(" / ")[0] in part
    for other, anchors in SECTIONS_OF.items():
        if other != step:
            for anchor in anchors:
                assert "本节无法计算" not in html[anchor], (step, anchor)
    assert step in html["quality"]  # the data-quality section lists it too
    for name in SECTIONS:
        assert "<script" not in html[name]


def test_failing_step_clears_its_partial_results(
    tiny: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = RS._coverage

    def half(res: RS.CountyResults) -> None:
        real(res)
        raise KeyError("alliance table")

    monkeypatch.setattr(RS, "_coverage", half)
    res = RS.compute_results(tiny)
    assert res.nearest is None and res.coverage == {} and res.alliance is None
    assert "alliance table" in res.unavailable["coverage"]
    assert res.access is not None and res.plan is not None
