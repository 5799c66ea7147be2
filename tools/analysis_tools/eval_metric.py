"""mAP of saved predictions, without running the model again.

    python tools/test.py CONFIG CHECKPOINT --out preds.pkl
    python tools/analysis_tools/eval_metric.py CONFIG preds.pkl

Runs the config's ``test_evaluator`` (class names from its test dataset) on the
predictions; prints what ``tools/test.py`` printed. The logic is
:func:`yolo_toolbox.evaluation.offline.evaluate_predictions`.
"""
import argparse
from typing import Optional, Sequence

from mmengine.config import DictAction


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Evaluate metric of the '
                                     'results saved in pkl format')
    parser.add_argument('config', help='Config of the model')
    parser.add_argument('pkl_results', help='Results in pickle format')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override some settings in the used config, the key-value pair '
                             'in xxx=yyy format will be merged into config file')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> dict:
    args = parse_args(argv)
    from yolo_toolbox.evaluation.offline import evaluate_predictions, load_predictions
    from yolo_toolbox.utils import load_config
    cfg = load_config(args.config, args.cfg_options)
    samples = load_predictions(args.pkl_results)
    metrics = evaluate_predictions(samples, cfg)
    print(f'{len(samples)} images; mAP@0.5: {metrics.get("det/mAP_50", float("nan")):.4f}   '
          f'mAP@0.5:0.95: {metrics.get("det/mAP_50_95", float("nan")):.4f}')
    return metrics


if __name__ == '__main__':
    main()
