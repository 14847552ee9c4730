"""openpyxl styles for the sheets the tool writes.  Colours and style names come from core.render."""
from __future__ import annotations

from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side

from ..core import render

FONT_NAME = render.FONT_NAME  # BIZ UDPゴシック: in Windows 10+ and installed by the README command on Linux

thin = Side(style="thin", color="808080")
BORDER = Border(left=thin, right=thin, top=thin, bottom=thin)


def fill(hex_colour: str) -> PatternFill:
    return PatternFill("solid", start_color=hex_colour, end_color=hex_colour)


def font(**kw) -> Font:
    kw.setdefault("name", FONT_NAME)
    kw.setdefault("size", 10)
    return Font(**kw)


LOCKED = Protection(locked=True)
UNLOCKED = Protection(locked=False)


def apply_style(cell, style: dict):
    """Apply a core.render style dict (bold, size, fill, color, border, wrap, align, indent) to a cell."""
    cell.font = font(bold=style.get("bold", False), size=style.get("size", 10), color=style.get("color"),
                     italic=style.get("italic", False))
    if style.get("fill"):
        cell.fill = fill(style["fill"])
    if style.get("border", True):
        cell.border = BORDER
    cell.alignment = Alignment(horizontal=style.get("align"), vertical="center",
                               wrap_text=style.get("wrap", False), indent=style.get("indent", 0))


def print_on_a4(ws, landscape: bool | None = None, title_row: int | None = None, pages_tall: int = 0) -> None:
    """Every sheet the tool makes prints on A4, fitted to the page width (``pages_tall`` 0: as many pages down as
    needed), with ``title_row`` repeated on each page."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    if landscape is not None:
        ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = pages_tall
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    if title_row:
        ws.print_title_rows = f"{title_row}:{title_row}"
