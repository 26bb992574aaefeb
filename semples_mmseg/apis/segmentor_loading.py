"""The one way every entry point gets an inference model: build + checkpoint.

Building a ``SemPLeSSegmentor`` reads no file: CLIP is built lazily and the
CAM network's initial weight files are read by ``init_weights()`` only,
which mmengine's Runner calls for training. So ``MODELS.build(cfg.model)``
and a checkpoint is all inference needs, whichever tool does it:
``mmseg.apis.init_model`` and ``MMSegInferencer`` (mmseg's own code),
``tools/test.py`` (the Runner's ``load_from``), and
``tools/make_pseudo_masks.py`` / ``tools/compare.py`` through
:func:`load_segmentor`.
"""
from typing import Optional, Union

from mmengine.runner import CheckpointLoader
from mmengine.runner.checkpoint import load_state_dict
from torch import nn

from mmseg.registry import MODELS

from ..models.segmentors.checkpoint_compat import IncompatibleCheckpointError


def load_segmentor(model_cfg: dict,
                   checkpoint: Union[str, dict],
                   *,
                   source: Optional[str] = None) -> nn.Module:
    """``MODELS.build(model_cfg)`` with every weight from ``checkpoint``.

    Args:
        model_cfg: the config's ``model`` (left unchanged).
        checkpoint: a checkpoint file, or one already loaded (a dict with
            ``state_dict``, or a bare state dict).
        source: the name errors give (default: the file).

    Returns:
        The model in eval mode on the CPU; ``dataset_meta`` is set when the
        checkpoint records it (as ``mmseg.apis.init_model`` does).

    Missing, unexpected or mis-shaped keys are an error naming the source
    (``checkpoint_compat.py``: the prompts of a baseline checkpoint are
    optional).
    """
    if isinstance(checkpoint, str):
        source = source or checkpoint
        checkpoint = CheckpointLoader.load_checkpoint(
            checkpoint, map_location='cpu')
    source = source or 'the checkpoint'
    model = MODELS.build(model_cfg)
    state = checkpoint.get('state_dict', checkpoint)
    state = {k.removeprefix('module.'): v for k, v in state.items()}
    try:
        load_state_dict(model, state, strict=True)
    except IncompatibleCheckpointError as exc:  # the segmentor's own check
        raise exc.naming(source) from None
    except RuntimeError as exc:  # other models: mmengine's strict message
        raise ValueError(f'{source} does not fit the {model_cfg["type"]} of '
                         f'the config: {exc}') from exc
    meta = checkpoint.get('meta') or {}
    if isinstance(meta, dict) and meta.get('dataset_meta'):
        model.dataset_meta = meta['dataset_meta']
    return model.eval()
