"""Every config's tta_pipeline is its test pipeline with the packing inside TestTimeAug
(a config that changes test_pipeline must change tta_pipeline too), and tta_model
builds around its model."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(p for p in glob.glob(osp.join(REPO, 'configs', '**', '*.py'), recursive=True)
                 if '_base_' not in p)


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: osp.relpath(p, REPO))
def test_tta_pipeline_follows_the_test_pipeline(path):
    cfg = Config.fromfile(path)
    assert cfg.tta_model['type'] == 'YOLOTTAModel'
    test_pipeline = cfg.test_dataloader.dataset.pipeline
    tta_pipeline = cfg.tta_pipeline
    assert tta_pipeline[:-1] == test_pipeline[:-1], 'tta_pipeline is stale: remake it'
    tta = tta_pipeline[-1]
    assert tta['type'] == 'TestTimeAug'
    passes, packs = tta['transforms']
    assert all(p['type'] == 'TTAPass' for p in passes)
    (pack, ) = packs
    assert pack['type'] == test_pipeline[-1]['type']
    assert {'tta_scale', 'tta_flip'} <= set(pack['meta_keys'])
