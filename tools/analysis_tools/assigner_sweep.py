"""Train one config with several assigners and seeds; one table and one plot compare them.

    python tools/analysis_tools/assigner_sweep.py CONFIG \
        --assigners nearby_grid single_grid all_grid yolov5 atss simota tal \
        --epochs N [--seeds 0 1 2] [--work-dir DIR] [--launcher none|pytorch|slurm]
        [--gpus 4] [--srun-args "-p PART --gres=gpu:4 --ntasks=4"] [--train-args ...]
        [--cfg-options k=v ...]

At its first start the sweep saves CONFIG (with ``--cfg-options``) as
``DIR/base_config.py``; later starts use that copy, so edits of CONFIG during a long sweep
do not reach part of its runs (delete the copy to start over). Each (assigner, seed) is
trained by ``tools/train.py`` (through ``tools/dist_train.sh`` with ``--launcher pytorch``,
under ``srun`` with ``--launcher slurm``) in ``DIR/<assigner>/seed<seed>``, from a generated
config ``DIR/<assigner>/seed<seed>.py`` that inherits the copy and changes only the
assigner with its box coder (``default_coder()``: the coder its head would build; the
configured assigner keeps the configured coder), the head settings given for it with
``--assigner-options NAME:model.bbox_head.KEY=VALUE`` (e.g. the plain-BCE losses its
targets were made for), the seed and (with ``--epochs``) the schedule's length, so every
run sees the same
data, pipeline and schedule. Validation runs every ``--val-interval`` epochs. A run that
finished has ``sweep_result.json`` and is not trained again; an interrupted one is resumed
from its last checkpoint. Then ``DIR/assigner_sweep.md`` gets the table (mean ±
std over seeds): mAP@0.5, mAP@0.5:0.95, AP small / medium / large (last validation),
positives per GT, their mean IoU with their GT and GTs without a positive (mean over
training, logged by the head), assignment ms per batch (``head.assign``, the loss's path,
on ``--bench-gts`` random GTs per image and random prediction maps, the run's batch size
and input size), train images/s and wall time; ``DIR/assigner_sweep.png`` the mAP@0.5 per
epoch, one line per assigner (mean over seeds, band = min..max).

Short names: ``yolo_toolbox.models.task_modules.assigners.ASSIGNER_ALIASES``; any
registered assigner name or ``config`` works too.
"""
import argparse
import ast
import glob
import json
import math
import os
import os.path as osp
import shlex
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from typing import Optional

from mmengine.config import DictAction

