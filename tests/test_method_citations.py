"""Every ``docs/METHOD.md section N`` cited in a tracked file exists there."""
import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
METHOD_CITATION = re.compile(
    r'METHOD(?:\.md)?\s+sections?\s+(\d+)(?:\s*(?:-|,|and)\s*(\d+))?')


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


def test_method_citations_name_sections_that_exist():
    method = (REPO / 'docs' / 'METHOD.md').read_text()
    sections = {int(n) for n in re.findall(r'^## (\d+)\. ', method, re.M)}
    assert sections, 'docs/METHOD.md has no numbered sections'
    bad = []
    for name, text in tracked_text_files():
        for number, line in enumerate(text.splitlines(), 1):
            for first, last in METHOD_CITATION.findall(line):
                cited = {int(first), int(last or first)}
                if not cited <= sections:
                    bad.append(f'{name}:{number}: {line.strip()}')
    assert not bad, 'citations of missing METHOD sections:\n' + '\n'.join(bad)
