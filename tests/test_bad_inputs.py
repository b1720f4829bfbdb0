"""Every bad input ends in a clear error naming the culprit: the tables in ``tests/bad_cases/``.

API cases must raise the expected exception class (a :class:`spikeloom.SpikeloomError` subclass) whose
message names the culprit. CLI cases run ``spikeloom.cli.main`` in this process (no simulation starts for a
bad option) and must return the expected exit code with one line on standard error, never a traceback.
"""

import importlib
import pkgutil
import re

import pytest

import bad_cases
from bad_cases import ApiCase, CliCase
from spikeloom import SpikeloomError


def _load_cases():
    cases = []
    for info in pkgutil.iter_modules(bad_cases.__path__):
        module = importlib.import_module(f"bad_cases.{info.name}")
        cases += [pytest.param(case, id=f"{info.name}:{case.id}") for case in module.CASES]
    return cases


CASES = _load_cases()
API = [c for c in CASES if isinstance(c.values[0], ApiCase)]
CLI = [c for c in CASES if isinstance(c.values[0], CliCase)]


def test_there_are_enough_cases():
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    assert len(CASES) >= 300


@pytest.mark.parametrize("case", API)
def test_api_case(case: ApiCase):
    assert issubclass(case.error, SpikeloomError)
    with pytest.raises(case.error) as info:
        case.call()
    assert re.search(case.match, str(info.value)), f"message {str(info.value)!r} does not name {case.match!r}"


@pytest.mark.parametrize("case", CLI)
def test_cli_case(case: CliCase, tmp_path, capsys, monkeypatch):
    from spikeloom.cli import main

    for name, data in case.files.items():
        (tmp_path / name).write_bytes(data)
    monkeypatch.chdir(tmp_path)
    argv = [a.replace("{tmp}", str(tmp_path)) for a in case.argv]
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own exits
        code = exc.code
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert code == case.code, f"exit code {code}, stderr {err!r}"
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got {lines}"
    assert re.search(case.match, lines[0]), f"stderr {lines[0]!r} does not name {case.match!r}"
