"""Deployment: Conv+BN folding, ONNX / OpenVINO export parity, predict --backend.

A tiny detector (ResNet-18 x0.25, 3 classes, 128 px) with initial weights, BN statistics
set away from their defaults (so that folding has something to fold) and a wider spread
of head outputs (so that scores are not all tied and NMS order is stable).

Tolerances (float32 throughout): boxes are in network-input pixels and reach ~1500 px
(w = (2 sigmoid)^2 * anchor, anchors up to 373 px), so float32 rounding alone is ~1e-4 px
there, and folding BN changes the order of the float operations in every layer; 1e-2 px
(a hundredth of a pixel) leaves two orders of magnitude for that and still fails on any
real error (a wrong fold or decode moves boxes by pixels). Scores are products of two
sigmoids in [0, 1]: 1e-4.
"""
import glob
import importlib.util
import json
import os.path as osp
import warnings

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from torch import nn

from tests._tools import load_tool
from yolo_toolbox.apis import init_detector
from yolo_toolbox.models.detectors.export import YOLOExportModel, fuse_conv_bn

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
BOX_TOL, SCORE_TOL = 1e-2, 1e-4


def randomise_bn_(model: nn.Module, seed: int = 0) -> None:
    gen = torch.Generator().manual_seed(seed)
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            n = module.num_features
            module.running_mean.copy_(torch.randn(n, generator=gen) * 0.1)
            module.running_var.copy_(torch.rand(n, generator=gen) + 0.5)
            module.weight.data.copy_(torch.rand(n, generator=gen) + 0.5)
            module.bias.data.copy_(torch.randn(n, generator=gen) * 0.1)


def tiny_cfg(backbone: str = 'resnet') -> Config:
    cfg = Config.fromfile(osp.join(REPO, 'configs/yolo_r18_nearby.py'))
    cfg.model.backbone.channel_sparsity = 0.25
    if backbone == 'darknet':
        cfg.model.backbone = dict(type='Darknet', channel_sparsity=0.125)
    cfg.model.bbox_head.num_classes = 3
    for step in cfg.test_dataloader.dataset.pipeline:
        if step['type'] == 'Letterbox':
            step['scale'] = (128, 128)
    return cfg


@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    """(config path, checkpoint path, exported .onnx, exported .xml or None)."""
    pytest.importorskip('onnx')
    pytest.importorskip('onnxruntime')
    root = tmp_path_factory.mktemp('deploy')
    config = str(root / 'tiny.py')
    tiny_cfg().dump(config)
    torch.manual_seed(0)
    model = init_detector(config)
    randomise_bn_(model)
    for conv in model.bbox_head.convs:  # spread the scores: fewer near-ties in NMS order
        conv.weight.data.mul_(4)
    checkpoint = str(root / 'tiny.pth')
    torch.save(dict(state_dict=model.state_dict(),
                    meta=dict(dataset_meta=dict(classes=('ellipse', 'rectangle', 'star')))),
               checkpoint)
    onnx_path = str(root / 'tiny.onnx')
    export = load_tool('tools/deployment/export_onnx.py')
    argv = [config, checkpoint, '--out', onnx_path, '--runs', '1', '--threads', '1',
            '--dynamic-batch']
    has_openvino = importlib.util.find_spec('openvino') is not None
    report = export.main(argv + (['--openvino'] if has_openvino else []))
    xml = onnx_path[:-5] + '.xml' if has_openvino else None
    return config, checkpoint, onnx_path, xml, report


