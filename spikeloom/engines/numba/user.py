"""Loading users' compiled functions (an ``EventOperator``'s kernel) into generated programs."""

from __future__ import annotations

import hashlib
import sys

from ..._errors import ModelDefinitionError


def load_user_function(path: str, qualname: str):
    """A user's compiled function (e.g. an ``EventOperator``'s) from the file that defines it, by name.

    The file is compiled from its source (as generated modules are), so a stale or damaged ``.pyc`` next to
    it cannot break a run; a missing file or name is an error naming both."""
    from .engine import exec_source

    name = "spikeloom_user_" + hashlib.sha256(path.encode()).hexdigest()[:16]
    module = sys.modules.get(name)
    if module is None:
        try:
            with open(path, encoding="utf-8") as f:
                source = f.read()
        except (OSError, UnicodeDecodeError) as err:
            raise ModelDefinitionError(f"user function {qualname!r}: cannot read its file {path!r} ({err})") from None
        module = exec_source(name, path, source)
    obj = module
    for part in qualname.split("."):
        if not hasattr(obj, part):
            raise ModelDefinitionError(f"user function {qualname!r}: {path!r} defines no {part!r}")
        obj = getattr(obj, part)
    return obj
