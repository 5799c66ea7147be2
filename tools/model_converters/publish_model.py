"""Make a checkpoint ready to share: keep only the weights and the meta (class names,
config), and put the first 8 hex digits of its SHA-256 in the file name.

    python tools/model_converters/publish_model.py work_dirs/x/best.pth yolo_r18_voc.pth
    # -> yolo_r18_voc-1a2b3c4d.pth  (optimizer, scheduler and message-hub state removed)

The logic is :func:`yolo_toolbox.utils.publish.publish_checkpoint`.
"""
import argparse
from typing import Optional, Sequence


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Process a checkpoint to be published')
    parser.add_argument('in_file', help='input checkpoint filename')
    parser.add_argument('out_file', help='output checkpoint filename')
    parser.add_argument('--save-keys', nargs='+', type=str, default=['meta', 'state_dict'],
                        help='keys to save in the published checkpoint')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> str:
    args = parse_args(argv)
    from yolo_toolbox.utils.publish import publish_checkpoint
    path, removed = publish_checkpoint(args.in_file, args.out_file, args.save_keys)
    print(f'wrote {path}' + (f' (removed: {", ".join(removed)})' if removed else ''))
    return path


if __name__ == '__main__':
    main()
