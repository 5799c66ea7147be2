"""Speed of training, inference, the data pipeline and label assignment for one config.

    python tools/analysis_tools/benchmark.py CONFIG [--checkpoint CKPT] [--shape 512]
        [--batch-size 8] [--iters 10] [--warmup 2] [--data-root DIR] [--num-gt 10]
        [--device cpu] [--threads N] [--out-json FILE] [--cfg-options key=value ...]

Measures, after ``--warmup`` untimed iterations:

- training step: forward + loss + backward + optimizer step (the config's optim_wrapper)
  at ``--batch-size``; on a real batch from the train pipeline when the dataset exists
  and its images have the benchmark size, else on random images with ``--num-gt`` random
  GT boxes each; img/s;
- inference: ``model.test_step`` (preprocess, network, decode, NMS, rescale) on
  letterboxed images: latency at batch 1 (median ms) and throughput at batch 16 (img/s).
  Without ``--checkpoint`` the score threshold is set to 0, so every image sends its top
  ``nms_pre`` boxes to NMS (the slowest case);
- data pipeline: samples/s through the train dataset's pipeline in this one process
  (loaders with ``num_workers`` workers scale about linearly up to the core count);
- assignment: the head's ``assign`` (its assigner on all scales) for 16 images x 50 GTs
  at the benchmark size, median ms per batch.

Each measurement shows a progress bar (mmengine's ``ProgressBar``: done/total, ETA).
Each result's 1-minute load average is recorded: on a shared machine, torch's OpenMP
threads wait on each other and ``--threads 1`` can be several times faster than the
default of one thread per core.
"""
import argparse
import json
import os
import os.path as osp
import platform
import statistics
import sys
import time
from collections.abc import Callable
from typing import Optional, Sequence

import numpy as np
import torch
from mmengine.config import DictAction
from mmengine.dataset import pseudo_collate
from mmengine.optim import build_optim_wrapper
from mmengine.structures import InstanceData
from mmengine.utils import ProgressBar

from yolo_toolbox.analysis.benchmark import median_ms, random_gt
from yolo_toolbox.apis import build_test_pipeline, init_detector, test_input_size
from yolo_toolbox.registry import DATASETS
from yolo_toolbox.structures import DetDataSample


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Benchmark a YOLO detector config')
    parser.add_argument('config', help='config file')
    parser.add_argument('--checkpoint', help='checkpoint (default: initial weights)')
    parser.add_argument('--shape', type=int, default=None,
                        help="square input size (default: the test pipeline's Letterbox)")
    parser.add_argument('--batch-size', type=int, default=8, help='training batch size')
    parser.add_argument('--iters', type=int, default=10, help='timed iterations per measurement')
    parser.add_argument('--warmup', type=int, default=2, help='untimed iterations first')
    parser.add_argument('--data-root', help='override train_dataloader.dataset.data_root')
    parser.add_argument('--num-gt', type=int, default=10,
                        help='random GT boxes per image for the training step without data')
    parser.add_argument('--device', default='cpu', help="torch device, e.g. 'cuda:0'")
    parser.add_argument('--threads', type=int, default=None,
                        help='torch CPU threads (default: torch\'s, the core count)')
    parser.add_argument('--out-json', help='also write the results to this JSON file')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config keys')
    return parser.parse_args(argv)


def timed(fn: Callable[[], object], iters: int, warmup: int, device: torch.device,
          label: Optional[str] = None) -> list:
    """Seconds per call of ``fn`` for ``iters`` calls after ``warmup`` untimed ones.

    With ``label``, a progress bar (calls done / ``warmup + iters``, ETA) is printed; it
    is updated outside the timed intervals.
    """
    def sync():
        if device.type == 'cuda':
            torch.cuda.synchronize(device)
    bar = _progress(label, warmup + iters)
    for _ in range(warmup):
        fn()
        _update(bar)
    sync()
    times = []
    for _ in range(iters):
        start = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - start)
        _update(bar)
    _end(bar)
    return times


