"""mmengine checkpoints load on torch >= 2.6 with weights_only=True; malicious ones don't."""
import os
import pickle

import pytest
import torch
import torch.nn as nn
from mmengine.logging import HistoryBuffer, MessageHub
from mmengine.runner import load_checkpoint

import yolo_toolbox  # noqa: F401  (importing the package installs the allow-list)
from yolo_toolbox.utils.weights_only_allowlist import _history_buffer_getattr


def mmengine_like_checkpoint(path):
    hub = MessageHub.get_instance('test_checkpoint_hub')
    for value in (1.0, 0.5, 0.25):
        hub.update_scalar('train/loss', value)
    hub.update_info('iter', 3)
    model = nn.Linear(2, 1)
    torch.save({'meta': {'epoch': 1, 'iter': 3, 'seed': 0},
                'state_dict': model.state_dict(),
                'message_hub': hub.state_dict(),
                'optimizer': torch.optim.Adam(model.parameters()).state_dict()}, path)
    return model


def test_mmengine_checkpoint_loads_with_weights_only(tmp_path):
    path = tmp_path / 'ckpt.pth'
    model = mmengine_like_checkpoint(path)
    ckpt = torch.load(path, weights_only=True)
    buffer = ckpt['message_hub']['log_scalars']['train/loss']
    assert isinstance(buffer, HistoryBuffer)
    assert buffer.mean() == pytest.approx(0.5833333)
    fresh = nn.Linear(2, 1)
    load_checkpoint(fresh, str(path))
    assert torch.equal(fresh.weight, model.weight)


class RunsShell:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}',))


class RunsEval:
    def __reduce__(self):
        return (eval, ("__import__('os').system('echo pwned')",))


@pytest.mark.parametrize('payload', ['shell', 'eval'])
def test_malicious_checkpoint_is_refused_and_runs_nothing(tmp_path, payload):
    marker = tmp_path / 'pwned'
    evil = RunsShell(marker) if payload == 'shell' else RunsEval()
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {}, 'meta': evil}, path)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path, weights_only=True)
    with pytest.raises(pickle.UnpicklingError):
        load_checkpoint(nn.Linear(2, 1), str(path))
    assert not marker.exists()


def test_getattr_is_only_allowed_for_history_buffer_statistics():
    assert _history_buffer_getattr(HistoryBuffer, 'mean') is HistoryBuffer.mean
    with pytest.raises(pickle.UnpicklingError):
        _history_buffer_getattr(HistoryBuffer, '__init__')
    with pytest.raises(pickle.UnpicklingError):
        _history_buffer_getattr(os, 'system')


def test_getattr_escape_through_the_allow_list_is_refused(tmp_path):
    """A pickle that calls getattr on a non-HistoryBuffer object is refused."""
    # protocol-2 pickle: getattr(HistoryBuffer, '__init__')  (a step towards __globals__)
    payload = (b'\x80\x02c__builtin__\ngetattr\ncmmengine.logging.history_buffer\n'
               b'HistoryBuffer\nX\x08\x00\x00\x00__init__\x86R.')
    path = tmp_path / 'getattr.pth'
    import io
    import zipfile
    buffer = io.BytesIO()
    torch.save({}, buffer)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as src, \
            zipfile.ZipFile(path, 'w') as dst:
        for item in src.infolist():
            data = payload if item.filename.endswith('data.pkl') else src.read(item)
            dst.writestr(item, data)
    with pytest.raises(pickle.UnpicklingError, match='__init__'):
        torch.load(path, weights_only=True)


def test_old_module_name_is_an_alias():
    from yolo_toolbox.utils import checkpoint, weights_only_allowlist
    assert (checkpoint.patch_mmengine_checkpoint_loading
            is weights_only_allowlist.patch_mmengine_checkpoint_loading)
