"""Train yolo_toolbox and the original simple-yolo-pytorch side by side, same batches.

    python projects/original_comparison/compare_with_original.py CONFIG --original PATH \
        --epochs 31 --seed 0 --eval-every 5 --out work_dirs/compare/run.json \
        [--systems ours original] [--copy-init] [--cfg-options ...]

PATH is a checkout of https://github.com/zh320/simple-yolo-pytorch (not part of this
repository; its code is imported from there at run time, never copied). Both systems:

- are built with the same seed; with ``--copy-init`` ours starts from the original's
  initial weights (matched parameter by parameter, shapes checked);
- see the same batches, in the same order, from CONFIG's ``train_dataloader`` after our
  data preprocessor (one tensor, fed to both);
- are trained with the same optimizer: CONFIG's ``optim_wrapper.optimizer`` (type and
  lr), constant LR, no EMA: the "original recipe" of the quality issue;
- are evaluated on CONFIG's ``val_dataloader`` with the same NMS (:meth:`YOLOHead.nms`
  with CONFIG's ``test_cfg``) and the same metric (:class:`CocoStyleMetric`).

The original model and its ``YOLOLoss`` take the loss settings of CONFIG's head
(``lambda_coord``, ``lambda_obj``, ``lambda_scales``, focal gamma, IoU loss type,
assigner threshold and filter, ``assign_conf_method``); its decoding is its own.

Writes a JSON with, per system: the loss of every step (total and obj/box/cls), mAP@0.5
and mAP@0.5:0.95 at each evaluation, and the wall time spent in its training steps.
``--plot A.json B.json ... --plot-out curves.png`` draws mAP@0.5 vs epoch (mean and range
over the files, per system); ``--table A.json ...`` prints them as a markdown table.
"""
import argparse
import json
import os
import os.path as osp
import sys
import time
from typing import Optional, Sequence

import numpy as np
import torch
from mmengine.config import DictAction
from mmengine.runner import Runner
from mmengine.utils import ProgressBar

from yolo_toolbox.registry import METRICS, MODELS
from yolo_toolbox.structures import cxcywh_to_xyxy
from yolo_toolbox.utils import load_config


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', nargs='?')
    parser.add_argument('--original', help='path of a simple-yolo-pytorch checkout')
    parser.add_argument('--systems', nargs='+', default=['ours', 'original'],
                        choices=['ours', 'original'])
    parser.add_argument('--epochs', type=int, default=31)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--eval-every', type=int, default=5)
    parser.add_argument('--eval-epochs', type=int, nargs='+', default=[],
                        help='evaluate at these epochs too (e.g. 31 for the equal-epoch point)')
    parser.add_argument('--copy-init', action='store_true',
                        help="start ours from the original's initial weights")
    parser.add_argument('--log-steps', type=int, default=0,
                        help='print both losses for the first N steps (with --copy-init: '
                             'where do the two runs part?)')
    parser.add_argument('--threads', type=int, default=None)
    parser.add_argument('--out', help='JSON of the run')
    parser.add_argument('--plot', nargs='+', help='JSON files to plot (no training)')
    parser.add_argument('--plot-out', default='curves.png')
    parser.add_argument('--table', nargs='+', help='JSON files to summarise as markdown')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(argv)


# ---------------------------------------------------------------------- the original system
def import_original(path: str):
    """Import the original's YOLO and YOLOLoss from a checkout, no pretrained download."""
    if not osp.isfile(osp.join(path, 'models', 'yolo.py')):
        raise FileNotFoundError(f'{path} is not a simple-yolo-pytorch checkout '
                                '(models/yolo.py is missing)')
    path = osp.abspath(path)
    sys.path.insert(0, path)
    import importlib.util
    import types

    import torchvision.models as tv_models

    def load(name, file):
        spec = importlib.util.spec_from_file_location(name, osp.join(path, file))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    # only the files the model and loss need: the checkout's utils/ and core/ packages
    # import its trainer and metrics (torchmetrics, tensorboard), which are not needed here
    utils_pkg = types.ModuleType('utils')
    utils_pkg.__dict__.update(vars(load('utils.utils', 'utils/utils.py')))
    sys.modules['utils'] = utils_pkg
    loss_cls = load('original_loss', 'core/loss.py').YOLOLoss
    from models import backbone as orig_backbone
    from models.yolo import YOLO

    class ScratchResNet(orig_backbone.ResNet):  # the original asks torchvision to download
        def __init__(self, resnet_type, pretrained=False):
            torch.nn.Module.__init__(self)
            resnet = getattr(tv_models, resnet_type)(weights=None)
            for name in ('conv1', 'bn1', 'relu', 'maxpool', 'layer1', 'layer2', 'layer3',
                         'layer4'):
                setattr(self, name, getattr(resnet, name))

    import models.yolo as orig_yolo
    orig_yolo.ResNet = ScratchResNet
    return YOLO, loss_cls