from yolo_toolbox.analysis import (
    build_head,
    load_config,
    random_gt,
    random_preds,
    resolve_assigners,
    time_assigner,
)
from yolo_toolbox.models.task_modules.assigners import ASSIGNER_ALIASES
from yolo_toolbox.registry import MODELS, TASK_UTILS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
RESULT_FILE = 'sweep_result.json'
METRICS = ('mAP_50', 'mAP_50_95', 'mAP_s', 'mAP_m', 'mAP_l')
#: table columns: (key in a run's result, header, format)
COLUMNS = (('mAP_50', 'mAP@0.5', '{:.3f}'), ('mAP_50_95', 'mAP@0.5:0.95', '{:.3f}'),
           ('mAP_s', 'AP small', '{:.3f}'), ('mAP_m', 'AP medium', '{:.3f}'),
           ('mAP_l', 'AP large', '{:.3f}'), ('pos_per_gt', 'pos/GT', '{:.1f}'),
           ('pos_iou', 'pos IoU', '{:.2f}'), ('gts_no_pos', 'GTs w/o pos', '{:.1%}'),
           ('assign_ms', 'assign ms/batch', '{:.1f}'),
           ('train_img_s', 'train img/s', '{:.1f}'), ('wall_s', 'wall (min)', '{:.1f}'))


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train and compare label assigners')
    parser.add_argument('config', help='training config (its assigner is replaced)')
    parser.add_argument('--assigners', nargs='+', required=True,
                        help=f'short names ({", ".join(ASSIGNER_ALIASES)}), registered '
                             'names, or "config"')
    parser.add_argument('--epochs', type=int, default=None,
                        help='epochs per run (default: the config\'s); the LR schedule is '
                             'shortened to match')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0], help='random seeds')
    parser.add_argument('--work-dir', default=None,
                        help='default: work_dirs/assigner_sweep/<config name>')
    parser.add_argument('--val-interval', type=int, default=1, help='validate every N epochs')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm'], default='none')
    parser.add_argument('--gpus', type=int, default=1,
                        help='processes per run with --launcher pytorch (dist_train.sh)')
    parser.add_argument('--srun-args', default='',
                        help='arguments of srun with --launcher slurm, e.g. "-p PART '
                             '--gres=gpu:4 --ntasks=4 --ntasks-per-node=4"')
    parser.add_argument('--train-args', default='',
                        help='extra arguments of tools/train.py, e.g. "--amp"')
    parser.add_argument('--cfg-options', nargs='+', default=[],
                        help='config overrides of every run (key=value), saved with the '
                             'config copy at the first start')
    parser.add_argument('--assigner-options', nargs='+', default=[], metavar='NAME:KEY=VALUE',
                        help='a head setting for one assigner only, e.g. "tal:model.bbox_head.'
                             'loss_obj.gamma=0.0" (the losses its targets were made for); '
                             'keys under model.bbox_head, values as Python literals')
    parser.add_argument('--bench-gts', type=int, default=50,
                        help='random GTs per image for the assignment timing')
    parser.add_argument('--bench-repeat', type=int, default=5, help='timed assignments')
    parser.add_argument('--bench-device', default='cpu', help='device of the timing')
    return parser.parse_args(argv)


def parse_cfg_options(options: Sequence[str]) -> dict:
    """``['a.b=1', ...]`` -> ``{'a.b': 1}``, parsed as ``tools/train.py`` does."""
    parsed = {}
    for option in options:
        key, value = option.split('=', maxsplit=1)
        parsed[key] = DictAction._parse_iterable(value)
    return parsed


def assigner_configs(names: Sequence[str], cfg) -> dict:
    """``{short name: assigner config}``, in the given order."""
    return {name: next(iter(resolve_assigners([name], cfg).values())) for name in names}


def fit_schedule(schedulers: Sequence[dict], old_epochs: int, new_epochs: int) -> list:
    """The param schedulers for ``new_epochs``: a phase that ends at or after the old end
    now ends at ``new_epochs`` (a cosine's ``T_max`` follows); earlier phases (warm-up)
    are kept, clipped to the new end."""
    fitted = []
    for sched in schedulers:
        sched = dict(sched)
        if 'end' in sched and sched['end'] >= old_epochs:
            sched['end'] = new_epochs
        if 'end' in sched:
            sched['end'] = min(sched['end'], new_epochs)
        begin = sched.get('begin', 0)
        if begin >= new_epochs:
            continue
        if 'T_max' in sched:
            sched['T_max'] = max(1, sched['end'] - begin)
        fitted.append(sched)
    return fitted


def parse_assigner_options(items: Sequence[str]) -> dict:
    """``['tal:model.bbox_head.loss_obj.gamma=0.0', ...]`` -> ``{'tal': {'loss_obj':
    {'gamma': 0.0}}}``: nested head settings per assigner name."""
    out: dict = {}
    for item in items:
        name, sep, assignment = item.partition(':')
        key, eq, value = assignment.partition('=')
        prefix = 'model.bbox_head.'
        if not (sep and eq and key.startswith(prefix) and len(key) > len(prefix)):
            raise SystemExit(f'--assigner-options {item!r}: write NAME:model.bbox_head.KEY=VALUE')
        try:
            value = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            pass  # a bare string
        node = out.setdefault(name, {})
        *parents, leaf = key[len(prefix):].split('.')
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return out


