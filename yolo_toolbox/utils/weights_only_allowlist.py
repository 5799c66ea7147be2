"""Loading mmengine checkpoints on torch >= 2.6 without turning ``weights_only`` off.

torch >= 2.6 calls ``torch.load(..., weights_only=True)`` by default; mmengine 0.10.x
relies on that default and so refuses its own checkpoints, whose ``message_hub`` holds
:class:`~mmengine.logging.HistoryBuffer` objects with numpy arrays and scalars inside.

The allow-list holds exactly those globals. One of them, ``builtins.getattr``, is how pickle
stores the bound statistics methods (``min``, ``max``, ``mean``, ``current``) that
HistoryBuffer registers (``getattr(HistoryBuffer, 'min')``). A plain ``getattr`` would let a crafted
checkpoint reach any callable (``getattr(x, '__globals__')`` ...), so the allow-list
maps the name to :func:`_history_buffer_getattr`, which only resolves registered
statistics methods on HistoryBuffer instances and refuses everything else. Any other
global in a checkpoint (``os.system``, ``builtins.eval`` ...) is still refused by
torch's weights-only unpickler before anything runs.
"""
import pickle

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer

_PATCHED = False
# statistics HistoryBuffer registers in __init__ (the registry is empty until one exists)
_BUILTIN_STATISTICS = {'min', 'max', 'mean', 'current'}


def _history_buffer_getattr(obj: object, name: str):
    """``getattr`` restricted to HistoryBuffer's statistics methods (class or instance)."""
    is_history_buffer = obj is HistoryBuffer or isinstance(obj, HistoryBuffer)
    allowed = _BUILTIN_STATISTICS | set(HistoryBuffer._statistics_methods)
    if is_history_buffer and name in allowed:
        return getattr(obj, name)
    raise pickle.UnpicklingError(
        f'refusing checkpoint: it asks for getattr({obj!r}, {name!r}); only '
        'HistoryBuffer statistics methods may be resolved when loading with weights_only=True')


def mmengine_safe_globals() -> list:
    """The globals an mmengine checkpoint needs, in ``add_safe_globals`` form."""
    multiarray = np._core.multiarray if hasattr(np, '_core') else np.core.multiarray
    return [
        HistoryBuffer,
        np.ndarray,
        np.dtype,
        multiarray._reconstruct,
        multiarray.scalar,
        (_history_buffer_getattr, 'builtins.getattr'),
        (_history_buffer_getattr, '__builtin__.getattr'),
    ] + [type(np.dtype(code)) for code in '?bBhHiIlLqQefdgFDG']  # numpy>=1.25 dtype classes


def patch_mmengine_checkpoint_loading() -> None:
    """Allow-list mmengine's checkpoint globals for ``torch.load(weights_only=True)``.

    Idempotent; called when ``yolo_toolbox`` is imported. Needed only on torch
    versions that have :func:`torch.serialization.add_safe_globals`.
    """
    global _PATCHED
    if _PATCHED or not hasattr(torch.serialization, 'add_safe_globals'):
        return
    torch.serialization.add_safe_globals(mmengine_safe_globals())
    _PATCHED = True
