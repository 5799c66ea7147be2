"""Score Ultralytics' per-epoch detections with our metric; table and curves of both systems.

Run in the project's venv. Ultralytics' detections (``predict_ultralytics.py``, one JSON
per epoch) are scored here with :class:`CocoStyleMetric` (COCO mAP, 101-point, at most 100
detections per image, VOC ``difficult`` objects ignored) against the VOC XML read by
:class:`VOCDataset`: the same metric, the same GT and the same ignore rule as our own runs'
per-epoch validation (``val_interval=1``, read from the run's ``vis_data/scalars.json``).
Training seconds per epoch come from both runs' ``epoch_times.json``.

    python projects/ultralytics_comparison/compare.py --name glyphs \
        --voc-root work_dirs/ultra22/glyphs/data/voc --classes A H S 4 X \
        --ultra-run work_dirs/ultra22/glyphs/ultralytics/train \
        --ultra-dets work_dirs/ultra22/glyphs/ultralytics_dets \
        --ours work_dirs/ultra22/glyphs/ours --nearby work_dirs/ultra22/glyphs/nearby \
        --epochs 40 --out work_dirs/ultra22/glyphs/compare

writes ``OUT.md`` (the table), ``OUT.json`` (every number) and ``OUT.png`` (mAP@0.5:0.95
against epoch and against training seconds). ``--plot A.json B.json --out X`` draws the
curves of several sets in one figure from earlier ``OUT.json`` files.
"""
import argparse
import glob
import json
import logging
import os
import os.path as osp

import numpy as np


# ----------------------------------------------------------------------------- reading
def load_times(run_dir):
    """{epoch: cumulative training seconds} from a run's epoch_times.json ({} if none)."""
    path = osp.join(run_dir, 'epoch_times.json')
    if not osp.isfile(path):
        return {}
    with open(path) as f:
        return {r['epoch']: r['cumulative_train_s'] for r in json.load(f)['records']}


def load_our_val(work_dir, prefix='det/'):
    """{epoch: (mAP_50, mAP_50_95)} from the validation records of every
    ``<work_dir>/<timestamp>/vis_data/scalars.json`` (later runs, e.g. a resume, win)."""
    values = {}
    for path in sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))):
        with open(path) as f:
            for line in f:
                rec = json.loads(line)
                if f'{prefix}mAP_50_95' in rec:
                    values[int(rec['step'])] = (rec[f'{prefix}mAP_50'],
                                                rec[f'{prefix}mAP_50_95'])
    if not values:
        raise SystemExit(f'no validation records ({prefix}mAP_50_95) under {work_dir}/*/vis_data; '
                         'train with train_cfg.val_interval=1 (the configs of this folder do)')
    return values


def score_ultralytics(dets_dir, voc_root, classes, max_dets=100, split='test'):
    """{epoch: (mAP_50, mAP_50_95)}: each epoch_{E}.json scored by CocoStyleMetric."""
    from mmengine.logging import MMLogger

    from yolo_toolbox.datasets.voc import VOCDataset
    from yolo_toolbox.evaluation.metrics.coco_style_metric import CocoStyleMetric

    MMLogger.get_instance('ultralytics_comparison', log_level=logging.WARNING)
    dataset = VOCDataset(data_root=voc_root, years=('VOC2007', ), split=split,
                         metainfo=dict(classes=tuple(classes)), pipeline=[], test_mode=True)
    gts = [dataset.get_data_info(i) for i in range(len(dataset))]
    values = {}
    files = glob.glob(osp.join(dets_dir, 'epoch_*.json'))
    for path in sorted(files, key=lambda p: int(osp.basename(p)[6:-5])):
        with open(path) as f:
            dets = json.load(f)
        metric = CocoStyleMetric(max_dets=max_dets)
        metric.dataset_meta = dict(classes=tuple(classes))
        samples = []
        for info in gts:
            inst = info['instances']
            boxes = np.array([i['bbox'] for i in inst], np.float64).reshape(-1, 4)
            labels = np.array([i['bbox_label'] for i in inst], np.int64)
            ignore = np.array([i['ignore_flag'] for i in inst], bool)
            pred = dets['detections'].get(str(info['img_id']))
            if pred is None:
                raise SystemExit(f'{path}: no detections entry for image {info["img_id"]}')
            samples.append(dict(
                img_id=info['img_id'], ori_shape=(info['height'], info['width']),
                gt_instances=dict(bboxes=boxes[~ignore], labels=labels[~ignore]),
                ignored_instances=dict(bboxes=boxes[ignore], labels=labels[ignore]),
                pred_instances=dict(bboxes=np.array(pred['bboxes'], np.float64).reshape(-1, 4),
                                    scores=np.array(pred['scores'], np.float64),
                                    labels=np.array(pred['labels'], np.int64))))
        metric.process(None, samples)
        result = metric.compute_metrics(metric.results)
        values[int(dets['epoch'])] = (result['mAP_50'], result['mAP_50_95'])
    if not values:
        raise SystemExit(f'no epoch_*.json under {dets_dir} (run predict_ultralytics.py)')
    return values


