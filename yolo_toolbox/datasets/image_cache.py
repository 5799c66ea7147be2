"""Decoded images held in memory: ``BaseDetDataset(cache='ram')``.

The dataset decodes every image once, right after the image check, with the settings of
the pipeline's own :class:`~yolo_toolbox.datasets.transforms.LoadImageFromFile` (so the
pixels are exactly those that the transform would decode), into **one contiguous uint8
buffer** plus a small offset/shape table. ``LoadImageFromFile`` then takes a copy of the
cached pixels (``results['cached_img']``, set by ``get_data_info``) instead of reading and
decoding the file; every later transform sees the same values as without the cache.

Why one buffer, built in the parent:

- **Dataloader workers** are forked from the process that built the dataset (mmengine's
  default ``mp_start_method='fork'``), so they share the parent's pages copy-on-write. A
  list of per-image ``ndarray`` objects would have their reference counts written on every
  access, which dirties the pages that hold the object headers; one buffer with integer
  offsets (as mmengine's ``serialize_data`` does for the data list) touches no Python
  object per image, so the pixels stay shared and the workers cost no extra memory.
  Caching per worker instead would hold one copy per worker and, without
  ``persistent_workers``, lose it at every epoch. (With ``spawn`` the dataset is pickled
  into each worker, i.e. one copy each; the budget check does not count those.)
- **DDP**: each rank is its own process and caches what it reads. With the
  ``DefaultSampler`` reshuffling every epoch, every rank reads every image over the run,
  so each rank caches the whole dataset; the budget counts ``LOCAL_WORLD_SIZE`` copies
  on the node.

The budget is checked before anything is decoded, from the image sizes of the data list
(``height`` x ``width`` x channels, the sizes that the image check verified): it must fit
in the available memory with a 10 % margin, else a ``MemoryError`` names the dataset and
the numbers.
"""
import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.logging import print_log

CACHE_MODES = (None, 'ram')
SAFETY_MARGIN = 0.1
GiB = float(1 << 30)


def available_memory() -> int:
    """Bytes of memory available to new allocations (``MemAvailable``)."""
    import psutil
    return int(psutil.virtual_memory().available)


def local_copies() -> int:
    """How many processes on this node hold a cache: the local DDP ranks (``LOCAL_WORLD_SIZE``
    set by torchrun), else 1."""
    try:
        return max(1, int(os.environ.get('LOCAL_WORLD_SIZE', '1')))
    except ValueError:
        return 1


def channels_of(color_type: str) -> int:
    if color_type in ('color', 'color_ignore_orientation'):
        return 3
    if color_type in ('grayscale', 'grayscale_ignore_orientation'):
        return 1
    raise ValueError(f"cache='ram' supports LoadImageFromFile color_type 'color' or "
                     f"'grayscale' (known channel count), got {color_type!r}")


def check_budget(name: str, needed: int, copies: int = 1,
                 available: Optional[int] = None) -> None:
    """Raise ``MemoryError`` when ``needed * copies`` bytes (plus the margin) do not fit in
    the available memory; the message names the dataset, the numbers and the way out."""
    available = available_memory() if available is None else available
    total = needed * copies
    if total * (1 + SAFETY_MARGIN) > available:
        per = f' ({copies} ranks on this node x {needed / GiB:.2f} GiB)' if copies > 1 else ''
        raise MemoryError(
            f"{name}: cache='ram' needs {total / GiB:.2f} GiB{per} for the decoded images "
            f"(+{SAFETY_MARGIN:.0%} margin), {available / GiB:.2f} GiB free: use cache=None "
            '(decode every epoch), or fewer/smaller images')


class ImageCache:
    """Decoded images of a dataset in one uint8 buffer, indexed like the dataset.

    Args:
        paths: image file of each dataset index.
        shapes: expected decoded shape of each image, ``(h, w, c)`` or ``(h, w)``.
        decode: ``path -> ndarray`` (uint8), the pipeline's own decoder.
        workers: decoding threads (cv2 releases the GIL).

    An image whose decoded shape differs from the expected one (e.g. an EXIF rotation of
    a non-square image, or a file that fails to decode) is not cached: ``get`` returns
    ``None`` and the loader reads the file as without the cache (with its own errors).
    """

    def __init__(self, paths: Sequence[str], shapes: Sequence[Tuple[int, ...]],
                 decode: Callable[[str], np.ndarray], workers: int = 1) -> None:
        self.shapes: List[Tuple[int, ...]] = [tuple(int(v) for v in s) for s in shapes]
        sizes = np.array([int(np.prod(s)) for s in self.shapes], dtype=np.int64)
        self.offsets = np.zeros(len(sizes) + 1, dtype=np.int64)
        np.cumsum(sizes, out=self.offsets[1:])
        self.buffer = np.empty(int(self.offsets[-1]), dtype=np.uint8)
        self.cached = np.zeros(len(sizes), dtype=bool)
        start = time.perf_counter()

        def fill(i: int) -> None:
            try:
                img = decode(paths[i])
            except Exception:  # the loader raises the proper error when it reads the file
                return
            if img is None or img.dtype != np.uint8 or tuple(img.shape) != self.shapes[i]:
                return
            self.buffer[self.offsets[i]:self.offsets[i + 1]] = img.reshape(-1)
            self.cached[i] = True

        if workers > 1 and len(paths) > 1:
            with ThreadPoolExecutor(workers) as pool:
                list(pool.map(fill, range(len(paths))))
        else:
            for i in range(len(paths)):
                fill(i)
        self.seconds = time.perf_counter() - start
        self.buffer.setflags(write=False)

    @property
    def nbytes(self) -> int:
        return int(self.buffer.nbytes)

    def __len__(self) -> int:
        return len(self.shapes)

    def get(self, idx: int) -> Optional[np.ndarray]:
        """Read-only view of image ``idx`` (``None`` when it is not cached)."""
        if not self.cached[idx]:
            return None
        return self.buffer[self.offsets[idx]:self.offsets[idx + 1]].reshape(self.shapes[idx])

    def summary(self, name: str) -> str:
        missing = int((~self.cached).sum())
        text = (f'{name}: cached {int(self.cached.sum())} decoded images in RAM '
                f'({self.nbytes / GiB:.2f} GiB, {self.seconds:.1f} s)')
        if missing:
            text += (f'; {missing} not cached (decoded shape differs from the annotation '
                     'size, or unreadable): read from file')
        return text

    def log(self, name: str) -> None:
        print_log(self.summary(name), logger='current',
                  level=logging.WARNING if not self.cached.all() else logging.INFO)
