"""Import a script under tools/ (not a package) as a module, for the tests; and the
synthetic set generators of tools/misc/synthetic_data/ (not part of ``yolo_toolbox``).
The submodules and the layout of the tests: tests/README.md."""
import importlib.util
import os.path as osp
import sys
from types import ModuleType

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def load_tool(relpath: str) -> ModuleType:
    """``load_tool('tools/predict.py')``: the script as a module (a fresh import each call)."""
    name = '_tool_' + relpath.replace('/', '_').replace('.py', '')
    spec = importlib.util.spec_from_file_location(name, osp.join(REPO, relpath))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_package(relpath: str, name: str) -> ModuleType:
    """The folder ``relpath`` (with an ``__init__.py``) imported as the package ``name``,
    once: later calls, and ``import name`` in scripts loaded with :func:`load_tool`, get
    the same module (it is registered in ``sys.modules`` under ``name``)."""
    if name in sys.modules:
        return sys.modules[name]
    folder = osp.join(REPO, relpath)
    spec = importlib.util.spec_from_file_location(
        name, osp.join(folder, '__init__.py'), submodule_search_locations=[folder])
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # before running it: its relative imports look it up there
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


# tools/misc/make_{demo,heldout}_dataset.py import it as ``synthetic_data`` (their folder
# is on sys.path when Python runs them); loaded here under that name so that they also
# import when a test loads them with load_tool
synthetic_data = load_package('tools/misc/synthetic_data', 'synthetic_data')
DEMO_CLASSES = synthetic_data.DEMO_CLASSES
HELDOUT_CLASSES = synthetic_data.HELDOUT_CLASSES
make_demo_dataset = synthetic_data.make_demo_dataset
make_heldout_dataset = synthetic_data.make_heldout_dataset
write_voc_set = synthetic_data.write_voc_set
