from setuptools import find_packages, setup

version = {}
with open('semples_mmseg/version.py') as f:
    exec(f.read(), version)

# The OpenMMLab stack is chosen through an extra so that a stack the user
# already has is never clobbered: `.[onedl]` (maintained forks, the default in
# our README) or `.[classic]` (mmsegmentation 1.2.2 / mmcv 2.1.0 built with ops).
ONEDL = ['onedl-mmengine', 'onedl-mmcv', 'onedl-mmsegmentation',
         'onedl-mmpretrain']
CLASSIC = ['mmengine>=0.10.7', 'mmcv>=2.1.0', 'mmsegmentation>=1.2.2',
           'mmpretrain>=1.2.0']

setup(
    name='semples_mmseg',
    version=version['__version__'],
    description='SemPLeS (semantic prompt learning for WSSS) as an '
    'mmsegmentation 1.x plug-in',
    long_description=open('README.md').read(),
    long_description_content_type='text/markdown',
    license='Apache-2.0',
    python_requires='>=3.9',
    packages=find_packages(include=['semples_mmseg', 'semples_mmseg.*']),
    install_requires=[
        'torch>=2.0',
        'torchvision',
        'numpy',
        'open_clip_torch>=2.20',
        'ftfy',
        'regex',
        'pycocotools',
        'prettytable',
        'tqdm',
    ],
    extras_require={
        'onedl': ONEDL,
        'classic': CLASSIC,
        'crf': ['pydensecrf2'],
        'tests': ['pytest', 'imgviz', 'pydensecrf2'],
    },
    zip_safe=False,
)
