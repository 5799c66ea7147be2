"""Check a dataset's images once, in parallel, and cache the verdicts next to the data.

A verdict per file is either the decoded size ``(height, width)`` in pixels or the reason
the file is unusable. Checks, in order:

- the file exists and is not empty;
- its header is an image format OpenCV reads (JPEG, PNG, BMP, GIF, TIFF, WebP, PNM); the
  file name's extension does not matter (a PNG named ``.jpg`` loads);
- it decodes with ``cv2.imdecode(..., IMREAD_COLOR)``, as ``LoadImageFromFile`` does
  (EXIF orientation applied, so the size is the loaded image's size);
- a JPEG ends with its end-of-image marker (trailing zero bytes allowed): OpenCV decodes
  a truncated JPEG without an error and fills the missing rows with grey.

The size is compared with the annotation's by :func:`size_problem`, not cached, so an
edited annotation needs no new scan. The cache (:data:`CACHE_NAME`, JSON) maps each
file's path, relative to the cache's folder, to ``[bytes, mtime_ns, verdict]``; a file
whose size or modification time changed is checked again.
"""
import json
import logging
import os
import os.path as osp
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Dict, List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np
from mmengine.logging import print_log
from mmengine.utils import ProgressBar

from yolo_toolbox.utils.atomic_checkpoint import atomic_write_bytes

CACHE_NAME = '.yolo_toolbox_image_check.json'
CACHE_VERSION = 1
#: verdict of one file: decoded (height, width) in pixels, or why it cannot be used
Verdict = Union[Tuple[int, int], str]

_MAGIC = ((b'\xff\xd8\xff', 'JPEG'), (b'\x89PNG\r\n\x1a\n', 'PNG'), (b'BM', 'BMP'),
          (b'GIF87a', 'GIF'), (b'GIF89a', 'GIF'), (b'II*\x00', 'TIFF'), (b'MM\x00*', 'TIFF'),
          (b'P1', 'PNM'), (b'P2', 'PNM'), (b'P3', 'PNM'), (b'P4', 'PNM'), (b'P5', 'PNM'),
          (b'P6', 'PNM'))


class ImageReadError(OSError):
    """An image file cannot be read or decoded (the message names the file)."""


class ImageNotFoundError(ImageReadError, FileNotFoundError):
    """An image file does not exist (any more)."""


def image_format(header: bytes) -> Optional[str]:
    """The format named by a file's first bytes (``'JPEG'``, ``'PNG'``, ...) or None."""
    if header[:4] == b'RIFF' and header[8:12] == b'WEBP':
        return 'WebP'
    for magic, name in _MAGIC:
        if header.startswith(magic):
            return name
    return None


def inspect_image(path: str) -> Verdict:
    """Read and decode one file: its ``(height, width)`` or the reason it is unusable."""
    try:
        with open(path, 'rb') as f:
            data = f.read()
    except OSError as e:
        return f'cannot be read ({type(e).__name__}: {e.strerror or e})'
    if not data:
        return 'empty file (0 bytes)'
    fmt = image_format(data[:16])
    if fmt is None:
        return f'not an image: unknown header bytes {data[:8].hex(" ")}'
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if img is None or img.size == 0:
        return f'{fmt} header, but the image data cannot be decoded (corrupt file)'
    if fmt == 'JPEG' and not data.rstrip(b'\x00').endswith(b'\xff\xd9'):
        return 'truncated JPEG: no end-of-image marker (the lower part would be grey)'
    return int(img.shape[0]), int(img.shape[1])


def size_problem(verdict: Verdict, height: Optional[float],
                 width: Optional[float]) -> Optional[str]:
    """Why a decodable image does not fit its annotation's size (None when it does, when
    the verdict is already a problem, or when the annotation gives no size)."""
    if isinstance(verdict, str) or not height or not width:
        return None
    h, w = verdict
    if (h, w) != (int(height), int(width)):
        return (f'image is {w}x{h} (width x height) but its annotation says '
                f'{int(width)}x{int(height)}')
    return None


def default_cache_file(paths: Sequence[str]) -> Optional[str]:
    """:data:`CACHE_NAME` in the deepest folder that holds all ``paths``."""
    if not paths:
        return None
    folders = {osp.dirname(osp.abspath(p)) for p in paths}
    return osp.join(osp.commonpath(sorted(folders)), CACHE_NAME)


