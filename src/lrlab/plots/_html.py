"""HTML pieces shared by the notebook views (``_repr_html_``) and the report: an inline figure, a table.

Everything returned is a fragment of self-contained HTML: figures are PNGs embedded as ``data:`` URIs, so a
page or a notebook cell needs no file beside it.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Iterable, Sequence
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.figure import Figure, SubFigure

__all__ = ["escape", "figure_data_uri", "figure_img", "table"]


def escape(value: Any) -> str:
    """``str(value)`` with ``&``, ``<``, ``>`` and quotes escaped."""
    return html.escape(str(value), quote=True)


def figure_data_uri(fig: Figure | SubFigure | Any, dpi: int = 90) -> str:
    """The figure as a ``data:image/png;base64,...`` URI; the figure is closed.

    Args:
        fig: A figure, a subfigure or an ``Axes`` (its whole figure is drawn).
        dpi: Resolution of the PNG.
    """
    root = fig.figure if not isinstance(fig, Figure) else fig
    root = root.figure if not isinstance(root, Figure) else root  # an Axes' figure may be a subfigure
    buf = io.BytesIO()
    root.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(root)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def figure_img(fig: Figure | SubFigure | Any, alt: str, dpi: int = 90, width: int | None = None) -> str:
    """An ``<img>`` tag holding the figure inline (see :func:`figure_data_uri`)."""
    size = f' style="max-width:{width}px"' if width else ' style="max-width:100%"'
    return f'<img alt="{escape(alt)}" src="{figure_data_uri(fig, dpi)}"{size}>'


def table(header: Sequence[str], rows: Iterable[Sequence[Any]], caption: str | None = None) -> str:
    """A small HTML table; every cell is escaped."""
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    cap = f"<caption>{escape(caption)}</caption>" if caption else ""
    return f'<table class="lrlab">{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
