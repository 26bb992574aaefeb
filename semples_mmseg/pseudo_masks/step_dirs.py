"""The output folder of a pseudo-mask step: new, resumed or overwritten.

A step writes one file per image into its folder and records the settings
it was run with (``export.check_or_record_settings``). A folder that
already holds outputs is refused unless the run resumes (same settings,
only missing or incomplete files redone) or overwrites (all redone).
"""
import hashlib
import os
import os.path as osp
from typing import Callable, List, Sequence

from mmengine.utils import mkdir_or_exist

from .export import TEMPORARY, check_or_record_settings, remove_temporaries


def written_files(out_dir: str, ext: str) -> List[str]:
    """Names of the finished ``ext`` files of ``out_dir`` (not temporaries)."""
    if not osp.isdir(out_dir):
        return []
    return [name for name in os.listdir(out_dir)
            if name.endswith(ext) and not TEMPORARY.search(name)]


def open_step_dir(out_dir: str, settings: dict, *, ext: str, resume: bool,
                  overwrite: bool) -> List[str]:
    """Create or check ``out_dir`` and record ``settings``; return the
    temporaries a killed run left there (removed). Raises ValueError when
    outputs exist without ``resume`` / ``overwrite`` or with other
    settings."""
    written = written_files(out_dir, ext)
    if written and not (resume or overwrite):
        raise ValueError(f'{out_dir} already holds {len(written)} {ext} '
                         'files: pass --resume to continue or --overwrite '
                         'to redo them')
    mkdir_or_exist(out_dir)
    check_or_record_settings(out_dir, settings, resume=resume)
    return remove_temporaries(out_dir)


def pending(img_paths: Sequence[str], output: Callable[[str], str],
            complete: Callable[[str], bool]) -> List[int]:
    """Indices of the images whose output file is missing or incomplete."""
    return [i for i, path in enumerate(img_paths)
            if not complete(output(path))]


def image_ids_sha256(img_paths: Sequence[str]) -> str:
    """A hash of the file names of a list (the same list, the same hash)."""
    return hashlib.sha256('\n'.join(
        osp.basename(p) for p in img_paths).encode()).hexdigest()
