"""SHACL validation of a report's graph with the shapes shipped in the package."""

from __future__ import annotations

from functools import lru_cache

from rdflib import Graph

from yanbao.errors import ValidationError

from .vocab import shapes_path

__all__ = ["validate_report_graph"]


@lru_cache(maxsize=1)
def _shapes() -> Graph:
    return Graph().parse(shapes_path(), format="turtle")


def validate_report_graph(graph: Graph, report_id: str = "") -> None:
    """Validate one report's graph against ``kg/data/shapes.ttl``.

    Raises:
        ValidationError: the graph violates a shape; the message names the
            focus node, the path and the shape's message for each violation
            (the first five, and how many more).
    """
    import pyshacl  # heavy: only when a graph is built

    conforms, results, _ = pyshacl.validate(
        graph, shacl_graph=_shapes(), inference="none", abort_on_first=False, allow_warnings=True
    )
    if conforms:
        return
    from rdflib.namespace import SH

    problems = []
    for result in results.subjects(predicate=SH.resultSeverity, object=SH.Violation):
        focus = results.value(result, SH.focusNode)
        path = results.value(result, SH.resultPath)
        message = results.value(result, SH.resultMessage)
        problems.append(f"{focus} {('(' + str(path) + ')') if path else ''}: {message}")
    problems.sort()
    more = f" (+{len(problems) - 5} more)" if len(problems) > 5 else ""
    where = f"report {report_id}: " if report_id else ""
    raise ValidationError(f"{where}graph violates the shapes: " + "; ".join(problems[:5]) + more)
