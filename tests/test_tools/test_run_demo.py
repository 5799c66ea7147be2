"""The demo's live progress: which log lines it shows, and how."""
import importlib.util
import os.path as osp

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
spec = importlib.util.spec_from_file_location('run_demo',
                                              osp.join(REPO, 'tools', 'misc', 'run_demo.py'))
run_demo = importlib.util.module_from_spec(spec)
spec.loader.exec_module(run_demo)

TRAIN = ('2026/11/29 08:05:50 - mmengine - INFO - Epoch(train)  [{e}][{i:>2}/15]  '
         'base_lr: 1.0000e-03 lr: 1.0000e-03  eta: 0:10:21  time: 0.7523  data_time: 0.0434  '
         'loss: 0.7880  loss_obj: 0.2543  loss_bbox: 0.2780  num_pos: 5349.4000')
VAL = ('2026/11/29 08:07:07 - mmengine - INFO - Epoch(val) [10][7/7]    det/mAP_50_95: 0.3123  '
       'det/mAP_50: 0.6456  det/mAP_75: 0.2000  data_time: 0.0476  time: 2.7193')


def test_training_shows_the_first_entry_then_one_line_per_epoch_and_validation():
    show = run_demo.train_line(40)
    shown = [show(TRAIN.format(e=e, i=i)) for e in (1, 2) for i in (5, 10, 15)]
    assert shown == ['      epoch   1/40  iter   5/15  loss 0.788  ETA 0:10:21', None,
                     '      epoch   1/40  iter  15/15  loss 0.788  ETA 0:10:21', None, None,
                     '      epoch   2/40  iter  15/15  loss 0.788  ETA 0:10:21']
    assert show(VAL) == '      epoch  10: validation mAP@0.5 0.646, mAP@0.5:0.95 0.312'
    assert show('UserWarning: something') is None


def test_progress_bar_fragments_become_counts():
    assert run_demo.bar_line('[>>>>>>>>        ] 4/16, 4.4 task/s, elapsed: 1s, ETA: 3s') == \
        '      4/16 done'
    assert run_demo.bar_line('mAP@0.5: 0.7') is None
