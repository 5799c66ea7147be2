"""Print the full config as a tool would run it: bases merged, ``--cfg-options`` applied.

    python tools/misc/print_config.py CONFIG [--cfg-options key=value ...] [--save-path out.py]

The text (after a ``Config:`` line) is mmengine's ``Config.pretty_text`` of the config
that :func:`yolo_toolbox.utils.load_config` returns, so ``work_dir`` is filled in as
``train.py`` would fill it. ``--save-path`` also writes it to a ``.py`` file that
``Config.fromfile`` loads back to the same config (JSON / YAML would turn its tuples into
lists, so they are not offered). Top-level variables that other keys were computed from
(``num_classes = 20``) are printed as the file set them: an option changes only the key
it names.
"""
import argparse
import os
import os.path as osp
from typing import Optional, Sequence

from mmengine.config import Config, DictAction


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Print the merged config')
    parser.add_argument('config', help='config file')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys, e.g. model.bbox_head.num_classes=3')
    parser.add_argument('--save-path', help='also write the merged config to this .py file')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> Config:
    """Print (and optionally save) the merged config; return it."""
    args = parse_args(argv)
    if args.save_path and osp.splitext(args.save_path)[1] != '.py':
        raise ValueError(f'--save-path {args.save_path}: the file must end in .py (a Python '
                         'config keeps tuples as tuples; JSON / YAML would not)')
    from yolo_toolbox.utils import load_config
    cfg = load_config(args.config, args.cfg_options)
    print(f'Config:\n{cfg.pretty_text}')
    if args.save_path:
        folder = osp.dirname(osp.abspath(args.save_path))
        os.makedirs(folder, exist_ok=True)
        cfg.dump(args.save_path)
        print(f'saved the config to {args.save_path}')
    return cfg


if __name__ == '__main__':
    main()
