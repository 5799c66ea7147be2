from .all_grid_assigner import AllGridAssigner
from .base_grid_assigner import BaseGridAssigner, GridAssignResult
from .nearby_grid_assigner import NearbyGridAssigner
from .single_grid_assigner import SingleGridAssigner

__all__ = ['AllGridAssigner', 'BaseGridAssigner', 'GridAssignResult', 'NearbyGridAssigner',
           'SingleGridAssigner']
