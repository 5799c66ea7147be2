"""load_config: options merged, custom_imports from options imported, work_dir resolved."""
import os.path as osp
import sys

from mmengine.config import Config

from yolo_toolbox.registry import TASK_UTILS
from yolo_toolbox.utils import load_config

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(REPO, 'configs', 'yolo_r18_single.py')


def test_options_and_default_work_dir():
    cfg = load_config(CONFIG, {'model.bbox_head.num_classes': 3})
    assert cfg.model.bbox_head.num_classes == 3
    assert cfg.model.bbox_head.assigner.type == 'SingleGridAssigner'
    assert cfg.work_dir == osp.join('./work_dirs', 'yolo_r18_single')
    assert load_config(CONFIG, work_dir='/tmp/wd').work_dir == '/tmp/wd'


def test_config_object_is_copied():
    original = Config.fromfile(CONFIG)
    cfg = load_config(original, {'model.backbone.depth': 34})
    assert cfg.model.backbone.depth == 34 and original.model.backbone.depth == 18


def test_custom_imports_given_as_options_are_imported(tmp_path, monkeypatch):
    (tmp_path / 'opt_imported_assigner.py').write_text(
        'from yolo_toolbox.registry import TASK_UTILS\n'
        'from yolo_toolbox.models.task_modules.assigners import SingleGridAssigner\n'
        '@TASK_UTILS.register_module()\n'
        'class OptionImportedAssigner(SingleGridAssigner):\n'
        '    pass\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    load_config(CONFIG, {'custom_imports': dict(imports=['opt_imported_assigner'],
                                                allow_failed_imports=False)})
    assert 'opt_imported_assigner' in sys.modules
    assert TASK_UTILS.get('OptionImportedAssigner') is not None


def test_num_workers_zero_turns_persistent_workers_off():
    """``--cfg-options train_dataloader.num_workers=0`` alone must give a loader PyTorch
    accepts (the base config has persistent_workers=True)."""
    base = load_config(CONFIG)
    assert base.train_dataloader.persistent_workers is True
    cfg = load_config(CONFIG, {'train_dataloader.num_workers': 0})
    assert cfg.train_dataloader.num_workers == 0
    assert cfg.train_dataloader.persistent_workers is False
    assert cfg.val_dataloader.persistent_workers is True  # untouched: it has workers
    from torch.utils.data import DataLoader
    DataLoader(list(range(4)), num_workers=cfg.train_dataloader.num_workers,
               persistent_workers=cfg.train_dataloader.persistent_workers)
