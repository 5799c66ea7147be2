"""Plot training curves and summarise iteration times from mmengine's json logs.

    python tools/analysis_tools/analyze_logs.py plot_curve LOG_JSON [LOG_JSON ...] \\
        [--keys loss det/mAP_50] [--legend run_a run_b] [--title T] [--out curve.png]
    python tools/analysis_tools/analyze_logs.py cal_train_time LOG_JSON [...] [--include-outliers]

``LOG_JSON`` is a run's ``WORK_DIR/<timestamp>/vis_data/scalars.json`` (or the identical
``<timestamp>.json`` next to it): one JSON object per line. Training lines carry ``epoch``,
``iter`` (global, 1-based), ``step``, ``lr``, ``loss``, ``loss_obj`` ...; validation lines
carry the metrics (``det/mAP_50`` ...) and ``step`` (the epoch, or the iteration for
iteration-based loops). Training keys are plotted against the iteration, validation keys
against ``step``; one subplot per key, one line per log. Without ``--out`` the figure is
shown (which needs a display); with it a PNG is written (matplotlib's Agg backend).
"""
import argparse
import json
from collections import defaultdict
from typing import Dict, List, Optional, Sequence

import numpy as np


def load_json_log(path: str) -> Dict[str, List[dict]]:
    """Split a json log into ``dict(train=[...], val=[...])`` entries, in file order.

    A line with ``iter`` is a training entry; any other line with ``step`` is a
    validation (or test) entry.
    """
    log = dict(train=[], val=[])
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            entry = json.loads(line)
            if 'iter' in entry:
                log['train'].append(entry)
            elif 'step' in entry:
                log['val'].append(entry)
    return log


def curve(log: Dict[str, List[dict]], key: str) -> Dict[str, object]:
    """The points of ``key`` in one log: ``dict(x=array, y=array, x_label=str)``.

    Raises:
        KeyError: ``key`` is in neither the training nor the validation entries.
    """
    for phase, x_key, x_label in (('train', 'iter', 'iteration'), ('val', 'step', None)):
        points = [(e[x_key], e[key]) for e in log[phase] if key in e]
        if points:
            if x_label is None:  # validation: step is the epoch for epoch-based training
                x_label = 'epoch' if any('epoch' in e for e in log['train']) else 'iteration'
            xs, ys = zip(*points)
            return dict(x=np.asarray(xs), y=np.asarray(ys, dtype=float), x_label=x_label)
    keys = sorted({k for phase in log.values() for e in phase for k in e})
    raise KeyError(f'{key!r} is not in the log; logged keys: {keys}')


def plot_curve(log_paths: Sequence[str], keys: Sequence[str] = ('loss', 'det/mAP_50'),
               legend: Optional[Sequence[str]] = None, title: Optional[str] = None,
               out: Optional[str] = None):
    """Plot ``keys`` (one subplot each) of every log; write ``out`` as PNG when given.

    Returns:
        The matplotlib Figure: ``fig.axes[i]`` holds one line per log for ``keys[i]``.
    """
    import matplotlib
    if out is not None:
        matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    logs = [load_json_log(path) for path in log_paths]
    if legend is None:
        legend = [str(path) for path in log_paths]
    if len(legend) != len(logs):
        raise ValueError(f'{len(legend)} legend names for {len(logs)} logs')
    fig, axes = plt.subplots(len(keys), 1, figsize=(8, 3 * len(keys)), squeeze=False)
    for ax, key in zip(axes[:, 0], keys):
        for log, name in zip(logs, legend):
            points = curve(log, key)
            marker = 'o' if len(points['x']) < 30 else None
            ax.plot(points['x'], points['y'], marker=marker, label=f'{name}: {key}')
            ax.set_xlabel(points['x_label'])
        ax.set_ylabel(key)
        ax.grid(alpha=0.3)
        ax.legend(fontsize='small')
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    if out is not None:
        fig.savefig(out, dpi=100)
        print(f'wrote {out}')
    else:
        plt.show()
    return fig


def cal_train_time(log_paths: Sequence[str], include_outliers: bool = False) -> List[dict]:
    """Per log: average iteration time (s), slowest / fastest epoch and the spread.

    The ``time`` of the first logged entry of each epoch holds the dataloader start-up,
    so it is left out unless ``include_outliers``.

    Returns:
        One ``dict(log, avg_iter_time, slowest_epoch, slowest_time, fastest_epoch,
        fastest_time, std_over_epochs)`` per log (times: mean seconds per iteration).
    """
    summaries = []
    for path in log_paths:
        by_epoch = defaultdict(list)
        for entry in load_json_log(path)['train']:
            if 'time' in entry:
                by_epoch[entry.get('epoch', 1)].append(entry['time'])
        if not by_epoch:
            raise ValueError(f'{path} has no training entries with "time"')
        if not include_outliers:
            by_epoch = {e: t[1:] if len(t) > 1 else t for e, t in by_epoch.items()}
        epochs = sorted(by_epoch)
        epoch_means = np.array([np.mean(by_epoch[e]) for e in epochs])
        summary = dict(
            log=str(path),
            avg_iter_time=float(np.mean(np.concatenate([by_epoch[e] for e in epochs]))),
            slowest_epoch=int(epochs[int(epoch_means.argmax())]),
            slowest_time=float(epoch_means.max()),
            fastest_epoch=int(epochs[int(epoch_means.argmin())]),
            fastest_time=float(epoch_means.min()),
            std_over_epochs=float(epoch_means.std()))
        summaries.append(summary)
        print(f'-----Analyze train time of {path}-----')
        print(f'slowest epoch {summary["slowest_epoch"]}, average time is '
              f'{summary["slowest_time"]:.4f} s/iter')
        print(f'fastest epoch {summary["fastest_epoch"]}, average time is '
              f'{summary["fastest_time"]:.4f} s/iter')
        print(f'time std over epochs is {summary["std_over_epochs"]:.4f}')
        print(f'average iter time: {summary["avg_iter_time"]:.4f} s/iter')
    return summaries


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Analyse mmengine json logs')
    subparsers = parser.add_subparsers(dest='task', required=True)
    plot = subparsers.add_parser('plot_curve', help='plot curves of logged keys')
    plot.add_argument('json_logs', nargs='+', help='vis_data/scalars.json of each run')
    plot.add_argument('--keys', nargs='+', default=['loss', 'det/mAP_50'],
                      help='keys to plot, one subplot each')
    plot.add_argument('--legend', nargs='+', help='a name per log (default: its path)')
    plot.add_argument('--title', help='figure title')
    plot.add_argument('--out', help='write the figure to this PNG instead of showing it')
    timing = subparsers.add_parser('cal_train_time', help='summarise iteration times')
    timing.add_argument('json_logs', nargs='+', help='vis_data/scalars.json of each run')
    timing.add_argument('--include-outliers', action='store_true',
                        help="keep each epoch's first logged time")
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None):
    args = parse_args(argv)
    if args.task == 'plot_curve':
        return plot_curve(args.json_logs, args.keys, args.legend, args.title, args.out)
    return cal_train_time(args.json_logs, args.include_outliers)


if __name__ == '__main__':
    main()
