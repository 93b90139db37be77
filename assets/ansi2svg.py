#!/usr/bin/env python3
"""Turns a terminal capture with colours (`tmux capture-pane -p -e`) into an
SVG of the screen, one monospace cell per character, so rsvg-convert can
make a PNG of exactly what a person saw. Standard library only.

Usage: ansi2svg.py CAPTURE WIDTH HEIGHT > screen.svg

Understands the SGR codes ratatui and tmux emit: reset, bold, dim, italic,
underline, reverse, the 16 colours, 256-colour (38;5;N) and true colour
(38;2;R;G;B) for foreground and background. Any other escape sequence is
an error that names it, rather than a picture with stray characters.
"""

import html
import re
import sys
import unicodedata

FONT_SIZE = 15
CELL_W = FONT_SIZE * 0.6021  # DejaVu Sans Mono's advance is 1233/2048 em
CELL_H = FONT_SIZE * 1.25
PAD = 12
FG = "#d8dee9"
BG = "#1d2129"
# A dark-terminal palette; 8 ("bright black") is what the cockpit dims with,
# so it has to stay readable on the background.
PALETTE16 = [
    "#1d2129", "#e06c75", "#98c379", "#e5c07b", "#61afef", "#c678dd", "#56b6c2", "#d8dee9",
    "#7f8896", "#ef7f88", "#b5e08c", "#f2d38d", "#7cc3ff", "#d990f0", "#6fd3df", "#ffffff",
]


def colour256(n):
    if n < 16:
        return PALETTE16[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        r, g, b = steps[n // 36], steps[(n // 6) % 6], steps[n % 6]
        return f"#{r:02x}{g:02x}{b:02x}"
    v = 8 + 10 * (n - 232)
    return f"#{v:02x}{v:02x}{v:02x}"


class Style:
    def __init__(self):
        self.reset()

    def reset(self):
        self.fg = None
        self.bg = None
        self.bold = self.dim = self.italic = self.underline = self.reverse = False

    def key(self):
        return (self.fg, self.bg, self.bold, self.dim, self.italic, self.underline, self.reverse)

    def apply(self, params, where):
        codes = [int(p) if p else 0 for p in params.split(";")] if params else [0]
        i = 0
        while i < len(codes):
            c = codes[i]
            if c == 0:
                self.reset()
            elif c == 1:
                self.bold = True
            elif c == 2:
                self.dim = True
            elif c == 3:
                self.italic = True
            elif c == 4:
                self.underline = True
            elif c == 7:
                self.reverse = True
            elif c == 22:
                self.bold = self.dim = False
            elif c == 23:
                self.italic = False
            elif c == 24:
                self.underline = False
            elif c == 27:
                self.reverse = False
            elif 30 <= c <= 37:
                self.fg = PALETTE16[c - 30]
            elif 90 <= c <= 97:
                self.fg = PALETTE16[c - 90 + 8]
            elif 40 <= c <= 47:
                self.bg = PALETTE16[c - 40]
            elif 100 <= c <= 107:
                self.bg = PALETTE16[c - 100 + 8]
            elif c == 39:
                self.fg = None
            elif c == 49:
                self.bg = None
            elif c in (38, 48) and i + 1 < len(codes):
                if codes[i + 1] == 5 and i + 2 < len(codes):
                    value = colour256(codes[i + 2])
                    i += 2
                elif codes[i + 1] == 2 and i + 4 < len(codes):
                    value = "#{:02x}{:02x}{:02x}".format(*codes[i + 2 : i + 5])
                    i += 4
                else:
                    sys.exit(f"ansi2svg: colour code {params!r} at {where} is not 5;N or 2;R;G;B")
                if c == 38:
                    self.fg = value
                else:
                    self.bg = value
            else:
                sys.exit(f"ansi2svg: SGR code {c} (in {params!r}) at {where} is not supported")
            i += 1


TOKEN = re.compile(r"\x1b\[([0-9;]*)m|\x1b(.)|([^\x1b])", re.S)


def parse(text, width, height):
    """Cells as rows of (char, style key); wide characters take two cells."""
    style = Style()
    rows = []
    for y, line in enumerate(text.split("\n")[:height]):
        cells = []
        for m in TOKEN.finditer(line):
            sgr, other, ch = m.groups()
            if sgr is not None:
                style.apply(sgr, f"row {y + 1}")
            elif other is not None:
                sys.exit(f"ansi2svg: escape ESC {other!r} at row {y + 1} is not supported")
            else:
                cells.append((ch, style.key()))
                if unicodedata.east_asian_width(ch) in ("W", "F"):
                    cells.append(("", style.key()))
        rows.append(cells[:width])
    while len(rows) < height:
        rows.append([])
    return rows


def colours(key):
    fg, bg, bold, dim, italic, underline, reverse = key
    fg, bg = fg or FG, bg
    if reverse:
        fg, bg = (bg or BG), fg
    return fg, bg


def render(rows, width, height):
    w = PAD * 2 + width * CELL_W
    h = PAD * 2 + height * CELL_H
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0f}" height="{h:.0f}" '
        f'viewBox="0 0 {w:.1f} {h:.1f}">',
        f'<rect width="100%" height="100%" rx="8" fill="{BG}"/>',
        f'<g font-family="DejaVu Sans Mono, monospace" font-size="{FONT_SIZE}" '
        f'xml:space="preserve">',
    ]
    for y, cells in enumerate(rows):
        top = PAD + y * CELL_H
        base = top + CELL_H * 0.78
        # Backgrounds first, merged into runs of one colour.
        x = 0
        while x < len(cells):
            _, bg = colours(cells[x][1])
            end = x
            while end < len(cells) and colours(cells[end][1])[1] == bg:
                end += 1
            if bg:
                out.append(
                    f'<rect x="{PAD + x * CELL_W:.2f}" y="{top:.2f}" '
                    f'width="{(end - x) * CELL_W + 0.5:.2f}" height="{CELL_H + 0.5:.2f}" fill="{bg}"/>'
                )
            x = end
        # Then text: each character at its own cell, so glyphs that a
        # fallback font draws wider cannot push the rest of the line.
        for x, (ch, key) in enumerate(cells):
            if ch in ("", " "):
                continue
            fg, _ = colours(key)
            _, _, bold, dim, italic, underline, _ = key
            if ch == "\u2588":
                # A full block drawn as a glyph leaves hairlines between
                # cells; a filled cell is what a terminal shows.
                out.append(
                    f'<rect x="{PAD + x * CELL_W:.2f}" y="{top:.2f}" width="{CELL_W + 0.5:.2f}" '
                    f'height="{CELL_H + 0.5:.2f}" fill="{fg}"/>'
                )
                continue
            attrs = [f'x="{PAD + x * CELL_W:.2f}"', f'y="{base:.2f}"', f'fill="{fg}"']
            if bold:
                attrs.append('font-weight="bold"')
            if dim:
                attrs.append('opacity="0.6"')
            if italic:
                attrs.append('font-style="italic"')
            if underline:
                attrs.append('text-decoration="underline"')
            out.append(f"<text {' '.join(attrs)}>{html.escape(ch)}</text>")
    out.append("</g></svg>")
    return "\n".join(out)


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: ansi2svg.py CAPTURE WIDTH HEIGHT > screen.svg")
    path, width, height = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    with open(path, encoding="utf-8") as f:
        text = f.read()
    print(render(parse(text, width, height), width, height))


if __name__ == "__main__":
    main()
