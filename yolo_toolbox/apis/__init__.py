"""High-level APIs: build a detector from a config and run it on images."""
from .inference import (
    build_test_pipeline,
    dataset_meta_from_config,
    inference_detector,
    init_detector,
    test_input_size,
)

__all__ = ['build_test_pipeline', 'dataset_meta_from_config', 'inference_detector',
           'init_detector', 'test_input_size']