def _progress(label: Optional[str], total: int) -> Optional[ProgressBar]:
    if label is None or total <= 0:
        return None
    print(f'{label}: ', end='')
    return ProgressBar(total, file=sys.stdout)  # the current stdout, not the one at import


def _update(bar: Optional[ProgressBar]) -> None:
    if bar is not None:
        bar.update()


def _end(bar: Optional[ProgressBar]) -> None:
    if bar is not None:
        print()


def random_train_batch(batch_size: int, size: int, num_gt: int, num_classes: int,
                       gen: torch.Generator) -> dict:
    """What the train dataloader yields: uint8 images and DetDataSamples with GT."""
    gt = random_gt(batch_size, num_gt, size, num_classes, seed=0)
    inputs, samples = [], []
    for i in range(batch_size):
        inputs.append(torch.randint(0, 256, (3, size, size), dtype=torch.uint8, generator=gen))
        rows = gt[gt[:, 0] == i]
        sample = DetDataSample(metainfo=dict(img_shape=(size, size), ori_shape=(size, size)))
        sample.gt_instances = InstanceData(bboxes=rows[:, 2:], labels=rows[:, 1].long())
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def bench_data_pipeline(cfg, num_samples: int) -> tuple[Optional[float], list, str]:
    """(samples/s or None, the packed samples, a note) through the train pipeline."""
    dataset_cfg = cfg.train_dataloader.dataset
    try:
        dataset = DATASETS.build(dataset_cfg)
        num_samples = min(num_samples, len(dataset))
        if num_samples == 0:
            return None, [], 'the train dataset is empty'
    except Exception as e:  # no dataset on this machine
        root = dataset_cfg.get('data_root')
        return None, [], f'no train dataset ({type(e).__name__} for data_root={root})'
    dataset[0]  # warm-up: lazy init, first file reads
    bar = _progress('data pipeline', num_samples)
    samples, seconds = [], 0.0
    for i in range(num_samples):
        start = time.perf_counter()
        samples.append(dataset[i % len(dataset)])
        seconds += time.perf_counter() - start
        _update(bar)
    _end(bar)
    return num_samples / seconds, samples, f'{num_samples} samples of {len(dataset)}'


def bench_assign(head, size: int, iters: int, device: torch.device,
                 num_images: int = 16, num_gt: int = 50) -> float:
    """Median ms of ``head.assign`` for ``num_images`` x ``num_gt`` GTs over all scales."""
    gt = random_gt(num_images, num_gt, size, head.num_classes, seed=1).to(device)
    preds = [torch.empty(num_images, head.num_anchors, size // s, size // s, head.num_attrib,
                         device=device) for s in head.strides]
    sync = torch.cuda.synchronize if device.type == 'cuda' else (lambda: None)
    return median_ms(lambda: head.assign(preds, gt), repeat=iters, warmup=3, sync=sync)