def write_run_config(path: str, config: str, cfg, assigner_cfg: dict, seed: int,
                     epochs: Optional[int], val_interval: int,
                     head_options: Optional[dict] = None) -> str:
    """Write the config of one run to ``path``: ``config`` (whose contents are ``cfg``)
    with this assigner, seed and schedule. (Not inside the run's work dir, where the
    runner saves its expanded copy under the same name.)"""
    max_epochs = epochs or cfg.train_cfg.max_epochs
    # each assigner with its own box coder (the one its head would build for it), unless
    # it is the configured assigner, which keeps the configured coder
    # (a head whose coder does not follow the assigner, ``coder_follows_assigner = False``
    # such as YOLOv8Head's distance coder, keeps its configured coder for every assigner)
    head = cfg.model.bbox_head
    keep_coder = (dict(assigner_cfg) == dict(head.get('assigner') or {})
                  or not getattr(MODELS.get(head['type']), 'coder_follows_assigner', True))
    coder = (head.get('bbox_coder') if keep_coder
             else TASK_UTILS.build(dict(assigner_cfg)).default_coder())
    head_patch = {**(head_options or {}), 'assigner': {'_delete_': True, **dict(assigner_cfg)}}
    if coder is not None:
        head_patch['bbox_coder'] = {'_delete_': True, **dict(coder)}
    lines = [f'_base_ = {osp.abspath(config)!r}',
             f'model = dict(bbox_head={head_patch!r})',
             f'train_cfg = dict(max_epochs={max_epochs}, val_interval={val_interval})',
             f'randomness = dict(seed={seed})',
             # every epoch a checkpoint (resume) but only the last kept
             "default_hooks = dict(checkpoint=dict(interval=1, max_keep_ckpts=1, "
             "save_best=None))",
             # the head's assignment statistics averaged like the losses
             "log_processor = dict(mean_pattern=r'.*(loss|time|data_time|grad_norm|_s\\d+|"
             "num_pos|pos_per_gt|pos_iou|gts_no_pos).*')"]
    if epochs and cfg.get('param_scheduler'):
        schedulers = cfg.param_scheduler
        schedulers = [schedulers] if isinstance(schedulers, dict) else schedulers
        fitted = fit_schedule([dict(s) for s in schedulers], cfg.train_cfg.max_epochs, epochs)
        lines.append(f'param_scheduler = {fitted!r}')
    with open(path, 'w') as f:
        f.write('# written by tools/analysis_tools/assigner_sweep.py\n' + '\n'.join(lines) + '\n')
    return path


def train_command(args: argparse.Namespace, run_config: str, run_dir: str) -> list:
    """The user's training entry point for one run (resumes from the work dir)."""
    train_args = ['--work-dir', run_dir, '--resume', *shlex.split(args.train_args)]
    if args.launcher == 'pytorch':
        return ['bash', osp.join(REPO, 'tools', 'dist_train.sh'), run_config,
                str(args.gpus), *train_args]
    train = [sys.executable, '-u', osp.join(REPO, 'tools', 'train.py'), run_config]
    if args.launcher == 'slurm':
        return ['srun', *shlex.split(args.srun_args), *train, '--launcher', 'slurm',
                *train_args]
    return [*train, *train_args]


def read_scalars(run_dir: str) -> list[dict]:
    """Every ``vis_data/scalars.json`` entry of the run (resumed runs: all sessions)."""
    entries = []
    for path in sorted(glob.glob(osp.join(run_dir, '*', 'vis_data', 'scalars.json'))):
        with open(path) as f:
            entries += [json.loads(line) for line in f if line.strip()]
    return entries


