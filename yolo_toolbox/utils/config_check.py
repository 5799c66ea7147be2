"""Keys a config cannot use are errors, not silently ignored values.

- :func:`check_cfg_options`: every ``--cfg-options`` key must exist in the config, or be
  an argument of the module its dict builds (``model.backbone.frozen_stages``); a key
  written ``+a.b=1`` is added on purpose. A top-level variable of the config file
  (``max_epochs``) is refused: it was already used where the file mentions it.
- :func:`check_hook_args`: hook configs whose class takes ``**kwargs`` (mmengine's
  ``CheckpointHook``, ``EMAHook``) still get their keys checked, before the run starts.
"""
import inspect
from typing import Iterable, List, Optional, Set, Tuple

from mmengine.config import Config

from .keys import did_you_mean

#: top-level keys the runner (``Runner.from_cfg``) or this toolbox's tools read
RUNNER_KEYS = {
    'model', 'work_dir', 'train_dataloader', 'val_dataloader', 'test_dataloader', 'train_cfg',
    'val_cfg', 'test_cfg', 'auto_scale_lr', 'optim_wrapper', 'param_scheduler',
    'val_evaluator', 'test_evaluator', 'default_hooks', 'custom_hooks', 'data_preprocessor',
    'load_from', 'resume', 'launcher', 'env_cfg', 'log_processor', 'log_level', 'visualizer',
    'default_scope', 'randomness', 'experiment_name', 'model_wrapper_cfg', 'custom_imports',
    'sync_bn', 'tta_model', 'tta_pipeline'}


def find_module_class(type_name) -> Optional[type]:
    """The class a config's ``type=`` names, looked up in every registry of the toolbox
    (and mmengine's, through them); ``None`` if no registry has it."""
    if isinstance(type_name, type):
        return type_name
    from yolo_toolbox import registry
    for value in vars(registry).values():
        if hasattr(value, 'get') and hasattr(value, 'module_dict'):
            try:
                found = value.get(type_name)
            except Exception:  # noqa: BLE001  a registry that cannot import its locations
                found = None
            if found is not None:
                return found
    return None


