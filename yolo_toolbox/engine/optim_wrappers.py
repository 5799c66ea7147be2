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


def cpu_has_native_bf16() -> bool:
    """Whether this CPU computes bf16 natively (AVX512-BF16 or AMX), where bf16 autocast
    is faster than fp32; without them (AVX2 only) it is correct but not faster. Asks
    torch's own CPU feature checks (cpuinfo), not the OS."""
    checks = ('_is_avx512_bf16_supported', '_is_amx_tile_supported')
    for name in checks:
        check = getattr(torch.cpu, name, None)
        try:
            if check is not None and check():
                return True
        except Exception:  # a torch build without the check: treat as absent
            pass
    return False


AMP_DTYPES = (None, 'auto', 'float16', 'bfloat16')


def build_auto_amp_optim_wrapper(optimizer, amp: bool = True, dtype: Optional[str] = 'auto',
                                 loss_scale='dynamic', **kwargs) -> OptimWrapper:
    """``optim_wrapper=dict(type='AutoAmpOptimWrapper', amp=True, dtype='auto', ...)``:
    mixed precision where the device makes it free, chosen by the config (the base
    schedules use it); ``amp=False`` is fp32 everywhere (``tools/train.py --fp32``).

    With ``amp=True`` and ``dtype='auto'``:

    - a CUDA device: mmengine's ``AmpOptimWrapper``, in bf16 where the GPU supports it
      (fp32's range: no loss scaling), else fp16 with ``loss_scale`` (dynamic by default);
    - a CPU with native bf16 (AVX512-BF16 or AMX, :func:`cpu_has_native_bf16`): bf16
      autocast of the forward pass (:class:`CPUBf16OptimWrapper`);
    - any other CPU: a plain fp32 ``OptimWrapper`` (bf16 would be emulated, not faster).

    ``dtype='bfloat16'`` forces bf16 (on any CPU too), ``'float16'`` fp16 with the loss
    scale (CUDA only). Parameters, gradients, optimizer state and the losses stay fp32.
    The choice is logged. Built the same way by ``tools/train.py`` and ``Runner.from_cfg``.

    Args:
        optimizer: the optimizer (given by mmengine's optimizer-wrapper constructor).
        amp: use mixed precision where it is free.
        dtype: ``'auto'`` (or ``None``), ``'float16'`` or ``'bfloat16'``.
        loss_scale: the fp16 loss scale (``'dynamic'``, a number or a dict).
        **kwargs: ``OptimWrapper`` arguments (``clip_grad``, ``accumulative_counts``).
    """
    if dtype not in AMP_DTYPES:
        raise ValueError(f"AutoAmpOptimWrapper: dtype must be 'auto', 'float16' or "
                         f"'bfloat16', got {dtype!r}")
    if not amp:
        print_log('AutoAmpOptimWrapper: fp32 (amp=False)', logger='current')
        return OptimWrapper(optimizer=optimizer, **kwargs)
    if not torch.cuda.is_available():
        if dtype == 'float16':
            raise ValueError("AutoAmpOptimWrapper: dtype='float16' needs a CUDA device "
                             "(fp16 autocast on the CPU is not faster); use 'auto' or "
                             "'bfloat16'")
        if dtype == 'bfloat16' or cpu_has_native_bf16():
            why = 'native bf16 CPU' if dtype != 'bfloat16' else "dtype='bfloat16'"
            print_log(f'AutoAmpOptimWrapper: CPU bf16 autocast ({why}; amp=False for fp32)',
                      logger='current')
            return CPUBf16OptimWrapper(optimizer=optimizer, **kwargs)
        print_log('AutoAmpOptimWrapper: fp32 (no CUDA device, no native bf16 on this CPU)',
                  logger='current')
        return OptimWrapper(optimizer=optimizer, **kwargs)
    if dtype in (None, 'auto'):
        dtype = 'bfloat16' if torch.cuda.is_bf16_supported() else 'float16'
    scale = {} if dtype == 'bfloat16' else dict(loss_scale=loss_scale)
    print_log(f'AutoAmpOptimWrapper: CUDA mixed precision in {dtype}', logger='current')
    return AmpOptimWrapper(optimizer=optimizer, dtype=dtype, **scale, **kwargs)


OPTIM_WRAPPERS.register_module(name='AutoAmpOptimWrapper', module=build_auto_amp_optim_wrapper)
