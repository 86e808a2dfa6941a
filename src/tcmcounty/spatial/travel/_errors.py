"""The errors raised for a bad road layer, friction surface, speed table or travel option."""

from __future__ import annotations

from tcmcounty.errors import TcmCountyError
from tcmcounty.io import UnusableFileError


class TravelInputError(TcmCountyError, ValueError):
    """A road layer, friction raster, barrier layer or speed table cannot be used as given.

    The message names the file (and the column or key) and says what was expected.
    """


class TravelFileError(UnusableFileError, TravelInputError):
    """A file given as a road layer, raster, barrier layer, speed or travel-time table is not one.

    Made by :class:`tcmcounty.io.UnusableFileError` (one message for every option's file:
    the file, its role, why not, what was expected; never the file's content).
    """
