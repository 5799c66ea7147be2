"""The box coder contract: raw per-slot box outputs -> boxes in network-input pixels."""
import json
from abc import abstractmethod
from typing import Any, Optional

import torch
from torch import Tensor, nn

#: the state-dict key (under the coder's prefix) of the coder's settings
STATE_KEY = 'coder_settings'


class BaseBBoxCoder(nn.Module):
    """Decodes a head's raw box outputs; owned by the head, used in training and inference.

    A coder is an ``nn.Module`` with no parameters so that its settings travel in every
    state dict: :meth:`config` is written into checkpoints under
    ``<head>.bbox_coder.coder_settings``, and loading a checkpoint written by a coder with
    other settings raises :class:`CoderMismatchError` naming the settings that differ
    (a checkpoint decoded by the wrong coder gives wrong boxes, never an error, so this
    is the only place it can be caught).

    ``reach`` is what the coder can decode: the range of box-centre offsets, in cells,
    from the top-left corner of the predicting cell, ``(low, high)`` on both axes; ``None``
    means any offset (a positive anywhere on the map can regress its GT). An assigner
    declares the reach it needs (``BaseGridAssigner.reach``) and the head refuses a coder
    that does not cover it (:meth:`covers`).
    """

    #: raw channels per slot that :meth:`decode` reads
    num_raw: int = 4
    reach: Optional[tuple[float, float]] = None

    @abstractmethod
    def decode(self, raw: Tensor, grid_xy: Tensor, anchor_wh: Tensor, stride: float,
               grid_size: tuple[int, int]) -> Tensor:
        """Raw outputs -> boxes.

        Args:
            raw: (..., num_raw) raw box outputs of each slot.
            grid_xy: (..., 2) column, row of the predicting cell (broadcastable).
            anchor_wh: (..., 2) anchor w, h in pixels (broadcastable; anchor-free coders
                ignore it).
            stride: pixels per cell.
            grid_size: (H, W) of the map.

        Returns:
            (..., 4) boxes cx, cy, w, h in network-input pixels.
        """

    @abstractmethod
    def config(self) -> dict[str, Any]:
        """The settings that decide the decoding, as a config dict with ``type``."""

    def covers(self, reach: Optional[tuple[float, float]]) -> bool:
        """Whether every centre offset in ``reach`` (``None``: anywhere) is decodable."""
        if self.reach is None:
            return True
        if reach is None:
            return False
        return self.reach[0] <= reach[0] and reach[1] <= self.reach[1]

    # the settings travel in state dicts (checkpoints, EMA copies), as a uint8 tensor of
    # their JSON: a tensor passes every tool that handles state dicts (torch.load with
    # weights_only, mmengine's EMA which averages only floating tensors, DDP)
    def _save_to_state_dict(self, destination, prefix, keep_vars):
        super()._save_to_state_dict(destination, prefix, keep_vars)
        encoded = json.dumps(self.config(), sort_keys=True).encode()
        destination[prefix + STATE_KEY] = torch.tensor(list(encoded), dtype=torch.uint8)

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        saved = state_dict.pop(prefix + STATE_KEY, None)
        if saved is not None:  # checkpoints written before coders existed have none
            saved = decode_settings(saved)
            mine = json.loads(json.dumps(self.config()))  # tuples -> lists, as saved
            if saved != mine:
                raise CoderMismatchError(mismatch_message(saved, mine))
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)

    def extra_repr(self) -> str:
        return ', '.join(f'{k}={v!r}' for k, v in self.config().items() if k != 'type')


def decode_settings(saved: Tensor) -> Any:
    """The coder settings saved in a state dict (a uint8 tensor of JSON)."""
    return json.loads(bytes(saved.tolist()).decode())


class CoderMismatchError(ValueError):
    """A checkpoint or export was written by a box coder with other settings."""


def mismatch_message(saved: Any, mine: dict[str, Any]) -> str:
    """'bbox_coder differs: wh_decode 'exp' (checkpoint) vs 'linear' (config)' ..."""
    if not isinstance(saved, dict):
        return f'bbox_coder differs: checkpoint {saved!r} vs config {mine!r}'
    diffs = [f'{key} {saved.get(key)!r} (checkpoint) vs {mine.get(key)!r} (config)'
             for key in sorted(set(saved) | set(mine)) if saved.get(key) != mine.get(key)]
    return ('the checkpoint was trained with another box coder, so its boxes would decode '
            'wrong under this config: ' + '; '.join(diffs) + '. Set model.bbox_head.'
            'bbox_coder to the checkpoint\'s settings (the run that wrote it used '
            f'{saved!r}).')
