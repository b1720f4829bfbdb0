"""The ``spikeloom`` command line: ``spikeloom run <model> [options]``.

Each module of this package serves some bundled models: it names them in ``MODELS`` (name -> one-line
description) and provides ``add_arguments(parser)`` and ``run(args) -> dict``. The dictionary is printed as
one JSON object, the last line of standard output. Modules are discovered, so adding a command means
adding a file here.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import resource
import sys


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


def run_and_save(runner, duration: float, out: str):
    """Run ``runner`` for ``duration`` ms and write ``results.h5`` into folder ``out`` (created if needed);
    return the result and the folder as a path."""
    import pathlib

    result = runner.run(duration)
    folder = pathlib.Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    result.to_hdf5(folder / "results.h5")
    return result, folder


def main(argv=None) -> int:
    from .._errors import SpikeloomError

    argv = sys.argv[1:] if argv is None else list(argv)
    commands = _commands()
    listing = "\n".join(f"  {name:<20} {desc}" for name, (_, desc) in commands.items())
    parser = argparse.ArgumentParser(prog="spikeloom", formatter_class=argparse.RawDescriptionHelpFormatter,
                                     description="Simulate spiking neural networks.",
                                     epilog=f"bundled models:\n{listing}")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="simulate a bundled model (spikeloom run <model> --help for its options)",
                         formatter_class=argparse.RawDescriptionHelpFormatter, epilog=f"bundled models:\n{listing}")
    run.add_argument("model", help=f"one of: {', '.join(commands)}")
    if len(argv) >= 2 and argv[0] == "run" and not argv[1].startswith("-"):
        if argv[1] not in commands:
            print(f"spikeloom: error: unknown model {argv[1]!r}; bundled models: {sorted(commands)}",
                  file=sys.stderr)
            return 2
        module, _ = commands[argv[1]]
        module.add_arguments(run)
    args = parser.parse_args(argv)
    try:
        summary = commands[args.model][0].run(args)
    except SpikeloomError as err:
        print(f"spikeloom: error: {err}", file=sys.stderr)
        return 2
    print(json.dumps(summary))
    return 0
