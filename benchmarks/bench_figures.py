"""Benchmark: the figures of a county report, per figure kind, in core-milliseconds per county.

Draws the figures of :class:`tcmcounty.reporting.county_view.CountyView` (the indicator chart
and the three maps, each to PNG bytes, as a report does) for the two bundled counties and a few
synthetic ones (inside real county outlines, from :mod:`tcmcounty.synth`). Results are computed
once per county and not timed. Each timed run is what a batch worker does with a county it has
not drawn before: the plotting caches are cleared (``plotting.clear_caches``, where it exists),
another synthetic county is drawn (fonts loaded, labels shared by every report cached), then the
county's figures are drawn once. The fastest of ``--repeat`` runs is reported, in CPU time of
this process (``time.process_time``: core-seconds, robust to other jobs on the machine).

Columns: ms per figure (building the figure and encoding its PNG), of which ``png`` is the
time in :func:`tcmcounty.reporting.plotting.figure_png` (drawing + encoding), the total per
county, and the PNG bytes. The last line gives a cold start: the first report's figures in a
fresh process (font registration and first-use costs included).

With ``--save DIR`` the PNGs of the timed counties are written to ``DIR``; with
``--compare DIR`` each is compared with the PNG of the same name in ``DIR`` (saved by another
version of the code): the largest difference of a channel (0-255) and the number of pixels
that differ, so a change that should not change what a reader sees can be checked.

Usage::

    python benchmarks/bench_figures.py [--synthetic 3] [--seed 7] [--repeat 3] [--no-cold]
                                       [--gc-freeze] [--save DIR] [--compare DIR]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ("512021-anyue", "140823-wenxi")


class _PngTimer:
    """Accumulate the CPU time spent in ``plotting.figure_png`` while active."""

    def __init__(self) -> None:
        from tcmcounty.reporting import plotting

        self.plotting = plotting
        self.inner = plotting.figure_png
        self.seconds = 0.0

    def __enter__(self) -> _PngTimer:
        def timed(*args: object, **kw: object) -> bytes:
            t = time.process_time()
            try:
                return self.inner(*args, **kw)  # type: ignore[arg-type]
            finally:
                self.seconds += time.process_time() - t

        self.plotting.figure_png = timed  # type: ignore[assignment]
        return self

    def __exit__(self, *exc: object) -> None:
        self.plotting.figure_png = self.inner  # type: ignore[assignment]


def views(paths: list[Path]) -> list[object]:
    """One county view (results computed, nothing drawn) per county."""
    from tcmcounty.reporting import results as R
    from tcmcounty.reporting.county_view import CountyView
    from tcmcounty.reporting.parameters import ReportParameters

    out = []
    for p in paths:
        params = ReportParameters.from_raw(county=str(p))
        res = R.load_results(params.county, strict=False, **params.results_args())
        out.append(CountyView(params, res))
    return out


def draw(view: object, name: str) -> tuple[float, float, int]:
    """CPU seconds to draw one figure of a view the way its report does, png share, bytes."""
    with _PngTimer() as png:
        t = time.process_time()
        data = view._draw(name)  # type: ignore[attr-defined]  # the report's own drawing step
        total = time.process_time() - t
    return total, png.seconds, len(data or b"")


def first_time(view: object, other: object) -> dict[str, tuple[float, float, int]]:
    """Draw ``view``'s figures as a warm worker that never drew this county does."""
    from tcmcounty.reporting import plotting

    clear = getattr(plotting, "clear_caches", None)
    if clear is not None:
        clear()
    for name in other.FIGURES:  # type: ignore[attr-defined]
        draw(other, name)
    return {name: draw(view, name) for name in view.FIGURES}  # type: ignore[attr-defined]


def pngs(paths: list[Path]) -> dict[str, bytes]:
    """Every figure of each county, as its report draws it, named ``<county>-<figure>.png``."""
    out = {}
    for v in views(paths):
        for name in v.FIGURES:  # type: ignore[attr-defined]
            data = v._draw(name)  # type: ignore[attr-defined]
            if data:
                out[f"{Path(v.params.county).name}-{name}.png"] = data  # type: ignore[attr-defined]
    return out


def compare(ours: dict[str, bytes], folder: Path) -> str:
    """Largest channel difference and differing pixels of each PNG against ``folder``'s."""
    import io

    import numpy as np
    from PIL import Image

    def pixels(data: bytes) -> np.ndarray:
        with Image.open(io.BytesIO(data)) as im:
            return np.asarray(im.convert("RGB")).astype(int)

    lines = [
        "| PNG | max difference | pixels differing | KB (theirs -> ours) |",
        "|---|---|---|---|",
    ]
    for name, data in sorted(ours.items()):
        theirs = folder / name
        if not theirs.is_file():
            lines.append(f"| {name} | (not in {folder}) | | |")
            continue
        a, b = pixels(data), pixels(theirs.read_bytes())
        if a.shape != b.shape:
            lines.append(
                f"| {name} | size {a.shape[1]}x{a.shape[0]} vs {b.shape[1]}x{b.shape[0]} | | |"
            )
            continue
        diff = np.abs(a - b).max(axis=2)
        kb = f"{theirs.stat().st_size / 1024:.0f} -> {len(data) / 1024:.0f}"
        lines.append(f"| {name} | {diff.max()} | {int((diff > 0).sum())} | {kb} |")
    return "\n".join(lines)


