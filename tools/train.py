"""Train a detector: ``python tools/train.py CONFIG [--work-dir DIR] [--amp|--fp32] [--compile]
[--resume [CKPT]]``.

``--resume`` without a path continues from ``WORK_DIR/last_checkpoint``, or, when that
file does not load (a run killed during a save by an older version), from the newest
checkpoint of the work dir that does; each skipped file is logged with the reason.

What runs is what the config says: the flags only write into the config (``--amp`` /
``--fp32``: the optimizer wrapper; ``--on-nonfinite-loss``: the action of the config's
``NonFiniteLossHook``; ``--compile``: a ``CompileModelHook``; ``--resume``:
``resume`` / ``load_from``), which mmengine dumps into the work dir. Without flags,
``Runner.from_cfg(load_config(CONFIG))`` builds the same run.
"""
import argparse
import os

from mmengine.config import Config, DictAction
from mmengine.runner import Runner

from yolo_toolbox.engine import (
    set_nonfinite_loss_action,
    setup_amp,
    setup_compile,
    setup_distributed,
    setup_fp32,
    setup_sync_bn,
)
from yolo_toolbox.utils import find_resumable_checkpoint, load_config
from yolo_toolbox.utils.data_check import exit_if_data_missing


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a YOLO detector')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument('--amp', action='store_true',
                        help='mixed precision: fp16 AMP on CUDA, bf16 autocast on CPU')
    parser.add_argument('--fp32', action='store_true',
                        help='train in fp32: writes optim_wrapper.amp=False (the base schedules '
                             "default to AutoAmpOptimWrapper dtype='auto': bf16 autocast on CPUs "
                             'with native bf16 and bf16-capable GPUs, fp16 on other GPUs)')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='scale the LR with the total batch size (auto_scale_lr in config)')
    parser.add_argument(
        '--resume', nargs='?', type=str, const='auto',
        help='resume from CKPT; without a value, from the latest checkpoint in the work dir '
             'that loads')
    parser.add_argument('--compile', action='store_true',
                        help='torch.compile the backbone, neck and head convs (CompileModelHook; '
                             "written into the config's custom_hooks); the first iteration "
                             'compiles')
    parser.add_argument('--on-nonfinite-loss', choices=['stop', 'skip'], default=None,
                        help="the action of the config's NonFiniteLossHook at a NaN/inf loss: "
                             'stop with a message naming the last good checkpoint, or skip '
                             'the step and count it (default: as the config says)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys, e.g. model.bbox_head.num_classes=3')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--check-data-only', action='store_true',
                        help='check that the dataset paths of the config exist, then exit '
                             '(tools/dist_train.sh runs it before starting the processes)')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def build_cfg(args, check_data: bool = False) -> Config:
    cfg = load_config(args.config, args.cfg_options, args.work_dir)
    if check_data or args.check_data_only:
        exit_if_data_missing(cfg)  # one short message (rank 0), not a traceback per rank
        if args.check_data_only:
            raise SystemExit(0)
    if args.amp and args.fp32:
        raise SystemExit('--amp and --fp32 contradict each other: give one')
    if args.amp:
        setup_amp(cfg)
    if args.fp32:
        setup_fp32(cfg)
    if args.auto_scale_lr:
        if not cfg.get('auto_scale_lr') or 'base_batch_size' not in cfg.auto_scale_lr:
            raise RuntimeError('--auto-scale-lr needs auto_scale_lr=dict(base_batch_size=...) '
                               'in the config')
        cfg.auto_scale_lr.enable = True
    args.resume_notes = []
    if args.resume == 'auto':
        cfg.load_from, args.resume_notes = find_resumable_checkpoint(cfg.work_dir)
        cfg.resume = cfg.load_from is not None  # no checkpoint at all: start from scratch
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    set_nonfinite_loss_action(cfg, args.on_nonfinite_loss)
    setup_compile(cfg, args.compile)
    setup_sync_bn(cfg)
    setup_distributed(cfg, args.launcher)
    return cfg


def main(argv=None):
    args = parse_args(argv)
    cfg = build_cfg(args, check_data=True)
    runner = Runner.from_cfg(cfg)
    for note in args.resume_notes:  # now that the runner exists: in its log file too
        runner.logger.warning(f'--resume: {note}')
    runner.train()


if __name__ == '__main__':
    main()
