"""Resumable HTTP downloads with a checksum and a progress bar (standard library only).

A download goes to ``DEST.part``; an interrupted one continues from where it stopped
(an HTTP ``Range`` request; a server that ignores it sends the whole file again), with
``retries`` automatic attempts and, after those, on the next call. The finished file is
checked against its published MD5 before it is renamed to ``DEST``.
"""
import hashlib
import http.client
import os
import os.path as osp
import socket
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Optional, TextIO


class DownloadError(RuntimeError):
    """A download failed; the message says what to do."""


class OfflineError(DownloadError):
    """The server cannot be reached at all (no network, DNS, refused connection)."""


class ChecksumError(DownloadError):
    """The downloaded file is not the published one."""


def file_md5(path: str, chunk: int = 1 << 20) -> str:
    md5 = hashlib.md5()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(chunk), b''):
            md5.update(block)
    return md5.hexdigest()


def _mb(num_bytes: float) -> str:
    return f'{num_bytes / 1e6:.1f} MB'


class _Progress:
    """One line, rewritten: ``name  42%  12.3/29.1 MB  4.1 MB/s  ETA 0:00:04``."""

    def __init__(self, name: str, done: int, total: Optional[int], stream: TextIO) -> None:
        self.name, self.start_done, self.total, self.stream = name, done, total, stream
        self.start, self.last = time.monotonic(), 0.0

    def update(self, done: int, final: bool = False) -> None:
        now = time.monotonic()
        if not final and now - self.last < 0.5:
            return
        self.last = now
        speed = (done - self.start_done) / max(now - self.start, 1e-6)
        if self.total:
            eta = (self.total - done) / speed if speed > 0 else 0
            line = (f'{self.name}  {100 * done / self.total:3.0f}%  {done / 1e6:.1f}/'
                    f'{_mb(self.total)}  {speed / 1e6:.1f} MB/s  ETA '
                    f'{time.strftime("%H:%M:%S", time.gmtime(eta))}')
        else:
            line = f'{self.name}  {_mb(done)}  {speed / 1e6:.1f} MB/s'
        self.stream.write('\r' + line + ('\n' if final else ''))
        self.stream.flush()


def _open(url: str, offset: int, timeout: float):
    request = urllib.request.Request(url, headers={'User-Agent': 'yolo_toolbox'})
    if offset:
        request.add_header('Range', f'bytes={offset}-')
    try:
        return urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as e:
        if e.code == 416 and offset:  # nothing left after offset: the .part is whole
            return None
        raise DownloadError(f'{url}: HTTP {e.code} {e.reason}') from None
    except (urllib.error.URLError, socket.timeout, ConnectionError) as e:
        reason = getattr(e, 'reason', e)
        raise OfflineError(f'cannot reach {urllib.parse.urlsplit(url).netloc} ({reason})') \
            from None


def _fetch_once(url: str, part: str, timeout: float, progress: Optional[TextIO]) -> None:
    """Append the rest of ``url`` to ``part`` (from scratch when the server ignores Range)."""
    offset = osp.getsize(part) if osp.isfile(part) else 0
    response = _open(url, offset, timeout)
    if response is None:
        return
    with response:
        if offset and response.status != 206:  # no range support: start again
            offset = 0
        length = response.headers.get('Content-Length')
        total = offset + int(length) if length is not None else None
        bar = _Progress(osp.basename(part)[:-len('.part')], offset, total, progress) \
            if progress else None
        done = offset
        with open(part, 'ab' if offset else 'wb') as f:
            try:
                while True:
                    block = response.read(1 << 20)
                    if not block:
                        break
                    f.write(block)
                    done += len(block)
                    if bar:
                        bar.update(done)
            except (http.client.IncompleteRead, ConnectionError, socket.timeout, OSError) as e:
                if bar:
                    progress.write('\n')
                raise DownloadError(f'interrupted after {_mb(done)} ({type(e).__name__})') \
                    from None
        if bar:
            bar.update(done, final=True)
        if total is not None and done < total:
            raise DownloadError(f'interrupted after {_mb(done)} of {_mb(total)}')


def download_file(url: str, dest: str, md5: Optional[str] = None, retries: int = 3,
                  timeout: float = 30.0, progress: Optional[TextIO] = sys.stderr) -> str:
    """Download ``url`` to ``dest`` unless ``dest`` is already there with the right MD5.

    Args:
        url: http(s) URL.
        dest: the file to write (its folder is created); ``dest + '.part'`` while loading.
        md5: the published checksum (hex); ``None``: not checked.
        retries: automatic resumptions after an interruption.
        timeout: seconds without data before a connection counts as interrupted.
        progress: stream of the progress line; ``None``: silent.

    Returns:
        ``dest``.

    Raises:
        OfflineError: the server cannot be reached (the first attempt, nothing loaded).
        DownloadError: interrupted ``retries + 1`` times; the ``.part`` file stays and the
            next call continues it.
        ChecksumError: the whole file does not have ``md5``; it is removed.
    """
    if osp.isfile(dest):
        if md5 is None or file_md5(dest) == md5:
            return dest
        os.remove(dest)  # a wrong or truncated copy: load it again
    os.makedirs(osp.dirname(osp.abspath(dest)), exist_ok=True)
    part = dest + '.part'
    for attempt in range(retries + 1):
        try:
            _fetch_once(url, part, timeout, progress)
            break
        except OfflineError:
            if attempt == 0 and not osp.isfile(part):
                raise
            if attempt == retries:
                raise DownloadError(f'{url}: the connection was lost; {part} is kept: run the '
                                    'same command again to continue') from None
        except DownloadError as e:
            if attempt == retries:
                raise DownloadError(f'{url}: {e}; {part} is kept: run the same command again '
                                    'to continue') from None
            if progress:
                progress.write(f'{e}; resuming (attempt {attempt + 2} of {retries + 1})\n')
    if md5 is not None:
        got = file_md5(part)
        if got != md5:
            os.remove(part)
            raise ChecksumError(f'{url}: MD5 {got} is not the published {md5}; the file was '
                                'removed. Run again; if it repeats, the server sends another file')
    os.replace(part, dest)
    return dest
