from .compile_hook import CompileModelHook, compile_model, setup_compile
from .nonfinite_loss_hook import NonFiniteLossError, NonFiniteLossHook, add_nonfinite_loss_hook
from .pipeline_switch_hook import PipelineSwitchHook
from .progress_bar_hook import ProgressBarHook
from .sync_norm_stats_hook import SyncNormStatsHook
from .visualization_hook import DetVisualizationHook

__all__ = ['CompileModelHook', 'DetVisualizationHook', 'NonFiniteLossError', 'NonFiniteLossHook',
           'PipelineSwitchHook', 'ProgressBarHook', 'SyncNormStatsHook', 'add_nonfinite_loss_hook',
           'compile_model', 'setup_compile']