def _parameters(func) -> Tuple[Set[str], bool]:
    """(named parameters, takes ``**kwargs``) of a callable."""
    try:
        params = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):
        return set(), True
    names = {p.name for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
    return names - {'self'}, any(p.kind == p.VAR_KEYWORD for p in params)


def module_arguments(cls: type, cfg: Optional[dict] = None) -> Optional[Set[str]]:
    """The keyword arguments a ``dict(type=cls, ...)`` may hold, or ``None`` when the
    class takes arbitrary ``**kwargs`` that are not forwarded to a known callable.

    Known forwards: ``CheckpointHook`` -> ``Runner.save_checkpoint``; ``EMAHook`` -> its
    ``ema_type`` class.
    """
    from mmengine.hooks import CheckpointHook, EMAHook, Hook
    names, open_ended = _parameters(cls.__init__ if inspect.isclass(cls) else cls)
    names |= {'type', '_scope_'}
    if inspect.isclass(cls) and issubclass(cls, Hook):
        names |= {'priority'}  # read by Runner.register_hook
    if not open_ended:
        return names
    if inspect.isclass(cls) and issubclass(cls, CheckpointHook):
        from mmengine.runner import Runner
        forwarded, _ = _parameters(Runner.save_checkpoint)
        return names | forwarded
    if inspect.isclass(cls) and issubclass(cls, EMAHook):
        ema_cls = find_module_class((cfg or {}).get('ema_type', 'ExponentialMovingAverage'))
        if ema_cls is None:
            return None
        forwarded = module_arguments(ema_cls)
        return None if forwarded is None else names | (forwarded - {'model'})
    return None


def _config_paths(node, prefix: str = '') -> List[str]:
    """Every dotted key of a config (list items by index)."""
    items = (node.items() if isinstance(node, dict)
             else enumerate(node) if isinstance(node, (list, tuple)) else ())
    paths = []
    for key, value in items:
        path = f'{prefix}{key}'
        paths.append(path)
        paths += _config_paths(value, path + '.')
    return paths


def _unknown_option(cfg: Config, key: str, known: List[str]) -> Optional[str]:
    """Why ``key`` cannot be set in ``cfg`` (``None`` when it can)."""
    parts = key.split('.')
    if len(parts) == 1 and key in cfg and key not in RUNNER_KEYS \
            and not isinstance(cfg[key], dict):
        return (f'{key!r} is a variable of the config file: it was already used where the '
                'file mentions it, so setting it now changes nothing; set the key that uses '
                f'it{did_you_mean(key, [k for k in known if "." in k])}')
    node = cfg._cfg_dict if hasattr(cfg, '_cfg_dict') else cfg
    if parts[0] in RUNNER_KEYS and parts[0] not in node:
        return None  # a key the runner or the tools read, new to this config (sync_bn=torch)
    for depth, part in enumerate(parts):
        if isinstance(node, dict) and part in node:
            node = node[part]
            continue
        if isinstance(node, (list, tuple)) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
            continue
        if isinstance(node, dict) and 'type' in node:  # deeper parts: a new dict argument
            cls = find_module_class(node['type'])
            allowed = None if cls is None else module_arguments(cls, node)
            if allowed is None or part in allowed:
                return None  # an argument of the module the dict builds
            where = '.'.join(parts[:depth])
            return (f'{key!r}: {getattr(cls, "__name__", cls)} ({where}) has no argument '
                    f'{part!r}{did_you_mean(part, sorted(allowed - {"type"}))}')
        return f'{key!r} is not a key of the config{did_you_mean(key, known)}'
    return None


def check_cfg_options(cfg: Config, options: dict) -> dict:
    """``options`` (``--cfg-options``) checked against ``cfg``; returns them with the
    ``+`` of new keys removed, ready for ``cfg.merge_from_dict``.

    Raises:
        KeyError: naming each key that the config does not have, with the closest
            existing key, and how to add a new key on purpose (``+KEY=VALUE``).
    """
    known = _config_paths(cfg._cfg_dict if hasattr(cfg, '_cfg_dict') else cfg)
    # dicts whose type the options change: their arguments are the new type's
    retyped = tuple(k.lstrip('+')[:-len('type')] for k in options if k.endswith('.type'))
    checked, problems = {}, []
    for key, value in options.items():
        if key.startswith('+') or (retyped and key.startswith(retyped)):
            checked[key.lstrip('+')] = value
            continue
        problem = _unknown_option(cfg, key, known)
        if problem:
            problems.append(problem)
        checked[key] = value
    if problems:
        raise KeyError('--cfg-options: ' + '; '.join(problems) + '. To add a key that is not '
                       'in the config on purpose, write it with a leading +, e.g. '
                       "--cfg-options +model.backbone.new_arg=1 (docs/robustness.md)")
    return checked


def check_hook_args(hook_cfgs: Iterable) -> None:
    """Raise ``ValueError`` for keys that a hook config's class does not take.

    Hooks whose ``__init__`` lists its arguments already fail when they are built; this
    catches the ones that accept ``**kwargs`` (``CheckpointHook``, ``EMAHook``), which
    would otherwise fail at their first use (e.g. the first checkpoint save) or never.
    """
    for hook in hook_cfgs:
        if not isinstance(hook, dict) or 'type' not in hook:
            continue
        cls = find_module_class(hook['type'])
        allowed = None if cls is None else module_arguments(cls, hook)
        if allowed is None:
            continue
        for key in hook:
            if key not in allowed:
                raise ValueError(
                    f'{cls.__name__}: unknown argument {key!r}'
                    f'{did_you_mean(key, sorted(allowed - {"type"}))}')
