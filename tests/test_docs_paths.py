"""Every file a page of documentation names exists: repository paths in
backquotes or commands (``configs/...py``, ``tools/...py``) and relative
links (``[text](docs/METHOD.md)``). A path named as another package's
(``mmseg's tools/...``) or inside a built wheel (``.mim/``) is not ours."""
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SKIP = {'.git', '.venv', 'work_dirs', 'build', 'node_modules'}
# a repository path: a known top folder, then path characters, ending in
# one of the repository's file types
PATH = re.compile(r'(?<![\w/.$-])((?:configs|tools|docs|projects|demo|scripts|'
                  r'semples_mmseg|tests)/[\w./-]*?\.(?:py|md|sh|yaml|yml))\b')
OTHER_PACKAGE = re.compile(r'(mmseg|mmsegmentation|mmdet|mmengine|mmcv)\S*'
                           r'\s+(own\s+)?`?$')
LINK = re.compile(r'\]\(([^)#\s]+?\.(?:md|py|png|sh|yaml|yml))(?:#[^)]*)?\)')


def pages():
    for path in REPO.rglob('*.md'):
        rel = path.relative_to(REPO)
        if not SKIP.intersection(rel.parts):
            yield path


def missing_paths(page: Path):
    text = page.read_text(encoding='utf-8')
    for match in PATH.finditer(text):
        name = match.group(1)
        before = text[max(0, match.start() - 40):match.start()]
        if '.mim/' in name or OTHER_PACKAGE.search(before):
            continue
        # a path in a project's page may be relative to the project
        bases = [REPO, page.parent] + [p for p in page.parents
                                       if p.parent.name == 'projects']
        if '*' not in name and not any((b / name).exists() for b in bases):
            yield name
    for link in LINK.findall(text):
        if '://' not in link and not (page.parent / link).exists():
            yield link


def test_every_named_file_exists():
    problems = {str(p.relative_to(REPO)): sorted(set(missing_paths(p)))
                for p in pages()}
    problems = {k: v for k, v in problems.items() if v}
    assert problems == {}


def test_a_missing_file_is_found(tmp_path):
    page = tmp_path / 'page.md'
    page.write_text('run `tools/no_such_tool.py` and read [x](nowhere.md); '
                    'configs/semples/weaktr_voc.py exists; mmseg\'s '
                    '`tools/dataset_converters/voc_aug.py` is not ours\n')
    assert sorted(missing_paths(page)) == ['nowhere.md',
                                           'tools/no_such_tool.py']
