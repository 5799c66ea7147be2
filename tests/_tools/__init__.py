"""Helpers shared by the tests, imported as ``tests._tools`` (pytest runs from the repository
root, where ``tests`` is a package).

This module: import a script under tools/ (not a package) as a module. The submodules:
``tiny_config`` (a tiny training config), ``runs`` (training runs shared by a test session),
``slow_save`` (a ``custom_imports`` module that stalls a checkpoint write) and ``converters``
(helpers of the dataset-converter tests)."""
import importlib.util
import os.path as osp
from types import ModuleType

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def load_tool(relpath: str) -> ModuleType:
    """``load_tool('tools/predict.py')``: the script as a module (a fresh import each call)."""
    name = '_tool_' + relpath.replace('/', '_').replace('.py', '')
    spec = importlib.util.spec_from_file_location(name, osp.join(REPO, relpath))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
