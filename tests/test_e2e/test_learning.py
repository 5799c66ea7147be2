"""Learning tests: a short training must reach the mAP the original system reaches.

Two tests. The fast one (below) guards against gross learning regressions on an easy
set in under a minute. The slow one (``test_glyphs_training_...``, about 3.5 min on 2
cores) is the one that catches the quality issue's regression, the old initialisation.

``learning_config.py`` is the original's recipe (ResNet-18 x0.25, nearby grid, Adam at a
constant LR, letterbox + flip, no EMA) with LR 4e-3 and batch 8, at 160 px, on a small set
of the demo's kind made with another seed (128 train / 48 test images, seed 11): 24 epochs
= 384 steps.

The bar, ORIGINAL_MAP50, is what the original system's own model and loss reach with the
same data, batches, steps and evaluation, measured with

    python projects/original_comparison/compare_with_original.py tests/test_e2e/learning_config.py \
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
easy kind (0.457 as a script), nor on any set that learns in a minute (docs/results.md,
"Learning test"): the slow test does.
"""
import os.path as osp

import pytest
from _tools import make_demo_dataset, make_heldout_dataset

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(REPO, 'tests', 'test_e2e', 'learning_config.py')
GLYPHS_CONFIG = osp.join(REPO, 'tests', 'test_e2e', 'learning_glyphs_config.py')

# the original system's lowest mAP@0.5 after 24 epochs, less our run-to-run spread
ORIGINAL_MAP50 = 0.29


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('learning_demo_kind')
    make_demo_dataset(str(root), num_train=128, num_val=48, seed=11)
    return str(root) + '/'


def _train_and_test(config, data_root, epochs, tmp_path):
    from tools.test import main as test_main
    from tools.train import main as train_main

    options = [f'{key}.dataset.data_root={data_root}'
               for key in ('train_dataloader', 'val_dataloader', 'test_dataloader')]
    work_dir = tmp_path / 'train'
    train_main([config, '--work-dir', str(work_dir), '--cfg-options', *options])
    return test_main([config, str(work_dir / f'epoch_{epochs}.pth'), '--work-dir',
                      str(tmp_path / 'test'), '--cfg-options', *options])


def test_short_training_reaches_the_original_systems_map(tmp_path, data_root):
    result = _train_and_test(CONFIG, data_root, 24, tmp_path)
    assert result['det/mAP_50'] >= ORIGINAL_MAP50, result


# The original system's mAP@0.5 after 12 epochs (450 steps) on the glyphs set below, seed 0
GLYPHS_ORIGINAL_MAP50 = 0.09


def test_glyphs_training_reaches_the_original_systems_map(tmp_path):
    """The regression of the quality issue, caught: 456 steps of the original's recipe
    (``learning_glyphs_config.py``: 320 px, batch 16, Adam 1e-3 constant) on a cluttered
    glyphs set (600 train / 200 test images, the ablation set: kind 'glyphs', seed 1).

    The bar is what the original system's own model and loss reach there with the same
    batches and seed (0): mAP@0.5 0.090 (seeds 1, 2: 0.071, 0.040), measured with

        python projects/original_comparison/compare_with_original.py \
            configs/heldout/original_recipe_glyphs.py --original PATH/simple-yolo-pytorch \
            --epochs 12 --threads 1 --seed S --cfg-options \
            train_dataloader.dataset.data_root=DATA/ val_dataloader.dataset.data_root=DATA/

    (the ablation of docs/results.md). Ours reaches 0.122 / 0.134 / 0.103 (seeds 0-2)
    there, and 0.123 at seed 0 through tools/train.py, as a script and in pytest alike;
    with the old initialisation (``model.neck.conv_init=kaiming_fan_out
    model.bbox_head.conv_bias=True model.bbox_head.prior_prob=0.01``) 0.070 / 0.079 /
    0.060, and 0.061 at seed 0 through tools/train.py: below the bar. The bar is the
    original's best seed: at 456 steps the original itself is not reliably ahead of the
    old initialisation (seeds 1 and 2), ours is ahead of both at every seed
    (docs/results.md, "Learning test").
    """
    root = tmp_path / 'glyphs'
    make_heldout_dataset(str(root), 'glyphs', num_train=600, num_val=200, seed=1)
    result = _train_and_test(GLYPHS_CONFIG, str(root) + '/', 12, tmp_path)
    assert result['det/mAP_50'] >= GLYPHS_ORIGINAL_MAP50, result
