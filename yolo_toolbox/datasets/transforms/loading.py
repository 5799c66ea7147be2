"""Loading transforms: the image file and the boxes of ``results['instances']``."""
from typing import Optional

import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms import LoadImageFromFile as MMCVLoadImageFromFile

from yolo_toolbox.registry import TRANSFORMS

from ..image_check import ImageNotFoundError, ImageReadError


@TRANSFORMS.register_module()
class LoadImageFromFile(MMCVLoadImageFromFile):
    """mmcv's ``LoadImageFromFile`` that names the file when it cannot be read.

    mmcv raises whatever the backend raised, or a bare ``AssertionError`` when the
    decoder returns nothing (a corrupt or non-image file); here both become an
    :class:`~yolo_toolbox.datasets.image_check.ImageReadError` (an ``OSError``; a
    ``FileNotFoundError`` too for a missing file) whose message is the path. Detection
    datasets catch it in training and use another image.

    Reads: ``img_path``, and ``cached_img`` when the dataset holds decoded images
    (``cache='ram'``, :mod:`~yolo_toolbox.datasets.image_cache`): then the file is not
    read and ``img`` is a copy of those pixels (decoded earlier by :meth:`decode`, i.e. with
    this transform's settings). Writes: ``img`` (H, W, 3) uint8 BGR, ``img_shape`` and
    ``ori_shape`` (h, w) of the file image; removes ``cached_img``.

    Args: those of :class:`mmcv.transforms.LoadImageFromFile` (``to_float32``,
        ``color_type``, ``imdecode_backend``, ``ignore_empty``, ``backend_args``).
    """

    def decode(self, path: str) -> np.ndarray:
        """The image of ``path`` as this transform decodes it, before ``to_float32``."""
        out = super().transform(dict(img_path=path))
        if out is None or out.get('img') is None:
            raise ImageReadError(f'cannot read image file {path}')
        img = out['img']
        return img.astype(np.uint8) if self.to_float32 else img

    def transform(self, results: dict) -> Optional[dict]:
        path = results['img_path']
        cached = results.pop('cached_img', None)
        if cached is not None:
            img = cached.astype(np.float32) if self.to_float32 else cached.copy()
            results['img'] = img
            results['img_shape'] = img.shape[:2]
            results['ori_shape'] = img.shape[:2]
            return results
        try:
            out = super().transform(results)
        except FileNotFoundError as e:
            raise ImageNotFoundError(f'image file {path} does not exist') from e
        except Exception as e:  # corrupt file: cv2 returns None, or the decoder raises
            raise ImageReadError(f'cannot read image file {path} (corrupt or not an image): '
                                 f'{type(e).__name__}: {e}') from e
        if out is not None and (out.get('img') is None or out['img'].size == 0):
            raise ImageReadError(f'cannot read image file {path}: decoded image is empty')
        return out


@TRANSFORMS.register_module()
class LoadAnnotations(BaseTransform):
    """Boxes, labels and ignore flags from ``results['instances']`` as arrays.

    Reads: ``instances`` (list of ``dict(bbox=[x1, y1, x2, y2], bbox_label=int,
    ignore_flag=0|1)``, pixels of the file image).
    Writes: ``gt_bboxes`` float32 (n, 4) xyxy pixels, ``gt_bboxes_labels`` int64 (n,),
    ``gt_ignore_flags`` bool (n,). Images without instances give empty arrays.

    Unlike mmcv's ``LoadAnnotations`` this always loads all three and nothing else.
    """

    def transform(self, results: dict) -> dict:
        if 'instances' not in results:
            raise KeyError('LoadAnnotations: results has no "instances"; it reads the data '
                           'list entries of a detection dataset (VOCDataset, CocoDataset)')
        instances = results['instances']
        results['gt_bboxes'] = np.array([inst['bbox'] for inst in instances],
                                        dtype=np.float32).reshape(-1, 4)
        results['gt_bboxes_labels'] = np.array([inst['bbox_label'] for inst in instances],
                                               dtype=np.int64)
        results['gt_ignore_flags'] = np.array([bool(inst.get('ignore_flag', 0))
                                               for inst in instances], dtype=bool)
        return results
