"""init_detector(device=None) picks CUDA when present, as MMDetection users expect."""
import pytest
import torch

from tests.test_apis.test_inference import tiny_config
from yolo_toolbox.apis import init_detector


@pytest.mark.parametrize('cuda, expected', [(False, 'cpu'), (True, 'cuda:0')])
def test_default_device_is_cuda_when_available(monkeypatch, cuda, expected):
    moved = []
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: cuda)
    original_to = torch.nn.Module.to

    def record_to(module, *args, **kwargs):
        moved.append(args[0] if args else kwargs.get('device'))
        return module if cuda else original_to(module, *args, **kwargs)

    monkeypatch.setattr(torch.nn.Module, 'to', record_to)
    init_detector(tiny_config())
    assert moved[-1] == expected