def summarise_logs(entries: Sequence[dict], images_per_iter: int) -> dict:
    """mAP per epoch and at the last validation, the head's assignment statistics (mean
    over the logged training iterations) and the training speed."""
    by_epoch = {}
    for entry in entries:
        if 'det/mAP_50' in entry:
            by_epoch[int(entry['step'])] = {m: entry.get(f'det/{m}', math.nan) for m in METRICS}
    train = [e for e in entries if 'loss' in e and 'iter' in e]
    out = {'mAP_50_per_epoch': {str(e): v['mAP_50'] for e, v in sorted(by_epoch.items())}}
    last = by_epoch[max(by_epoch)] if by_epoch else {}
    for metric in METRICS:
        value = last.get(metric, math.nan)
        out[metric] = math.nan if value is None or value < 0 else value  # -1: undefined
    for key in ('pos_per_gt', 'pos_iou', 'gts_no_pos'):
        values = [e[key] for e in train if key in e]
        out[key] = statistics.mean(values) if values else math.nan
    times = [e['time'] for e in train if 'time' in e]
    out['train_img_s'] = images_per_iter / statistics.median(times) if times else math.nan
    return out


def time_assignment(assigner_cfg: dict, cfg, args: argparse.Namespace) -> float:
    """Median ms of assigning a random batch of the run's size as the loss does,
    ``head.assign`` of the configured head with this assigner, on random prediction maps
    (``yolo_toolbox.analysis.time_assigner``)."""
    head = build_head(cfg).to(args.bench_device)
    img_w, img_h = cfg.get('img_scale', (640, 640))
    batch_size = cfg.train_dataloader.batch_size
    gt = random_gt(batch_size, args.bench_gts, max(img_w, img_h), head.num_classes)
    preds = random_preds(head, batch_size, (img_h, img_w))
    return time_assigner(head, preds, gt.to(args.bench_device), TASK_UTILS.build(assigner_cfg),
                         args.bench_repeat)['ms']


def run_one(args: argparse.Namespace, cfg, name: str, assigner_cfg: dict, seed: int) -> dict:
    """Train (unless finished) and summarise one (assigner, seed)."""
    run_dir = osp.join(args.work_dir, name, f'seed{seed}')
    result_path = osp.join(run_dir, RESULT_FILE)
    if osp.exists(result_path):
        print(f'[assigner_sweep] {name} seed {seed}: finished before, not trained again')
        with open(result_path) as f:
            return json.load(f)
    os.makedirs(run_dir, exist_ok=True)
    run_config = write_run_config(f'{run_dir}.py', args.base_config, cfg, assigner_cfg, seed,
                                  args.epochs, args.val_interval,
                                  parse_assigner_options(args.assigner_options).get(name))
    cmd = train_command(args, run_config, run_dir)
    print(f'[assigner_sweep] {name} seed {seed}: {shlex.join(cmd)}', flush=True)
    wall_path = osp.join(run_dir, 'sweep_wall.json')  # seconds of earlier, interrupted tries
    earlier = json.load(open(wall_path))['wall_s'] if osp.exists(wall_path) else 0.0
    start = time.perf_counter()
    with open(osp.join(run_dir, 'train.out'), 'a') as log:
        proc = subprocess.run(cmd, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    wall_s = earlier + time.perf_counter() - start
    with open(wall_path, 'w') as f:
        json.dump({'wall_s': wall_s}, f)
    if proc.returncode != 0:
        raise RuntimeError(f'training {name} (seed {seed}) failed with exit code '
                           f'{proc.returncode}; see {osp.join(run_dir, "train.out")}. Run the '
                           'sweep again to resume it.')
    world = args.gpus if args.launcher == 'pytorch' else 1
    result = dict(assigner=name, seed=seed, assigner_cfg=dict(assigner_cfg), wall_s=wall_s,
                  **summarise_logs(read_scalars(run_dir),
                                   cfg.train_dataloader.batch_size * world))
    result['assign_ms'] = time_assignment(assigner_cfg, cfg, args)
    with open(result_path, 'w') as f:
        json.dump(result, f, indent=1)
    return result


def mean_std(values: Sequence[float]) -> tuple[float, float]:
    values = [v for v in values if v is not None and not math.isnan(v)]
    if not values:
        return math.nan, math.nan
    return statistics.mean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def format_table(results: dict) -> str:
    """Markdown table, one row per assigner: mean ± std over its seeds."""
    header = ['assigner', 'seeds', *(c[1] for c in COLUMNS)]
    lines = ['| ' + ' | '.join(header) + ' |', '|---|---:|' + '---:|' * len(COLUMNS)]
    for name, runs in results.items():
        cells = [name, str(len(runs))]
        for key, _, fmt in COLUMNS:
            scale = 1 / 60 if key == 'wall_s' else 1
            mean, std = mean_std([r.get(key, math.nan) * scale for r in runs])
            if math.isnan(mean):
                cells.append('–')
            elif len(runs) > 1:
                cells.append(f'{fmt.format(mean)} ± {fmt.format(std)}')
            else:
                cells.append(fmt.format(mean))
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines) + '\n'


