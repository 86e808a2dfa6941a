"""The county data contract: tables, columns, closed vocabularies and header aliases.

This module only *describes* the contract (see ``docs/data-format.md``); parsing lives in
:mod:`tcmcounty.inputs` and checks in :mod:`tcmcounty.inputs.validate`.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Literal

ColumnKind = Literal["text", "code", "int", "float", "bool", "status", "enum", "ids", "date"]


@dataclass(frozen=True)
class Column:
    """One column of a table of the contract.

    Parameters
    ----------
    name : str
        Canonical English header.
    zh : str
        Chinese header written by the Excel template.
    kind : str
        Parser to use: ``text``, ``code`` (digits kept as text), ``int`` (non-negative integer),
        ``float``, ``bool``, ``status``, ``enum`` (closed vocabulary), ``ids`` (``;``-separated)
        or ``date`` (``YYYY-MM-DD``, ``YYYY年M月D日``, ``YYYY.M`` or an Excel date cell).
    required : bool
        The column must be present in the header.
    nullable : bool
        A cell may be empty (= not reported).
    digits : int, optional
        Exact length of a ``code``.
    vocabulary : str, optional
        Name of the closed vocabulary of an ``enum`` column.
    aliases : tuple of str
        Other headers accepted for this column (case-insensitive).
    """

    name: str
    zh: str
    kind: ColumnKind = "text"
    required: bool = False
    nullable: bool = True
    digits: int | None = None
    vocabulary: str | None = None
    aliases: tuple[str, ...] = ()

    def headers(self) -> tuple[str, ...]:
        """All accepted headers, canonical first."""
        return (self.name, self.zh, *self.aliases)


@dataclass(frozen=True)
class Table:
    """A table of the contract: its file name, Excel sheet names and columns."""

    name: str
    file: str
    sheet: str
    zh: str
    columns: tuple[Column, ...]
    key: str | None = None
    sheet_aliases: tuple[str, ...] = field(default=())

    def column(self, name: str) -> Column:
        """Return the column called ``name``."""
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


#: Closed vocabularies: canonical value -> accepted spellings (Chinese and English).
VOCABULARIES: dict[str, dict[str, tuple[str, ...]]] = {
    # Besides the project's names, the class codes and names of WS 218-2002《卫生机构（组织）
    # 分类与代码》(卫生部, 2002): A100 综合医院, A210 中医（综合）医院, A220 中医专科医院,
    # A300 中西医结合医院, B100 社区卫生服务中心, B200 社区卫生服务站, C210 中心卫生院,
    # C220 乡卫生院, D120/D121 中医门诊部, D212 中医诊所, D600 村卫生室, G100 妇幼保健院,
    # G200 妇幼保健所. In a county roster 综合医院 is the county general hospital.
    "facility_type": {
        "county_general_hospital": (
            "县人民医院",
            "人民医院",
            "县级综合医院",
            "综合医院",
            "A100",
            "county general hospital",
        ),
        "county_tcm_hospital": (
            "县中医医院",
            "县中医院",
            "中医医院",
            "中医院",
            "民族医医院",  # 中医类医院 include 民族医医院 (维吾尔医、藏医、蒙医 …)
            "A230",
            "中医（综合）医院",
            "中医综合医院",
            "A210",
            "中西医结合医院",
            "A300",
            "county TCM hospital",
        ),
        "maternal_child_hospital": (
            "妇幼保健院",
            "妇幼保健计划生育服务中心",
            "妇幼保健所",
            "G100",
            "G200",
            "maternal-child hospital",
        ),
        "township_health_centre": (
            "乡镇卫生院",
            "卫生院",
            "中心卫生院",
            "乡卫生院",
            "镇卫生院",
            "C200",
            "C210",
            "C220",
            "township health centre",
        ),
        "community_health_centre": ("社区卫生服务中心", "B100", "community health centre"),
        "community_health_station": (
            "社区卫生服务站",
            "社区服务站",
            "B200",
            "community health station",
        ),
        "village_clinic": (
            "村卫生室",
            "卫生室",
            "村卫生所",
            "D600",
            "village clinic",
            "village health clinic",
        ),
        "tcm_clinic": (
            "中医诊所",
            "中医门诊部",
            "中医（综合）门诊部",
            "D120",
            "D121",
            "D212",
            "TCM clinic",
        ),
        # facilities outside the classes analysed (public health, emergency, private clinics):
        # counted in the roster's totals, never in a share of primary-care facilities
        "other": (
            "其他",
            "其它",
            "疾病预防控制中心",
            "疾控中心",
            "卫生监督所",
            "卫生计生监督所",
            "卫生健康综合监督执法局",
            "急救中心",
            "急救站",
            "120急救中心",
            "中心血站",
            "血站",
            "诊所",
            "门诊部",
            "医务室",
            "专科医院",
            "民营医院",
            "精神病医院",
            "康复医院",
            "护理院",
            "体检中心",
            "健康教育所",
            "other",
        ),
    },
    "township_type": {
        "街道": ("街道办事处", "subdistrict", "street"),
        "镇": ("town",),
        "乡": ("township", "民族乡"),
        "其他": ("other", "虚拟", "统计单位"),
    },
    "village_kind": {
        "村": ("村民委员会", "村委会", "行政村", "village"),
        "社区": ("居民委员会", "居委会", "社区居委会", "社区居民委员会", "community"),
    },
    "alliance_kind": {
        "county_medical_community": ("医共体", "县域医共体", "county medical community"),
        "urban_medical_group": ("城市医疗集团", "urban medical group"),
        "specialty_alliance": ("专科联盟", "specialty alliance"),
        "telemedicine_network": ("远程医疗协作网", "telemedicine network"),
        "other": ("其他", "医联体", "other"),
    },
    "task_progress": {
        "not_started": ("未开始", "尚未开始", "未启动", "not started"),
        "in_progress": ("进行中", "推进中", "正在推进", "正在进行", "in progress", "ongoing"),
        "done": ("已完成", "完成", "已办结", "done", "completed", "finished"),
        "not_reported": ("未报告", "未填报", "未上报", "not reported"),
    },
    "status": {
        "official": ("官方", "正式", "official"),
        "estimated": ("估算", "估计", "approximate", "近似", "estimate"),
        "synthetic": ("模拟", "合成", "synthetic"),
    },
}

FACILITY_TYPE_ZH: dict[str, str] = {k: v[0] for k, v in VOCABULARIES["facility_type"].items()}

#: Tokens read as "not reported" (never as zero).
MISSING_TOKENS: frozenset[str] = frozenset(
    {"", "—", "——", "-", "--", "/", "无", "未统计", "不详", "na", "n/a", "nan", "null", "none"}
)

TRUE_TOKENS = frozenset(
    {
        "是",
        "有",
        "已设置",
        "已建",
        "已建成",
        "设有",
        "能",
        "可",
        "yes",
        "y",
        "true",
        "t",
        "1",
        "√",
        "✓",
        "✔",
        "○",
    }
)
FALSE_TOKENS = frozenset(
    {
        "否",
        "无",
        "没有",
        "未设置",
        "未建",
        "不能",
        "不可",
        "no",
        "n",
        "false",
        "f",
        "0",
        "×",
        "✗",
        "✘",
        "x",
    }
)

#: Tokens of a yes/no column that say "not yet" (under construction, planned): read as no, with
#: a note, since the review counts only what is built.
NOT_YET_TOKENS = frozenset(
    {
        "在建",
        "在建中",
        "建设中",
        "正在建设",
        "筹建",
        "筹建中",
        "拟建",
        "待建",
        "未建成",
        "规划中",
        "计划建设",
    }
)

_SRC = Column("source", "来源", "text", aliases=("数据来源", "来源编号"))

TOWNSHIPS = Table(
    "townships",
    "townships.csv",
    "乡镇",
    "乡镇/街道",
    (
        # not required in the header: a county's own sheet may list townships by name only;
        # the codes then come from the NBS codes (a township left without one is an error)
        Column("code", "乡镇代码", "code", False, True, 9, aliases=("代码", "统计用区划代码")),
        Column("name", "乡镇名称", "text", True, False, aliases=("名称", "乡镇", "乡镇（街道）")),
        Column("type", "类型", "enum", vocabulary="township_type", aliases=("乡镇类型",)),
        Column("lon", "经度", "float", aliases=("longitude", "x")),
        Column("lat", "纬度", "float", aliases=("latitude", "y")),
        Column("location_status", "位置状态", "status", aliases=("坐标状态",)),
        Column("population", "人口", "int", aliases=("常住人口", "人口数")),
        Column("population_year", "人口年份", "int"),
        Column("population_status", "人口状态", "status"),
        _SRC,
    ),
    key="code",
    sheet_aliases=("乡镇街道", "乡镇（街道）", "townships", "towns", "town"),
)

VILLAGES = Table(
    "villages",
    "villages.csv",
    "村社区",
    "村/社区",
    (
        Column(
            "code",
            "村代码",
            "code",
            False,
            True,
            12,
            aliases=("代码", "村级代码", "统计用区划代码"),
        ),
        Column(
            "name",
            "村名称",
            "text",
            True,
            False,
            aliases=("名称", "村（社区）名称", "村", "行政村", "村（社区）", "村居"),
        ),
        Column("township_code", "乡镇代码", "code", False, True, 9, aliases=("所属乡镇代码",)),
        Column(
            "township_name",
            "乡镇名称",
            "text",
            aliases=("所属乡镇", "所属乡镇名称", "乡镇", "town"),
        ),
        Column("kind", "类别", "enum", vocabulary="village_kind", aliases=("类型",)),
        Column("lon", "经度", "float", aliases=("longitude", "x")),
        Column("lat", "纬度", "float", aliases=("latitude", "y")),
        Column("location_status", "位置状态", "status", aliases=("坐标状态",)),
        Column("population", "人口", "int", aliases=("常住人口", "人口数")),
        Column("population_year", "人口年份", "int"),
        Column("population_status", "人口状态", "status"),
        _SRC,
    ),
    key="code",
    sheet_aliases=("村", "村/社区", "村（社区）", "villages"),
)

FACILITIES = Table(
    "facilities",
    "facilities.csv",
    "医疗机构",
    "医疗机构",
    (
        Column(
            "id",
            "机构编号",
            "text",
            False,
            True,
            aliases=("编号", "机构代码", "机构编码", "统一社会信用代码", "组织机构代码", "登记号"),
        ),
        Column("name", "机构名称", "text", True, False, aliases=("名称",)),
        Column(
            "type", "机构类型", "enum", True, False, vocabulary="facility_type", aliases=("类型",)
        ),
        Column("township_code", "乡镇代码", "code", digits=9, aliases=("所属乡镇代码",)),
        Column(
            "township_name",
            "乡镇名称",
            "text",
            aliases=("所属乡镇", "所属乡镇名称", "乡镇", "所属街道", "街道", "town", "township"),
        ),
        Column("village_code", "村代码", "code", digits=12, aliases=("所属村代码",)),
        Column(
            "village_name",
            "村名称",
            "text",
            aliases=("所属村", "所属村名称", "村", "所属社区", "village"),
        ),
        Column("lon", "经度", "float", aliases=("longitude", "x")),
        Column("lat", "纬度", "float", aliases=("latitude", "y")),
        Column("beds", "床位数", "int", aliases=("实有床位", "实有床位数", "床位", "开放床位")),
        Column(
            "physicians",
            "执业（助理）医师数",
            "int",
            aliases=("执业(助理)医师数", "医师数", "doctors", "licensed doctors"),
        ),
        Column(
            "tcm_physicians",
            "中医类别医师数",
            "int",
            aliases=(
                "中医类别执业（助理）医师数",
                "中医医师数",
                "中医师数",
                "中医类执业（助理）医师数",
            ),
        ),
        Column("nurses", "注册护士数", "int", aliases=("护士数", "注册护士", "registered nurses")),
        Column(
            "has_tcm_hall", "中医馆", "bool", aliases=("设有中医馆", "是否有中医馆", "tcm_hall")
        ),
        Column(
            "has_tcm_pavilion",
            "中医阁",
            "bool",
            aliases=("设有中医阁", "是否有中医阁", "tcm_pavilion"),
        ),
        Column(
            "provides_tcm",
            "提供中医药服务",
            "bool",
            aliases=("能提供中医药服务", "开展中医药服务", "提供中医服务", "tcm_service"),
        ),
        Column(
            "tcm_techniques",
            "中医药适宜技术项数",
            "int",
            aliases=("适宜技术项数", "中医适宜技术项数"),
        ),
        Column(
            "tcm_technique_categories",
            "中医药适宜技术类数",
            "int",
            aliases=(
                "适宜技术类数",
                "中医适宜技术类数",
                "中医药适宜技术类别数",
                "适宜技术类别数",
                "中医药适宜技术类别",
            ),
        ),
        Column(
            "visits",
            "总诊疗人次",
            "int",
            aliases=("诊疗人次", "年诊疗人次", "年总诊疗人次"),
        ),
        Column(
            "tcm_visits",
            "中医诊疗人次",
            "int",
            aliases=("中医药诊疗人次", "中医类诊疗人次", "中医药服务人次", "中医服务人次"),
        ),
        Column(
            "nondrug_visits",
            "中医非药物疗法诊疗人次",
            "int",
            aliases=(
                "中医非药物疗法人次",
                "非药物疗法诊疗人次",
                "非药物疗法人次",
                "中医非药物疗法服务人次",
            ),
        ),
        Column(
            "prescriptions",
            "门诊处方数",
            "int",
            aliases=("门诊处方总数", "处方总数", "总处方数", "门诊处方量"),
        ),
        Column(
            "herbal_prescriptions",
            "中药饮片处方数",
            "int",
            aliases=("饮片处方数", "中药饮片处方量", "中草药处方数", "中药饮片处方张数"),
        ),
        Column(
            "is_quality_tcm_hall",
            "精品中医馆",
            "bool",
            aliases=(
                "示范中医馆",
                "精品（示范）中医馆",
                "精品示范中医馆",
                "完成中医馆服务内涵建设",
                "中医馆服务内涵建设",
            ),
        ),
        Column(
            "has_tcm_department",
            "设有中医科",
            "bool",
            aliases=("中医科", "中医临床科室", "设置中医科", "设置中医临床科室", "中医科室"),
        ),
        Column(
            "alliance_ids",
            "所属医联体",
            "ids",
            aliases=("医联体", "医共体", "所属医共体", "医联体编号", "医联体名称", "加入医联体"),
        ),
        Column("status", "数据状态", "status", aliases=("状态",)),
        _SRC,
    ),
    key="id",
    sheet_aliases=("机构", "医疗卫生机构", "facilities"),
)

ALLIANCES = Table(
    "alliances",
    "alliances.csv",
    "医联体",
    "医联体/医共体",
    (
        Column("id", "编号", "text", False, True),
        Column("name", "名称", "text", True, False),
        Column("kind", "类型", "enum", vocabulary="alliance_kind"),
        Column(
            "lead_facility_id",
            "牵头机构编号",
            "text",
            aliases=("牵头机构", "牵头单位", "牵头医院", "牵头机构名称"),
        ),
        Column(
            "member_ids", "成员机构编号", "ids", aliases=("成员机构", "成员单位", "成员机构名称")
        ),
        Column("status", "数据状态", "status", aliases=("状态",)),
        _SRC,
    ),
    key="id",
    sheet_aliases=("医共体", "医联体医共体", "alliances"),
)

SOURCES = Table(
    "sources",
    "sources.csv",
    "数据来源",
    "数据来源",
    (
        Column("id", "编号", "text", True, False),
        Column("title", "标题", "text", True, False),
        Column("issuer", "发布机构", "text"),
        Column("year", "年份", "int"),
        Column("url", "网址", "text", aliases=("链接",)),
        Column("licence", "许可", "text", aliases=("license", "许可证")),
        Column("note", "说明", "text", aliases=("备注",)),
        # bibliography fields (GB/T 7714), printed as 参考文献 by reporting.bibliography
        Column("type", "文献类型", "text", aliases=("文献类型标识",)),
        Column("author", "责任者", "text", aliases=("作者", "发文机关")),
        Column("doc_number", "文号", "text", aliases=("发文字号",)),
        Column("date", "日期", "text", aliases=("发布日期", "成文日期")),
        Column("journal", "刊名", "text", aliases=("期刊",)),
        Column("doi", "DOI", "text"),
        Column("grade", "核实情况", "text", aliases=("证据等级",)),
    ),
    key="id",
    sheet_aliases=("来源", "sources"),
)

TIMETABLE = Table(
    "timetable",
    "timetable.csv",
    "实施步骤",
    "创建工作实施步骤",
    (
        Column("phase_zh", "阶段", "text", True, False, aliases=("阶段名称", "工作阶段", "步骤")),
        Column(
            "start", "开始日期", "date", True, False, aliases=("开始时间", "起始时间", "起始日期")
        ),
        Column(
            "end", "结束日期", "date", True, False, aliases=("结束时间", "截止时间", "完成时限")
        ),
        Column("tasks_zh", "主要任务", "text", aliases=("工作任务", "重点任务", "任务")),
        Column("phase_en", "英文阶段名", "text", aliases=("phase",)),
        Column("tasks_en", "英文任务", "text", aliases=("tasks",)),
        _SRC,
    ),
    sheet_aliases=("工作步骤", "实施步骤及时间安排", "时间安排", "timetable"),
)

TASKS = Table(
    "tasks",
    "tasks.csv",
    "任务分工",
    "重点任务及分工",
    (
        Column("number", "任务编号", "text", aliases=("编号", "序号", "任务序号", "任务号")),
        Column(
            "task",
            "任务内容",
            "text",
            True,
            False,
            aliases=("任务", "重点任务", "工作任务", "具体任务", "工作内容", "任务名称"),
        ),
        Column(
            "lead",
            "牵头单位",
            "ids",
            True,
            False,
            aliases=("牵头部门", "责任单位", "主责单位", "牵头"),
        ),
        Column("partners", "配合单位", "ids", aliases=("配合部门", "协办单位", "协助单位")),
        Column("stage", "阶段", "text", aliases=("所属阶段", "实施阶段", "工作阶段")),
        Column("due", "完成时限", "date", aliases=("截止日期", "完成时间", "完成期限", "时限")),
        Column(
            "progress",
            "完成情况",
            "enum",
            vocabulary="task_progress",
            aliases=("进展", "进度", "完成状态", "进展情况", "任务状态"),
        ),
        Column("evidence", "佐证材料", "text", aliases=("佐证", "证明材料", "完成依据")),
        _SRC,
    ),
    sheet_aliases=("任务分工", "任务", "分工", "重点任务", "责任分工", "任务清单", "tasks"),
)

TABLES: dict[str, Table] = {
    t.name: t for t in (TOWNSHIPS, VILLAGES, FACILITIES, ALLIANCES, SOURCES, TIMETABLE, TASKS)
}
#: Tables a county may leave out (absent = empty).
OPTIONAL_TABLES = ("alliances", "sources", "timetable", "tasks")
REQUIRED_TABLES = ("townships", "villages", "facilities", "sources")
COUNTY_SHEET = "县基本情况"
COUNTY_SHEET_ALIASES = ("基本情况", "县情", "county")


def vocabulary_lookup(vocabulary: str) -> dict[str, str]:
    """Map every accepted spelling (lower-cased) of a vocabulary to its canonical value."""
    out: dict[str, str] = {}
    for canonical, spellings in VOCABULARIES[vocabulary].items():
        out[canonical.lower()] = canonical
        for s in spellings:
            out[s.lower()] = canonical
    return out


def suggest(value: str, vocabulary: str) -> str | None:
    """Return the nearest accepted spelling of ``value`` in a vocabulary, if any is close."""
    lookup = vocabulary_lookup(vocabulary)
    match = difflib.get_close_matches(value.lower(), list(lookup), n=1, cutoff=0.4)
    if not match:
        # Chinese names: try containment (e.g. "乡镇卫生院（中心）" contains "乡镇卫生院").
        for spelling, canonical in lookup.items():
            if spelling and (spelling in value.lower() or value.lower() in spelling):
                return canonical
        return None
    return lookup[match[0]]


def header_lookup(table: Table) -> dict[str, str]:
    """Map every accepted header (normalised) of a table to its canonical column name."""
    out: dict[str, str] = {}
    for col in table.columns:
        for h in col.headers():
            out[normalise_header(h)] = col.name
    return out


def normalise_header(text: object) -> str:
    """Normalise a header for matching: strip, lower-case, full-width brackets to ASCII."""
    s = str(text).strip().lower()
    for a, b in (("（", "("), ("）", ")"), ("\u3000", ""), (" ", ""), ("\n", "")):
        s = s.replace(a, b)
    return s
