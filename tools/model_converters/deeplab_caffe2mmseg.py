"""Convert DeepLab's caffe-converted ResNet weights to mmseg's ResNet names.

    python tools/model_converters/deeplab_caffe2mmseg.py SRC DST

SRC is an init file of DeepLab-V2 as deeplab-pytorch's ``convert.py`` makes
it from DeepLab's released caffemodels, e.g. ``deeplabv1_resnet101-coco.pth``
(``init.caffemodel``: ImageNet, then MS-COCO) or the ImageNet-only
``deeplabv1_resnet101-imagenet.pth`` of CLIMS's recipes. Its names::

    layer1.conv1.{conv,bn}.*                    the 7x7 stem
    layer{2..5}.block{k}.{reduce,conv3x3,increase,shortcut}.{conv,bn}.*
    fc.* or aspp.c{i}.*                         the classifier (dropped)

optionally under ``base.`` (the multi-scale wrapper) or ``module.``
(DataParallel), bare or wrapped in ``state_dict`` / ``model``. DST holds
``{'state_dict': ...}`` with exactly the keys and shapes of mmseg's
caffe-style ``ResNet`` of that depth (``conv1``, ``bn1``,
``layer{1..4}.{k-1}.conv{1,2,3}`` / ``bn{1,2,3}``, ``downsample.{0,1}``),
for ``model.pretrained=DST``. A file with other names or shapes is refused,
naming them, and nothing is written.
"""
import argparse
import os.path as osp
import re
from collections import OrderedDict
from typing import Dict, List, Optional

import torch
from mmseg.models.backbones import ResNet

from semples_mmseg.utils.atomic_files import torch_save_atomically

STEM = {'layer1.conv1.conv.': 'conv1.', 'layer1.conv1.bn.': 'bn1.'}
BLOCK = re.compile(r'layer([2-5])\.block(\d+)\.'
                   r'(reduce|conv3x3|increase|shortcut)\.(conv|bn)\.(.+)')
BRANCH = {
    ('reduce', 'conv'): 'conv1', ('reduce', 'bn'): 'bn1',
    ('conv3x3', 'conv'): 'conv2', ('conv3x3', 'bn'): 'bn2',
    ('increase', 'conv'): 'conv3', ('increase', 'bn'): 'bn3',
    ('shortcut', 'conv'): 'downsample.0', ('shortcut', 'bn'): 'downsample.1',
}
CLASSIFIER = re.compile(r'(fc|aspp\.c\d+)\.(weight|bias)')
DEPTHS = {6: 50, 23: 101, 36: 152}  # blocks of the 1024-channel stage


def mmseg_name(key: str) -> Optional[str]:
    """A deeplab-pytorch ResNet key -> mmseg's ``ResNet`` key, or None."""
    for old, new in STEM.items():
        if key.startswith(old):
            return new + key[len(old):]
    match = BLOCK.fullmatch(key)
    if match is None:
        return None
    stage, block, branch, kind, tensor = match.groups()
    return (f'layer{int(stage) - 1}.{int(block) - 1}.'
            f'{BRANCH[branch, kind]}.{tensor}')


def convert_deeplab(state: Dict[str, torch.Tensor]) -> 'OrderedDict':
    """deeplab-pytorch names -> mmseg ``ResNet`` names, classifier dropped.

    Raises KeyError naming every key that is neither a ResNet nor a
    classifier name.
    """
    out: 'OrderedDict[str, torch.Tensor]' = OrderedDict()
    unknown: List[str] = []
    for key, value in state.items():
        key = re.sub(r'^(module\.)?(base\.)?', '', key)
        target = mmseg_name(key)
        if target is not None:
            out[target] = value
        elif not CLASSIFIER.fullmatch(key):
            unknown.append(key)
    if unknown:
        shown = ', '.join(unknown[:8]) + (' ...' if len(unknown) > 8 else '')
        raise KeyError(f'keys that are not DeepLab ResNet names '
                       f'({len(unknown)}): {shown}')
    return out


def check_against_resnet(converted: 'OrderedDict') -> int:
    """Fill absent BN ``num_batches_tracked`` with 0; return the depth.

    Raises KeyError for missing or surplus keys and ValueError for shapes
    that differ from mmseg's caffe-style ResNet of the file's depth.
    """
    blocks = {k.split('.')[1] for k in converted if k.startswith('layer3.')}
    depth = DEPTHS.get(len(blocks))
    if depth is None:
        raise KeyError(f'{len(blocks)} blocks in the 1024-channel stage '
                       f'(layer4 of the file); ResNet-50/101/152 have '
                       f'{sorted(DEPTHS)}')
    with torch.device('meta'):
        expected = ResNet(depth=depth, style='caffe').state_dict()
    for key, value in expected.items():
        if key.endswith('num_batches_tracked') and key not in converted:
            converted[key] = torch.zeros((), dtype=value.dtype)
    missing = sorted(set(expected) - set(converted))
    surplus = sorted(set(converted) - set(expected))
    if missing or surplus:
        raise KeyError(f'not the keys of a ResNet-{depth}: missing '
                       f'{missing[:8]}, unexpected {surplus[:8]}')
    wrong = [f'{k} {tuple(v.shape)} (ResNet-{depth}: '
             f'{tuple(expected[k].shape)})' for k, v in converted.items()
             if v.shape != expected[k].shape]
    if wrong:
        raise ValueError('shapes differ: ' + '; '.join(wrong[:8]))
    return depth


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='deeplab-pytorch init file (.pth)')
    parser.add_argument('dst', help='output path (.pth)')
    args = parser.parse_args(argv)
    if not osp.isfile(args.src):
        raise SystemExit(f'no such file: {args.src}')
    ckpt = torch.load(args.src, map_location='cpu', weights_only=True)
    state = ckpt.get('state_dict', ckpt.get('model', ckpt))
    try:
        converted = convert_deeplab(state)
        depth = check_against_resnet(converted)
    except (KeyError, ValueError) as exc:
        raise SystemExit(f'{args.src}: {exc.args[0]}') from None
    torch_save_atomically({'state_dict': converted}, args.dst)
    print(f'wrote {args.dst}: ResNet-{depth}, {len(converted)} tensors of '
          f'the {len(state)} in {args.src} (classifier dropped)')


if __name__ == '__main__':
    main()
