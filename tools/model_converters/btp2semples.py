"""Turn the reference's stage-2 prompts into a checkpoint stage 3 starts from.

    python tools/model_converters/btp2semples.py BTP CAM DST [--config CFG]

BTP is the file the reference's stage 2 writes (SemPLeS ``main2.py``:
``torch.save(btp.state_dict(), 'btp.pth')``): one tensor ``prompts``
(K, L, D), K classes, L learned vectors, D = CLIP's text width (512 for
ViT-B/32). CAM holds the CAM-network weights stage 3 restarts from (the
reference's ``main3.py --resume``: the WeakTr baseline): a WeakTr
checkpoint converted by ``weaktr2semples.py`` (with or without
``--as-segmentor``) or any checkpoint of ours with ``cam_net.*`` keys. DST
is a segmentor checkpoint of ours: ``cam_net.*`` from CAM and
``prompt_learner.prompts`` from BTP. Shapes are checked before anything is
written (K against CAM's classes; with ``--config``, K, L and D against its
``prompt_learner`` and ``cam_net``), naming the file at fault.

Stage 3 alone then runs from DST with a config of three lines::

    _base_ = ['./weaktr_voc.py']
    load_from = 'checkpoints/semples_stage2_prompts.pth'          # DST
    train_cfg = dict(
        stages=[dict(stage=3, max_epochs=60, lr=dict(cam_net=6.4e-5))],
        cam_init_checkpoint='checkpoints/semples_stage2_prompts.pth')

``load_from`` gives the prompts (and the CAM network), and stage 3's
``start_from='initial'`` restarts the CAM network from
``cam_init_checkpoint`` (DST's ``cam_net.*`` are CAM's weights).
"""
import argparse
import os.path as osp
from collections import OrderedDict
from typing import Dict, Optional

import torch
from torch import Tensor

from semples_mmseg.models.utils.checkpoint_state import read_checkpoint_state
from semples_mmseg.utils.atomic_files import torch_save_atomically


def load_btp_prompts(path: str) -> Tensor:
    """The (K, L, D) ``prompts`` tensor of a reference ``btp.pth``."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'no such prompt file: {path}')
    try:
        state = torch.load(path, map_location='cpu', weights_only=True)
    except Exception as err:  # pickle, zip or torch format errors
        raise ValueError(f'{path} is not a readable torch file: {err}') \
            from None
    if isinstance(state, dict):
        state = {k[7:] if k.startswith('module.') else k: v
                 for k, v in state.items()}
    if not isinstance(state, dict) or set(state) != {'prompts'} or \
            not isinstance(state['prompts'], Tensor):
        found = sorted(state) if isinstance(state, dict) else type(state)
        raise ValueError(f'{path} is not a reference btp.pth: expected the '
                         "state dict {'prompts': (K, L, D) tensor} of the "
                         f'stage-2 prompt module, found {found}')
    prompts = state['prompts']
    if prompts.dim() != 3:
        raise ValueError(f"{path}: 'prompts' has shape "
                         f'{tuple(prompts.shape)}; expected (K, L, D) '
                         '(classes, prompt length, CLIP text width)')
    return prompts


def cam_classes(state: Dict[str, Tensor], source: str) -> int:
    """K of a CAM network's state (WeakTr head or CLIMS classifier)."""
    for key in ('head.weight', 'classifier.weight'):
        if key in state:
            return int(state[key].shape[0])
    raise ValueError(f'{source} holds no CAM network (no head.weight or '
                     f'classifier.weight among {len(state)} tensors, e.g. '
                     f'{sorted(state)[:3]}); give a WeakTr checkpoint '
                     'converted by weaktr2semples.py or a checkpoint of ours')


def check_against_config(prompts: Tensor, k_cam: int, btp: str, cam: str,
                         config: str) -> None:
    """K, L, D of the prompts and K of the CAM network against a config."""
    from mmengine.config import Config
    cfg = Config.fromfile(config)
    learner = cfg.model.get('prompt_learner')
    if not learner:
        raise ValueError(f'{config} has no model.prompt_learner (a SemPLeS '
                         'config is needed for stage 3)')
    want = (learner.get('num_classes'), learner.get('prompt_length', 30),
            learner.get('embed_dims', 512))
    if tuple(prompts.shape) != want:
        raise ValueError(f"{btp}: 'prompts' has shape {tuple(prompts.shape)}"
                         f'; {config} expects (num_classes, prompt_length, '
                         f'embed_dims) = {want}')
    k_cfg = cfg.model.cam_net.get('num_classes')
    if k_cam != k_cfg:
        raise ValueError(f'{cam} has a CAM network for {k_cam} classes; '
                         f'{config} builds {k_cfg}')


def convert(btp: str, cam: str, config: Optional[str] = None) -> dict:
    """The checkpoint dict DST holds; raises before anything is written."""
    prompts = load_btp_prompts(btp)
    cam_state = read_checkpoint_state(cam, prefix='cam_net.')
    k_cam = cam_classes(cam_state, cam)
    if prompts.shape[0] != k_cam:
        raise ValueError(f"{btp}: 'prompts' has shape {tuple(prompts.shape)}"
                         f' ({prompts.shape[0]} classes) but {cam} has a CAM '
                         f'network for {k_cam} classes')
    if config is not None:
        check_against_config(prompts, k_cam, btp, cam, config)
    state = OrderedDict((f'cam_net.{k}', v) for k, v in cam_state.items())
    state['prompt_learner.prompts'] = prompts.float().clone()
    return dict(
        state_dict=state,
        meta=dict(btp2semples=dict(
            btp=osp.abspath(btp), cam=osp.abspath(cam),
            prompts_shape=list(prompts.shape))))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('btp', help="the reference's stage-2 btp.pth")
    parser.add_argument('cam', help='CAM weights stage 3 restarts from')
    parser.add_argument('dst', help='output checkpoint')
    parser.add_argument('--config', help='SemPLeS config to check shapes '
                        'against (prompt_learner, cam_net.num_classes)')
    args = parser.parse_args(argv)
    try:
        ckpt = convert(args.btp, args.cam, args.config)
    except (FileNotFoundError, ValueError) as err:
        raise SystemExit(f'btp2semples: {err}') from None
    torch_save_atomically(ckpt, args.dst)
    shape = tuple(ckpt['state_dict']['prompt_learner.prompts'].shape)
    print(f'wrote {args.dst}: prompts {shape}, '
          f"{len(ckpt['state_dict']) - 1} CAM tensors")


if __name__ == '__main__':
    main()
