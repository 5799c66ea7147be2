"""YOLODetector: glue between backbone, neck and head; holds no detection logic."""
from typing import Optional, Union

from mmengine.model import BaseModel
from torch import Tensor

from yolo_toolbox.registry import MODELS


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
    """

    def __init__(self, backbone: dict, neck: dict, bbox_head: dict,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        if 'in_channels' not in neck:
            neck = {**neck, 'in_channels': self.backbone.out_channels}
        self.neck = MODELS.build(neck)
        if 'in_channels' not in bbox_head:
            bbox_head = {**bbox_head, 'in_channels': self.neck.out_channels}
        self.bbox_head = MODELS.build(bbox_head)

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
