"""tools/misc/download_dataset.py against a local HTTP server: download + extract into the
layout the configs read, resume after a cut, a bad checksum, offline."""
import dataclasses
import hashlib
import io
import os.path as osp
import re
import socket
import tarfile
import threading
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from mmengine.config import Config

import yolo_toolbox.datasets.public as public
from tests._tools import DEMO_CLASSES, REPO, load_tool, make_demo_dataset
from yolo_toolbox.registry import DATASETS
from yolo_toolbox.utils.data_check import find_missing_data
from yolo_toolbox.utils.download import ChecksumError, DownloadError, download_file


class _RangeHandler(BaseHTTPRequestHandler):
    """Serves ``server.files`` (name -> bytes) with HTTP Range; a name in ``server.cut``
    is cut after half its bytes the first time it is asked for."""

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        name = self.path.lstrip('/')
        self.server.requests.append((name, self.headers.get('Range')))
        data = self.server.files.get(name)
        if data is None:
            self.send_error(404)
            return
        start = 0
        match = re.fullmatch(r'bytes=(\d+)-', self.headers.get('Range') or '')
        if match and self.server.ranges:
            start = int(match.group(1))
            self.send_response(206)
            self.send_header('Content-Range', f'bytes {start}-{len(data) - 1}/{len(data)}')
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        if name in self.server.cut:
            self.server.cut.discard(name)
            self.wfile.write(body[:len(body) // 2])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def server(monkeypatch):
    for var in ('no_proxy', 'NO_PROXY'):
        monkeypatch.setenv(var, '127.0.0.1,localhost')
    httpd = ThreadingHTTPServer(('127.0.0.1', 0), partial(_RangeHandler))
    httpd.files, httpd.requests, httpd.cut, httpd.ranges = {}, [], set(), True
    thread = threading.Thread(target=partial(httpd.serve_forever, poll_interval=0.05),
                              daemon=True)
    thread.start()
    httpd.url = f'http://127.0.0.1:{httpd.server_address[1]}'
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def _tar(folder, arcname: str) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode='w') as archive:
        archive.add(str(folder), arcname=arcname)
    return buffer.getvalue()


@pytest.fixture
def voc2007(tmp_path, server, monkeypatch):
    """A tiny VOC2007 in the two official tars, served; PUBLIC_DATASETS gets their MD5s."""
    make_demo_dataset(str(tmp_path / 'src'), num_train=3, num_val=2)
    data = _tar(tmp_path / 'src' / 'VOC2007', 'VOCdevkit/VOC2007')
    archives, expected = public.PUBLIC_DATASETS['voc2007']
    # the trainval tar holds the whole small set; the test tar the same files again
    served = {}
    for archive in archives:
        server.files[archive.name] = data
        served[archive.name] = dataclasses.replace(archive, md5=hashlib.md5(data).hexdigest())
    monkeypatch.setitem(public.PUBLIC_DATASETS, 'voc2007',
                        (tuple(served[a.name] for a in archives), expected))
    return archives


def run_tool(*args):
    return load_tool('tools/misc/download_dataset.py').main(list(args))


def test_download_extract_delete_gives_the_layout_the_configs_read(tmp_path, server, voc2007,
                                                                   capsys):
    data_root = tmp_path / 'data'
    paths = run_tool('--dataset', 'voc2007', '--data-root', str(data_root), '--unzip',
                     '--delete', '--mirror', server.url)
    out, err = capsys.readouterr()
    assert 'voc2007 is ready' in out and '100%' in err  # the progress bar
    assert all(osp.exists(p) for p in paths)
    assert not any(p.suffix == '.tar' for p in data_root.iterdir())  # --delete
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'yolo_r18_nearby.py'))
    cfg.val_dataloader.dataset.data_root = str(data_root / 'VOCdevkit')
    assert find_missing_data(cfg, loaders=('val_dataloader', )) is None
    dataset = DATASETS.build(dict(type='VOCDataset', data_root=str(data_root / 'VOCdevkit'),
                                  years='VOC2007', split='test',
                                  metainfo=dict(classes=DEMO_CLASSES), test_mode=True))
    assert len(dataset) == 2


