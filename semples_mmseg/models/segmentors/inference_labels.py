"""Where the image-level labels of CAM inference come from.

CAMs are computed for the classes an image shows. The segmentor's
``test_cfg['labels']`` names the source:

- ``'gt'`` (default): the sample's own ``img_labels`` (put there by
  ``PackWeakSegInputs`` from the dataset): the WSSS protocol, what seed and
  pseudo-mask numbers are measured with. A loose image (given to
  ``inference_model`` or ``MMSegInferencer``, no dataset, no label file) has
  none and uses ``'predicted'``; a *dataset* sample without labels is an
  error (a wrong dataset must not be scored with guessed labels).
- ``'predicted'``: the CAM network's own class scores (``cls_logits``:
  WeakTr's class-token scores, CLIMS's pooled classifier), ``sigmoid >=
  test_cfg['label_threshold']``; when no class passes, the top-scoring one
  (an image of these datasets shows at least one class).
- a list of class names: the same classes for every image (the demo's
  ``--labels cat dog``).
"""
from typing import List, Optional, Sequence, Union

import torch
from torch import Tensor

LABEL_SOURCES = ('gt', 'predicted')
LabelSource = Union[str, Sequence[str]]


def check_label_source(source: LabelSource) -> Union[str, tuple]:
    """``'gt'``, ``'predicted'`` or a non-empty tuple of class names."""
    if isinstance(source, str):
        if source not in LABEL_SOURCES:
            raise ValueError(
                f"test_cfg['labels'] must be 'gt', 'predicted' or a list of "
                f'class names, got {source!r}')
        return source
    names = tuple(source)
    if not names or not all(isinstance(n, str) for n in names):
        raise ValueError("test_cfg['labels'] as class names must be a "
                         f'non-empty list of strings, got {source!r}')
    return names


def names_to_multi_hot(names: Sequence[str],
                       class_names: Optional[Sequence[str]],
                       aliases: Sequence[Sequence[str]] = ()) -> Tensor:
    """(K,) float multi-hot vector of ``names`` among ``class_names``.

    A name matches a class name or one of its ``aliases`` (e.g. the CLIP
    prompt name 'tv monitor' of VOC's 'tvmonitor'), exactly or ignoring
    case. Unknown names are an error listing the known ones.
    """
    if class_names is None:
        raise ValueError(
            f'labels {list(names)} are class names, but the model knows no '
            'class names: load it with a checkpoint that records its '
            "dataset_meta (mmseg.apis.init_model, MMSegInferencer), or set "
            "model.dataset_meta = dict(classes=('background', ...))")
    lookup = {}
    for k, name in enumerate(class_names):
        for alias in [name, *[a[k] for a in aliases if len(a) > k]]:
            lookup.setdefault(alias, k)
            lookup.setdefault(alias.lower(), k)
    out = torch.zeros(len(class_names))
    for name in names:
        k = lookup.get(name, lookup.get(name.lower()))
        if k is None:
            raise ValueError(f'unknown class {name!r} in labels {list(names)}'
                             f'; the model knows {list(class_names)}')
        out[k] = 1.
    return out


def predicted_multi_hot(scores: Tensor, threshold: float) -> Tensor:
    """(B, K) scores in [0, 1] -> (B, K) float multi-hot labels.

    Classes with ``score >= threshold``; a row where none passes keeps its
    top-scoring class.
    """
    labels = (scores >= threshold).to(scores.dtype)
    empty = labels.sum(dim=1) == 0
    if empty.any():
        rows = torch.nonzero(empty).flatten()
        labels[rows, scores[rows].argmax(dim=1)] = 1.
    return labels


def label_names(labels: Tensor,
                class_names: Optional[Sequence[str]]) -> List[str]:
    """Names of the classes a (K,) multi-hot vector marks present."""
    present = torch.nonzero(labels > 0.5).flatten().tolist()
    if class_names is None:
        return [f'class {k}' for k in present]
    return [class_names[k] for k in present]
