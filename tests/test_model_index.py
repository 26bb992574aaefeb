"""Model-zoo metadata as mmseg keeps it.

Every folder under ``configs/`` (except ``_base_``) that holds configs has a
``README.md`` and a ``metafile.yaml``; the top-level ``model-index.yml``
imports every metafile. Each config of the folder is listed exactly once, in
one of two sections of its folder's metafile:

* ``Models``: benchmark configs under their descriptive mmseg name (the file
  is the short name users type), each with ``Paper Targets`` (the paper's
  numbers, a possibly empty list) and ``Results`` (measured here, a possibly
  empty list; every entry says which ``Command`` produced it), kept apart so
  a target is never read as a result;
* ``Variants and ablations``: variants, CPU-sized configs and ablation
  rows, named as their file; ``Measured`` says what was measured and where;
  ``Paper Targets`` (the paper's numbers for the row) is optional there.

A folder's metafile may hold only some of the sections (an ablation folder
has no ``Models``). Model names are unique over all metafiles.
"""
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
SECTIONS = ('Models', 'Variants and ablations')
CONFIG_DIRS = sorted({
    p.parent
    for p in (REPO / 'configs').rglob('*.py') if '_base_' not in p.parts
})


def metafile(folder: Path) -> dict:
    return yaml.safe_load((folder / 'metafile.yaml').read_text())


def rel(path: Path) -> str:
    return str(path.relative_to(REPO))


def test_config_folders_are_found():
    names = {rel(d) for d in CONFIG_DIRS}
    assert {'configs/semples', 'configs/weaktr', 'configs/clims',
            'configs/seg'} <= names


@pytest.mark.parametrize('folder', CONFIG_DIRS, ids=rel)
def test_every_config_has_one_metafile_entry(folder):
    assert (folder / 'README.md').is_file(), f'{rel(folder)} has no README.md'
    assert (folder / 'metafile.yaml').is_file(), \
        f'{rel(folder)} has no metafile.yaml'
    meta = metafile(folder)
    unknown = set(meta) - set(SECTIONS) - {'Collections'}
    assert not unknown, f'{rel(folder)}/metafile.yaml: sections {unknown}'
    listed = [e['Config'] for s in SECTIONS for e in meta.get(s) or []]
    configs = sorted(rel(p) for p in folder.glob('*.py'))
    assert sorted(listed) == configs, (
        f'{rel(folder)}/metafile.yaml lists {sorted(listed)}, the folder has '
        f'{configs}')
    for entry in meta.get('Variants and ablations') or []:
        assert entry['Name'] == Path(entry['Config']).stem, entry


def check_targets(name: str, targets) -> None:
    assert isinstance(targets, list), name
    for target in targets:
        assert target['Source'] and target['Dataset'], name
        assert target['Metrics'] and all(
            isinstance(v, (int, float))
            for v in target['Metrics'].values()), name


@pytest.mark.parametrize('folder', CONFIG_DIRS, ids=rel)
def test_targets_and_results_are_kept_apart(folder):
    meta = metafile(folder)
    collections = {c['Name'] for c in meta.get('Collections') or []}
    models = {m['Name']: m for m in meta.get('Models') or []}
    for name, model in models.items():
        assert model['In Collection'] in collections, name
        check_targets(name, model['Paper Targets'])
        assert isinstance(model['Results'], list), name
        for result in model['Results']:
            assert result.get('Command'), (
                f'{name}: a measured result must say which command made it')
    for toy in meta.get('Variants and ablations') or []:
        assert toy['Measured'], toy
        assert 'Results' not in toy, toy  # measured numbers: "Measured"
        check_targets(toy['Name'], toy.get('Paper Targets', []))


def test_model_names_are_unique_over_all_metafiles():
    names = [m['Name'] for d in CONFIG_DIRS
             for m in metafile(d).get('Models') or []]
    assert names and sorted(names) == sorted(set(names)), sorted(names)


def test_model_index_imports_every_metafile():
    index = yaml.safe_load((REPO / 'model-index.yml').read_text())
    assert sorted(index['Import']) == sorted(
        rel(d / 'metafile.yaml') for d in CONFIG_DIRS)
