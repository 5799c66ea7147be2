"""The backend options that ``tools/predict.py`` and ``tools/test.py`` share
(``--backend``, ``--threads``, ``--precision``), and what they mean for
:func:`~yolo_toolbox.deployment.backends.load_backend`.

Command-line support for the tools, kept out of :mod:`yolo_toolbox.apis` (which parses no
arguments) and next to the backends whose names and precisions it offers.
"""
import argparse

from .backends import BACKENDS

# the command-line names of OpenVINO's precisions (``--precision``) and OpenVINO's own
PRECISION_ARGS = dict(auto='auto', fp32='f32', bf16='bf16')


def add_backend_arguments(parser: argparse.ArgumentParser, verb: str) -> None:
    """Add ``--backend``, ``--threads`` and ``--precision`` to ``parser`` (``verb``: what
    the tool does with the model, e.g. 'run')."""
    parser.add_argument('--backend', default='pytorch', choices=['pytorch', *BACKENDS],
                        help=f'{verb} the checkpoint in PyTorch, or an exported model '
                             '(CHECKPOINT is then the .onnx / .xml file) on onnxruntime or '
                             'OpenVINO (CPU)')
    parser.add_argument('--threads', type=int, default=None,
                        help='CPU threads of the backend (default: its own default)')
    parser.add_argument('--precision', choices=list(PRECISION_ARGS), default='auto',
                        help="OpenVINO's inference precision: auto (OpenVINO's choice for "
                             'the CPU: bf16 where it has AVX512-BF16 / AMX, about 2x faster; '
                             'boxes within ~2 px, mAP within 0.003 of fp32; '
                             'docs/benchmark.md), fp32 or bf16')


def backend_kwargs(args: argparse.Namespace) -> dict:
    """The keyword arguments of ``load_backend`` (and ``init_backend_detector``) that the
    options of :func:`add_backend_arguments` ask for."""
    return {'precision': PRECISION_ARGS[args.precision]} if args.backend == 'openvino' else {}