def build_original(cfg, yolo_cls, loss_cls, img_size):
    head, backbone = cfg.model.bbox_head, cfg.model.backbone
    assigner_names = {'NearbyGridAssigner': 'nearby_grid', 'SingleGridAssigner': 'single_grid',
                      'AllGridAssigner': 'all_grid'}
    method = assigner_names[head.assigner.type]
    anchors = [[list(a) for a in level] for level in head.anchors]
    backbone_type = f'resnet{backbone.depth}' if backbone.type == 'ResNet' else 'darknet'
    model = yolo_cls(num_class=head.num_classes, backbone_type=backbone_type,
                     label_assignment_method=method, anchor_boxes=anchors,
                     channel_sparsity=backbone.get('channel_sparsity', 1.0))
    criterion = loss_cls(
        num_class=head.num_classes, img_size=list(img_size), anchor_boxes=anchors,
        lambda_coord=head.get('lambda_coord', 1.0), lambda_obj=head.get('lambda_obj', 1.0),
        lambda_noobj=head.get('lambda_noobj', 1.0),
        lambda_scales=list(head.get('lambda_scales', (1, 1, 1))),
        use_noobj_loss=head.get('use_noobj_loss', False),
        iou_loss_type=head.loss_bbox.get('mode', 'ciou'), label_assignment_method=method,
        focal_loss_gamma=head.loss_obj.get('gamma', 0.0),
        match_iou_thres=head.assigner.get('match_iou_thres', 0.0625),
        filter_by_max_iou=head.assigner.get('filter_by_max_iou', True),
        assign_conf_method=head.get('assign_conf_method', 'iou'))
    return model, criterion


def original_targets(bboxes_labels: torch.Tensor, img_w: int, img_h: int):
    """(N, 6) batch, label, xyxy pixels -> the original's (N, 5) normalised boxes, (N, 2)."""
    boxes = bboxes_labels[:, 2:6]
    scale = boxes.new_tensor([img_w, img_h])
    centre = (boxes[:, :2] + boxes[:, 2:]) / 2 / scale
    size = (boxes[:, 2:] - boxes[:, :2]) / scale
    batch = bboxes_labels[:, :1]
    return (torch.cat([batch, centre, size], dim=1),
            torch.cat([batch, bboxes_labels[:, 1:2]], dim=1))


def copy_original_init(ours: torch.nn.Module, original: torch.nn.Module) -> int:
    """Copy the original's parameters and BN buffers into ours, in registration order.

    Our head convs have a bias where the original has none: those biases are set to 0.
    Returns the number of tensors copied; raises if the two orders disagree in shape.
    """
    def group(name: str, ours_: bool) -> str:
        """The layer a tensor belongs to, in a naming both models share (the neck's
        layers are registered in another order in each; within a layer it is the same)."""
        parts = name.split('.')
        if ours_:
            if parts[0] == 'neck':
                return 'spp' if parts[1] == 'spp' else f'pan.{parts[1]}'
            return {'bbox_head': 'det_head'}.get(parts[0], parts[0])
        return f'pan.{parts[1]}' if parts[0] == 'pan' else parts[0]

    def tensors(model, ours_):
        out = []
        for name, value in model.state_dict().items():
            if name.endswith('num_batches_tracked'):
                continue
            if ours_ and name.startswith('bbox_head.') and name.endswith('.bias'):
                continue
            out.append((group(name, ours_), name, value))
        return [(name, value) for _, name, value in sorted(out, key=lambda t: t[0])]

    src = tensors(original, False)
    dst = tensors(ours, True)
    if len(src) != len(dst):
        raise RuntimeError(f'{len(src)} tensors in the original, {len(dst)} in ours')
    for (src_name, src_val), (dst_name, dst_val) in zip(src, dst):
        if src_val.shape != dst_val.shape:
            raise RuntimeError(f'shape mismatch: {src_name} {tuple(src_val.shape)} vs '
                               f'{dst_name} {tuple(dst_val.shape)}')
        dst_val.copy_(src_val)
    for conv in ours.bbox_head.convs:
        if conv.bias is not None:
            conv.bias.data.zero_()
    return len(src)


