"""A checkpoint ready to share: only the weights and the meta, the SHA-256 in its name."""
import hashlib
import os
import os.path as osp
from typing import List, Sequence, Tuple

import torch


def publish_checkpoint(in_file: str, out_file: str,
                       save_keys: Sequence[str] = ('meta', 'state_dict')) -> Tuple[str, List[str]]:
    """Write ``out_file`` stem + ``-{sha256[:8]}.pth`` with only ``save_keys`` of ``in_file``.

    The optimizer, parameter-scheduler and message-hub states (and an EMA hook's copy of
    the raw weights: ``state_dict`` already holds the EMA weights the model was evaluated
    with) are what is left out by default. Loaded with ``weights_only=True``.

    Returns:
        ``(path written, keys removed)``.

    Raises:
        KeyError: ``in_file`` has none of ``save_keys``.
    """
    checkpoint = torch.load(in_file, map_location='cpu', weights_only=True)
    if not isinstance(checkpoint, dict) or not any(k in checkpoint for k in save_keys):
        raise KeyError(f'{in_file}: none of {list(save_keys)} in the checkpoint')
    removed = sorted(k for k in checkpoint if k not in save_keys)
    published = {k: checkpoint[k] for k in save_keys if k in checkpoint}
    stem = out_file[:-len('.pth')] if out_file.endswith('.pth') else out_file
    os.makedirs(osp.dirname(osp.abspath(stem)), exist_ok=True)
    tmp = stem + '.tmp.pth'
    torch.save(published, tmp)
    with open(tmp, 'rb') as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    final = f'{stem}-{digest[:8]}.pth'
    os.replace(tmp, final)
    return final, removed
