"""Pieces shared by result objects: references, confidence intervals, labelled output."""

from __future__ import annotations

import dataclasses
import html
import textwrap
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

__all__ = [
    "ConfidenceInterval",
    "Reference",
    "ResultBase",
    "ShortRepr",
    "fill",
    "format_references",
    "seed_text",
    "short_repr",
]


@dataclass(frozen=True)
class Reference:
    """A bibliographic reference, printable as text or BibTeX.

    ``authors`` is written as in the text form, "Last, F. M., Last, F., & Last, F."; ``volume``
    and ``number`` (the issue) are separate fields.
    """

    key: str
    authors: str
    year: int
    title: str
    journal: str
    volume: str = ""
    pages: str = ""
    doi: str = ""
    entry_type: str = "article"
    number: str = ""

    def author_list(self) -> list[str]:
        """The authors, one "Last, F. M." string each (the text form split at its commas)."""
        parts = [p.strip().removeprefix("& ").strip() for p in self.authors.split(", ")]
        if len(parts) % 2:
            raise ValueError(
                f"Reference {self.key!r}: `authors` must be 'Last, F., Last, F., & Last, F.'; "
                f"got {self.authors!r}"
            )
        return [f"{last}, {first}" for last, first in zip(parts[::2], parts[1::2])]

    def text(self) -> str:
        vol = f", {self.volume}" if self.volume else ""
        num = f"({self.number})" if self.number else ""
        pages = f", {self.pages}" if self.pages else ""
        doi = f". doi:{self.doi}" if self.doi else ""
        return f"{self.authors} ({self.year}). {self.title}. {self.journal}{vol}{num}{pages}{doi}"

    def bibtex(self) -> str:
        """One BibTeX entry: authors joined by ``and``, volume and number apart, page ranges
        with ``--``, ``&`` escaped for LaTeX; the venue is ``journal`` for an article,
        ``booktitle`` for a chapter (incollection) and ``note`` for a working paper (misc)."""
        venue = {"article": "journal", "incollection": "booktitle", "misc": "note"}.get(
            self.entry_type, "publisher")
        fields = {
            "author": " and ".join(self.author_list()),
            "year": str(self.year),
            "title": "{" + _tex(self.title) + "}",
            venue: _tex(self.journal),
            "volume": self.volume,
            "number": self.number,
            "pages": self.pages.replace("-", "--"),
            "doi": self.doi,
        }
        body = ",\n".join(f"  {k} = {{{v}}}" for k, v in fields.items() if v)
        return f"@{self.entry_type}{{{self.key},\n{body}\n}}"


def _tex(text: str) -> str:
    """``&`` is LaTeX's column separator: escape it in BibTeX field values."""
    return text.replace("\\&", "&").replace("&", "\\&")


def seed_text(seed: Any) -> str:
    """A :class:`~sigtest.SeedRecord` for people: "seed 7" (the integer given as ``rng``), with
    the spawn key only when there is one."""
    key = tuple(seed.spawn_key)
    return f"seed {seed.entropy}" + (f" (spawn key {key})" if key else "")


def device_text(device: str, work: str = "the bootstrap's matrix products ran") -> str:
    """The clause of a method paragraph saying where ``work`` (by default the bootstrap's
    products) ran ('' on the CPU)."""
    return "" if device == "cpu" else f"; {work} on {device}"


def fill(text: str, width: int = 100) -> str:
    """Wrap a paragraph for people: never at a hyphen ("two-sided" stays whole)."""
    return textwrap.fill(text, width=width, break_on_hyphens=False, break_long_words=False)


# ------------------------------------------------------------------------------------------------
# Short representations: the headline numbers, never a whole distribution
# ------------------------------------------------------------------------------------------------

#: Width of a short repr's lines, and the longest text shown for one field.
_REPR_WIDTH = 100
_REPR_ITEM = 60


def _short_value(value: Any) -> str:
    """One field in a few characters: numbers to 4 significant digits, arrays and pandas objects
    as their type and shape, long containers as their length."""
    if value is None or isinstance(value, (bool, np.bool_)):
        return repr(None if value is None else bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.4g}"
    if isinstance(value, str):
        return repr(value if len(value) <= 40 else value[:37] + "...")
    if isinstance(value, np.ndarray):
        if value.ndim == 0:
            return _short_value(value.item())
        return f"<array {value.shape}>"
    if isinstance(value, pd.Series):
        return f"<Series ({len(value)},)>"
    if isinstance(value, pd.DataFrame):
        return f"<DataFrame {value.shape}>"
    if isinstance(value, (list, tuple)):
        if len(value) <= 5:
            inner = ", ".join(_short_value(v) for v in value)
            text = f"({inner}{',' if len(value) == 1 else ''})" if isinstance(value, tuple) else (
                f"[{inner}]")
            if len(text) <= _REPR_ITEM:
                return text
        return f"<{type(value).__name__} of {len(value)}>"
    if isinstance(value, dict):
        return f"<dict of {len(value)}>"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        inner = ", ".join(f"{k}={v}" for k, v in _short_items(value))
        text = f"{type(value).__name__}({inner})"
        return text if len(text) <= _REPR_ITEM else f"<{type(value).__name__}>"
    text = repr(value)
    return text if len(text) <= 40 else f"<{type(value).__name__}>"


