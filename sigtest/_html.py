"""The HTML validation report: one self-contained page.

Everything is inline: the style sheet is a ``<style>`` block, the figures are PNG images embedded
as base64 ``data:`` URIs, and nothing (script, font, style sheet, image) is loaded from anywhere.
Every piece of text that comes from the data -- strategy labels, the file name, the methods
paragraph -- goes through :func:`html.escape`. matplotlib is optional: without it the page says
that the figures were left out and how to get them.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Callable
from typing import Any

from sigtest._results import seed_text
from sigtest._validation import _describe_labels

__all__ = ["render_figures", "render_html"]

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif;
       max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 1.8em;
     border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; font-size: 0.9em; }
th, td { padding: 0.3em 0.6em; border-bottom: 1px solid #e4e4e4; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.pass { color: #1d6b2f; font-weight: 600; } td.fail { color: #a12a2a; font-weight: 600; }
.verdict { font-size: 1.1em; padding: 0.6em 0.8em; background: #f4f6f9;
           border-left: 4px solid #4878a8; }
pre { background: #f7f7f7; padding: 0.8em; overflow-x: auto; font-size: 0.85em; }
figure { margin: 1.2em 0; } figure img { max-width: 100%; }
details { margin: 0.8em 0; } summary { cursor: pointer; font-weight: 600; }
.note { color: #6a4b00; background: #fff6dd; padding: 0.5em 0.8em; }
"""

#: (name, caption) of each figure, in page order.
FIGURES: tuple[tuple[str, str], ...] = (
    ("pbo_logits", ("PBO: histogram of the CSCV logits (logit <= 0: the in-sample best ranked "
                    "below the out-of-sample median).")),
    ("pbo_degradation", ("Performance degradation: out-of-sample against in-sample Sharpe ratio "
                         "of the selected strategy in each CSCV split.")),
    ("null_distribution", ("Reality Check: bootstrap null distribution of the maximum statistic, "
                           "with the observed value.")),
    ("dsr_trials", "Deflated Sharpe ratio of the best strategy against the number of trials."),
    ("sharpe_intervals", "Sharpe ratios of the best strategies with their bootstrap intervals."),
)


def _drawers(report: Any) -> dict[str, Callable[[Any], Any]]:
    from sigtest import plotting

    return {
        "pbo_logits": lambda ax: plotting.plot_pbo_logits(report.pbo, ax=ax),
        "pbo_degradation": lambda ax: plotting.plot_pbo_degradation(report.pbo, ax=ax),
        "null_distribution": lambda ax: plotting.plot_null_distribution(report.reality_check,
                                                                         ax=ax),
        "dsr_trials": lambda ax: plotting.plot_dsr_trials(report.dsr, ax=ax),
        "sharpe_intervals": lambda ax: plotting.plot_sharpe_intervals(report.sharpe_ci, ax=ax),
    }


def _all_figures(report: Any) -> list[tuple[str, str, float, Callable[[Any], Any]]]:
    """(name, caption, height, draw) of every figure: the battery's, then each section's
    (named ``<section key>.<figure name>``)."""
    drawers = _drawers(report)
    out = [(name, caption, 5.5 if name == "sharpe_intervals" else 4.0, drawers[name])
           for name, caption in FIGURES]
    for key, sec in report.sections.items():
        out += [(f"{key}.{fig.name}", fig.caption, fig.height, _section_drawer(fig))
                for fig in sec.figures]
    return out


def _section_drawer(fig: Any) -> Callable[[Any], Any]:
    """A section figure's drawing call: ``sigtest.plotting.<fig.plot>(*fig.args, ax=ax, ...)``."""
    from sigtest import plotting

    plot = getattr(plotting, fig.plot)
    return lambda ax: plot(*fig.args, ax=ax, **fig.kwargs)


def render_figures(report: Any) -> dict[str, bytes] | None:
    """PNG bytes of every figure, or None when matplotlib is not installed.

    Figures are drawn on ``matplotlib.figure.Figure`` objects (no pyplot, no global backend
    change) and rendered with the Agg canvas.
    """
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        return None
    out: dict[str, bytes] = {}
    for name, _, height, draw in _all_figures(report):
        fig = Figure(figsize=(7.5, height), dpi=100)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot(1, 1, 1)
        draw(ax)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        out[name] = buf.getvalue()
    return out


