"""What a report shows: checked parameters, the cached results, tables, worklists, figures, HTML.

Imports the analyses (indicators, coverage, access, plan) and the core, never :mod:`tcmcounty.run`.

==================  ===============================================================
module              what
==================  ===============================================================
``parameters``      :class:`~tcmcounty.reporting.parameters.ReportParameters`, checked once
``results``         :class:`~tcmcounty.reporting.results.CountyResults`, computed and cached
``records``         :class:`~tcmcounty.reporting.records.JobRecord`, the JSON beside a report
``worklists``       the named units to act on, per action
``plotting``        figures (no pyplot)
``views``           the county and comparison views: HTML sections for the notebooks
==================  ===============================================================
"""
