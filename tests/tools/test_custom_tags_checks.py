"""A run's pre-flight and verify_dataset.py on a folder with a label table:
every problem of the table at once, each named with its row, before
anything is built; notes (unlisted images, images per class) that do not
stop a run."""
import importlib.util
from pathlib import Path

import pytest
from mmengine.config import Config

from fixtures import make_tag_folder
from semples_mmseg.utils.preflight import (MissingInputsError,
                                           check_config_inputs,
                                           dataset_inputs)

REPO = Path(__file__).resolve().parents[2]
TINY = str(REPO / 'tests/data/configs/semples_custom_tags_tiny_fixture.py')
SPLITS = ('train', 'val', 'test')


def config(root, **dataset):
    cfg = Config.fromfile(TINY)
    for split in SPLITS:
        cfg.merge_from_dict({f'{split}_dataloader.dataset.data_root':
                             str(root)})
        for key, value in dataset.items():
            cfg.merge_from_dict({f'{split}_dataloader.dataset.{key}': value})
    return cfg


@pytest.fixture
def folder(tmp_path):
    make_tag_folder(str(tmp_path), num_images=8)
    return tmp_path


def bad_table(root):
    (root / 'photos/set_a/img_000.jpg').unlink()
    (root / 'tags.csv').write_text(
        (root / 'tags.csv').read_text().replace(
            'set_b/img_001.jpg,cat;dining table', 'set_b/img_001.jpg,kat'))


def test_the_dataset_declares_its_folder_table_and_masks():
    cfg = dict(type='ImageTagDataset', data_root='/d', img_dir='photos',
               label_file='tags.csv', mask_dir='masks')
    found = {p.key: (p.path, p.kind) for p in dataset_inputs(
        cfg, evaluated=False)}
    assert found == {'data_root': ('/d', 'dir'),
                     'img_dir': ('/d/photos', 'dir'),
                     'label_file': ('/d/tags.csv', 'file')}
    assert {p.key for p in dataset_inputs(cfg, evaluated=True)} == {
        'data_root', 'img_dir', 'label_file', 'mask_dir'}


def test_preflight_names_every_row_once_for_all_splits(folder):
    check_config_inputs(config(folder), 'train')  # a good folder passes
    bad_table(folder)
    long_name = ' '.join(['very'] * 80) + ' long table'
    cfg = config(folder)
    cfg.model.clip_guide.class_names = ['cat', long_name]
    with pytest.raises(MissingInputsError) as err:
        check_config_inputs(cfg, 'train', name='tiny.py')
    text = str(err.value)
    assert text.startswith('2 input(s) of tiny.py are missing or wrong')
    assert ('  - train_dataloader.dataset, train_cfg.stages[1].dataloader'
            '.dataset, val_dataloader.dataset, test_dataloader.dataset: 2 '
            'problem(s):\n'
            f'      row 2: set_a/img_000.jpg does not exist in {folder}/'
            "photos\n      row 3: unknown class 'kat' (closest: 'cat')"
            ) in text
    assert '  - model.clip_guide: 1 problem(s):' in text
    assert 'is 88 tokens' in text
    # rows left out on purpose are no problem; a missing folder is named
    check_config_inputs(config(folder, skip_bad_rows=str(folder / 's.csv')),
                        'train')
    with pytest.raises(MissingInputsError, match='img_dir = .*nowhere: dir '
                       'does not exist'):
        check_config_inputs(config(folder, img_dir='nowhere'), 'train')


def load_tool():
    path = REPO / 'tools/analysis_tools/verify_dataset.py'
    spec = importlib.util.spec_from_file_location('verify_dataset', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_tool(root, capsys, *options):
    code = load_tool().main([TINY, '--cfg-options', *[
        f'{s}_dataloader.dataset.data_root={root}' for s in SPLITS],
        *options])
    return code, capsys.readouterr().out


def test_verify_dataset_lists_the_table_and_its_notes(folder, capsys):
    (folder / 'photos/set_b/extra.jpg').write_bytes(
        (folder / 'photos/set_a/img_000.jpg').read_bytes())
    code, out = run_tool(folder, capsys)
    assert code == 0, out
    assert 'train  ImageTagDataset' in out and 'table, K=2' in out
    assert '[train] note: 1 image(s) in ' in out
    assert '[train] note: images per class: cat 4, dining table 6' in out
    assert '[val] note: images per class: cat 0, dining table 2' in out
    assert 'test   ImageTagDataset  tags.csv  8' in out
    bad_table(folder)
    code, out = run_tool(folder, capsys)
    assert code == 1
    assert '[train] row 2: set_a/img_000.jpg does not exist' in out
    assert "[train] row 3: unknown class 'kat' (closest: 'cat')" in out
    assert '[val] the 2 problem(s) listed for [train]' in out
    skipped = folder / 'skipped.csv'
    code, out = run_tool(folder, capsys, *[
        f'{s}_dataloader.dataset.skip_bad_rows={skipped}' for s in SPLITS])
    assert code == 0, out
    assert (f'[train] note: 2 row(s) with problems left out, listed in '
            f'{skipped} (skip_bad_rows)') in out
    assert skipped.read_text().count('\n') == 3
