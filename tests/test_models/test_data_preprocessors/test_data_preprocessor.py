"""YOLODataPreprocessor: channel order, normalisation, padding, memory format, and the
GT table it hands the head in training."""
import pytest
import torch
from mmengine.structures import InstanceData

from yolo_toolbox.registry import MODELS
from yolo_toolbox.structures import DetDataSample

MEAN, STD = (123.675, 116.28, 103.53), (58.395, 57.12, 57.375)  # the defaults


def image(height: int, width: int, bgr) -> torch.Tensor:
    """A uint8 (3, H, W) image of one BGR colour."""
    return torch.tensor(bgr, dtype=torch.uint8).view(3, 1, 1).expand(3, height, width).clone()


def batch(training_boxes=True):
    samples = []
    for i, (boxes, labels) in enumerate((([[1.0, 2.0, 11.0, 12.0]], [4]),
                                         ([[0.0, 0.0, 5.0, 5.0], [3.0, 3.0, 9.0, 7.0]],
                                          [0, 2]))):
        sample = DetDataSample(metainfo=dict(img_id=i, img_shape=(40, 30)))
        sample.gt_instances = InstanceData(bboxes=torch.tensor(boxes),
                                           labels=torch.tensor(labels))
        samples.append(sample)
    inputs = [image(40, 30, (10, 20, 30)), image(33, 64, (200, 100, 0))]
    return dict(inputs=inputs, data_samples=samples)


def build(**kwargs):
    return MODELS.build(dict(type='YOLODataPreprocessor', **kwargs))


def test_rgb_normalised_padded_to_32_and_stacked():
    out = build()(batch(), training=False)['inputs']
    # the largest image is 40 x 64 -> padded to 64 x 64; both images share that size
    assert out.shape == (2, 3, 64, 64) and out.dtype == torch.float32
    for i, bgr in enumerate(((10, 20, 30), (200, 100, 0))):
        rgb = bgr[::-1]
        expected = torch.tensor([(v - m) / s for v, m, s in zip(rgb, MEAN, STD)])
        assert torch.allclose(out[i, :, 0, 0], expected)
    # image 0 is 40 x 30: what lies right of column 30 or below row 40 is padding, 0
    # in normalised units (the mean colour)
    assert torch.count_nonzero(out[0, :, :, 30:]) == 0
    assert torch.count_nonzero(out[0, :, 40:, :]) == 0
    assert torch.count_nonzero(out[1, :, 33:, :]) == 0
    assert torch.count_nonzero(out[0, :, :40, :30] == 0) == 0  # the image itself is not 0


def test_yolov8_scaling_and_pad_value_without_channel_swap():
    pre = build(mean=[0.0, 0.0, 0.0], std=[255.0, 255.0, 255.0], bgr_to_rgb=False,
                pad_size_divisor=16, pad_value=0.5)
    out = pre(batch(), training=False)['inputs']
    assert out.shape == (2, 3, 48, 64)  # 40 -> 48, 64 stays 64 with a divisor of 16
    assert out[0, :, 0, 0].tolist() == pytest.approx([10 / 255, 20 / 255, 30 / 255])
    assert out[1, :, 0, 0].tolist() == pytest.approx([200 / 255, 100 / 255, 0.0])
    assert torch.all(out[0, :, 40:, :] == 0.5) and torch.all(out[0, :, :, 30:] == 0.5)


def test_training_turns_the_samples_into_the_gt_table():
    data = batch()
    metas = [s.metainfo for s in data['data_samples']]
    out = build()(data, training=True)['data_samples']
    assert set(out) == {'bboxes_labels', 'img_metas'}
    assert out['bboxes_labels'].tolist() == [[0.0, 4.0, 1.0, 2.0, 11.0, 12.0],
                                             [1.0, 0.0, 0.0, 0.0, 5.0, 5.0],
                                             [1.0, 2.0, 3.0, 3.0, 9.0, 7.0]]
    assert out['img_metas'] == metas


def test_outside_training_the_samples_pass_through():
    data = batch()
    samples = list(data['data_samples'])
    out = build()(data, training=False)['data_samples']
    assert len(out) == 2 and all(isinstance(s, DetDataSample) for s in out)
    for got, given in zip(out, samples):  # moved to the device (new objects), same content
        assert got.metainfo == given.metainfo
        assert torch.equal(got.gt_instances.bboxes, given.gt_instances.bboxes)
        assert torch.equal(got.gt_instances.labels, given.gt_instances.labels)


def test_channels_last_changes_the_strides_not_the_values():
    plain = build()(batch(), training=False)['inputs']
    nhwc = build(channels_last=True)(batch(), training=False)['inputs']
    assert nhwc.is_contiguous(memory_format=torch.channels_last)
    assert not plain.is_contiguous(memory_format=torch.channels_last)
    assert torch.equal(plain, nhwc)
