"""ResNet backbone: torchvision's ResNet narrowed by ``channel_sparsity``.

The network is built from torchvision's definition (so the module tree keeps torchvision's
names: ``conv1``, ``bn1``, ``layer1`` .. ``layer4``) and then every conv and BN is narrowed
the way the original system does it: each conv keeps its first ``int(c * channel_sparsity)``
output channels and, except the very first conv (which keeps the 3 image channels), its
first ``int(c * channel_sparsity)`` input channels; each BN keeps its first
``int(c * channel_sparsity)`` entries. ImageNet weights (``torchvision://resnet18`` or a local
torchvision-format state_dict) are loaded at full width first, so they are narrowed by exactly
the same slicing.
"""
import logging
import os
from typing import Optional, Sequence, Tuple

import torch
from mmcv.cnn import build_activation_layer
from mmengine.logging import print_log
from torch import Tensor, nn
from torchvision import models as tv_models

from yolo_toolbox.registry import MODELS

from ..layers import RELU_CFG
from .base_backbone import BaseBackbone
from .torchvision_weights import PREFIX, load_torchvision_state_dict

# depth -> (torchvision constructor name, block expansion)
_ARCH_SETTINGS = {
    18: ('resnet18', 1),
    34: ('resnet34', 1),
    50: ('resnet50', 4),
    101: ('resnet101', 4),
    152: ('resnet152', 4),
}
_STAGE_BASE_CHANNELS = (64, 128, 256, 512)  # planes of layer1..layer4 before expansion
_STAGE_STRIDES = (4, 8, 16, 32)


def narrow_resnet_(model: nn.Module, channel_sparsity: float) -> nn.Module:
    """Narrow every Conv2d / BatchNorm2d of ``model`` in place by slicing (the original's rule).

    Convs are visited in registration order; the first one keeps all its input channels.
    Slices are copied (contiguous) so the full-width tensors can be freed.
    """
    def keep(tensor: Tensor, *sizes: int) -> Tensor:
        index = tuple(slice(0, size) for size in sizes)
        return tensor.detach()[index].clone(memory_format=torch.contiguous_format)

    first_conv = True
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            if module.groups != 1:
                raise NotImplementedError('narrowing grouped convs is not supported')
            out_channels = int(module.out_channels * channel_sparsity)
            in_channels = (module.in_channels if first_conv
                           else int(module.in_channels * channel_sparsity))
            first_conv = False
            module.weight = nn.Parameter(keep(module.weight, out_channels, in_channels))
            if module.bias is not None:
                module.bias = nn.Parameter(keep(module.bias, out_channels))
            module.out_channels, module.in_channels = out_channels, in_channels
        elif isinstance(module, nn.BatchNorm2d):
            num_features = int(module.num_features * channel_sparsity)
            if module.affine:
                module.weight = nn.Parameter(keep(module.weight, num_features))
                module.bias = nn.Parameter(keep(module.bias, num_features))
            if module.track_running_stats:
                module.running_mean = keep(module.running_mean, num_features)
                module.running_var = keep(module.running_var, num_features)
            module.num_features = num_features
    return model


def _replace_relu_(module: nn.Module, act_cfg: dict) -> None:
    """Replace every ``nn.ReLU`` under ``module`` by a fresh activation built from ``act_cfg``."""
    for name, child in module.named_children():
        if isinstance(child, nn.ReLU):
            setattr(module, name, build_activation_layer(dict(act_cfg)))
        else:
            _replace_relu_(child, act_cfg)


