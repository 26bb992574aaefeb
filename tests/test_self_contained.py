"""The repository is self-contained: no tracked file points outside it.

Every tracked text file (``git ls-files``) is scanned for references to the
workspace the project was developed in (a sibling ``shared`` folder with the
method notes, absolute paths of that workspace); the method is cited as
``docs/METHOD.md section N``, and every such section number must exist there.
"""
import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# built from pieces so that this file does not match itself
OUTSIDE = re.compile('|'.join([
    re.escape('..' + '/shared'),
    re.escape('/work' + '/'),
    re.escape('/work' + '/shared'),
]))
METHOD_CITATION = re.compile(r'METHOD(?:\.md)?\s+sections?\s+(\d+)(?:\s*-\s*(\d+))?')


def tracked_text_files():
    try:
        out = subprocess.run(['git', 'ls-files', '-z'], cwd=REPO,
                             capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip('not a git checkout (an installed copy): nothing to scan')
    for name in out.decode().split('\0'):
        path = REPO / name
        if not name or not path.is_file():
            continue
        data = path.read_bytes()
        if b'\0' in data[:8192]:  # binary (images, checkpoints)
            continue
        yield name, data.decode('utf-8', errors='replace')


def test_no_tracked_file_refers_to_a_path_outside_the_repository():
    hits = []
    for name, text in tracked_text_files():
        for number, line in enumerate(text.splitlines(), 1):
            if OUTSIDE.search(line):
                hits.append(f'{name}:{number}: {line.strip()}')
    assert not hits, ('files refer to paths outside the repository (cite '
                      '`docs/METHOD.md section N` instead):\n' +
                      '\n'.join(hits))


def test_method_citations_name_sections_that_exist():
    method = (REPO / 'docs' / 'METHOD.md').read_text()
    sections = {int(n) for n in re.findall(r'^## (\d+)\. ', method, re.M)}
    assert sections == set(range(1, 9)), sections
    bad = []
    for name, text in tracked_text_files():
        for number, line in enumerate(text.splitlines(), 1):
            for first, last in METHOD_CITATION.findall(line):
                cited = range(int(first), int(last or first) + 1)
                if not set(cited) <= sections:
                    bad.append(f'{name}:{number}: {line.strip()}')
    assert not bad, 'citations of missing METHOD sections:\n' + '\n'.join(bad)
