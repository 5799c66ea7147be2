"""Speed of yolo_toolbox next to the original simple-yolo-pytorch, in one process.

    python projects/original_comparison/speed_vs_original.py --original PATH \
        [--config configs/yolo_r18_nearby.py] [--shape 512] [--batch-size 8] [--num-gt 10] \
        [--rounds 5] [--iters 2] [--threads 2] [--only train infer assign export] \
        [--variants default bf16 bf16+channels_last compile ...] [--profile] [--out-json FILE]

PATH is a checkout of https://github.com/zh320/simple-yolo-pytorch; its code is imported
from there at run time (as ``compare_with_original.py`` does), never copied.

Both systems are built from CONFIG (same network: the original's YOLO with CONFIG's
backbone, width, anchors and assigner), and measured **interleaved**: each round times
the original, then ours, so that a shared machine's load falls on both alike. The table
gives medians over the rounds and the ratio ours / original; on a shared machine the
absolute numbers move with the load (the load average is printed), the ratios much less.

Rows:

- train step, batch ``--batch-size``, random uint8 images with ``--num-gt`` random boxes
  each. Ours: ``model.train_step`` (data preprocessor from uint8, loss, backward, the
  config's optimizer via its optim wrapper). Original: forward, ``YOLOLoss``, backward,
  the same optimizer, on an already normalised float batch (its data loader normalises,
  so its time here has no preprocessing).
- inference, batch 1, network + box decoding. Original: ``model(x, is_training=False)``.
  Ours eager: ``head.decode_preds(model(x))``, as built and with Conv+BN folded
  (``yolo_toolbox.models.detectors.export.fuse_conv_bn``); the export of the same
  (folded, normalisation in the graph, simplified) on onnxruntime and on OpenVINO when
  they are installed, with its parity (max abs diff of boxes and scores).
- assignment, 16 images x 50 GT, every scale. Original: ``YOLOLoss.label_assignment``
  (dense target maps); ours: ``YOLOHead.assign``.

``--variants`` times several of our training set-ups in the same rounds ('default':
the config as it is; options joined by '+': 'bf16' autocast as ``tools/train.py
--amp`` on a CPU, 'channels_last' / 'nchw' to force the memory format of batches and
conv weights, 'compile' as ``tools/train.py --compile``, whose compilation time is
printed). ``--profile`` also prints the torch profiler's top
entries (self CPU time) of one training step of the original and of each variant.
"""
import argparse
import copy
import json
import logging
import os
import os.path as osp
import statistics
import sys
import tempfile
import time
from typing import Callable, Optional, Sequence

import torch
from mmengine.logging import MMLogger
from mmengine.optim import build_optim_wrapper

# this folder (compare_with_original) and tools/analysis_tools (benchmark), as scripts
_HERE = osp.dirname(osp.abspath(__file__))
sys.path[:0] = [_HERE, osp.join(_HERE, '..', '..', 'tools', 'analysis_tools')]
from benchmark import random_train_batch  # noqa: E402
from compare_with_original import build_original, import_original, original_targets  # noqa: E402

from yolo_toolbox.analysis.benchmark import random_gt  # noqa: E402
from yolo_toolbox.registry import MODELS  # noqa: E402
from yolo_toolbox.utils import load_config  # noqa: E402

ROWS = ('train', 'infer', 'assign', 'export')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--original', required=True, help='simple-yolo-pytorch checkout')
    parser.add_argument('--config', default='configs/yolo_r18_nearby.py')
    parser.add_argument('--shape', type=int, default=512, help='square input size')
    parser.add_argument('--batch-size', type=int, default=8, help='training batch size')
    parser.add_argument('--num-gt', type=int, default=10, help='random GT boxes per image')
    parser.add_argument('--rounds', type=int, default=5, help='interleaved rounds (medians)')
    parser.add_argument('--iters', type=int, default=2, help='timed calls per row and round')
    parser.add_argument('--threads', type=int, default=2, help='torch CPU threads')
    parser.add_argument('--only', nargs='+', choices=ROWS, default=list(ROWS))
    parser.add_argument('--variants', nargs='+', default=['default'],
                        help="our training set-ups, each timed against the original: "
                             "'default' (the config) or options joined by '+' from bf16 "
                             "(CPU autocast, tools/train.py --amp), channels_last or nchw "
                             "(force the memory format), compile (tools/train.py "
                             "--compile), e.g. default nchw bf16")
    parser.add_argument('--profile', action='store_true',
                        help='print the profiler top entries of one training step each')
    parser.add_argument('--out-json', help='write the results here')
    return parser.parse_args(argv)


