"""yanbao: a knowledge-graph and question-answering assistant for industry research reports.

The public Python API.  Open a home with :class:`Library` and call its methods;
they return the records of :mod:`yanbao.core.records`.
"""

# Absolute imports: this file is also the repository root's __init__.py, which
# pytest may import under the checkout folder's name; they resolve to the
# installed package whatever that name is.
from yanbao.core.errors import YanbaoError
from yanbao.core.records import IngestOutcome, Report
from yanbao.core.settings import Settings, load_settings
from yanbao.library import Library

__all__ = ["Library", "Settings", "load_settings", "Report", "IngestOutcome", "YanbaoError"]
