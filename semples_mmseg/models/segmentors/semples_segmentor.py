"""The segmentor that hands the raw image and the image-level labels to CLIP.

Like mmseg's ``MultimodalEncoderDecoder`` it gives its parts more than
features: the CAM network sees the image, the frozen CLIP sees the masked
image of every labelled (image, class) pair, and the losses see both.

Which losses run (and so which parameters receive gradients) is the *stage*:

================  ==========================  ==============================
stage             active losses               what learns
================  ==========================  ==============================
1 matching        ``match`` (+ ``cam``)       CAM network (head + AAF)
2 prompts         ``prompt``                  background prompts only
3 refinement      ``match`` + ``refine``      CAM network (head + AAF)
WeakTr baseline   ``cam``                     CAM network
CLIMS baseline    ``match`` + ``background_text`` + ``cam``
================  ==========================  ==============================

The train loop switches stages with :meth:`set_stage`; single-stage
baselines set ``train_cfg=dict(losses=[...])`` and use a stock loop.

``loss()``: ``cam_net`` -> CAM losses -> ``_clip_losses()`` (soft masks of
the labelled pairs -> masked images -> CLIP -> SemPLeS losses).
``predict()``: ``InferenceLabels`` -> ``predict_cams()`` (``cam_inference``:
views, protocol) -> ``cams_with_background`` -> ``postprocess_result()``.
"""
from contextlib import nullcontext
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.structures import PixelData
from torch import Tensor, nn

from mmseg.models.segmentors.base import BaseSegmentor
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from mmseg.utils import OptSampleList, SampleList

from ..losses.named_loss import NamedLoss
from ..utils.soft_masks import (labelled_pairs, minmax_soft_masks, pair_images,
                                pair_maps, resize_to, sigmoid_soft_masks)
from .cam_inference import (CAMInferenceSettings, cams_with_background,
                            infer_cams)
from .checkpoint_compat import check_segmentor_state
from .inference_labels import InferenceLabels

CLIP_LOSSES = ('match', 'prompt', 'refine', 'background_text')
ALL_LOSSES = CLIP_LOSSES + ('cam', )


