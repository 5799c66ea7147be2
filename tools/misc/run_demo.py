"""The demo: make the synthetic set, train, evaluate, predict; print mAP and paths.

Run through ``bash tools/demo.sh`` (which installs into .venv first). Each step is a
toolbox command a user would type; this script only chains them.
"""
import argparse
import glob
import os
import os.path as osp
import subprocess
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = 'configs/demo/yolo_demo.py'


def run(cmd: list[str]) -> str:
    print('$', ' '.join(cmd), flush=True)
    proc = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True)
    if proc.returncode != 0:
        print(proc.stdout[-6000:])
        raise SystemExit(f'demo step failed ({proc.returncode}): {" ".join(cmd)}')
    return proc.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--data-root', default='data/demo')
    parser.add_argument('--work-dir', default='work_dirs/yolo_demo')
    parser.add_argument('--epochs', type=int, default=None, help='override max_epochs')
    args = parser.parse_args()
    python = sys.executable
    start = time.time()
    data_root = args.data_root.rstrip('/') + '/'
    if not osp.exists(osp.join(data_root, 'VOC2007', 'ImageSets', 'Main', 'test.txt')):
        run([python, 'tools/misc/make_demo_dataset.py', data_root])
    options = [f'{key}.dataset.data_root={data_root}'
               for key in ('train_dataloader', 'val_dataloader', 'test_dataloader')]
    if args.epochs:
        options.append(f'train_cfg.max_epochs={args.epochs}')
    train_start = time.time()
    run([python, 'tools/train.py', CONFIG, '--work-dir', args.work_dir,
         '--cfg-options', *options])
    train_time = time.time() - train_start
    best = sorted(glob.glob(osp.join(ROOT, args.work_dir, 'best_*.pth')), key=osp.getmtime)
    if not best:
        raise SystemExit(f'no best checkpoint in {args.work_dir}')
    checkpoint = osp.relpath(best[-1], ROOT)
    test_out = run([python, 'tools/test.py', CONFIG, checkpoint, '--work-dir', args.work_dir,
                    '--cfg-options', *options])
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
    run([python, 'tools/predict.py', CONFIG, checkpoint, sample_dir, '--out-dir', pred_dir,
         '--score-thr', '0.3'])
    print('\n==== yolo_toolbox demo ====')
    print(f'checkpoint:  {checkpoint}')
    print(summary[-1] if summary else test_out[-2000:])
    print(f'pictures:    {pred_dir}/vis/ (test images with predicted boxes)')
    print(f'json:        {pred_dir}/predictions.json')
    print(f'train time: {train_time / 60:.1f} min, total wall time: '
          f'{(time.time() - start) / 60:.1f} min')


if __name__ == '__main__':
    main()