# ---------------------------------------------------------------------- evaluation
@torch.no_grad()
def evaluate(system: str, model, head, val_loader, data_preprocessor, metric_cfg,
             dataset_meta) -> dict:
    metric = METRICS.build(metric_cfg)
    metric.dataset_meta = dataset_meta
    model.eval()
    for batch in val_loader:
        data = data_preprocessor(batch, training=False)
        samples = data['data_samples']
        metas = [s.metainfo for s in samples]
        if system == 'ours':
            preds = head.predict_by_feat(model(data['inputs'], mode='tensor'), metas)
        else:
            out = model(data['inputs'], is_training=False)  # (B, M, 5 + C) decoded
            boxes = cxcywh_to_xyxy(out[..., 1:5])
            scores = out[..., :1] * out[..., 5:]
            preds = head.predict_from_boxes(boxes, scores, metas)
        for sample, pred in zip(samples, preds):
            sample.pred_instances = pred
        metric.process(batch, [s.to_dict() if hasattr(s, 'to_dict') else s for s in samples])
    model.train()
    res = metric.compute_metrics(metric.results)
    return {k.split('/')[-1]: float(v) for k, v in res.items() if isinstance(v, (int, float))}


# ---------------------------------------------------------------------- training
def run(args) -> dict:
    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = load_config(args.config, args.cfg_options)
    img_size = cfg.get('img_scale', (320, 320))  # (W, H)
    train_loader = Runner.build_dataloader(cfg.train_dataloader, seed=args.seed)
    val_loader = Runner.build_dataloader(cfg.val_dataloader, seed=args.seed)
    dataset_meta = val_loader.dataset.metainfo
    opt_cfg = dict(cfg.optim_wrapper.optimizer)
    opt_type = opt_cfg.pop('type')

    systems = {}
    torch.manual_seed(args.seed)
    ours = MODELS.build(cfg.model)
    ours.init_weights()
    preprocessor = ours.data_preprocessor
    head = ours.bbox_head
    if 'original' in args.systems or args.copy_init:
        yolo_cls, loss_cls = import_original(args.original)
        torch.manual_seed(args.seed)
        original, criterion = build_original(cfg, yolo_cls, loss_cls, img_size)
        if args.copy_init:
            n = copy_original_init(ours, original)
            print(f'copied {n} initial tensors from the original into ours')
        if 'original' in args.systems:
            systems['original'] = dict(model=original, criterion=criterion)
    if 'ours' in args.systems:
        systems['ours'] = dict(model=ours)
    for entry in systems.values():
        entry['model'].train()
        entry['optim'] = getattr(torch.optim, opt_type)(entry['model'].parameters(), **opt_cfg)
        entry.update(time=0.0, steps=[], evals=[])

    step = 0
    for epoch in range(1, args.epochs + 1):
        if hasattr(train_loader.sampler, 'set_epoch'):
            train_loader.sampler.set_epoch(epoch)
        bar = ProgressBar(len(train_loader))
        for batch in train_loader:
            data = preprocessor(batch, training=True)
            inputs, bboxes_labels = data['inputs'], data['data_samples']['bboxes_labels']
            for name, entry in systems.items():
                start = time.perf_counter()
                entry['optim'].zero_grad()
                if name == 'ours':
                    losses = entry['model'](inputs, data['data_samples'], mode='loss')
                    loss, _ = entry['model'].parse_losses(losses)
                    parts = [losses['loss_obj'], losses['loss_bbox'], losses['loss_cls']]
                else:
                    boxes, classes = original_targets(bboxes_labels, inputs.shape[3],
                                                      inputs.shape[2])
                    loss, parts = entry['criterion'](entry['model'](inputs), boxes, classes)
                loss.backward()
                entry['optim'].step()
                entry['time'] += time.perf_counter() - start
                entry['steps'].append([float(loss)] + [float(p) for p in parts])
            if step < args.log_steps:
                print(f'\nstep {step}: ' + '  '.join(
                    f'{n} total {e["steps"][-1][0]:.5f} obj/box/cls '
                    + '/'.join(f'{v:.5f}' for v in e['steps'][-1][1:])
                    for n, e in systems.items()))
            step += 1
            bar.update()
        print()
        if epoch % args.eval_every == 0 or epoch == args.epochs or epoch in args.eval_epochs:
            for name, entry in systems.items():
                res = evaluate(name, entry['model'], head, val_loader, preprocessor,
                               cfg.val_evaluator, dataset_meta)
                entry['evals'].append(dict(epoch=epoch, train_time=entry['time'], **res))
                print(f'epoch {epoch} {name}: mAP@0.5 {res.get("mAP_50", 0):.4f} '
                      f'mAP@0.5:0.95 {res.get("mAP_50_95", 0):.4f} '
                      f'(train {entry["time"]:.0f} s)')
    result = dict(config=args.config, seed=args.seed, epochs=args.epochs,
                  cfg_options=args.cfg_options, copy_init=args.copy_init,
                  systems={n: dict(steps=e['steps'], evals=e['evals'], train_time=e['time'])
                           for n, e in systems.items()})
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            json.dump(result, f)
        print(f'wrote {args.out}')
    return result


