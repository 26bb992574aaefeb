"""``make_voc_fixture`` of the repository's tests (tests/fixtures/
voc_layout.py), read from its file: the benchmarks beside this one write
VOC-layout trees of any size with it. They run from a checkout."""
import importlib.util
import os.path as osp

VOC_LAYOUT = osp.join(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'tests',
    'fixtures', 'voc_layout.py')

_spec = importlib.util.spec_from_file_location('voc_layout', VOC_LAYOUT)
_voc_layout = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_voc_layout)
make_voc_fixture = _voc_layout.make_voc_fixture