def _load_cache(cache_file: Optional[str]) -> Dict[str, list]:
    if not cache_file or not osp.isfile(cache_file):
        return {}
    try:
        with open(cache_file) as f:
            cache = json.load(f)
        if cache.get('version') == CACHE_VERSION and isinstance(cache.get('files'), dict):
            return cache['files']
    except (OSError, ValueError, AttributeError) as e:
        print_log(f'image check: ignoring the unreadable cache {cache_file} ({e})',
                  logger='current', level=logging.WARNING)
    return {}


def _save_cache(cache_file: str, entries: Dict[str, list]) -> None:
    data = json.dumps(dict(version=CACHE_VERSION, files=entries), separators=(',', ':'))
    try:
        atomic_write_bytes(data.encode(), cache_file)
    except OSError as e:  # read-only data folder: check again next time
        print_log(f'image check: cannot write the cache {cache_file} ({e}); the images '
                  'will be checked again next time', logger='current', level=logging.WARNING)


def scan_images(paths: Sequence[str], cache_file: Optional[str] = None,
                num_workers: Optional[int] = None, progress: bool = True,
                chunk: int = 32) -> Tuple[Dict[str, Verdict], dict]:
    """Verdicts for ``paths``, reusing ``cache_file`` and updating it.

    Args:
        paths: image files (absolute or relative to the working directory).
        cache_file: the JSON cache; ``None``: no cache.
        num_workers: threads decoding images (OpenCV releases the GIL); default
            ``min(16, cpu_count)``.
        progress: show mmengine's ``ProgressBar`` (done/total, images/s, ETA) while
            decoding images that the cache does not cover.
        chunk: images per thread task.

    Returns:
        ``(verdicts, stats)``: ``verdicts[path]`` is ``(height, width)`` or a reason;
        ``stats = dict(total, cached, checked, seconds)``.
    """
    start = time.perf_counter()
    cache = _load_cache(cache_file)
    root = osp.dirname(osp.abspath(cache_file)) if cache_file else None
    verdicts: Dict[str, Verdict] = {}
    todo: List[Tuple[str, str, list]] = []  # (path, cache key, [bytes, mtime_ns])
    for path in dict.fromkeys(paths):
        try:
            st = os.stat(path)
        except OSError as e:
            verdicts[path] = f'cannot be read ({type(e).__name__}: {e.strerror or e})'
            continue
        key = osp.relpath(osp.abspath(path), root) if root else path
        stamp = [st.st_size, st.st_mtime_ns]
        hit = cache.get(key)
        if isinstance(hit, list) and len(hit) == 3 and hit[:2] == stamp:
            verdicts[path] = tuple(hit[2]) if isinstance(hit[2], list) else hit[2]
        else:
            todo.append((path, key, stamp))
    if todo:
        bar = ProgressBar(len(todo), file=sys.stdout) if progress else None
        workers = num_workers or min(16, os.cpu_count() or 1)
        chunks = [todo[i:i + chunk] for i in range(0, len(todo), chunk)]
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = {pool.submit(lambda c: [inspect_image(p) for p, _, _ in c], c): c
                       for c in chunks}
            for future in as_completed(futures):
                for (path, key, stamp), verdict in zip(futures[future], future.result()):
                    verdicts[path] = verdict
                    cache[key] = [*stamp, list(verdict) if isinstance(verdict, tuple) else verdict]
                if bar is not None:
                    bar.update(len(futures[future]))
        if bar is not None:
            print()  # end the progress bar's line
        if cache_file:
            _save_cache(cache_file, cache)
    stats = dict(total=len(verdicts), cached=len(verdicts) - len(todo), checked=len(todo),
                 seconds=time.perf_counter() - start)
    return verdicts, stats


def format_skipped(problems: Dict[str, str], limit: int = 100) -> str:
    """``'a.jpg (empty file (0 bytes)), b.jpg (...)'`` with at most ``limit`` files named."""
    items = [f'{path} ({reason})' for path, reason in problems.items()]
    more = f', ... and {len(items) - limit} more' if len(items) > limit else ''
    return ', '.join(items[:limit]) + more
