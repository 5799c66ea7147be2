"""Equal wall-clock time: our run (``tools/train.py``) against the original's (the harness).

    python projects/original_comparison/equal_time.py --name outlines \
        --original work_dirs/eqtime_original/outlines/original_seed0.json \
        --ours work_dirs/eqtime_original/outlines/ours \
        --out work_dirs/eqtime_original/outlines/equal_time
    python projects/original_comparison/equal_time.py --plot A.json B.json --out curves

Our side: a ``tools/train.py`` work dir trained with ``EpochTrainTimeHook``
(``configs/recommended_atss_timed_<set>.py``): each epoch's training seconds
(``epoch_times.json``: data loading, forward, backward, optimizer, EMA; not the
validation) and the validation mAP of ``vis_data/scalars.json``. The original's side: a
``compare_with_original.py --systems original`` JSON, whose ``train_time`` counts its
training steps only (forward, backward, optimizer step on batches already decoded and
collated: no data loading), which favours the original.

The budget is our run's training time at its last epoch. The original is credited with
its best evaluation up to and including the first one at or past the budget, so it gets
at least as much time as ours; the ratio is ours at the budget over that. For context the
table also gives the original's best evaluation of its whole run, however long it took.

Writes ``OUT.md`` (one table row), ``OUT.json`` (every number) and ``OUT.png`` (mAP@0.5
against training seconds); ``--plot`` draws several ``OUT.json`` in one figure.
"""
import argparse
import glob
import importlib.util
import json
import os
import os.path as osp
from typing import Dict, Optional, Sequence

HERE = osp.dirname(osp.abspath(__file__))


