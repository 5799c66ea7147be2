"""``torchvision://NAME`` weights, the MMDetection way: torchvision's ImageNet checkpoint,
downloaded once into torch's hub cache and read from there afterwards.

``torchvision://resnet18`` is the file that ``torchvision.models.ResNet18_Weights.IMAGENET1K_V1``
names (``https://download.pytorch.org/models/resnet18-f37072fd.pth``; the ``-f37072fd`` is
the start of its SHA-256, checked after the download). It is cached as
``$TORCH_HOME/hub/checkpoints/resnet18-f37072fd.pth`` (``TORCH_HOME`` defaults to
``~/.cache/torch``), which later runs read without the network. On a machine without
internet, put the file there by hand.
"""
import os
import os.path as osp
from urllib.parse import urlparse

import torch
from torchvision import models as tv_models

PREFIX = 'torchvision://'


def torchvision_weights_url(name: str) -> str:
    """URL of torchvision's ``IMAGENET1K_V1`` weights of model ``name`` (e.g. ``'resnet50'``).

    ``IMAGENET1K_V1`` for every depth: these are the weights of the original
    ``pretrained=True`` and of the ``resnet{depth}-*.pth`` files the configs name.

    Raises:
        ValueError: ``name`` is not a torchvision model with ImageNet-1k weights.
    """
    try:
        weights = tv_models.get_model_weights(name)
        return weights.IMAGENET1K_V1.url
    except (ValueError, AttributeError):
        raise ValueError(f'{PREFIX}{name}: torchvision has no IMAGENET1K_V1 weights for a model '
                         f'named {name!r}; use e.g. {PREFIX}resnet18') from None


def hub_cache_file(url: str) -> str:
    """Where ``torch.hub.load_state_dict_from_url`` keeps ``url``:
    ``$TORCH_HOME/hub/checkpoints/<file name of the URL>``."""
    return osp.join(torch.hub.get_dir(), 'checkpoints', osp.basename(urlparse(url).path))


def load_torchvision_state_dict(name: str) -> dict:
    """The state_dict of ``torchvision://{name}``, from the hub cache or downloaded into it.

    The download shows a progress bar and checks the SHA-256 prefix of the file name
    (a mismatch raises torch's ``RuntimeError``; nothing is cached then). Each process of
    a distributed run reads (or downloads) on its own: torch writes a temporary file and
    renames it, so concurrent downloads do not corrupt the cache.

    Raises:
        ValueError: unknown ``name`` (see :func:`torchvision_weights_url`).
        FileNotFoundError: the file is not cached and cannot be downloaded (offline); the
            message gives the URL and the exact path to put the file at.
    """
    url = torchvision_weights_url(name)
    cache_file = hub_cache_file(url)
    was_cached = osp.isfile(cache_file)
    try:
        return torch.hub.load_state_dict_from_url(url, map_location='cpu', progress=True,
                                                  check_hash=True, weights_only=True)
    except OSError as e:  # urllib's URLError / HTTPError, connection and timeout errors
        if was_cached:
            raise
        reason = getattr(e, 'reason', None) or e
        torch_home = os.environ.get('TORCH_HOME')
        where = f'TORCH_HOME={torch_home}' if torch_home else 'TORCH_HOME is not set'
        raise FileNotFoundError(
            f'pretrained={PREFIX}{name}: the weights are not in the torch hub cache and '
            f'cannot be downloaded ({type(e).__name__}: {reason}). Download {url} on a '
            f'machine with internet and put it at {cache_file} ({where}), or give '
            'pretrained=<local path to that file>.') from None
