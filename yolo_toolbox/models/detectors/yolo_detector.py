"""YOLODetector: glue between backbone, neck and head; holds no detection logic."""
from typing import Optional, Union

import torch
from mmengine.model import BaseModel
from torch import Tensor

# fuse_pass_detections: its old home (it is post_processing's now); kept importable
from yolo_toolbox.models.dense_heads.post_processing import fuse_pass_detections
from yolo_toolbox.registry import MODELS

__all__ = ['YOLODetector', 'fuse_pass_detections']


@MODELS.register_module()
class YOLODetector(BaseModel):
    """One-stage detector: ``backbone -> neck -> bbox_head``.

    Modes of :meth:`forward` (mmengine's convention):

    - ``'loss'``: dict of losses (``data_samples`` from the data preprocessor: training
      dict with ``bboxes_labels`` (N, 6), or a list of DetDataSample).
    - ``'predict'``: the input DetDataSamples with ``pred_instances`` (original-image
      pixels) filled in.
    - ``'tensor'``: raw head outputs, per scale (B, A, H, W, 5 + C).

    Args:
        backbone, neck, bbox_head: module configs (MODELS).
        data_preprocessor: config of the data preprocessor.
        tta_cfg: no longer supported, an error that says what replaced it: test-time
            augmentation is a test-time model wrapping the detector, ``YOLOTTAModel``
            (``yolo_toolbox/models/test_time_augs``), with the config's ``tta_model`` and
            ``tta_pipeline``; ``tools/test.py --tta`` builds it.
    """

    def __init__(self, backbone: dict, neck: dict, bbox_head: dict,
                 data_preprocessor: Optional[dict] = None,
                 tta_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if tta_cfg:
            raise ValueError(
                f'YOLODetector(tta_cfg={dict(tta_cfg)}) is no longer supported: test-time '
                "augmentation is the test-time model YOLOTTAModel. In the config: tta_model = "
                "dict(type='YOLOTTAModel', merge_mode='fuse' or 'nms') and tta_pipeline = the test "
                "pipeline whose PackDetInputs sits in a TestTimeAug with one TTAPass(scale, "
                'flip) per pass (yolo_toolbox.datasets.transforms.make_tta_pipeline builds '
                'it); then tools/test.py CONFIG CKPT --tta [--tta-scales ...] [--tta-merge ...]'
                ' (docs/training.md)')
        self.backbone = MODELS.build(backbone)
        if 'in_channels' not in neck:
            neck = {**neck, 'in_channels': self.backbone.out_channels}
        self.neck = MODELS.build(neck)
        if 'in_channels' not in bbox_head:
            bbox_head = {**bbox_head, 'in_channels': self.neck.out_channels}
        self.bbox_head = MODELS.build(bbox_head)
        if getattr(self.data_preprocessor, 'channels_last', False):
            # NHWC batches: NHWC conv weights too, before DDP wraps the model (its gradient
            # buckets follow the parameters' layout); values and state_dict keys unchanged
            self.to(memory_format=torch.channels_last)

    def extract_feat(self, inputs: Tensor) -> tuple[Tensor, ...]:
        """(B, 3, H, W) normalised images -> neck feature maps, small stride first."""
        return self.neck(self.backbone(inputs))

    def forward(self, inputs: Tensor, data_samples: Union[dict, list, None] = None,
                mode: str = 'tensor'):
        if mode == 'loss':
            return self.bbox_head.loss(self.extract_feat(inputs), data_samples)
        if mode == 'predict':
            results = self.bbox_head.predict(self.extract_feat(inputs), data_samples)
            for sample, pred in zip(data_samples, results):
                sample.pred_instances = pred
            return data_samples
        if mode == 'tensor':
            return self.bbox_head(self.extract_feat(inputs))
        raise ValueError(f"mode must be 'loss', 'predict' or 'tensor', got '{mode}'")
