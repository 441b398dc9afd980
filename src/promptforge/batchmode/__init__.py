"""Google Batch Mode: big jobs at half price, submitted, followed and collected.

``Pipeline.submit`` enhances the prompts here and sends the image requests to Google as
one Batch Mode job, recorded in ``out_dir``; ``BatchJob.open(out_dir)`` follows it from
anywhere; ``collect()`` writes the results there as ``run_many`` would. See
``docs/batch-mode.md``.
"""

from __future__ import annotations

from ._job import BatchJob
from ._limits import LIMITS, Limit
from ._record import JobItem, JobRecord, State

__all__ = ["LIMITS", "BatchJob", "JobItem", "JobRecord", "Limit", "State"]

for _name in __all__:
    _obj = globals()[_name]
    if isinstance(_obj, type):
        _obj.__module__ = __name__
del _name, _obj
