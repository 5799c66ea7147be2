"""OpenVINO IR from an exported ``.onnx`` file, in fp32 (:func:`export_openvino`) or
quantized to int8 after training (:func:`quantize_openvino`, with NNCF; its calibration
images from :func:`calibration_paths`).

openvino and nncf are optional packages; a missing one raises ImportError with the pip
command. Calibration problems raise ValueError.
"""
import copy
import json
import os
import os.path as osp
from typing import Optional, Sequence

import numpy as np

from .backends import CLASSES_KEY, CODER_KEY
from .signal_stack import keep_signal_stack

IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')


def export_openvino(onnx_path: str, xml_path: str, classes: Optional[Sequence[str]] = None,
                    coder: Optional[dict] = None) -> str:
    """Convert an exported .onnx to OpenVINO IR (``xml_path`` + .bin, fp32 weights), with
    the class names and the box coder's settings in its rt_info."""
    try:
        import openvino as ov
    except ImportError as e:
        raise ImportError(f'OpenVINO conversion needs the optional package openvino ({e}); '
                          'install it with: pip install openvino') from e
    model = ov.convert_model(onnx_path)
    if classes is not None:
        model.set_rt_info(json.dumps(list(classes)), [CLASSES_KEY])
    if coder is not None:
        model.set_rt_info(json.dumps(coder, sort_keys=True), [CODER_KEY])
    ov.save_model(model, xml_path, compress_to_fp16=False)
    return xml_path


def calibration_paths(cfg, calib_dir: Optional[str], num: int, seed: int = 0) -> list[str]:
    """``num`` image files, drawn at random (``seed``), from ``calib_dir`` or else from the
    config's training split (``train_dataloader.dataset``, read without its pipeline)."""
    if calib_dir:
        if not osp.isdir(calib_dir):
            raise ValueError(f'calibration folder (--calib-dir) {calib_dir}: no such folder')
        paths = sorted(osp.join(root, name) for root, _, names in os.walk(calib_dir)
                       for name in names if name.lower().endswith(IMAGE_SUFFIXES))
        where = calib_dir
    else:
        from mmengine.registry import init_default_scope

        from yolo_toolbox.registry import DATASETS
        init_default_scope(cfg.get('default_scope', 'yolo_toolbox'))
        dataset_cfg = copy.deepcopy(cfg.train_dataloader.dataset)
        dataset_cfg['pipeline'] = []
        try:
            dataset = DATASETS.build(dataset_cfg)
        except (FileNotFoundError, ValueError, RuntimeError) as e:
            raise ValueError(f"int8 calibration draws from the config's training split, which "
                             f'could not be read ({e}); give a folder of images instead '
                             '(--calib-dir DIR: images like the ones the model will see)') from e
        paths = [dataset.get_data_info(i)['img_path'] for i in range(len(dataset))]
        where = "the config's training split"
    if not paths:
        raise ValueError(f'no calibration images in {where}')
    order = np.random.default_rng(seed).permutation(len(paths))[:num]
    return [paths[i] for i in sorted(order)]


def quantize_openvino(xml_path: str, out_xml: str, images: Sequence[np.ndarray]) -> str:
    """Post-training int8 quantization of an OpenVINO IR with NNCF (activation ranges from
    ``images``: network inputs (1, 3, H, W), fast bias correction); writes ``out_xml``, a
    model with a static batch of 1."""
    try:
        import nncf
        import openvino as ov
    except ImportError as e:
        raise ImportError(f'int8 quantization needs the optional packages openvino and nncf '
                          f'({e}); install them with: pip install openvino nncf') from e
    model = ov.Core().read_model(xml_path)
    # batch 1, static: OpenVINO's int8 kernels ran 3.5x slower on a dynamic batch here
    # (8.2 ms vs 2.3 ms for the demo model); a larger batch is run image by image
    model.reshape(list(images[0].shape))
    with keep_signal_stack():  # NNCF compiles models too (see .signal_stack)
        quantized = nncf.quantize(model, nncf.Dataset(list(images)), subset_size=len(images))
    ov.save_model(quantized, out_xml, compress_to_fp16=False)  # keeps the class names
    return out_xml
