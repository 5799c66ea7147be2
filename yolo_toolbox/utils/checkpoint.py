"""Deprecated name of :mod:`yolo_toolbox.utils.weights_only_allowlist` (the allow-list of
checkpoint globals for ``torch.load(weights_only=True)``); kept importable for old code."""
from .weights_only_allowlist import (  # noqa: F401
    _history_buffer_getattr,
    mmengine_safe_globals,
    patch_mmengine_checkpoint_loading,
)
