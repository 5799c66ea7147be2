from .all_grid_assigner import AllGridAssigner
from .atss_assigner import ATSSAssigner
from .base_dynamic_assigner import BaseDynamicAssigner
from .base_grid_assigner import AssignLevel, BaseGridAssigner, GridAssignResult
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

__all__ = ['ASSIGNER_ALIASES', 'ATSSAssigner', 'AllGridAssigner', 'AssignLevel',
           'BaseDynamicAssigner', 'BaseGridAssigner', 'GridAssignResult', 'NearbyGridAssigner',
           'SimOTAAssigner', 'SingleGridAssigner', 'TaskAlignedAssigner', 'YOLOv5Assigner']
