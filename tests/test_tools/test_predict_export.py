"""tools/predict.py, tools/deployment/export_onnx.py, tools/analysis_tools/{get_flops,benchmark}.py
on a tiny detector (ResNet-18 x0.25, 3 classes, 128 px) with initial weights."""
import json
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config

from tests._tools import load_tool
from yolo_toolbox.apis import init_detector

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TINY = ['model.backbone.channel_sparsity=0.25', 'model.bbox_head.num_classes=3']


@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    """(config path, checkpoint path) of a tiny detector at 128 px."""
    root = tmp_path_factory.mktemp('tiny')
    cfg = Config.fromfile(osp.join(REPO, 'configs/yolo_r18_nearby.py'))
    cfg.model.backbone.channel_sparsity = 0.25
    cfg.model.bbox_head.num_classes = 3
    for step in cfg.test_dataloader.dataset.pipeline:
        if step['type'] == 'Letterbox':
            step['scale'] = (128, 128)
    config = str(root / 'tiny.py')
    cfg.dump(config)
    torch.manual_seed(0)
    model = init_detector(config)
    checkpoint = str(root / 'tiny.pth')
    torch.save(dict(state_dict=model.state_dict(),
                    meta=dict(dataset_meta=dict(classes=('ellipse', 'rectangle', 'star')))),
               checkpoint)
    return config, checkpoint


def test_predict_folder_skips_corrupt_image(tiny, tmp_path, capsys):
    config, checkpoint = tiny
    images = tmp_path / 'images'
    (images / 'sub').mkdir(parents=True)
    rng = np.random.default_rng(0)
    cv2.imwrite(str(images / 'wide.jpg'), rng.integers(0, 256, (90, 200, 3), dtype=np.uint8))
    cv2.imwrite(str(images / 'sub' / 'tall.png'),
                rng.integers(0, 256, (160, 70, 3), dtype=np.uint8))
    (images / 'broken.jpg').write_bytes(b'\xff\xd8 these are not jpeg bytes')
    out_dir = tmp_path / 'out'
    predict = load_tool('tools/predict.py')
    code = predict.main([config, checkpoint, str(images), '--out-dir', str(out_dir),
                         '--score-thr', '0.0', '--batch-size', '2',
                         '--cfg-options', 'model.bbox_head.test_cfg.max_per_img=5'])
    assert code == 0
    printed = capsys.readouterr().out
    assert 'broken.jpg' in printed and 'predictions.json' in printed
    assert (out_dir / 'vis' / 'wide.jpg').is_file()
    assert (out_dir / 'vis' / 'sub' / 'tall.png').is_file()
    assert not (out_dir / 'vis' / 'broken.jpg').exists()
    drawn = cv2.imread(str(out_dir / 'vis' / 'wide.jpg'))
    # pictures of images under 512 px are drawn enlarged to 512 (longer side), aspect kept
    assert drawn.shape == (round(90 * 512 / 200), 512, 3)

    records = json.loads((out_dir / 'predictions.json').read_text())
    assert [osp.basename(r['file']) for r in records] == ['tall.png', 'wide.jpg']
    for record in records:
        assert set(record) == {'file', 'width', 'height', 'detections'}
        assert len(record['detections']) == 5
        for det in record['detections']:
            assert set(det) == {'bbox', 'score', 'label', 'class_name'}
            x1, y1, x2, y2 = det['bbox']
            assert 0 <= x1 <= x2 <= record['width'] and 0 <= y1 <= y2 <= record['height']
            assert det['class_name'] == ('ellipse', 'rectangle', 'star')[det['label']]
    assert (records[0]['width'], records[0]['height']) == (70, 160)


def test_predict_without_readable_images_fails(tiny, tmp_path):
    config, checkpoint = tiny
    bad = tmp_path / 'bad.jpg'
    bad.write_bytes(b'garbage')
    predict = load_tool('tools/predict.py')
    assert predict.main([config, checkpoint, str(bad), '--out-dir', str(tmp_path / 'o')]) == 1


@pytest.mark.parametrize('with_nms', [False, True])
def test_export_onnx_matches_pytorch(tiny, tmp_path, with_nms):
    pytest.importorskip('onnx')
    pytest.importorskip('onnxruntime')
    config, checkpoint = tiny
    export_onnx = load_tool('tools/deployment/export_onnx.py')
    out = str(tmp_path / 'tiny.onnx')
    argv = [config, checkpoint, '--out', out, '--dynamic-batch', '--runs', '2', '--threads', '1']
    report = export_onnx.main(argv + (['--with-nms'] if with_nms else []))
    assert osp.isfile(out)
    ort = report['onnxruntime']  # BN folded and simplified vs PyTorch with BN
    assert ort['boxes_max_abs_diff'] < 1e-2 and ort['scores_max_abs_diff'] < 1e-4
    assert all(v < 1e-2 for v in report['batch2_max_abs_diff']['onnxruntime'].values())
    assert report['torch_ms'] > 0 and ort['ms'] > 0
    if with_nms:
        assert ort['num_dets'][0] == ort['num_dets'][1]


def test_get_flops(tiny):
    config, _ = tiny
    result = load_tool('tools/analysis_tools/get_flops.py').main([config, '--shape', '128'])
    params, flops = result['total']
    assert flops > 0
    assert params == sum(result[part][0] for part in ('backbone', 'neck', 'bbox_head'))
    assert flops == pytest.approx(sum(result[part][1] for part in ('backbone', 'neck',
                                                                    'bbox_head')))


def test_benchmark_runs(tiny, tmp_path):
    config, _ = tiny
    out_json = tmp_path / 'bench.json'
    threads = torch.get_num_threads()
    load_tool('tools/analysis_tools/benchmark.py').main(
        [config, '--shape', '64', '--batch-size', '2', '--iters', '1', '--warmup', '0',
         '--threads', '1',
         '--data-root', str(tmp_path / 'no_data'), '--out-json', str(out_json)])
    results = json.loads(out_json.read_text())
    assert results['threads'] == 1 and torch.get_num_threads() == threads  # restored
    assert results['data_pipeline_img_s'] is None  # no dataset there
    for key in ('train_img_s', 'infer_b1_ms', 'infer_b16_img_s', 'assign_ms'):
        assert results[key] > 0


@pytest.mark.parametrize('score_thr', [0.001, 0.3, 1.0])
def test_export_nms_equals_predict_by_feat(tiny, score_thr):
    """The exportable NMS of YOLOExportModel gives the head's own detections."""
    from yolo_toolbox.models.detectors.export import YOLOExportModel
    model = init_detector(tiny[0], tiny[1])
    test_cfg = dict(score_thr=score_thr, max_per_img=7)
    wrapper = YOLOExportModel(model, with_nms=True, test_cfg=test_cfg).eval()
    images = torch.rand(2, 3, 128, 128, generator=torch.Generator().manual_seed(0)) * 255
    with torch.no_grad():
        dets = wrapper(images)[0]
        preds = model(wrapper.normalise(images), mode='tensor')
        expected = model.bbox_head.predict_by_feat(preds, [{}, {}], rescale=False, cfg=test_cfg)
    assert dets.shape[1] == 7
    for i, pred in enumerate(expected):
        mine = dets[dets[:, 0] == i]
        assert len(mine) == len(pred) <= 7
        torch.testing.assert_close(mine[:, 1:5], pred.bboxes)
        torch.testing.assert_close(mine[:, 5], pred.scores)
        assert torch.equal(mine[:, 6].long(), pred.labels)
    if score_thr == 1.0:
        assert dets.shape == (0, 7)
