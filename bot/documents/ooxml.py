"""Body paragraphs and runs written straight into the WordprocessingML tree.

python-docx's ``add_paragraph`` looks for the section properties among all of the body's
children before it inserts, and each ``add_run`` plus ``bold``/``italic`` walks the run's
properties again: a results notice of 2,000 concerns spent most of its time there (quadratic
in the paragraphs). Here a paragraph goes in front of the body's last child (the section
properties) in constant time, and a run's elements are made once, in schema order. The XML is
the same python-docx would write.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from docx.document import Document as DocxDocument
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Cm, Pt
from docx.text.paragraph import Paragraph
from lxml.etree import SubElement

_P, _R, _RPR, _T = qn("w:p"), qn("w:r"), qn("w:rPr"), qn("w:t")
_B, _I, _SZ, _TAB, _BR = qn("w:b"), qn("w:i"), qn("w:sz"), qn("w:tab"), qn("w:br")
_SECT_PR = qn("w:sectPr")
_VAL = qn("w:val")
_SPACE = "{http://www.w3.org/XML/1998/namespace}space"

# A tab or a line break inside a text becomes its own element, as python-docx's Run.text does.
_BREAKS = re.compile(r"([\t\n\r])")

# Body paragraphs: justified, 1 cm first-line indent, 6 pt after (the agenda's and notice's body).
BODY_INDENT_TWIPS = Cm(1).twips
BODY_AFTER_TWIPS = Pt(6).twips


def paragraph_at_end(doc: DocxDocument) -> Paragraph:
    """A new empty paragraph at the end of the body (before its section properties)."""
    body = doc.element.body
    p = OxmlElement("w:p")
    try:
        last = body[-1]  # from the end: len() of an lxml element counts every child
    except IndexError:
        last = None
    if last is not None and last.tag == _SECT_PR:
        last.addprevious(p)
    else:
        body.append(p)
    return Paragraph(p, doc._body)


def paragraph_format(
    p: BaseOxmlElement,
    *,
    align: str | None = None,
    first_line_twips: int | None = None,
    before_twips: int | None = None,
    after_twips: int | None = None,
    keep_next: bool = False,
) -> None:
    """The paragraph's properties, on a paragraph that has none yet (in schema order)."""
    ppr = OxmlElement("w:pPr")
    p.insert(0, ppr)
    if keep_next:
        SubElement(ppr, qn("w:keepNext"))
    if before_twips is not None or after_twips is not None:
        spacing = SubElement(ppr, qn("w:spacing"))
        if before_twips is not None:
            spacing.set(qn("w:before"), str(before_twips))
        if after_twips is not None:
            spacing.set(qn("w:after"), str(after_twips))
    if first_line_twips is not None:
        SubElement(ppr, qn("w:ind")).set(qn("w:firstLine"), str(first_line_twips))
    if align is not None:
        SubElement(ppr, qn("w:jc")).set(_VAL, align)


def add_runs(p: BaseOxmlElement, runs: Iterable[tuple[str, str]], *, size_pt: float | None = None) -> None:
    """Runs of text, each (text, "b" / "i" / "bi" / ""), optionally in a size of their own."""
    for text, style in runs:
        r = SubElement(p, _R)
        if style or size_pt is not None:
            rpr = SubElement(r, _RPR)
            if "b" in style:
                SubElement(rpr, _B)
            if "i" in style:
                SubElement(rpr, _I)
            if size_pt is not None:
                SubElement(rpr, _SZ).set(_VAL, str(round(size_pt * 2)))  # half-points
        for piece in _BREAKS.split(text) if ("\t" in text or "\n" in text or "\r" in text) else (text,):
            if piece == "\t":
                SubElement(r, _TAB)
            elif piece in ("\n", "\r"):
                SubElement(r, _BR)
            elif piece:
                t = SubElement(r, _T)
                t.text = piece
                if piece[0].isspace() or piece[-1].isspace():
                    t.set(_SPACE, "preserve")


# --- Table cells -----------------------------------------------------------------------------

_TC, _TR_PR = qn("w:tc"), qn("w:trPr")
_CELL_AFTER_TWIPS = Pt(2).twips
Line = list[tuple[str, str]]  # one paragraph's runs, (text, "b" / "i" / "")


def row_cells(tr: BaseOxmlElement) -> list[BaseOxmlElement]:
    """The cells (w:tc) of a table row, in order."""
    return [child for child in tr if child.tag == _TC]


def cell_lines(tc: BaseOxmlElement, lines: Iterable[Line], *, size_pt: float, align: str = "left") -> None:
    """Fill an empty cell: one paragraph per line (the first one reuses the cell's own)."""
    first = tc.find(_P)
    for index, runs in enumerate(lines):
        p = first if index == 0 and first is not None and len(first) == 0 else SubElement(tc, _P)
        paragraph_format(p, align=align, after_twips=_CELL_AFTER_TWIPS)
        add_runs(p, runs, size_pt=size_pt)


def header_row(tr: BaseOxmlElement, headers: Iterable[str], *, size_pt: float) -> None:
    """A table's header row: bold, centred, repeated at the top of every page, never split."""
    tr_pr = OxmlElement("w:trPr")
    SubElement(tr_pr, qn("w:cantSplit"))
    SubElement(tr_pr, qn("w:tblHeader"))
    first_cell = next(i for i, child in enumerate(tr) if child.tag == _TC)
    tr.insert(first_cell, tr_pr)
    for tc, header in zip(row_cells(tr), headers, strict=True):
        cell_lines(tc, [[(header, "b")]], size_pt=size_pt, align="center")
