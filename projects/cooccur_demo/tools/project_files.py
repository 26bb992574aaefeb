"""Where the demo's tools find the files of this checkout: the project's
configs beside them and the repository's ``tools/train.py``, ``tools/irn``
and ``demo/image_demo.py`` (the ``cooccur_demo`` package itself knows none
of them; the tools pass them in)."""
import os.path as osp

from cooccur_demo.clims_route import RouteFiles
from cooccur_demo.experiment import DemoFiles

PROJECT = osp.dirname(osp.dirname(osp.abspath(__file__)))
REPO = osp.dirname(osp.dirname(PROJECT))
CONFIGS = osp.join(PROJECT, 'configs')
DEMO_FILES = DemoFiles(
    baseline_config=osp.join(CONFIGS, 'weaktr', 'toy_cooccur.py'),
    semples_config=osp.join(CONFIGS, 'semples', 'toy_cooccur.py'),
    ablation_dir=osp.join(CONFIGS, 'semples', 'ablations'),
    train_tool=osp.join(REPO, 'tools', 'train.py'))
IMAGE_DEMO = osp.join(REPO, 'demo', 'image_demo.py')
ROUTE_FILES = RouteFiles(
    cam_config=osp.join(CONFIGS, 'clims', 'toy_cam_cooccur.py'),
    clims_config=osp.join(CONFIGS, 'clims', 'toy_cooccur.py'),
    semples_config=osp.join(CONFIGS, 'semples', 'clims_toy_cooccur.py'),
    irn_config=osp.join(CONFIGS, 'irn', 'toy_irn_cooccur.py'),
    deeplab_config=osp.join(CONFIGS, 'deeplabv2', 'toy_deeplabv2_cooccur.py'),
    irn_tools=osp.join(REPO, 'tools', 'irn'))
