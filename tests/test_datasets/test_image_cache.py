"""cache='ram': decoded once, same values as the uncached pipeline (also with Mosaic and
dataloader workers), the memory budget checked up front, subsets, the YOLO-txt layout."""
import numpy as np
import pytest
import torch
from mmengine.dataset import pseudo_collate

import yolo_toolbox.datasets.image_cache as cache_module
from tests._tools import DEMO_CLASSES, load_tool
from yolo_toolbox.registry import DATASETS

PIPELINE = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'),
            dict(type='Letterbox', scale=(96, 96)), dict(type='PackDetInputs')]
MOSAIC = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'),
          dict(type='Mosaic', img_scale=(64, 64), prob=1.0),
          dict(type='Letterbox', scale=(96, 96)), dict(type='PackDetInputs')]


def voc(demo_set, pipeline=PIPELINE, **kwargs):
    cfg = dict(type='VOCDataset', data_root=demo_set['data_root'], years=demo_set['years'],
               split='trainval', metainfo=dict(classes=DEMO_CLASSES), pipeline=pipeline,
               test_mode=True)
    cfg.update(kwargs)
    return DATASETS.build(cfg)


def same(a, b):
    assert torch.equal(a['inputs'], b['inputs'])
    assert a['data_samples'].metainfo.keys() == b['data_samples'].metainfo.keys()
    assert torch.equal(a['data_samples'].gt_instances.bboxes.tensor
                       if hasattr(a['data_samples'].gt_instances.bboxes, 'tensor')
                       else a['data_samples'].gt_instances.bboxes,
                       b['data_samples'].gt_instances.bboxes.tensor
                       if hasattr(b['data_samples'].gt_instances.bboxes, 'tensor')
                       else b['data_samples'].gt_instances.bboxes)


def test_cached_values_equal_the_uncached_pipeline(demo_set, monkeypatch):
    plain, cached = voc(demo_set), voc(demo_set, cache='ram')
    assert cached._image_cache is not None and cached._image_cache.cached.all()
    for i in range(len(plain)):
        info = cached.get_data_info(i)
        assert not info['cached_img'].flags.writeable
        same(plain[i], cached[i])
    # the file is not read again: the cache serves even when the file is gone
    import yolo_toolbox.datasets.transforms.loading as loading
    expected = plain[0]
    monkeypatch.setattr(loading.MMCVLoadImageFromFile, 'transform',
                        lambda self, r: pytest.fail('read the file despite the cache'))
    same(expected, cached[0])
    monkeypatch.undo()
    # the cached pixels are not changed by transforms working in place
    out = cached.pipeline.transforms[0](cached.get_data_info(1))
    out['img'][:] = 0
    same(plain[1], cached[1])


def test_mosaic_and_training_mode_give_the_same_values(demo_set):
    plain = voc(demo_set, MOSAIC, test_mode=False)
    cached = voc(demo_set, MOSAIC, test_mode=False, cache='ram')
    for i in range(len(plain)):
        np.random.seed(i)
        a = plain[i]
        np.random.seed(i)
        same(a, cached[i])


def test_dataloader_workers_see_the_cache(demo_set):
    plain, cached = voc(demo_set), voc(demo_set, cache='ram')
    loader = torch.utils.data.DataLoader(cached, batch_size=3, num_workers=2,
                                         collate_fn=pseudo_collate,
                                         multiprocessing_context='fork')
    got = [s for batch in loader
           for s in (dict(inputs=x, data_samples=d)
                     for x, d in zip(batch['inputs'], batch['data_samples']))]
    assert len(got) == len(plain)
    for i, s in enumerate(got):
        same(plain[i], s)


def test_budget_error_names_the_dataset_and_numbers(demo_set, monkeypatch):
    monkeypatch.setattr(cache_module, 'available_memory', lambda: 1000)
    with pytest.raises(MemoryError, match=r"VOCDataset: cache='ram' needs 0\.\d\d GiB .*"
                                          r"0\.00 GiB free: use cache=None"):
        voc(demo_set, cache='ram')
    monkeypatch.setenv('LOCAL_WORLD_SIZE', '4')
    with pytest.raises(MemoryError, match='4 ranks on this node'):
        voc(demo_set, cache='ram')


def test_bad_cache_values_and_pipelines(demo_set):
    with pytest.raises(ValueError, match="cache must be None or 'ram'"):
        voc(demo_set, cache='gpu')
    with pytest.raises(ValueError, match='needs a LoadImageFromFile'):
        voc(demo_set, pipeline=[dict(type='LoadAnnotations')], cache='ram')


def test_subset_gets_its_own_cache(demo_set):
    plain, cached = voc(demo_set), voc(demo_set, cache='ram')
    sub = cached.get_subset([3, 1])
    assert len(sub._image_cache) == 2
    same(plain[3], sub[0])
    same(plain[1], sub[1])
    cached.get_subset_([2])
    same(plain[2], cached[0])


def test_yolo_txt_layout_caches_too(tmp_path):
    tool = load_tool('tools/misc/make_demo_dataset.py')
    tool.main([str(tmp_path / 'yolo'), '--num-train', '3', '--num-val', '2', '--format', 'yolo'])
    cfg = dict(type='YOLOTxtDataset', split='train', test_mode=True, pipeline=PIPELINE,
               data_yaml=str(tmp_path / 'yolo' / 'data.yaml'))
    plain, cached = DATASETS.build(cfg), DATASETS.build(dict(cfg, cache='ram'))
    assert cached._image_cache.cached.all()
    for i in range(len(plain)):
        same(plain[i], cached[i])


def test_benchmark_tool_runs(demo_set, capsys):
    tool = load_tool('tools/analysis_tools/benchmark_image_cache.py')
    summary = tool.main(['configs/demo/yolo_demo_nearby.py', '--reps', '1', '--train-epochs', '1',
                         '--cfg-options',
                         f'train_dataloader.dataset.data_root={demo_set["data_root"]}'])
    assert summary['images'] == 8
    assert set(summary['pass']) == set(summary['train']) == {'None', 'ram'}
    assert 'pipeline pass (no model)' in capsys.readouterr().out
