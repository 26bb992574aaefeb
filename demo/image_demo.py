"""CAMs and seed labels of one image, in the style of mmseg's image demo.

    python demo/image_demo.py IMG CONFIG CHECKPOINT [--labels cat dog] \
        [--out-file F] [--device cpu] [--title T]

The checkpoint is any trained model of ours (SemPLeS, WeakTr, CLIMS); it is
loaded with ``mmseg.apis.init_model`` and run with
``mmseg.apis.inference_model``. Only the CAM network is built: no CLIP
weights and no initial weight files are needed. The image-level labels are
the CAM network's own predicted classes unless ``--labels`` names them. The
picture shows the image, the seed label map and one CAM overlay per class
with a colour bar; without ``--out-file`` it is shown in a window.
"""
from argparse import ArgumentParser
from typing import Optional, Sequence

# first: importing semples_mmseg sets the OpenMP thread policy before torch
# loads OpenMP (semples_mmseg/utils/thread_policy.py)
from semples_mmseg.utils.thread_policy import apply_thread_policy  # isort:skip

import mmcv
import numpy as np
import torch
from mmengine.model import revert_sync_batchnorm

from mmseg.apis import inference_model, init_model

from semples_mmseg.visualization import prediction_figure


def parse_args():
    parser = ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('img', help='Image file')
    parser.add_argument('config', help='Config file')
    parser.add_argument('checkpoint', help='Checkpoint file')
    parser.add_argument(
        '--labels', nargs='+', help='class names the CAMs are computed for '
        "(default: the CAM network's predicted classes)")
    parser.add_argument('--out-file', default=None, help='Path to output file')
    parser.add_argument(
        '--device',
        default='cuda:0' if torch.cuda.is_available() else 'cpu',
        help='Device used for inference')
    parser.add_argument('--title', default=None, help='The picture title')
    return parser.parse_args()


def image_demo(img: str, config: str, checkpoint: str, *,
               labels: Optional[Sequence[str]] = None,
               out_file: Optional[str] = None,
               device: str = 'cpu',
               title: Optional[str] = None) -> np.ndarray:
    """What the command line does: the picture of ``img`` as (h, w, 3) RGB
    uint8, written to ``out_file`` when given (the co-occurrence demo's
    tools/run_demo.py calls this for one world image)."""
    cfg_options = None
    if labels:
        cfg_options = {'model.test_cfg.labels': list(labels)}
    model = init_model(config, checkpoint, device=device,
                       cfg_options=cfg_options)
    if device == 'cpu':
        model = revert_sync_batchnorm(model)
    result = inference_model(model, img)
    meta = model.dataset_meta
    picture = prediction_figure(
        mmcv.imread(img, channel_order='rgb', backend='pillow'),
        result,
        meta['classes'],
        meta['palette'],
        bg_threshold=model.test_cfg['bg_threshold'],
        title=title)
    if out_file is not None:
        mmcv.imwrite(picture[..., ::-1], out_file)
    return picture


def main():
    args = parse_args()
    apply_thread_policy()
    picture = image_demo(args.img, args.config, args.checkpoint,
                         labels=args.labels, out_file=args.out_file,
                         device=args.device, title=args.title)
    if args.out_file is None:
        mmcv.imshow(picture[..., ::-1], 'CAMs')
    else:
        print(f'wrote {args.out_file}')


if __name__ == '__main__':
    main()
