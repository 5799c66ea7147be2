"""The experiment-tracking lines of docs/training.md, run as written: each builds its
backend from the config; TensorBoard (and MLflow, when installed) receive the scalars in
a local folder, no network."""
import glob
import os.path as osp
import re

import pytest
from mmengine.config import Config

from tests._tools import REPO
from yolo_toolbox.registry import VISUALIZERS
from yolo_toolbox.utils import load_config

SCALARS = {'loss': [0.9, 0.7, 0.5], 'det/mAP_50': [0.1, 0.3, 0.6]}


def documented_lines() -> dict:
    """backend type -> the ``visualizer = ...`` line of docs/training.md naming it."""
    text = open(osp.join(REPO, 'docs', 'training.md'), encoding='utf-8').read()
    section = text.split('## Experiment tracking', 1)[1].split('\n## ', 1)[0]
    lines = re.findall(r'^visualizer = .*$', section, flags=re.M)
    return {re.findall(r"type='(\w+VisBackend)'", line)[-1]: line for line in lines}


def build_visualizer(line: str, tmp_path, name: str):
    """The visualizer of default_runtime.py with the documented line on top, as a config
    file that inherits it would give."""
    config = tmp_path / f'{name}.py'
    config.write_text(f"_base_ = {osp.join(REPO, 'configs', '_base_', 'default_runtime.py')!r}\n"
                      f'{line}\n')
    cfg = load_config(str(config))
    visualizer_cfg = dict(cfg.visualizer, name=name, save_dir=str(tmp_path / name))  # + vis_data/
    return VISUALIZERS.build(visualizer_cfg)


def log(visualizer, work_dir) -> None:
    """What a run sends: scalars at steps 1..3, then the config (with its work_dir)."""
    for step in range(3):
        visualizer.add_scalars({key: values[step] for key, values in SCALARS.items()},
                               step=step + 1)
    visualizer.add_config(Config(dict(model=dict(type='YOLODetector'), work_dir=str(work_dir))))
    visualizer.close()


def test_docs_give_one_line_for_each_of_the_three_trackers(tmp_path):
    lines = documented_lines()
    assert set(lines) == {'TensorboardVisBackend', 'WandbVisBackend', 'MLflowVisBackend'}
    for i, (backend, line) in enumerate(lines.items()):
        visualizer = build_visualizer(line, tmp_path, f'build{i}')  # W&B / MLflow: lazy import
        assert [type(b).__name__ for b in visualizer._vis_backends.values()] == \
            ['LocalVisBackend', backend]
        visualizer.__class__._instance_dict.pop(f'build{i}', None)


def test_tensorboard_line_writes_the_scalars_locally(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    log(build_visualizer(documented_lines()['TensorboardVisBackend'], tmp_path, 'tb'),
        tmp_path / 'tb')
    (events, ) = glob.glob(str(tmp_path / 'tb' / 'vis_data' / 'events.out.tfevents.*'))
    accumulator = EventAccumulator(events)
    accumulator.Reload()
    for key, values in SCALARS.items():
        logged = accumulator.Scalars(key)
        assert [e.step for e in logged] == [1, 2, 3]
        assert [e.value for e in logged] == pytest.approx(values)


def test_mlflow_line_writes_the_scalars_to_a_local_store(tmp_path, monkeypatch):
    mlflow = pytest.importorskip('mlflow')
    monkeypatch.setenv('MLFLOW_ALLOW_FILE_STORE', 'true')  # MLflow >= 3.x: as documented
    log(build_visualizer(documented_lines()['MLflowVisBackend'], tmp_path, 'mlf'),
        tmp_path / 'mlf')
    client = mlflow.tracking.MlflowClient(tracking_uri=f'file://{tmp_path / "mlf" / "vis_data"}')
    (experiment, ) = [e for e in client.search_experiments() if e.name == 'yolo_toolbox']
    (run, ) = client.search_runs([experiment.experiment_id])
    for key, values in SCALARS.items():
        history = client.get_metric_history(run.info.run_id, key)
        assert [m.value for m in sorted(history, key=lambda m: m.step)] == pytest.approx(values)