def _ultralytics_compare():
    """The work-dir readers of ``projects/ultralytics_comparison/compare.py``."""
    path = osp.join(HERE, '..', 'ultralytics_comparison', 'compare.py')
    spec = importlib.util.spec_from_file_location('ultralytics_comparison_compare', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_ours(work_dir: str) -> Dict[int, dict]:
    """{epoch: {train_s, mAP_50, mAP_50_95}} for the validated epochs of our run."""
    compare = _ultralytics_compare()
    times = compare.load_times(work_dir)
    if not times:
        raise SystemExit(f'{work_dir}/epoch_times.json is missing: train with '
                         'EpochTrainTimeHook (configs/recommended_atss_timed_<set>.py)')
    curve = {}
    for epoch, (map50, map_all) in compare.load_our_val(work_dir).items():
        if epoch not in times:
            raise SystemExit(f'{work_dir}: epoch {epoch} was validated but not timed')
        curve[epoch] = dict(train_s=times[epoch], mAP_50=map50, mAP_50_95=map_all)
    return curve


def load_original(path: str) -> Dict[int, dict]:
    """{epoch: {train_s, mAP_50, mAP_50_95}} from a harness JSON (its 'original' system)."""
    with open(path) as f:
        run = json.load(f)
    if 'original' not in run.get('systems', {}):
        raise SystemExit(f'{path} has no "original" system (run the harness with '
                         '--systems original)')
    return {e['epoch']: dict(train_s=e['train_time'], mAP_50=e['mAP_50'],
                             mAP_50_95=e['mAP_50_95'])
            for e in run['systems']['original']['evals']}


def val_data_root(config: str) -> Optional[str]:
    """The validation set's ``data_root`` of a config file (None if it cannot be read)."""
    from mmengine.config import Config
    try:
        return Config.fromfile(config, import_custom_modules=False).val_dataloader.dataset.get(
            'data_root')
    except Exception:  # noqa: BLE001 - a config that no longer loads: nothing to compare
        return None


def check_same_data(original_json: str, ours_dir: str) -> None:
    """Refuse two runs validated on different sets (e.g. the other held-out set's JSON)."""
    with open(original_json) as f:
        run = json.load(f)
    roots = {}
    if run.get('config') and osp.isfile(run['config']):
        override = (run.get('cfg_options') or {}).get('val_dataloader.dataset.data_root')
        roots['original'] = override or val_data_root(run['config'])
    dumped = sorted(glob.glob(osp.join(ours_dir, '*.py')))
    if dumped:
        roots['ours'] = val_data_root(dumped[0])
    if len(roots) == 2 and None not in roots.values() and \
            osp.normpath(roots['original']) != osp.normpath(roots['ours']):
        raise SystemExit(f"{original_json} was validated on {roots['original']}, {ours_dir} on "
                         f"{roots['ours']}: not the same set")


def equal_time(name: str, ours: Dict[int, dict], original: Dict[int, dict]) -> dict:
    """The comparison at our last epoch's training time (see the module docstring)."""
    last = max(ours)
    budget = ours[last]['train_s']
    epochs = sorted(original)
    beyond = [e for e in epochs if original[e]['train_s'] >= budget]
    if not beyond:
        raise SystemExit(
            f'{name}: the original trained {original[epochs[-1]]["train_s"]:.0f} s, less than '
            f'our budget of {budget:.0f} s: run the harness for more epochs')
    credited = [e for e in epochs if e <= beyond[0]]
    best = max(credited, key=lambda e: original[e]['mAP_50'])
    within = [e for e in epochs if original[e]['train_s'] <= budget]
    row = dict(name=name, budget_s=budget, ours_epoch=last, ours=ours[last],
               original_within_epoch=within[-1] if within else None,
               original_within=original[within[-1]] if within else None,
               original_beyond_epoch=beyond[0], original_beyond=original[beyond[0]],
               original_credited_epoch=best, original_credited=original[best])
    row['ratio_50'] = ours[last]['mAP_50'] / max(original[best]['mAP_50'], 1e-9)
    best_all = max(credited, key=lambda e: original[e]['mAP_50_95'])
    row['ratio_50_95'] = ours[last]['mAP_50_95'] / max(original[best_all]['mAP_50_95'], 1e-9)
    # for context: the original's best evaluation of its whole run, however long it took
    overall = max(epochs, key=lambda e: original[e]['mAP_50'])
    row.update(original_best_epoch=overall, original_best=original[overall],
               ratio_50_best=ours[last]['mAP_50'] / max(original[overall]['mAP_50'], 1e-9))
    return row


def markdown(rows: Sequence[dict]) -> str:
    def fmt(epoch: Optional[int], value: Optional[dict]) -> str:
        if value is None:
            return '-'
        return (f"{epoch} ep, {value['train_s']:.0f} s: {value['mAP_50']:.3f} "
                f"({value['mAP_50_95']:.3f})")
    lines = ['| set | budget: ours, training s | ours at the budget | the original, last '
             'evaluation within it | the original, first evaluation past it | ratio mAP@0.5 '
             '(0.5:0.95) | the original, best of its whole run | ratio to that (mAP@0.5) |',
             '|---|---:|---|---|---|---:|---|---:|']
    for r in rows:
        lines.append(f"| {r['name']} | {r['budget_s']:.0f} | {fmt(r['ours_epoch'], r['ours'])} "
                     f"| {fmt(r['original_within_epoch'], r['original_within'])} "
                     f"| {fmt(r['original_beyond_epoch'], r['original_beyond'])} "
                     f"| {r['ratio_50']:.2f}x ({r['ratio_50_95']:.2f}x) "
                     f"| {fmt(r['original_best_epoch'], r['original_best'])} "
                     f"| {r['ratio_50_best']:.2f}x |")
    return '\n'.join(lines)


def plot(runs: Sequence[dict], out_png: str) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(runs), figsize=(5 * len(runs), 3.6), squeeze=False)
    for ax, run in zip(axes[0], runs):
        for system, style in (('ours', 'o-'), ('original', 's--')):
            curve = {int(k): v for k, v in run['curves'][system].items()}
            epochs = sorted(curve)
            ax.plot([curve[e]['train_s'] for e in epochs], [curve[e]['mAP_50'] for e in epochs],
                    style, label=f'{system} (epochs {epochs[0]}-{epochs[-1]})')
        ax.axvline(run['row']['budget_s'], color='grey', lw=0.8, ls=':')
        ax.set_title(run['row']['name'])
        ax.set_xlabel('training seconds (one thread)')
        ax.set_ylabel('mAP@0.5')
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out_png, dpi=120)
    plt.close(fig)
    print(f'wrote {out_png}')


def main(argv: Optional[Sequence[str]] = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--name', help='the set, for the table')
    parser.add_argument('--original', help="the harness's JSON (--systems original)")
    parser.add_argument('--ours', help='our tools/train.py work dir (EpochTrainTimeHook)')
    parser.add_argument('--plot', nargs='+', help='OUT.json files to draw together')
    parser.add_argument('--out', required=True, help='OUT: writes OUT.md, OUT.json, OUT.png')
    args = parser.parse_args(argv)
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    if args.plot:
        runs = []
        for path in args.plot:
            with open(path) as f:
                runs.append(json.load(f))
        plot(runs, args.out + '.png')
        text = markdown([r['row'] for r in runs])
        with open(args.out + '.md', 'w') as f:
            f.write(text + '\n')
        print(text)
        return dict(runs=runs)
    if not (args.name and args.original and args.ours):
        parser.error('--name, --original and --ours are needed (or --plot)')
    check_same_data(args.original, args.ours)
    ours, original = load_ours(args.ours), load_original(args.original)
    result = dict(row=equal_time(args.name, ours, original),
                  curves=dict(ours=ours, original=original))
    with open(args.out + '.json', 'w') as f:
        json.dump(result, f, indent=1)
    text = markdown([result['row']])
    with open(args.out + '.md', 'w') as f:
        f.write(text + '\n')
    plot([result], args.out + '.png')
    print(text)
    return result


if __name__ == '__main__':
    main()
