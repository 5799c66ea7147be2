"""voc_to_yolo: difficult objects kept as ordinary ones by default, left out on request."""
from pathlib import Path

import cv2
import numpy as np

from yolo_toolbox.datasets.converters.voc_to_yolo import voc_to_yolo

XML = """<annotation><size><width>100</width><height>50</height><depth>3</depth></size>
<object><name>a</name><difficult>0</difficult>
<bndbox><xmin>11</xmin><ymin>11</ymin><xmax>30</xmax><ymax>40</ymax></bndbox></object>
<object><name>b</name><difficult>1</difficult>
<bndbox><xmin>51</xmin><ymin>1</ymin><xmax>60</xmax><ymax>10</ymax></bndbox></object>
</annotation>"""


def _voc(root: Path) -> Path:
    year = root / 'VOC2007'
    for sub in ('Annotations', 'JPEGImages', 'ImageSets/Main'):
        (year / sub).mkdir(parents=True)
    (year / 'Annotations' / '000000.xml').write_text(XML)
    assert cv2.imwrite(str(year / 'JPEGImages' / '000000.jpg'), np.zeros((50, 100, 3), np.uint8))
    (year / 'ImageSets' / 'Main' / 'test.txt').write_text('000000\n')
    return year


def test_difficult_kept_or_dropped(tmp_path):
    year = _voc(tmp_path / 'voc')
    voc_to_yolo(str(year), str(tmp_path / 'keep'), ('a', 'b'), {'val': 'test'})
    voc_to_yolo(str(year), str(tmp_path / 'drop'), ('a', 'b'), {'val': 'test'},
                drop_difficult=True)
    keep = (tmp_path / 'keep' / 'labels' / 'val' / '000000.txt').read_text().splitlines()
    drop = (tmp_path / 'drop' / 'labels' / 'val' / '000000.txt').read_text().splitlines()
    assert len(keep) == 2 and keep[1].startswith('1 ')
    # the 0-based box [10, 10, 30, 40] in a 100 x 50 image
    assert drop == ['0 0.200000 0.500000 0.200000 0.600000']
