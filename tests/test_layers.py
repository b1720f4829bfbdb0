"""The layering of docs/architecture.md ("Layers") as a checked rule: spikeloom's imports, read from the source
(ast, nothing is imported), never point the wrong way."""

import ast
import pathlib

import spikeloom

PACKAGE = pathlib.Path(spikeloom.__file__).parent
MATH = ("neurons", "synapses", "integrators", "core", "units")  # model math
DESCRIPTION = ("network", "connectivity", "inputs")  # the network description
FAMILIES = ("lpu", "dynapse", "models")  # model families
#: part of the package -> parts it must never import
NEVER = {**{part: ("engines",) for part in MATH + DESCRIPTION + FAMILIES},
         "engines": ("run", "cli") + FAMILIES}


def _imports(path: pathlib.Path, root: pathlib.Path):
    """Absolute names of what the file at ``path`` (inside package folder ``root``) imports: modules, and
    ``module.name`` for each name of a ``from`` import (which may be a submodule)."""
    package = list(path.relative_to(root.parent).with_suffix("").parts[:-1])
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(package[: len(package) - node.level + 1] + ([node.module] if node.module else [])) \
                if node.level else node.module
            yield base
            yield from (f"{base}.{a.name}" for a in node.names)


def broken_imports(root: pathlib.Path = PACKAGE) -> list[str]:
    """``"<file> imports <module>"`` for every import of the package at ``root`` that breaks :data:`NEVER`."""
    found = set()
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        here = rel.parts[0] if len(rel.parts) > 1 else rel.stem
        for module in _imports(path, root):
            bits = module.split(".")
            if bits[0] == "spikeloom" and len(bits) > 1 and bits[1] in NEVER.get(here, ()):
                found.add(f"spikeloom/{rel.as_posix()} imports {module}")
    return sorted(found)


def test_no_import_breaks_the_layering():
    assert broken_imports() == []


def test_the_walk_catches_a_wrong_import(tmp_path):
    """Relative and absolute imports of a forbidden part are both found (the check is not vacuous)."""
    bad = tmp_path / "spikeloom" / "neurons" / "bad.py"
    bad.parent.mkdir(parents=True)
    bad.write_text("from ..engines.numba import mathlib\n")
    (tmp_path / "spikeloom" / "engines").mkdir()
    (tmp_path / "spikeloom" / "engines" / "x.py").write_text("import spikeloom.run.runner\nfrom .. import lpu\n")
    assert broken_imports(tmp_path / "spikeloom") == [
        "spikeloom/engines/x.py imports spikeloom.lpu",
        "spikeloom/engines/x.py imports spikeloom.run.runner",
        "spikeloom/neurons/bad.py imports spikeloom.engines.numba",
        "spikeloom/neurons/bad.py imports spikeloom.engines.numba.mathlib",
    ]
