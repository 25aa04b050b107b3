"""yanbao: a knowledge-graph and question-answering assistant for industry research reports.

The public Python API.  Open a home with :class:`Library` and call its methods;
they return the records of :mod:`yanbao.core.records`.
"""

from .core.errors import YanbaoError
from .library import Library
from .core.records import IngestOutcome, Report
from .core.settings import Settings, load_settings

__all__ = ["Library", "Settings", "load_settings", "Report", "IngestOutcome", "YanbaoError"]
