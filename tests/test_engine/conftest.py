"""Fixtures of the engine tests: the tiny data set / config and the shared training runs."""
import pytest

from tests._tools.runs import interrupted_run, reference_run, session_setup
from tests._tools.tiny_config import write_tiny_config


@pytest.fixture(scope='session')
def reference(tmp_path_factory) -> dict:
    """The uninterrupted 3-epoch tiny run (``tools/train.py`` subprocess)."""
    return reference_run(tmp_path_factory)


@pytest.fixture(scope='session')
def interrupted(tmp_path_factory) -> dict:
    """The same run, SIGKILLed in epoch 2 and resumed with ``--resume``."""
    return interrupted_run(tmp_path_factory)


@pytest.fixture(scope='session')
def tiny_data(tmp_path_factory) -> str:
    """data_root of the session's 16 + 8 image demo set."""
    return session_setup(tmp_path_factory)['data_root']


@pytest.fixture
def tiny_config(tmp_path, tiny_data):
    """``tiny_config(**kwargs)`` writes a tiny config into ``tmp_path`` (see
    :func:`tests._tools.tiny_config.write_tiny_config`) and returns its path."""
    def make(**kwargs) -> str:
        return write_tiny_config(str(tmp_path), tiny_data, **kwargs)
    return make
