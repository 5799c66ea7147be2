"""``randomness=dict(seed=0, deterministic=True)``: two CPU runs give the same losses."""
import pytest

from tests._tools.runs import train_entries


@pytest.mark.slow
def test_same_seed_gives_same_first_losses(reference, interrupted):
    # two separate processes with the same config; the second one was later interrupted
    first = train_entries(reference['scalars'])
    second = train_entries(interrupted['killed_scalars'])
    for it in (1, 2, 3):
        for key in ('loss', 'loss_obj', 'loss_bbox', 'loss_cls', 'num_pos'):
            assert first[it][key] == second[it][key], (it, key)
