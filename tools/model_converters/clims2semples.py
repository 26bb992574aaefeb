"""Convert a CLIMS / IRNet ResNet-50 CAM checkpoint to CLIMSResNet50CAM.

    python tools/model_converters/clims2semples.py SRC DST

CLIMS (CVI-SZU/CLIMS, net/resnet50_clims.py) and IRNet (net/resnet50_cam.py)
save ``model.state_dict()`` of a module that holds the ResNet-50 as
``resnet50`` and the same layers again as ``stage1`` (conv1, bn1, relu,
maxpool, layer1 at indices 0, 1, 2, 3, 4), ``stage2.0`` .. ``stage4.0``
(layer2 .. layer4) and ``backbone.{0..3}`` (the four stages), plus the
1x1 ``classifier`` (also as ``newly_added.0``). Every alias maps to one
name here (``backbone.conv1`` .. ``backbone.layer4``, ``classifier``);
aliases must hold equal tensors. Works for ``res50_cam.pth`` and for
trained CLIMS weights alike, wrapped in ``state_dict`` / ``model`` or
``module.``-prefixed (DataParallel) too. BatchNorm ``num_batches_tracked``
counters pass through when present; files from PyTorch < 0.4.1 lack them and
the network fills them with 0 when it loads. The result loads with
``CLIMSResNet50CAM(pretrained=DST)``.
"""
import argparse
from collections import OrderedDict
from typing import Dict, Tuple

import torch

from semples_mmseg.models.utils.checkpoint_state import read_checkpoint_state
from semples_mmseg.utils.atomic_files import torch_save_atomically

_LAYERS = ('conv1', 'bn1', 'layer1', 'layer2', 'layer3', 'layer4')
PREFIXES: Tuple[Tuple[str, str], ...] = (
    *((f'resnet50.{name}.', f'backbone.{name}.') for name in _LAYERS),
    ('stage1.0.', 'backbone.conv1.'),
    ('stage1.1.', 'backbone.bn1.'),
    ('stage1.4.', 'backbone.layer1.'),
    ('stage2.0.', 'backbone.layer2.'),
    ('stage3.0.', 'backbone.layer3.'),
    ('stage4.0.', 'backbone.layer4.'),
    ('backbone.0.0.', 'backbone.conv1.'),
    ('backbone.0.1.', 'backbone.bn1.'),
    ('backbone.0.4.', 'backbone.layer1.'),
    ('backbone.1.0.', 'backbone.layer2.'),
    ('backbone.2.0.', 'backbone.layer3.'),
    ('backbone.3.0.', 'backbone.layer4.'),
    ('newly_added.0.', 'classifier.'),
    ('classifier.', 'classifier.'),
)
DROPPED = ('resnet50.fc.', )


def convert_clims(state: Dict[str, torch.Tensor]) -> 'OrderedDict':
    """CLIMS/IRNet key names -> CLIMSResNet50CAM names.

    Unknown keys raise KeyError; two aliases of one weight that differ raise
    ValueError; no classifier raises KeyError.
    """
    out: 'OrderedDict[str, torch.Tensor]' = OrderedDict()
    origin: Dict[str, str] = {}
    for key, value in state.items():
        key = key[7:] if key.startswith('module.') else key
        if key.startswith(DROPPED):
            continue
        for old, new in PREFIXES:
            if key.startswith(old):
                target = new + key[len(old):]
                break
        else:
            raise KeyError(f'unexpected CLIMS/IRNet key {key!r}')
        if target in out:
            if not torch.equal(out[target], value):
                raise ValueError(f'{origin[target]!r} and {key!r} both map to '
                                 f'{target!r} but hold different values')
            continue
        out[target] = value
        origin[target] = key
    if 'classifier.weight' not in out:
        raise KeyError('no classifier.weight (nor newly_added.0.weight): is '
                       'this a CLIMS/IRNet ResNet-50 CAM checkpoint?')
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='CLIMS / IRNet checkpoint (.pth)')
    parser.add_argument('dst', help='output path')
    args = parser.parse_args()
    try:  # the file named by mmengine's reader or by convert_clims
        state = read_checkpoint_state(args.src)
        converted = convert_clims(state)
    except (FileNotFoundError, ValueError, KeyError) as err:
        raise SystemExit(f'clims2semples: {args.src}: {err}') from None
    torch_save_atomically({'state_dict': converted}, args.dst)
    print(f'wrote {args.dst} ({len(state)} tensors in, {len(converted)} out)')


if __name__ == '__main__':
    main()
