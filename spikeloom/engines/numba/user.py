"""Loading users' compiled functions (an ``EventOperator``'s kernel) into generated programs."""

from __future__ import annotations


def load_user_function(path: str, qualname: str):
    """A user's compiled function (e.g. an ``EventOperator``'s) from the file that defines it, by name."""
    import hashlib
    import importlib.util
    import sys

    name = "spikeloom_user_" + hashlib.sha256(path.encode()).hexdigest()[:16]
    module = sys.modules.get(name)
    if module is None:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    obj = module
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj
