"""PDF pieces shared by every paper the system stamps (§5 registration forms, §6
certificates): the Chinese font, the drawn seal and the QR code that leads to the
public verification page. No database, no Django setting, no document layout: each
document's renderer (``jiaozi.registration.completion.form`` for the registration form)
composes these. Choices: docs/decisions/0070-0073 and 0139.

- Chinese text is real text in Adobe's standard ``STSong-Light`` CID font with the
  ``UniGB-UCS2-H`` CMap: no font file to ship, extractable by every reader with the
  Adobe-GB1 collection. ``register_embedded_font`` switches to an embedded TrueType
  subset when a province wants archive-grade embedding with a font it has licensed.
- The seal is drawn, never an image of a real seal.
"""

from __future__ import annotations

import math
import threading
from functools import lru_cache

import segno
from reportlab import rl_config
from reportlab.lib.colors import Color, black
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

# ASCII85 on top of Flate only makes streams 25 % bigger and costs a third of the
# rendering time; binary streams are standard PDF. Set once, at import: reportlab reads
# the flag while a document is written, so it must not change under a running render.
rl_config.useA85 = 0

FONT_CID = "STSong-Light"
SEAL_RED = Color(0.84, 0.07, 0.09)
SEAL_RADIUS = 46.0
QR_MASK = 2


# --- Fonts ------------------------------------------------------------------------

_font_lock = threading.Lock()
_font_name: str | None = None


def current_font() -> str:
    """The registered font name; the CID font unless an embedded one was chosen."""
    global _font_name
    if _font_name is None:
        with _font_lock:
            if _font_name is None:
                pdfmetrics.registerFont(UnicodeCIDFont(FONT_CID))
                _font_name = FONT_CID
    return _font_name


def register_embedded_font(path: str, *, subfont_index: int = 0) -> str:
    """Use a TrueType (.ttf/.ttc, glyf outlines) font, embedded as a subset, for every
    document rendered after this call. Returns the registered font name. Call it once at
    start-up (the certificates app does when CERTIFICATE_PDF_FONT_FILE is set)."""
    global _font_name
    name = "JiaoziForm-Embedded"
    with _font_lock:
        pdfmetrics.registerFont(TTFont(name, path, subfontIndex=subfont_index))
        _font_name = name
        _char_width.cache_clear()
    return name


def use_cid_font() -> None:
    """Back to the default CID font (tests switch fonts and restore)."""
    global _font_name
    with _font_lock:
        _font_name = None
        _char_width.cache_clear()


@lru_cache(maxsize=8192)
def _char_width(font: str, char: str) -> float:
    """Width of one character at 1 pt, so wrapping needs no per-call font lookups."""
    return pdfmetrics.stringWidth(char, font, 1)


def text_width(text: str, font: str, size: float) -> float:
    return sum(_char_width(font, ch) for ch in text) * size


