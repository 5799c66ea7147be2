"""torch.compile of the network (backbone, neck, head convs), opt-in for training."""
import time
from typing import Optional, Sequence

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from yolo_toolbox.registry import HOOKS


@HOOKS.register_module()
class CompileModelHook(Hook):
    """Compile the dense part of the detector with ``torch.compile`` before training.

    Each of ``submodules`` (default: backbone, neck and bbox_head, whose ``__call__`` is
    the convolutional forward) is compiled **in place** with ``nn.Module.compile``:
    parameter names and ``state_dict`` keys do not change (no ``_orig_mod.`` prefix), so
    checkpoints load in either direction, and the EMA copy (made in ``before_run``,
    before this hook runs) stays an ordinary module. Loss, label assignment and data
    preprocessing stay eager (their shapes change with the number of GT boxes). Under
    DDP the wrapped module is compiled, as PyTorch recommends.

    The first training iteration includes the compilation; its time is logged (and
    kept in ``compile_seconds``). Validation in eval mode compiles once more.

    Enable with ``tools/train.py --compile`` or the config key ``compile_model = True``
    (or a dict of ``torch.compile`` options, e.g. ``dict(mode='max-autotune')``).

    Args:
        submodules: attribute names of the model to compile.
        **compile_kwargs: passed to ``torch.compile`` (``mode``, ``backend``,
            ``dynamic``, ``fullgraph``, ...).
    """

    priority = 'LOW'

    def __init__(self, submodules: Sequence[str] = ('backbone', 'neck', 'bbox_head'),
                 **compile_kwargs) -> None:
        self.submodules = tuple(submodules)
        self.compile_kwargs = compile_kwargs
        self.compile_seconds: Optional[float] = None
        self._start: Optional[float] = None

    def before_train(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        compile_model(model, self.submodules, **self.compile_kwargs)
        runner.logger.info(f'torch.compile({self.compile_kwargs or ""}) of '
                           f'{", ".join(self.submodules)}: the first iteration compiles')

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        if self.compile_seconds is None:
            self._start = time.perf_counter()

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if self.compile_seconds is None and self._start is not None:
            self.compile_seconds = time.perf_counter() - self._start
            runner.logger.info(f'torch.compile: first training iteration (compilation '
                               f'included) took {self.compile_seconds:.1f} s')


def compile_model(model, submodules: Sequence[str] = ('backbone', 'neck', 'bbox_head'),
                  **compile_kwargs):
    """``nn.Module.compile`` each of ``submodules`` of ``model`` in place; returns model."""
    for name in submodules:
        module = getattr(model, name, None)
        if module is None:
            raise AttributeError(f'CompileModelHook: the model has no submodule {name!r}')
        module.compile(**compile_kwargs)
    return model


def setup_compile(cfg, enable: bool = False) -> None:
    """Turn the config key ``compile_model`` (True or a dict of torch.compile options),
    or ``enable`` (``tools/train.py --compile``), into a :class:`CompileModelHook`."""
    option = cfg.get('compile_model', None)
    if enable and not option:
        option = True
    if not option:
        return
    hooks = cfg.get('custom_hooks') or []
    if any(h.get('type') in ('CompileModelHook', CompileModelHook) for h in hooks):
        return
    hook = dict(type='CompileModelHook')
    if isinstance(option, dict):
        hook.update(option)
    cfg.custom_hooks = list(hooks) + [hook]
