"""Label-assignment analysis: statistics, anchor fitting and timing of assigners.

The logic behind ``tools/analysis_tools/{assignment_stats, optimize_anchors,
benchmark_assigners, browse_assignment}.py``; it needs only GT, anchors and grid sizes,
never a trained model. Assignment itself always runs through ``head.assign``, the path of
the loss (``yolo_toolbox/models/dense_heads/assign_mixin.py``).
"""
from .anchors import (
    best_possible_recall,
    format_anchors,
    gt_wh,
    kmeans_anchors,
    mean_best_iou,
    split_by_scale,
)
from .assign import (
    anchor_head,
    assign_scales,
    build_assigners,
    build_head,
    grid_sizes,
    head_anchors_strides,
    resolve_assigners,
    result_for_image,
)
from .assignment_stats import (
    AssignmentStats,
    count_contested,
    count_out_of_reach,
    format_table,
    plot_stats,
    positives_per_gt,
    size_bucket,
    write_csv,
)
from .benchmark import median_ms, random_gt, random_preds, time_assigner, time_forward
from .data import (
    GTBatch,
    build_train_dataset,
    find_img_scale,
    iter_gt_batches,
    load_config,
    no_aug_pipeline,
)

__all__ = [
    'AssignmentStats', 'GTBatch', 'anchor_head', 'assign_scales', 'best_possible_recall',
    'build_assigners', 'build_head', 'build_train_dataset', 'count_contested', 'count_out_of_reach',
    'find_img_scale', 'format_anchors', 'format_table', 'grid_sizes', 'gt_wh',
    'head_anchors_strides', 'iter_gt_batches', 'kmeans_anchors', 'load_config',
    'mean_best_iou', 'median_ms', 'no_aug_pipeline', 'plot_stats', 'positives_per_gt',
    'random_gt', 'random_preds', 'resolve_assigners', 'result_for_image',
    'size_bucket', 'split_by_scale', 'time_assigner', 'time_forward', 'write_csv'
]
