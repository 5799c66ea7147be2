"""tools/analysis_tools/assigner_head_table.py: sweep work dirs side by side."""
import json

import pytest

from tests._tools import load_tool


def _run(root, assigner, seed, map50, map_all, pos=None):
    run_dir = root / assigner / f'seed{seed}'
    run_dir.mkdir(parents=True)
    result = dict(assigner=assigner, seed=seed, mAP_50=map50, mAP_50_95=map_all)
    if pos is not None:
        result['pos_per_gt'] = pos
    (run_dir / 'sweep_result.json').write_text(json.dumps(result))


def test_grid_rows_columns_and_seed_means(tmp_path):
    tool = load_tool('tools/analysis_tools/assigner_head_table.py')
    a, b = tmp_path / 'head_a', tmp_path / 'head_b'
    _run(a, 'nearby', 0, 0.5, 0.3, 60.0)
    _run(a, 'nearby', 1, 0.7, 0.5, 58.0)
    _run(a, 'atss', 0, 0.6, 0.4, 5.5)
    _run(b, 'atss', 0, 0.8, 0.6, float('nan'))
    _run(b, 'simota', 0, 0.9, 0.7)
    (b / 'tal' / 'seed0').mkdir(parents=True)  # unfinished: no result file
    out = tmp_path / 't.md'
    text = tool.main([str(a), str(b), '--labels', 'A', 'B', '--out', str(out)])
    lines = text.splitlines()
    assert lines[0] == '| assigner | A | B |'
    # rows in order of first appearance (sorted within a dir), means over seeds
    assert lines[2] == '| atss | 0.600 / 0.400, 5.5 pos/GT (n=1) | 0.800 / 0.600 (n=1) |'
    assert lines[3] == '| nearby | 0.600 / 0.400, 59.0 pos/GT (n=2) | - |'
    assert lines[4] == '| simota | - | 0.900 / 0.700 (n=1) |'
    assert len([l for l in lines if l.startswith('| ')]) == 4  # header + 3 rows: no 'tal'
    assert out.read_text().startswith(text)
    # --seeds keeps the columns on the same seeds
    only0 = tool.main([str(a), '--labels', 'A', '--seeds', '0'])
    assert '| nearby | 0.500 / 0.300, 60.0 pos/GT (n=1) |' in only0


def test_grid_errors(tmp_path):
    tool = load_tool('tools/analysis_tools/assigner_head_table.py')
    with pytest.raises(SystemExit, match='no such sweep work dir'):
        tool.main([str(tmp_path / 'missing')])
    (tmp_path / 'empty').mkdir()
    with pytest.raises(SystemExit, match='no finished run'):
        tool.main([str(tmp_path / 'empty')])
    _run(tmp_path / 'x', 'atss', 0, 0.5, 0.3)
    with pytest.raises(SystemExit, match='2 labels for 1 work dirs'):
        tool.main([str(tmp_path / 'x'), '--labels', 'A', 'B'])
