"""Learning test: a short training must reach the mAP the original system reaches.

``learning_config.py`` is the original's recipe (ResNet-18 x0.25, nearby grid, Adam at a
constant LR, letterbox + flip, no EMA) with LR 4e-3 and batch 8, at 160 px, on a small set
of the demo's kind made with another seed (128 train / 48 test images, seed 11): 24 epochs
= 384 steps.

The bar, ORIGINAL_MAP50, is what the original system's own model and loss reach with the
same data, batches, steps and evaluation, measured with

    python tools/analysis_tools/compare_with_original.py tests/test_e2e/learning_config.py \
        --original PATH/simple-yolo-pytorch --systems original --epochs 24 --seed S \
        --cfg-options train_dataloader.dataset.data_root=DATA/ \
                      val_dataloader.dataset.data_root=DATA/

for seeds 0, 1, 2: mAP@0.5 0.391, 0.426, 0.372 (2026-11-29; docs/results.md, "Learning
test"). Ours is not bit-for-bit reproducible across process contexts: the same seed gave
0.407 as a script (with 1 or 2 threads alike) and 0.332 inside pytest, the losses parting
in the 4th digit within the first 5 steps. So the bar is the original's lowest seed less
that spread (0.372 - 0.075, rounded down: 0.29): a test of learning, not of float noise.
It catches a model that learns markedly slower than the original's own code, which "better
than untrained" (tests/test_e2e/test_train_test_e2e.py) cannot. It does NOT separate the
old initialisation (mmcv's Kaiming fan-out in the neck, a head bias at a 1 % prior) on this
easy kind (0.457 as a script): that regression shows on the cluttered held-out sets, in
runs of minutes that are too slow for the suite (tools/analysis_tools/
compare_with_original.py checks those; docs/results.md).
"""
import os.path as osp

import pytest

from yolo_toolbox.datasets import make_demo_dataset

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(REPO, 'tests', 'test_e2e', 'learning_config.py')

# the original system's lowest mAP@0.5 after 24 epochs, less our run-to-run spread
ORIGINAL_MAP50 = 0.29


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('learning_demo_kind')
    make_demo_dataset(str(root), num_train=128, num_val=48, seed=11)
    return str(root) + '/'


def test_short_training_reaches_the_original_systems_map(tmp_path, data_root):
    from tools.test import main as test_main
    from tools.train import main as train_main

    options = [f'{key}.dataset.data_root={data_root}'
               for key in ('train_dataloader', 'val_dataloader', 'test_dataloader')]
    work_dir = tmp_path / 'train'
    train_main([CONFIG, '--work-dir', str(work_dir), '--cfg-options', *options])
    result = test_main([CONFIG, str(work_dir / 'epoch_24.pth'), '--work-dir',
                        str(tmp_path / 'test'), '--cfg-options', *options])
    assert result['det/mAP_50'] >= ORIGINAL_MAP50, result
