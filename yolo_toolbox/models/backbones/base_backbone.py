"""What the backbones share: frozen stages and frozen BatchNorm statistics in train()."""
from mmengine.model import BaseModule
from torch.nn.modules.batchnorm import _BatchNorm


class BaseBackbone(BaseModule):
    """A backbone with ``frozen_stages`` and ``norm_eval``.

    Subclasses implement ``_freeze_stages()`` (put the first ``frozen_stages`` stages in
    eval mode with ``requires_grad=False``) and set ``self.norm_eval``.
    """

    norm_eval: bool = False

    def _freeze_stages(self) -> None:
        raise NotImplementedError

    def train(self, mode: bool = True) -> 'BaseBackbone':
        """Switch train/eval mode, keeping frozen stages (and all BNs if norm_eval) in eval."""
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for module in self.modules():
                if isinstance(module, _BatchNorm):
                    module.eval()
        return self
