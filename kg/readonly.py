"""The read-only guard every graph store applies to a user's SPARQL."""

from __future__ import annotations

import re

from yanbao.core.errors import QueryError

__all__ = ["check_read_only_query"]

_UPDATE_RE = re.compile(r"(?<![?$\w])(INSERT|DELETE|LOAD|CLEAR|DROP|CREATE|ADD|MOVE|COPY|WITH)\b", re.I)
_SERVICE_RE = re.compile(r"(?<![?$\w])SERVICE\b", re.I)
_STRINGS_RE = re.compile(r"'''.*?'''|\"\"\".*?\"\"\"|'(?:\\.|[^'\\\n])*'|\"(?:\\.|[^\"\\\n])*\"|<[^>\s]*>|#[^\n]*", re.S)


def check_read_only_query(sparql: str) -> None:
    """Refuse anything but SELECT/ASK/CONSTRUCT/DESCRIBE without SERVICE.

    Raises:
        QueryError: an update, a federated SERVICE call, or not a query at all.
    """
    bare = _STRINGS_RE.sub(" ", sparql)
    if _UPDATE_RE.search(bare):
        raise QueryError("only read-only queries (SELECT, ASK, CONSTRUCT, DESCRIBE) are allowed; updates are refused")
    if _SERVICE_RE.search(bare):
        raise QueryError("federated SERVICE calls are refused")
    if not re.search(r"\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", bare, re.I):
        raise QueryError("not a SPARQL query: expected SELECT, ASK, CONSTRUCT or DESCRIBE")
