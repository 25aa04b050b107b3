"""kg: report claims into an RDF knowledge graph (rdflib over Oxigraph).

Extraction is deterministic (lexicons + patterns + jieba, no model); one
named graph per report; SHACL-validated; networkx projection for analytics.
"""

from .extract import extract

__all__ = ["extract"]