def plot(files: Sequence[str], out: str) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    curves = {}
    for path in files:
        with open(path) as f:
            run_ = json.load(f)
        label_ = osp.splitext(osp.basename(path))[0].rsplit('_seed', 1)[0]
        for name, entry in run_['systems'].items():
            key = f'{label_} {name}' if len(files) > 1 else name
            curves.setdefault(key, []).append(
                {e['epoch']: e['mAP_50'] for e in entry['evals']})
    fig, ax = plt.subplots(figsize=(6, 4))
    for key, runs in sorted(curves.items()):
        epochs = sorted(set.intersection(*(set(r) for r in runs)))
        values = np.array([[r[e] for e in epochs] for r in runs])
        ax.plot(epochs, values.mean(0), marker='o', label=f'{key} (n={len(runs)})')
        if len(runs) > 1:
            ax.fill_between(epochs, values.min(0), values.max(0), alpha=0.2)
    ax.set_xlabel('epoch')
    ax.set_ylabel('mAP@0.5')
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    print(f'wrote {out}')


def table(files: Sequence[str]) -> str:
    """One markdown row per file and system: mAP@0.5 (0.5:0.95) at each evaluation."""
    rows = ['| run | system | ' + 'epoch: mAP@0.5 (mAP@0.5:0.95) | train s |', '|---|---|---|---|']
    for path in files:
        with open(path) as f:
            run_ = json.load(f)
        for name, entry in run_['systems'].items():
            evals = ', '.join(f"{e['epoch']}: {e['mAP_50']:.3f} ({e['mAP_50_95']:.3f})"
                              for e in entry['evals'])
            rows.append(f'| {osp.basename(path)} | {name} | {evals} | '
                        f"{entry['train_time']:.0f} |")
    text = '\n'.join(rows)
    print(text)
    return text


def main(argv: Optional[Sequence[str]] = None):
    args = parse_args(argv)
    if args.table:
        return table(args.table)
    if args.plot:
        return plot(args.plot, args.plot_out)
    if not args.config:
        raise SystemExit('CONFIG is needed (or --plot)')
    if 'original' in args.systems or args.copy_init:
        if not args.original:
            raise SystemExit('--original PATH (a simple-yolo-pytorch checkout) is needed')
    return run(args)


if __name__ == '__main__':
    main()
