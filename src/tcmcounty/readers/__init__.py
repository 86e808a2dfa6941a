"""Readers: one module per input format, all producing a :class:`RawBundle`."""

from tcmcounty.readers.bundle import read_bundle
from tcmcounty.readers.excel import read_workbook
from tcmcounty.readers.raw import RawBundle

__all__ = ["RawBundle", "read_bundle", "read_workbook"]
