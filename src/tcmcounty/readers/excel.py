"""Reading a planner's Excel workbook with Chinese sheet and column names."""

from __future__ import annotations

import zipfile
from pathlib import Path

from tcmcounty.readers.cells import cell_text, is_missing, parse_number
from tcmcounty.readers.raw import RawBundle
from tcmcounty.schema import COUNTY_SHEET, COUNTY_SHEET_ALIASES, TABLES, normalise_header

MAX_UNCOMPRESSED = 500 * 1024 * 1024  # xlsx bombs: refuse before parsing
MAX_RATIO = 200

#: Rows of the 县基本情况 sheet: (key in county.toml, Chinese label).
COUNTY_FIELDS: tuple[tuple[str, str], ...] = (
    ("adcode", "县代码"),
    ("name_zh", "县名称"),
    ("name_en", "英文名称"),
    ("province", "省份"),
    ("city", "地市"),
    ("reference_year", "基准年份"),
    ("population.resident", "常住人口"),
    ("population.registered", "户籍人口"),
    ("resources.beds", "床位数"),
    ("resources.physicians", "执业（助理）医师数"),
    ("resources.nurses", "注册护士数"),
    ("resources.public_health_staff", "公共卫生人员数"),
    ("resources.gps", "全科医生数"),
    ("resources.tcm_gps", "合格的中医类别全科医生数"),
    ("resources.tcm_staff", "中医药人员数"),
    ("resources.health_staff", "卫生技术人员数"),
    ("resources.tcm_physicians", "中医类别执业（助理）医师数"),
    ("tcm_hospital.grade", "县中医医院等级"),
    ("tcm_hospital.departments", "县中医医院科室"),
    ("survey.respondents", "满意度调查人数"),
    ("survey.satisfied", "满意人数"),
    ("coordinates.townships", "乡镇坐标系"),
    ("coordinates.villages", "村社区坐标系"),
    ("coordinates.facilities", "医疗机构坐标系"),
)
COUNTY_COLUMNS = ("项目", "数值", "年份", "来源", "状态", "估算值", "估算方法", "说明")
_FIGURE_PREFIXES = ("population.", "resources.")
_SCALAR_META = ("adcode", "name_zh", "name_en", "province", "city")


def _check_zip(path: Path, raw: RawBundle) -> bool:
    try:
        with zipfile.ZipFile(path) as zf:
            total = sum(i.file_size for i in zf.infolist())
            packed = sum(i.compress_size for i in zf.infolist()) or 1
    except zipfile.BadZipFile:
        raw.problem(
            "error", "county", "not an .xlsx workbook (not a zip archive)", "不是 .xlsx 工作簿"
        )
        return False
    if total > MAX_UNCOMPRESSED or total / packed > MAX_RATIO:
        raw.problem(
            "error",
            "county",
            f"workbook refused: it unpacks to {total // 2**20} MB (ratio {total / packed:.0f}:1)",
            f"拒绝读取：解压后 {total // 2**20} MB（压缩比 {total / packed:.0f}:1），疑似压缩炸弹",
        )
        return False
    return True


