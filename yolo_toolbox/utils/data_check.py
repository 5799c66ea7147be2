"""Check, before anything starts, that the data a config trains on is on disk.

``tools/train.py`` (and so ``tools/dist_train.sh``, which runs the check once before it
starts the processes) calls :func:`exit_if_data_missing` right after loading the config:
without data, the user gets one short message naming the missing path and the command
that gets the data, instead of one traceback per rank.

Only paths are checked (folders and files the dataset classes open first); the datasets
themselves check the contents when they load.
"""
import os
import os.path as osp
import sys
from typing import Iterator, List, Optional, Tuple

from mmengine.config import Config

#: the dataloaders whose datasets a training run opens
TRAIN_LOADERS = ('train_dataloader', 'val_dataloader')
DOWNLOAD = 'python tools/misc/download_dataset.py --dataset {name} --data-root {root} --unzip'


def _datasets(cfg: dict, where: str) -> Iterator[Tuple[str, dict]]:
    """``(where, dataset cfg)`` of a dataset config and of the datasets it wraps."""
    if not isinstance(cfg, dict):
        return
    if 'dataset' in cfg:  # RepeatDataset, ClassBalancedDataset, ...
        yield from _datasets(cfg['dataset'], f'{where}.dataset')
    for i, sub in enumerate(cfg.get('datasets') or ()):  # ConcatDataset
        yield from _datasets(sub, f'{where}.datasets[{i}]')
    if 'dataset' not in cfg and 'datasets' not in cfg:
        yield where, cfg


def _join(root: Optional[str], path: str) -> str:
    return path if not root or osp.isabs(path) or '://' in path else osp.join(root, path)


def _required_paths(ds: dict) -> List[Tuple[str, str, str]]:
    """``(key, path, 'folder' | 'file')`` the dataset ``ds`` needs, in the order it opens them."""
    root = ds.get('data_root')
    needed = []
    if root:
        needed.append(('data_root', root, 'folder'))
    if ds.get('type') == 'VOCDataset' and root:
        years = ds.get('years', ('VOC2007', 'VOC2012'))
        for year in ((years, ) if isinstance(years, str) else years):
            needed.append(('years', osp.join(root, year), 'folder'))
    if ds.get('data_yaml'):
        needed.append(('data_yaml', ds['data_yaml'], 'file'))
    if ds.get('ann_file'):
        needed.append(('ann_file', _join(root, ds['ann_file']), 'file'))
    img_prefix = (ds.get('data_prefix') or {}).get('img_path')
    if img_prefix:
        needed.append(('data_prefix.img_path', _join(root, img_prefix), 'folder'))
    return [n for n in needed if '://' not in n[1]]  # remote storage: not checked here


def how_to_get(ds: dict) -> str:
    """The command (or the pointer) that gets the data of dataset config ``ds``."""
    root = str(ds.get('data_root') or ds.get('data_yaml') or ds.get('ann_file') or '')
    parent = osp.dirname(osp.normpath(root)) or '.'
    name = osp.basename(osp.normpath(root)).lower()
    if ds.get('type') == 'VOCDataset' and name == 'vocdevkit':
        years = ds.get('years', ('VOC2007', 'VOC2012'))
        which = 'voc0712' if 'VOC2012' in ((years, ) if isinstance(years, str) else years) \
            else 'voc2007'
        return DOWNLOAD.format(name=which, root=parent)
    if 'coco' in name:
        return DOWNLOAD.format(name='coco2017', root=parent)
    if name == 'demo':
        return f'python tools/misc/make_demo_dataset.py {osp.normpath(root)}'
    if name.startswith('heldout_'):
        return (f'python tools/misc/make_heldout_dataset.py {osp.normpath(root)} '
                f'--kind {name[len("heldout_"):]}')
    return ('put your data there, or point the config at it (docs/custom_dataset.md; '
            'VOC / COCO: tools/misc/download_dataset.py --help)')


def find_missing_data(cfg: Config, loaders=TRAIN_LOADERS) -> Optional[str]:
    """The message for the first missing dataset path of ``cfg``'s ``loaders``, or None.

    The message is three lines: what is missing (path, config key, dataset type), the
    command that gets it, and how to point the config elsewhere. A YOLO-format dataset
    whose ``data.yaml`` names are not as many as ``model.bbox_head.num_classes`` is
    reported too.
    """
    for loader in loaders:
        if loader == 'val_dataloader' and not cfg.get('val_cfg', True):
            continue
        loader_cfg = cfg.get(loader)
        if not isinstance(loader_cfg, dict):
            continue
        for where, ds in _datasets(loader_cfg.get('dataset'), f'{loader}.dataset'):
            for key, path, kind in _required_paths(ds):
                exists = osp.isdir(path) if kind == 'folder' else osp.isfile(path)
                if exists:
                    continue
                key_name = 'data_root' if key == 'years' else key
                return (f'no data: {path} is not a {kind} ({where}.{key} of '
                        f'{ds.get("type", "the dataset")}).\n'
                        f'  get it:   {how_to_get(ds)}\n'
                        f'  or put your copy there, or set {where}.{key_name} '
                        '(--cfg-options)')
            problem = _class_count_problem(cfg, ds, where)
            if problem:
                return problem
    return None


def _class_count_problem(cfg: Config, ds: dict, where: str) -> Optional[str]:
    """A ``data.yaml`` whose names are not as many as the head's classes (YOLO-format
    data brings its class list; the config must say the count)."""
    num_classes = cfg.get('model', {}).get('bbox_head', {}).get('num_classes')
    if ds.get('type') != 'YOLOTxtDataset' or not ds.get('data_yaml') or num_classes is None \
            or (ds.get('metainfo') or {}).get('classes'):
        return None
    from yolo_toolbox.datasets.yolo_txt import read_data_yaml
    names = read_data_yaml(ds['data_yaml'])['names']
    if len(names) == num_classes:
        return None
    return (f'{ds["data_yaml"]} ({where}.data_yaml) lists {len(names)} classes but '
            f'model.bbox_head.num_classes is {num_classes}.\n'
            f'  set num_classes = {len(names)} in the config (or --cfg-options '
            f'model.bbox_head.num_classes={len(names)})')


def exit_if_data_missing(cfg: Config, loaders=TRAIN_LOADERS) -> None:
    """Stop when a dataset path of ``cfg`` is missing: rank 0 prints the message and exits
    with status 1; the other ranks exit quietly with status 0, so that a launcher (torchrun
    kills the other processes when one fails) cannot stop rank 0 before it has printed,
    and names rank 0 as the root cause.

    The rank comes from the launcher's environment (``RANK``, or ``SLURM_PROCID``), so
    this works before any process group exists.
    """
    message = find_missing_data(cfg, loaders)
    if message is None:
        return
    rank = int(os.environ.get('RANK', os.environ.get('SLURM_PROCID', 0)))
    if rank != 0:
        raise SystemExit(0)
    print(message, file=sys.stderr, flush=True)
    raise SystemExit(1)
