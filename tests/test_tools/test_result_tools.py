"""The MMDetection day-one tools on a saved prediction pickle (eval_metric, analyze_results,
confusion_matrix) and publish_model; their --help keeps MMDetection's arguments."""
import hashlib
import os
import pickle

import cv2
import numpy as np
import pytest
import torch

from tests._tools import load_tool

CLASSES = ('cat', 'dog')


@pytest.fixture
def saved(tmp_path):
    """A 3-image YOLO-format set, its config, and predictions as tools/test.py --out saves
    them: image 0 found exactly, image 1 with the wrong class, image 2 missed."""
    images, labels = tmp_path / 'images' / 'val', tmp_path / 'labels' / 'val'
    images.mkdir(parents=True)
    labels.mkdir(parents=True)
    samples = []
    for i in range(3):
        cv2.imwrite(str(images / f'{i}.jpg'), np.full((40, 60, 3), 80, np.uint8))
        (labels / f'{i}.txt').write_text('0 0.5 0.5 0.5 0.5\n')
        gt = torch.tensor([[15.0, 10.0, 45.0, 30.0]])
        pred_labels = torch.tensor([0 if i == 0 else 1])
        samples.append(dict(
            img_path=str(images / f'{i}.jpg'), img_id=str(images / f'{i}.jpg'),
            ori_shape=(40, 60), gt_instances=dict(bboxes=gt, labels=torch.tensor([0])),
            ignored_instances=dict(bboxes=torch.zeros(0, 4), labels=torch.zeros(0).long()),
            pred_instances=dict(bboxes=gt.clone() if i < 2 else torch.zeros(0, 4),
                                scores=torch.tensor([0.9]) if i < 2 else torch.zeros(0),
                                labels=pred_labels if i < 2 else torch.zeros(0).long())))
    (tmp_path / 'data.yaml').write_text('path: .\nval: images/val\nnames: [cat, dog]\n')
    config = tmp_path / 'cfg.py'
    config.write_text(
        "default_scope = 'yolo_toolbox'\n"
        f"test_dataloader = dict(dataset=dict(type='YOLOTxtDataset', "
        f"data_yaml={str(tmp_path / 'data.yaml')!r}, split='val', test_mode=True))\n"
        "test_evaluator = dict(type='CocoStyleMetric')\n")
    pkl = tmp_path / 'preds.pkl'
    pkl.write_bytes(pickle.dumps(samples))
    return str(config), str(pkl)


def test_eval_metric_from_the_pickle(saved, capsys):
    metrics = load_tool('tools/analysis_tools/eval_metric.py').main(list(saved))
    # cat: 1 of 3 GT found at precision 1 -> AP 0.34 (101-point); dog: no GT -> left out
    assert metrics['det/mAP_50'] == pytest.approx(0.3366, abs=1e-3)
    assert '3 images; mAP@0.5: 0.3366' in capsys.readouterr().out


def test_analyze_results_draws_best_and_worst(saved, tmp_path, capsys):
    show_dir = tmp_path / 'show'
    out = load_tool('tools/analysis_tools/analyze_results.py').main(
        [*saved, str(show_dir), '--topk', '1'])
    assert out['scores'] == [1.0, 0.0, 0.0]
    assert os.listdir(show_dir / 'good') == ['000_1.000_0.jpg']
    assert os.listdir(show_dir / 'bad') == ['000_0.000_1.jpg']
    assert cv2.imread(str(show_dir / 'good' / '000_1.000_0.jpg')) is not None
    assert 'good: 1 images, mAP@0.5 1.000' in capsys.readouterr().out


def test_confusion_matrix_counts_and_png(saved, tmp_path, capsys):
    matrix = load_tool('tools/analysis_tools/confusion_matrix.py').main(
        [*saved, str(tmp_path / 'cm'), '--color-theme', 'viridis'])
    # rows: true cat, dog, background; columns: predicted cat, dog, background
    assert matrix.tolist() == [[1, 1, 1], [0, 0, 0], [0, 0, 0]]
    assert (tmp_path / 'cm' / 'confusion_matrix.png').stat().st_size > 0
    assert 'wrote' in capsys.readouterr().out


def test_publish_model_strips_training_state_and_names_the_hash(tmp_path, capsys):
    state = {'w': torch.arange(4.0)}
    torch.save(dict(meta=dict(dataset_meta=dict(classes=CLASSES)), state_dict=state,
                    optimizer=dict(state={}, param_groups=[]), message_hub={},
                    ema_state_dict=state), tmp_path / 'epoch_1.pth')
    path = load_tool('tools/model_converters/publish_model.py').main(
        [str(tmp_path / 'epoch_1.pth'), str(tmp_path / 'out' / 'my_model.pth')])
    digest = hashlib.sha256(open(path, 'rb').read()).hexdigest()
    assert path == str(tmp_path / 'out' / f'my_model-{digest[:8]}.pth')
    published = torch.load(path, weights_only=True)
    assert sorted(published) == ['meta', 'state_dict']
    assert torch.equal(published['state_dict']['w'], state['w'])
    assert 'removed: ema_state_dict, message_hub, optimizer' in capsys.readouterr().out


@pytest.mark.parametrize('tool, flags', [
    ('model_converters/publish_model.py', ['in_file', 'out_file', '--save-keys']),
    ('analysis_tools/eval_metric.py', ['config', 'pkl_results', '--cfg-options']),
    ('analysis_tools/analyze_results.py', ['prediction_path', 'show_dir', '--show', '--wait-time',
                                           '--topk', '--show-score-thr', '--cfg-options']),
    ('analysis_tools/confusion_matrix.py', ['prediction_path', 'save_dir', '--show',
                                            '--color-theme', '--score-thr', '--tp-iou-thr',
                                            '--nms-iou-thr', '--cfg-options']),
    ('analysis_tools/browse_dataset.py', ['--output-dir', '--not-show', '--show-interval',
                                          '--cfg-options']),
    ('misc/download_dataset.py', ['--dataset-name', '--unzip', '--delete']),
])
def test_help_has_mmdetections_arguments(tool, flags, capsys):
    with pytest.raises(SystemExit):
        load_tool(f'tools/{tool}').parse_args(['--help'])
    text = capsys.readouterr().out
    for flag in flags:
        assert flag in text, (tool, flag)
