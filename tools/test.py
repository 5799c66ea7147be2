"""Evaluate a checkpoint: ``python tools/test.py CONFIG CHECKPOINT`` prints mAP@0.5, mAP@0.5:0.95
and the per-class AP table; a progress bar with ETA runs over the test batches.

``--multi-label`` evaluates with multi-label NMS (every class above ``score_thr`` is a
candidate, then class-aware NMS: the YOLOv5 ``val.py`` / MMYOLO convention); the default
keeps one class per box. Written into ``model.bbox_head.test_cfg.multi_label``.

``--tta`` evaluates with test-time augmentation, mmengine's way: the model becomes the
config's ``tta_model`` (``YOLOTTAModel``) wrapping ``model``, and the test dataloader's
pipeline the config's ``tta_pipeline`` (one pass per scale, each plain and flipped
left-right; made from the test pipeline with ``--tta-scales`` or where the config has
none). Each pass's detections are fused across passes, or with ``--tta-merge nms`` all
boxes go through one NMS; see ``yolo_toolbox/models/test_time_augs/yolo_tta_model.py``.

``--backend onnxruntime|openvino`` evaluates an exported model instead (CHECKPOINT is then
the ``.onnx`` / ``.xml`` file of ``tools/deployment/export_onnx.py``), with the config's
pipeline, NMS and metric: the mAP a deployed model really has. OpenVINO runs in the
precision it picks for the CPU unless ``--precision fp32|bf16`` says otherwise."""
import argparse
import os
import os.path as osp

import torch
from mmengine.config import Config, DictAction
from mmengine.runner import Runner

from yolo_toolbox.apis.deploy import evaluate_exported, init_backend_detector
from yolo_toolbox.deployment.cli_options import add_backend_arguments, backend_kwargs
from yolo_toolbox.engine import setup_distributed
from yolo_toolbox.utils import load_config


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test (and evaluate) a YOLO detector')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save logs and results')
    parser.add_argument('--out', help='dump the predictions to a pickle file (.pkl)')
    parser.add_argument('--show-dir', help='write images with predictions drawn to this dir '
                                           '(inside the work dir)')
    parser.add_argument('--plots', action='store_true',
                        help='also write a confusion matrix PNG and a PR curve PNG to the '
                             'work dir')
    parser.add_argument('--multi-label', action='store_true',
                        help='multi-label NMS (model.bbox_head.test_cfg.multi_label=True): every '
                             'class above score_thr is a candidate box, then class-aware NMS, '
                             "as YOLOv5's val.py and MMYOLO evaluate (default: one class per "
                             'box); report which one a number used')
    parser.add_argument('--tta', action='store_true',
                        help='test-time augmentation: each batch at several scales '
                             '(--tta-scales) and flipped left-right, merged as --tta-merge '
                             'says')
    parser.add_argument('--tta-scales', type=float, nargs='+', default=None,
                        help='input scale factors of --tta (default: the passes of the '
                             "config's tta_pipeline, else 0.83 1.0 1.17)")
    parser.add_argument('--tta-merge', choices=['fuse', 'nms'], default=None,
                        help="how --tta merges its passes: 'fuse' (each pass's NMS, then one "
                             'score-weighted box per object, scored by the mean over the '
                             "passes) or 'nms' (all boxes through one NMS, as YOLOv5); "
                             "default: the config's tta_model.merge_mode, else fuse")
    add_backend_arguments(parser, 'evaluate')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if args.backend != 'pytorch' and (args.tta or args.show_dir or args.launcher != 'none'):
        parser.error('--tta, --show-dir and --launcher work with --backend pytorch only')
    if args.precision != 'auto' and args.backend != 'openvino':
        parser.error('--precision needs --backend openvino')
    if args.multi_label:  # an entry of the config (also for --backend: the config's NMS)
        args.cfg_options = {**(args.cfg_options or {}),
                            'model.bbox_head.test_cfg.multi_label': True}
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def use_tta(cfg: Config, scales=None, merge=None) -> None:
    """Test with test-time augmentation (MMDetection's ``tools/test.py`` convention):
    ``cfg.model = dict(**cfg.tta_model, module=cfg.model)`` and the test dataloader's
    pipeline ``cfg.tta_pipeline``.

    Args:
        scales: the passes' scale factors (each plain and flipped): a ``tta_pipeline``
            made from the test pipeline (``make_tta_pipeline``); None: the config's
            ``tta_pipeline``, or one made with the default scales where it has none.
        merge: ``'fuse'`` or ``'nms'`` (``YOLOTTAModel``'s ``merge_mode``); None: the config's.
    """
    from yolo_toolbox.datasets.transforms import DEFAULT_TTA_SCALES, make_tta_pipeline
    tta_model = dict(cfg.get('tta_model') or dict(type='YOLOTTAModel'))
    if merge is not None:
        tta_model['merge_mode'] = merge
    dataset = cfg.test_dataloader.dataset
    if 'pipeline' not in dataset:
        raise ValueError('--tta replaces test_dataloader.dataset.pipeline with tta_pipeline; '
                         'this test dataset has no pipeline key')
    if scales is not None or not cfg.get('tta_pipeline'):
        tta_pipeline = make_tta_pipeline(dataset.pipeline, scales or DEFAULT_TTA_SCALES)
    else:
        tta_pipeline = cfg.tta_pipeline
    cfg.model = dict(**tta_model, module=cfg.model)
    cfg.test_dataloader = dict(cfg.test_dataloader, dataset=dict(dataset, pipeline=tta_pipeline))
    # the EMA hook would copy the wrapped model and load the checkpoint's keys into the
    # copy under other names (module.*): the checkpoint's state_dict already holds the EMA
    # weights (the hook swaps them in before saving), so testing needs no EMA hook
    hooks = cfg.get('custom_hooks') or []
    cfg.custom_hooks = [h for h in hooks if not (isinstance(h, dict)
                                                 and h.get('type') == 'EMAHook')]


