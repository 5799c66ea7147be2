"""The toolbox's registries: children of mmengine's root registries.

Every registry lists ``locations`` so that building a module by its string
name (``dict(type='NearbyGridAssigner')``) imports the subpackage on demand;
no manual import is needed in configs or scripts.
"""
from mmengine.registry import DATA_SAMPLERS as MMENGINE_DATA_SAMPLERS
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import EVALUATOR as MMENGINE_EVALUATOR
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import LOG_PROCESSORS as MMENGINE_LOG_PROCESSORS
from mmengine.registry import LOOPS as MMENGINE_LOOPS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODEL_WRAPPERS as MMENGINE_MODEL_WRAPPERS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import OPTIM_WRAPPER_CONSTRUCTORS as MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from mmengine.registry import OPTIMIZERS as MMENGINE_OPTIMIZERS
from mmengine.registry import PARAM_SCHEDULERS as MMENGINE_PARAM_SCHEDULERS
from mmengine.registry import RUNNERS as MMENGINE_RUNNERS
from mmengine.registry import TASK_UTILS as MMENGINE_TASK_UTILS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import VISBACKENDS as MMENGINE_VISBACKENDS
from mmengine.registry import VISUALIZERS as MMENGINE_VISUALIZERS
from mmengine.registry import Registry

# runners (mmengine's Runner, built by name)
RUNNERS = Registry('runner', parent=MMENGINE_RUNNERS)
# training / validation / test loops
LOOPS = Registry('loop', parent=MMENGINE_LOOPS)
# hooks added by the toolbox
HOOKS = Registry('hook', parent=MMENGINE_HOOKS, locations=['yolo_toolbox.engine.hooks'])
# datasets: VOCDataset, CocoDataset
DATASETS = Registry('dataset', parent=MMENGINE_DATASETS, locations=['yolo_toolbox.datasets'])
# samplers for dataloaders
DATA_SAMPLERS = Registry('data sampler', parent=MMENGINE_DATA_SAMPLERS,
                         locations=['yolo_toolbox.datasets'])
# data pipeline transforms: loading, mosaic, albumentations wrapper, letterbox, packing
TRANSFORMS = Registry('transform', parent=MMENGINE_TRANSFORMS,
                      locations=['yolo_toolbox.datasets.transforms'])
# networks: detectors, backbones, necks, heads, losses, data preprocessors
MODELS = Registry('model', parent=MMENGINE_MODELS, locations=['yolo_toolbox.models'])
# model wrappers (DDP and friends)
MODEL_WRAPPERS = Registry('model_wrapper', parent=MMENGINE_MODEL_WRAPPERS,
                          locations=['yolo_toolbox.models'])
# label assigners and other detection helpers that are not nn.Modules
TASK_UTILS = Registry('task util', parent=MMENGINE_TASK_UTILS,
                      locations=['yolo_toolbox.models.task_modules'])
# optimizer wrappers (e.g. the CPU bf16 autocast wrapper)
OPTIM_WRAPPERS = Registry('optim_wrapper', parent=MMENGINE_OPTIM_WRAPPERS,
                          locations=['yolo_toolbox.engine'])
# optimizers
OPTIMIZERS = Registry('optimizer', parent=MMENGINE_OPTIMIZERS, locations=['yolo_toolbox.engine'])
# optimizer wrapper constructors
OPTIM_WRAPPER_CONSTRUCTORS = Registry('optimizer wrapper constructor',
                                      parent=MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS,
                                      locations=['yolo_toolbox.engine'])
# learning-rate / momentum schedulers
PARAM_SCHEDULERS = Registry('parameter scheduler', parent=MMENGINE_PARAM_SCHEDULERS,
                            locations=['yolo_toolbox.engine'])
# evaluation metrics: COCO-style mAP
METRICS = Registry('metric', parent=MMENGINE_METRICS, locations=['yolo_toolbox.evaluation'])
# evaluators
EVALUATOR = Registry('evaluator', parent=MMENGINE_EVALUATOR, locations=['yolo_toolbox.evaluation'])
# visualizers: detection and label-assignment drawing
VISUALIZERS = Registry('visualizer', parent=MMENGINE_VISUALIZERS,
                       locations=['yolo_toolbox.visualization'])
# visualisation backends (local, TensorBoard, ... from mmengine)
VISBACKENDS = Registry('vis_backend', parent=MMENGINE_VISBACKENDS,
                       locations=['yolo_toolbox.visualization'])
# log processors
LOG_PROCESSORS = Registry('log_processor', parent=MMENGINE_LOG_PROCESSORS)
