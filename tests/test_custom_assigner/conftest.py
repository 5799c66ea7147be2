"""The user's scenario of docs/custom_assigner.md: their assigner lives in a file of their
own project (``my_assigner.py``, ``my_dynamic_assigner.py`` here) and the folder holding it
is on ``sys.path`` when a config names it in ``custom_imports``.

Each test of this folder gets that folder prepended to ``sys.path`` and removed again
afterwards, so no other test can import the user's files by accident.
"""
import os.path as osp

import pytest

HERE = osp.dirname(osp.abspath(__file__))


@pytest.fixture(autouse=True)
def user_project_on_sys_path(monkeypatch):
    """``sys.path`` as in the user's project folder, for the duration of one test."""
    monkeypatch.syspath_prepend(HERE)