def build_cfg(args) -> Config:
    cfg = load_config(args.config, args.cfg_options, args.work_dir)
    cfg.load_from = args.checkpoint
    if args.tta:
        use_tta(cfg, args.tta_scales, args.tta_merge)
    cfg.resume = False
    evaluators = cfg.test_evaluator
    if not isinstance(evaluators, list):
        evaluators = [evaluators]
    for evaluator in evaluators:
        if evaluator.get('type') == 'CocoStyleMetric':
            evaluator['classwise'] = True
            if args.plots:
                evaluator['confusion_matrix_png'] = osp.join(cfg.work_dir, 'confusion_matrix.png')
                evaluator['pr_curve_png'] = osp.join(cfg.work_dir, 'pr_curve.png')
    if args.show_dir:
        vis_hook = cfg.default_hooks.get('visualization')
        if vis_hook is None:
            raise RuntimeError('--show-dir needs default_hooks.visualization in the config')
        vis_hook['draw'] = True
        vis_hook['test_out_dir'] = args.show_dir
    if args.out is not None:
        if not args.out.endswith(('.pkl', '.pickle')):
            raise ValueError('--out must be a .pkl file')
        cfg.test_evaluator = [*evaluators, dict(type='DumpResults', out_file_path=args.out)]
    hooks = list(cfg.get('custom_hooks') or [])
    if not any(isinstance(h, dict) and h.get('type') == 'ProgressBarHook' for h in hooks):
        cfg.custom_hooks = [*hooks, dict(type='ProgressBarHook', stages=['test'])]
    setup_distributed(cfg, args.launcher)
    return cfg


def test_exported(args, cfg: Config) -> dict:
    """``--backend onnxruntime|openvino``: the exported model through the test loader and
    the config's evaluator."""
    detector = init_backend_detector(args.config, args.checkpoint, args.backend,
                                     cfg_options=args.cfg_options, threads=args.threads,
                                     **backend_kwargs(args))
    precision = getattr(detector.session, 'precision', None)
    print(f'evaluating {args.checkpoint} on {args.backend}'
          + (f' ({precision})' if precision else ''))
    return evaluate_exported(detector, cfg, log_every=10)


def main(argv=None):
    args = parse_args(argv)
    cfg = build_cfg(args)
    if args.backend != 'pytorch':
        metrics = test_exported(args, cfg)
        rank = 0
    else:
        if args.threads:
            torch.set_num_threads(args.threads)
        runner = Runner.from_cfg(cfg)
        metrics = runner.test()
        rank = runner.rank
    if rank == 0:
        print('mAP@0.5: {:.4f}   mAP@0.5:0.95: {:.4f}'.format(
            metrics.get('det/mAP_50', float('nan')), metrics.get('det/mAP_50_95', float('nan'))))
    return metrics


if __name__ == '__main__':
    main()
