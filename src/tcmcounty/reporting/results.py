"""Everything a county report shows, computed once per county and cached by input hash.

:func:`compute_results` runs the analyses (indicators, coverage, alliance coverage,
accessibility, equity, 中医阁 siting) for one county; :func:`load_results` returns them from
a cache folder when the county's files, the parameters and the library are unchanged, and
computes and stores them otherwise. A batch computes the results in its worker processes
(where the library is already imported) so the notebook kernel only loads and draws them.

The cache is a folder of files named by a SHA-256 key (see :func:`results_key`), each a pickle
behind an HMAC-SHA256 signature made with a per-user secret (mode 0600 in the user's cache
folder). A pickle can run code when loaded, so nothing is unpickled unless its signature
matches, i.e. this user's tcmcounty wrote it, and the file and its folder belong to the user
and are writable by nobody else. Why a signed pickle rather than a data-only format (JSON,
``.npz`` with ``allow_pickle=False``): the results hold GeoDataFrames, coverage and siting
objects of several modules, and a second serialisation of each would drift from the classes;
the signature gives the same guarantee (no file from anyone else is ever loaded) and also
catches corruption before loading. An entry that does not load — truncated, corrupted,
unsigned, another version — is discarded and recomputed, with a note in the report's record
(:attr:`CountyResults.cache_notes`); it is never an error.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import pickle
import stat
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from tcmcounty.county import STATUSES, County
from tcmcounty.errors import TcmCountyError
from tcmcounty.inputs.load import EXCEL_SUFFIXES, load_county, resolve
from tcmcounty.io import atomic_path
from tcmcounty.plans import CountyPlan, Milestone, county_plan  # noqa: F401  (re-exported)
from tcmcounty.reporting.cachekeys import (  # noqa: F401  (re-exported)
    RESULTS_FORMAT,
    code_hash,
    file_hash,
    inputs_hash,
    results_key,
    travel_key,
)
from tcmcounty.reporting.model import (  # noqa: F401  (CountyResults re-exported)
    CountyResults,
    met_series,
    plain_value,
    row_cells,
)
from tcmcounty.reporting.parameters import (  # noqa: F401  (re-exported)
    DEFAULT_THRESHOLDS_KM,
    POPULATIONS,
    ReportParameters,
    normalise_thresholds,
    parse_report_date,
)

#: Service levels shown in the coverage section, in order.
COVERAGE_LEVELS: tuple[str, ...] = ("any_tcm", "pavilion", "tcm_clinic", "hall", "tcm_hospital")


# ------------------------------------------------------------------------------- analyses


def missing_coordinates(county: County) -> str | None:
    """Say why distances cannot be computed (no village or no facility has coordinates), or ``None``.

    A planner's first workbook often has no coordinates yet; the report then shows everything
    that needs no distance and names what to add.

    Examples
    --------
    >>> import tcmcounty
    >>> missing_coordinates(tcmcounty.load_county("wenxi", warn=False)) is None
    True
    """
    gaps = []
    for table, zh in ((county.villages, "村/社区"), (county.facilities, "医疗机构")):
        lon = pd.to_numeric(table["lon"], errors="coerce")
        lat = pd.to_numeric(table["lat"], errors="coerce")
        if not (lon.notna() & lat.notna()).any():
            gaps.append(((table is county.villages and "villages") or "facilities", zh))
    if not gaps:
        return None
    en = " and ".join(g[0] for g in gaps)
    zh = "和".join(g[1] for g in gaps)
    return (
        f"no coordinates in the {en} table: add 经度/纬度 (lon/lat) to compute distances, "
        f"coverage and sites / {zh}表没有坐标：请填写经度、纬度后再计算距离、覆盖和选址"
    )


#: Errors a report step is expected to raise on unusual inputs: the library's own errors and
#: those of pandas / numpy / scipy on degenerate tables (empty, all-NA, singular, wrong dtype).
STEP_ERRORS: tuple[type[BaseException], ...] = (
    TcmCountyError,
    ValueError,
    KeyError,
    TypeError,
    IndexError,
    ArithmeticError,
)

#: The fields of :class:`CountyResults` each step fills (cleared when the step fails, so a
#: section never shows half of a step's results).
STEP_FIELDS: dict[str, tuple[str, ...]] = {
    "indicators": ("indicators", "indicators_by_township", "appendix"),
    "coverage": ("nearest", "alliance"),
    "access": ("access", "equity"),
    "plan": ("plan",),
    "travel": ("travel",),
    "worklists": ("worklists",),
}


def _run_step(res: CountyResults, name: str, fn: Callable[[CountyResults], None]) -> None:
    """Run one analysis step, timing it; a failing step records why in ``res.unavailable``.

    The other steps still run and the report shows every other section: a report section is
    display-only (nothing downstream reads a step's results but the view), so recording the
    failure instead of raising loses no data and hides nothing, as the reason is printed in
    the section and in the data-quality section.
    """
    t0 = time.perf_counter()
    try:
        fn(res)
    except STEP_ERRORS as exc:
        _step_failed(res, name, str(exc) or type(exc).__name__)
    except Exception as exc:  # unexpected, but display-only (see above): recorded, not hidden
        _step_failed(res, name, f"{type(exc).__name__}: {exc}")
    finally:
        res.seconds[name] = round(time.perf_counter() - t0, 4)


def _step_failed(res: CountyResults, name: str, reason: str) -> None:
    """Clear the fields ``name`` fills and record ``reason`` as why its sections are missing."""
    for f in STEP_FIELDS.get(name, ()):
        setattr(res, f, None)
    if name == "coverage":
        res.coverage = {}
    res.unavailable[name] = reason


def _indicators(res: CountyResults) -> None:
    from tcmcounty import indicators

    targets = res.targets or None
    res.indicators = indicators.compute(res.county, population=res.population, targets=targets)
    res.indicators_by_township = indicators.compute(
        res.county, population=res.population, targets=targets, by="township"
    )
    res.appendix = indicators.appendix(target_set=targets)


def _coverage(res: CountyResults) -> None:
    from tcmcounty.spatial import coverage as mod

    c = res.county
    res.nearest = mod.nearest_service(c, levels=tuple(lv for lv in COVERAGE_LEVELS))
    for lv in COVERAGE_LEVELS:
        res.coverage[lv] = mod.cumulative_coverage(c, thresholds=list(res.thresholds_km), level=lv)
    # T-YLT's rule, denominator, population base and target set (one figure everywhere)
    res.alliance = mod.alliance_coverage(c, population=res.population, targets=res.targets or None)


#: Accessibility settings of the report: E2SFCA with Gaussian decay, TCM physicians as supply.
ACCESS_SETTINGS: dict[str, Any] = {
    "method": "e2sfca",
    "decay": "gaussian",
    "capacity": "tcm_physicians",
    "radius": "10km",
}


def _access(res: CountyResults) -> None:
    from tcmcounty.spatial.access import spatial_access

    res.access = spatial_access(res.county, **ACCESS_SETTINGS)
    res.equity = res.access.equity()


def _plan(res: CountyResults) -> None:
    from tcmcounty.spatial.plan import plan_sites

    res.plan = plan_sites(res.county, compare_optimal=False)


def _travel(res: CountyResults) -> None:
    if not res.travel_args:
        return
    from tcmcounty.spatial.travel.report import travel_coverage

    a = res.travel_args
    res.travel = travel_coverage(
        res.county, roads=a.get("roads"), friction=a.get("friction"), mode=a.get("mode", "walk")
    )


def _worklists(res: CountyResults) -> None:
    from tcmcounty.reporting.worklists import build_worklists

    res.worklists = build_worklists(res)


def compute_results(
    county: County | str | os.PathLike[str],
    *,
    population: str = "resident",
    thresholds_km: object = None,
    targets: str | os.PathLike[str] | None = None,
    key: str | None = None,
    roads: str | os.PathLike[str] | None = None,
    friction: str | os.PathLike[str] | None = None,
    mode: str = "walk",
) -> CountyResults:
    """Compute every analysis of a county report.

    Parameters
    ----------
    county : County, str or path
        A loaded county, or anything :func:`tcmcounty.load_county` accepts.
    population : {"resident", "registered"}
        Population basis of per-capita indicators.
    thresholds_km : sequence of float, optional
        Coverage thresholds in km (default :data:`DEFAULT_THRESHOLDS_KM`).
    targets : path, optional
        A targets file for :func:`tcmcounty.indicators.compute` (default: the registry's).
    key : str, optional
        Cache key to store on the result (computed when omitted).
    roads, friction : path, optional
        A road layer or friction raster: coverage in minutes too (``results.travel``).
    mode : {"walk", "motor"}
        Travel mode over ``roads``.

    Returns
    -------
    CountyResults

    Raises
    ------
    InputError, CountyNotFoundError
        If the county cannot be loaded.
    ReportError
        If a parameter is invalid.
    """
    checked = _check(population, thresholds_km, targets, roads, friction, mode)
    return _compute(county, checked, key)


def _check(
    population: object,
    thresholds_km: object,
    targets: object,
    roads: object,
    friction: object,
    mode: object,
) -> ReportParameters:
    """Check the library's keyword arguments (the edge of :func:`compute_results` and ``load_results``)."""
    return ReportParameters.from_raw(
        population=population,
        thresholds_km=thresholds_km,
        targets=targets,
        require_county=False,
        roads=roads,
        friction=friction,
        mode=mode,
    )


def _compute(
    county: County | str | os.PathLike[str], checked: ReportParameters, key: str | None
) -> CountyResults:
    """Compute a county's results with checked parameters (:func:`compute_results`)."""
    population, ths, targets = checked.population, checked.thresholds_km, checked.targets
    travel_args = checked.travel_args()
    load_warnings: list[str] = []
    if not isinstance(county, County):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            county = load_county(county)
        load_warnings = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    if key is None:
        inputs = inputs_hash(county.path) if county.path is not None else county.fingerprint()
        key = results_key(
            inputs,
            population=population,
            thresholds_km=ths,
            targets_hash=file_hash(targets),
            travel=travel_key(travel_args),
        )
    res = CountyResults(
        key=key,
        county=county,
        population=population,
        thresholds_km=ths,
        targets=str(targets) if targets else None,
        load_warnings=load_warnings,
        travel_args=travel_args,
    )
    from tcmcounty.memo import reuse_membership

    with warnings.catch_warnings(record=True) as caught, reuse_membership():
        warnings.simplefilter("always")
        missing = missing_coordinates(county)
        for name, fn in (
            ("indicators", _indicators),
            ("coverage", _coverage),
            ("access", _access),
            ("plan", _plan),
            ("travel", _travel),
            ("worklists", _worklists),  # last: built from the other steps' results
        ):
            if name == "travel" and not travel_args:
                continue
            if missing and name not in ("indicators", "worklists"):
                res.unavailable[name] = missing
                continue
            _run_step(res, name, fn)
    seen = set(load_warnings)
    for w in caught:
        msg = str(w.message)
        if issubclass(w.category, UserWarning) and msg not in seen:
            seen.add(msg)
            res.load_warnings.append(msg)
    return res


# ------------------------------------------------------------------------------- cache

#: First bytes of a cache file: the format, then the HMAC-SHA256 of the pickle that follows.
CACHE_MAGIC = b"tcmcounty-results-v2\n"
#: A cache file larger than this is not read (a corrupted length must not exhaust memory).
CACHE_MAX_BYTES = 1 << 30
_KEY_FILE = "results-cache.key"


def _cache_secret() -> bytes | None:
    """Return this user's secret for signing cache files, creating it once (``None`` if impossible).

    Kept in ``$XDG_CACHE_HOME/tcmcounty/results-cache.key`` (32 random bytes, mode 0600); a
    file that is not ours, is readable by others, or has the wrong length is not used.
    """
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "tcmcounty"
    path = root / _KEY_FILE
    try:
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as f:
                f.write(os.urandom(32))
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb") as f:
            st = os.fstat(f.fileno())
            secret = f.read(64)
    except OSError:
        return None
    if hasattr(os, "getuid") and (st.st_uid != os.getuid() or st.st_mode & 0o077):
        return None
    return secret if len(secret) == 32 else None


def _signature(secret: bytes, payload: bytes) -> bytes:
    return hmac.new(secret, payload, hashlib.sha256).digest()


def _owned_privately(path: Path) -> bool:
    """Check that ``path`` and its folder belong to us and nobody else can write them."""
    if not hasattr(os, "getuid"):  # pragma: no cover - Windows: rely on the folder's ACL
        return True
    for p in (path, path.parent):
        st = p.lstat()
        if (
            stat.S_ISLNK(st.st_mode)
            or st.st_uid != os.getuid()
            or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
        ):
            return False
    return True


def cache_file(cache_dir: str | os.PathLike[str], key: str) -> Path:
    """Path of the cached results for ``key`` inside ``cache_dir``."""
    return Path(cache_dir) / f"{key}.pkl"


def save_results(res: CountyResults, cache_dir: str | os.PathLike[str]) -> Path | None:
    """Store ``res`` in ``cache_dir`` atomically (folder created private); return the file.

    The file is the pickle of ``res`` behind :data:`CACHE_MAGIC` and an HMAC-SHA256 made with
    a secret only this user can read (:func:`_cache_secret`); :func:`read_cached` unpickles
    nothing whose signature does not match. Returns ``None`` (nothing cached) when there is no
    secret to sign with, e.g. a read-only home folder.
    """
    d = Path(cache_dir)
    if d.is_symlink():
        raise TcmCountyError(
            f"refusing to write the results cache: {d} is a symbolic link; remove it and run again"
            " / 缓存目录是符号链接，请删除后重试"
        )
    secret = _cache_secret()
    if secret is None:
        return None
    d.mkdir(parents=True, exist_ok=True, mode=0o700)
    payload = pickle.dumps(replace(res, cache_notes=[]), protocol=pickle.HIGHEST_PROTOCOL)
    target = cache_file(d, res.key)
    with atomic_path(target) as tmp:
        with open(tmp, "wb") as f:
            f.write(CACHE_MAGIC + _signature(secret, payload) + payload)
        os.chmod(tmp, 0o600)
    return target


def _read_entry(path: Path, key: str) -> tuple[CountyResults | None, str]:
    """Return the cached results in ``path`` and ``""``, or ``None`` and why it did not load."""
    if not _owned_privately(path):
        return None, "the file or its folder is not ours alone"
    size = path.stat().st_size
    if size > CACHE_MAX_BYTES:
        return None, f"{size / 2**20:.0f} MB is too large"
    secret = _cache_secret()
    if secret is None:
        return None, "no cache secret to check it with"
    with open(path, "rb") as f:
        data = f.read(CACHE_MAX_BYTES + 1)
    head = len(CACHE_MAGIC) + 32
    if not data.startswith(CACHE_MAGIC) or len(data) < head:
        return None, "not a cache file of this version"
    payload = data[head:]
    if not hmac.compare_digest(data[len(CACHE_MAGIC) : head], _signature(secret, payload)):
        return None, "its signature does not match (corrupted, or not written by this user)"
    try:
        res = pickle.loads(payload)
    except (Exception, MemoryError, RecursionError) as exc:  # signed, yet written by another build
        return None, f"{type(exc).__name__} while loading"
    if not isinstance(res, CountyResults) or res.key != key:
        return None, "it holds other results"
    return res, ""


def _read_cached(
    cache_dir: str | os.PathLike[str] | None, key: str
) -> tuple[CountyResults | None, str]:
    """Return the cached results (or ``None``) and a note when an entry was there but unusable."""
    if not cache_dir or Path(cache_dir).is_symlink():
        return None, ""
    p = cache_file(cache_dir, key)
    try:
        if not p.is_file():
            return None, ""
        res, why = _read_entry(p, key)
    except OSError as exc:
        res, why = None, f"{exc.strerror or exc}"
    if res is not None:
        return res, ""
    return None, (
        f"results cache entry {p.name} did not load ({why}); discarded and recomputed "
        "/ 结果缓存无法读取，已丢弃并重新计算"
    )


def read_cached(cache_dir: str | os.PathLike[str] | None, key: str) -> CountyResults | None:
    """Return the cached results for ``key``, or ``None`` (missing, unsafe, unsigned or corrupt).

    Never raises and never unpickles a file whose HMAC does not match (see :func:`save_results`).
    """
    return _read_cached(cache_dir, key)[0]


_HANDED: dict[tuple[str, ...], CountyResults] = {}


def _handed_key(
    path: str | os.PathLike[str],
    population: str,
    thresholds_km: Sequence[float],
    targets: object,
    travel_args: dict[str, Any] | None,
) -> tuple[str, ...]:
    """Return what handed-over results are matched on: the input and every parameter used.

    Examples
    --------
    >>> a = _handed_key("anyue", "resident", (1.0, 5.0), None, {})
    >>> a == _handed_key("anyue", "resident", [1.0, 5.0], "", None)
    True
    >>> a == _handed_key("anyue", "resident", (1.0, 5.0), None, {"roads": "r.gpkg", "mode": "walk"})
    False
    """
    travel = json.dumps(travel_args or {}, sort_keys=True, default=str)
    return (
        str(resolve(path)),
        population,
        json.dumps([float(t) for t in thresholds_km]),
        str(targets or ""),
        travel,
    )


@contextlib.contextmanager
def handed_over(
    items: Sequence[tuple[str | os.PathLike[str], CountyResults]],
) -> Iterator[None]:
    """Within the block, :func:`load_results` returns these results without reading anything.

    The batch worker computes a county's results, then executes its report notebook in the
    same process (:mod:`tcmcounty.run.engine`): the notebook's ``load_results`` call gets the
    very object the worker holds instead of reading the cache back. ``items`` pairs each
    input path with its results; they are matched on the path and the parameters the
    results were computed with, and forgotten when the block ends.
    """
    keys = []
    for path, res in items:
        k = _handed_key(path, res.population, res.thresholds_km, res.targets, res.travel_args)
        _HANDED[k] = res
        keys.append(k)
    try:
        yield
    finally:
        for k in keys:
            _HANDED.pop(k, None)


def load_results(
    county: str | os.PathLike[str],
    *,
    population: str = "resident",
    thresholds_km: object = None,
    targets: str | os.PathLike[str] | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    strict: bool = True,
    roads: str | os.PathLike[str] | None = None,
    friction: str | os.PathLike[str] | None = None,
    mode: str = "walk",
) -> CountyResults:
    """Return a county's results from ``cache_dir`` if up to date, else compute (and cache) them.

    Parameters are those of :func:`compute_results`; ``county`` is a path or a bundled
    county's name. With ``cache_dir=None`` nothing is cached. The cache key covers the
    inputs, the parameters and the package version; with ``strict`` (the default) results
    computed by a different build of the library (:func:`code_hash`) are recomputed too. A
    report kernel reads with ``strict=False``: the batch worker has just computed the file.
    A cache entry that does not load (corrupt, unsigned, not ours) is discarded and the
    results recomputed, never an error; ``cache_notes`` of the result says so.
    """
    checked = _check(population, thresholds_km, targets, roads, friction, mode)
    return _load(resolve(county), checked, cache_dir, strict)


def results_for(
    params: ReportParameters,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    strict: bool = True,
) -> CountyResults:
    """Return the results of ``params.county`` with checked parameters, as :func:`load_results` does.

    The typed way in: the parameters were checked where they came in
    (:meth:`~tcmcounty.reporting.parameters.ReportParameters.from_raw`), so they are not
    checked again.

    Parameters
    ----------
    params : ReportParameters
        The county and its report's parameters.
    cache_dir : path, optional
        Results cache folder (default ``params.results_dir``; ``None`` for both: no cache).
    strict : bool
        As in :func:`load_results`.

    Returns
    -------
    CountyResults

    Examples
    --------
    >>> from tcmcounty.reporting.parameters import ReportParameters
    >>> res = results_for(ReportParameters.from_raw("wenxi", thresholds_km=[2, 5]))
    >>> res.thresholds_km, res.county.adcode
    ((2.0, 5.0), '140823')
    """
    cache = cache_dir if cache_dir is not None else params.results_dir
    return _load(resolve(params.county), params, cache, strict)


def _load(
    path: Path,
    checked: ReportParameters,
    cache_dir: str | os.PathLike[str] | None,
    strict: bool,
) -> CountyResults:
    """Load or compute (and cache) ``path``'s results with checked parameters (:func:`load_results`)."""
    population, ths, targets = checked.population, checked.thresholds_km, checked.targets
    travel_args = checked.travel_args()
    handed = _HANDED.get(_handed_key(path, population, ths, targets, travel_args))
    if handed is not None:
        return handed
    key = results_key(
        inputs_hash(path),
        population=population,
        thresholds_km=ths,
        targets_hash=file_hash(targets),
        travel=travel_key(travel_args),
    )
    cached, note = _read_cached(cache_dir, key)
    if cached is not None and (not strict or cached.library_build == code_hash()):
        return cached
    if note and cache_dir:
        with contextlib.suppress(OSError):
            cache_file(cache_dir, key).unlink()
    res = _compute(path, checked, key)
    if note:
        res.cache_notes.append(note)
    if cache_dir:
        try:
            save_results(res, cache_dir)
        except OSError as exc:  # a cache that cannot be written only costs time
            res.cache_notes.append(f"results not cached ({exc.strerror or exc}) / 结果未能写入缓存")
    return res


def is_county_input(path: str | os.PathLike[str]) -> bool:
    """Tell whether ``path`` is a bundle folder (has ``county.toml``) or an Excel workbook."""
    p = Path(path)
    return (p.is_dir() and (p / "county.toml").is_file()) or (
        p.is_file() and p.suffix.lower() in EXCEL_SUFFIXES
    )


# ------------------------------------------------------------------------------- plans


def timetable(plan: CountyPlan, report_date: object = None) -> pd.DataFrame:
    """Milestones of ``plan`` against ``report_date``.

    Returns
    -------
    pandas.DataFrame
        ``phase_zh``, ``phase_en``, ``start``, ``end``, ``state`` (``done``, ``current``,
        ``upcoming``), ``state_zh``, ``days_to_end`` (negative once past) and the tasks.
    """
    day = parse_report_date(report_date)
    rows = []
    for m in plan.milestones:
        state = "done" if day > m.end else ("current" if day >= m.start else "upcoming")
        rows.append(
            {
                "phase_zh": m.phase_zh,
                "phase_en": m.phase_en,
                "start": m.start.isoformat(),
                "end": m.end.isoformat(),
                "state": state,
                "state_zh": {"done": "已过期限", "current": "进行中", "upcoming": "未开始"}[state],
                "days_to_end": (m.end - day).days,
                "tasks_zh": m.tasks_zh,
                "tasks_en": m.tasks_en,
            }
        )
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------- data quality


def estimated_figures(county: County) -> pd.DataFrame:
    """List the population and resource figures that are estimated or synthetic, with their method."""
    rows = []
    for group, entries in (("population", county.population), ("resources", county.resources)):
        for key, entry in entries.items():
            for kind, fig in (("official", entry.official), ("estimate", entry.estimate)):
                if fig is not None and fig.status != "official":
                    rows.append(
                        {
                            "group": group,
                            "key": key,
                            "value": fig.value,
                            "status": fig.status,
                            "year": fig.year,
                            "source": fig.source,
                            "method": fig.method,
                            "kept_apart": kind == "estimate",
                        }
                    )
    return pd.DataFrame(
        rows, columns=["group", "key", "value", "status", "year", "source", "method", "kept_apart"]
    )


def status_table(county: County) -> pd.DataFrame:
    """Count figures and rows by data status, per table."""
    rows: list[dict[str, object]] = []
    for name, table, cols in (
        ("townships", county.townships, ("location_status", "population_status")),
        ("villages", county.villages, ("location_status", "population_status")),
        ("facilities", county.facilities, ("status",)),
        ("alliances", county.alliances, ("status",)),
    ):
        for col in cols:
            if col in table:
                vc = table[col].value_counts()
                rows.append(
                    {
                        "table": name,
                        "column": col,
                        **{s: int(vc.get(s, 0)) for s in STATUSES},
                        "not_reported": int(table[col].isna().sum()),
                    }
                )
    return pd.DataFrame(rows, columns=["table", "column", *STATUSES, "not_reported"])


# ------------------------------------------------------------------------------- report tables


def facility_shares(county: County) -> pd.DataFrame:
    """Per township (and a final county row): TCM service shares of facilities.

    Columns ``township_code``, ``township``, ``n_centres`` (township / community health
    centres), ``hall_share`` (of them, with a 中医馆), ``n_clinics`` (village clinics and
    community health stations), ``tcm_clinic_share`` (providing TCM) and ``pavilion_share``
    (with a 中医阁). Shares are NaN where a township has no facility of the kind.
    """
    from tcmcounty.services import TOWNSHIP_LEVEL_TYPES, VILLAGE_LEVEL_TYPES, service_mask

    f = county.facilities
    types = f["type"].astype(str)
    centre = types.isin(TOWNSHIP_LEVEL_TYPES).to_numpy()
    clinic = types.isin(VILLAGE_LEVEL_TYPES).to_numpy()
    hall = service_mask(f, "hall")
    tcm = service_mask(f, "tcm_clinic")
    pav = service_mask(f, "pavilion")
    codes = f["township_code"].astype("string").fillna("").to_numpy()

    def row(mask: Any, code: str, name: str) -> dict[str, Any]:
        nc, nk = int((mask & centre).sum()), int((mask & clinic).sum())
        return {
            "township_code": code,
            "township": name,
            "n_centres": nc,
            "hall_share": (hall & mask & centre).sum() / nc if nc else float("nan"),
            "n_clinics": nk,
            "tcm_clinic_share": (tcm & mask & clinic).sum() / nk if nk else float("nan"),
            "pavilion_share": (pav & mask & clinic).sum() / nk if nk else float("nan"),
        }

    rows = [
        row(codes == str(code), str(code), str(name))
        for code, name in zip(county.townships["code"], county.townships["name"], strict=True)
    ]
    rows.append(row(codes == codes, "", "全县 county"))
    return pd.DataFrame(rows)


def coverage_by_township(res: CountyResults, level: str = "any_tcm") -> pd.DataFrame:
    """Return population coverage per township at each threshold, with a final county row."""
    cov = res.coverage[level]
    t = cov.table("township")
    c = cov.table("county").rename(columns={"county": "name"})
    c["name"] = "全县 county"
    c["township_code"] = ""
    return pd.concat([t, c[t.columns.intersection(c.columns)]], ignore_index=True)


def plan_sites_points(res: CountyResults) -> Any:
    """Recommended 中医阁 sites as points (rank, facility id and name), or ``None``."""
    import geopandas as gpd

    plan = res.plan
    if plan is None or not len(plan.table):
        return None
    f = res.county.facilities.set_index(res.county.facilities["id"].astype(str))
    ids = plan.table["facility_id"].astype(str)
    # (.loc takes an array of labels; the stubs know integer and boolean arrays only)
    pts = f.loc[ids.to_numpy()].reset_index(drop=True)  # type: ignore[index]
    return gpd.GeoDataFrame(
        {
            "rank": plan.table["rank"].to_numpy(),
            "id": ids.to_numpy(),
            "name": pts["name"].to_numpy(),
        },
        geometry=pts.geometry.to_numpy(),
        crs=f.crs,
    )


def covered_by_pavilions(res: CountyResults) -> Any:
    """Per village: within the plan's radius of an existing 中医阁 (bool array), or ``None``."""
    import numpy as np

    if (
        res.plan is None
        or res.nearest is None
        or "pavilion_km" not in res.nearest
        or res.plan.unit != "m"
    ):
        return None
    d = res.nearest["pavilion_km"].to_numpy(dtype=float)
    return np.isfinite(d) & (d <= res.plan.radius / 1000.0)


def _short(res: CountyResults) -> str:
    return res.county.name_zh or res.county.adcode


def compare_indicators(results: Sequence[CountyResults]) -> pd.DataFrame | None:
    """Put the indicators of several counties side by side (``<name> value``, ``met``, ``status``)."""
    frames = [r.indicators for r in results if r.indicators is not None]
    if not frames:
        return None
    keep = [
        c for c in ("id", "name_zh", "name_en", "target", "target_grade", "area") if c in frames[0]
    ]
    base = frames[0][keep].copy()
    for r in results:
        ind = r.indicators
        n = _short(r)
        if ind is None:
            continue
        m = ind.set_index("id")
        col = "value_text" if "value_text" in m else "value"
        base[f"{n} value"] = base["id"].map(m[col])
        base[f"{n} met"] = base["id"].map(m["met"]) if "met" in m else pd.NA
        base[f"{n} status"] = base["id"].map(m["input_status"]) if "input_status" in m else pd.NA
    return base


def distance_series(
    results: Sequence[CountyResults], column: str = "any_tcm_km"
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Village distances (``column`` of ``nearest``) and populations per county, for ECDFs."""
    series, weights = {}, {}
    for r in results:
        if r.nearest is not None and column in r.nearest:
            series[_short(r)] = r.nearest[column].to_numpy(dtype=float)
            weights[_short(r)] = pd.to_numeric(r.nearest["population"], errors="coerce").to_numpy(
                dtype=float
            )
    return series, weights


def common_vmax(series: dict[str, Any], q: float = 98.0) -> float:
    """Return a colour-scale maximum shared by several counties (the ``q``-th percentile, km)."""
    import numpy as np

    vals = (
        np.concatenate([np.asarray(v, dtype=float) for v in series.values()])
        if series
        else np.array([])
    )
    vals = vals[np.isfinite(vals)]
    return float(np.percentile(vals, q)) if len(vals) else 1.0


def compare_coverage(
    results: Sequence[CountyResults], level: str = "any_tcm"
) -> pd.DataFrame | None:
    """Share of residents within each threshold of a service level, one row per county."""
    rows = []
    for r in results:
        cov = r.coverage.get(level)
        if cov is None:
            continue
        c = cov.table("county").iloc[0]
        rows.append(
            {
                "county": _short(r),
                **{f"≤ {t.label}": c[f"covered_share_{t.label}"] for t in cov.thresholds},
            }
        )
    return pd.DataFrame(rows) if rows else None


def compare_caveats(results: Sequence[CountyResults]) -> pd.DataFrame:
    """Denominators and data status per county (for the comparison's caveats)."""
    rows = []
    for r in results:
        c = r.county
        pop = c.figure(r.population)
        rows.append(
            {
                "county": _short(r),
                "population": pop.value if pop else None,
                "population_year": pop.year if pop else None,
                "population_status": pop.status if pop else None,
                **c.status_counts(),
                "villages": len(c.villages),
                "facilities": len(c.facilities),
            }
        )
    return pd.DataFrame(rows)
