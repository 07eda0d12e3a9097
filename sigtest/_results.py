"""Pieces shared by result objects: references, confidence intervals, labelled output."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

__all__ = ["ConfidenceInterval", "Reference", "ResultBase", "format_references"]


@dataclass(frozen=True)
class Reference:
    """A bibliographic reference, printable as text or BibTeX."""

    key: str
    authors: str
    year: int
    title: str
    journal: str
    volume: str = ""
    pages: str = ""
    doi: str = ""
    entry_type: str = "article"

    def text(self) -> str:
        vol = f", {self.volume}" if self.volume else ""
        pages = f", {self.pages}" if self.pages else ""
        doi = f". doi:{self.doi}" if self.doi else ""
        return f"{self.authors} ({self.year}). {self.title}. {self.journal}{vol}{pages}{doi}"

    def bibtex(self) -> str:
        fields = {
            "author": self.authors.replace(", & ", " and ").replace(" & ", " and "),
            "year": str(self.year),
            "title": "{" + self.title + "}",
            "journal" if self.entry_type == "article" else "publisher": self.journal,
            "volume": self.volume,
            "pages": self.pages.replace("-", "--"),
            "doi": self.doi,
        }
        body = ",\n".join(f"  {k} = {{{v}}}" for k, v in fields.items() if v)
        return f"@{self.entry_type}{{{self.key},\n{body}\n}}"


def format_references(refs: tuple[Reference, ...]) -> str:
    return "\n".join(f"- {r.text()}" for r in refs)


@dataclass(frozen=True)
class ConfidenceInterval:
    """Lower and upper bounds; arrays (or Series) with one entry per strategy."""

    low: Any
    high: Any

    def __iter__(self) -> Any:  # allows ``low, high = ci``
        return iter((self.low, self.high))


class ResultBase:
    """Mixin for frozen result dataclasses.

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
        para = textwrap.fill(self._method_text(), width=100)
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
