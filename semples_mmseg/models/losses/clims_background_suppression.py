"""CLIMS's co-occurring background suppression, L_CBS (METHOD section 1)."""
from typing import Dict, Sequence, Tuple, Union

import torch
from torch import Tensor

from mmseg.registry import MODELS
from .named_loss import NamedLoss

VOC_BACKGROUND_PROMPTS: Tuple[str, ...] = (
    'a photo of tree.', 'a photo of river.', 'a photo of sea.',
    'a photo of lake.', 'a photo of water.', 'a photo of railway.',
    'a photo of railroad.', 'a photo of track.', 'a photo of stone.',
    'a photo of rocks.')

# CLIMS's COCO list (clip_utils.py ``background_dict['coco']``), in order
COCO_BACKGROUND_PROMPTS: Tuple[str, ...] = tuple(
    f'a photo of {name}.' for name in (
        'street sign', 'mountain', 'video game', 'men', 'track', 'bus stop',
        'cabinet', 'tray', 'plate', 'shirt', 'city street', 'runway', 'tower',
        'ramp', 'grass', 'pillow', 'urinal', 'lake', 'brick', 'fence',
        'shower', 'airport', 'animal', 'shower curtain', 'road', 'mirror',
        'jacket', 'church', 'snow', 'fruit', 'hay', 'floor', 'field',
        'street', 'mouth', 'steam engine', 'cheese', 'river', 'tree branch',
        'suit', 'child', 'soup', 'desk', 'tub', 'tennis court', 'teeth',
        'bridge', 'sky', 'officer', 'sidewalk', 'dock', 'tree', 'court',
        'rock', 'board', 'branch', 'pan', 'box', 'body', 'salad', 'dirt',
        'leaf', 'hand', 'highway', 'vegetable', 'computer monitor', 'door',
        'meat', 'pair', 'beach', 'harbor', 'ocean', 'baseball player', 'girl',
        'market', 'window', 'blanket', 'boy', 'woman', 'bat', 'baby',
        'flower', 'wall', 'bath tub', 'tarmac', 'tennis ball', 'roll',
        'park'))

# names a config can use instead of spelling a list out
BACKGROUND_PROMPT_SETS = dict(
    voc=VOC_BACKGROUND_PROMPTS, coco=COCO_BACKGROUND_PROMPTS)


@MODELS.register_module()
class CLIMSBackgroundSuppressionLoss(NamedLoss):
    """L_CBS = sum over pairs x prompts of -log(1 - s) where s > threshold.

    s = v^f . t_q between the masked object of each of the P labelled pairs
    and each of the Q manual background prompts (both L2-normalised, as the
    segmentor passes them; s in at least float32 even under fp16 autocast).
    Pairs/prompts with s <= threshold contribute 0; s is *not* clamped (as
    CLIMS's ``BackgroundSuppressionLoss``), so s -> 1 grows without bound. A
    sum, not a mean: it scales with P and Q.

    CLIMS's full objective is 10 L_OTM + 24 L_BTM + 1 L_CBS + 0.2 L_REG
    (VOC) and 2 / 14 / 1.25 / 0.2 (COCO). Its first two terms are
    ``SegmentLabelMatchingLoss(lambda_b=2.4, loss_weight=10)`` (VOC) and
    ``(lambda_b=7, loss_weight=2)`` (COCO); L_REG is ``CAMAreaLoss(
    loss_weight=0.2)``; this loss takes ``loss_weight`` 1 or 1.25 and
    ``threshold`` 0.26 or 0.285 with ``background_prompts='coco'``.

    Args:
        background_prompts: the Q texts (the segmentor encodes them with
            ``clip_guide.encode_texts``), or the name of CLIMS's list:
            ``'voc'`` (10 prompts, the default) or ``'coco'`` (88).
        threshold: VOC 0.26, COCO 0.285.
        loss_weight: CLIMS: 1 (VOC), 1.25 (COCO).
    """

    def __init__(self,
                 *,
                 background_prompts: Union[str, Sequence[str]] = 'voc',
                 threshold: float = 0.26,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_cbs') -> None:
        super().__init__(loss_weight=loss_weight, loss_name=loss_name)
        if isinstance(background_prompts, str):
            if background_prompts not in BACKGROUND_PROMPT_SETS:
                raise ValueError(
                    'background_prompts must name one of '
                    f'{sorted(BACKGROUND_PROMPT_SETS)} or be a sequence of '
                    f'texts, got {background_prompts!r}')
            background_prompts = BACKGROUND_PROMPT_SETS[background_prompts]
        if not background_prompts:
            raise ValueError('background_prompts must be a non-empty '
                             f'sequence of texts, got {background_prompts!r}')
        self.background_prompts = tuple(background_prompts)
        self.threshold = threshold

    def terms(self, img_fg: Tensor, bg_text: Tensor) -> Dict[str, Tensor]:
        """Unweighted ``cbs``; img_fg (P, D), bg_text (Q, D) L2-normalised."""
        if img_fg.dim() != 2 or bg_text.dim() != 2 or \
                img_fg.shape[1] != bg_text.shape[1]:
            raise ValueError('expected img_fg (P, D) and bg_text (Q, D), got '
                             f'{tuple(img_fg.shape)} and '
                             f'{tuple(bg_text.shape)}')
        dtype = torch.promote_types(
            torch.promote_types(img_fg.dtype, bg_text.dtype), torch.float32)
        sim = img_fg.to(dtype) @ bg_text.to(dtype).t()  # (P, Q)
        counted = sim > self.threshold
        per_pair = torch.where(counted, -torch.log(1 - sim),
                               torch.zeros_like(sim))
        return dict(cbs=per_pair.sum())

    def weighted(self, terms: Dict[str, Tensor]) -> Tensor:
        return self.loss_weight * terms['cbs']

    def forward(self, img_fg: Tensor, bg_text: Tensor) -> Tensor:
        return self.weighted(self.terms(img_fg, bg_text))