@MODELS.register_module()
class SemPLeSSegmentor(BaseSegmentor):
    """CAM network + frozen CLIP + learnable background prompts.

    Args:
        cam_net: config of a CAM network (DESIGN.md CAM contract).
        clip_guide: config of ``FrozenCLIPGuide``; needed by every CLIP loss.
        prompt_learner: config of ``BackgroundPromptLearner`` (stages 2, 3).
        match_loss / prompt_loss / refine_loss: the three SemPLeS losses.
        background_text_loss: CLIMS' manual background-prompt loss.
        cam_losses: losses computed on the CAM network output and the
            labels (WeakTr classification, CLIMS area regulariser).
        soft_mask: ``dict(mode='minmax', eps=0.1)`` (WeakTr) or
            ``dict(mode='sigmoid')`` (CLIMS, uses ``cam_logits``).
        clip_pixels: ``'imagenet'`` feeds CLIP the masked ImageNet-normalised
            tensor (the reference's quirk, default: needed to reproduce its
            numbers; black = ImageNet mean); ``'clip'`` masks the raw pixels
            and normalises them with CLIP's own mean and std.
        train_cfg: ``dict(losses=[...], mask_eps=0.1)``: the active losses
            when no train loop calls :meth:`set_stage`; ``None`` (what
            ``mmseg.apis.init_model`` passes) is the configured losses.
        test_cfg: ``bg_threshold``, the keys of ``CAMInferenceSettings``
            (``scales``, ``flip``, ``protocol``, ...) and of
            ``InferenceLabels`` (``labels='gt' | 'predicted' | [names]``,
            ``label_threshold``); checked here.
        pretrained: what ``mmseg.apis.init_model`` sets (None); a path is
            the CAM network's initial weights (``cam_net.pretrained``).

    Building reads no file: :meth:`init_weights` (run by mmengine's Runner
    for training) builds CLIP and reads the initial weights; inference
    takes every weight from the checkpoint it loads.
    """

    def __init__(self,
                 *,
                 cam_net: dict,
                 clip_guide: Optional[dict] = None,
                 prompt_learner: Optional[dict] = None,
                 match_loss: Optional[dict] = None,
                 prompt_loss: Optional[dict] = None,
                 refine_loss: Optional[dict] = None,
                 background_text_loss: Optional[dict] = None,
                 cam_losses: Sequence[dict] = (),
                 soft_mask: Optional[dict] = None,
                 clip_pixels: str = 'imagenet',
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 pretrained: Optional[str] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        # pinned batches go to the GPU without blocking the host: mmengine's
        # BaseDataPreprocessor(non_blocking=...) option, which mmseg's
        # SegDataPreProcessor does not pass on (a subclass would rename the
        # configs' data_preprocessor type for this one flag)
        self.data_preprocessor._non_blocking = True
        if pretrained is not None:
            cam_net = dict(cam_net, pretrained=pretrained)
        self.cam_net = MODELS.build(cam_net)
        self.clip_guide = MODELS.build(clip_guide) if clip_guide else None
        self.prompt_learner = (
            MODELS.build(prompt_learner) if prompt_learner else None)
        self.match_loss = MODELS.build(match_loss) if match_loss else None
        self.prompt_loss = MODELS.build(prompt_loss) if prompt_loss else None
        self.refine_loss = MODELS.build(refine_loss) if refine_loss else None
        self.background_text_loss = (
            MODELS.build(background_text_loss)
            if background_text_loss else None)
        self.cam_losses = nn.ModuleList(MODELS.build(c) for c in cam_losses)

        self.soft_mask = dict(mode='minmax', eps=0.1)
        self.soft_mask.update(soft_mask or {})
        if self.soft_mask['mode'] not in ('minmax', 'sigmoid'):
            raise ValueError(f"soft_mask.mode={self.soft_mask['mode']!r}")
        if clip_pixels not in ('imagenet', 'clip'):
            raise ValueError(f'clip_pixels={clip_pixels!r}')
        self.clip_pixels = clip_pixels
        self.test_cfg = dict(
            scales=(1.0, ), flip=False, bg_threshold=0.43, labels='gt',
            label_threshold=0.5)
        self.test_cfg.update(test_cfg or {})
        CAMInferenceSettings.from_test_cfg(self.test_cfg)  # names bad keys
        InferenceLabels.from_test_cfg(self.test_cfg)
        self.align_corners = False
        self._prompt_cache: Optional[Tuple[tuple, Tensor]] = None

        train_cfg = dict(train_cfg or {})
        self.active_losses: Tuple[str, ...] = ()
        self.set_stage(
            losses=train_cfg.get('losses', self._configured_losses()),
            mask_eps=train_cfg.get('mask_eps', self.soft_mask.get('eps')))

    # ------------------------------------------------------------------
    # stages
    def _configured_losses(self) -> List[str]:
        """Every configured loss except the prompt loss (a stage-2 affair)."""
        have = dict(
            match=self.match_loss,
            refine=self.refine_loss,
            background_text=self.background_text_loss,
            cam=len(self.cam_losses) > 0)
        return [name for name, present in have.items() if present]

    def set_stage(self, *, losses: Sequence[str],
                  mask_eps: Optional[float] = None,
                  joint: bool = False) -> None:
        """Choose the active losses and the min-max eps of the soft masks.

        ``'prompt'`` (stage 2) runs the frozen CAM network without autograd,
        in eval mode. ``joint=True`` (Table 6 "joint training") runs it with
        the other losses in one step, each training what it trains in its
        own stage (the other side detached).
        """
        losses = tuple(losses)
        for name in losses:
            if name not in ALL_LOSSES:
                raise ValueError(f'unknown loss {name!r} ({ALL_LOSSES})')
            part = 'cam_losses' if name == 'cam' else f'{name}_loss'
            if not getattr(self, part):
                raise ValueError(f'loss {name!r} needs {part} configured')
        if set(losses) & set(CLIP_LOSSES) and self.clip_guide is None:
            raise ValueError(f'losses {losses} need a clip_guide')
        if set(losses) & {'prompt', 'refine'} and self.prompt_learner is None:
            raise ValueError(f'losses {losses} need a prompt_learner')
        if 'prompt' in losses and len(losses) > 1 and not joint:
            raise ValueError(f"losses {losses}: 'prompt' trains alone unless "
                             'joint=True')
        self.active_losses = losses
        self.joint = bool(joint)
        if mask_eps is not None:
            self.soft_mask['eps'] = mask_eps
        self._prompt_cache = None

    @property
    def prompt_stage(self) -> bool:
        """Stage 2: the prompts learn alone, the CAM network frozen."""
        return 'prompt' in self.active_losses and not self.joint

    # ------------------------------------------------------------------
    # helpers
    def image_labels(self, data_samples: SampleList, device) -> Tensor:
        """(B, K) multi-hot labels, each sample's ``img_labels``."""
        rows = []
        for sample in data_samples:
            if 'img_labels' not in sample.metainfo:
                raise KeyError(f"{sample.metainfo.get('img_path')} has no "
                               "'img_labels'; end the pipeline with "
                               'PackWeakSegInputs')
            rows.append(torch.as_tensor(sample.metainfo['img_labels']))
        return torch.stack(rows).to(device=device, dtype=torch.float32)

    def soft_masks(self, cam_out: Dict[str, Tensor], size: int,
                   img_idx: Optional[Tensor] = None,
                   cls_idx: Optional[Tensor] = None) -> Tensor:
        """(B, K, S, S) soft masks M from the CAM network output; with
        ``img_idx`` / ``cls_idx`` (P,) only those pairs' (P, 1, S, S)."""
        sigmoid = self.soft_mask['mode'] == 'sigmoid'
        maps = cam_out['cam_logits' if sigmoid else 'cams']
        if img_idx is not None:
            maps = pair_maps(maps, img_idx, cls_idx)
        if sigmoid:
            return sigmoid_soft_masks(maps, size)
        return minmax_soft_masks(maps, size, self.soft_mask['eps'])

    def clip_input(self, inputs: Tensor, size: int) -> Tensor:
        """Images in the space CLIP is fed, resized to (B, 3, S, S)."""
        x = resize_to(inputs, size)
        if self.clip_pixels == 'imagenet':
            return x
        # Undo the data preprocessor's normalisation: raw 0-255 pixels;
        # masking then blacks out to 0 and CLIP's own statistics apply.
        mean = self.data_preprocessor.mean.to(x)
        std = self.data_preprocessor.std.to(x)
        return x * std + mean

    def to_clip_space(self, x: Tensor) -> Tensor:
        """Identity for ``'imagenet'``; CLIP normalisation for ``'clip'``."""
        if self.clip_pixels == 'imagenet':
            return x
        mean = x.new_tensor(self.clip_guide.image_mean).view(1, 3, 1, 1)
        std = x.new_tensor(self.clip_guide.image_std).view(1, 3, 1, 1)
        return (x / 255. - mean) / std

    def frozen_prompt_features(self) -> Tensor:
        """(K, D) background-prompt embeddings, encoded once per version of
        the (stage-3: fixed) prompts; any in-place update re-encodes."""
        param = self.prompt_learner.prompts
        key = (param.data_ptr(), param._version, param.device, param.dtype)
        if self._prompt_cache is None or self._prompt_cache[0] != key:
            with torch.no_grad():
                feats = self.prompt_learner(self.clip_guide)
            self._prompt_cache = (key, feats)
        return self._prompt_cache[1]

    # ------------------------------------------------------------------
    # training
    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        """Losses of the active stage; unweighted terms are logged beside."""
        labels = self.image_labels(data_samples, inputs.device)
        losses: Dict[str, Tensor] = {}
        frozen_cam = self.prompt_stage
        if frozen_cam:
            was_training = self.cam_net.training
            self.cam_net.eval()
        with torch.no_grad() if frozen_cam else nullcontext():
            cam_out = self.cam_net(inputs)
        if frozen_cam:
            self.cam_net.train(was_training)

        if 'cam' in self.active_losses:
            for loss in self.cam_losses:
                self._add_loss(losses, loss, cam_out, labels)
        if set(self.active_losses) & set(CLIP_LOSSES):
            losses.update(self._clip_losses(inputs, labels, cam_out))
        return losses

    def _clip_losses(self, inputs: Tensor, labels: Tensor,
                     cam_out: Dict[str, Tensor]) -> Dict[str, Tensor]:
        guide = self.clip_guide
        size = guide.image_size
        img_idx, cls_idx = labelled_pairs(labels)
        n_pairs = img_idx.numel()
        masks = self.soft_masks(cam_out, size, img_idx, cls_idx)
        images = self.clip_input(inputs, size)
        text_cls = guide.class_text_features[cls_idx]
        losses: Dict[str, Tensor] = {}

        if self.prompt_stage:  # only the background images are judged
            with torch.no_grad():  # S is frozen: images need no autograd
                img_bg = self._encode(
                    pair_images(images, masks, img_idx, foreground=False))
            prompt_bg = self.prompt_learner(guide)[cls_idx]
            self._add_loss(losses, self.prompt_loss, img_bg, prompt_bg,
                           text_cls)
            return losses

        # One image-encoder call for foreground and background together.
        need_bg = bool({'match', 'prompt'} & set(self.active_losses))
        emb = self._encode(
            pair_images(images, masks, img_idx, background=need_bg))
        img_fg, img_bg = emb[:n_pairs], emb[n_pairs:]
        if 'match' in self.active_losses:
            self._add_loss(losses, self.match_loss, img_fg, img_bg, text_cls)
        prompts = None
        if 'prompt' in self.active_losses:  # joint training: S detached
            prompts = self.prompt_learner(guide)
            self._add_loss(losses, self.prompt_loss, img_bg.detach(),
                           prompts[cls_idx], text_cls)
        if 'refine' in self.active_losses:  # this step's prompts, fixed
            prompts = (self.frozen_prompt_features()
                       if prompts is None else prompts.detach())
            self._add_loss(losses, self.refine_loss, img_fg, prompts[cls_idx])
        if 'background_text' in self.active_losses:
            loss = self.background_text_loss
            bg_text = guide.encode_texts(list(loss.background_prompts))
            self._add_loss(losses, loss, img_fg, bg_text)
        return losses

    def _encode(self, images: Tensor) -> Tensor:
        """(N, 3, S, S) masked images -> (N, D) CLIP embeddings (N = 0: an
        empty tensor still in the masks' graph)."""
        return self.clip_guide.encode_images(self.to_clip_space(images))

    @staticmethod
    def _add_loss(losses: Dict[str, Tensor], loss: NamedLoss, *args) -> None:
        """``losses[loss.loss_name]`` and its unweighted terms beside, the
        terms computed once; their keys hold no 'loss', so none is summed."""
        terms = loss.terms(*args)
        losses[loss.loss_name] = loss.weighted(terms)
        for name, value in terms.items():
            assert 'loss' not in name, name
            losses[name] = value.detach()

    # ------------------------------------------------------------------
    # checkpoints
    def _load_from_state_dict(self, state_dict, prefix, local_metadata,
                              strict, missing_keys, unexpected_keys,
                              error_msgs) -> None:
        """Every load (mmengine's ``load_checkpoint``, ``load_state_dict``)
        is checked as a whole first: missing, unexpected or mis-shaped keys
        raise (``checkpoint_compat.py``)."""
        own = self.state_dict()
        keep, drop = check_segmentor_state(
            own, {k[len(prefix):]: v for k, v in state_dict.items()
                  if k.startswith(prefix)})
        for key in keep:  # optional groups absent: keep the current values
            state_dict[prefix + key] = own[key]
        for key in drop:
            state_dict.pop(prefix + key)
        super()._load_from_state_dict(state_dict, prefix, local_metadata,
                                      strict, missing_keys, unexpected_keys,
                                      error_msgs)

    # ------------------------------------------------------------------
    # inference
    def pixel_statistics(self) -> Tuple[Tensor, Tensor]:
        """The (3, 1, 1) mean and std the data preprocessor normalised the
        inputs with (0 and 1 when it does not normalise)."""
        pre = self.data_preprocessor
        if getattr(pre, '_enable_normalize', False):
            return pre.mean, pre.std
        return torch.zeros(3, 1, 1), torch.ones(3, 1, 1)

    def predict_cams(self,
                     inputs: Tensor,
                     labels: Tensor,
                     data_samples: OptSampleList = None) -> Tensor:
        """(B, K, H, W) multi-scale + flip CAMs in [0, 1), absent classes 0,
        by ``test_cfg`` (``CAMInferenceSettings``; views, protocol, cap).

        A failure (e.g. out of memory on a huge image) is re-raised naming
        the images of ``data_samples`` and the setting that bounds memory.
        """
        settings = CAMInferenceSettings.from_test_cfg(self.test_cfg)
        mean, std = self.pixel_statistics()
        try:
            return infer_cams(lambda x: self.cam_net(x)['cams'], inputs,
                              labels, settings, mean=mean, std=std)
        except (RuntimeError, MemoryError) as err:
            names = ', '.join(str(s.metainfo.get('img_path', '?'))
                              for s in data_samples or ())
            hint = ('; lower model.test_cfg.max_view_pixels (now '
                    f'{settings.max_view_pixels})' if 'memory' in str(err)
                    or 'alloc' in str(err) else '')
            raise RuntimeError(
                f'CAM inference failed for {names or "the batch"} (input '
                f'{tuple(inputs.shape[-2:])}, scales {settings.scales}): '
                f'{err}{hint}') from err

    def predict(self, inputs: Tensor,
                data_samples: OptSampleList = None) -> SampleList:
        """Fill ``pred_cams``, ``seg_logits`` and ``pred_sem_seg`` per sample.

        ``seg_logits`` channel 0 is the constant background threshold, so
        its argmax is the seed label map that mmseg's ``IoUMetric``,
        ``tools/test.py --out`` and ``--show-dir`` consume unchanged. The
        metainfo says which labels were used (``InferenceLabels``).
        """
        if data_samples is None:
            shape = tuple(inputs.shape[-2:])
            data_samples = [
                SegDataSample(metainfo=dict(img_shape=shape, ori_shape=shape))
                for _ in range(inputs.shape[0])
            ]
        labels = InferenceLabels.from_test_cfg(self.test_cfg)(
            self.cam_net, inputs, data_samples,
            dataset_meta=getattr(self, 'dataset_meta', None),
            prompt_names=getattr(self.clip_guide, 'class_names', None))
        cams = self.predict_cams(inputs, labels, data_samples)
        samples = self.postprocess_result(
            cams_with_background(cams, float(self.test_cfg['bg_threshold'])),
            data_samples)
        for sample in samples:
            sample.set_data(
                dict(pred_cams=PixelData(data=sample.seg_logits.data[1:])))
        return samples

    def _forward(self,
                 inputs: Tensor,
                 data_samples: OptSampleList = None) -> Tensor:
        """(B, K, h, w) raw class maps F of the CAM network."""
        return self.cam_net(inputs)['cams']

    def extract_feat(self, inputs: Tensor) -> Dict[str, Tensor]:
        return self.cam_net(inputs)

    def encode_decode(self, inputs: Tensor,
                      batch_img_metas: List[dict]) -> Tensor:
        """(B, K, H, W) single-scale class maps upsampled to the input size."""
        cams = self.cam_net(inputs)['cams']
        return F.interpolate(
            cams, size=inputs.shape[-2:], mode='bilinear', align_corners=False)
