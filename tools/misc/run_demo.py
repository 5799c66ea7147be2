"""The demo: make the synthetic set, train, evaluate, predict; print mAP and paths.

Run through ``bash tools/demo.sh`` (which installs into .venv first: step 1). Each step
is a toolbox command a user would type; this script only chains them and shows their
progress live, one short line per training epoch (epoch, iteration, loss, ETA) and per
validation, the evaluation's progress bar, then a summary. Every step's full output
is in ``WORK_DIR/demo_logs/``; a failing step prints its end.
"""
import argparse
import glob
import os
import os.path as osp
import re
import subprocess
import sys
import time
from typing import Callable, Optional

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = 'configs/demo/yolo_demo.py'
STEPS = 5

_TRAIN = re.compile(r'Epoch\(train\)\s+\[(\d+)\]\[\s*(\d+)/(\d+)\].*?eta: (\S+).*?'
                    r'\bloss: ([\d.]+)')
_VAL = re.compile(r'Epoch\(val\)\s+\[(\d+)\].*?det/mAP_50_95: ([\d.]+)\s+det/mAP_50: ([\d.]+)')
_BAR = re.compile(r'\[[> ]*\]\s*(\d+)/(\d+)')


def train_line(max_epochs: int) -> Callable[[str], Optional[str]]:
    """One line per epoch (its last log entry) and per validation; the first log entry
    too, so that the start shows."""
    started = []

    def show(line: str) -> Optional[str]:
        match = _TRAIN.search(line)
        if match:
            epoch, it, iters, eta, loss = match.groups()
            if started and it != iters:
                return None
            started.append(True)
            return (f'      epoch {int(epoch):>3}/{max_epochs}  iter {int(it):>3}/{iters}  '
                    f'loss {float(loss):.3f}  ETA {eta}')
        match = _VAL.search(line)
        if match:
            epoch, map_all, map_50 = match.groups()
            return (f'      epoch {int(epoch):>3}: validation mAP@0.5 {float(map_50):.3f}, '
                    f'mAP@0.5:0.95 {float(map_all):.3f}')
        return None
    return show


def bar_line(line: str) -> Optional[str]:
    match = _BAR.search(line)
    if match:
        return f'      {match.group(1)}/{match.group(2)} done'
    return None


def run(step: int, what: str, cmd: list, log_dir: str, show=None) -> str:
    """Run ``cmd`` (cwd: the repository), its output to ``log_dir/step<k>.log``; lines
    that ``show`` turns into text are printed as they come."""
    print(f'[{step}/{STEPS}] {what}', flush=True)
    shown = ['python' if cmd[0] == sys.executable else cmd[0], *cmd[1:]]
    print('      $ ' + ' '.join(shown), flush=True)
    log_path = osp.join(log_dir, f'step{step}.log')
    start = time.time()
    chunks, last = [], None
    with open(log_path, 'w') as log, subprocess.Popen(
            cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            bufsize=1, env={**os.environ, 'PYTHONUNBUFFERED': '1'}) as proc:
        buffer = ''
        while True:
            char = proc.stdout.read(1)
            if not char:
                break
            log.write(char)
            chunks.append(char)
            if char not in '\r\n':
                buffer += char
                continue
            text = show(buffer) if show else None
            if text and text != last:
                print(text, flush=True)
                last = text
            buffer = ''
        proc.wait()
    output = ''.join(chunks)
    if proc.returncode != 0:
        print(output[-6000:])
        raise SystemExit(f'demo step {step} failed ({proc.returncode}); full output: '
                         f'{osp.relpath(log_path, ROOT)}')
    print(f'      done ({time.time() - start:.0f} s; output: {osp.relpath(log_path, ROOT)})',
          flush=True)
    return output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--data-root', default='data/demo')
    parser.add_argument('--work-dir', default='work_dirs/yolo_demo')
    parser.add_argument('--epochs', type=int, default=None, help='override max_epochs')
    args = parser.parse_args()
    python = sys.executable
    start = float(os.environ.get('DEMO_START', time.time()))
    log_dir = osp.join(ROOT, args.work_dir, 'demo_logs')
    os.makedirs(log_dir, exist_ok=True)
    data_root = args.data_root.rstrip('/') + '/'
    if not osp.exists(osp.join(ROOT, data_root, 'VOC2007', 'ImageSets', 'Main', 'test.txt')):
        run(2, f'data: write the synthetic VOC-layout demo set to {data_root}',
            [python, 'tools/misc/make_demo_dataset.py', data_root], log_dir)
    else:
        print(f'[2/{STEPS}] data: {data_root} exists, kept')
    options = [f'{key}.dataset.data_root={data_root}'
               for key in ('train_dataloader', 'val_dataloader', 'test_dataloader')]
    max_epochs = args.epochs
    if args.epochs:
        options.append(f'train_cfg.max_epochs={args.epochs}')
    else:
        from mmengine.config import Config
        max_epochs = Config.fromfile(osp.join(ROOT, CONFIG)).train_cfg.max_epochs
    train_start = time.time()
    run(3, f'train: {CONFIG} for {max_epochs} epochs (log and checkpoints: {args.work_dir})',
        [python, 'tools/train.py', CONFIG, '--work-dir', args.work_dir, '--cfg-options',
         *options], log_dir, show=train_line(max_epochs))
    train_time = time.time() - train_start
    best = sorted(glob.glob(osp.join(ROOT, args.work_dir, 'best_*.pth')), key=osp.getmtime)
    if not best:
        raise SystemExit(f'no best checkpoint in {args.work_dir}')
    checkpoint = osp.relpath(best[-1], ROOT)
    test_out = run(4, f'evaluate: mAP of {checkpoint} on the test split',
                   [python, 'tools/test.py', CONFIG, checkpoint, '--work-dir', args.work_dir,
                    '--cfg-options', *options], log_dir, show=bar_line)
    summary = [line for line in test_out.splitlines() if line.startswith('mAP@0.5:')]
    images = sorted(glob.glob(osp.join(ROOT, data_root, 'VOC2007', 'JPEGImages', '*.jpg')))
    with open(osp.join(ROOT, data_root, 'VOC2007', 'ImageSets', 'Main', 'test.txt')) as f:
        test_ids = {line.strip() for line in f if line.strip()}
    samples = [p for p in images if osp.splitext(osp.basename(p))[0] in test_ids][:6]
    sample_dir = osp.join(args.work_dir, 'predict_inputs')
    os.makedirs(osp.join(ROOT, sample_dir), exist_ok=True)
    for path in samples:
        target = osp.join(ROOT, sample_dir, osp.basename(path))
        if not osp.exists(target):
            os.symlink(path, target)
    pred_dir = osp.join(args.work_dir, 'predictions')
    run(5, f'predict: draw detections on {len(samples)} test images',
        [python, 'tools/predict.py', CONFIG, checkpoint, sample_dir, '--out-dir', pred_dir],
        log_dir, show=bar_line)
    print('\n==== yolo_toolbox demo ====')
    print(f'checkpoint:  {checkpoint}')
    print(summary[-1] if summary else test_out[-2000:])
    print(f'pictures:    {pred_dir}/vis/ (test images with predicted boxes)')
    print(f'json:        {pred_dir}/predictions.json')
    print(f'train time: {train_time / 60:.1f} min, total wall time: '
          f'{(time.time() - start) / 60:.1f} min')


if __name__ == '__main__':
    main()
