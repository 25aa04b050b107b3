"""Extraction generalises: the hand-written fixture reports of other industries and layouts."""

from __future__ import annotations

from collections import defaultdict

import pytest

from yanbao.corpus import parse_document
from yanbao.kg.extract import extract

from .conftest import FIXTURES

FILES = ("broker_ev_battery.txt", "broker_semiconductor.txt", "web_logistics.html")


@pytest.mark.parametrize("name", FILES)
def test_fixture_yields_role_entities_and_actors(name):
    report = parse_document(FIXTURES / name)
    extraction = extract(report)
    by_class: dict[str, list[str]] = defaultdict(list)
    for e in extraction.entities:
        by_class[e.cls].append(e.label + (f" ({'|'.join(e.aliases)})" if e.aliases else ""))
    print(f"\n[{name}] {report.title}: {len(extraction.claims)} claims, {len(extraction.relations)} relations")
    for cls in sorted(by_class):
        print(f"  {cls:<10} {len(by_class[cls]):>2}  {'、'.join(sorted(by_class[cls]))}")
    assert len(by_class["Driver"]) >= 1
    assert len(by_class["Challenge"]) >= 1
    assert len(by_class["Actor"]) >= 3
    assert len(by_class["Technology"]) >= 1
    assert extraction.claims
    text = report.text
    assert all(text[c.start : c.end] == c.text for c in extraction.claims)