def load_avg() -> float:
    return os.getloadavg()[0]


def per_call_ms(fn: Callable[[], object], iters: int) -> float:
    start = time.perf_counter()
    for _ in range(iters):
        fn()
    return (time.perf_counter() - start) * 1000 / iters


class Rows:
    """Interleaved timing: ``add(name, fn)`` for each system, ``run`` times all rounds."""

    def __init__(self) -> None:
        self.fns: dict = {}
        self.times: dict = {}

    def add(self, name: str, fn: Callable[[], object]) -> None:
        self.fns[name] = fn

    def run(self, rounds: int, iters: int, warmup: int = 1) -> None:
        for fn in self.fns.values():
            for _ in range(warmup):
                fn()
        for _ in range(rounds):
            for name, fn in self.fns.items():
                self.times.setdefault(name, []).append(per_call_ms(fn, iters))

    def median(self, name: str) -> float:
        return statistics.median(self.times[name])


def build_ours(cfg, args):
    torch.manual_seed(0)
    model = MODELS.build(copy.deepcopy(cfg.model))
    model.init_weights()
    return model


def profile_step(fn: Callable[[], object], label: str, top: int = 12) -> str:
    from torch.profiler import ProfilerActivity, profile
    fn()
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        fn()
    table = prof.key_averages().table(sort_by='self_cpu_time_total', row_limit=top)
    print(f'\n--- profiler, one training step: {label} ---\n{table}')
    return table


VARIANT_OPTIONS = ('bf16', 'channels_last', 'nchw', 'compile', 'fused', 'unfused')


def build_train_variant(cfg, args, variant: str, batch: dict, results: dict):
    """Our model and its train step for ``variant``: 'default' or '+'-joined options of
    :data:`VARIANT_OPTIONS` ('bf16': CPU bf16 autocast, as ``tools/train.py --amp``)."""
    options = set() if variant == 'default' else set(variant.split('+'))
    unknown = options - set(VARIANT_OPTIONS)
    if unknown:
        raise SystemExit(f'unknown variant options {sorted(unknown)}; use {VARIANT_OPTIONS}')
    cfg = copy.deepcopy(cfg)
    # the detector builds with NHWC conv weights when its data preprocessor is NHWC
    if options & {'channels_last', 'nchw'}:
        cfg.model.data_preprocessor['channels_last'] = 'channels_last' in options
    ours = build_ours(cfg, args)
    optim_cfg = copy.deepcopy(cfg.optim_wrapper)
    if 'bf16' in options:
        optim_cfg['type'] = 'CPUBf16OptimWrapper'
    if options & {'fused', 'unfused'}:  # force the optimizer's fused kernel on or off
        optim_cfg['optimizer']['fused'] = 'fused' in options
    ours.train()
    if 'compile' in options:
        from yolo_toolbox.engine import compile_model
        compile_model(ours)
    optim_wrapper = build_optim_wrapper(ours, optim_cfg)
    step = lambda: ours.train_step(batch, optim_wrapper)  # noqa: E731
    if 'compile' in options:
        start = time.perf_counter()
        step()
        results[f'compile_s_{variant}'] = time.perf_counter() - start
        print(f'{variant}: first step (torch.compile included) took '
              f'{results[f"compile_s_{variant}"]:.1f} s')
    return step


def train_rows(cfg, args, yolo_cls, loss_cls, results: dict) -> None:
    size, batch_size = args.shape, args.batch_size
    gen = torch.Generator().manual_seed(0)
    num_classes = cfg.model.bbox_head.num_classes
    batch = random_train_batch(batch_size, size, args.num_gt, num_classes, gen)
    rows = Rows()

    torch.manual_seed(0)
    original, criterion = build_original(cfg, yolo_cls, loss_cls, (size, size))
    original.train()
    opt_cfg = dict(cfg.optim_wrapper.optimizer)
    optimizer = getattr(torch.optim, opt_cfg.pop('type'))(original.parameters(), **opt_cfg)
    data = build_ours(cfg, args).data_preprocessor(batch, training=True)
    inputs = data['inputs'].contiguous()
    boxes, classes = original_targets(data['data_samples']['bboxes_labels'], size, size)

    def step_original():
        optimizer.zero_grad()
        loss, _ = criterion(original(inputs), boxes, classes)
        loss.backward()
        optimizer.step()

    rows.add('original', step_original)
    for variant in args.variants:
        rows.add(f'ours_{variant}', build_train_variant(cfg, args, variant, batch, results))
    rows.run(args.rounds, args.iters)
    for name in rows.fns:
        results[f'train_img_s_{name}'] = batch_size * 1000 / rows.median(name)
    if args.profile:
        results['profile_original'] = profile_step(step_original, 'original')
        for variant in args.variants:
            name = f'ours_{variant}'
            results[f'profile_{name}'] = profile_step(rows.fns[name], name)


