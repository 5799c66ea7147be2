"""Drawing detections (and GT) on images, for people to look at.

What a picture shows is chosen for reading, not for evaluation (the evaluated predictions
are never changed):

- **One box per object.** Predictions under the score threshold (0.3, MMDetection's
  demo default, in ``tools/predict.py`` and ``tools/test.py --show-dir``) are dropped and
  the rest go through a class-wise NMS at ``display_nms_iou`` (0.3, the test-time NMS of
  Fast/Faster R-CNN on VOC; evaluation keeps the config's score threshold 0.001 and NMS
  IoU 0.6, as mAP needs the low-score tail). At most ``max_drawn`` boxes, highest scores
  first. On the demo's test split this leaves 1.08 boxes per object (85 % of objects with
  exactly one) where the evaluation's NMS 0.6 drew 4.3, and it helps on held-out data too
  (docs/results.md, "Pictures").
- **Labels that never overlap each other or leave the image.** Each label (class name and
  score) is placed, best score first, at the first free place around its box (above the
  top-left corner, inside it, below the bottom-left corner, inside that, the same on the
  right, then stacked further above); a label with no free place is left out (its box is
  still drawn) rather than drawn over another one (:func:`layout_labels`).
- **Readable at any image size.** Images smaller than ``min_display_size`` (longer side)
  are enlarged for drawing; line width and font size follow the drawn image's size.
- **Colours per class** from the dataset's palette (the same in every image); the label's
  text is black or white, whichever reads better on its colour.

Drawing is done with OpenCV in pixel space (exact text extents make the layout
guaranteed); the result goes to a file or to mmengine's visualisation backends.
"""
from typing import Optional, Sequence

import cv2
import numpy as np
import torch
from mmengine.visualization import Visualizer

from yolo_toolbox.datasets.base_det_dataset import make_palette
from yolo_toolbox.models.dense_heads.post_processing import class_offset_nms
from yolo_toolbox.registry import VISUALIZERS

FONT = cv2.FONT_HERSHEY_SIMPLEX


def _numpy(value) -> np.ndarray:
    return np.asarray(value.detach().cpu() if hasattr(value, 'detach') else value)


def _overlaps(rect: tuple, others: Sequence[tuple]) -> bool:
    x1, y1, x2, y2 = rect
    return any(x1 < ox2 and ox1 < x2 and y1 < oy2 and oy1 < y2 for ox1, oy1, ox2, oy2 in others)


def layout_labels(boxes: np.ndarray, sizes: Sequence[tuple], image_hw: tuple,
                  max_stack: int = 4) -> list:
    """Places for labels of ``boxes`` (N, 4 xyxy, in drawing priority order) of pixel
    ``sizes`` (w, h) inside an image of ``image_hw``: per box an (x1, y1, x2, y2) integer
    rectangle or None. Rectangles lie inside the image and never overlap each other."""
    height, width = image_hw
    placed, out = [], []
    for (bx1, by1, bx2, by2), (w, h) in zip(np.asarray(boxes, dtype=float), sizes):
        bx1, by1 = int(round(bx1)), int(round(by1))
        bx2, by2 = int(round(bx2)), int(round(by2))
        corners = [(bx1, by1 - h), (bx1, by1), (bx1, by2), (bx1, by2 - h),
                   (bx2 - w, by1 - h), (bx2 - w, by1), (bx2 - w, by2), (bx2 - w, by2 - h)]
        corners += [(x, by1 - h * k) for k in range(2, max_stack + 1) for x in (bx1, bx2 - w)]
        corners += [(bx1, by2 + h * (k - 1)) for k in range(2, max_stack + 1)]
        choice = None
        if w <= width and h <= height:  # a label larger than the image never fits
            for x, y in corners:
                # a label that sticks out of the image slides back in
                x, y = min(max(x, 0), width - w), min(max(y, 0), height - h)
                if not _overlaps((x, y, x + w, y + h), placed):
                    choice = (x, y, x + w, y + h)
                    break
        out.append(choice)
        if choice is not None:
            placed.append(choice)
    return out


def text_colour(background: tuple) -> tuple:
    """Black on light colours, white on dark ones (ITU-R BT.601 luma)."""
    r, g, b = background
    return (0, 0, 0) if 0.299 * r + 0.587 * g + 0.114 * b > 150 else (255, 255, 255)


