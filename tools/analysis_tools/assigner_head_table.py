"""The assigner x head table: several ``assigner_sweep.py`` work dirs side by side.

    python tools/analysis_tools/assigner_head_table.py \
        work_dirs/sweep40_outlines work_dirs/sweep40_v8head_outlines \
        [--labels "YOLOHead" "YOLOv8Head"] [--seeds 0] [--out table.md]

Each DIR is the work dir of one ``assigner_sweep.py`` run (one config, that is one head,
many assigners); its runs are ``DIR/<assigner>/seed<S>/sweep_result.json``. One row per
assigner found in any DIR, one column per DIR (labelled with ``--labels``, else with the
head type of ``DIR/base_config.py``): mAP@0.5 and mAP@0.5:0.95 at the last validation,
mean over the seeds (``--seeds`` restricts them, so that columns with more seeds compare
on the same ones), the number of seeds, and the positives per GT. A cell with no finished
run is "-". Markdown on stdout and in ``--out``.
"""
import argparse
import glob
import importlib.util
import json
import math
import os.path as osp
from typing import Dict, List, Optional, Sequence


def _load_sweep_tool():
    """``assigner_sweep.py`` of this folder: its result file name and its seed mean."""
    path = osp.join(osp.dirname(osp.abspath(__file__)), 'assigner_sweep.py')
    spec = importlib.util.spec_from_file_location('_assigner_sweep', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_SWEEP = _load_sweep_tool()
RESULT_FILE = _SWEEP.RESULT_FILE


def read_sweep(work_dir: str, seeds: Optional[Sequence[int]] = None) -> Dict[str, List[dict]]:
    """{assigner: [result of each finished seed]} of one sweep work dir."""
    if not osp.isdir(work_dir):
        raise SystemExit(f'{work_dir}: no such sweep work dir')
    runs: Dict[str, List[dict]] = {}
    for path in sorted(glob.glob(osp.join(work_dir, '*', 'seed*', RESULT_FILE))):
        seed = int(osp.basename(osp.dirname(path))[len('seed'):])
        if seeds is not None and seed not in seeds:
            continue
        with open(path) as f:
            runs.setdefault(osp.basename(osp.dirname(osp.dirname(path))), []).append(json.load(f))
    if not runs:
        raise SystemExit(f'{work_dir}: no finished run ({RESULT_FILE}) in <assigner>/seed<S>/')
    return runs


def head_label(work_dir: str) -> str:
    """The head type of the sweep's saved base config, else the dir's name."""
    path = osp.join(work_dir, 'base_config.py')
    if osp.isfile(path):
        from mmengine.config import Config
        head = Config.fromfile(path).model.get('bbox_head', {}).get('type')
        if head:
            return head
    return osp.basename(osp.normpath(work_dir))


def _mean(values: Sequence[float]) -> float:
    """Mean over the seeds, NaN and missing values left out (the sweep's own rule)."""
    return _SWEEP.mean_std(values)[0]


def cell(results: Optional[List[dict]]) -> str:
    if not results:
        return '-'
    text = (f"{_mean([r['mAP_50'] for r in results]):.3f} / "
            f"{_mean([r['mAP_50_95'] for r in results]):.3f}")
    pos = _mean([r.get('pos_per_gt', float('nan')) for r in results])
    if not math.isnan(pos):
        text += f', {pos:.1f} pos/GT'
    return text + f' (n={len(results)})'


def grid_table(work_dirs: Sequence[str], labels: Optional[Sequence[str]] = None,
               seeds: Optional[Sequence[int]] = None) -> str:
    if labels and len(labels) != len(work_dirs):
        raise SystemExit(f'{len(labels)} labels for {len(work_dirs)} work dirs')
    sweeps = [read_sweep(d, seeds) for d in work_dirs]
    labels = list(labels) if labels else [head_label(d) for d in work_dirs]
    assigners = []
    for sweep in sweeps:
        assigners += [a for a in sweep if a not in assigners]
    lines = ['| assigner | ' + ' | '.join(labels) + ' |',
             '|---|' + '---|' * len(labels)]
    for name in assigners:
        lines.append(f'| {name} | ' + ' | '.join(cell(s.get(name)) for s in sweeps) + ' |')
    lines.append('')
    lines.append('Cells: mAP@0.5 / mAP@0.5:0.95 at the last validation (mean over n seeds), '
                 'positives per GT (mean over training).')
    return '\n'.join(lines)


def main(argv: Optional[Sequence[str]] = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('work_dirs', nargs='+', help='assigner_sweep.py work dirs (one per head)')
    parser.add_argument('--labels', nargs='+', help='column labels (default: the head type)')
    parser.add_argument('--seeds', type=int, nargs='+', help='only these seeds')
    parser.add_argument('--out', help='also write the markdown here')
    args = parser.parse_args(argv)
    text = grid_table(args.work_dirs, args.labels, args.seeds)
    print(text)
    if args.out:
        with open(args.out, 'w') as f:
            f.write(text + '\n')
    return text


if __name__ == '__main__':
    main()
