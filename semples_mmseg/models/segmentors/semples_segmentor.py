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
"""
from contextlib import nullcontext
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.logging import print_log
from mmengine.structures import PixelData
from torch import Tensor, nn

from mmseg.models.segmentors.base import BaseSegmentor
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from mmseg.utils import OptSampleList, SampleList

from ..losses.named_loss import NamedLoss
from ..utils.cam_inference import CAMInferenceSettings, infer_cams
from ..utils.soft_masks import (labelled_pairs, minmax_soft_masks, pair_images,
                                pair_maps, resize_to, sigmoid_soft_masks)
from .checkpoint_compat import check_segmentor_state
from .inference_labels import (check_label_source, label_names,
                               names_to_multi_hot, predicted_multi_hot)

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
        test_cfg: ``dict(scales=(1.0, 1.2), flip=True, bg_threshold=0.43,
            labels='gt', label_threshold=0.5)`` plus the other keys of
            ``CAMInferenceSettings`` (``protocol``, ``view_resize``,
            ``max_view_pixels``, ``stride``); checked here. ``labels`` is
            where the image-level labels of inference come from: ``'gt'``,
            ``'predicted'`` or a list of class names
            (``inference_labels.py``), ``label_threshold`` the score
            ``'predicted'`` needs.
        pretrained: what ``mmseg.apis.init_model`` sets (None); a path is
            the CAM network's initial weights (``cam_net.pretrained``).

    Building reads no file: CLIP is built and the initial weight files are
    read by :meth:`init_weights` (mmengine's Runner calls it for training);
    for inference the weights come from the checkpoint that is loaded
    (``mmseg.apis.init_model``, ``MMSegInferencer``, ``tools/test.py``).
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
        # the configs' loaders pin batches in page-locked memory: copy them
        # to the GPU without blocking the host (mmengine's option, which
        # mmseg's SegDataPreProcessor does not expose)
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
            raise ValueError("soft_mask['mode'] must be 'minmax' or "
                             f"'sigmoid', got {self.soft_mask['mode']!r}")
        if clip_pixels not in ('imagenet', 'clip'):
            raise ValueError("clip_pixels must be 'imagenet' or 'clip', "
                             f'got {clip_pixels!r}')
        self.clip_pixels = clip_pixels
        self.test_cfg = dict(
            scales=(1.0, ), flip=False, bg_threshold=0.43, labels='gt',
            label_threshold=0.5)
        self.test_cfg.update(test_cfg or {})
        CAMInferenceSettings.from_test_cfg(self.test_cfg)  # names bad keys
        self.test_cfg['labels'] = check_label_source(self.test_cfg['labels'])
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

        ``'prompt'`` (stage 2) runs the CAM network without autograd and in
        eval mode: S is frozen, so its masks must not drift either. With
        ``joint=True`` (the paper's Table 6 "joint training") ``'prompt'``
        runs together with the other losses in one step: each loss trains
        what it trains in its own stage (L_prompt the prompts, from detached
        background embeddings; L_match / L_refine the CAM network, against
        the prompts of that step, detached).
        """
        losses = tuple(losses)
        unknown = set(losses) - set(ALL_LOSSES)
        if unknown:
            raise ValueError(f'unknown loss name(s) {sorted(unknown)}; '
                             f'choose from {ALL_LOSSES}')
        for name in losses:
            if name == 'cam':
                if not len(self.cam_losses):
                    raise ValueError("stage uses loss 'cam' but the "
                                     'segmentor has no cam_losses')
            elif getattr(self, f'{name}_loss') is None:
                raise ValueError(f'stage uses loss {name!r} but the '
                                 f'segmentor has no {name}_loss configured')
        if set(losses) & set(CLIP_LOSSES) and self.clip_guide is None:
            raise ValueError(f'losses {losses} need a clip_guide')
        if set(losses) & {'prompt', 'refine'} and self.prompt_learner is None:
            raise ValueError(f'losses {losses} need a prompt_learner')
        if 'prompt' in losses and len(losses) > 1 and not joint:
            raise ValueError("'prompt' (stage 2) trains the prompts alone; "
                             f'got losses {losses} (joint=True trains them '
                             'together: Table 6 joint training)')
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
        """(B, K) multi-hot labels from each sample's ``metainfo['img_labels']``."""
        rows = []
        for sample in data_samples:
            if 'img_labels' not in sample.metainfo:
                raise KeyError(
                    f"data sample of {sample.metainfo.get('img_path')} has "
                    "no 'img_labels' in its metainfo; end the pipeline with "
                    'PackWeakSegInputs')
            rows.append(torch.as_tensor(sample.metainfo['img_labels']))
        return torch.stack(rows).to(device=device, dtype=torch.float32)

    def soft_masks(self, cam_out: Dict[str, Tensor], size: int) -> Tensor:
        """(B, K, S, S) soft masks M from the CAM network output."""
        if self.soft_mask['mode'] == 'sigmoid':
            return sigmoid_soft_masks(cam_out['cam_logits'], size)
        return minmax_soft_masks(cam_out['cams'], size, self.soft_mask['eps'])

    def pair_soft_masks(self, cam_out: Dict[str, Tensor], img_idx: Tensor,
                        cls_idx: Tensor, size: int) -> Tensor:
        """(P, 1, S, S) soft masks of the P pairs only: the values of
        :meth:`soft_masks` at (img_idx, cls_idx), without making the
        B x K - P others."""
        if self.soft_mask['mode'] == 'sigmoid':
            return sigmoid_soft_masks(
                pair_maps(cam_out['cam_logits'], img_idx, cls_idx), size)
        return minmax_soft_masks(
            pair_maps(cam_out['cams'], img_idx, cls_idx), size,
            self.soft_mask['eps'])

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
        """(K, D) background-prompt embeddings, encoded once per prompt version.

        In stage 3 the prompts are fixed, so encoding them every step would
        only repeat work; the cache is keyed on the tensor's version counter
        and is invalidated by any in-place update (optimizer, checkpoint).
        """
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
        masks = self.pair_soft_masks(cam_out, img_idx, cls_idx, size)
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
        """(N, 3, S, S) masked images -> (N, D); N = 0 (no labelled pair)
        gives an empty tensor still connected to the masks' graph."""
        if images.shape[0] == 0:
            dims = self.clip_guide.class_text_features.shape[1]
            return images.new_zeros(0, dims) + images.sum() * 0
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
            return infer_cams(
                lambda x: self.cam_net(x)['cams'],
                inputs,
                labels,
                settings,
                mean=mean,
                std=std)
        except (RuntimeError, MemoryError) as err:
            names = [s.metainfo.get('img_path', '?')
                     for s in data_samples or ()] or ['(no data samples)']
            text = str(err)
            hint = ''
            if any(m in text.lower() for m in ('out of memory', 'alloc')):
                hint = (' Lower model.test_cfg.max_view_pixels (now '
                        f'{settings.max_view_pixels}) to infer CAMs of large '
                        'images at a smaller size.')
            raise RuntimeError(
                f'CAM inference failed for {", ".join(map(str, names))} '
                f'(input {tuple(inputs.shape[-2:])}, scales '
                f'{settings.scales}): {text}.{hint}') from err

    def predict(self, inputs: Tensor,
                data_samples: OptSampleList = None) -> SampleList:
        """Fill ``pred_cams``, ``seg_logits`` and ``pred_sem_seg`` per sample.

        ``seg_logits`` channel 0 is the constant background threshold, so
        its argmax is the seed label map that mmseg's ``IoUMetric``,
        ``tools/test.py --out`` and ``--show-dir`` consume unchanged. The
        image-level labels come from ``test_cfg['labels']``
        (:meth:`inference_labels`); each sample's metainfo then says which:
        ``img_labels`` (K,), ``label_source`` and ``label_names``.
        """
        if data_samples is None:
            shape = tuple(inputs.shape[-2:])
            data_samples = [
                SegDataSample(metainfo=dict(img_shape=shape, ori_shape=shape))
                for _ in range(inputs.shape[0])
            ]
        labels = self.inference_labels(inputs, data_samples)
        cams = self.predict_cams(inputs, labels, data_samples)
        bg = cams.new_full((cams.shape[0], 1, *cams.shape[2:]),
                           float(self.test_cfg['bg_threshold']))
        samples = self.postprocess_result(
            torch.cat([bg, cams], dim=1), data_samples)
        for sample in samples:
            sample.set_data(
                dict(pred_cams=PixelData(data=sample.seg_logits.data[1:])))
        return samples

    # ------------------------------------------------------------------
    # image-level labels at inference
    @property
    def class_names(self) -> Optional[List[str]]:
        """The K class names: ``dataset_meta['classes']`` without the
        background (set by ``init_model`` / ``MMSegInferencer`` from the
        checkpoint), else the CLIP prompt names, else None."""
        k = getattr(self.cam_net, 'num_classes', None)
        classes = (getattr(self, 'dataset_meta', None) or {}).get('classes')
        if classes is not None and k is None:
            return list(classes[1:])
        if classes is not None and len(classes) in (k, k + 1):
            return list(classes[len(classes) - k:])
        if self.clip_guide is not None and len(self.clip_guide.class_names) \
                == k:
            return list(self.clip_guide.class_names)
        return None

    def predict_label_scores(self, inputs: Tensor) -> Tensor:
        """(B, K) sigmoid of the CAM network's class scores at scale 1.0."""
        out = self.cam_net(inputs)
        if 'cls_logits' not in out:
            raise ValueError(
                f"{type(self.cam_net).__name__} gives no 'cls_logits': "
                "labels='predicted' needs class scores; set "
                "model.test_cfg.labels to 'gt' or to class names")
        return out['cls_logits'].float().sigmoid()

    def inference_labels(self, inputs: Tensor,
                         data_samples: SampleList) -> Tensor:
        """(B, K) multi-hot labels from ``test_cfg['labels']``.

        Writes ``img_labels``, ``label_source`` and ``label_names`` (and for
        predicted labels ``label_scores``) into each sample's metainfo and
        logs the classes of every sample whose labels are not its own.
        """
        source = self.test_cfg['labels']
        k = getattr(self.cam_net, 'num_classes', None)  # K (CAM contract)
        names = self.class_names
        rows: List[Optional[Tensor]] = []
        kinds: List[str] = []
        for sample in data_samples:
            meta = sample.metainfo
            if source == 'gt' and 'img_labels' in meta:
                row = torch.as_tensor(np.asarray(meta['img_labels']),
                                      dtype=torch.float32)
                if row.ndim != 1 or (k is not None and row.shape != (k, )):
                    raise ValueError(
                        f"{meta.get('img_path')}: img_labels has shape "
                        f'{tuple(row.shape)}, the CAM network K = {k}')
                rows.append(row)
                kinds.append('gt')
            elif source == 'gt' and 'sample_idx' in meta:
                raise KeyError(
                    f"dataset sample {meta.get('img_path')} has no "
                    "'img_labels' and model.test_cfg.labels='gt': use a "
                    'weak-label dataset (VOCWeakDataset, ...) ending in '
                    "PackWeakSegInputs, or set labels='predicted'")
            elif source in ('gt', 'predicted'):
                rows.append(None)
                kinds.append('predicted')
            else:
                aliases = [] if self.clip_guide is None else [
                    self.clip_guide.class_names]
                rows.append(names_to_multi_hot(source, names, aliases))
                kinds.append('given')
        need = [i for i, row in enumerate(rows) if row is None]
        scores = None
        if need:
            scores = self.predict_label_scores(inputs[need])
            predicted = predicted_multi_hot(
                scores, float(self.test_cfg['label_threshold']))
            for j, i in enumerate(need):
                rows[i] = predicted[j].cpu()
        for i, (sample, row, kind) in enumerate(
                zip(data_samples, rows, kinds)):
            used = label_names(row, names)
            info = dict(
                img_labels=row.numpy().astype(np.float32),
                label_source=kind,
                label_names=used)
            if kind == 'predicted':
                info['label_scores'] = scores[need.index(i)].cpu().numpy()
            sample.set_metainfo(info)
            if kind != 'gt':
                what = ('the CAM network\'s predicted classes (score >= '
                        f"{self.test_cfg['label_threshold']})"
                        if kind == 'predicted' else 'the given classes')
                print_log(
                    f"{sample.metainfo.get('img_path', 'image')}: CAMs for "
                    f"{what}: {', '.join(used)}",
                    logger='current')
        return torch.stack(rows).to(inputs.device)

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
