"""Draw the best and the worst test images, ranked by their own mAP@0.5.

    python tools/test.py CONFIG CHECKPOINT --out preds.pkl
    python tools/analysis_tools/analyze_results.py CONFIG preds.pkl SHOW_DIR [--topk 20]

Writes SHOW_DIR/good/ and SHOW_DIR/bad/: ``{rank}_{mAP}_{image}.jpg`` with the GT boxes
(white) and the predictions scoring at least ``--show-score-thr`` (class colour, score).
Per-image mAP@0.5 over all predictions: :func:`yolo_toolbox.evaluation.offline.per_image_ap`
(an image without GT scores 1 - its best prediction score).
"""
import argparse
import os
import os.path as osp
from typing import Optional, Sequence

from mmengine.config import DictAction


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='MMDet eval image prediction result for each')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('prediction_path', help='prediction path where test pkl result')
    parser.add_argument('show_dir', help='directory where painted images will be saved')
    parser.add_argument('--show', action='store_true', help='show results')
    parser.add_argument('--wait-time', type=float, default=0,
                        help='the interval of show (s), 0 is block')
    parser.add_argument('--topk', default=20, type=int,
                        help='saved Number of the highest topk and lowest topk after index '
                             'sorting')
    parser.add_argument('--show-score-thr', type=float, default=0.3,
                        help='show score threshold (of the drawing only; MMDetection: 0)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override some settings in the used config, the key-value pair '
                             'in xxx=yyy format will be merged into config file')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> dict:
    args = parse_args(argv)
    import mmcv
    from mmengine.structures import InstanceData

    from yolo_toolbox.evaluation.offline import (
        load_predictions,
        per_image_ap,
        rank_images,
        test_dataset_meta,
    )
    from yolo_toolbox.utils import load_config
    from yolo_toolbox.visualization import DetLocalVisualizer

    cfg = load_config(args.config, args.cfg_options)
    samples = load_predictions(args.prediction_path)
    meta = test_dataset_meta(cfg)
    scores = per_image_ap(samples, meta['classes'])
    best, worst = rank_images(scores, args.topk)
    visualizer = DetLocalVisualizer(name='analyze_results')
    visualizer.dataset_meta = meta
    written = {}
    for folder, indices in (('good', best), ('bad', worst)):
        os.makedirs(osp.join(args.show_dir, folder), exist_ok=True)
        for rank, i in enumerate(indices):
            sample = samples[i]
            stem = osp.splitext(osp.basename(sample['img_path']))[0]
            out_file = osp.join(args.show_dir, folder, f'{rank:03d}_{scores[i]:.3f}_{stem}.jpg')
            image = mmcv.imread(sample['img_path'], channel_order='rgb')
            visualizer.add_datasample(
                stem, image, _as_data_sample(sample, InstanceData), show=args.show,
                wait_time=args.wait_time, out_file=out_file, pred_score_thr=args.show_score_thr)
            written.setdefault(folder, []).append(out_file)
        print(f'{folder}: {len(indices)} images, mAP@0.5 '
              + ', '.join(f'{scores[i]:.3f}' for i in indices[:10])
              + (' ...' if len(indices) > 10 else '') + f' -> {osp.join(args.show_dir, folder)}')
    return dict(scores=scores, written=written)


def _as_data_sample(sample: dict, instance_data_cls):
    from yolo_toolbox.structures import DetDataSample
    data_sample = DetDataSample()
    for key in ('gt_instances', 'pred_instances'):
        if sample.get(key):
            setattr(data_sample, key, instance_data_cls(**sample[key]))
    return data_sample


if __name__ == '__main__':
    main()