@pytest.mark.parametrize('backbone', ['resnet', 'darknet'])
def test_fuse_conv_bn_keeps_outputs(backbone):
    """Folding BN into the convs: no BN left, the same raw outputs (float rounding)."""
    from yolo_toolbox.registry import MODELS
    torch.manual_seed(0)
    model = MODELS.build(tiny_cfg(backbone).model)
    model.init_weights()
    randomise_bn_(model)
    model.eval()
    images = torch.randn(2, 3, 64, 96, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected = model(images)
        num_bn = sum(isinstance(m, nn.BatchNorm2d) for m in model.modules())
        fused = fuse_conv_bn(model)
        actual = fused(images)
    assert num_bn > 0
    assert not any(isinstance(m, nn.BatchNorm2d) for m in fused.modules())
    for exp, act in zip(expected, actual):
        # raw outputs of order 1-10: float32 rounding of reordered sums, nothing more
        torch.testing.assert_close(act, exp, rtol=1e-4, atol=1e-4)


def test_export_model_fuse_bn_leaves_detector():
    from yolo_toolbox.registry import MODELS
    model = MODELS.build(tiny_cfg().model).eval()
    wrapper = YOLOExportModel(model, fuse_bn=True)
    assert any(isinstance(m, nn.BatchNorm2d) for m in model.modules())
    assert not any(isinstance(m, nn.BatchNorm2d) for m in wrapper.modules())


def test_onnxruntime_export_parity(tiny):
    report = tiny[4]
    entry = report['onnxruntime']
    assert entry['boxes_max_abs_diff'] < BOX_TOL and entry['scores_max_abs_diff'] < SCORE_TOL
    batch2 = report['batch2_max_abs_diff']['onnxruntime']
    assert batch2['boxes_max_abs_diff'] < BOX_TOL and batch2['scores_max_abs_diff'] < SCORE_TOL
    import onnx
    graph = onnx.load(tiny[2]).graph
    assert not any(node.op_type == 'BatchNormalization' for node in graph.node)


def test_openvino_export_parity(tiny):
    pytest.importorskip('openvino', reason='openvino is an optional deployment dependency')
    entry = tiny[4]['openvino']
    assert entry['boxes_max_abs_diff'] < BOX_TOL and entry['scores_max_abs_diff'] < SCORE_TOL
    batch2 = tiny[4]['batch2_max_abs_diff']['openvino']
    assert batch2['boxes_max_abs_diff'] < BOX_TOL and batch2['scores_max_abs_diff'] < SCORE_TOL
    # bf16 (8-bit mantissa) is reported, not held to fp32's tolerance
    assert np.isfinite(tiny[4]['openvino_bf16']['scores_max_abs_diff'])


@pytest.mark.parametrize('backend', ['onnxruntime', 'openvino'])
def test_predict_backend_matches_pytorch(tiny, tmp_path, backend):
    """tools/predict.py --backend: the exported model gives PyTorch's detections."""
    if backend == 'openvino':
        pytest.importorskip('openvino', reason='openvino is an optional deployment dependency')
    config, checkpoint, onnx_path, xml, _ = tiny
    rng = np.random.default_rng(0)
    images = tmp_path / 'images'
    images.mkdir()
    cv2.imwrite(str(images / 'a.jpg'), rng.integers(0, 256, (90, 200, 3), dtype=np.uint8))
    cv2.imwrite(str(images / 'b.png'), rng.integers(0, 256, (160, 70, 3), dtype=np.uint8))
    predict = load_tool('tools/predict.py')
    common = ['--score-thr', '0.0', '--batch-size', '2',
              '--cfg-options', 'model.bbox_head.test_cfg.max_per_img=5']
    records = {}
    for name, model_file in (('pytorch', checkpoint),
                             (backend, onnx_path if backend == 'onnxruntime' else xml)):
        out_dir = tmp_path / name
        # OpenVINO in fp32: its default on a bf16 CPU is bf16 (test_test_backend_...)
        precision = ['--precision', 'fp32'] if name == 'openvino' else []
        assert predict.main([config, model_file, str(images), '--out-dir', str(out_dir),
                             '--backend', name, '--threads', '1'] + precision + common) == 0
        records[name] = json.loads((out_dir / 'predictions.json').read_text())
    for ref, got in zip(records['pytorch'], records[backend]):
        assert ref['file'] == got['file'] and len(ref['detections']) == len(got['detections']) == 5
        for det in got['detections']:  # each has its twin in PyTorch's (order may tie)
            # bbox and score are rounded to 2 and 4 decimals in the JSON: one unit of slack
            assert any(det['class_name'] == det_ref['class_name']  # names from the export
                       and np.abs(np.subtract(det['bbox'], det_ref['bbox'])).max()
                       <= BOX_TOL + 0.01
                       and abs(det['score'] - det_ref['score']) <= SCORE_TOL + 1e-4
                       for det_ref in ref['detections']), (det, ref['detections'])


def _three_class_test_set(root) -> None:
    """4 test images of noise with 1-3 boxes of the tiny model's classes, VOC layout."""
    from tests._tools import write_voc_set

    def make_image(i):
        rng = np.random.default_rng(i)
        img = rng.integers(0, 256, (96 + 16 * i, 160 - 8 * i, 3), dtype=np.uint8)
        objects = []
        for k in range(1 + i % 3):
            x1, y1 = int(rng.integers(0, 60)), int(rng.integers(0, 40))
            objects.append(dict(name=('ellipse', 'rectangle', 'star')[k],
                                box=(x1, y1, x1 + int(rng.integers(12, 60)),
                                     y1 + int(rng.integers(12, 50))),
                                truncated=0, difficult=0))
        return img, objects
    write_voc_set(str(root), 'VOC2007', 0, 4, make_image, jpeg_quality=95)


@pytest.mark.parametrize('backend', ['onnxruntime', 'openvino'])
def test_test_backend_evaluates_the_export_as_pytorch(tiny, tmp_path, backend):
    """tools/test.py --backend: the exported model through the test loader, NMS and metric
    gives PyTorch's detections (dumped with --out) and PyTorch's mAP."""
    if backend == 'openvino':
        pytest.importorskip('openvino', reason='openvino is an optional deployment dependency')
    import pickle
    _, checkpoint, onnx_path, xml, _ = tiny
    _three_class_test_set(tmp_path / 'data')
    cfg = tiny_cfg()
    cfg.test_dataloader.update(batch_size=3, num_workers=0, persistent_workers=False)
    cfg.test_dataloader.dataset.update(data_root=str(tmp_path / 'data') + '/',
                                       metainfo=dict(classes=('ellipse', 'rectangle', 'star')))
    config = str(tmp_path / 'eval.py')
    cfg.dump(config)
    test = load_tool('tools/test.py')
    results, metrics = {}, {}
    for name, model_file in (('pytorch', checkpoint),
                             (backend, onnx_path if backend == 'onnxruntime' else xml)):
        extra = ['--backend', name, '--threads', '1'] if name != 'pytorch' else []
        extra += ['--precision', 'fp32'] if name == 'openvino' else []
        out = str(tmp_path / f'{name}.pkl')
        metrics[name] = test.main([config, model_file, '--work-dir', str(tmp_path / name),
                                   '--out', out] + extra)
        with open(out, 'rb') as f:
            results[name] = pickle.load(f)
    assert len(results['pytorch']) == len(results[backend]) == 4
    for ref, got in zip(results['pytorch'], results[backend]):
        assert ref['img_id'] == got['img_id']
        ref_pred, got_pred = ref['pred_instances'], got['pred_instances']
        assert len(ref_pred['scores']) == len(got_pred['scores']) > 0
        # each of the best 20 boxes has its twin in PyTorch's (equal scores may swap places)
        for i in got_pred['scores'].argsort(descending=True)[:20].tolist():
            twins = ((ref_pred['labels'] == got_pred['labels'][i])
                     & ((ref_pred['scores'] - got_pred['scores'][i]).abs() <= SCORE_TOL)
                     & ((ref_pred['bboxes'] - got_pred['bboxes'][i]).abs().amax(1) <= BOX_TOL))
            assert twins.any(), (i, got_pred['bboxes'][i], got_pred['scores'][i])
    for key in ('det/mAP_50', 'det/mAP_50_95'):
        assert abs(metrics[backend][key] - metrics['pytorch'][key]) < 1e-3, (key, metrics)


def test_openvino_precision_auto_and_refusals(tiny):
    pytest.importorskip('openvino', reason='openvino is an optional deployment dependency')
    from yolo_toolbox.deployment import OpenVINOModel
    xml = tiny[3]
    assert OpenVINOModel(xml, 1, 'f32').precision == 'f32'
    assert OpenVINOModel(xml, 1, 'auto').precision in ('f32', 'bf16')  # the CPU decides
    with pytest.raises(ValueError, match='precision must be one of'):
        OpenVINOModel(xml, 1, 'fp16')
    for tool in ('tools/test.py', 'tools/predict.py'):  # --precision is OpenVINO's
        extra = [] if tool == 'tools/test.py' else ['images/']
        with pytest.raises(SystemExit):
            load_tool(tool).parse_args(['c.py', 'm.onnx', *extra, '--backend', 'onnxruntime',
                                        '--precision', 'bf16'])


@pytest.mark.slow
def test_int8_export_calibrates_quantizes_and_runs(tiny, tmp_path):
    """--int8: an int8 OpenVINO IR (FakeQuantize ops, batch 1, class names kept) that the
    OpenVINO backend runs; calibration images from --calib-dir or the training split."""
    pytest.importorskip('openvino', reason='openvino is an optional deployment dependency')
    pytest.importorskip('nncf', reason='nncf is an optional deployment dependency')
    import openvino as ov

    from yolo_toolbox.deployment import OpenVINOModel, calibration_paths
    config, checkpoint = tiny[0], tiny[1]
    calib = tmp_path / 'calib'
    (calib / 'sub').mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(6):
        cv2.imwrite(str(calib / ('sub' if i % 2 else '') / f'{i}.jpg'),
                    rng.integers(0, 256, (90 + 10 * i, 160, 3), dtype=np.uint8))
    export = load_tool('tools/deployment/export_onnx.py')
    out = str(tmp_path / 'm.onnx')
    report = export.main([config, checkpoint, '--out', out, '--int8', '--calib-dir', str(calib),
                          '--calib-images', '4', '--runs', '1', '--threads', '1',
                          '--dynamic-batch'])
    xml = str(tmp_path / 'm_int8.xml')
    model = ov.Core().read_model(xml)
    assert sum(op.get_type_name() == 'FakeQuantize' for op in model.get_ops()) > 10
    assert list(model.inputs[0].get_shape()) == [1, 3, 128, 128]
    runner = OpenVINOModel(xml, 1, 'f32')
    assert runner.classes == ('ellipse', 'rectangle', 'star')
    boxes, scores = runner(np.zeros((1, 3, 128, 128), np.float32))
    assert boxes.shape[-1] == 4 and scores.shape[-1] == 3 and np.isfinite(scores).all()
    # reported (int8 is not held to fp32's tolerance), and left out of the batch-2 check
    assert np.isfinite(report['openvino_int8']['scores_max_abs_diff'])
    assert 'openvino_int8' not in report['batch2_max_abs_diff']
    paths = calibration_paths(None, str(calib), 4)
    assert len(paths) == 4 and all(p.endswith('.jpg') for p in paths)
    assert paths == calibration_paths(None, str(calib), 4)  # the same draw


def test_int8_calibration_errors_name_the_problem(tmp_path):
    from yolo_toolbox.deployment import calibration_paths
    with pytest.raises(ValueError, match='no such folder'):
        calibration_paths(None, str(tmp_path / 'missing'), 4)
    (tmp_path / 'empty').mkdir()
    with pytest.raises(ValueError, match='no calibration images'):
        calibration_paths(None, str(tmp_path / 'empty'), 4)
    cfg = tiny_cfg()  # VOC under data/VOCdevkit/: not on this machine
    cfg.train_dataloader.dataset.data_root = str(tmp_path / 'no_voc') + '/'
    with pytest.raises(ValueError, match='--calib-dir'):
        calibration_paths(cfg, None, 4)


@pytest.mark.parametrize('backend', ['onnxruntime', 'openvino'])
def test_exports_carry_the_box_coder_settings(tiny, tmp_path, backend):
    from yolo_toolbox.apis.deploy import init_backend_detector
    from yolo_toolbox.deployment import load_backend
    config, _, onnx_path, xml, _ = tiny
    if backend == 'openvino' and xml is None:
        pytest.skip('openvino is an optional deployment dependency')
    path = onnx_path if backend == 'onnxruntime' else xml
    runner = load_backend(path, backend)
    expected = init_detector(config).bbox_head.bbox_coder.config()
    assert runner.coder == {**expected, 'centre_reach': list(expected['centre_reach'])}
    with warnings.catch_warnings():
        warnings.simplefilter('error')  # the same coder: no warning
        init_backend_detector(config, path, backend)
    # a config whose coder differs: the export's boxes stay right, the mismatch is named
    with pytest.warns(UserWarning, match=r"wh_decode 'sigmoid_square' \(export\) vs 'exp'"):
        init_backend_detector(config, path, backend,
                              cfg_options={'model.bbox_head.bbox_coder.wh_decode': 'exp'})


def test_one_step_tools_convert_quantize_and_check(tiny, tmp_path):
    """export_openvino.py, quantize_int8.py and check_export.py: the steps of
    export_onnx.py, one at a time, on files written earlier."""
    config, checkpoint, onnx_path, _, report = tiny
    check = load_tool('tools/deployment/check_export.py')
    again = check.main([config, checkpoint, onnx_path, '--runs', '1', '--threads', '1',
                        '--batch2'])
    for key in ('boxes_max_abs_diff', 'scores_max_abs_diff'):  # the exporter's own check
        assert again['onnxruntime'][key] == pytest.approx(report['onnxruntime'][key], abs=1e-6)
    assert again['batch2_max_abs_diff']['onnxruntime']['boxes_max_abs_diff'] < BOX_TOL
    with pytest.raises(SystemExit, match='no such file'):
        check.main([config, checkpoint, str(tmp_path / 'missing.onnx')])
    pytest.importorskip('openvino', reason='openvino is an optional deployment dependency')
    from yolo_toolbox.deployment import OpenVINOModel
    xml = load_tool('tools/deployment/export_openvino.py').main(
        [onnx_path, '--out', str(tmp_path / 'again.xml')])
    assert OpenVINOModel(xml, 1, 'f32').classes == ('ellipse', 'rectangle', 'star')
    entry = check.main([config, checkpoint, xml, '--runs', '1', '--threads', '1'])['openvino']
    assert entry['boxes_max_abs_diff'] < BOX_TOL and entry['scores_max_abs_diff'] < SCORE_TOL
    pytest.importorskip('nncf', reason='nncf is an optional deployment dependency')
    calib = tmp_path / 'calib'
    calib.mkdir()
    rng = np.random.default_rng(0)
    for i in range(3):
        cv2.imwrite(str(calib / f'{i}.jpg'), rng.integers(0, 256, (100, 150, 3), np.uint8))
    quantize = load_tool('tools/deployment/quantize_int8.py')
    int8 = quantize.main([config, xml, '--calib-dir', str(calib), '--calib-images', '3'])
    assert int8 == str(tmp_path / 'again_int8.xml')
    assert OpenVINOModel(int8, 1, 'f32').classes == ('ellipse', 'rectangle', 'star')
    (tmp_path / 'no_images').mkdir()
    (tmp_path / 'no_images' / 'notes.txt').write_text('not an image')
    with pytest.raises(SystemExit, match='no calibration images'):
        quantize.main([config, xml, '--calib-dir', str(tmp_path / 'no_images')])


def test_apis_parse_no_arguments():
    """The backend options of tools/predict.py and tools/test.py live in
    yolo_toolbox.deployment.cli_options; their old names in apis.deploy warn."""
    import yolo_toolbox.apis.deploy as deploy
    from yolo_toolbox.deployment import cli_options
    for name in ('add_backend_arguments', 'backend_kwargs', 'PRECISION_ARGS'):
        with pytest.warns(DeprecationWarning, match='cli_options'):
            assert getattr(deploy, name) is getattr(cli_options, name)
    for path in glob.glob(osp.join(REPO, 'yolo_toolbox', 'apis', '*.py')):
        with open(path) as f:
            source = f.read()
        assert 'argparse' not in source and 'add_argument' not in source, path
