"""init_detector / inference_detector on a tiny detector (ResNet-18 x0.25, 3 classes, 128 px)."""
import types

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import EMAHook

from yolo_toolbox.apis import dataset_meta_from_config, inference_detector, init_detector
from yolo_toolbox.datasets import VOC_CLASSES

CONFIG = 'configs/yolo_r18_nearby.py'


def tiny_config(size: int = 128) -> Config:
    cfg = Config.fromfile(CONFIG)
    cfg.model.backbone.channel_sparsity = 0.25
    cfg.model.bbox_head.num_classes = 3
    # initial weights score ~1e-4: keep every box so that there is something to check
    cfg.model.bbox_head.test_cfg.update(score_thr=0.0, max_per_img=20)
    for step in cfg.test_dataloader.dataset.pipeline:
        if step['type'] == 'Letterbox':
            step['scale'] = (size, size)
    return cfg


@pytest.fixture(scope='module')
def model():
    torch.manual_seed(0)
    return init_detector(tiny_config())


@pytest.fixture(scope='module')
def image():
    """A non-square (90 x 200) BGR image."""
    return np.random.default_rng(0).integers(0, 256, (90, 200, 3), dtype=np.uint8)


def assert_in_image(sample, height, width):
    bboxes = sample.pred_instances.bboxes
    assert len(bboxes) > 0
    assert sample.metainfo['ori_shape'] == (height, width)
    assert (bboxes[:, 0::2] >= 0).all() and (bboxes[:, 0::2] <= width).all()
    assert (bboxes[:, 1::2] >= 0).all() and (bboxes[:, 1::2] <= height).all()
    assert (bboxes[:, 2:] >= bboxes[:, :2]).all()


def test_ndarray_gives_original_pixels(model, image):
    sample = inference_detector(model, image)
    assert_in_image(sample, 90, 200)
    assert set(sample.pred_instances.keys()) == {'bboxes', 'scores', 'labels'}
    # the boxes are the network-input boxes mapped back through the letterbox
    meta = sample.metainfo
    inputs = model.data_preprocessor(dict(inputs=[torch.from_numpy(
        np.ascontiguousarray(cv2.copyMakeBorder(cv2.resize(image, (128, 58)), 35, 35, 0, 0,
                                                cv2.BORDER_CONSTANT).transpose(2, 0, 1)))]))
    assert meta['img_shape'] == (128, 128) and list(meta['pad_param']) == [35, 35, 0, 0]
    with torch.no_grad():
        raw = model.bbox_head.predict_by_feat(model(inputs['inputs']), [meta], rescale=False)[0]
    scale_w, scale_h = meta['scale_factor']
    expected = (raw.bboxes - torch.tensor([0, 35, 0, 35])) / torch.tensor(
        [scale_w, scale_h, scale_w, scale_h])
    expected[:, 0::2] = expected[:, 0::2].clamp(0, 200)
    expected[:, 1::2] = expected[:, 1::2].clamp(0, 90)
    torch.testing.assert_close(sample.pred_instances.bboxes, expected, atol=0.5, rtol=0)


def test_path_and_list(model, image, tmp_path):
    path = str(tmp_path / 'wide.png')  # lossless: the same pixels as the array
    cv2.imwrite(path, image)
    from_path = inference_detector(model, path)
    assert_in_image(from_path, 90, 200)
    assert from_path.metainfo['img_path'] == path
    tall = np.ascontiguousarray(image.transpose(1, 0, 2))  # 200 x 90
    results = inference_detector(model, [path, tall, image], batch_size=2)
    assert isinstance(results, list) and len(results) == 3
    assert_in_image(results[1], 200, 90)
    torch.testing.assert_close(results[0].pred_instances.bboxes,
                               results[2].pred_instances.bboxes)
    torch.testing.assert_close(from_path.pred_instances.bboxes,
                               inference_detector(model, image).pred_instances.bboxes)


def test_unreadable_image_is_named(model, tmp_path):
    bad = tmp_path / 'corrupt.jpg'
    bad.write_bytes(b'\x00garbage, not a jpeg')
    with pytest.raises(OSError, match='corrupt.jpg'):
        inference_detector(model, str(bad))
    with pytest.raises(FileNotFoundError, match='missing.jpg'):
        inference_detector(model, str(tmp_path / 'missing.jpg'))


def test_checkpoint_from_ema_hook_gives_ema_weights(tmp_path):
    """mmengine's EMAHook saves the EMA weights as ``state_dict``; inference must use them."""
    cfg = tiny_config()
    torch.manual_seed(0)
    src = init_detector(cfg)
    hook = EMAHook(ema_type='ExponentialMovingAverage', momentum=0.5)
    hook.before_run(types.SimpleNamespace(model=src))
    with torch.no_grad():
        for p in hook.ema_model.module.parameters():
            p.add_(1.0)  # make the EMA weights differ from the raw ones
    checkpoint = dict(state_dict=src.state_dict(),
                      meta=dict(dataset_meta=dict(classes=('cat', 'dog', 'bird'))))
    hook.before_save_checkpoint(None, checkpoint)
    path = str(tmp_path / 'ema.pth')
    torch.save(checkpoint, path)
    model = init_detector(cfg, path)
    name, ema_param = next(iter(hook.ema_model.module.named_parameters()))
    torch.testing.assert_close(model.state_dict()[name], ema_param.detach())
    assert not torch.equal(model.state_dict()[name], src.state_dict()[name])
    assert model.dataset_meta['classes'] == ('cat', 'dog', 'bird')
    assert model.cfg.model.bbox_head.num_classes == 3 and not model.training


def test_mismatched_checkpoint_fails_loudly(tmp_path):
    cfg = tiny_config()
    path = str(tmp_path / 'other.pth')
    other = init_detector(cfg, cfg_options={'model.bbox_head.num_classes': 5})
    torch.save(dict(state_dict=other.state_dict()), path)
    with pytest.raises(RuntimeError, match='does not fit the model'):
        init_detector(cfg, path)


def test_class_names_from_config():
    cfg = Config.fromfile(CONFIG)
    assert dataset_meta_from_config(cfg, 20)['classes'] == tuple(VOC_CLASSES)
    assert dataset_meta_from_config(cfg, 3)['classes'] == ('class_0', 'class_1', 'class_2')
    cfg.test_dataloader.dataset.metainfo = dict(classes=('a', 'b', 'c'))
    assert dataset_meta_from_config(cfg, 3)['classes'] == ('a', 'b', 'c')