def wrap_text(text: str, font: str, size: float, width: float) -> list[str]:
    """Break text into lines no wider than ``width``. Chinese breaks between any two
    characters; a run of Latin letters or digits stays whole where it fits."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        line_width = 0.0
        for token in _tokens(paragraph):
            token_width = text_width(token, font, size)
            if token in NO_LINE_START:
                # Closing punctuation never starts a line (禁则): it hangs in the margin.
                line += token
                line_width += token_width
                continue
            if line and line_width + token_width > width:
                lines.append(line.rstrip())
                line, line_width = "", 0.0
                token = token.lstrip()
                token_width = text_width(token, font, size)
            if token_width > width:
                # A single over-long token (a URL, a long number): cut it by character.
                for ch in token:
                    ch_width = _char_width(font, ch) * size
                    if line and line_width + ch_width > width:
                        lines.append(line)
                        line, line_width = "", 0.0
                    line += ch
                    line_width += ch_width
                continue
            line += token
            line_width += token_width
        lines.append(line.rstrip())
    return lines


NO_LINE_START = frozenset("。，、；：？！）》」』”’.,;:?!)")


def _tokens(text: str) -> list[str]:
    tokens: list[str] = []
    current = ""
    for ch in text:
        if ch.isascii() and (ch.isalnum() or ch in "-_./:"):
            current += ch
            continue
        if current:
            tokens.append(current)
            current = ""
        tokens.append(ch)
    if current:
        tokens.append(current)
    return tokens


# --- QR code ----------------------------------------------------------------------


def draw_qr(c: Canvas, url: str, x: float, y: float, size: float) -> None:
    """The QR code as vector rectangles, one per run of dark modules in a row, written
    in module units under one transform: crisp at any zoom and cheap to emit."""
    rows = qr_matrix(url)
    module = size / len(rows)
    ops = []
    for row_index, row in enumerate(rows):
        start = -1
        for column, dark in enumerate((*row, 0)):
            if dark and start < 0:
                start = column
            elif not dark and start >= 0:
                ops.append(f"{start} {row_index} {column - start} 1 re")
                start = -1
    ops.append("f")
    c.saveState()
    c.setFillColor(black)
    # Rows run downwards from the top-left corner, as in the matrix.
    c.translate(x, y + size)
    c.scale(module, -module)
    c.addLiteral("\n".join(ops))
    c.restoreState()


def qr_matrix(url: str) -> list[tuple[int, ...]]:
    """The QR modules (1 = dark) without the quiet zone. Error correction M survives a
    crease or a stain. The mask is fixed (QR_MASK): choosing the best of the eight
    costs more than the rest of the page, and every mask is valid (ISO/IEC 18004);
    see docs/decisions/0071-stamped-pdf-rendering.md."""
    code = segno.make(url, error="m", micro=False, mask=QR_MASK)
    return [tuple(row) for row in code.matrix_iter(scale=1, border=0)]


# --- Seal -------------------------------------------------------------------------


@lru_cache(maxsize=256)
def _seal_layout(name: str, font: str) -> tuple[float, tuple[tuple[float, float, float, str], ...]]:
    """Font size and (x, y, rotation, character) of the name around the ring, relative
    to the seal's centre. Cached: one seal per institution, thousands of forms."""
    radius = SEAL_RADIUS * 0.68
    count = len(name)
    # The name runs clockwise over the top, like an official seal, wider for longer names.
    span = min(250.0, max(120.0, 20.0 * count))
    size = min(SEAL_RADIUS * 0.28, 2 * math.pi * radius * (span / 360.0) / max(count, 1) * 0.92)
    placements = []
    for index, char in enumerate(name):
        angle = 90.0 + span / 2 - (span * (index + 0.5) / count)
        radians = math.radians(angle)
        placements.append((radius * math.cos(radians), radius * math.sin(radians), angle - 90.0, char))
    return size, tuple(placements)


def draw_seal(
    c: Canvas,
    font: str,
    name: str,
    cx: float,
    cy: float,
    *,
    caption: str = "注册专用章",
    form_name: str = "JiaoziSeal",
    scale: float = 1.0,
) -> None:
    """The drawn seal, as a form XObject: drawn once per document, placed by reference.
    A red ring, ``name`` on an arc, a star, ``caption`` and "系统生成": never an image
    of a real seal. A document with several seals gives each its own ``form_name``;
    ``scale`` shrinks it to fit a smaller box (radius ``SEAL_RADIUS * scale``)."""
    r = SEAL_RADIUS
    c.beginForm(form_name, lowerx=-r, lowery=-r, upperx=r, uppery=r)
    c.saveState()
    c.setStrokeColor(SEAL_RED)
    c.setFillColor(SEAL_RED)
    c.setLineWidth(r * 0.055)
    c.circle(0, 0, r * 0.95, stroke=1, fill=0)
    star = c.beginPath()
    outer, inner = r * 0.24, r * 0.24 * 0.382
    for point in range(10):
        radius = outer if point % 2 == 0 else inner
        angle = math.radians(90 + point * 36)
        px, py = radius * math.cos(angle), radius * math.sin(angle)
        if point == 0:
            star.moveTo(px, py)
        else:
            star.lineTo(px, py)
    star.close()
    c.drawPath(star, stroke=0, fill=1)
    size, placements = _seal_layout(name, font)
    c.setFont(font, size)
    for px, py, rotation, char in placements:
        c.saveState()
        c.translate(px, py)
        c.rotate(rotation)
        c.drawCentredString(0, -size * 0.35, char)
        c.restoreState()
    c.setFont(font, r * 0.17)
    c.drawCentredString(0, -r * 0.48, caption)
    c.setFont(font, r * 0.12)
    c.drawCentredString(0, -r * 0.70, "系统生成")
    c.restoreState()
    c.endForm()
    c.saveState()
    # Slightly translucent, so the conclusion and dates under the seal stay legible.
    c.setFillAlpha(0.82)
    c.setStrokeAlpha(0.82)
    c.translate(cx, cy)
    if scale != 1.0:
        c.scale(scale, scale)
    c.doForm(form_name)
    c.restoreState()