# ----------------------------------------------------------------------------- table
def at_time(times, budget):
    """The last epoch completed within ``budget`` training seconds (None if none)."""
    done = [e for e, t in times.items() if t <= budget + 1e-9]
    return max(done) if done else None


def build_table(name, systems, epochs):
    """Markdown rows: equal epochs, then equal training time at both runs' N-epoch times."""
    ultra, ours = systems['ultralytics'], systems['ours']
    rows = []

    def row(kind, budget, ue, oe):
        u = ultra['map'].get(ue) if ue else None
        o = ours['map'].get(oe) if oe else None

        def fmt(v):
            return f'{v[0]:.3f} / {v[1]:.3f}' if v else 'n/a'

        ratio = (f'{o[1] / u[1]:.2f}x' if u and o and u[1] > 0 else 'n/a')
        rows.append(dict(set=name, kind=kind, seconds=budget, ultralytics_epoch=ue,
                         ultralytics=u, ours_epoch=oe, ours=o, ratio_50_95=ratio))
        return (f'| {name} | {kind} | {"" if budget is None else f"{budget:.0f}"} | '
                f'{ue or "-"} | {fmt(u)} | {oe or "-"} | {fmt(o)} | {ratio} |')

    lines = ['| set | comparison | train s | Ultralytics epoch | Ultralytics mAP@0.5 / 0.5:0.95 '
             '| ours epoch | ours mAP@0.5 / 0.5:0.95 | ours / Ultralytics (0.5:0.95) |',
             '|---|---|---:|---:|---|---:|---|---:|']
    lines.append(row(f'equal epochs ({epochs})', None, epochs, epochs))
    if ultra['times'].get(epochs) is not None and ours['times']:
        budget = ultra['times'][epochs]
        lines.append(row(f"equal time (Ultralytics' {epochs} epochs)", budget, epochs,
                         at_time(ours['times'], budget)))
    if ours['times'].get(epochs) is not None and ultra['times']:
        budget = ours['times'][epochs]
        lines.append(row(f"equal time (ours' {epochs} epochs)", budget,
                         at_time(ultra['times'], budget), epochs))
    return lines, rows


# ----------------------------------------------------------------------------- plot
STYLE = {'ultralytics': dict(color='tab:red', label="Ultralytics YOLOv8n"),
         'ours': dict(color='tab:blue', label='ours, YOLOv8-n config'),
         'nearby': dict(color='tab:green', label='ours, nearby grid (R18 x0.25)')}


