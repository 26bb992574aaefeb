"""Three formulations of the same SemPLeS training step, for benchmarks and
equality tests.

All three compute the losses of the segmentor's active stage from the same
modules and weights, with the same values (up to floating-point rounding):

- ``'ours'``: ``SemPLeSSegmentor.loss`` as it is.
- ``'floor'``: the plain formulation without avoidable work: the backbone
  without autograd, one CLIP image pass over the 2P masked images with
  open_clip's own forward, cached class texts and stage-3 prompts; the
  attention fusion as a stacked (B, heads * depth, N, N) weighted mean and
  the soft masks of all B x K maps, gathered afterwards.
- ``'reference'``: the floor plus the extra work of the reference code
  (docs/METHOD.md section 8): the class texts of the P pairs re-encoded
  for every term that uses them (2P per step in stages 1 and 2 ... 3P in
  stage 3), the foreground images encoded twice in stage 3 (each term its
  own image-encoder call), the K prompts re-encoded every stage-3 step,
  foreground images built in stage 2, pairs built with Python loops, and
  gradients kept for every CLIP weight (see :func:`formulation_context`).

Run a formulation's whole step (forward and backward) inside
:func:`formulation_context`. ``benchmark_semples.py`` beside this file
imports it as a sibling module; the equality tests import it from this
folder.
"""
from contextlib import contextmanager, nullcontext
from typing import Dict, Iterator, List, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

from semples_mmseg.models.cam_nets.adaptive_attention_fusion import \
    per_head_features
from semples_mmseg.models.cam_nets.weaktr import WeakTrCAMNet
from semples_mmseg.models.segmentors.semples_segmentor import CLIP_LOSSES
from semples_mmseg.models.utils.soft_masks import (labelled_pairs,
                                                   masked_pair_images)

FORMULATIONS = ('ours', 'floor', 'reference')


@contextmanager
def formulation_context(model, formulation: str) -> Iterator[None]:
    """What a formulation changes for its whole step, undone on exit.

    ``'floor'`` and ``'reference'`` encode images with open_clip's own
    forward (``fast_image_tower`` off); ``'reference'`` also makes every
    CLIP weight require gradients, so that the backward computes them (they
    are dropped on exit: nothing ever reads them).
    """
    if formulation not in FORMULATIONS:
        raise ValueError(f'formulation must be one of {FORMULATIONS}, got '
                         f'{formulation!r}')
    guide = model.clip_guide
    if formulation == 'ours' or guide is None:
        yield
        return
    fast = guide.fast_image_tower
    weights = (list(guide.clip.parameters())
               if formulation == 'reference' else [])
    guide.fast_image_tower = False
    for p in weights:
        p.requires_grad_(True)
    try:
        yield
    finally:
        guide.fast_image_tower = fast
        for p in weights:
            p.requires_grad_(False)
            p.grad = None


def step_losses(model, inputs: Tensor, data_samples,
                formulation: str) -> Dict[str, Tensor]:
    """The loss dict of one step (same keys as ``model.loss``)."""
    if formulation == 'ours':
        return model.loss(inputs, data_samples)
    if formulation not in FORMULATIONS:
        raise ValueError(f'formulation must be one of {FORMULATIONS}, got '
                         f'{formulation!r}')
    if getattr(model, 'joint', False):
        raise ValueError(f'the {formulation!r} formulation covers stages 1, '
                         '2, 3 and the baselines, not joint training')
    labels = model.image_labels(data_samples, inputs.device)
    cam_out = _cam_forward(model, inputs)
    losses: Dict[str, Tensor] = {}
    if 'cam' in model.active_losses:
        for loss in model.cam_losses:
            model._add_loss(losses, loss, cam_out, labels)
    if set(model.active_losses) & set(CLIP_LOSSES):
        clip_losses = (_floor_clip_losses if formulation == 'floor' else
                       _reference_clip_losses)
        losses.update(clip_losses(model, inputs, labels, cam_out))
    return losses


def stacked_weaktr_forward(net: WeakTrCAMNet, x: Tensor) -> Dict[str, Tensor]:
    """``WeakTrCAMNet.forward`` with the attention fusion as the stacked
    weighted mean of METHOD section 1 (a (B, heads * depth, N, N) stack)."""
    with torch.no_grad() if net.freeze_backbone else nullcontext():
        cls_tokens, patches, (h, w), maps, branches = net.backbone(x)
    b, _, c = patches.shape
    k = net.num_classes
    z = net.head(patches.transpose(1, 2).reshape(b, c, h, w))
    attn = torch.stack(maps, dim=2).flatten(1, 2).detach()
    weights = net.aaf(
        per_head_features([br.detach() for br in branches], net.num_heads))
    fused = (attn * weights[:, :, None, None]).mean(dim=1)  # (B, N, N)
    coarse = F.relu(z.detach() if net.detach_coarse_cam else z)
    fused_cams = fused[:, :k, k:].reshape(b, k, h, w) * coarse
    fine = torch.einsum('bij,bkj->bki', fused[:, k:, k:],
                        fused_cams.flatten(2)).reshape(b, k, h, w)
    return dict(
        cams=fine if net.patch_refine else fused_cams,
        fine_cams=fine,
        fused_cams=fused_cams,
        cam_logits_z=z,
        cls_logits=cls_tokens.mean(dim=-1))


