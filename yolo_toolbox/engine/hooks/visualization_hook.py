"""Draw predictions of validation / test images (``tools/test.py --show-dir``)."""
import os.path as osp
from typing import Optional

import mmcv
from mmengine.hooks import Hook
from mmengine.visualization import Visualizer

from yolo_toolbox.registry import HOOKS


@HOOKS.register_module()
class DetVisualizationHook(Hook):
    """Draws each ``interval``-th validation image (to the visualisation backends) and,
    with ``test_out_dir``, every test image to files.

    Args:
        draw: switch the hook on.
        interval: draw every ``interval``-th validation batch.
        score_thr: minimum score of a drawn prediction.
        test_out_dir: folder (inside the run's log dir unless absolute) for test images.
    """

    priority = 'NORMAL'

    def __init__(self, draw: bool = False, interval: int = 50, score_thr: float = 0.3,
                 test_out_dir: Optional[str] = None) -> None:
        self.draw = draw
        self.interval = interval
        self.score_thr = score_thr
        self.test_out_dir = test_out_dir
        self._visualizer = None

    @property
    def visualizer(self):
        if self._visualizer is None:
            self._visualizer = Visualizer.get_current_instance()
        return self._visualizer

    def _draw(self, sample, step: int, out_file: Optional[str] = None) -> None:
        image = mmcv.imread(sample.img_path, channel_order='rgb')
        self.visualizer.add_datasample(osp.basename(sample.img_path), image, sample,
                                       pred_score_thr=self.score_thr, out_file=out_file,
                                       step=step)

    def after_val_iter(self, runner, batch_idx: int, data_batch: dict, outputs) -> None:
        if self.draw and batch_idx % self.interval == 0 and outputs:
            self._draw(outputs[0], runner.iter)

    def after_test_iter(self, runner, batch_idx: int, data_batch: dict, outputs) -> None:
        if not self.draw:
            return
        out_dir = None
        if self.test_out_dir is not None:
            out_dir = self.test_out_dir
            if not osp.isabs(out_dir):
                out_dir = osp.join(runner.log_dir, out_dir)
        for sample in outputs:
            out_file = osp.join(out_dir, osp.basename(sample.img_path)) if out_dir else None
            self._draw(sample, batch_idx, out_file)