@MODELS.register_module()
class ResNet(BaseBackbone):
    """torchvision ResNet-18/34/50/101/152 with a width multiplier, returning multi-scale maps.

    Args:
        depth: 18, 34, 50, 101 or 152.
        channel_sparsity: width multiplier in (0, 1]; every channel count ``c`` becomes
            ``int(c * channel_sparsity)`` (the original system's ``channel_sparsity``).
        out_indices: which of ``layer1..layer4`` (0..3, strides 4/8/16/32) to return;
            the default (1, 2, 3) gives strides 8, 16, 32.
        pretrained: ImageNet weights, loaded at full width and then sliced with the
            network (``fc.*`` entries are ignored, other mismatches are logged). Either
            ``'torchvision://resnet{depth}'`` (MMDetection's form): torchvision's
            ``IMAGENET1K_V1`` file, downloaded once with ``torch.hub`` (SHA-256 checked) to
            ``$TORCH_HOME/hub/checkpoints/resnet18-f37072fd.pth`` etc. and read from there
            afterwards; offline, a ``FileNotFoundError`` gives the URL and the exact path to
            put the file at. Or a LOCAL path to a torchvision-format ResNet state_dict (e.g.
            ``checkpoints/resnet18-f37072fd.pth``), read as it is.
        frozen_stages: -1 freezes nothing; 0 freezes the stem (conv1, bn1); k >= 1 also
            freezes layer1..layer{k} (parameters get ``requires_grad=False``, BNs stay in eval).
        norm_eval: keep every BN in eval mode (frozen running stats) during training.
        act_cfg: activation replacing torchvision's ReLUs (``dict(type='ReLU')`` keeps them).
        init_cfg: mmengine initialisation config.

    Attributes:
        out_channels: channels of the returned maps, e.g. ResNet-18 at 0.5: (64, 128, 256).
        strides: their strides in input pixels, e.g. (8, 16, 32).

    Input (B, 3, H, W) -> tuple of (B, out_channels[i], H / strides[i], W / strides[i])
    (sizes rounded up at each stride-2 step).
    """

    def __init__(self, depth: int = 18, channel_sparsity: float = 1.0,
                 out_indices: Sequence[int] = (1, 2, 3), pretrained: Optional[str] = None,
                 frozen_stages: int = -1, norm_eval: bool = False,
                 act_cfg: dict = RELU_CFG, init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if depth not in _ARCH_SETTINGS:
            raise ValueError(f'ResNet depth must be one of {sorted(_ARCH_SETTINGS)}, got {depth}')
        if not 0 < channel_sparsity <= 1 or int(64 * channel_sparsity) < 1:
            raise ValueError('channel_sparsity must be in (0, 1] and keep at least one channel, '
                             f'got {channel_sparsity}')
        if not out_indices or not set(out_indices) <= {0, 1, 2, 3}:
            raise ValueError(f'out_indices must be a non-empty subset of 0..3, got {out_indices}')
        arch_name, expansion = _ARCH_SETTINGS[depth]
        self.depth = depth
        self.channel_sparsity = channel_sparsity
        self.out_indices = tuple(out_indices)
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval

        full = getattr(tv_models, arch_name)(weights=None)
        self.conv1, self.bn1 = full.conv1, full.bn1
        self.relu, self.maxpool = full.relu, full.maxpool
        self.res_layers = ('layer1', 'layer2', 'layer3', 'layer4')
        for name in self.res_layers:
            self.add_module(name, getattr(full, name))
        del full  # drops avgpool / fc

        if pretrained is not None:
            self._load_full_width_state_dict(pretrained)
        narrow_resnet_(self, channel_sparsity)
        if act_cfg is not None and act_cfg.get('type') != 'ReLU':
            _replace_relu_(self, act_cfg)

        stage_channels = [int(c * expansion * channel_sparsity) for c in _STAGE_BASE_CHANNELS]
        self.out_channels: Tuple[int, ...] = tuple(stage_channels[i] for i in self.out_indices)
        self.strides: Tuple[int, ...] = tuple(_STAGE_STRIDES[i] for i in self.out_indices)
        self._freeze_stages()

    def _load_full_width_state_dict(self, path: str) -> None:
        """Load a torchvision ResNet state_dict into the (still full-width) network:
        ``path`` is ``'torchvision://resnet{depth}'`` (hub cache, downloaded when missing)
        or a local file."""
        if path.startswith(PREFIX):
            name, expected = path[len(PREFIX):], _ARCH_SETTINGS[self.depth][0]
            if name != expected:
                raise ValueError(f'ResNet depth={self.depth} got pretrained={path!r}; its '
                                 f'torchvision weights are {PREFIX}{expected}')
            state = load_torchvision_state_dict(name)
        elif not os.path.isfile(path):
            raise FileNotFoundError(
                f'ResNet pretrained weights not found: {path!r}. Give a local torchvision '
                f'state_dict (e.g. resnet{self.depth}-*.pth from the torchvision model zoo), '
                f"'{PREFIX}resnet{self.depth}' (downloaded once into the torch hub cache) "
                'or pretrained=None.')
        else:
            state = torch.load(path, map_location='cpu', weights_only=True)
        if isinstance(state, dict) and isinstance(state.get('state_dict'), dict):
            state = state['state_dict']
        state = {k[len('module.'):] if k.startswith('module.') else k: v
                 for k, v in state.items() if not k.startswith(('fc.', 'module.fc.'))}
        own = self.state_dict()
        shape_mismatch = [f'{k}: file {tuple(v.shape)} vs model {tuple(own[k].shape)}'
                          for k, v in state.items() if k in own and v.shape != own[k].shape]
        matched = {k: v for k, v in state.items() if k in own and v.shape == own[k].shape}
        missing = sorted(set(own) - set(state))
        unexpected = sorted(set(state) - set(own))
        self.load_state_dict(matched, strict=False)
        print_log(f'ResNet-{self.depth}: loaded {len(matched)}/{len(own)} tensors from {path} '
                  f'(then sliced to channel_sparsity={self.channel_sparsity})', logger='current')
        for title, keys in (('missing in file', missing), ('unexpected in file', unexpected),
                            ('shape mismatch (not loaded)', shape_mismatch)):
            if keys:
                print_log(f'ResNet pretrained {title}: {", ".join(keys)}', logger='current',
                          level=logging.WARNING)

    def _freeze_stages(self) -> None:
        frozen = []
        if self.frozen_stages >= 0:
            frozen += [self.conv1, self.bn1]
        frozen += [getattr(self, name) for name in self.res_layers[:max(self.frozen_stages, 0)]]
        for module in frozen:
            module.eval()
            for param in module.parameters():
                param.requires_grad = False

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        """(B, 3, H, W) images -> tuple of feature maps, one per ``out_indices`` entry."""
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        outs = []
        for index, name in enumerate(self.res_layers):
            x = getattr(self, name)(x)
            if index in self.out_indices:
                outs.append(x)
        return tuple(outs)
