"""Parameters and FLOPs of a detector's network (backbone, neck, head; no decoding / NMS).

    python tools/analysis_tools/get_flops.py CONFIG [--shape 512 | --shape H W]
        [--cfg-options key=value ...] [--show-table]

Counted by :mod:`mmengine.analysis` (fvcore's rules) on the ``'tensor'`` forward of one
(1, 3, H, W) image. As in fvcore, MMDetection and MMYOLO, one fused multiply-add counts as
one FLOP, so "FLOPs" here are multiply-accumulates (MACs); papers that count a MAC as two
FLOPs report twice these numbers.
"""
import argparse
from typing import Optional, Sequence

import torch
from mmengine.analysis import FlopAnalyzer, parameter_count
from mmengine.analysis.print_helper import complexity_stats_table
from mmengine.config import DictAction

from yolo_toolbox.apis import init_detector, test_input_size

PARTS = ('backbone', 'neck', 'bbox_head')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Params and FLOPs of a YOLO detector')
    parser.add_argument('config', help='config file')
    parser.add_argument('--shape', type=int, nargs='+', default=None,
                        help="input size S or H W (default: the test pipeline's Letterbox)")
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config keys')
    parser.add_argument('--show-table', action='store_true',
                        help="also print mmengine's per-module table (depth 3)")
    return parser.parse_args(argv)


def complexity(model: torch.nn.Module, size_hw: tuple[int, int]) -> dict:
    """``{part: (params, flops)}`` for backbone, neck, bbox_head and ``total``."""
    inputs = torch.zeros(1, 3, *size_hw, device=next(model.parameters()).device)
    analyzer = FlopAnalyzer(model, (inputs, ))
    analyzer.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
    flops = analyzer.by_module()
    params = parameter_count(model)
    result = {part: (params.get(part, 0), flops.get(part, 0)) for part in PARTS}
    result['total'] = (params[''], analyzer.total())
    result['_analyzer'] = analyzer
    return result


def main(argv: Optional[Sequence[str]] = None) -> dict:
    args = parse_args(argv)
    model = init_detector(args.config, cfg_options=args.cfg_options)
    if args.shape:
        if len(args.shape) not in (1, 2):
            raise SystemExit(f'--shape takes S or H W, got {args.shape}')
        size_hw = (args.shape[0], args.shape[-1])
    else:
        size_hw = test_input_size(model.cfg)
    with torch.no_grad():
        result = complexity(model, size_hw)
    analyzer = result.pop('_analyzer')
    if args.show_table:
        print(complexity_stats_table(analyzer, max_depth=3, show_param_shapes=False))
    print(f'{args.config} at {size_hw[0]}x{size_hw[1]} (H x W), batch 1')
    print('| part | params (M) | FLOPs (G, MACs) |')
    print('|---|---:|---:|')
    for part, (params, flops) in result.items():
        print(f'| {part} | {params / 1e6:.3f} | {flops / 1e9:.3f} |')
    print('FLOPs count one multiply-add as one (fvcore / MMDetection convention); '
          'decoding and NMS are not included.')
    return result


if __name__ == '__main__':
    main()
