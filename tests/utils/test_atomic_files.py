"""Atomic writes and full-disk messages that name the file."""
import errno
import os

import pytest
import torch

from semples_mmseg.utils import atomic_files
from semples_mmseg.utils.atomic_files import (DiskFullError, atomic_path,
                                              exit_on_full_disk,
                                              naming_full_disk,
                                              np_save_atomically,
                                              torch_save_atomically)


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / 'best.pth'
    torch_save_atomically({'a': torch.ones(2)}, str(path))
    with pytest.raises(RuntimeError):
        with atomic_path(str(path)) as tmp:
            open(tmp, 'wb').write(b'half')
            raise RuntimeError('killed')
    assert torch.equal(torch.load(path)['a'], torch.ones(2))
    assert os.listdir(tmp_path) == ['best.pth']


def test_a_full_disk_names_the_file(tmp_path, monkeypatch):
    def full(obj, f):
        raise OSError(errno.ENOSPC, 'No space left on device')

    monkeypatch.setattr(atomic_files.torch, 'save', full)
    with pytest.raises(DiskFullError, match=f'while writing {tmp_path}/x.pth'):
        torch_save_atomically({}, str(tmp_path / 'x.pth'))
    assert not os.listdir(tmp_path)


def test_naming_full_disk_finds_the_path_in_the_writer(tmp_path):
    def put(obj: bytes, filepath: str) -> None:  # like mmengine's backend
        raise OSError(errno.ENOSPC, 'No space left on device')

    with pytest.raises(DiskFullError, match='writing /ckpt/epoch_3.pth'):
        with naming_full_disk(str(tmp_path)):
            put(b'', '/ckpt/epoch_3.pth')
    with pytest.raises(OSError, match='Permission'):  # other errors pass
        with naming_full_disk(str(tmp_path)):
            raise PermissionError(errno.EACCES, 'Permission denied')


def test_a_tool_ends_on_a_full_disk_saying_what_to_do(tmp_path,
                                                       monkeypatch):
    def full(f, array):
        raise OSError(errno.ENOSPC, 'No space left on device')

    monkeypatch.setattr(atomic_files.np, 'save', full)
    target = tmp_path / 'cams' / 'a.npy'
    target.parent.mkdir()
    with pytest.raises(SystemExit) as info:
        with exit_on_full_disk(str(tmp_path)):
            np_save_atomically([1], str(target))
    message = str(info.value.code)
    assert message.startswith(f'No space left on device while writing '
                              f'{target}: the disk is full.')
    assert f'Free some space in {target.parent}' in message
    assert 'run the same command again with --resume' in message
    assert not list(target.parent.iterdir())

