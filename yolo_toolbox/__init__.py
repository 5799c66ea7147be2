"""yolo_toolbox: a plugin-registry toolbox for one-stage YOLO detectors on mmengine."""
from .utils.atomic_checkpoint import install_atomic_checkpoint_saving
from .utils.checkpoint import patch_mmengine_checkpoint_loading
from .version import __version__

# mmengine 0.10.x calls torch.load with the default weights_only=True on torch>=2.6 and
# refuses its own checkpoints; allow-list exactly what they need (see utils/checkpoint.py).
patch_mmengine_checkpoint_loading()
# mmengine writes checkpoints in place; a kill during a save left a truncated file that
# --resume could not load. Write them atomically (see utils/atomic_checkpoint.py).
install_atomic_checkpoint_saving()

__all__ = ['__version__']
