import warnings

from .all_grid_assigner import AllGridAssigner
from .atss_assigner import ATSSAssigner
from .base_grid_assigner import AssignLevel, BaseGridAssigner, GridAssignResult
from .base_multi_level_assigner import BaseMultiLevelAssigner
from .nearby_grid_assigner import NearbyGridAssigner
from .simota_assigner import SimOTAAssigner
from .single_grid_assigner import SingleGridAssigner
from .task_aligned_assigner import TaskAlignedAssigner
from .yolov5_assigner import YOLOv5Assigner

#: the one table of short assigner names, as the tools (--assigners) and the analysis
#: code accept them; anything else is looked up in TASK_UTILS as it is
ASSIGNER_ALIASES = {
    'single_grid': 'SingleGridAssigner', 'nearby_grid': 'NearbyGridAssigner',
    'all_grid': 'AllGridAssigner', 'yolov5': 'YOLOv5Assigner', 'atss': 'ATSSAssigner',
    'simota': 'SimOTAAssigner', 'tal': 'TaskAlignedAssigner',
    # the original's own short names
    'single': 'SingleGridAssigner', 'nearby': 'NearbyGridAssigner', 'all': 'AllGridAssigner'}

#: old names still importable from this package, each with a DeprecationWarning
DEPRECATED_NAMES = {'BaseDynamicAssigner': 'BaseMultiLevelAssigner'}
_warned: set = set()


def __getattr__(name: str):
    """``BaseDynamicAssigner``: the old name of :class:`BaseMultiLevelAssigner` (the same
    class, so existing subclasses and ``isinstance`` checks keep working)."""
    if name in DEPRECATED_NAMES:
        new = DEPRECATED_NAMES[name]
        if name not in _warned:  # once: ``from ... import`` looks a name up twice
            _warned.add(name)
            warnings.warn(f'{name} is renamed {new} (it assigns over all scales at once; it '
                          f'need not use predictions); import {new} from '
                          'yolo_toolbox.models.task_modules.assigners', DeprecationWarning,
                          stacklevel=2)
        return globals()[new]
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')


__all__ = ['ASSIGNER_ALIASES', 'ATSSAssigner', 'AllGridAssigner', 'AssignLevel',
           'BaseGridAssigner', 'BaseMultiLevelAssigner', 'GridAssignResult',
           'NearbyGridAssigner', 'SimOTAAssigner', 'SingleGridAssigner', 'TaskAlignedAssigner',
           'YOLOv5Assigner']