def infer_rows(cfg, args, yolo_cls, loss_cls, results: dict) -> None:
    size = args.shape
    ours = build_ours(cfg, args).eval()
    torch.manual_seed(0)
    original, _ = build_original(cfg, yolo_cls, loss_cls, (size, size))
    original.eval()
    from yolo_toolbox.models.detectors.export import YOLOExportModel
    images = torch.randint(0, 256, (1, 3, size, size), generator=torch.Generator()
                           .manual_seed(0)).float()
    export_model = YOLOExportModel(ours).eval()
    normalised = export_model.normalise(images)
    fused = YOLOExportModel(copy.deepcopy(ours), fuse_bn=True).eval()
    rows = Rows()
    rows.add('original', lambda: original(normalised.clone(), is_training=False))
    rows.add('ours', lambda: ours.bbox_head.decode_preds(ours(normalised)))
    rows.add('ours_fused', lambda: fused(images))
    fused_cl = copy.deepcopy(fused).to(memory_format=torch.channels_last)
    images_cl = images.contiguous(memory_format=torch.channels_last)
    rows.add('ours_fused_cl', lambda: fused_cl(images_cl))  # as tools/predict.py on CPU
    with torch.no_grad():
        results['_reference_outputs'] = [t.numpy() for t in export_model(images)]
    if 'export' in args.only:
        add_export_rows(fused, images, rows, results, plain=export_model)
    with torch.no_grad():
        rows.run(args.rounds, max(args.iters, 5), warmup=2)
    for name in rows.fns:
        results[f'infer_ms_{name}'] = rows.median(name)


def add_export_rows(fused: torch.nn.Module, images: torch.Tensor, rows: Rows,
                    results: dict, plain: Optional[torch.nn.Module] = None) -> None:
    """onnxruntime and OpenVINO runs of the folded, simplified export, where installed;
    their parity (max abs diff of boxes and scores) with the eager model, BN not folded.
    With ``plain``, also onnxruntime on that model exported without folding or
    simplification (the export before BN folding and onnxslim were added)."""
    from yolo_toolbox.deployment import (
        compare_outputs,
        export_onnx,
        export_openvino,
        load_backend,
        quantize_openvino,
    )
    tmp = tempfile.mkdtemp(prefix='speed_vs_original_')
    exports = {'onnxruntime': osp.join(tmp, 'model.onnx')}
    if plain is not None:
        plain_path = osp.join(tmp, 'plain.onnx')
        export_onnx(plain, images, plain_path, simplify=False)
        runner = load_backend(plain_path, 'onnxruntime', threads=torch.get_num_threads())
        rows.add('ours_onnxruntime_plain', lambda runner=runner, feed=images.numpy():
                 runner(feed))
    try:
        export_onnx(fused, images, exports['onnxruntime'])
        exports['openvino'] = export_openvino(exports['onnxruntime'],
                                              osp.join(tmp, 'model.xml'))
        # int8 (export_onnx.py --int8), calibrated on random images: its speed, not its
        # accuracy (the network has random weights too)
        gen = torch.Generator().manual_seed(1)
        calib = [torch.randint(0, 256, images.shape, generator=gen).float().numpy()
                 for _ in range(8)]
        exports['openvino_int8'] = quantize_openvino(
            exports['openvino'], osp.join(tmp, 'model_int8.xml'), calib)
    except ImportError as e:
        print(f'export rows incomplete: {e}')
    reference = results.pop('_reference_outputs')
    # OpenVINO's files in f32 (its default on a bf16 CPU is bf16), then bf16 as its own row
    runs = [(name, 'openvino', path, {'precision': 'f32'}) if name.startswith('openvino')
            else (name, name, path, {}) for name, path in exports.items()]
    if 'openvino' in exports:
        runs.append(('openvino_bf16', 'openvino', exports['openvino'], {'precision': 'bf16'}))
    for name, backend, path, kwargs in runs:
        try:
            runner = load_backend(path, backend, threads=torch.get_num_threads(), **kwargs)
        except ImportError as e:
            print(f'{backend} row skipped: {e}')
            continue
        feed = images.numpy()
        results[f'parity_{name}'] = compare_outputs(reference, runner(feed))
        rows.add(f'ours_{name}', lambda runner=runner, feed=feed: runner(feed))