def plot(sets, out_png):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(len(sets), 2, figsize=(11, 3.6 * len(sets)), squeeze=False)
    for (name, systems), (ax_e, ax_t) in zip(sets, axes):
        for key, sys_ in systems.items():
            epochs = sorted(int(e) for e in sys_['map'])
            vals = [sys_['map'][e][1] for e in epochs]
            ax_e.plot(epochs, vals, marker='.', **STYLE[key])
            timed = [e for e in epochs if e in sys_['times']]
            if timed:
                ax_t.plot([sys_['times'][e] for e in timed], [sys_['map'][e][1] for e in timed],
                          marker='.', **STYLE[key])
        for ax, xlabel in ((ax_e, 'epoch'), (ax_t, 'training seconds (loop only)')):
            ax.set_xlabel(xlabel)
            ax.set_ylabel('mAP@0.5:0.95')
            ax.set_title(name)
            ax.set_ylim(bottom=0)
            ax.grid(alpha=0.3)
            ax.legend(fontsize=8)
    fig.tight_layout()
    os.makedirs(osp.dirname(osp.abspath(out_png)), exist_ok=True)
    fig.savefig(out_png, dpi=100)


def _int_keys(systems):
    return {k: dict(map={int(e): v for e, v in s['map'].items()},
                    times={int(e): v for e, v in s['times'].items()})
            for k, s in systems.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--name', default='set', help='the set, for the table and the plot')
    parser.add_argument('--voc-root', help="prepare_data.py's OUT/voc (holds VOC2007/)")
    parser.add_argument('--classes', nargs='+')
    parser.add_argument('--ultra-run', help='Ultralytics run folder (epoch_times.json)')
    parser.add_argument('--ultra-dets', help="predict_ultralytics.py's output folder")
    parser.add_argument('--ours', help='our YOLOv8 run (work_dir)')
    parser.add_argument('--nearby', help='optional: our nearby-grid run (work_dir)')
    parser.add_argument('--epochs', type=int, default=None,
                        help='N for equal epochs (default: the last epoch both have)')
    parser.add_argument('--max-dets', type=int, default=100, help="as our configs' val_evaluator")
    parser.add_argument('--out', required=True, help='output prefix (.md, .json, .png)')
    parser.add_argument('--plot', nargs='+', metavar='JSON',
                        help='only draw OUT.png from earlier OUT.json files (several sets)')
    args = parser.parse_args()

    if args.plot:
        sets = []
        for path in args.plot:
            with open(path) as f:
                saved = json.load(f)
            sets.append((saved['name'], _int_keys(saved['systems'])))
        plot(sets, args.out + '.png')
        print(f'wrote {args.out}.png')
        return

    missing = [k for k in ('voc_root', 'classes', 'ultra_run', 'ultra_dets', 'ours')
               if getattr(args, k) is None]
    if missing:
        parser.error('needed: ' + ', '.join('--' + k.replace('_', '-') for k in missing))
    systems = dict(
        ultralytics=dict(map=score_ultralytics(args.ultra_dets, args.voc_root, args.classes,
                                               args.max_dets),
                         times=load_times(args.ultra_run)),
        ours=dict(map=load_our_val(args.ours), times=load_times(args.ours)))
    if args.nearby:
        systems['nearby'] = dict(map=load_our_val(args.nearby), times=load_times(args.nearby))
    epochs = args.epochs or max(set(systems['ultralytics']['map']) & set(systems['ours']['map']))
    lines, rows = build_table(args.name, systems, epochs)
    table = '\n'.join(lines)
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    with open(args.out + '.md', 'w') as f:
        f.write(table + '\n')
    with open(args.out + '.json', 'w') as f:
        json.dump(dict(name=args.name, epochs=epochs, rows=rows, systems=systems), f, indent=1)
    plot([(args.name, systems)], args.out + '.png')
    print(table)
    for key, sys_ in systems.items():
        curve = ' '.join(f'{e}:{sys_["map"][e][1]:.3f}' for e in sorted(sys_['map']))
        print(f'{key} mAP@0.5:0.95 by epoch: {curve}')
        if sys_['times']:
            print(f'{key} training seconds by epoch: ' +
                  ' '.join(f'{e}:{t:.1f}' for e, t in sorted(sys_['times'].items())))
    print(f'wrote {args.out}.md, .json, .png')


if __name__ == '__main__':
    main()
