"""Export the co-occurrence world as a plain folder of photos and a CSV.

    python projects/cooccur_demo/tools/export_plain_folder.py \
        work_dirs/cooccur/world work_dirs/cooccur_plain/plain [--seed 0]

Writes ``folder/`` (photos in subfolders, ``tags.csv``), ``new_photos/``
(the world's held-out images) and ``answers/`` (the world's masks under the
photos' names, for scoring only): ``cooccur_demo/plain_folder.py``.
``run_plain_folder.py`` does this as its first step.
"""
import argparse

from cooccur_demo.plain_folder import export_plain_folder


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('world', help='a world written by make_world.py or the '
                   'demo (VOC layout)')
    p.add_argument('out', help='output folder')
    p.add_argument('--seed', type=int, default=0,
                   help='seed of the photos\' new names and order')
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    counts = export_plain_folder(args.world, args.out, seed=args.seed)
    print(f'wrote {counts["folder"]} photos with their tags to '
          f'{args.out}/folder, {counts["new_photos"]} new photos to '
          f'{args.out}/new_photos, the masks to {args.out}/answers')


if __name__ == '__main__':
    main()