def assign_rows(cfg, args, yolo_cls, loss_cls, results: dict) -> None:
    size, num_images, num_gt = args.shape, 16, 50
    ours = build_ours(cfg, args)
    head = ours.bbox_head
    gt = random_gt(num_images, num_gt, size, head.num_classes, seed=1)
    preds = [torch.empty(num_images, head.num_anchors, size // s, size // s, head.num_attrib)
             for s in head.strides]
    _, criterion = build_original(cfg, yolo_cls, loss_cls, (size, size))
    boxes, classes = original_targets(gt, size, size)
    rows = Rows()
    rows.add('original', lambda: criterion.label_assignment(boxes, classes, num_images,
                                                            len(head.strides)))
    rows.add('ours', lambda: head.assign(preds, gt))
    rows.run(args.rounds, max(args.iters, 10), warmup=3)
    for name in ('original', 'ours'):
        results[f'assign_ms_{name}'] = rows.median(name)


def table(results: dict, args) -> str:
    lines = ['| row | original | ours | ratio |', '|---|---:|---:|---:|']

    def row(label, key_ours, key_orig, unit, higher_better):
        if key_ours not in results:
            return
        ours, orig = results[key_ours], results[key_orig]
        ratio = ours / orig
        what = 'x throughput' if higher_better else 'x time'
        lines.append(f'| {label} | {orig:.2f} {unit} | {ours:.2f} {unit} | '
                     f'**{ratio:.2f}{what}** |')

    for variant in args.variants:
        row(f'train step, batch {args.batch_size}, ours {variant}', f'train_img_s_ours_{variant}',
            'train_img_s_original', 'img/s', True)
    row('inference, batch 1, eager (as built)', 'infer_ms_ours', 'infer_ms_original', 'ms',
        False)
    row('inference, batch 1, eager, Conv+BN folded', 'infer_ms_ours_fused',
        'infer_ms_original', 'ms', False)
    row('inference, batch 1, eager, Conv+BN folded, channels_last', 'infer_ms_ours_fused_cl',
        'infer_ms_original', 'ms', False)
    row('inference, batch 1, onnxruntime, export without BN folding / simplification',
        'infer_ms_ours_onnxruntime_plain', 'infer_ms_original', 'ms', False)
    row('inference, batch 1, onnxruntime (BN folded, simplified)',
        'infer_ms_ours_onnxruntime', 'infer_ms_original', 'ms', False)
    row('inference, batch 1, OpenVINO (BN folded, fp32)', 'infer_ms_ours_openvino',
        'infer_ms_original', 'ms', False)
    row('inference, batch 1, OpenVINO (BN folded, bf16)', 'infer_ms_ours_openvino_bf16',
        'infer_ms_original', 'ms', False)
    row('inference, batch 1, OpenVINO int8 (BN folded; export_onnx.py --int8)',
        'infer_ms_ours_openvino_int8', 'infer_ms_original', 'ms', False)
    row('assignment, 16 img x 50 GT', 'assign_ms_ours', 'assign_ms_original', 'ms', False)
    return '\n'.join(lines)


def main(argv: Optional[Sequence[str]] = None) -> dict:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    MMLogger.get_current_instance().setLevel(logging.WARNING)  # no init_weights report
    cfg = load_config(args.config)
    yolo_cls, loss_cls = import_original(args.original)
    results = dict(config=args.config, shape=args.shape, threads=args.threads,
                   torch=torch.__version__, variants=args.variants,
                   load_avg_start=load_avg())
    if 'train' in args.only:
        train_rows(cfg, args, yolo_cls, loss_cls, results)
    if 'infer' in args.only or 'export' in args.only:
        infer_rows(cfg, args, yolo_cls, loss_cls, results)
    if 'assign' in args.only:
        assign_rows(cfg, args, yolo_cls, loss_cls, results)
    results['load_avg_end'] = load_avg()
    results['table'] = table(results, args)
    print(f'\n{osp.basename(args.config)}, {args.shape}x{args.shape}, {args.threads} threads, '
          f'torch {torch.__version__}, {args.rounds} interleaved rounds (medians); '
          f'1-min load average {results["load_avg_start"]:.2f} at the start, '
          f'{results["load_avg_end"]:.2f} at the end')
    print(results['table'])
    for backend in ('onnxruntime', 'openvino', 'openvino_bf16', 'openvino_int8'):
        if f'parity_{backend}' in results:
            print(f'parity {backend} (BN folded, simplified) vs PyTorch (BN not folded): '
                  f'{results[f"parity_{backend}"]}')
    if args.out_json:
        with open(args.out_json, 'w') as f:
            json.dump(results, f, indent=2)
    return results


if __name__ == '__main__':
    main()
