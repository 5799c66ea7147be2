"""Optimizer wrappers: bf16 autocast on the CPU, and AMP where the device has it."""
from contextlib import contextmanager
from typing import Optional

import torch
from mmengine.logging import print_log
from mmengine.optim import AmpOptimWrapper, OptimWrapper

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


def build_auto_amp_optim_wrapper(optimizer, amp: bool = True, dtype: Optional[str] = None,
                                 loss_scale='dynamic', **kwargs) -> OptimWrapper:
    """``optim_wrapper=dict(type='AutoAmpOptimWrapper', amp=True, ...)``: mixed precision
    where the device has it, chosen by the config (the base schedules use it).

    - On a CUDA machine with ``amp=True``: mmengine's ``AmpOptimWrapper``, in bf16 where
      the GPU supports it (fp32's range: no loss scaling), else fp16 with ``loss_scale``
      (dynamic by default); ``dtype='float16'`` / ``'bfloat16'`` chooses. The losses are
      computed in fp32 either way.
    - Otherwise (a CPU-only machine, or ``amp=False``): a plain fp32 ``OptimWrapper``.
      (``tools/train.py --amp`` asks for bf16 autocast on the CPU: ``CPUBf16OptimWrapper``.)

    The choice is logged. Built the same way by ``tools/train.py`` and ``Runner.from_cfg``.

    Args:
        optimizer: the optimizer (given by mmengine's optimizer-wrapper constructor).
        amp: use mixed precision on CUDA.
        dtype: ``None`` (bf16 if supported, else fp16), ``'float16'`` or ``'bfloat16'``.
        loss_scale: the fp16 loss scale (``'dynamic'``, a number or a dict).
        **kwargs: ``OptimWrapper`` arguments (``clip_grad``, ``accumulative_counts``).
    """
    if not (amp and torch.cuda.is_available()):
        print_log('AutoAmpOptimWrapper: fp32 (' + ('amp=False' if not amp else 'no CUDA device')
                  + ')', logger='current')
        return OptimWrapper(optimizer=optimizer, **kwargs)
    if dtype is None:
        dtype = 'bfloat16' if torch.cuda.is_bf16_supported() else 'float16'
    scale = {} if dtype == 'bfloat16' else dict(loss_scale=loss_scale)
    print_log(f'AutoAmpOptimWrapper: CUDA mixed precision in {dtype}', logger='current')
    return AmpOptimWrapper(optimizer=optimizer, dtype=dtype, **scale, **kwargs)


OPTIM_WRAPPERS.register_module(name='AutoAmpOptimWrapper', module=build_auto_amp_optim_wrapper)
