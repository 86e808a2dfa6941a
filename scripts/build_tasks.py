#!/usr/bin/env python
"""Build ``tasks.csv`` (任务分工) of the two bundled counties from the text of their plans.

* 安岳县 (512021): the 24 tasks of 四、重点任务及分工 of 安府办函〔2023〕12号 are **parsed** from the
  plan's text: each ``（一）…（二十四）`` paragraph is a task, its ``〔责任单位：…〕`` line gives the
  units — "逗号前为牵头单位，逗号后为配合单位" (the plan's own rule): the units before the
  full-width comma lead, those after it co-operate; a line without a comma names lead units
  only. Stage: 五、实施步骤（二） gives the divided tasks to the 实施阶段 (2023年4月—9月,
  "创建领导小组各成员单位按照职责分工，做好政策落实 … 对照评审标准完成各项任务").
* 闻喜县 (140823): 闻政办发〔2023〕6号 is a 工作计划 without a division of tasks. Its 具体任务
  (一（二）1–4), 工作措施 (二（一）–（五）), the work of each 工作步骤 (三（一）–（三）) and the
  考核办法 (四) are **excerpts** listed below; every excerpt is checked to occur verbatim in the
  plan's text. A unit is named only where the sentence names it (县卫健局 signs the
  目标管理责任书 with 各医疗机构; 县中医院 trains; …); otherwise the lead unit is
  ``未明确`` (the plan names none) — never guessed.

Normalisation, the same for both: line breaks and the spaces of the PDF layout inside the
Chinese text are removed; 安岳 task 十三 writes 县医保局 for the unit the plan elsewhere calls
县医疗保障局 (task 十, 领导小组名单), which is used so that the unit's tasks are counted together.

Progress is ``未报告`` (not reported) for every task: the plans say what is to be done, not what
was done. Run from the repository (the seed texts are read at build time only)::

    python scripts/build_tasks.py SEEDS_DIR          # writes data/counties/*/tasks.csv
    python scripts/build_tasks.py SEEDS_DIR --check  # exit 1 when a file would change
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HEADER = ["number", "task", "lead", "partners", "stage", "due", "progress", "evidence", "source"]
#: Lead unit of a task whose text names none.
UNNAMED = "未明确"
#: Unit names written two ways in one plan -> the name the plan uses elsewhere.
UNIT_ALIASES = {"县医保局": "县医疗保障局"}

#: Spaces that belong to the text (the title 《中共中央 国务院关于…》), kept.
KEPT_SPACES = ("中共中央 国务院",)

ANYUE_SEED = "anyue_plan_2023.txt"
WENXI_SEED = "wenxi_plan_2023.txt"

#: 闻喜: (number, first words, last words, lead, partners, stage) — the task is the plan's text
#: from its first to its last words (both included).
WENXI_TASKS: tuple[tuple[str, str, str, str, str, str], ...] = (
    (
        "一（二）1",
        "1.中医标准化建设：",
        "并保持功能状态。",
        "县中医院、县人民医院、乡镇卫生院",
        "",
        "创建攻坚阶段",
    ),
    (
        "一（二）2",
        "2.中医药文化建设：",
        "扩大中医药优质科普内容的覆盖面。",
        UNNAMED,
        "",
        "创建攻坚阶段",
    ),
    ("一（二）3", "3.中医药制度建设：", "并有完善的制度保障。", UNNAMED, "", "创建攻坚阶段"),
    ("一（二）4", "4.软件资料要求：", "的要求完善相关工作资料。", UNNAMED, "", "创建攻坚阶段"),
    (
        "二（一）",
        "（一）坚持高位推动。",
        "做到目标明确，责任到人。",
        "县卫健局",
        "各医疗机构",
        "基础建设阶段",
    ),
    ("二（二）", "（二）坚持按标准创建。", "疾病防控等领域中得到充分体现。", UNNAMED, "", ""),
    ("二（三）", "（三）坚持营造良好环境。", "鼓励各医疗机构发展中医特色诊疗。", UNNAMED, "", ""),
    ("二（四）", "（四）坚持拓展中医药服务领域。", "利用好我县的中药种植资源。", UNNAMED, "", ""),
    (
        "二（五）",
        "（五）查漏补缺迎接验收。",
        "确保一举达标。",
        "县创建领导小组",
        "各相关单位",
        "评估验收阶段",
    ),
    (
        "三（一）",
        "成立创建工作领导小组，制定实施方案",
        "建章立制和基础建设工作。",
        UNNAMED,
        "",
        "基础建设阶段",
    ),
    (
        "三（二）1",
        "全面落实《闻喜县创建全国基层中医药工作示范县实施方案》。",
        "示范县推进会；",
        "县创建领导小组办公室",
        "",
        "创建攻坚阶段",
    ),
    ("三（二）2", "县中医院负责完成", "适宜技术推广培训；", "县中医院", "", "创建攻坚阶段"),
    (
        "三（二）3",
        "乡镇卫生院、村卫生室重点加强内涵建设",
        "开展适宜技术。",
        "乡镇卫生院、村卫生室",
        "",
        "创建攻坚阶段",
    ),
    ("三（二）4", "此阶段重点抓好检查督导", "并接受上级部门督导。", UNNAMED, "", "创建攻坚阶段"),
    ("三（三）", "在通过上级部门督导的基础上", "迎接评审验收工作。", UNNAMED, "", "评估验收阶段"),
    ("四", "按照《目标管理责任书》的内容和要求", "进行问责。", UNNAMED, "", ""),
)

_NUMERALS = "一二三四五六七八九十"


def flatten(text: str) -> str:
    """The plan's text without line breaks and layout spaces (between Chinese characters)."""
    text = re.sub(r"\s*\n\s*", "", text)
    # PDF layout spaces: between two CJK characters or around CJK punctuation …
    text = re.sub(r"(?<=[^\x00-\x7f])[ \u3000]+(?=[^\x00-\x7f])", "", text)
    for kept in KEPT_SPACES:  # … but not the space of a title
        text = text.replace(kept.replace(" ", ""), kept)
    return text


