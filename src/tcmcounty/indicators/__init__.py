"""Indicators of the 全国基层中医药工作示范县 review: value, target, met, and what is missing.

The registry (``tcmcounty/data/indicators/registry.toml``) declares each indicator; target sets
(``targets_national_2025.toml`` by default, or a user file) say what value is required and who
requires it. :func:`compute` gives one county's table, :func:`compare` the wide table for many
counties, :func:`appendix` / :func:`appendix_text` the methods appendix.

Examples
--------
>>> import tcmcounty
>>> from tcmcounty.indicators import compute
>>> table = compute(tcmcounty.load_county("wenxi", warn=False))
>>> list(table.columns[:6])
['id', 'name_zh', 'name_en', 'level', 'area_code', 'area_name']
"""

from tcmcounty.indicators.appendix import appendix, appendix_text
from tcmcounty.indicators.assess import Assessment, assess
from tcmcounty.indicators.compare import compare
from tcmcounty.indicators.engine import COLUMNS, compute, met_mark
from tcmcounty.indicators.kinds import KINDS, get_kind
from tcmcounty.indicators.model import Indicator, Spec, Target, TargetSet
from tcmcounty.indicators.registry import Registry, load_registry
from tcmcounty.indicators.targets import default_targets, load_targets, shipped_target_sets

__all__ = [
    "COLUMNS",
    "KINDS",
    "Assessment",
    "Indicator",
    "Registry",
    "Spec",
    "Target",
    "TargetSet",
    "appendix",
    "appendix_text",
    "assess",
    "compare",
    "compute",
    "default_targets",
    "get_kind",
    "load_registry",
    "load_targets",
    "met_mark",
    "shipped_target_sets",
]
