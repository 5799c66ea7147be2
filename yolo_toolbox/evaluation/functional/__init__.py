"""Plain evaluation functions, shared by the metric and the analysis tools."""
from .coco_eval import BACKENDS, SUMMARY_KEYS, evaluate_coco, get_coco_api, per_class_ap, summary_ap
from .confusion_matrix import confusion_matrix, plot_confusion_matrix
from .det_results import IGNORED_BOX_AREA, results_to_coco, sample_to_result
from .pr_curve import plot_pr_curves

__all__ = ['BACKENDS', 'IGNORED_BOX_AREA', 'SUMMARY_KEYS', 'confusion_matrix', 'evaluate_coco',
           'get_coco_api', 'per_class_ap', 'plot_confusion_matrix', 'plot_pr_curves',
           'results_to_coco', 'sample_to_result', 'summary_ap']
