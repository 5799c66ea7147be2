"""Pascal VOC and COCO 2017: where to get them, their published checksums, and the
layout the configs read once they are extracted.

Used by ``tools/misc/download_dataset.py``. Archives are loaded into ``data_root`` with
:func:`yolo_toolbox.utils.download.download_file` (resumable, MD5-checked) and extracted:

- VOC: ``data_root/VOCdevkit/VOC2007``, ``VOC2012`` (``configs/_base_/datasets/voc0712.py``
  reads ``data/VOCdevkit/``);
- COCO: ``data_root/coco/{train2017,val2017,annotations}`` (MMDetection's layout).
"""
import os
import os.path as osp
import tarfile
import zipfile
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, TextIO

from yolo_toolbox.utils.download import download_file


@dataclass(frozen=True)
class Archive:
    name: str       # file name; also the name under a mirror URL
    url: str
    md5: str        # as published (torchvision, the COCO download scripts)
    size_mb: int    # approximate, for messages
    extract_to: str = ''  # sub-folder of data_root the archive's top folder goes into


_VOC07_TRAINVAL = Archive(
    'VOCtrainval_06-Nov-2007.tar',
    'http://host.robots.ox.ac.uk/pascal/VOC/voc2007/VOCtrainval_06-Nov-2007.tar',
    'c52e279531787c972589f7e41ab4ae64', 460)
_VOC07_TEST = Archive(
    'VOCtest_06-Nov-2007.tar',
    'http://host.robots.ox.ac.uk/pascal/VOC/voc2007/VOCtest_06-Nov-2007.tar',
    'b6e924de25625d8de591ea690078ad9f', 451)
_VOC12_TRAINVAL = Archive(
    'VOCtrainval_11-May-2012.tar',
    'http://host.robots.ox.ac.uk/pascal/VOC/voc2012/VOCtrainval_11-May-2012.tar',
    '6cd6e144f989b92b3379bac3b3de84fd', 2000)

#: dataset name -> (archives, paths under data_root that must exist after extraction)
PUBLIC_DATASETS: Dict[str, tuple] = {
    'voc2007': ((_VOC07_TRAINVAL, _VOC07_TEST),
                ('VOCdevkit/VOC2007/JPEGImages', 'VOCdevkit/VOC2007/Annotations',
                 'VOCdevkit/VOC2007/ImageSets/Main/trainval.txt',
                 'VOCdevkit/VOC2007/ImageSets/Main/test.txt')),
    'voc0712': ((_VOC07_TRAINVAL, _VOC07_TEST, _VOC12_TRAINVAL),
                ('VOCdevkit/VOC2007/JPEGImages', 'VOCdevkit/VOC2007/ImageSets/Main/trainval.txt',
                 'VOCdevkit/VOC2007/ImageSets/Main/test.txt', 'VOCdevkit/VOC2012/JPEGImages',
                 'VOCdevkit/VOC2012/ImageSets/Main/trainval.txt')),
    'coco2017': ((Archive('train2017.zip', 'http://images.cocodataset.org/zips/train2017.zip',
                          'cced6f7f71b7629ddf16f17bbcfab6b2', 18000, 'coco'),
                  Archive('val2017.zip', 'http://images.cocodataset.org/zips/val2017.zip',
                          '442b8da7639aecaf257c1dceb8ba8c80', 780, 'coco'),
                  Archive('annotations_trainval2017.zip',
                          'http://images.cocodataset.org/annotations/annotations_trainval2017.zip',
                          'f4bbac642086de4f52a3fdda2de5fa2c', 250, 'coco')),
                 ('coco/train2017', 'coco/val2017', 'coco/annotations/instances_train2017.json',
                  'coco/annotations/instances_val2017.json')),
}


def archive_url(archive: Archive, mirror: Optional[str] = None) -> str:
    """The archive's URL, or ``MIRROR/NAME`` (a local or institute mirror)."""
    return archive.url if not mirror else mirror.rstrip('/') + '/' + archive.name


def manual_instructions(name: str, data_root: str, mirror: Optional[str] = None) -> str:
    """What to download by hand, and where to put it, for dataset ``name``."""
    archives, _ = PUBLIC_DATASETS[name]
    lines = [f'Download these by hand into {data_root}/ (then run the same command again: it '
             'checks and extracts them):']
    lines += [f'  {archive_url(a, mirror)}  (~{a.size_mb} MB, md5 {a.md5})' for a in archives]
    return '\n'.join(lines)


def extract(path: str, dest: str) -> None:
    """Extract a ``.tar`` or ``.zip`` into ``dest`` (no member may leave ``dest``)."""
    os.makedirs(dest, exist_ok=True)
    if path.endswith('.zip'):
        with zipfile.ZipFile(path) as archive:
            archive.extractall(dest)  # zipfile drops '..' and absolute parts
    else:
        with tarfile.open(path) as archive:
            archive.extractall(dest, filter='data')  # refuses links and paths outside dest


def fetch_dataset(name: str, data_root: str = 'data', unzip: bool = False,
                  delete: bool = False, mirror: Optional[str] = None,
                  progress: Optional[TextIO] = None, log=print) -> List[str]:
    """Download (and with ``unzip``, extract) dataset ``name`` under ``data_root``.

    Returns:
        The paths the configs read (``data_root/VOCdevkit/...``), checked to exist after
        extraction; the archive paths without ``unzip``.

    Raises:
        OfflineError / DownloadError / ChecksumError (see ``download_file``);
        FileNotFoundError: an expected path is missing after extraction.
    """
    archives, expected = PUBLIC_DATASETS[name]
    paths = []
    for archive in archives:
        path = osp.join(data_root, archive.name)
        log(f'{archive.name} (~{archive.size_mb} MB): {archive_url(archive, mirror)}')
        download_file(archive_url(archive, mirror), path, archive.md5, progress=progress)
        paths.append(path)
    if not unzip:
        return paths
    for path, archive in zip(paths, archives):
        dest = osp.join(data_root, archive.extract_to)
        log(f'extracting {path} into {dest or data_root}/')
        extract(path, dest)
    missing = [p for p in expected if not osp.exists(osp.join(data_root, p))]
    if missing:
        absent = [osp.join(data_root, p) for p in missing]
        raise FileNotFoundError(f'{name}: after extraction {absent} are missing: the archives '
                                'do not hold the expected layout')
    if delete:
        for path in paths:
            os.remove(path)
            log(f'deleted {path}')
    return [osp.join(data_root, p) for p in expected]


def dataset_names() -> Sequence[str]:
    return tuple(PUBLIC_DATASETS)
