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

import numpy as np
import torch
from mmengine.logging import print_log
from mmengine.structures import BaseDataElement
from torch import Tensor, nn

LABEL_SOURCES = ('gt', 'predicted')
LabelSource = Union[str, Sequence[str]]


def check_label_source(source: LabelSource) -> Union[str, tuple]:
    """``'gt'``, ``'predicted'`` or a non-empty tuple of class names."""
    names = (source, ) if isinstance(source, str) else tuple(source)
    if isinstance(source, str) and source in LABEL_SOURCES:
        return source
    if isinstance(source, str) or not names or not all(
            isinstance(n, str) for n in names):
        raise ValueError(f'model.test_cfg.labels={source!r}: must be '
                         "'gt', 'predicted' or a list of class names")
    return names


def model_class_names(num_classes: Optional[int],
                      dataset_meta: Optional[dict],
                      prompt_names: Optional[Sequence[str]]
                      ) -> Optional[List[str]]:
    """The K class names of a model: ``dataset_meta['classes']`` without the
    background (set by ``init_model`` / ``MMSegInferencer`` from the
    checkpoint), else the CLIP prompt names, else None."""
    k = num_classes
    classes = (dataset_meta or {}).get('classes')
    if classes is not None and k is None:
        return list(classes[1:])
    if classes is not None and len(classes) in (k, k + 1):
        return list(classes[len(classes) - k:])
    if prompt_names is not None and len(prompt_names) == k:
        return list(prompt_names)
    return None


def names_to_multi_hot(names: Sequence[str],
                       class_names: Optional[Sequence[str]],
                       aliases: Sequence[Sequence[str]] = ()) -> Tensor:
    """(K,) float multi-hot vector of ``names`` among ``class_names``.

    A name matches a class name or one of its ``aliases`` (e.g. the CLIP
    prompt name 'tv monitor' of VOC's 'tvmonitor'), exactly or ignoring
    case. Unknown names are an error listing the known ones.
    """
    if class_names is None:
        raise ValueError(f'labels {list(names)}: the model knows no class '
                         'names (set model.dataset_meta)')
    lookup = {}
    for k, name in enumerate(class_names):
        for alias in [name, *[a[k] for a in aliases if len(a) > k]]:
            lookup.setdefault(alias, k)
            lookup.setdefault(alias.lower(), k)
    out = torch.zeros(len(class_names))
    for name in names:
        k = lookup.get(name, lookup.get(name.lower()))
        if k is None:
            raise ValueError(f'unknown class {name!r}; the model knows '
                             f'{list(class_names)}')
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


class InferenceLabels:
    """The (B, K) image-level labels of CAM inference (module docstring).

    Args:
        source: ``test_cfg['labels']``: ``'gt'``, ``'predicted'`` or class
            names.
        threshold: ``test_cfg['label_threshold']``, the score a predicted
            class needs.
    """

    def __init__(self, *, source: LabelSource, threshold: float) -> None:
        self.source = check_label_source(source)
        self.threshold = float(threshold)

    @classmethod
    def from_test_cfg(cls, test_cfg: dict) -> 'InferenceLabels':
        return cls(source=test_cfg['labels'],
                   threshold=test_cfg['label_threshold'])

    def __call__(self, cam_net: nn.Module, inputs: Tensor,
                 data_samples: Sequence[BaseDataElement], *,
                 dataset_meta: Optional[dict] = None,
                 prompt_names: Optional[Sequence[str]] = None) -> Tensor:
        """(B, K) labels of ``inputs`` (B, 3, H, W) for ``cam_net``.

        Class names are matched against ``dataset_meta['classes']`` and the
        CLIP ``prompt_names`` (:func:`model_class_names`). Writes
        ``img_labels``, ``label_source`` and ``label_names`` (and for
        predicted labels ``label_scores``) into each sample's metainfo and
        logs the classes of every sample whose labels are not its own.
        """
        k = getattr(cam_net, 'num_classes', None)  # K (CAM contract)
        class_names = model_class_names(k, dataset_meta, prompt_names)
        aliases = [] if prompt_names is None else [prompt_names]
        rows: List[Optional[Tensor]] = []
        kinds: List[str] = []
        for sample in data_samples:
            kind, row = self._own_or_given(sample.metainfo, k, class_names,
                                           aliases)
            rows.append(row)
            kinds.append(kind)
        need = [i for i, row in enumerate(rows) if row is None]
        scores = None
        if need:
            scores = self.predict_scores(cam_net, inputs[need])
            predicted = predicted_multi_hot(scores, self.threshold)
            for j, i in enumerate(need):
                rows[i] = predicted[j].cpu()
        for i, (sample, row, kind) in enumerate(
                zip(data_samples, rows, kinds)):
            used = label_names(row, class_names)
            info = dict(img_labels=row.numpy().astype(np.float32),
                        label_source=kind, label_names=used)
            if kind == 'predicted':
                info['label_scores'] = scores[need.index(i)].cpu().numpy()
            sample.set_metainfo(info)
            if kind != 'gt':
                what = ("the CAM network's predicted classes (score >= "
                        f'{self.threshold})' if kind == 'predicted' else
                        'the given classes')
                print_log(f"{sample.metainfo.get('img_path', 'image')}: CAMs "
                          f"for {what}: {', '.join(used)}", logger='current')
        return torch.stack(rows).to(inputs.device)

    def _own_or_given(self, meta: dict, k: Optional[int],
                      class_names: Optional[Sequence[str]],
                      aliases: Sequence[Sequence[str]]):
        """``(kind, (K,) row)`` of one sample; the row is None where the
        labels are to be predicted."""
        if self.source not in LABEL_SOURCES:
            return 'given', names_to_multi_hot(self.source, class_names,
                                               aliases)
        if self.source == 'gt' and 'img_labels' in meta:
            row = torch.as_tensor(np.asarray(meta['img_labels']),
                                  dtype=torch.float32)
            if row.ndim != 1 or (k is not None and row.shape != (k, )):
                raise ValueError(f"{meta.get('img_path')}: img_labels of "
                                 f'shape {tuple(row.shape)}, K = {k}')
            return 'gt', row
        if self.source == 'gt' and 'sample_idx' in meta:
            raise KeyError(f"{meta.get('img_path')} has no 'img_labels' "
                           "(test_cfg.labels='gt'); end the pipeline with "
                           "PackWeakSegInputs or set labels='predicted'")
        return 'predicted', None

    @staticmethod
    def predict_scores(cam_net: nn.Module, inputs: Tensor) -> Tensor:
        """(B, K) sigmoid of the CAM network's class scores at scale 1.0."""
        out = cam_net(inputs)
        if 'cls_logits' not in out:
            raise ValueError(f"{type(cam_net).__name__} gives no "
                             "'cls_logits' for labels='predicted'")
        return out['cls_logits'].float().sigmoid()
