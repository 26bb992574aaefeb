"""Convert an official WeakTr checkpoint to semples_mmseg's WeakTrCAMNet.

    python tools/model_converters/weaktr2semples.py SRC DST

WeakTr (hustvl/WeakTr) saves ``{'model': state_dict}`` with timm/DeiT names
plus ``head`` (the CAM conv) and ``adaptive_attention_fusion``; DeiT's final
``norm`` is unused and dropped. The result loads with
``WeakTrCAMNet(pretrained=DST)`` (or ``cam_net.pretrained`` in a config).
"""
import argparse
import os.path as osp
from collections import OrderedDict
from typing import Dict

import torch

PREFIXES = (
    ('adaptive_attention_fusion.', 'aaf.'),
    ('head.', 'head.'),
    ('cls_token', 'backbone.cls_token'),
    ('pos_embed', 'backbone.pos_embed'),
    ('patch_embed.', 'backbone.patch_embed.'),
    ('blocks.', 'backbone.blocks.'),
)
DROPPED = ('norm.', )


def convert_weaktr(state: Dict[str, torch.Tensor]) -> 'OrderedDict':
    """WeakTr key names -> WeakTrCAMNet key names; unknown keys are errors."""
    out = OrderedDict()
    for key, value in state.items():
        key = key[7:] if key.startswith('module.') else key
        if key.startswith(DROPPED):
            continue
        for old, new in PREFIXES:
            if key.startswith(old):
                out[new + key[len(old):]] = value
                break
        else:
            raise KeyError(f'unexpected WeakTr key {key!r}')
    if 'aaf.attn_feat_ffn.0.weight' not in out:
        raise KeyError('no adaptive_attention_fusion.attn_feat_ffn weights: '
                       'is this a WeakTr checkpoint with feature-based AAF?')
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[1])
    parser.add_argument('src', help='WeakTr checkpoint (.pth)')
    parser.add_argument('dst', help='output path')
    args = parser.parse_args()
    if not osp.isfile(args.src):
        raise SystemExit(f'no such checkpoint: {args.src}')
    ckpt = torch.load(args.src, map_location='cpu', weights_only=True)
    state = ckpt.get('model', ckpt.get('state_dict', ckpt))
    torch.save({'state_dict': convert_weaktr(state)}, args.dst)
    print(f'wrote {args.dst} ({len(state)} tensors in)')


if __name__ == '__main__':
    main()
