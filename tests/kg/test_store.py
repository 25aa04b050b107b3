"""One named graph per report: adding and removing a report leaves the others intact."""

from __future__ import annotations

from yanbao.kg.vocab import report_graph

from .conftest import FIXTURES, select


def _count(lib, rid: str) -> int:
    st = lib.graph()
    try:
        (row,) = select(st, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{report_graph(rid)}> {{ ?s ?p ?o }} }}")
        return int(row.n)
    finally:
        st.close()


def test_removing_a_report_keeps_the_other_graphs(lib, sample_id):
    before = _count(lib, sample_id)
    assert before > 500
    (outcome,) = lib.ingest([str(FIXTURES / "broker_ev_battery.txt")])
    assert outcome.status == "added"
    other = outcome.report_id
    assert _count(lib, other) > 100
    assert _count(lib, sample_id) == before
    st = lib.graph()
    try:
        assert st.report_ids() == {sample_id, other}
    finally:
        st.close()

    lib.remove(other)
    assert _count(lib, sample_id) == before
    assert _count(lib, other) == 0
    st = lib.graph()
    try:
        assert st.report_ids() == {sample_id}
        leftovers = select(st, f"SELECT ?c WHERE {{ ?c prov:wasDerivedFrom <https://w3id.org/yanbao/id/report/{other}> }} LIMIT 1")
        assert leftovers == []
    finally:
        st.close()


def test_a_writer_waits_for_the_previous_writer_of_the_process_to_let_go(tmp_path):
    # The service writes from several threads, one after another: the next writer's open
    # may come while the previous one is still being closed.
    import threading
    import time

    from yanbao.kg.embedded import OxigraphGraphStore

    first = OxigraphGraphStore(tmp_path / "g")
    threading.Timer(0.3, first.close).start()
    began = time.perf_counter()
    second = OxigraphGraphStore(tmp_path / "g")
    assert 0.2 < time.perf_counter() - began < 2.5
    second.close()
