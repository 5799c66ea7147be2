"""Confusion matrix of saved predictions (rows: true class, columns: predicted class,
last row / column: background).

    python tools/test.py CONFIG CHECKPOINT --out preds.pkl
    python tools/analysis_tools/confusion_matrix.py CONFIG preds.pkl SAVE_DIR

Writes SAVE_DIR/confusion_matrix.png and prints the counts. Detections scoring below
``--score-thr`` are left out; a detection and a GT box pair up at IoU >= ``--tp-iou-thr``
(:func:`yolo_toolbox.evaluation.functional.confusion_matrix`).
"""
import argparse
import os
import os.path as osp
from typing import Optional, Sequence

from mmengine.config import DictAction


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Generate confusion matrix from detection '
                                     'results')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('prediction_path', help='prediction path where test .pkl result')
    parser.add_argument('save_dir', help='directory where confusion matrix will be saved')
    parser.add_argument('--show', action='store_true', help='show confusion matrix')
    parser.add_argument('--color-theme', default='plasma',
                        help='theme of the matrix color map')
    parser.add_argument('--score-thr', type=float, default=0.3,
                        help='score threshold to filter detection bboxes')
    parser.add_argument('--tp-iou-thr', type=float, default=0.5,
                        help='IoU threshold to be considered as matched')
    parser.add_argument('--nms-iou-thr', type=float, default=None,
                        help='nms IoU threshold, only applied when users want to change the '
                             'nms IoU threshold.')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override some settings in the used config, the key-value pair '
                             'in xxx=yyy format will be merged into config file')
    return parser.parse_args(argv)


def format_matrix(matrix, names: Sequence[str]) -> str:
    names = list(names) + ['background']
    width = max(len(n) for n in names) + 1
    cell = max(6, len(str(matrix.max())) + 1)
    lines = [' ' * width + ''.join(n[:cell - 1].rjust(cell) for n in names)]
    for name, row in zip(names, matrix.tolist()):
        lines.append(name.ljust(width) + ''.join(str(v).rjust(cell) for v in row))
    return '\n'.join(lines)


def main(argv: Optional[Sequence[str]] = None):
    args = parse_args(argv)
    import numpy as np
    import torch

    from yolo_toolbox.evaluation.functional import (
        confusion_matrix,
        plot_confusion_matrix,
        sample_to_result,
    )
    from yolo_toolbox.evaluation.offline import load_predictions, test_dataset_meta
    from yolo_toolbox.models.dense_heads.post_processing import class_offset_nms
    from yolo_toolbox.utils import load_config

    cfg = load_config(args.config, args.cfg_options)
    classes = test_dataset_meta(cfg)['classes']
    results = [sample_to_result(s) for s in load_predictions(args.prediction_path)]
    if args.nms_iou_thr is not None:
        for r in results:
            keep, _ = class_offset_nms(torch.as_tensor(r['pred_bboxes']),
                                       torch.as_tensor(r['pred_scores']),
                                       torch.as_tensor(r['pred_labels']), args.nms_iou_thr)
            keep = keep.numpy()
            for key in ('pred_bboxes', 'pred_scores', 'pred_labels'):
                r[key] = r[key][np.sort(keep)]
    matrix = confusion_matrix(results, len(classes), args.tp_iou_thr, args.score_thr)
    os.makedirs(args.save_dir, exist_ok=True)
    out_png = osp.join(args.save_dir, 'confusion_matrix.png')
    plot_confusion_matrix(matrix, classes, out_png, cmap=args.color_theme)
    print(format_matrix(matrix, classes))
    print(f'wrote {out_png}')
    if args.show:
        import matplotlib.pyplot as plt
        plt.imshow(plt.imread(out_png))
        plt.axis('off')
        plt.show()
    return matrix


if __name__ == '__main__':
    main()
