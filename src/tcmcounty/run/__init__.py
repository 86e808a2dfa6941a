"""Running reports: kernels, jobs, batches and the index of an output folder.

The kernel (:mod:`~tcmcounty.run.execute`), one job (:mod:`~tcmcounty.run.report`), many (:mod:`~tcmcounty.run.batch`) and the folder's index
(:mod:`~tcmcounty.run.index`, which embeds the kernel's font subset). Imports
:mod:`tcmcounty.reporting`, never the other way round.
"""
