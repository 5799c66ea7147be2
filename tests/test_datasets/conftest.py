"""Fixtures of the dataset tests: a tiny demo set on disk, shared by the session."""
import pytest
from mmengine.registry import init_default_scope

import yolo_toolbox.datasets  # noqa: F401  (registers datasets and transforms)


@pytest.fixture(autouse=True)
def _scope():
    init_default_scope('yolo_toolbox')


@pytest.fixture(scope='session')
def demo_set(tmp_path_factory):
    """12-image synthetic VOC-layout set: 8 trainval + 4 test."""
    from tests._tools import make_demo_dataset
    root = tmp_path_factory.mktemp('demo')
    return make_demo_dataset(str(root), num_train=8, num_val=4, seed=1)
