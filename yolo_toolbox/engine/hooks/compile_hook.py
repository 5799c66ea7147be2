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

    Enable with ``tools/train.py --compile`` (which writes it into the config's
    ``custom_hooks``) or list it in the config:
    ``custom_hooks = [..., dict(type='CompileModelHook', mode='max-autotune')]``; either
    way ``Runner.from_cfg`` and ``tools/train.py`` build the same run.

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
    """``tools/train.py --compile`` (``enable``): add a :class:`CompileModelHook` to the
    config's ``custom_hooks`` unless it lists one.

    Raises:
        KeyError: the config has the former key ``compile_model``, which only
            ``tools/train.py`` read (a Python-API run ignored it); list the hook instead.
    """
    if cfg.get('compile_model') is not None:
        raise KeyError("the config key compile_model is not read any more (only tools/train.py "
                       "read it); list the hook instead: custom_hooks = [..., "
                       "dict(type='CompileModelHook', **torch_compile_options)]")
    if not enable:
        return
    hooks = cfg.get('custom_hooks') or []
    if any(h.get('type') in ('CompileModelHook', CompileModelHook) for h in hooks):
        return
    cfg.custom_hooks = list(hooks) + [dict(type='CompileModelHook')]
