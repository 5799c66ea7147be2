"""Parameter counts of backbone + SPP/PAN neck + 1x1 head, against the original README.

The head is what the original uses: one 1x1 conv without bias per neck output to
``num_anchors * (5 + num_classes)`` channels (3 * 25 = 75 for VOC's 20 classes).

    python tools/misc/count_params.py                     # the original's table rows
    python tools/misc/count_params.py --num-classes 80    # other class counts (no reference)

The original README's numbers are 0.2-1.6 % below its own code at 20 classes (our modules
match its code to the parameter); every README row is reproduced to two decimals with a
2-class head (21 channels), shown in the last column.
"""
import argparse
from typing import Dict, List, Tuple

from mmengine.registry import init_default_scope
from torch import nn

# (backbone config, original README Params(M) for 20 classes)
ORIGINAL_ROWS: List[Tuple[dict, float]] = [
    (dict(type='ResNet', depth=18, channel_sparsity=0.25), 0.87),
    (dict(type='ResNet', depth=18, channel_sparsity=0.5), 3.46),
    (dict(type='ResNet', depth=18, channel_sparsity=0.75), 7.76),
    (dict(type='ResNet', depth=18, channel_sparsity=1.0), 13.78),
    (dict(type='ResNet', depth=34, channel_sparsity=0.75), 13.45),
    (dict(type='ResNet', depth=50, channel_sparsity=0.75), 36.49),
    (dict(type='Darknet', channel_sparsity=0.25), 3.20),
    (dict(type='Darknet', channel_sparsity=0.5), 12.76),
    (dict(type='Darknet', channel_sparsity=0.75), 28.68),
    (dict(type='Darknet', channel_sparsity=1.0), 50.94),
]


def count_detector_params(backbone_cfg: dict, num_classes: int = 20,
                          num_anchors: int = 3) -> Dict[str, int]:
    """Build backbone + YOLOSPPPAN + 1x1 no-bias head convs; return parameter counts per part."""
    import yolo_toolbox.models  # noqa: F401  (registers the modules)
    from yolo_toolbox.registry import MODELS

    backbone = MODELS.build(backbone_cfg)
    neck = MODELS.build(dict(type='YOLOSPPPAN', in_channels=backbone.out_channels))
    head = nn.ModuleList(nn.Conv2d(c, num_anchors * (5 + num_classes), 1, bias=False)
                         for c in neck.out_channels)
    counts = {name: sum(p.numel() for p in module.parameters())
              for name, module in (('backbone', backbone), ('neck', neck), ('head', head))}
    counts['total'] = sum(counts.values())
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--num-classes', type=int, default=20)
    args = parser.parse_args()
    init_default_scope('yolo_toolbox')
    print('| Backbone | channel_sparsity | backbone (M) | neck (M) | head (M) | total (M) '
          '| original README (M) | diff | total, 21-ch head (M) |')
    print('|---|---|---|---|---|---|---|---|---|')
    for cfg, reference in ORIGINAL_ROWS:
        counts = count_detector_params(cfg, args.num_classes)
        total_2cls = count_detector_params(cfg, num_classes=2)['total'] / 1e6
        name = f"{cfg['type']}-{cfg['depth']}" if 'depth' in cfg else cfg['type']
        total = counts['total'] / 1e6
        ref = f'{reference:.2f}' if args.num_classes == 20 else '-'
        diff = f'{(total - reference) / reference:+.2%}' if args.num_classes == 20 else '-'
        print(f"| {name} | {cfg['channel_sparsity']} | {counts['backbone'] / 1e6:.3f} | "
              f"{counts['neck'] / 1e6:.3f} | {counts['head'] / 1e6:.3f} | {total:.3f} | "
              f'{ref} | {diff} | {total_2cls:.2f} |')

if __name__ == '__main__':
    main()
