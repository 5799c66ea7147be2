"""Refuse unknown arguments in hook configs before the run starts."""
from mmengine.hooks import Hook

from yolo_toolbox.registry import HOOKS
from yolo_toolbox.utils.config_check import check_hook_args


@HOOKS.register_module()
class HookArgsCheckHook(Hook):
    """Before the run (training or test) starts, checks every hook config of the
    runner's config (``default_hooks``, ``custom_hooks``) against its class.

    mmengine's ``CheckpointHook`` and ``EMAHook`` take ``**kwargs``: a typo such as
    ``default_hooks.checkpoint.intervall=1`` builds, trains a whole epoch and fails at
    the first save (``EMAHook``'s reaches the averaged model, or nowhere). This hook
    raises a ``ValueError`` naming the key and the closest real one first
    (:func:`yolo_toolbox.utils.config_check.check_hook_args`). Hooks that list their
    arguments already fail when they are built.
    """

    priority = 'HIGHEST'

    def before_run(self, runner) -> None:
        cfg = runner.cfg or {}
        hooks = list((cfg.get('default_hooks') or {}).values())
        hooks += list(cfg.get('custom_hooks') or [])
        check_hook_args(hooks)
