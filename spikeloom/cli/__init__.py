"""The ``spikeloom`` command line: ``spikeloom run <model> [options]``.

Each public module of this package serves some bundled models: it names them in ``MODELS`` (name -> one-line
description) and provides ``add_arguments(parser)`` and ``run(args) -> dict``. The dictionary is printed as
one JSON object (valid JSON: non-finite numbers become ``null``), the last line of standard output. Modules
are discovered, so adding a command means adding a file here; ``_common`` holds what they share.

Exit codes: 0 done; 2 a bad option or input, a resource the run cannot have (memory, an unwritable output),
or a run stopped by an invalid state, always with one line ``spikeloom: error: ...`` on standard error;
130 interrupted by Ctrl-C (network commands write what was simulated first); 1 an internal error (one line;
``SPIKELOOM_DEBUG=1`` shows the traceback).
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import resource
import sys
import warnings


class UsageError(Exception):
    """A command line argparse refuses; main prints it as one line (no usage block)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


def _commands() -> dict:
    """Bundled model name -> (module, description), from every module of this package."""
    found = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for name, description in module.MODELS.items():
            found[name] = (module, description)
    return found


def peak_rss_mb() -> float:
    """Peak resident memory of this process in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def join_negative_values(argv: list[str]) -> list[str]:
    """``--dt -1e-3`` -> ``--dt=-1e-3``: argparse takes a token that starts with ``-`` for an option unless
    it looks like a plain negative number (``-inf`` and ``-1e-3`` do not), which leaves the option without
    its value; joined, the value reaches the option's check and the message names the option."""
    out: list[str] = []
    for token in argv:
        prev = out[-1] if out else ""
        if token.startswith("-") and _is_number(token) and prev.startswith("--") and "=" not in prev:
            out[-1] = f"{prev}={token}"
        else:
            out.append(token)
    return out


def _parser(commands: dict, model: str | None):
    listing = "\n".join(f"  {name:<20} {desc}" for name, (_, desc) in commands.items())
    parser = _Parser(prog="spikeloom", formatter_class=argparse.RawDescriptionHelpFormatter, allow_abbrev=False,
                     description="Simulate spiking neural networks.", epilog=f"bundled models:\n{listing}")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="simulate a bundled model (spikeloom run <model> --help for its options)",
                         formatter_class=argparse.RawDescriptionHelpFormatter, allow_abbrev=False,
                         epilog=f"bundled models:\n{listing}")
    run.add_argument("model", help=f"one of: {', '.join(commands)}")
    if model is not None:
        commands[model][0].add_arguments(run)
    return parser


def _fail(message: str, code: int = 2) -> int:
    one_line = " ".join(message.splitlines())
    print(f"spikeloom: error: {one_line}", file=sys.stderr)
    return code


def _warn_one_line(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings during a command as one line on stderr (not Python's two, with a source line)."""
    print(f"spikeloom: warning: {message}", file=sys.stderr if file is None else file)


def main(argv=None) -> int:
    from .._errors import SpikeloomError
    from ._common import is_root, json_line

    argv = join_negative_values(sys.argv[1:] if argv is None else list(argv))
    commands = _commands()
    model = argv[1] if len(argv) >= 2 and argv[0] == "run" and not argv[1].startswith("-") else None
    if model is not None and model not in commands:
        return _fail(f"unknown model {model!r}; bundled models: {sorted(commands)}")
    try:
        args = _parser(commands, model).parse_args(argv)
    except UsageError as err:
        return _fail(f"{err} (see spikeloom {'run ' + model + ' ' if model else ''}--help)")
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _warn_one_line
            summary = commands[args.model][0].run(args)
    except KeyboardInterrupt:
        # a streamed results.h5 holds the completed chunks and is consistent at every moment
        print(f"spikeloom: interrupted before the command finished; nothing half-written was left in "
              f"{args.out or 'out'}", file=sys.stderr)
        return 130
    except SpikeloomError as err:  # bad input, a resource refused in advance, an invalid state
        return _fail(str(err))
    except MemoryError as err:
        return _fail(f"out of memory ({type(err).__name__}{': ' + str(err) if str(err) else ''}); lower "
                     "--duration or the network size")
    except OSError as err:  # outputs name their file (_common.naming)
        where = f" {err.filename}" if err.filename else ""
        return _fail(f"cannot write{where}: {err.strerror or err}")
    except Exception as err:
        if os.environ.get("SPIKELOOM_DEBUG") == "1":
            raise
        return _fail(f"internal error: {type(err).__name__}: {err} (set SPIKELOOM_DEBUG=1 for the traceback)", 1)
    if not is_root():  # under mpiexec, rank 0 prints the merged run's line
        return 130 if summary.get("interrupted") else 0
    if summary.get("interrupted"):
        print(f"spikeloom: interrupted at t = {summary['duration_ms']:g} ms; wrote {', '.join(summary['files'])} "
              f"to {summary['out']}", file=sys.stderr)
    print(json_line(summary))
    return 130 if summary.get("interrupted") else 0
