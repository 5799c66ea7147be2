"""Keep the calling thread's alternate signal stack across OpenVINO calls.

OpenVINO's CPU plugin (seen with openvino 2026.4 on a CPU with AMX) gives the thread that
compiles a model an alternate signal stack of its own (``sigaltstack``, an mmap of ~11 KB)
and keeps the one it replaced; when the compiled model is destroyed it puts the kept stack
back and unmaps its own. With two compiled models alive at once and destroyed
first-created-first (``session = load_backend(...)`` in a loop: the next model is compiled
before the previous one is released) the second one puts back the first one's stack,
already unmapped. The thread is then left with a dangling alternate stack, and the next
signal that it takes with an ``SA_ONSTACK`` handler (every Python-level handler, e.g. the
SIGCHLD handler of PyTorch's DataLoader, and faulthandler's SIGSEGV handler) kills the
process: the kernel cannot write the signal frame, raises SIGSEGV, cannot deliver that
either, and the process exits with 139 and no traceback. In the test suite that was a
child process ending (``platform.uname().processor`` runs ``uname -p``) in a test long
after the OpenVINO one.

:func:`keep_signal_stack` puts the thread's stack back as it was after the block, so
OpenVINO's own stack is never installed outside it and whatever order its models are
destroyed in only ever re-installs a stack that is still there. A no-op where
``sigaltstack`` is not available (not Linux).
"""
import contextlib
import ctypes
import functools
import sys
from collections.abc import Iterator
from typing import Optional

SS_DISABLE = 2  # <signal.h>, Linux (every architecture)


class _StackT(ctypes.Structure):
    """``stack_t`` of <signal.h> (glibc and musl, Linux)."""
    _fields_ = [('ss_sp', ctypes.c_void_p), ('ss_flags', ctypes.c_int),
                ('ss_size', ctypes.c_size_t)]


@functools.cache
def _sigaltstack() -> Optional[ctypes._CFuncPtr]:
    if not sys.platform.startswith('linux'):
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).sigaltstack
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.POINTER(_StackT), ctypes.POINTER(_StackT)]
    function.restype = ctypes.c_int
    return function


def current_signal_stack() -> Optional[tuple[int, int, bool]]:
    """The calling thread's alternate signal stack: ``(address, size, disabled)``, or
    None where it cannot be read."""
    sigaltstack = _sigaltstack()
    stack = _StackT()
    if sigaltstack is None or sigaltstack(None, ctypes.byref(stack)) != 0:
        return None
    return (stack.ss_sp or 0, stack.ss_size, bool(stack.ss_flags & SS_DISABLE))


@contextlib.contextmanager
def keep_signal_stack() -> Iterator[None]:
    """Restore the calling thread's alternate signal stack after the block if the block
    replaced it (see the module's docstring)."""
    before = current_signal_stack()
    try:
        yield
    finally:
        if before is not None and current_signal_stack() != before:
            address, size, disabled = before
            # fails (ENOMEM) only if the old stack is too small for this CPU's signal
            # frame; OpenVINO's stack is left in place then
            _sigaltstack()(ctypes.byref(_StackT(address, SS_DISABLE if disabled else 0,
                                                size)), None)