def _e(x: object) -> str:
    return html.escape(str(x), quote=True)


def _table(report: Any, section: str | None = None) -> str:
    head, rows = report._display_rows(section)
    parts = ["<table>", "<thead><tr>" + "".join(f"<th>{_e(h)}</th>" for h in head) +
             "</tr></thead>", "<tbody>"]
    for row in rows:
        cells = []
        for j, c in enumerate(row):
            if j in (3, 4, 5):
                cells.append(f'<td class="num">{_e(c)}</td>')
            elif j == 6:
                cls = {"yes": "pass", "no": "fail"}.get(c, "")
                cells.append(f'<td class="{cls}">{_e(c)}</td>')
            else:
                cells.append(f"<td>{_e(c)}</td>")
        parts.append("<tr>" + "".join(cells) + "</tr>")
    parts.append("</tbody></table>")
    return "\n".join(parts)


def _figure(name: str, caption: str, png: dict[str, bytes]) -> str:
    data = base64.b64encode(png[name]).decode("ascii")
    return (f'<figure><img alt="{_e(name)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{_e(caption)}</figcaption></figure>")


def render_html(
    report: Any,
    *,
    title: str = "sigtest validation report",
    source: str | None = None,
    figures: bool = True,
    png: dict[str, bytes] | None = None,
) -> str:
    """The report as one self-contained HTML page.

    Parameters
    ----------
    report : ValidationReport
    title : str
        Page title (escaped).
    source : str, optional
        Where the returns came from (a file name; escaped).
    figures : bool, default: True
        Embed the figures (needs matplotlib; without it the page says so).
    png : dict, optional
        Pre-rendered figures (name -> PNG bytes), e.g. from :func:`render_figures`.
    """
    if figures and png is None:
        png = render_figures(report)
    body = [f"<h1>{_e(title)}</h1>"]
    meta = (f"{report.n_strategies} strategies, T = {report.n_obs} periods"
            + (f", from {_e(source)}" if source else "") + f"; sigtest {_e(report.version)}, "
            f"{_e(seed_text(report.seed))}.")
    body.append(f"<p>{meta}</p>")
    if report.degenerate:
        body.append(
            f'<p class="note">{len(report.degenerate)} column(s) with constant returns (zero '
            "variance, so no Sharpe ratio) were set aside before any test: "
            f"{_e(_describe_labels(report.degenerate, limit=10))}.</p>"
        )
    body.append(f'<p class="verdict">{_e(report.verdict)}</p>')
    body.append("<h2>Summary</h2>")
    body.append(_table(report))
    body.append("<h2>Verdicts</h2><ul>")
    body += [f"<li><strong>{_e(k)}</strong>: {_e(v)}</li>" for k, v in report.verdicts.items()]
    body.append("</ul>")
    body.append("<h2>Figures</h2>")
    if not figures:
        body.append('<p class="note">Figures were not requested.</p>')
    elif png is None:
        body.append('<p class="note">Figures omitted: matplotlib is not installed. Install it '
                    "with <code>pip install sigtest[plot]</code> (or <code>pip install "
                    "matplotlib</code>) and run the report again.</p>")
    else:
        body += [_figure(name, caption, png) for name, caption in FIGURES]
    for key, sec in report.sections.items():
        body.append(f"<h2>{_e(sec.title)}</h2>")
        body.append(_table(report, key))
        body += [f"<p>{_e(note)}</p>" for note in sec.notes]
        if png is not None:
            body += [_figure(f"{key}.{fig.name}", fig.caption, png) for fig in sec.figures]
    body.append("<h2>Methods</h2>")
    paras = report.describe().split("\n\n")
    for p in paras:
        if p.startswith("References\n"):
            items = p.split("\n")[1:]
            body.append(f"<details><summary>References ({len(items)})</summary><ul>")
            body += [f"<li>{_e(item.removeprefix('- '))}</li>" for item in items]
            body.append("</ul></details>")
        else:
            body.append(f"<p>{_e(' '.join(p.split()))}</p>")
    body.append("<h2>BibTeX</h2>")
    body.append(f"<details><summary>BibTeX of every method used ({len(report.references())} "
                "entries)</summary>")
    body.append(f"<pre>{_e(report.cite())}</pre></details>")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        + "\n".join(body) + "\n</body>\n</html>\n"
    )