def run(args: argparse.Namespace) -> dict:
    cfg_options = dict(args.cfg_options or {})
    if args.data_root:
        cfg_options['train_dataloader.dataset.data_root'] = args.data_root
    model = init_detector(args.config, args.checkpoint, device=args.device,
                          cfg_options=cfg_options)
    cfg, device = model.cfg, torch.device(args.device)
    size = args.shape or test_input_size(cfg)[0]
    if args.shape:  # the test pipeline's Letterbox follows --shape
        for step in cfg.test_dataloader.dataset.pipeline:
            if step['type'] == 'Letterbox':
                step['scale'] = (size, size)
    head = model.bbox_head
    if args.checkpoint is None:
        head.test_cfg['score_thr'] = 0.0
    gen = torch.Generator().manual_seed(0)
    rows, results = [], dict(config=args.config, shape=size, device=str(device),
                             torch=torch.__version__, threads=torch.get_num_threads(),
                             cpu=_cpu_name(), load_avg_start=_load_avg())

    # data pipeline (also gives a real training batch)
    rate, samples, note = bench_data_pipeline(cfg, args.batch_size * max(args.iters, 1))
    results['data_pipeline_img_s'] = rate
    rows.append(('data pipeline (train, 1 process)', note,
                 f'{rate:.1f} img/s' if rate else 'skipped'))

    # training step
    real = [s for s in samples if tuple(s['inputs'].shape[1:]) == (size, size)]
    if len(real) >= args.batch_size:
        batch, data_note = pseudo_collate(real[:args.batch_size]), 'real batch'
    else:
        batch = random_train_batch(args.batch_size, size, args.num_gt, head.num_classes, gen)
        data_note = f'random images, {args.num_gt} random GT/img'
    model.train()
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    times = timed(lambda: model.train_step(batch, optim_wrapper), args.iters, args.warmup,
                  device, label='train step')
    results['train_img_s'] = args.batch_size * len(times) / sum(times)
    results['train_s_per_iter'] = statistics.median(times)
    rows.append((f'train step (fwd+loss+bwd+step), batch {args.batch_size}', data_note,
                 f'{results["train_img_s"]:.2f} img/s ({results["train_s_per_iter"]:.2f} s/iter)'))

    # inference
    model.eval()
    pipeline = build_test_pipeline(cfg, from_ndarray=True)
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (size * 3 // 4, size, 3), dtype=np.uint8)  # 4:3, letterboxed
    packed = pipeline(dict(img=image, img_shape=image.shape[:2], ori_shape=image.shape[:2]))
    nms_note = ('score_thr 0: top nms_pre boxes into NMS' if args.checkpoint is None
                else f'score_thr {head.test_cfg["score_thr"]}')
    with torch.no_grad():
        batch1 = pseudo_collate([packed])
        times = timed(lambda: model.test_step(batch1), max(args.iters, 10), args.warmup, device,
                      label='inference, batch 1')
        results['infer_b1_ms'] = statistics.median(times) * 1000
        rows.append(('inference latency, batch 1', f'test_step incl. NMS; {nms_note}',
                     f'{results["infer_b1_ms"]:.1f} ms (median)'))
        batch16 = pseudo_collate([packed] * 16)
        times = timed(lambda: model.test_step(batch16), args.iters, min(args.warmup, 1), device,
                      label='inference, batch 16')
        results['infer_b16_img_s'] = 16 * len(times) / sum(times)
        rows.append(('inference throughput, batch 16', 'test_step incl. NMS',
                     f'{results["infer_b16_img_s"]:.2f} img/s'))

    # assignment
    results['assign_ms'] = bench_assign(head, size, max(args.iters, 20), device)
    rows.append((f'assignment ({type(head.assigner).__name__}, {len(head.strides)} scales)',
                 '16 images x 50 GT', f'{results["assign_ms"]:.2f} ms/batch (median)'))
    results['table'] = rows
    results['load_avg_end'] = _load_avg()
    return results


def _load_avg() -> Optional[float]:
    """1-minute load average (other processes competing for the cores), if known."""
    return os.getloadavg()[0] if hasattr(os, 'getloadavg') else None


def _fmt(value: Optional[float]) -> str:
    return 'n/a' if value is None else f'{value:.2f}'


def _cpu_name() -> str:
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main(argv: Optional[Sequence[str]] = None) -> dict:
    args = parse_args(argv)
    default_threads = torch.get_num_threads()
    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        results = run(args)
    finally:
        torch.set_num_threads(default_threads)
    print(f'\n{osp.basename(args.config)} at {results["shape"]}x{results["shape"]}, '
          f'{results["device"]} ({results["cpu"]}, {results["threads"]} threads), '
          f'torch {results["torch"]}; {args.iters} timed iterations after {args.warmup} '
          f'warm-up; 1-min load average {_fmt(results["load_avg_start"])} at the start, '
          f'{_fmt(results["load_avg_end"])} at the end')
    print('| measurement | setting | result |')
    print('|---|---|---|')
    for row in results['table']:
        print('| ' + ' | '.join(row) + ' |')
    if args.out_json:
        with open(args.out_json, 'w') as f:
            json.dump(results, f, indent=2)
        print(f'results written to {args.out_json}')
    return results


if __name__ == '__main__':
    main()
