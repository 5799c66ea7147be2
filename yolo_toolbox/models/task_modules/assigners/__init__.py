from .all_grid_assigner import AllGridAssigner
from .atss_assigner import ATSSAssigner
from .base_dynamic_assigner import BaseDynamicAssigner
from .base_grid_assigner import AssignLevel, BaseGridAssigner, GridAssignResult
from .nearby_grid_assigner import NearbyGridAssigner
from .simota_assigner import SimOTAAssigner
from .single_grid_assigner import SingleGridAssigner
from .task_aligned_assigner import TaskAlignedAssigner
from .yolov5_assigner import YOLOv5Assigner

#: short names of the registered assigners, as the comparison tools accept them
ASSIGNER_ALIASES = {
    'single_grid': 'SingleGridAssigner', 'nearby_grid': 'NearbyGridAssigner',
    'all_grid': 'AllGridAssigner', 'yolov5': 'YOLOv5Assigner', 'atss': 'ATSSAssigner',
    'simota': 'SimOTAAssigner', 'tal': 'TaskAlignedAssigner'}

__all__ = ['ASSIGNER_ALIASES', 'ATSSAssigner', 'AllGridAssigner', 'AssignLevel',
           'BaseDynamicAssigner', 'BaseGridAssigner', 'GridAssignResult', 'NearbyGridAssigner',
           'SimOTAAssigner', 'SingleGridAssigner', 'TaskAlignedAssigner', 'YOLOv5Assigner']