def _cam_forward(model, inputs: Tensor) -> Dict[str, Tensor]:
    net = model.cam_net
    forward = (lambda x: stacked_weaktr_forward(net, x)) if isinstance(
        net, WeakTrCAMNet) else net
    if not model.prompt_stage:
        return forward(inputs)
    was_training = net.training
    net.eval()
    try:
        with torch.no_grad():
            return forward(inputs)
    finally:
        net.train(was_training)


def _floor_clip_losses(model, inputs: Tensor, labels: Tensor,
                       cam_out: Dict[str, Tensor]) -> Dict[str, Tensor]:
    guide = model.clip_guide
    size = guide.image_size
    img_idx, cls_idx = labelled_pairs(labels)
    n_pairs = img_idx.numel()
    masks = model.soft_masks(cam_out, size)  # all B x K maps
    fg, bg = masked_pair_images(
        model.clip_input(inputs, size), masks, img_idx, cls_idx)
    text_cls = guide.class_text_features[cls_idx]
    losses: Dict[str, Tensor] = {}
    if model.prompt_stage:
        with torch.no_grad():
            img_bg = model._encode(bg)
        prompt_bg = model.prompt_learner(guide)[cls_idx]
        model._add_loss(losses, model.prompt_loss, img_bg, prompt_bg,
                        text_cls)
        return losses
    need_bg = 'match' in model.active_losses
    emb = model._encode(torch.cat([fg, bg]) if need_bg else fg)
    img_fg, img_bg = emb[:n_pairs], emb[n_pairs:]
    if need_bg:
        model._add_loss(losses, model.match_loss, img_fg, img_bg, text_cls)
    if 'refine' in model.active_losses:
        prompt_bg = model.frozen_prompt_features()[cls_idx]
        model._add_loss(losses, model.refine_loss, img_fg, prompt_bg)
    if 'background_text' in model.active_losses:
        loss = model.background_text_loss
        bg_text = guide.encode_texts(list(loss.background_prompts))
        model._add_loss(losses, loss, img_fg, bg_text)
    return losses


def _pairs_by_loop(labels: Tensor) -> List[Tuple[int, int]]:
    rows = labels.tolist()
    pairs = []
    for n, row in enumerate(rows):
        for k, value in enumerate(row):
            if value > 0.5:
                pairs.append((n, k))
    return pairs


def _stack_or_empty(items: List[Tensor], like: Tensor) -> Tensor:
    if items:
        return torch.stack(items)
    return like.new_zeros((0, ) + like.shape[1:]) + like.sum() * 0


def _reference_clip_losses(model, inputs: Tensor, labels: Tensor,
                           cam_out: Dict[str, Tensor]) -> Dict[str, Tensor]:
    guide = model.clip_guide
    size = guide.image_size
    pairs = _pairs_by_loop(labels)
    masks = model.soft_masks(cam_out, size)  # all B x K maps
    images = model.clip_input(inputs, size)
    fg, bg = [], []
    for n, k in pairs:
        fg.append(masks[n, k].unsqueeze(0) * images[n])
        bg.append((1 - masks[n, k]).unsqueeze(0) * images[n])
    fg, bg = _stack_or_empty(fg, images), _stack_or_empty(bg, images)
    cls_idx = torch.tensor([k for _, k in pairs], dtype=torch.long,
                           device=inputs.device)
    dims = guide.class_text_features.shape[1]

    def class_texts() -> Tensor:  # encoded again at every use
        if not pairs:
            return guide.class_text_features.new_zeros(0, dims)
        return guide._encode_text_ids(
            guide.tokenize(
                [guide.template.format(guide.class_names[k])
                 for _, k in pairs]))

    losses: Dict[str, Tensor] = {}
    if model.prompt_stage:
        img_bg = model._encode(bg)
        prompt_bg = model.prompt_learner(guide)[cls_idx]
        model._add_loss(losses, model.prompt_loss, img_bg, prompt_bg,
                        class_texts())
        return losses
    img_fg = None
    if 'match' in model.active_losses:
        loss = model.match_loss
        img_fg = model._encode(fg)
        otm = loss.terms(img_fg, img_fg, class_texts())['otm']
        img_bg = model._encode(bg)
        btm = loss.terms(img_bg, img_bg, class_texts())['btm']
        terms = dict(otm=otm, btm=btm)
        losses[loss.loss_name] = loss.weighted(terms)
        losses.update({name: v.detach() for name, v in terms.items()})
    if 'refine' in model.active_losses:
        img_fg_again = model._encode(fg)
        with torch.no_grad():
            prompts = model.prompt_learner(guide)  # all K, every step
        class_texts()  # encoded beside the prompts, unused by this term
        model._add_loss(losses, model.refine_loss, img_fg_again,
                        prompts[cls_idx])
    if 'background_text' in model.active_losses:
        loss = model.background_text_loss
        if img_fg is None:
            img_fg = model._encode(fg)
        bg_text = guide._encode_text_ids(
            guide.tokenize(list(loss.background_prompts)))
        model._add_loss(losses, loss, img_fg, bg_text)
    return losses
