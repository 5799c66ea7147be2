"""DetDataSample's typed fields and the GT batching of stack_gt_instances."""
import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData

from yolo_toolbox.structures import DetDataSample, stack_gt_instances


def sample(bboxes, labels, ignored=None) -> DetDataSample:
    data_sample = DetDataSample(metainfo=dict(img_id=len(bboxes)))
    data_sample.gt_instances = InstanceData(bboxes=bboxes, labels=labels)
    if ignored is not None:
        data_sample.ignored_instances = InstanceData(
            bboxes=ignored, labels=torch.zeros(len(ignored), dtype=torch.long))
    return data_sample


@pytest.mark.parametrize('field', ['gt_instances', 'ignored_instances', 'pred_instances'])
def test_instance_fields_accept_instance_data_only(field):
    data_sample = DetDataSample()
    assert field not in data_sample
    value = InstanceData(bboxes=torch.zeros(1, 4))
    setattr(data_sample, field, value)
    assert getattr(data_sample, field) is value and field in data_sample
    with pytest.raises(AssertionError):
        setattr(data_sample, field, dict(bboxes=torch.zeros(1, 4)))
    delattr(data_sample, field)
    assert field not in data_sample


def test_stack_gt_instances_rows_per_image():
    first = sample(torch.tensor([[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]]),
                   torch.tensor([3, 0]), ignored=torch.tensor([[0.0, 0.0, 9.0, 9.0]]))
    empty = sample(torch.zeros(0, 4), torch.zeros(0, dtype=torch.long))
    third = sample(np.array([[10, 20, 30, 40]], dtype=np.int64), np.array([7]))
    rows = stack_gt_instances([first, empty, third])
    assert rows.dtype == torch.float32
    # batch index, label, x1, y1, x2, y2; the empty image adds nothing, the ignored box
    # of the first image is left out, numpy input is converted
    assert rows.tolist() == [[0.0, 3.0, 1.0, 2.0, 3.0, 4.0],
                             [0.0, 0.0, 5.0, 6.0, 7.0, 8.0],
                             [2.0, 7.0, 10.0, 20.0, 30.0, 40.0]]


def test_stack_gt_instances_of_no_image_is_an_empty_table():
    rows = stack_gt_instances([])
    assert rows.shape == (0, 6) and rows.dtype == torch.float32
