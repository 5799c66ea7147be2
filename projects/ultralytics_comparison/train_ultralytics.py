"""Train Ultralytics' YOLOv8n from scratch and record each epoch's training time.

Run in the Ultralytics venv (setup_venv.sh), never in the project's:

    /work/venv_ultra/bin/python projects/ultralytics_comparison/train_ultralytics.py \
        work_dirs/ultra22/glyphs/data/yolo/data.yaml work_dirs/ultra22/glyphs/ultralytics \
        --epochs 40 --imgsz 256

``YOLO('yolov8n.yaml')`` (architecture only, random init; nothing is downloaded), its
default hyper-parameters except: ``pretrained=False``, ``seed=0``, ``workers=2``,
``device='cpu'``, ``amp=False`` (no AMP check, which would download a model),
``plots=False`` (no Arial.ttf download for plots), ``val=False`` (Ultralytics still
validates after the last epoch and evaluates best.pt at the end; those are outside the
timed part), ``save_period=1`` (``weights/epoch{E-1}.pt``: Ultralytics counts epochs from
0 in these names; each holds the EMA weights, which is what Ultralytics evaluates).

Writes ``OUT/train/epoch_times.json``: per epoch (1-based) the seconds from
``on_train_epoch_start`` to ``on_train_epoch_end`` (the training loop only: data loading,
forward, backward, optimizer and EMA steps, the mosaic close; no validation, no saving),
the running sum, and the checkpoint holding that epoch's weights.
"""
import argparse
import json
import os
import os.path as osp
import time


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('data', help="data.yaml written by prepare_data.py")
    parser.add_argument('out', help='output folder (Ultralytics project); the run is OUT/train')
    parser.add_argument('--epochs', type=int, default=40)
    parser.add_argument('--imgsz', type=int, default=256)
    parser.add_argument('--batch', type=int, default=16)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--workers', type=int, default=2)
    parser.add_argument('--model', default='yolov8n.yaml')
    args = parser.parse_args()

    out = osp.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    # no network here: settings in the output folder, no online checks / analytics
    os.environ.setdefault('YOLO_CONFIG_DIR', osp.join(out, 'ultralytics_config'))
    os.environ.setdefault('YOLO_OFFLINE', '1')
    from ultralytics import YOLO, __version__, settings  # after the environment is set
    settings.update(sync=False)

    records, start = [], {}

    def on_train_epoch_start(trainer):
        start['t'] = time.perf_counter()

    def on_train_epoch_end(trainer):
        train_s = time.perf_counter() - start['t']
        total = (records[-1]['cumulative_train_s'] if records else 0.0) + train_s
        records.append(dict(epoch=trainer.epoch + 1, train_s=round(train_s, 3),
                            cumulative_train_s=round(total, 3),
                            weights=osp.join('weights', f'epoch{trainer.epoch}.pt')))

    def on_fit_epoch_end(trainer):
        with open(osp.join(str(trainer.save_dir), 'epoch_times.json'), 'w') as f:
            json.dump(dict(system='ultralytics', ultralytics=__version__, model=args.model,
                           imgsz=args.imgsz, batch=args.batch, seed=args.seed,
                           epochs=args.epochs, records=records), f, indent=1)

    model = YOLO(args.model)
    model.add_callback('on_train_epoch_start', on_train_epoch_start)
    model.add_callback('on_train_epoch_end', on_train_epoch_end)
    model.add_callback('on_fit_epoch_end', on_fit_epoch_end)
    wall = time.perf_counter()
    model.train(data=osp.abspath(args.data), epochs=args.epochs, imgsz=args.imgsz,
                batch=args.batch, seed=args.seed, workers=args.workers, device='cpu',
                pretrained=False, amp=False, plots=False, val=False, save_period=1,
                project=out, name='train', exist_ok=True, verbose=True)
    print(f'ultralytics {__version__}: {len(records)} epochs, training loop '
          f'{records[-1]["cumulative_train_s"]:.1f} s, whole call '
          f'{time.perf_counter() - wall:.1f} s; times in '
          f'{osp.join(out, "train", "epoch_times.json")}')


if __name__ == '__main__':
    main()
