"""Where each learned background prompt sits in an image (paper Fig. 5)."""
import numpy as np
import torch
import torch.nn.functional as F

from .world.clip_pairs import normalise_images


def prompt_similarity(model, image: np.ndarray, window: int = 32,
                      stride: int = 4) -> torch.Tensor:
    """(K, S, S) cosine similarity of each class's background prompt to the
    CLIP embedding of every ``window`` x ``window`` crop of ``image``
    (stride ``stride``), bilinearly upsampled from the crop-centre grid.

    Args:
        model: a segmentor with ``clip_guide`` and ``prompt_learner``.
        image: (S, S, 3) RGB uint8, square.
    """
    size = image.shape[0]
    if image.shape[1] != size or window > size:
        raise ValueError(f'prompt_similarity needs a square image of side '
                         f'>= {window}, got {image.shape}')
    starts = list(range(0, size - window + 1, stride))
    crops = np.stack([image[y:y + window, x:x + window]
                      for y in starts for x in starts])
    guide = model.clip_guide
    with torch.no_grad():
        emb = torch.cat([
            guide.encode_images(chunk) for chunk in normalise_images(
                crops, guide.image_size).split(256)
        ])
        prompts = model.prompt_learner(guide)
    n = len(starts)
    sim = (prompts @ emb.T).view(-1, 1, n, n)
    # the grid holds crop centres: stretch it over the centres' span
    span = size - window
    grid = F.interpolate(sim, size=(span + 1, span + 1), mode='bilinear',
                         align_corners=True)[:, 0]
    half = window // 2
    return F.pad(grid[None], (half, size - span - 1 - half, half,
                              size - span - 1 - half), mode='replicate')[0]
