import pytest
from mmengine.registry import init_default_scope


@pytest.fixture(autouse=True, scope='session')
def _yolo_toolbox_scope():
    """Build modules by name from the yolo_toolbox registries, as configs do."""
    from yolo_toolbox.utils import register_all_modules
    register_all_modules()
    init_default_scope('yolo_toolbox')
