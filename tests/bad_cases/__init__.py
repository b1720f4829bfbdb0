"""Tables of bad inputs for ``tests/test_bad_inputs.py``: one module per area, each defining ``CASES``.

A case is an :class:`ApiCase` (a call that must raise a given exception class whose message matches a
pattern naming the culprit) or a :class:`CliCase` (``spikeloom`` arguments that must exit with a given code
and print one line on standard error matching a pattern, never a traceback).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable


@dataclass(frozen=True)
class ApiCase:
    id: str
    call: Callable[[], object]  # called with no arguments; must raise ``error``
    error: type
    match: str  # regular expression searched in str(exception): the culprit's name at least


@dataclass(frozen=True)
class CliCase:
    id: str
    argv: list[str]  # after ``spikeloom``, e.g. ["run", "coba", "--duration", "nan"]
    match: str  # regular expression searched in standard error
    code: int = 2
    files: dict = field(default_factory=dict)  # name -> bytes, written into a temporary folder first;
    # "{tmp}" in argv is replaced by that folder
