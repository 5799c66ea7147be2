"""Deprecated module name: the base class lives in ``base_multi_level_assigner``.

``from yolo_toolbox.models.task_modules.assigners.base_dynamic_assigner import
BaseDynamicAssigner`` keeps working (with a DeprecationWarning); new code imports
``BaseMultiLevelAssigner`` from ``yolo_toolbox.models.task_modules.assigners``.
"""
import warnings

from .base_multi_level_assigner import BaseMultiLevelAssigner, Candidates  # noqa: F401

warnings.warn('yolo_toolbox.models.task_modules.assigners.base_dynamic_assigner is renamed '
              'base_multi_level_assigner (BaseDynamicAssigner is BaseMultiLevelAssigner)',
              DeprecationWarning, stacklevel=2)

BaseDynamicAssigner = BaseMultiLevelAssigner
