from .nonfinite_loss_hook import NonFiniteLossError, NonFiniteLossHook, add_nonfinite_loss_hook
from .progress_bar_hook import ProgressBarHook
from .sync_norm_stats_hook import SyncNormStatsHook
from .visualization_hook import DetVisualizationHook

__all__ = ['DetVisualizationHook', 'NonFiniteLossError', 'NonFiniteLossHook', 'ProgressBarHook',
           'SyncNormStatsHook', 'add_nonfinite_loss_hook']
