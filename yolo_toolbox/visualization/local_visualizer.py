"""Drawing detections (and GT) on images with mmengine's Visualizer."""
from typing import Optional

import numpy as np
from mmengine.visualization import Visualizer

from yolo_toolbox.datasets.base_det_dataset import make_palette
from yolo_toolbox.registry import VISUALIZERS


@VISUALIZERS.register_module()
class DetLocalVisualizer(Visualizer):
    """Draws GT boxes (dashed-free, white) and predicted boxes (class colour, with class
    name and score) of a DetDataSample on an RGB image; saves or sends it to the
    visualisation backends (local files, TensorBoard)."""

    def __init__(self, name: str = 'visualizer', line_width: int = 2, alpha: float = 0.8,
                 **kwargs) -> None:
        super().__init__(name=name, **kwargs)
        self.line_width = line_width
        self.alpha = alpha

    def _draw_instances(self, instances, class_names: list, colours: list,
                        with_scores: bool, score_thr: float = 0.0) -> None:
        bboxes = np.asarray(instances.bboxes.cpu() if hasattr(instances.bboxes, 'cpu')
                            else instances.bboxes).reshape(-1, 4)
        labels = np.asarray(instances.labels.cpu() if hasattr(instances.labels, 'cpu')
                            else instances.labels).reshape(-1).astype(int)
        scores = None
        if with_scores and 'scores' in instances:
            scores = np.asarray(instances.scores.cpu() if hasattr(instances.scores, 'cpu')
                                else instances.scores).reshape(-1)
            keep = scores >= score_thr
            bboxes, labels, scores = bboxes[keep], labels[keep], scores[keep]
        if len(bboxes) == 0:
            return
        edge = [colours[label % len(colours)] for label in labels]
        self.draw_bboxes(bboxes, edge_colors=edge, line_widths=self.line_width, alpha=self.alpha)
        texts, positions = [], []
        for i, (bbox, label) in enumerate(zip(bboxes, labels)):
            name = class_names[label] if label < len(class_names) else f'class_{label}'
            texts.append(name if scores is None else f'{name} {scores[i]:.2f}')
            positions.append([bbox[0] + 2, bbox[1] + 2])
        self.draw_texts(texts, np.array(positions), colors='white', font_sizes=9,
                        bboxes=[dict(facecolor=c_to_hex(c), alpha=0.7, pad=0.5,
                                     edgecolor='none') for c in edge])

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
        self.set_image(image)
        if data_sample is not None:
            if draw_gt and 'gt_instances' in data_sample:
                gt = data_sample.gt_instances
                if len(gt):
                    self.draw_bboxes(np.asarray(gt.bboxes.cpu() if hasattr(gt.bboxes, 'cpu')
                                                else gt.bboxes).reshape(-1, 4),
                                     edge_colors='white', line_widths=1, line_styles='--')
            if draw_pred and 'pred_instances' in data_sample:
                self._draw_instances(data_sample.pred_instances, class_names, colours,
                                     with_scores=True, score_thr=pred_score_thr)
        drawn = self.get_image()
        if show:
            self.show(drawn, win_name=name, wait_time=wait_time)
        if out_file is not None:
            import mmcv
            mmcv.imwrite(drawn[..., ::-1], out_file)
        else:
            self.add_image(name, drawn, step)
        return drawn


def c_to_hex(colour: tuple) -> str:
    return '#{:02x}{:02x}{:02x}'.format(*colour)
