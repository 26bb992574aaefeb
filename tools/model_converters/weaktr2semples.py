"""Convert an official WeakTr checkpoint to semples_mmseg's WeakTrCAMNet.

    python tools/model_converters/weaktr2semples.py SRC DST [--as-segmentor]

WeakTr (hustvl/WeakTr, ``deit_small_WeakTr_patch16_224``) saves
``{'model': state_dict, 'epoch': ...}`` with timm/DeiT names (``cls_token``
(1, K, C), ``pos_embed`` (1, K + hw, C), ``patch_embed.proj``,
``blocks.{i}.*``), the CAM conv ``head`` (K, C, 3, 3) and the feature-based
adaptive attention fusion ``adaptive_attention_fusion.attn_feat_ffn.{0,1}``
/ ``attn_head_ffn.{0,2}``. DeiT's final ``norm`` is unused by WeakTr and
dropped. DST holds ``{'state_dict': ...}`` with WeakTrCAMNet names and loads
with ``WeakTrCAMNet(init_cfg=dict(type='Pretrained', checkpoint=DST))`` (or
``cam_net.pretrained=DST`` in a config). ``--as-segmentor`` prefixes the
keys with ``cam_net.``: DST is then the checkpoint of a WeakTr baseline
config (``tools/test.py``, ``load_from``, ``make_pseudo_masks.py``,
``compare.py``) and still loads as ``cam_net.pretrained``.
"""
import argparse
from collections import OrderedDict
from typing import Dict

import torch

from semples_mmseg.models.utils.checkpoint_state import read_checkpoint_state
from semples_mmseg.utils.atomic_files import torch_save_atomically

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
        found = sorted(k for k in out if k.startswith('aaf.'))
        raise KeyError(
            'no adaptive_attention_fusion.attn_feat_ffn weights (found '
            f'{found}): only the feature-based AAF of WeakTr is supported, '
            'not the early attention-pooling AAF (adaptive_attention_fusion.'
            'fc.*) or AAF_RandWeight')
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='WeakTr checkpoint (.pth)')
    parser.add_argument('dst', help='output path')
    parser.add_argument(
        '--as-segmentor', action='store_true',
        help='prefix the keys with cam_net. (a segmentor checkpoint)')
    args = parser.parse_args()
    try:  # the file named by mmengine's reader or by convert_weaktr
        state = read_checkpoint_state(args.src)
        converted = convert_weaktr(state)
    except (FileNotFoundError, ValueError, KeyError) as err:
        raise SystemExit(f'weaktr2semples: {args.src}: {err}') from None
    if args.as_segmentor:
        converted = OrderedDict(
            (f'cam_net.{k}', v) for k, v in converted.items())
    torch_save_atomically({'state_dict': converted}, args.dst)
    print(f'wrote {args.dst} ({len(state)} tensors in)')


if __name__ == '__main__':
    main()
