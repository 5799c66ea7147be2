"""Learning tests: a short training must reach the mAP@0.5 that the original system
(simple-yolo-pytorch) reaches with the same data, batches, steps and evaluation.

Both tests train for a minute or more on a CPU and carry the ``slow`` marker (``pytest -m "not
slow"`` leaves them out; ``tools/run_tests.sh`` runs them).

``test_short_training_reaches_the_original_systems_map`` trains ``learning_config.py``,
the original's recipe (ResNet-18 x0.25, nearby grid, Adam at a constant LR, letterbox +
flip, no EMA) with LR 4e-3 and batch 8 at 160 px, for 24 epochs = 384 steps on a small
set of the demo's kind (128 train / 48 test images, seed 11). It asserts mAP@0.5 >=
``ORIGINAL_MAP50``.

Why the bar is 0.29: the original system's own model and loss reach 0.391, 0.426 and
0.372 there at seeds 0, 1 and 2 (``projects/original_comparison/compare_with_original.py
tests/test_e2e/learning_config.py --systems original --epochs 24 --seed S``; the table is
in docs/results.md, "Learning test"). This toolbox's run is not bit-for-bit reproducible
across process contexts: one seed has given 0.407 as a script and 0.332 inside pytest, the
losses differing in the 4th digit within the first 5 steps. The bar is therefore the
original's lowest seed less that spread (0.372 - 0.075, rounded down), so that the test
fails on a model that learns markedly slower than the original's code and not on float
noise. It catches what "better than untrained" (tests/test_e2e/test_train_test_e2e.py)
cannot. It does not separate the old initialisation (mmcv's Kaiming fan-out in the neck,
a head bias at a 1 % prior), which also passes on this easy kind of set; the glyphs test
below does.
"""
import os.path as osp

import pytest

from tests._tools import make_demo_dataset, make_heldout_dataset

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


@pytest.mark.slow
def test_short_training_reaches_the_original_systems_map(tmp_path, data_root):
    result = _train_and_test(CONFIG, data_root, 24, tmp_path)
    assert result['det/mAP_50'] >= ORIGINAL_MAP50, result


# the original system's best mAP@0.5 after 12 epochs on the glyphs set below (seed 0)
GLYPHS_ORIGINAL_MAP50 = 0.09


@pytest.mark.slow
def test_glyphs_training_reaches_the_original_systems_map(tmp_path):
    """456 steps of the original's recipe (``learning_glyphs_config.py``: 320 px, batch
    16, Adam 1e-3 constant, 12 epochs) on a cluttered glyphs set (600 train / 200 test
    images; the ablation set of docs/results.md: kind 'glyphs', seed 1) must reach
    mAP@0.5 >= ``GLYPHS_ORIGINAL_MAP50``.

    This is the test that separates the current initialisation from the old one (the
    regression of the quality issue). Why the bar is 0.09: it is the original system's
    best seed there with the same batches (0.090 at seed 0; 0.071 and 0.040 at seeds 1
    and 2; ``compare_with_original.py configs/heldout/original_recipe_glyphs.py --epochs
    12 --threads 1 --seed S``). The current initialisation reaches 0.122 / 0.134 / 0.103
    at seeds 0-2 and 0.123 at seed 0 through ``tools/train.py``, as a script and in
    pytest alike. The old initialisation (``model.neck.conv_init=kaiming_fan_out
    model.bbox_head.conv_bias=True model.bbox_head.prior_prob=0.01``) reaches 0.070 /
    0.079 / 0.060, and 0.061 at seed 0, below the bar. At 456 steps the original itself
    is not reliably ahead of the old initialisation (seeds 1 and 2), so a lower bar would
    let the old initialisation pass. The table is in docs/results.md, "Learning test".
    """
    root = tmp_path / 'glyphs'
    make_heldout_dataset(str(root), 'glyphs', num_train=600, num_val=200, seed=1)
    result = _train_and_test(GLYPHS_CONFIG, str(root) + '/', 12, tmp_path)
    assert result['det/mAP_50'] >= GLYPHS_ORIGINAL_MAP50, result
