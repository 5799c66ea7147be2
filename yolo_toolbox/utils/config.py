"""Loading a config the way every tool needs it."""
import copy
import os
import os.path as osp
from typing import Optional, Union

from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.utils import import_modules_from_strings


def load_config(config: Union[str, os.PathLike, Config], cfg_options: Optional[dict] = None,
                work_dir: Optional[str] = None) -> Config:
    """A config (path, or a Config that is copied) with ``--cfg-options`` merged, all
    modules registered and the default scope set.

    The config's ``custom_imports`` (e.g. a user's assigner module, found on
    ``PYTHONPATH``) are imported, also when they were set by ``cfg_options``. With
    ``work_dir`` (or when the config has none) ``cfg.work_dir`` is set: the given one,
    else ``./work_dirs/<config name>``. A dataloader with ``num_workers=0`` gets
    ``persistent_workers=False`` (PyTorch refuses the pair), so
    ``--cfg-options train_dataloader.num_workers=0`` works on its own.

    Every ``cfg_options`` key must exist in the config or be an argument of the module
    its dict builds; ``+KEY`` adds a new key on purpose (:func:`.config_check.
    check_cfg_options`, which raises ``KeyError`` naming the closest existing key).
    """
    from .config_check import check_cfg_options
    from .setup_env import register_all_modules
    register_all_modules()
    if isinstance(config, (str, os.PathLike)):
        path = str(config)
        cfg = Config.fromfile(path)
    elif isinstance(config, Config):
        path = config.filename or 'config.py'
        cfg = copy.deepcopy(config)
    else:
        raise TypeError(f'config must be a file path or a Config, got {type(config).__name__}')
    if cfg_options:
        cfg.merge_from_dict(check_cfg_options(cfg, cfg_options))
        if cfg.get('custom_imports'):  # also those set by the options
            import_modules_from_strings(**cfg.custom_imports)
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(path))[0])
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(key)
        if isinstance(loader, dict) and loader.get('num_workers', 0) == 0 \
                and loader.get('persistent_workers'):
            loader['persistent_workers'] = False
    init_default_scope(cfg.get('default_scope', 'yolo_toolbox'))
    return cfg
