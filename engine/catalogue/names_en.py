"""English names of step names and document titles (``processes/names_en.toml``), for the English UI: the
BPMN and the document templates name them in Chinese only."""
from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

from engine.catalogue.rules import PROCESSES_DIR


@lru_cache(maxsize=4)
def english_names(directory: Path = PROCESSES_DIR) -> dict[str, str]:
    """Chinese name → English name, read once."""
    with (directory / "names_en.toml").open("rb") as fh:
        return dict(tomllib.load(fh)["names"])


def english_name(name: str | None) -> str | None:
    """The English name of a step or document title, or None when the file has none."""
    return english_names().get(name or "")
