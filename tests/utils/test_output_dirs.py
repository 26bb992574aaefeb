"""prepare_output_dirs in one process (the 2-process cases are in
tests/tools/test_train_tools.py)."""
import os

import pytest

from semples_mmseg.evaluation import CAMSeedMetric
from semples_mmseg.utils.output_dirs import (OutputDirError,
                                             prepare_output_dirs)


def test_folders_and_their_parents_are_created(tmp_path):
    prepare_output_dirs(str(tmp_path / 'a' / 'b'), None, str(tmp_path / 'c'))
    assert (tmp_path / 'a' / 'b').is_dir() and (tmp_path / 'c').is_dir()
    prepare_output_dirs(str(tmp_path / 'c'))  # exists: fine


def test_a_file_in_its_place_is_named(tmp_path):
    (tmp_path / 'masks').write_text('')
    with pytest.raises(OutputDirError,
                       match=f'{tmp_path}/masks: a file is in its place'):
        prepare_output_dirs(str(tmp_path / 'masks'))


def test_a_file_in_a_parents_place_is_named(tmp_path):
    (tmp_path / 'work').write_text('')
    with pytest.raises(OutputDirError) as info:
        prepare_output_dirs(str(tmp_path / 'work' / 'pred' / 'maps'))
    assert f'{tmp_path}/work/pred/maps' in str(info.value)
    assert f'{tmp_path}/work is a file' in str(info.value)


@pytest.mark.skipif(os.geteuid() == 0, reason='root writes anywhere')
def test_a_folder_without_permission_is_named(tmp_path):
    (tmp_path / 'locked').mkdir(mode=0o500)
    with pytest.raises(OutputDirError, match='locked/new: no permission'):
        prepare_output_dirs(str(tmp_path / 'locked' / 'new'))


def test_the_main_process_step_runs_once_the_folders_exist(tmp_path):
    seen = []
    prepare_output_dirs(
        str(tmp_path / 'out'),
        main_process_step=lambda: seen.append((tmp_path / 'out').is_dir()))
    assert seen == [True]


def test_an_error_of_the_main_process_step_is_raised_as_is(tmp_path):
    def refuse():
        raise ValueError(f'{tmp_path}/out holds masks of other settings')

    with pytest.raises(OutputDirError, match='holds masks of other settings'):
        prepare_output_dirs(str(tmp_path / 'out'), main_process_step=refuse)


def test_the_seed_metric_makes_its_folder(tmp_path):
    CAMSeedMetric(output_dir=str(tmp_path / 'maps'))
    assert (tmp_path / 'maps').is_dir()
    (tmp_path / 'blocked').write_text('')
    with pytest.raises(OutputDirError, match='blocked: a file is in its'):
        CAMSeedMetric(output_dir=str(tmp_path / 'blocked'))
