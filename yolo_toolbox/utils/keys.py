"""Messages for keys that do not exist: name them and the closest existing one."""
import difflib
from typing import Iterable, Optional


def closest_key(key: str, known: Iterable[str]) -> Optional[str]:
    """The entry of ``known`` most like ``key`` (also by its last dotted part), or ``None``.

    ``closest_key('trian_cfg.max_epochs', keys)`` -> ``'train_cfg.max_epochs'``;
    ``closest_key('max_epochs', keys)`` -> ``'train_cfg.max_epochs'`` (same last part).
    """
    known = list(known)
    match = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if match:
        return match[0]
    leaf = key.rsplit('.', 1)[-1]
    by_leaf = {k.rsplit('.', 1)[-1]: k for k in sorted(known, key=len, reverse=True)}
    match = difflib.get_close_matches(leaf, list(by_leaf), n=1, cutoff=0.75)
    return by_leaf[match[0]] if match else None


def did_you_mean(key: str, known: Iterable[str]) -> str:
    """``' (did you mean train_cfg.max_epochs?)'``, or ``''`` when nothing is close."""
    match = closest_key(key, known)
    return f' (did you mean {match}?)' if match else ''


def check_known_keys(owner: str, given: Iterable[str], known: Iterable[str]) -> None:
    """Raise ``ValueError`` naming every key of ``given`` that is not in ``known``.

    Args:
        owner: what the keys belong to, for the message (e.g. ``'YOLOHead test_cfg'``).
    """
    known = sorted(set(known))
    unknown = [k for k in given if k not in known]
    if unknown:
        named = '; '.join(f'{k!r}{did_you_mean(k, known)}' for k in unknown)
        raise ValueError(f'{owner}: unknown key(s) {named}. Known keys: {", ".join(known)}')
