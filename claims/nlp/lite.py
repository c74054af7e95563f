"""Start-up without torch when spaCy is the parser.

Importing stanza's data model (``stanza.models.common.doc``, which the
extractors and the spaCy→UD conversion use) runs ``stanza/__init__`` and
``stanza.models.common.utils``, and both import torch: 2–6 s and ~180 MB per
process. thinc (under spaCy) imports torch too when it is installed. With
spaCy as the parser none of that torch code ever runs.

:func:`import_without_torch` imports spaCy as on a machine without torch (a
configuration thinc supports), and stanza's ``Document``/``CoNLL`` modules with
the few pure functions they take from ``stanza.models.common.utils`` compiled
from that module's own source. Nothing is copied by hand: if a future stanza
makes those functions need anything but each other and builtins, or if any
module of the data model imports torch, the light import is undone and the
ordinary one runs.

The rest of stanza stays importable in the same process: the first use of
anything else (``stanza.Pipeline``, ``stanza.__version__``, any other name of
``stanza.models.common.utils``) imports the real ``stanza/__init__`` and utils
module, torch included, exactly as a plain ``import stanza`` would have.
"""

from __future__ import annotations

import ast
import builtins
import importlib
import importlib.util
import logging
import sys
import threading
import types
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

UTILS = "stanza.models.common.utils"
DATA_MODEL = ("stanza.models.common.doc", "stanza.utils.conll")
_lock = threading.RLock()
_state: dict[str, Any] = {"light": False}


def is_light() -> bool:
    """True while stanza's data model is loaded without torch (and the rest of stanza is not loaded)."""
    return bool(_state["light"])


def import_without_torch(spacy: bool = True) -> bool:
    """Import spaCy (if ``spacy``) and stanza's data model without torch; True if it was done.

    Call before anything imports stanza, thinc or torch (at the start of a
    process); later it does nothing and returns False. Never raises: on any
    problem the ordinary imports happen later, as without this call.
    """
    with _lock:
        if _state["light"]:
            if spacy:
                _import_spacy()
            return True
        if any(name in sys.modules for name in ("torch", "stanza", "thinc", "spacy")):
            return False
        if spacy and not _import_spacy():
            return False
        try:
            _light_stanza()
        except Exception as e:  # anything unexpected: undo, and let the ordinary import run
            log.debug("stanza's data model needs the full import (%s: %s)", type(e).__name__, e)
            _forget("stanza")
            return False
        _state["light"] = True
        return True


def _import_spacy() -> bool:
    if "spacy" in sys.modules:
        return True
    if "torch" in sys.modules:
        importlib.import_module("spacy")
        return True
    sys.modules["torch"] = None  # type: ignore[assignment]  # `import torch` raises ImportError, as when it is not installed
    try:
        importlib.import_module("spacy")
        return True
    except Exception as e:
        log.debug("spaCy needs torch here (%s: %s)", type(e).__name__, e)
        _forget("spacy")
        _forget("thinc")
        return False
    finally:
        if sys.modules.get("torch", 0) is None:
            del sys.modules["torch"]


def _forget(package: str) -> None:
    for name in [n for n in sys.modules if n == package or n.startswith(package + ".")]:
        del sys.modules[name]


def _needed_names(path: Path) -> set[str]:
    """The names a data-model module takes from ``stanza.models.common.utils``."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module == UTILS:
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.Import) and any(a.name == UTILS for a in node.names):
            raise ImportError(f"{path.name} imports the whole of {UTILS}")
        elif isinstance(node, ast.ImportFrom) and node.module == "stanza.models.common" and any(a.name == "utils" for a in node.names):
            raise ImportError(f"{path.name} imports the whole of {UTILS}")
    return names


def _shim_source(utils_path: Path, wanted: set[str]) -> str:
    """The source of the ``wanted`` functions of stanza's utils and the functions they call."""
    tree = ast.parse(utils_path.read_text(encoding="utf-8"))
    defs = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    todo, keep = list(wanted), set()
    while todo:
        name = todo.pop()
        if name in keep:
            continue
        if name not in defs:
            raise ImportError(f"{UTILS}.{name} is not a plain function")
        fn = defs[name]
        if fn.decorator_list:
            raise ImportError(f"{UTILS}.{name} is decorated")
        keep.add(name)
        local = {a.arg for a in ast.walk(fn.args) if isinstance(a, ast.arg)}
        local |= {t.id for t in ast.walk(fn) if isinstance(t, ast.Name) and isinstance(t.ctx, ast.Store)}
        for node in ast.walk(fn):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id not in local:
                if node.id in defs:
                    todo.append(node.id)
                elif not hasattr(builtins, node.id):
                    raise ImportError(f"{UTILS}.{name} uses the module global {node.id!r}")
    module = ast.Module(body=[n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name in keep], type_ignores=[])
    return ast.unparse(module)


class _Package(types.ModuleType):
    """``stanza`` before its ``__init__`` has run: the first use of a name it defines runs it."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name != "__version__":
            raise AttributeError(name)
        complete()
        return getattr(sys.modules["stanza"], name)


class _Utils(types.ModuleType):
    """The data model's few functions of ``stanza.models.common.utils``; any other name loads the real module."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        complete()
        return getattr(sys.modules[UTILS], name)


def _light_stanza() -> None:
    spec = importlib.util.find_spec("stanza")
    if spec is None or not spec.submodule_search_locations or spec.loader is None:
        raise ImportError("stanza is not installed as a package")
    root = Path(next(iter(spec.submodule_search_locations)))
    wanted: set[str] = set()
    for name in DATA_MODEL:
        wanted |= _needed_names(root.joinpath(*name.split(".")[1:]).with_suffix(".py"))
    utils_path = root / "models" / "common" / "utils.py"
    source = _shim_source(utils_path, wanted)

    package = _Package("stanza")
    package.__spec__ = spec
    package.__path__ = list(spec.submodule_search_locations)
    package.__file__ = spec.origin
    package.__package__ = "stanza"
    package.__loader__ = spec.loader
    blocked = "torch" not in sys.modules
    if blocked:
        sys.modules["torch"] = None  # type: ignore[assignment]  # a data-model module that imports torch fails here
    try:
        sys.modules["stanza"] = package
        for parent in ("stanza.models", "stanza.models.common"):
            importlib.import_module(parent)
        utils = _Utils(UTILS)
        utils.__file__ = str(utils_path)
        utils.__package__ = "stanza.models.common"
        exec(compile(source, str(utils_path), "exec"), utils.__dict__)
        sys.modules[UTILS] = utils
        for name in DATA_MODEL:
            importlib.import_module(name)
    finally:
        if blocked and sys.modules.get("torch", 0) is None:
            del sys.modules["torch"]


def complete() -> None:
    """Load the rest of stanza (and torch) into the light package: as a plain ``import stanza``."""
    with _lock:
        if not _state["light"]:
            return
        _state["light"] = False
        package = sys.modules["stanza"]
        shim = sys.modules.pop(UTILS)
        try:
            importlib.import_module(UTILS)
        except Exception:
            sys.modules[UTILS] = shim
            _state["light"] = True
            raise
        package.__class__ = types.ModuleType
        spec = package.__spec__
        assert spec is not None and spec.loader is not None
        spec.loader.exec_module(package)
