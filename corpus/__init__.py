"""corpus: documents in, structured and cited text out.

Load ``.txt``/``.md``/``.html``/``.pdf``/``.docx`` files (encoding detected),
strip web and PDF chrome, keep the page's sidebar questions and related
reports as their own records, detect headings, paragraphs and sentences with
offsets into the cleaned original text.

Modules: ``loaders`` (files to text), ``pdftext`` (PDF page chrome, layout
repairs, mojibake), ``docxtext`` (DOCX tables and headings in order),
``htmltext``/``webtext`` (HTML flattening, the article of a web page),
``cleaning`` (chrome, titles, the page's own records), ``headings``,
``structure`` (sections and sentences), ``dedup`` (near-duplicate signatures).
"""

from .cleaning import CleanedPage, clean_page
from .discovery import discover_files
from .loaders import SUPPORTED_SUFFIXES, LoadedText, decode_bytes, load_document
from .pipeline import parse_document, parse_text
from .samples import sample_paths
from .script import match_key, normalise
from .structure import build_report, parse_heading, split_sentences

__all__ = [
    "CleanedPage",
    "LoadedText",
    "SUPPORTED_SUFFIXES",
    "build_report",
    "clean_page",
    "decode_bytes",
    "discover_files",
    "load_document",
    "match_key",
    "normalise",
    "parse_document",
    "parse_heading",
    "parse_text",
    "sample_paths",
    "split_sentences",
]
