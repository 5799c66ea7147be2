"""Predict the validation images with each of Ultralytics' per-epoch checkpoints.

Run in the Ultralytics venv. Writes ``OUT/epoch_{E}.json`` (E 1-based), the raw
detections in original-image pixels, which ``compare.py`` (project venv) scores with the
toolbox's COCO-style metric, the same code that scores our model:

    /work/venv_ultra/bin/python projects/ultralytics_comparison/predict_ultralytics.py \
        work_dirs/ultra22/glyphs/ultralytics/train work_dirs/ultra22/glyphs/data/voc/VOC2007 \
        work_dirs/ultra22/glyphs/ultralytics_dets --imgsz 256

NMS as Ultralytics validates and as our YOLOv8 head's ``test_cfg``: score >= 0.001, IoU
0.7, at most 300 per image, one class per box (``predict``'s default, = our
``multi_label=False``; Ultralytics' own ``val`` would use multi-label NMS).
Preprocessing is Ultralytics' own (letterbox to ``imgsz`` with minimal padding).
"""
import argparse
import json
import os
import os.path as osp
import time


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('run', help='the Ultralytics run folder (has epoch_times.json, weights/)')
    parser.add_argument('voc_year', help='VOC year folder of the evaluation images')
    parser.add_argument('out', help='output folder for epoch_{E}.json')
    parser.add_argument('--split', default='test')
    parser.add_argument('--imgsz', type=int, default=256)
    parser.add_argument('--conf', type=float, default=0.001)
    parser.add_argument('--iou', type=float, default=0.7)
    parser.add_argument('--max-det', type=int, default=300)
    parser.add_argument('--batch', type=int, default=16)
    parser.add_argument('--epochs', type=int, nargs='*', default=None,
                        help='only these epochs (1-based); default all')
    parser.add_argument('--check-val', metavar='DATA_YAML',
                        help="also print Ultralytics' own val mAP of the last checkpoint on this "
                             'data.yaml (a cross-check; it differs a little: multi-label NMS, '
                             'its own interpolation, difficult objects left out of its labels)')
    args = parser.parse_args()
    os.environ.setdefault('YOLO_CONFIG_DIR', osp.join(osp.abspath(args.out), 'ultralytics_config'))
    os.environ.setdefault('YOLO_OFFLINE', '1')
    from ultralytics import YOLO, __version__

    with open(osp.join(args.run, 'epoch_times.json')) as f:
        records = json.load(f)['records']
    with open(osp.join(args.voc_year, 'ImageSets', 'Main', f'{args.split}.txt')) as f:
        ids = [line.split()[0] for line in f if line.strip()]
    paths = [osp.join(args.voc_year, 'JPEGImages', i + '.jpg') for i in ids]
    os.makedirs(args.out, exist_ok=True)
    for rec in records:
        if args.epochs and rec['epoch'] not in args.epochs:
            continue
        t0 = time.perf_counter()
        model = YOLO(osp.join(args.run, rec['weights']))
        dets = {}
        for start in range(0, len(paths), args.batch):
            results = model.predict(paths[start:start + args.batch], imgsz=args.imgsz,
                                    conf=args.conf, iou=args.iou, max_det=args.max_det,
                                    device='cpu', verbose=False, save=False)
            for img_id, res in zip(ids[start:start + args.batch], results):
                boxes = res.boxes
                dets[img_id] = dict(bboxes=boxes.xyxy.tolist(), scores=boxes.conf.tolist(),
                                    labels=[int(c) for c in boxes.cls.tolist()])
        out = dict(system='ultralytics', ultralytics=__version__, epoch=rec['epoch'],
                   weights=rec['weights'], train_s=rec['train_s'],
                   cumulative_train_s=rec['cumulative_train_s'], imgsz=args.imgsz,
                   nms=dict(conf=args.conf, iou=args.iou, max_det=args.max_det,
                            multi_label=False), detections=dets)
        with open(osp.join(args.out, f'epoch_{rec["epoch"]}.json'), 'w') as f:
            json.dump(out, f)
        print(f'epoch {rec["epoch"]}: {len(ids)} images, '
              f'{sum(len(d["scores"]) for d in dets.values())} detections '
              f'({time.perf_counter() - t0:.1f} s)')
    if args.check_val:
        rec = [r for r in records if not args.epochs or r['epoch'] in args.epochs][-1]
        res = YOLO(osp.join(args.run, rec['weights'])).val(
            data=osp.abspath(args.check_val), imgsz=args.imgsz, batch=args.batch, conf=args.conf,
            iou=args.iou, max_det=args.max_det, device='cpu', plots=False, workers=0,
            project=osp.abspath(args.out), name='check_val', exist_ok=True, verbose=False)
        print(f"Ultralytics' own val, epoch {rec['epoch']}: mAP@0.5 {res.box.map50:.3f}, "
              f'mAP@0.5:0.95 {res.box.map:.3f}')


if __name__ == '__main__':
    main()
