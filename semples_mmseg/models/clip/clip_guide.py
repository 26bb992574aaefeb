"""The frozen CLIP that judges masked images (METHOD section 3)."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import open_clip
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mmseg.registry import MODELS
from .clip_weights import build_clip, build_tokenizer, check_clip_source
from .fast_image_tower import fast_or_open_clip_tower
from .text_length import truncated_class_texts


def normalize_features(x: Tensor) -> Tensor:
    """(N, D) -> L2-normalised rows, computed in at least fp32 (fp16 / bf16
    features from autocast: their squared norm is summed in fp32), returned
    in that dtype (fp32 under autocast, fp64 for fp64 inputs)."""
    return F.normalize(x.to(torch.promote_types(x.dtype, torch.float32)),
                       dim=-1)


@MODELS.register_module()
class FrozenCLIPGuide(nn.Module):
    """A frozen open_clip model: image and text embeddings, L2-normalised.

    CLIP lives outside the module tree: not in ``state_dict()`` (checkpoints
    stay small; it is reloaded from its source), not in ``parameters()``
    (never in an optimizer or DDP bucket), never in train mode; ``_apply``
    moves and casts it with the module. Gradients flow into its inputs.

    Constructing the guide reads no file: :meth:`build` (called by
    :meth:`init_weights`, which mmengine's Runner runs before training, or
    on first use) builds CLIP (``clip_weights.py``) under a forked RNG, on
    the device and dtype the module has been moved to, and encodes the
    class texts.

    Args:
        class_names: the K names put into ``template`` for the class texts.
        pretrained: a local weights file (OpenAI ``.pt`` or open_clip state
            dict), an open_clip pretrained tag (e.g. ``'openai'``, cached by
            open_clip when online), or ``None`` for random weights. There is
            no default: a random CLIP must be asked for explicitly.
        arch: an open_clip architecture name (``'ViT-B-32'``).
        model_cfg: instead of ``arch``, the keyword arguments of
            ``open_clip.CLIP`` (custom or tiny models).
        template: the class text, ``'a photo of {}.'`` with the period.
        quick_gelu: the MLP activation. ``None`` (default): QuickGELU for
            OpenAI weights (a TorchScript archive, a state dict with OpenAI's
            extra entries), what open_clip records for a tag (QuickGELU for
            ``'openai'``), GELU for random weights; a plain state-dict file
            does not tell, so it needs ``True`` or ``False``.
        cache_dir: where open_clip caches downloaded weights.
        fast_image_tower: encode images with ``FastCLIPImageTower`` over
            the same weights (same embeddings up to rounding, faster under
            autograd); variants it does not support keep open_clip's
            forward, with a warning.
        compile_image_tower: ``torch.compile`` the image tower (opt-in,
            default off; docs/GPU.md): ``True`` with torch's defaults, or a
            dict of ``torch.compile`` keyword arguments (e.g.
            ``dict(mode='max-autotune')``). The weights stay open_clip's
            (nothing is copied); the first steps pay the compilation.

    Mixed precision: CLIP's weights stay in the module's dtype (fp32 master
    weights, never updated); under autocast the towers compute in its
    dtype and the embeddings are L2-normalised in at least fp32.
    """

    def __init__(self,
                 *,
                 class_names: Sequence[str],
                 pretrained: Optional[str],
                 arch: Optional[str] = 'ViT-B-32',
                 model_cfg: Optional[dict] = None,
                 template: str = 'a photo of {}.',
                 quick_gelu: Optional[bool] = None,
                 cache_dir: Optional[str] = None,
                 fast_image_tower: bool = True,
                 compile_image_tower: Union[bool, dict] = False) -> None:
        super().__init__()
        if not class_names:
            raise ValueError('FrozenCLIPGuide needs class_names')
        if '{}' not in template:
            raise ValueError(f'template {template!r} has no {{}} for the '
                             'class name')
        if not isinstance(compile_image_tower, (bool, dict)):
            raise TypeError('compile_image_tower must be a bool or a dict, '
                            f'got {compile_image_tower!r}')
        check_clip_source(arch=arch, model_cfg=model_cfg,
                          pretrained=pretrained, quick_gelu=quick_gelu)
        self.fast_image_tower = fast_image_tower
        self.compile_image_tower = compile_image_tower
        self._image_tower: Optional[tuple] = None  # (visual, flags.., tower)
        self.arch = arch
        self.model_cfg = None if model_cfg is None else dict(model_cfg)
        self.pretrained = pretrained
        self.quick_gelu = quick_gelu
        self.cache_dir = cache_dir
        self.class_names = list(class_names)
        self.template = template
        self._text_cache: Dict[Tuple, Tensor] = {}
        # CLIP stays outside the module tree (no state_dict, parameters or
        # train mode); _apply below still moves and casts it
        object.__setattr__(self, '_clip', None)
        # follows .to() / .cuda() / .half(): where a lazily built CLIP goes
        self.register_buffer('_anchor', torch.empty(0), persistent=False)

    @classmethod
    def input_problems(cls, cfg: dict) -> List[str]:
        """Class texts of a config of the guide that CLIP would truncate
        (the pre-flight asks, before anything is built)."""
        try:  # a tokenizer that needs a download is checked at build
            tokenizer = build_tokenizer(cfg.get('arch', 'ViT-B-32'),
                                        cfg.get('model_cfg'))
        except Exception:
            return []
        return truncated_class_texts(cfg.get('class_names') or (),
                                     cfg.get('template', 'a photo of {}.'),
                                     tokenizer)

    # ------------------------------------------------------------------
    # building
    @property
    def is_built(self) -> bool:
        return self._clip is not None

    def init_weights(self) -> None:
        """Build CLIP now (mmengine calls this before training)."""
        self.build()

    def build(self) -> 'FrozenCLIPGuide':
        """Read the weights, build CLIP and encode the class texts (once)."""
        if self._clip is not None:
            return self
        with torch.random.fork_rng(devices=[]), \
                torch.inference_mode(False):
            clip = build_clip(arch=self.arch, model_cfg=self.model_cfg,
                              pretrained=self.pretrained,
                              quick_gelu=self.quick_gelu,
                              cache_dir=self.cache_dir)
            clip.eval().requires_grad_(False)
            clip.to(device=self._anchor.device, dtype=self._anchor.dtype)
            object.__setattr__(self, '_clip', clip)
            try:
                self._derive_from(clip,
                                  build_tokenizer(self.arch, self.model_cfg))
            except BaseException:
                object.__setattr__(self, '_clip', None)
                raise
        return self

    def _derive_from(self, clip: nn.Module, tokenizer) -> None:
        """Everything that comes from the built CLIP: sizes, texts."""
        too_long = truncated_class_texts(self.class_names, self.template,
                                         tokenizer)
        if too_long:
            raise ValueError('; '.join(too_long))
        self._tokenizer = tokenizer
        size = clip.visual.image_size
        self._image_size = int(
            size[0] if isinstance(size, (tuple, list)) else size)
        # the pixel statistics open_clip records for the model (OpenAI's for
        # ViT-B-32 and for models built from model_cfg)
        preprocess = getattr(clip.visual, 'preprocess_cfg', None) or {}
        self._image_mean = tuple(
            preprocess.get('mean') or open_clip.OPENAI_DATASET_MEAN)
        self._image_std = tuple(
            preprocess.get('std') or open_clip.OPENAI_DATASET_STD)
        with torch.no_grad():
            ids = tokenizer(
                [self.template.format(n) for n in self.class_names])
            feats = self._encode_text_ids(ids.to(self._anchor.device))
        self.register_buffer('_class_text_features', feats, persistent=False)

    # what exists once CLIP is built: each builds it on first use
    @property
    def clip(self) -> nn.Module:
        """The open_clip model."""
        return self.build()._clip

    @property
    def class_text_features(self) -> Tensor:
        """(K, D) buffer: ``template`` with each class name, encoded once."""
        return self.build()._class_text_features

    @property
    def tokenizer(self):
        return self.build()._tokenizer

    @property
    def image_size(self) -> int:
        """S, the side of CLIP's square input."""
        return self.build()._image_size

    @property
    def image_mean(self) -> Tuple[float, ...]:
        return self.build()._image_mean

    @property
    def image_std(self) -> Tuple[float, ...]:
        return self.build()._image_std

    # keep the hidden CLIP on the module's device and dtype
    def _apply(self, fn, recurse: bool = True):
        if self._clip is not None:
            self._clip._apply(fn)
        self._text_cache.clear()
        return super()._apply(fn, recurse)

    # ------------------------------------------------------------------
    def tokenize(self, texts: Sequence[str]) -> Tensor:
        """(Q, context) long token ids with SOT and EOT, on our device."""
        return self.tokenizer(list(texts)).to(self._anchor.device)

    def token_embedding(self, ids: Tensor) -> Tensor:
        """Frozen token-embedding lookup: ids (...,) -> (..., W)."""
        return self.clip.token_embedding(ids)

    @property
    def text_width(self) -> int:
        """W, the width of CLIP's token embeddings."""
        return self.clip.token_embedding.embedding_dim

    @property
    def token_embedding_table_size(self) -> int:
        """Number of rows of CLIP's token-embedding table (vocabulary)."""
        return self.clip.token_embedding.num_embeddings

    def encode_images(self, images: Tensor) -> Tensor:
        """(N, 3, S, S) images in CLIP's input space -> (N, D) L2-normalised.

        Autograd flows into ``images`` (never into CLIP's weights); N = 0
        gives an empty (0, D) tensor still connected to ``images``.
        """
        if images.shape[0] == 0:  # no labelled pair in the batch
            dims = self.class_text_features.shape[1]
            return images.new_zeros(0, dims) + images.sum() * 0
        return normalize_features(self.image_tower(images))

    @property
    def image_tower(self) -> nn.Module:
        """``clip.visual`` or, with ``fast_image_tower``, the fast tower
        over it, compiled with ``compile_image_tower`` (made again when
        ``clip.visual`` or a flag changes)."""
        compile_cfg = self.compile_image_tower
        key = (self.clip.visual, self.fast_image_tower,
               None if compile_cfg is False else repr(compile_cfg))
        if self._image_tower is None or self._image_tower[:3] != key:
            tower = fast_or_open_clip_tower(key[0]) if key[1] else key[0]
            if compile_cfg is not False:
                tower = torch.compile(
                    tower, **({} if compile_cfg is True else compile_cfg))
            self._image_tower = key + (tower, )  # a tuple: not registered
        return self._image_tower[3]

    def _encode_text_ids(self, ids: Tensor) -> Tensor:
        # Constant texts are cached: encode them in the model's own dtype,
        # not in whatever autocast is active on the first call.
        with torch.autocast(ids.device.type, enabled=False):
            return normalize_features(self.clip.encode_text(ids))

    def encode_texts(self, texts: Sequence[str]) -> Tensor:
        """(Q, D) L2-normalised text embeddings, encoded once per text list."""
        key = (tuple(texts), self._anchor.device)
        if key not in self._text_cache:
            with torch.no_grad():
                self._text_cache[key] = self._encode_text_ids(
                    self.tokenize(texts))
        return self._text_cache[key]

    def encode_token_embeddings(self, embeds: Tensor,
                                eot_index: Tensor) -> Tensor:
        """CLIP's text path from token-embedding space.

        Adds the positional embedding, runs the causal transformer (the mask
        cropped to T), the final LayerNorm, picks the EOT token, projects and
        L2-normalises. Autograd flows into ``embeds``.

        Args:
            embeds: (K, T, W) token embeddings, T <= context length.
            eot_index: (K,) position of the EOT token in each sequence.

        Returns:
            (K, D) text embeddings.
        """
        clip = self.clip
        length = embeds.shape[1]
        context = clip.positional_embedding.shape[0]
        if embeds.ndim != 3 or length > context or \
                eot_index.shape != embeds.shape[:1]:
            raise ValueError(
                f'encode_token_embeddings: embeds {tuple(embeds.shape)} must '
                f'be (K, T <= {context}, W) and eot_index '
                f'{tuple(eot_index.shape)} must be (K,)')
        cast = clip.transformer.get_cast_dtype()
        x = embeds.to(cast) + clip.positional_embedding[:length].to(cast)
        x = clip.transformer(x, attn_mask=clip.attn_mask[:length, :length])
        x = clip.ln_final(x)
        x = x[torch.arange(x.shape[0], device=x.device), eot_index]
        if isinstance(clip.text_projection, nn.Linear):
            x = clip.text_projection(x)
        elif clip.text_projection is not None:
            x = x @ clip.text_projection
        return normalize_features(x)

    def extra_repr(self) -> str:
        source = self.arch if self.model_cfg is None else 'model_cfg'
        return (f'{source}, pretrained={self.pretrained!r}, classes='
                f'{len(self.class_names)}, template={self.template!r}, '
                f'built={self.is_built}')

    def word_token_ids(self, text: str) -> List[int]:
        """BPE ids of ``text`` without SOT / EOT."""
        return list(self.tokenizer.encode(text))

    @property
    def sot_token_id(self) -> int:
        return self.tokenizer.sot_token_id

    @property
    def eot_token_id(self) -> int:
        return self.tokenizer.eot_token_id
