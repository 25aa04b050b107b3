"""yanbao's exceptions.

Exception tree::

    YanbaoError                 base of everything yanbao raises on purpose
    ├── InputError              a file or argument yanbao refuses
    │   ├── EmptyInputError     empty or whitespace-only document
    │   ├── BinaryInputError    binary data where text was expected
    │   ├── UnsupportedTypeError  file type yanbao cannot read
    │   ├── OversizeInputError  file larger than the configured limit
    │   └── DecodeError         text whose encoding cannot be determined
    ├── SettingsError           bad setting or unknown backend name
    ├── NotFoundError           unknown report, entity or file
    ├── StoreError              the home or the graph store failed
    │   ├── LockedError         another writer holds the home
    │   └── ValidationError     a built graph violates the SHACL shapes
    ├── IndexMismatchError      an index built by another embedding model
    └── QueryError              a SPARQL query that is malformed or not allowed

Third-party exceptions are wrapped at the boundary with ``raise ... from exc``.
"""

from __future__ import annotations

__all__ = [
    "YanbaoError",
    "InputError",
    "EmptyInputError",
    "BinaryInputError",
    "UnsupportedTypeError",
    "OversizeInputError",
    "DecodeError",
    "SettingsError",
    "NotFoundError",
    "StoreError",
    "LockedError",
    "ValidationError",
    "IndexMismatchError",
    "QueryError",
]


class YanbaoError(Exception):
    """Base class of every error yanbao raises on purpose."""


class InputError(YanbaoError):
    """An input document or argument that yanbao refuses."""


class EmptyInputError(InputError):
    """The document is empty or contains only whitespace."""


class BinaryInputError(InputError):
    """The document is binary data where text was expected."""


class UnsupportedTypeError(InputError):
    """yanbao cannot read this kind of file."""


class OversizeInputError(InputError):
    """The file is larger than the configured size limit."""


class DecodeError(InputError):
    """The text's encoding could not be determined."""


class SettingsError(YanbaoError):
    """A setting is invalid, or names an unknown backend."""


class NotFoundError(YanbaoError):
    """A report, entity or file that does not exist."""


class StoreError(YanbaoError):
    """The yanbao home or its graph store failed."""


class LockedError(StoreError):
    """Another process is writing to the same yanbao home."""


class ValidationError(StoreError):
    """A built graph violates the shipped SHACL shapes."""


class IndexMismatchError(YanbaoError):
    """The search index was built with a different embedding model."""


class QueryError(YanbaoError):
    """A SPARQL query that is malformed, too slow, or not read-only."""