def test_resume_after_a_cut(tmp_path, server, voc2007):
    name = voc2007[0].name
    server.cut.add(name)
    dest = tmp_path / name
    md5 = hashlib.md5(server.files[name]).hexdigest()
    with pytest.raises(DownloadError, match=r'interrupted after .*\.part is kept: run the same '
                                            'command again to continue'):
        download_file(f'{server.url}/{name}', str(dest), md5, retries=0, progress=None)
    part = tmp_path / (name + '.part')
    half = part.stat().st_size
    assert 0 < half < len(server.files[name]) and not dest.exists()
    download_file(f'{server.url}/{name}', str(dest), md5, progress=None)  # the next run
    assert server.requests[-1] == (name, f'bytes={half}-')
    assert dest.read_bytes() == server.files[name] and not part.exists()

    # within one run: resumed automatically; a server without Range support: from scratch
    server.cut.add(name)
    server.ranges = False
    dest.unlink()
    download_file(f'{server.url}/{name}', str(dest), md5, progress=None)
    assert dest.read_bytes() == server.files[name]
    assert [r for n, r in server.requests[-2:]] == [None, f'bytes={half}-']


def test_bad_checksum_removes_the_file_and_says_so(tmp_path, server, voc2007, capsys):
    server.files[voc2007[0].name] = b'not the published archive'
    with pytest.raises(SystemExit, match=r'MD5 [0-9a-f]{32} is not the published [0-9a-f]{32}; '
                                         'the file was removed'):
        run_tool('--dataset', 'voc2007', '--data-root', str(tmp_path), '--mirror', server.url)
    assert not list(tmp_path.glob('*.tar*'))
    with pytest.raises(ChecksumError):
        download_file(f'{server.url}/{voc2007[0].name}', str(tmp_path / 'x.tar'), '0' * 32,
                      progress=None)


def test_offline_says_what_to_download_by_hand_and_where(tmp_path, voc2007):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    with pytest.raises(SystemExit) as info:
        run_tool('--dataset', 'voc2007', '--data-root', str(tmp_path / 'data'), '--mirror',
                 f'http://127.0.0.1:{port}')
    message = str(info.value)
    assert message.startswith(f'cannot reach 127.0.0.1:{port}')
    assert f'Download these by hand into {tmp_path / "data"}/' in message
    assert 'VOCtrainval_06-Nov-2007.tar' in message and 'VOCtest_06-Nov-2007.tar' in message
    assert 'md5' in message


def test_archives_put_there_by_hand_are_used(tmp_path, server, voc2007):
    data_root = tmp_path / 'data'
    data_root.mkdir()
    for archive in voc2007:
        (data_root / archive.name).write_bytes(server.files[archive.name])
    # the mirror is unreachable: the local files pass their checksum and are extracted
    paths = run_tool('--dataset', 'voc2007', '--data-root', str(data_root), '--unzip',
                     '--mirror', 'http://127.0.0.1:9')
    assert all(osp.exists(p) for p in paths) and not server.requests


def test_coco2017_extracts_into_the_layout_of_the_coco_config(tmp_path, server, monkeypatch):
    import zipfile
    members = {'train2017.zip': ['train2017/000000000009.jpg'],
               'val2017.zip': ['val2017/000000000139.jpg'],
               'annotations_trainval2017.zip': ['annotations/instances_train2017.json',
                                                'annotations/instances_val2017.json']}
    archives, expected = public.PUBLIC_DATASETS['coco2017']
    served = []
    for archive in archives:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, 'w') as z:
            for name in members[archive.name]:
                z.writestr(name, b'{}')
        server.files[archive.name] = buffer.getvalue()
        served.append(dataclasses.replace(archive, md5=hashlib.md5(buffer.getvalue()).hexdigest()))
    monkeypatch.setitem(public.PUBLIC_DATASETS, 'coco2017', (tuple(served), expected))
    data_root = tmp_path / 'data'
    run_tool('--dataset', 'coco2017', '--data-root', str(data_root), '--unzip', '--mirror',
             server.url)
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'coco', 'yolo_r18_nearby_coco.py'))
    for loader in ('train_dataloader', 'val_dataloader'):
        cfg[loader].dataset.data_root = str(data_root / 'coco')
    assert find_missing_data(cfg) is None
