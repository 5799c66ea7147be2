"""tools/misc/print_config.py: options change the printed config; the saved file loads back."""
import os.path as osp

import pytest
from mmengine.config import Config

from tests._tools import load_tool

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(REPO, 'configs', 'yolo_r18_nearby.py')


def printed_config(capsys) -> Config:
    """The config the tool printed, parsed back from its stdout."""
    out = capsys.readouterr().out
    assert out.startswith('Config:\n')
    text = out[len('Config:\n'):].split('\nsaved the config to ')[0]
    return Config.fromstring(text, '.py')


def test_options_change_the_printed_config(capsys):
    tool = load_tool('tools/misc/print_config.py')
    tool.main([CONFIG])
    default = printed_config(capsys)
    assert default.model.bbox_head.num_classes == 20
    assert default.train_dataloader.batch_size == 24

    tool.main([CONFIG, '--cfg-options', 'model.bbox_head.num_classes=3',
               'train_dataloader.batch_size=5'])
    changed = printed_config(capsys)
    assert changed.model.bbox_head.num_classes == 3
    assert changed.train_dataloader.batch_size == 5
    # nothing else moved
    changed.model.bbox_head.num_classes = 20
    changed.train_dataloader.batch_size = 24
    assert changed.to_dict() == default.to_dict()


def test_saved_config_loads_back_equal(tmp_path, capsys):
    tool = load_tool('tools/misc/print_config.py')
    save_path = tmp_path / 'sub' / 'merged.py'
    cfg = tool.main([CONFIG, '--cfg-options', 'model.backbone.depth=34',
                     '--save-path', str(save_path)])
    assert capsys.readouterr().out.rstrip().endswith(f'saved the config to {save_path}')
    saved = Config.fromfile(str(save_path))
    assert saved.model.backbone.depth == 34
    assert saved.to_dict() == cfg.to_dict()  # tuples stay tuples
    assert saved.model.bbox_head.anchors[0][0] == (10, 13)


def test_bad_save_suffix_is_refused(tmp_path):
    tool = load_tool('tools/misc/print_config.py')
    for name in ('out.txt', 'out.json'):
        with pytest.raises(ValueError, match=rf'{name}: the file must end in \.py'):
            tool.main([CONFIG, '--save-path', str(tmp_path / name)])
        assert not (tmp_path / name).exists()
