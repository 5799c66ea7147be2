"""An optimizer wrapper for mixed precision on the CPU (bf16 autocast)."""
from contextlib import contextmanager

import torch
from mmengine.optim import OptimWrapper

from yolo_toolbox.registry import OPTIM_WRAPPERS


@OPTIM_WRAPPERS.register_module()
class CPUBf16OptimWrapper(OptimWrapper):
    """Runs the forward pass under ``torch.autocast('cpu', dtype=torch.bfloat16)``.

    mmengine's AmpOptimWrapper (fp16 with dynamic loss scaling) refuses to run without
    an accelerator; ``tools/train.py --amp`` picks this wrapper on CPU-only machines.
    bf16 has fp32's exponent range, so no loss scaling is needed; parameters,
    gradients and optimizer state stay fp32.
    """

    @contextmanager
    def optim_context(self, model: torch.nn.Module):
        with super().optim_context(model), torch.autocast('cpu', dtype=torch.bfloat16):
            yield