def measure(paths: list[Path], warm: Path, repeat: int, gc_freeze: bool = False) -> list[dict]:
    import gc

    rows = []
    (other,) = views([warm])
    loaded = views(paths)
    if gc_freeze:  # what a worker can do once warm: the collector skips what is loaded
        gc.collect()
        gc.freeze()
    for v in loaded:
        row: dict = {"county": Path(v.params.county).name, "villages": len(v.county.villages)}  # type: ignore[attr-defined]
        runs = [first_time(v, other) for _ in range(repeat)]
        for name in v.FIGURES:  # type: ignore[attr-defined]
            best = min(r[name] for r in runs)
            row[name] = (best[0] * 1000, best[1] * 1000, best[2]) if best[2] else None
        # a figure that is not drawn must not read as "0 ms": say it, and why
        why = "; ".join(f"{k}: {m.splitlines()[0]}" for k, m in v.res.unavailable.items())  # type: ignore[attr-defined]
        row["not drawn"] = [
            f"{row['county']}: {n} not drawn ({why or 'no data for it'})"
            for n in v.FIGURES  # type: ignore[attr-defined]
            if row[n] is None
        ]
        rows.append(row)
    return rows


def cold(path: Path) -> float:
    """CPU seconds of a fresh process drawing one county's figures (imports excluded)."""
    code = (
        "import time, sys\n"
        f"sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "import bench_figures as B\n"
        "from pathlib import Path\n"
        f"v = B.views([Path({str(path)!r})])[0]\n"
        "t = time.process_time()\n"
        "for n in v.FIGURES: v._draw(n)\n"
        "print(time.process_time() - t)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=ROOT
    )
    return float(out.stdout.strip().splitlines()[-1])


def table(rows: list[dict], figures: tuple[str, ...]) -> str:
    head = (
        "| county | villages | "
        + " | ".join(f"{f} ms (png)" for f in figures)
        + " | total ms | PNG KB |"
    )
    lines = [head, "|" + "---|" * (len(figures) + 4)]
    for r in rows:
        drawn = [r[f] for f in figures if r[f] is not None]
        cells = [f"{r[f][0]:.0f} ({r[f][1]:.0f})" if r[f] else "—" for f in figures]
        total = sum(d[0] for d in drawn)
        kb = sum(d[2] for d in drawn) / 1024
        lines.append(
            f"| {r['county']} | {r['villages']} | "
            + " | ".join(cells)
            + f" | {total:.0f} | {kb:.0f} |"
        )
    means = [
        statistics.mean(ms) if (ms := [r[f][0] for r in rows if r[f]]) else None for f in figures
    ]
    lines.append(
        "| **mean** | | "
        + " | ".join(f"{m:.0f}" if m is not None else "—" for m in means)
        + f" | **{sum(m for m in means if m is not None):.0f}** | |"
    )
    notes = [n for r in rows for n in r["not drawn"]]
    return "\n".join(lines + ([""] + [f"- {n}" for n in notes] if notes else []))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--synthetic", type=int, default=3, help="synthetic counties (default 3)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--repeat", type=int, default=3, help="timed runs per figure (fastest kept)")
    ap.add_argument("--no-cold", action="store_true", help="skip the fresh-process run")
    ap.add_argument(
        "--gc-freeze",
        action="store_true",
        help="gc.freeze() once the counties are loaded (as a warm worker could)",
    )
    ap.add_argument("--save", type=Path, help="write the timed counties' PNGs to this folder")
    ap.add_argument("--compare", type=Path, help="compare the PNGs with those in this folder")
    args = ap.parse_args(argv)

    from tcmcounty import synth
    from tcmcounty.reporting.county_view import CountyView

    paths = [ROOT / "data" / "counties" / name for name in BUNDLED]
    with tempfile.TemporaryDirectory() as tmp:
        if args.synthetic:
            paths += synth.make_many(args.synthetic, Path(tmp) / "timed", seed=args.seed)
        taken, seed = {p.name for p in paths}, args.seed + 1000
        while True:  # a county not among the timed ones
            (warm,) = synth.make_many(1, Path(tmp) / f"warm{seed}", seed=seed)
            if warm.name not in taken:
                break
            seed += 1
        rows = measure(paths, warm, args.repeat, gc_freeze=args.gc_freeze)
        print(
            f"Figures of a county report, CPU ms per county (fastest of {args.repeat}; a warm process "
            f"that has drawn another county ({warm.name}) but not this one; "
            "png = drawing + encoding in figure_png"
            + ("; gc.freeze() after loading" if args.gc_freeze else "")
            + "):\n"
        )
        print(table(rows, CountyView.FIGURES))
        if args.save or args.compare:
            drawn = pngs(paths)  # (after the timing: a fresh view of each county)
            if args.save:
                args.save.mkdir(parents=True, exist_ok=True)
                for name, data in drawn.items():
                    (args.save / name).write_bytes(data)
                print(f"\n{len(drawn)} PNGs written to {args.save}")
            if args.compare:
                print(f"\nAgainst the PNGs in {args.compare}:\n")
                print(compare(drawn, args.compare))
        if not args.no_cold:
            print(f"\nCold process, first county ({paths[0].name}): {cold(paths[0]) * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
