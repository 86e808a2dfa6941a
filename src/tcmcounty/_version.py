"""The version of tcmcounty: read by the build (pyproject's ``[tool.hatch.version]``) and the code."""

__version__ = "0.1.0"
