"""Readers: one module per input format, all producing a :class:`RawBundle`."""

from tcmcounty.inputs.bundle import read_bundle
from tcmcounty.inputs.excel import read_workbook
from tcmcounty.inputs.raw import RawBundle

__all__ = ["RawBundle", "read_bundle", "read_workbook"]
