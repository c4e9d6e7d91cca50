"""Markdown text for reports: what the check and trim reports both write (no heavy imports:
trim's report does not need the findings' renderer)."""

from __future__ import annotations

import re

__all__ = ["md_escape"]

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|])")


def md_escape(text: str) -> str:
    """Escape text for a Markdown table cell or paragraph (HTML, emphasis, pipes, newlines)."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return text.replace("\r\n", "\n").replace("\n", "<br>")