def _short_items(obj: Any, names: tuple[str, ...] | None = None) -> list[tuple[str, str]]:
    if names is None:
        names = tuple(f.name for f in dataclasses.fields(obj) if f.repr)
    return [(name, _short_value(getattr(obj, name))) for name in names]


def short_repr(obj: Any, names: tuple[str, ...] | None = None) -> str:
    """``ClassName(field=value, ...)`` over a few lines of at most 100 characters, each field as
    :func:`_short_value` gives it (``names``: the fields shown, default every field)."""
    items = [f"{k}={v}" for k, v in _short_items(obj, names)]
    lines: list[str] = []
    line = f"{type(obj).__name__}("
    for j, item in enumerate(items):
        piece = item + ("," if j < len(items) - 1 else ")")
        if len(line) + 1 + len(piece) > _REPR_WIDTH and not line.endswith("("):
            lines.append(line)
            line = "    " + piece
        else:
            line += ("" if line.endswith("(") else " ") + piece
    if not items:
        line += ")"
    lines.append(line)
    return "\n".join(lines)


def repr_html(obj: Any, names: tuple[str, ...] | None = None) -> str:
    """A small HTML table of the same fields as :func:`short_repr` (every text escaped)."""
    rows = "".join(
        f"<tr><th style=\"text-align:left\">{html.escape(k)}</th>"
        f"<td style=\"text-align:left\">{html.escape(v)}</td></tr>"
        for k, v in _short_items(obj, names)
    )
    return (f"<table><caption style=\"text-align:left\"><b>{html.escape(type(obj).__name__)}"
            f"</b></caption><tbody>{rows}</tbody></table>")


class ShortRepr:
    """Mixin: a short ``repr`` and ``_repr_html_`` for a frozen dataclass.

    ``@dataclass`` writes its own ``__repr__`` into every class it decorates, which would print
    whole distributions; this hook puts the short one into the subclass before the decorator
    runs, and the decorator keeps a ``__repr__`` it finds in the class.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "__repr__" not in cls.__dict__:
            setattr(cls, "__repr__", ShortRepr.__repr__)

    def __repr__(self) -> str:
        return short_repr(self)

    def _repr_html_(self) -> str:
        return repr_html(self)


def format_references(refs: tuple[Reference, ...]) -> str:
    return "\n".join(f"- {r.text()}" for r in refs)


@dataclass(frozen=True)
class ConfidenceInterval(ShortRepr):
    """Lower and upper bounds; arrays (or Series) with one entry per strategy."""

    low: Any
    high: Any

    def __iter__(self) -> Any:  # allows ``low, high = ci``
        return iter((self.low, self.high))


class ResultBase(ShortRepr):
    """Mixin for frozen result dataclasses (with the short ``repr`` of :class:`ShortRepr`).

    Subclasses set ``_references`` (or override ``references()``) and implement ``_method_text`` (one paragraph saying what was
    computed with which settings); ``describe()`` adds the references, ``cite()`` the BibTeX.
    """

    _references: ClassVar[tuple[Reference, ...]] = ()

    def _method_text(self) -> str:  # pragma: no cover - every subclass overrides
        raise NotImplementedError

    def references(self) -> tuple[Reference, ...]:
        """The papers behind this result (may depend on the settings used)."""
        return self._references

    def describe(self) -> str:
        """A citation-ready paragraph stating the method, its settings and its references."""
        para = fill(self._method_text())
        refs = self.references()
        if refs:
            para += "\n\nReferences\n" + format_references(refs)
        return para

    def cite(self) -> str:
        """BibTeX entries for the methods used."""
        return "\n\n".join(r.bibtex() for r in self.references())


def as_numpy(x: Any) -> np.ndarray:
    """The values of a per-strategy field, whatever its labelled form."""
    if isinstance(x, (pd.Series, pd.DataFrame)):
        return x.to_numpy()
    return np.asarray(x)
