"""Write the synthetic co-occurrence world (VOC layout) to a folder.

    python projects/cooccur_demo/tools/make_world.py data/cooccur_world
    python projects/cooccur_demo/tools/make_world.py data/cw --num-train 2000 \
        --cooccur-prob 0.9
"""
import argparse
import time

# first: importing semples_mmseg sets the OpenMP thread policy before torch
# loads OpenMP (semples_mmseg/utils/thread_policy.py)
from semples_mmseg.utils.thread_policy import apply_thread_policy  # isort:skip

from mmengine.utils import ProgressBar

from cooccur_demo.world import write_world


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('root', help='output folder')
    p.add_argument('--num-train', type=int, default=600)
    p.add_argument('--num-val', type=int, default=120)
    p.add_argument('--image-size', type=int, default=96)
    p.add_argument('--cooccur-prob', type=float, default=0.8)
    p.add_argument('--seed', type=int, default=0)
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    apply_thread_policy()
    bar = ProgressBar(args.num_train + args.num_val)
    start = time.time()
    info = write_world(
        args.root,
        num_train=args.num_train,
        num_val=args.num_val,
        image_size=args.image_size,
        cooccur_prob=args.cooccur_prob,
        seed=args.seed,
        progress=lambda done, total: bar.update())
    print(f'\nwrote {len(info["ids"]["train"])} train / '
          f'{len(info["ids"]["val"])} val images to {args.root} in '
          f'{time.time() - start:.1f} s; classes '
          f'{", ".join(info["metainfo"]["prompt_classes"])}')


if __name__ == '__main__':
    main()
