"""The thread's alternate signal stack survives OpenVINO models (deployment/signal_stack.py).

The regression: two OpenVINO models alive at once and released in the order they were
made left the thread with an unmapped alternate signal stack, and the whole test suite in
one process died (SIGSEGV, exit 139, no traceback) at the next SIGCHLD, hundreds of tests
later (tests/README.md).
"""
import ctypes
import mmap

import numpy as np
import pytest

from yolo_toolbox.deployment.signal_stack import (
    _sigaltstack,
    _StackT,
    current_signal_stack,
    keep_signal_stack,
)

pytestmark = pytest.mark.skipif(_sigaltstack() is None, reason='sigaltstack: Linux only')


def _mapped(address: int) -> bool:
    with open('/proc/self/maps') as maps:
        for line in maps:
            start, end = (int(x, 16) for x in line.split()[0].split('-'))
            if start <= address < end:
                return True
    return False


def test_keep_signal_stack_puts_the_old_stack_back():
    before = current_signal_stack()
    other = mmap.mmap(-1, 64 * 1024)
    address = ctypes.addressof(ctypes.c_char.from_buffer(other))
    with keep_signal_stack():
        assert _sigaltstack()(ctypes.byref(_StackT(address, 0, len(other))), None) == 0
        assert current_signal_stack() == (address, len(other), False)
    assert current_signal_stack() == before


def _tiny_ir(path):
    ov = pytest.importorskip('openvino')
    from openvino import opset8 as ops
    image = ops.parameter([1, 3, 8, 8], np.float32)
    weight = ops.constant(np.ones((4, 3, 3, 3), np.float32))
    out = ops.relu(ops.convolution(image, weight, [1, 1], [1, 1], [1, 1], [1, 1]))
    ov.save_model(ov.Model([out], [image]), str(path), compress_to_fp16=False)
    return str(path)


def test_openvino_models_released_first_made_first_keep_the_stack(tmp_path):
    from yolo_toolbox.deployment import OpenVINOModel
    xml = _tiny_ir(tmp_path / 'tiny.xml')
    before = current_signal_stack()
    first = OpenVINOModel(xml, threads=1, precision='f32')
    second = OpenVINOModel(xml, threads=1, precision='f32')
    for model in (first, second):
        assert model(np.ones((1, 3, 8, 8), np.float32))[0].shape == (1, 4, 8, 8)
    del first  # the order of `session = load_backend(...)` in a loop
    del second
    after = current_signal_stack()
    assert after == before
    address, _, disabled = after
    assert disabled or _mapped(address), 'the alternate signal stack is unmapped memory'
