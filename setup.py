import os
import shutil

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

version = {}
with open('semples_mmseg/version.py') as f:
    exec(f.read(), version)

# The OpenMMLab stack is chosen through an extra so that a stack the user
# already has is never clobbered: `.[onedl]` (maintained forks, NumPy 2) or
# `.[classic]`: mmsegmentation 1.2.2 refuses mmcv >= 2.2.0 at import, and
# mmcv 2.1.0's compiled ops are built against NumPy 1.
ONEDL = ['onedl-mmengine', 'onedl-mmcv', 'onedl-mmsegmentation',
         'onedl-mmpretrain']
CLASSIC = ['mmengine>=0.10.7', 'mmcv>=2.1.0,<2.2.0', 'mmsegmentation>=1.2.2',
           'mmpretrain>=1.2.0', 'numpy<2']

# What `mim train semples_mmseg CONFIG` and a non-editable install need next
# to the package: OpenMMLab's `.mim` layout (the package's configs, tools and
# model index). Copied into the build, never into the source tree.
MIM_ITEMS = ('configs', 'tools', 'model-index.yml')


class BuildPyWithMim(build_py):
    """build_py that also copies MIM_ITEMS into ``semples_mmseg/.mim/``."""

    def run(self):
        super().run()
        if getattr(self, 'editable_mode', False):
            return  # an editable install reads them from the checkout
        target = os.path.join(self.build_lib, 'semples_mmseg', '.mim')
        for item in MIM_ITEMS:
            src, dst = item, os.path.join(target, item)
            if os.path.isdir(src):
                shutil.copytree(
                    src, dst, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))
            else:
                os.makedirs(target, exist_ok=True)
                shutil.copyfile(src, dst)


setup(
    name='semples_mmseg',
    version=version['__version__'],
    description='SemPLeS (semantic prompt learning for WSSS) as an '
    'mmsegmentation 1.x plug-in',
    long_description=open('README.md').read(),
    long_description_content_type='text/markdown',
    license='Apache-2.0',
    python_requires='>=3.10',
    # the library, and beside it the co-occurrence demo's package (its
    # configs and tools stay in projects/cooccur_demo/, as mmseg's projects)
    packages=find_packages(include=['semples_mmseg', 'semples_mmseg.*']) +
    find_packages('projects/cooccur_demo',
                  include=['cooccur_demo', 'cooccur_demo.*']),
    package_dir={'cooccur_demo': 'projects/cooccur_demo/cooccur_demo'},
    install_requires=[
        'torch>=2.0',
        'torchvision',
        'numpy',
        # open_clip.factory.load_state_dict(..., weights_only=) is 2.27's
        'open_clip_torch>=2.27',
        'ftfy',
        'regex',
        'prettytable',
        'tqdm',
    ],
    extras_require={
        'onedl': ONEDL,
        'classic': CLASSIC,
        'crf': ['pydensecrf2'],
        'coco': ['pycocotools'],  # tools/dataset_converters/coco2014_weak.py
        'sam': ['segment-anything'],  # tools/sam/make_sam_masks.py
        'superpixels': ['scikit-image'],  # pseudo_masks/superpixel_regions
        'tensorboard': ['tensorboard'],  # vis_backends TensorboardVisBackend
        'wandb': ['wandb'],  # vis_backends WandbVisBackend
        'tests': [
            'pytest', 'imgviz', 'pydensecrf2', 'pycocotools',
            'segment-anything', 'scikit-image'
        ],
    },
    cmdclass={'build_py': BuildPyWithMim},
    zip_safe=False,
)
