"""make_demo_dataset.py --format yolo: the demo images in YOLO layout, read by
YOLOTxtDataset with the boxes VOCDataset reads from the VOC layout (6-decimal labels)."""
import numpy as np

from tests._tools import DEMO_CLASSES, load_tool
from yolo_toolbox.registry import DATASETS


def test_yolo_layout_has_the_voc_layouts_boxes(tmp_path, capsys):
    tool = load_tool('tools/misc/make_demo_dataset.py')
    tool.main([str(tmp_path / 'voc'), '--num-train', '3', '--num-val', '2'])
    tool.main([str(tmp_path / 'yolo'), '--num-train', '3', '--num-val', '2', '--format', 'yolo'])
    assert 'in YOLO layout' in capsys.readouterr().out
    for split, voc_split in (('train', 'trainval'), ('val', 'test')):
        voc = DATASETS.build(dict(type='VOCDataset', data_root=str(tmp_path / 'voc'),
                                  years='VOC2007', split=voc_split, difficult_as_gt=True,
                                  metainfo=dict(classes=DEMO_CLASSES), test_mode=True))
        yolo = DATASETS.build(dict(type='YOLOTxtDataset', split=split, test_mode=True,
                                   data_yaml=str(tmp_path / 'yolo' / 'data.yaml')))
        assert yolo.metainfo['classes'] == DEMO_CLASSES and len(yolo) == len(voc)
        for i in range(len(voc)):
            a, b = voc.get_data_info(i), yolo.get_data_info(i)
            assert [x['bbox_label'] for x in a['instances']] == \
                [x['bbox_label'] for x in b['instances']]
            np.testing.assert_allclose([x['bbox'] for x in a['instances']],
                                       [x['bbox'] for x in b['instances']], atol=1e-3)