def _units(text: str) -> list[str]:
    return [UNIT_ALIASES.get(u.strip(), u.strip()) for u in text.split("、") if u.strip()]


def anyue_tasks(seed: str) -> list[list[str]]:
    """Parse the 24 tasks of 四、重点任务及分工 (number, text, lead, partners)."""
    body = seed.split("四、重点任务及分工", 1)[1].split("五、实施步骤", 1)[0]
    flat = flatten(body)
    pattern = re.compile(r"（([" + _NUMERALS + r"]{1,3})）(.+?)〔责任单位：(.+?)〕")
    rows = []
    for number, text, units in pattern.findall(flat):
        units = re.sub(r"（逗号前为牵头单位，逗号后为配合单位，下同）", "", units)
        lead, _, partners = units.partition("，")
        rows.append(
            [
                number,
                text.strip(),
                "、".join(_units(lead)),
                "、".join(_units(partners)),
                "实施阶段",
                "",
                "未报告",
                "",
                "anyue-plan-2023",
            ]
        )
    if len(rows) != 24 or [r[0] for r in rows][-1] != "二十四":
        raise SystemExit(f"安岳: expected tasks 一 … 二十四, parsed {len(rows)}")
    return rows


def wenxi_tasks(seed: str) -> list[list[str]]:
    """Cut the listed excerpts out of the plan's text (each must occur exactly once)."""
    flat = flatten(seed)
    rows = []
    for number, first, last, lead, partners, stage in WENXI_TASKS:
        if flat.count(first) != 1:
            raise SystemExit(f"闻喜 {number}: {first!r} occurs {flat.count(first)} times")
        start = flat.index(first)
        end = flat.index(last, start) + len(last)
        text = flat[start:end]
        text = re.sub(r"^(\d\.|（[一二三四五]）)", "", text)  # the number is its own column
        rows.append([number, text, lead, partners, stage, "", "未报告", "", "wenxi-plan-2023"])
    return rows


def render(rows: list[list[str]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(HEADER)
    w.writerows(rows)
    return buf.getvalue()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("seeds", type=Path, help="folder holding the plans' text files")
    ap.add_argument("--out", type=Path, default=REPO / "data" / "counties")
    ap.add_argument("--check", action="store_true", help="only check that the files are current")
    args = ap.parse_args(argv)
    outputs = {
        "512021-anyue": anyue_tasks((args.seeds / ANYUE_SEED).read_text(encoding="utf-8")),
        "140823-wenxi": wenxi_tasks((args.seeds / WENXI_SEED).read_text(encoding="utf-8")),
    }
    stale = 0
    for folder, rows in outputs.items():
        target = args.out / folder / "tasks.csv"
        text = render(rows)
        if args.check:
            current = target.read_text(encoding="utf-8") if target.is_file() else None
            if current != text:
                print(f"{target} is not current", file=sys.stderr)
                stale += 1
            continue
        target.write_text(text, encoding="utf-8")
        print(f"{target}: {len(rows)} tasks")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
