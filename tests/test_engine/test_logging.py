"""TensorBoard scalars of a run and ``tools/analysis_tools/analyze_logs.py``."""
import glob
import os.path as osp

import cv2
import pytest

from tests._tools import load_tool

analyze_logs = load_tool('tools/analysis_tools/analyze_logs.py')

PER_SCALE = [f'{part}_s{stride}' for part in ('obj', 'bbox', 'cls') for stride in (8, 16, 32)]
TRAIN_SCALARS = ['loss', 'loss_obj', 'loss_bbox', 'loss_cls', 'lr', *PER_SCALE]


def _scalars_json(work_dir: str) -> str:
    (path, ) = glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))
    return path


def test_tensorboard_event_file_has_losses_lr_and_map(reference):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    (events, ) = glob.glob(osp.join(reference['work_dir'], '*', 'vis_data',
                                    'events.out.tfevents.*'))
    accumulator = EventAccumulator(events)
    accumulator.Reload()
    tags = set(accumulator.Tags()['scalars'])
    missing = set(TRAIN_SCALARS + ['det/mAP_50', 'det/mAP_50_95']) - tags
    assert not missing, f'missing {missing}; logged: {sorted(tags)}'
    loss_steps = [event.step for event in accumulator.Scalars('loss')]
    assert loss_steps == list(range(1, 13))  # logger interval 1, 12 iterations
    (map_event, ) = accumulator.Scalars('det/mAP_50')  # validated once, after epoch 3
    assert map_event.step == 3 and 0.0 <= map_event.value <= 1.0


def test_plot_curve_writes_png_with_loss_and_map(reference, tmp_path):
    out = str(tmp_path / 'curve.png')
    fig = analyze_logs.main(['plot_curve', _scalars_json(reference['work_dir']),
                             '--keys', 'loss', 'det/mAP_50', '--legend', 'tiny',
                             '--out', out])
    with open(out, 'rb') as f:
        assert f.read(8) == b'\x89PNG\r\n\x1a\n'
    image = cv2.imread(out)
    assert image is not None and image.shape[0] > 200 and image.shape[1] > 200
    loss_ax, map_ax = fig.axes
    (loss_line, ), (map_line, ) = loss_ax.get_lines(), map_ax.get_lines()
    assert list(loss_line.get_xdata()) == list(range(1, 13))
    assert (loss_ax.get_xlabel(), map_ax.get_xlabel()) == ('iteration', 'epoch')
    assert list(map_line.get_xdata()) == [3]
    import matplotlib.pyplot as plt
    plt.close(fig)


def test_plot_curve_names_the_logged_keys_when_a_key_is_missing(reference, tmp_path):
    with pytest.raises(KeyError, match='loss_obj'):
        analyze_logs.main(['plot_curve', _scalars_json(reference['work_dir']),
                           '--keys', 'no_such_key', '--out', str(tmp_path / 'x.png')])


def test_cal_train_time(reference, capsys):
    (summary, ) = analyze_logs.main(['cal_train_time', _scalars_json(reference['work_dir'])])
    assert summary['slowest_epoch'] in (1, 2, 3) and summary['fastest_epoch'] in (1, 2, 3)
    assert 0 < summary['fastest_time'] <= summary['avg_iter_time'] <= summary['slowest_time']
    assert 'average iter time' in capsys.readouterr().out
