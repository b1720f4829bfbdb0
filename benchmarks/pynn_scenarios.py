"""Run PyNN's simulator-independent system scenarios against spikeloom.pynn and print pass/fail counts.

Usage: ``python benchmarks/pynn_scenarios.py PATH/TO/PyNN [-k SUBSTRING] [-v] [--backend pyNN.nest]``, where PATH is a PyNN source tree
(its ``test/system/scenarios`` folder is used; nothing is fetched). Each scenario is a test function
parametrised by a backend module ``sim``; it is called with ``sim = spikeloom.pynn`` when its own
parametrisation lists NEST (the reference backend), else counted as "not run on NEST" (``--all`` runs those
too). Outcomes: pass, fail (an assertion), error (another exception), unsupported (PyNN's NotImplementedError), skip.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import inspect
import logging
import os
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path


def scenario_functions(root: Path):
    """(module name, function) of every test function parametrised by ``sim``."""
    folder = root / "test" / "system" / "scenarios"
    if not folder.is_dir():
        raise SystemExit(f"{folder} not found: give the root of a PyNN source tree")
    sys.path.insert(0, str(root))
    sys.path.insert(0, str(root / "test" / "system"))
    for path in sorted(folder.glob("test_*.py")):
        spec = importlib.util.spec_from_file_location(f"scenarios.{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
        except Exception as exc:  # a module that needs another backend's package
            yield path.stem, None, exc
            continue
        for name, fn in list(vars(module).items()):
            if name.startswith("test") and callable(fn) and "sim" in inspect.signature(fn).parameters:
                yield path.stem, fn, None


def backends(fn) -> list[str]:
    """Backend names of a scenario's ``sim`` parametrisation."""
    names = []
    for mark in getattr(fn, "pytestmark", []):
        if mark.name == "parametrize" and mark.args[0] == "sim":
            names += [p.id for p in mark.args[1]]
    return names


def run_one(fn, sim):
    import pytest

    try:
        fn(sim=sim)
        return "pass", ""
    except NotImplementedError as exc:
        return "unsupported", str(exc)
    except AssertionError as exc:
        return "fail", str(exc)[:300] or traceback.format_exc(limit=-2)
    except pytest.skip.Exception as exc:
        return "skip", str(exc)
    except pytest.fail.Exception as exc:  # pytest.raises that did not raise
        return "fail", str(exc)[:300]
    except Exception as exc:
        return "error", f"{type(exc).__name__}: {exc}"[:300]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pynn_source", type=Path)
    parser.add_argument("-k", default="", help="run scenarios whose name contains this")
    parser.add_argument("-v", action="store_true", help="print every scenario's outcome")
    parser.add_argument("--all", action="store_true", help="also run the scenarios PyNN does not run on NEST")
    parser.add_argument("--backend", default="spikeloom.pynn",
                        help="backend module (default spikeloom.pynn; pyNN.nest gives the reference counts)")
    args = parser.parse_args(argv)
    sim = importlib.import_module(args.backend)
    logging.disable(logging.INFO)  # a scenario may switch on debug logging
    args.pynn_source = args.pynn_source.resolve()
    os.chdir(tempfile.mkdtemp(prefix="pynn_scenarios_"))  # scenarios write their recordings into ./Results

    counts, rows = Counter(), []
    t0 = time.perf_counter()
    for module, fn, exc in scenario_functions(args.pynn_source):
        if fn is None:
            rows.append((module, "-", "error", f"import: {exc}"))
            counts["error"] += 1
            continue
        name = f"{module}::{fn.__name__}"
        if args.k not in name:
            continue
        if "nest" not in backends(fn) and not args.all:
            counts["not run on NEST"] += 1
            rows.append((name, "", "not run on NEST", ""))
            continue
        outcome, why = run_one(fn, sim)
        try:
            sim.end()
        except Exception:
            pass
        counts[outcome] += 1
        rows.append((name, "", outcome, why))
    for name, _, outcome, why in rows:
        if args.v or outcome in ("fail", "error", "unsupported"):
            print(f"{outcome:>16}  {name}  {why.splitlines()[0] if why else ''}")
    total = sum(v for k, v in counts.items() if k != "not run on NEST")
    print(f"\nPyNN scenarios run against {args.backend} ({time.perf_counter() - t0:.0f} s):")
    for key in ("pass", "fail", "error", "unsupported", "skip", "not run on NEST"):
        print(f"  {key:>16}: {counts[key]}")
    print(f"  {'run':>16}: {total}")


if __name__ == "__main__":
    main()