def plot(results: dict, path: str, title: str) -> None:
    """mAP@0.5 per epoch, one line per assigner (mean over seeds; band: min..max)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name, runs in results.items():
        epochs = sorted({int(e) for r in runs for e in r['mAP_50_per_epoch']})
        values = [[r['mAP_50_per_epoch'].get(str(e), math.nan) for r in runs]
                  for e in epochs]
        means = [statistics.mean(v) for v in values]
        line, = ax.plot(epochs, means, marker='o', markersize=3, label=name)
        if len(runs) > 1:
            ax.fill_between(epochs, [min(v) for v in values], [max(v) for v in values],
                            color=line.get_color(), alpha=0.15)
    ax.set_xlabel('epoch')
    ax.set_ylabel('mAP@0.5')
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: Optional[Sequence[str]] = None) -> dict:
    args = parse_args(argv)
    if args.work_dir is None:
        name = osp.splitext(osp.basename(args.config))[0]
        args.work_dir = osp.join('work_dirs', 'assigner_sweep', name)
    args.work_dir = osp.abspath(args.work_dir)
    os.makedirs(args.work_dir, exist_ok=True)
    args.base_config = osp.join(args.work_dir, 'base_config.py')
    if osp.exists(args.base_config):
        print(f'[assigner_sweep] using {args.base_config}, saved at the first start (delete '
              'it to take up changes of CONFIG)')
    else:
        load_config(args.config, parse_cfg_options(args.cfg_options)).dump(args.base_config)
    cfg = load_config(args.base_config)
    configs = assigner_configs(args.assigners, cfg)
    unknown = sorted(set(parse_assigner_options(args.assigner_options)) - set(configs))
    if unknown:  # a misspelled name would otherwise leave its settings silently unused
        raise SystemExit(f'--assigner-options names {unknown}, not among --assigners '
                         f'{list(configs)}')
    results = {name: [] for name in configs}
    for seed in args.seeds:  # seed-major: a cut-short sweep has every assigner once
        for name, assigner_cfg in configs.items():
            results[name].append(run_one(args, cfg, name, assigner_cfg, seed))
    epochs = args.epochs or cfg.train_cfg.max_epochs
    title = (f'{osp.basename(args.config)}, {epochs} epochs, seeds '
             f'{" ".join(map(str, args.seeds))}')
    table = format_table(results)
    command = shlex.join(['python', 'tools/analysis_tools/assigner_sweep.py',
                          *(sys.argv[1:] if argv is None else argv)])
    with open(osp.join(args.work_dir, 'assigner_sweep.md'), 'w') as f:
        f.write(f'# Assigner sweep: {title}\n\n`{command}`\n\n{table}\n'
                '![mAP@0.5 per epoch](assigner_sweep.png)\n')
    plot(results, osp.join(args.work_dir, 'assigner_sweep.png'), title)
    print(table)
    print(f'[assigner_sweep] wrote {osp.join(args.work_dir, "assigner_sweep.md")} and '
          'assigner_sweep.png')
    return results


if __name__ == '__main__':
    main()
