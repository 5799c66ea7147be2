"""ResNet(pretrained='torchvision://resnet18'): download into the hub cache, reuse, offline error.

A local HTTP server on 127.0.0.1 stands in for download.pytorch.org (the URL lookup is
monkeypatched to point at it); TORCH_HOME is a temporary folder. The served file is a tiny
partial state_dict (conv1 + bn1) whose name carries its SHA-256 prefix, as torch.hub checks.
"""
import hashlib
import io
import os
import re
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from typing import Dict, Iterator, Tuple

import pytest
import torch
from torch import Tensor

import yolo_toolbox.models.backbones.torchvision_weights as tv_weights
from yolo_toolbox.registry import MODELS


class _RecordingHandler(SimpleHTTPRequestHandler):
    """Serves a folder, records each requested path on the server, logs nothing."""

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.server.requested.append(self.path)
        super().do_GET()

    def log_message(self, *args) -> None:
        pass


def tiny_resnet18_state() -> Dict[str, Tensor]:
    """conv1 + bn1 of a full-width ResNet-18 with non-trivial values, plus an fc entry."""
    gen = torch.Generator().manual_seed(0)
    state = {'conv1.weight': torch.randn(64, 3, 7, 7, generator=gen)}
    for stat in ('weight', 'bias', 'running_mean'):
        state[f'bn1.{stat}'] = torch.randn(64, generator=gen)
    state['bn1.running_var'] = torch.rand(64, generator=gen) + 0.5
    state['fc.weight'] = torch.zeros(1000, 512)[:2]  # ignored by the backbone
    return state


def save_with_hash_name(state: dict, folder, stem: str, hash_prefix: str = '') -> str:
    """Save ``state`` as ``{stem}-{sha256[:10]}.pth`` (or the given prefix); return the name."""
    buffer = io.BytesIO()
    torch.save(state, buffer)
    data = buffer.getvalue()
    name = f'{stem}-{hash_prefix or hashlib.sha256(data).hexdigest()[:10]}.pth'
    (folder / name).write_bytes(data)
    return name


@pytest.fixture
def hub(tmp_path, monkeypatch) -> Iterator[Tuple[ThreadingHTTPServer, 'os.PathLike']]:
    """(server, served folder); TORCH_HOME in tmp_path; no proxy for 127.0.0.1."""
    served = tmp_path / 'served'
    served.mkdir()
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch_home'))
    for var in ('no_proxy', 'NO_PROXY'):
        monkeypatch.setenv(var, '127.0.0.1,localhost')
    server = ThreadingHTTPServer(('127.0.0.1', 0),
                                 partial(_RecordingHandler, directory=str(served)))
    server.requested = []
    thread = threading.Thread(target=partial(server.serve_forever, poll_interval=0.05), daemon=True)
    thread.start()
    yield server, served
    server.shutdown()
    server.server_close()
    thread.join()


def point_urls_at(monkeypatch, server: ThreadingHTTPServer, file_name: str) -> str:
    url = f'http://127.0.0.1:{server.server_address[1]}/{file_name}'
    monkeypatch.setattr(tv_weights, 'torchvision_weights_url', lambda name: url)
    return url


def build(**kwargs) -> torch.nn.Module:
    return MODELS.build(dict(type='ResNet', depth=18, channel_sparsity=0.25, **kwargs))


def test_downloads_once_into_the_hub_cache_then_reuses_it(hub, tmp_path, monkeypatch):
    server, served = hub
    state = tiny_resnet18_state()
    name = save_with_hash_name(state, served, 'resnet18')
    point_urls_at(monkeypatch, server, name)

    model = build(pretrained='torchvision://resnet18')
    assert server.requested == [f'/{name}']
    cached = tmp_path / 'torch_home' / 'hub' / 'checkpoints' / name
    assert cached.read_bytes() == (served / name).read_bytes()
    assert os.listdir(cached.parent) == [name]  # no partial files left
    assert torch.equal(model.conv1.weight, state['conv1.weight'][:16])  # sliced to 0.25
    for stat in ('weight', 'bias', 'running_mean', 'running_var'):
        assert torch.equal(getattr(model.bn1, stat), state[f'bn1.{stat}'][:16])

    again = build(pretrained='torchvision://resnet18')
    assert server.requested == [f'/{name}']  # read from the cache
    assert torch.equal(again.conv1.weight, model.conv1.weight)
    server.shutdown()  # offline now: the cache alone is enough
    server.server_close()
    assert torch.equal(build(pretrained='torchvision://resnet18').bn1.running_var,
                       model.bn1.running_var)


@pytest.mark.parametrize('problem', ['server stopped', 'file missing'])
def test_offline_error_names_the_url_and_the_cache_path(hub, tmp_path, monkeypatch, problem):
    server, _ = hub
    name = 'resnet18-f37072fd.pth'
    url = point_urls_at(monkeypatch, server, name)
    if problem == 'server stopped':  # nothing listens on that 127.0.0.1 port any more
        server.shutdown()
        server.server_close()
    cache_file = tmp_path / 'torch_home' / 'hub' / 'checkpoints' / name
    expected = (f'Download {url} on a machine with internet and put it at {cache_file} '
                f'(TORCH_HOME={tmp_path / "torch_home"})')
    with pytest.raises(FileNotFoundError, match=re.escape(expected)) as info:
        build(pretrained='torchvision://resnet18')
    assert info.value.__cause__ is None and info.value.__suppress_context__  # one error
    assert not cache_file.exists() and os.listdir(cache_file.parent) == []


def test_hash_mismatch_is_refused_and_not_cached(hub, tmp_path, monkeypatch):
    server, served = hub
    name = save_with_hash_name(tiny_resnet18_state(), served, 'resnet18', hash_prefix='0badc0de')
    point_urls_at(monkeypatch, server, name)
    with pytest.raises(RuntimeError, match='invalid hash value'):
        build(pretrained='torchvision://resnet18')
    assert os.listdir(tmp_path / 'torch_home' / 'hub' / 'checkpoints') == []


@pytest.mark.parametrize('depth, file_name', [
    (18, 'resnet18-f37072fd.pth'), (34, 'resnet34-b627a593.pth'),
    (50, 'resnet50-0676ba61.pth'), (101, 'resnet101-63fe2227.pth'),
])
def test_urls_and_cache_paths_are_torchvisions(tmp_path, monkeypatch, depth, file_name):
    monkeypatch.setenv('TORCH_HOME', str(tmp_path))
    url = tv_weights.torchvision_weights_url(f'resnet{depth}')
    assert url == f'https://download.pytorch.org/models/{file_name}'
    assert tv_weights.hub_cache_file(url) == str(tmp_path / 'hub' / 'checkpoints' / file_name)


def test_wrong_names_are_refused():
    with pytest.raises(ValueError, match='depth=18 got .*torchvision://resnet34.*'
                                         'torchvision://resnet18'):
        build(pretrained='torchvision://resnet34')
    with pytest.raises(ValueError, match="no IMAGENET1K_V1 weights for a model named 'resnet17'"):
        tv_weights.torchvision_weights_url('resnet17')
