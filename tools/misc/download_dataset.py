"""Download Pascal VOC or COCO 2017 into the layout the configs read.

    python tools/misc/download_dataset.py --dataset voc0712 --data-root data --unzip --delete
    python tools/misc/download_dataset.py --dataset coco2017 --unzip

Archives go to DATA_ROOT (resumable: run the same command again after a cut), are checked
against their published MD5, and with ``--unzip`` are extracted to DATA_ROOT/VOCdevkit/
(VOC2007, VOC2012) or DATA_ROOT/coco/ (train2017, val2017, annotations). Offline, it says
which files to download by hand and where to put them. ``--mirror URL`` loads the same
files (same names, same checksums) from another server. The logic is
:mod:`yolo_toolbox.datasets.public`.
"""
import argparse
import sys
from typing import List, Optional, Sequence

from yolo_toolbox.datasets.public import PUBLIC_DATASETS, fetch_dataset, manual_instructions
from yolo_toolbox.utils.download import DownloadError, OfflineError


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Download datasets for training')
    parser.add_argument('--dataset', '--dataset-name', dest='dataset', required=True,
                        choices=sorted(PUBLIC_DATASETS), help='dataset name')
    parser.add_argument('--data-root', default='data',
                        help='the dir to save the dataset (default: data, as the configs read)')
    parser.add_argument('--unzip', action='store_true',
                        help='whether unzip dataset or not, zipped files will be saved')
    parser.add_argument('--delete', action='store_true',
                        help='delete the download zipped files (after --unzip)')
    parser.add_argument('--mirror', help='base URL of a mirror holding the same archive files')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> List[str]:
    args = parse_args(argv)
    try:
        paths = fetch_dataset(args.dataset, args.data_root, args.unzip, args.delete,
                              args.mirror, progress=sys.stderr)
    except OfflineError as e:
        sys.exit(f'{e}.\n' + manual_instructions(args.dataset, args.data_root, args.mirror))
    except DownloadError as e:
        sys.exit(str(e))
    if args.unzip:
        print(f'{args.dataset} is ready: ' + ', '.join(paths))
    else:
        print(f'{args.dataset}: downloaded ' + ', '.join(paths) + '; extract them with --unzip')
    return paths


if __name__ == '__main__':
    main()