def read_workbook(path: Path) -> RawBundle:
    """Read a planner's workbook (sheets 县基本情况, 乡镇, 村社区, 医疗机构, 医联体, 数据来源).

    Sheets and headers are matched through the alias table of :mod:`tcmcounty.schema`; the
    result has the same shape as a bundle folder read by
    :func:`~tcmcounty.readers.bundle.read_bundle`.
    """
    from openpyxl import load_workbook

    from tcmcounty.readers.cells import parse_rows

    raw = RawBundle(
        path=path,
        meta={},
        tables={},
        files={},
        sheets={},
        meta_file=path.name,
        meta_sheet=COUNTY_SHEET,
    )
    if not _check_zip(path, raw):
        return raw
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raw.problem("error", "county", f"cannot open the workbook: {exc}", f"无法打开工作簿：{exc}")
        return raw
    sheets = {normalise_header(n): n for n in wb.sheetnames}

    def find(names: tuple[str, ...]) -> str | None:
        for n in names:
            if normalise_header(n) in sheets:
                return sheets[normalise_header(n)]
        return None

    cs = find((COUNTY_SHEET, *COUNTY_SHEET_ALIASES))
    if cs is None:
        raw.problem(
            "error",
            "county",
            f"sheet '{COUNTY_SHEET}' is missing; sheets found: {', '.join(wb.sheetnames)}",
            f"缺少工作表 '{COUNTY_SHEET}'；现有：{'、'.join(wb.sheetnames)}",
        )
    else:
        raw.meta_sheet = cs
        raw.meta = _read_county_sheet([list(r) for r in wb[cs].iter_rows(values_only=True)], raw)
    for name, table in TABLES.items():
        raw.files[name] = path.name
        sheet = find((table.sheet, table.name, *table.sheet_aliases))
        raw.sheets[name] = sheet or table.sheet
        if sheet is None:
            if name != "alliances":
                raw.problem(
                    "error",
                    name,
                    f"sheet '{table.sheet}' ({table.name}) is missing; sheets found: {', '.join(wb.sheetnames)}",
                    f"缺少工作表 '{table.sheet}'；现有：{'、'.join(wb.sheetnames)}",
                )
            continue
        rows = [list(r) for r in wb[sheet].iter_rows(values_only=True)]
        df, problems = parse_rows(rows, table, path.name, sheet)
        raw.problems.extend(problems)
        if df is not None:
            raw.tables[name] = df
    wb.close()
    return raw


def _read_county_sheet(rows: list[list[object]], raw: RawBundle) -> dict[str, object]:
    labels = {normalise_header(zh): key for key, zh in COUNTY_FIELDS}
    labels.update({normalise_header(key): key for key, _ in COUNTY_FIELDS})
    meta: dict[str, object] = {}
    header_seen = False
    for number, row in enumerate(rows, start=1):
        cells = [cell_text(c) for c in row] + [""] * 8
        if not header_seen:
            if normalise_header(cells[0]) in ("项目", "item"):
                header_seen = True
            continue
        if not cells[0]:
            continue
        key = labels.get(normalise_header(cells[0]))
        if key is None:
            raw.problem(
                "warning",
                "county",
                "unknown item ignored",
                "未知项目，已忽略",
                number,
                "项目",
                cells[0],
            )
            continue
        value, year, source, status, est, method, note = cells[1:8]
        if key.startswith(_FIGURE_PREFIXES):
            group, name = key.split(".", 1)
            entry: dict[str, object] = {}
            if not is_missing(value):
                entry.update(_figure(value, year, source, status or "official", number, raw))
            if not is_missing(est):
                est_status = status if (is_missing(value) and status) else "estimated"
                entry["estimate"] = _figure(
                    est, year, source, est_status, number, raw, column="估算值"
                )
                if method:
                    entry["estimate"]["method"] = method  # type: ignore[index]
            if note:
                entry["note"] = note
            meta.setdefault(group, {})[name] = entry  # type: ignore[index]
        elif "." in key:
            group, name = key.split(".", 1)
            if is_missing(value):
                continue
            sub = meta.setdefault(group, {})
            if name == "departments":
                sub[name] = [
                    d.strip()
                    for d in value.replace("，", "、").replace(",", "、").split("、")
                    if d.strip()
                ]  # type: ignore[index]
            elif group == "survey":
                sub[name] = parse_number(value)  # type: ignore[index]
            else:
                sub[name] = value  # type: ignore[index]
            if group in ("tcm_hospital", "survey"):
                for k, v in (("source", source), ("status", status), ("year", year)):
                    if v:
                        sub[k] = int(v) if k == "year" and v.isdigit() else v  # type: ignore[index]
        elif key == "reference_year":
            meta[key] = int(value) if value.isdigit() else value
        elif not is_missing(value):
            meta[key] = value
    return meta


def _figure(
    value: str, year: str, source: str, status: str, row: int, raw: RawBundle, column: str = "数值"
) -> dict[str, object]:
    out: dict[str, object] = {
        "value": parse_number(value) if parse_number(value) is not None else value,
        "status": status,
    }
    if year:
        out["year"] = int(year) if year.isdigit() else year
    if source:
        out["source"] = source
    out["_row"] = row
    out["_column"] = column
    return out
