"""Test-time augmentation in the pipeline: which passes a test image goes through.

mmengine's convention: the test dataloader's pipeline (the config's ``tta_pipeline``)
ends in mmcv's ``TestTimeAug``, which makes one packed copy of each image per pass, and the
test-time model (``YOLOTTAModel``, the config's ``tta_model``) runs the detector on every
pass and merges them. Here a pass is a scale factor and a left-right flip of the network
input; ``TTAPass`` only names it in the sample's metainfo (``tta_scale``, ``tta_flip``)
and the model applies it to the preprocessed batch (bilinear resize, rounded up to a
multiple of the model's ``size_divisor``, then flip), so every pass sees exactly the
letterboxed input a plain test sees, resized as a whole.
"""
from collections.abc import Sequence

from mmcv.transforms import BaseTransform

from yolo_toolbox.registry import TRANSFORMS

from .formatting import DEFAULT_META_KEYS

#: metainfo keys a pass writes (``PackDetInputs`` must copy them)
TTA_META_KEYS = ('tta_scale', 'tta_flip')
#: the default passes of ``tools/test.py --tta``: these scales, each plain and flipped
DEFAULT_TTA_SCALES = (0.83, 1.0, 1.17)


@TRANSFORMS.register_module()
class TTAPass(BaseTransform):
    """Name one test-time-augmentation pass: ``results['tta_scale'] = scale`` and
    ``results['tta_flip'] = flip``. The image is not changed here (see the module
    docstring); place it inside ``TestTimeAug``, before ``PackDetInputs``.

    Args:
        scale: factor of the network input's size (> 0).
        flip: flip the network input left-right.
    """

    def __init__(self, scale: float = 1.0, flip: bool = False) -> None:
        if not scale > 0:
            raise ValueError(f'TTAPass scale must be a positive factor, got {scale}')
        self.scale = float(scale)
        self.flip = bool(flip)

    def transform(self, results: dict) -> dict:
        results['tta_scale'] = self.scale
        results['tta_flip'] = self.flip
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(scale={self.scale}, flip={self.flip})'


def make_tta_pipeline(test_pipeline: Sequence[dict], scales: Sequence[float] = DEFAULT_TTA_SCALES,
                      flip: bool = True) -> list:
    """``test_pipeline`` with its last step (the packing) inside a ``TestTimeAug`` that
    makes one pass per scale, each plain and (with ``flip``) flipped, in that order.

    The packing step gets ``tta_scale`` / ``tta_flip`` added to its ``meta_keys``.
    """
    if not scales or min(scales) <= 0:
        raise ValueError(f'TTA scales must be positive factors, got {scales}')
    *steps, pack = [dict(step) for step in test_pipeline]
    if pack.get('type') != 'PackDetInputs':
        raise ValueError(f"the test pipeline must end with PackDetInputs, got {pack.get('type')}")
    meta_keys = tuple(pack.get('meta_keys', DEFAULT_META_KEYS))
    pack['meta_keys'] = meta_keys + tuple(k for k in TTA_META_KEYS if k not in meta_keys)
    passes = [dict(type='TTAPass', scale=float(scale), flip=flipped)
              for scale in scales for flipped in ((False, True) if flip else (False, ))]
    return [*steps, dict(type='TestTimeAug', transforms=[passes, [pack]])]


__all__ = ['DEFAULT_TTA_SCALES', 'TTAPass', 'TTA_META_KEYS', 'make_tta_pipeline']
