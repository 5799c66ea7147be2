from .checkpoint_fit_hook import CheckpointFitHook
from .compile_hook import CompileModelHook, compile_model, setup_compile
from .hook_args_check_hook import HookArgsCheckHook
from .nonfinite_loss_hook import NonFiniteLossError, NonFiniteLossHook, set_nonfinite_loss_action
from .pipeline_switch_hook import PipelineSwitchHook
from .progress_bar_hook import ProgressBarHook
from .sync_norm_stats_hook import SyncNormStatsHook
from .visualization_hook import DetVisualizationHook

__all__ = ['CheckpointFitHook', 'CompileModelHook', 'DetVisualizationHook', 'HookArgsCheckHook',
           'NonFiniteLossError', 'NonFiniteLossHook', 'PipelineSwitchHook', 'ProgressBarHook',
           'SyncNormStatsHook', 'compile_model', 'set_nonfinite_loss_action', 'setup_compile']
