"""The error raised for a bad road layer, friction surface, speed table or travel option."""

from __future__ import annotations

from tcmcounty.errors import TcmCountyError


class TravelInputError(TcmCountyError, ValueError):
    """A road layer, friction raster, barrier layer or speed table cannot be used as given.

    The message names the file (and the column or key) and says what was expected.
    """
