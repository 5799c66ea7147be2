from .sync_norm_stats_hook import SyncNormStatsHook
from .visualization_hook import DetVisualizationHook

__all__ = ['DetVisualizationHook', 'SyncNormStatsHook']
