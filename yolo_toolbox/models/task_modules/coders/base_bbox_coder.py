"""The box coder contract: raw per-slot box outputs -> boxes in network-input pixels."""
from abc import abstractmethod
from typing import Any, Optional

from torch import Tensor, nn


class BaseBBoxCoder(nn.Module):
    """Decodes a head's raw box outputs; owned by the head, used in training and inference.

    A coder is an ``nn.Module`` with no parameters so that its settings travel in every
    state dict: :meth:`get_extra_state` writes :meth:`config` into checkpoints under
    ``<head>.bbox_coder._extra_state``, and loading a checkpoint written by a coder with
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

    # the settings travel in state dicts (checkpoints, EMA copies)
    def get_extra_state(self) -> dict[str, Any]:
        return self.config()

    def set_extra_state(self, state: Any) -> None:
        mine = self.config()
        if state != mine:
            raise CoderMismatchError(mismatch_message(state, mine))

    def extra_repr(self) -> str:
        return ', '.join(f'{k}={v!r}' for k, v in self.config().items() if k != 'type')


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
