"""Where the toy configs' weight files come from, for error messages."""
import os.path as osp
from typing import Optional

#: the folder the CPU demo writes (tools/cooccur/run_demo.py --work-dir)
DEMO_WORK_DIR = osp.join('work_dirs', 'cooccur')


def toy_weight_hint(path: str) -> Optional[str]:
    """For a weight file under ``work_dirs/cooccur/`` (the toy configs'
    defaults): the sentence that says which command writes it; else None."""
    norm = osp.normpath(str(path)).replace(osp.sep, '/')
    if f'/{DEMO_WORK_DIR}/' not in f'/{norm}' and not norm.startswith(
            DEMO_WORK_DIR + '/'):
        return None
    return (f'{path} is written by the CPU demo: run '
            '`python tools/cooccur/run_demo.py` (or scripts/run_demo.sh) from '
            'the repository root first; it leaves work_dirs/cooccur/'
            'toy_clip.pt and work_dirs/cooccur/weaktr/baseline.pth for the '
            'toy configs')