@VISUALIZERS.register_module()
class DetLocalVisualizer(Visualizer):
    """Draws GT boxes (thin, white) and predicted boxes (class colour, with class name
    and score) of a DetDataSample on an RGB image; saves or sends it to the
    visualisation backends (local files, TensorBoard). See the module doc for what is
    drawn and why.

    Args:
        line_width: box line width in drawn pixels; None: about 0.3 % of the image's
            longer side (at least 2).
        font_height: label text height in drawn pixels; None: 2.2 % of the drawn image's
            longer side, at least 12.
        display_nms_iou: IoU of the class-wise NMS applied to drawn predictions; None
            draws them as given.
        max_drawn: most predictions drawn per image.
        min_display_size: images whose longer side is smaller are enlarged to it for
            drawing (0: never).
    """

    def __init__(self, name: str = 'visualizer', line_width: Optional[int] = None,
                 font_height: Optional[int] = None, display_nms_iou: Optional[float] = 0.3,
                 max_drawn: int = 100, min_display_size: int = 512, **kwargs) -> None:
        kwargs.pop('alpha', None)  # accepted for configs of the matplotlib drawer
        super().__init__(name=name, **kwargs)
        self.line_width = line_width
        self.font_height = font_height
        self.display_nms_iou = display_nms_iou
        self.max_drawn = max_drawn
        self.min_display_size = min_display_size

    def select_predictions(self, instances, score_thr: float) -> tuple:
        """The predictions a picture shows: ``(bboxes, labels, scores)`` numpy arrays,
        score >= ``score_thr``, after the display NMS, best first, at most ``max_drawn``."""
        bboxes = torch.as_tensor(_numpy(instances.bboxes), dtype=torch.float32).reshape(-1, 4)
        labels = torch.as_tensor(_numpy(instances.labels), dtype=torch.long).reshape(-1)
        scores = (torch.as_tensor(_numpy(instances.scores), dtype=torch.float32).reshape(-1)
                  if 'scores' in instances else torch.ones(len(labels)))
        keep = scores >= score_thr
        bboxes, labels, scores = bboxes[keep], labels[keep], scores[keep]
        if self.display_nms_iou is not None and len(bboxes):
            keep, _ = class_offset_nms(bboxes, scores, labels, self.display_nms_iou)
        else:
            keep = scores.argsort(descending=True)
        keep = keep[:self.max_drawn]
        return bboxes[keep].numpy(), labels[keep].numpy(), scores[keep].numpy()

    def _sizes(self, image: np.ndarray) -> tuple:
        longer = max(image.shape[:2])
        line = self.line_width or max(2, int(round(0.003 * longer)))
        font_h = self.font_height or max(12, int(round(0.022 * longer)))
        (_, base_h), _ = cv2.getTextSize('Ag', FONT, 1.0, 1)
        scale = font_h / base_h
        thickness = max(1, int(round(font_h / 14)))
        return line, scale, thickness

    def draw_detections(self, image: np.ndarray, bboxes: np.ndarray, labels: np.ndarray,
                        scores: Optional[np.ndarray], class_names: Sequence[str],
                        colours: Sequence[tuple], gt_bboxes: Optional[np.ndarray] = None
                        ) -> tuple:
        """Draw on a copy of ``image`` (RGB); boxes in ``image``'s pixels. Returns the
        drawn image (enlarged when small) and the label rectangles (None where left out)."""
        factor = 1.0
        if self.min_display_size and max(image.shape[:2]) < self.min_display_size:
            factor = self.min_display_size / max(image.shape[:2])
            image = cv2.resize(image, None, fx=factor, fy=factor,
                               interpolation=cv2.INTER_LINEAR)
        canvas = np.ascontiguousarray(image.copy())
        line, scale, thickness = self._sizes(canvas)
        if gt_bboxes is not None:
            for x1, y1, x2, y2 in np.round(np.asarray(gt_bboxes) * factor).astype(int):
                cv2.rectangle(canvas, (x1, y1), (x2, y2), (255, 255, 255), max(1, line // 2),
                              cv2.LINE_AA)
        bboxes = np.asarray(bboxes, dtype=float).reshape(-1, 4) * factor
        texts, sizes, box_colours = [], [], []
        for i, label in enumerate(labels):
            name = class_names[label] if label < len(class_names) else f'class_{label}'
            texts.append(name if scores is None else f'{name} {scores[i]:.2f}')
            (w, h), baseline = cv2.getTextSize(texts[-1], FONT, scale, thickness)
            pad = max(2, h // 5)
            sizes.append((w + 2 * pad, h + baseline + pad))
            box_colours.append(tuple(int(c) for c in colours[label % len(colours)]))
        for box, colour in zip(np.round(bboxes).astype(int), box_colours):
            cv2.rectangle(canvas, tuple(box[:2]), tuple(box[2:]), colour, line, cv2.LINE_AA)
        rects = layout_labels(bboxes, sizes, canvas.shape[:2])
        for text, rect, colour in zip(texts, rects, box_colours):
            if rect is None:
                continue
            x1, y1, x2, y2 = rect
            cv2.rectangle(canvas, (x1, y1), (x2 - 1, y2 - 1), colour, cv2.FILLED)
            (_, h), baseline = cv2.getTextSize(text, FONT, scale, thickness)
            pad = max(2, h // 5)
            cv2.putText(canvas, text, (x1 + pad, y2 - baseline - pad // 2), FONT, scale,
                        text_colour(colour), thickness, cv2.LINE_AA)
        return canvas, rects

    def add_datasample(self, name: str, image: np.ndarray, data_sample=None,
                       draw_gt: bool = True, draw_pred: bool = True, show: bool = False,
                       wait_time: float = 0, out_file: Optional[str] = None,
                       pred_score_thr: float = 0.3, step: int = 0) -> np.ndarray:
        """Draw ``data_sample``'s GT and predictions on ``image`` (RGB, HxWx3 uint8).

        Returns the drawn RGB image; writes it to ``out_file`` (any image extension)
        when given, otherwise to the visualisation backends.
        """
        meta = self.dataset_meta or {}
        class_names = list(meta.get('classes', []))
        colours = [tuple(c) for c in meta.get('palette') or make_palette(len(class_names) or 80)]
        gt_bboxes = None
        bboxes, labels, scores = np.zeros((0, 4)), np.zeros(0, dtype=int), np.zeros(0)
        if data_sample is not None:
            if draw_gt and 'gt_instances' in data_sample and len(data_sample.gt_instances):
                gt_bboxes = _numpy(data_sample.gt_instances.bboxes).reshape(-1, 4)
            if draw_pred and 'pred_instances' in data_sample:
                bboxes, labels, scores = self.select_predictions(data_sample.pred_instances,
                                                                 pred_score_thr)
        drawn, _ = self.draw_detections(image, bboxes, labels, scores, class_names, colours,
                                        gt_bboxes)
        self.set_image(drawn)
        if show:
            self.show(drawn, win_name=name, wait_time=wait_time)
        if out_file is not None:
            import mmcv
            mmcv.imwrite(drawn[..., ::-1], out_file)
        else:
            self.add_image(name, drawn, step)
        return drawn
