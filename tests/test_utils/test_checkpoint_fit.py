"""checkpoint_mismatch: what does not fit, in the config's words."""
import torch
from torch import nn

from yolo_toolbox.utils.checkpoint_fit import checkpoint_mismatch, split_state


class _Head(nn.Module):
    def __init__(self, num_classes: int):
        super().__init__()
        self.num_classes, self.num_anchors = num_classes, 3
        self.convs = nn.ModuleList([nn.Conv2d(4, 3 * (5 + num_classes), 1)])


class _Model(nn.Module):
    def __init__(self, num_classes: int):
        super().__init__()
        self.backbone = nn.BatchNorm2d(4)
        self.bbox_head = _Head(num_classes)
        self.register_buffer('settings', torch.tensor([1, 2, 3], dtype=torch.uint8))


def test_num_classes_from_the_head_shape_or_meta():
    four = _Model(4).state_dict()
    assert checkpoint_mismatch(_Model(4), four) is None
    problem = checkpoint_mismatch(_Model(5), four)
    assert problem.startswith('num_classes 5 vs 4 (config vs checkpoint); 2 tensors differ')
    assert 'bbox_head.convs.0.weight [30, 4, 1, 1] vs [27, 4, 1, 1]' in problem
    meta = dict(dataset_meta=dict(classes=('a', 'b', 'c', 'd')))
    assert checkpoint_mismatch(_Model(5), four, meta).startswith('num_classes 5 vs 4')
    assert checkpoint_mismatch(_Model(5), four, skip_prefixes=['bbox_head.']) is None
    kept, dropped = split_state(four, ['bbox_head.'])
    assert dropped == ['bbox_head.convs.0.weight', 'bbox_head.convs.0.bias']
    assert 'backbone.weight' in kept


def test_missing_and_unexpected_weights_but_not_integer_entries():
    state = {'module.' + k: v for k, v in _Model(4).state_dict().items()
             if k not in ('backbone.weight', 'settings', 'backbone.num_batches_tracked')}
    state['neck.weight'] = torch.ones(2)
    problem = checkpoint_mismatch(_Model(4), state)
    assert '1 tensors of the model are not in the checkpoint: backbone.weight' in problem
    assert '1 tensors of the checkpoint are not in the model: neck.weight' in problem
    assert 'settings' not in problem and 'num_batches_tracked' not in problem
