"""DetDataSample: the per-image container passed between pipeline, model and metric."""
import torch
from mmengine.structures import BaseDataElement, InstanceData


class DetDataSample(BaseDataElement):
    """Per-image data: ground truth, ignored ground truth and predictions.

    Fields (all :class:`~mmengine.structures.InstanceData`):

    - ``gt_instances``: ``bboxes`` (n, 4) xyxy, ``labels`` (n,) long. In training
      pipelines the boxes are in network-input pixels; test pipelines load annotations
      after the letterbox, so there they are in original-image pixels (for the metric).
    - ``ignored_instances``: boxes that count neither as hits nor misses in
      evaluation (VOC ``difficult``), same layout as ``gt_instances``.
    - ``pred_instances``: ``bboxes`` (m, 4) xyxy in original-image pixels,
      ``scores`` (m,), ``labels`` (m,).

    Metainfo keys set by the pipeline: ``img_id``, ``img_path``, ``ori_shape``
    (h, w), ``img_shape`` (h, w) of the network input, ``scale_factor``
    (w_scale, h_scale) from original to resized image, ``pad_param``
    (top, bottom, left, right) added by the letterbox.
    """

    def _prop(name):  # noqa: N805  (tiny property factory used below)
        def getter(self):
            return getattr(self, f'_{name}')

        def setter(self, value):
            self.set_field(value, f'_{name}', dtype=InstanceData)

        def deleter(self):
            delattr(self, f'_{name}')

        return property(getter, setter, deleter)

    gt_instances = _prop('gt_instances')
    ignored_instances = _prop('ignored_instances')
    pred_instances = _prop('pred_instances')
    del _prop


def stack_gt_instances(data_samples: list) -> torch.Tensor:
    """Batch the GT of several images into one (N, 6) float tensor.

    Columns: batch index, label, x1, y1, x2, y2 (network-input pixels). Ignored
    instances are not included.
    """
    rows = []
    for i, sample in enumerate(data_samples):
        gt = sample.gt_instances
        bboxes = torch.as_tensor(gt.bboxes, dtype=torch.float32).reshape(-1, 4)
        labels = torch.as_tensor(gt.labels).reshape(-1, 1).to(bboxes)
        rows.append(torch.cat([bboxes.new_full((len(bboxes), 1), i), labels, bboxes], dim=1))
    if not rows:
        return torch.zeros((0, 6))
    return torch.cat(rows, dim=0)
