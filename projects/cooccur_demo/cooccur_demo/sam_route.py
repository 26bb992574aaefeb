"""FMA-WSSS's SAM-based seeding on the co-occurrence world, with SLIC
superpixels standing in for SAM's masks.

For each finished CAM network of the demo (the WeakTr baseline and SemPLeS
after stage 3) on one split of the world:

1. the library's CAM export (:func:`~semples_mmseg.pseudo_masks.export.
   cam_pass`, as ``tools/make_pseudo_masks.py`` runs it) writes (a) the
   plain threshold masks with the CAMs (``cams/{id}.npy``) and (b) the
   threshold + dense CRF masks of the same CAMs;
2. once for the split, multi-level SLIC superpixels
   (:func:`~semples_mmseg.pseudo_masks.superpixel_regions.slic_regions`,
   one level per scale) are written as region files, as
   ``tools/sam/make_sam_masks.py --slic`` writes them: superpixels, not SAM
   masks (no SAM runs here);
3. SAM-based seeding (:func:`~semples_mmseg.pseudo_masks.sam_seeding.
   sam_seeds` through ``seed_pass``, as ``tools/sam/make_sam_seeds.py``)
   turns regions + CAMs into seeds, once per background exponent gamma;
4. every folder is scored against the split's GT masks with the library's
   :func:`~semples_mmseg.pseudo_masks.export.score_masks` (mIoU over the
   background and the 6 objects).

Each step is a phase (``phase_records.py``): its folder's ``phase.json``
records a fingerprint of its inputs (world, id list, config, checkpoint bytes,
threshold, SLIC scales, gamma), so a rerun reuses every finished step.
"""
import hashlib
import json
import os
import os.path as osp
import time
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np

from .phase_records import (config_fingerprint, finished, fingerprint,
                            write_record)

#: FMA-WSSS's background exponent of its fine VOC seeds (coarse: 0.6)
VOC_GAMMA = 0.7
#: a light sweep around VOC's values up to the toy CAMs' lower thresholds
DEFAULT_GAMMAS = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.5, 2.0, 3.0, 4.0)
#: the library's default SLIC scales (fine to coarse, the coarsest on top)
DEFAULT_SLIC = (400, 100, 25)
#: the demo's CAM networks: table name, checkpoint under the demo's folder,
#: the row of the demo's results.json that chose its threshold
SIDES = (('WeakTr baseline', 'weaktr/baseline.pth', 'baseline'),
         ('SemPLeS stage 3', 'semples/best_stage3.pth', 'semples'))
SCORES = 'scores.json'
REGIONS = 'regions.json'


@dataclass
class RouteSide:
    """One CAM network of the route."""
    name: str
    config: str
    checkpoint: str
    threshold: float
    threshold_source: str


def file_digest(path: str) -> str:
    """16 hex digits of the SHA-256 of a file's bytes."""
    sha = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            sha.update(block)
    return sha.hexdigest()[:16]


def demo_sides(from_dir: str, *, baseline_config: str,
               semples_config: str) -> List[RouteSide]:
    """The baseline and SemPLeS stage-3 networks of a finished demo folder.

    Each side's background threshold is the one the demo's table chose
    (``{from_dir}/results.json``, its ``threshold_max``, from the val
    split); without that file, the config's ``test_cfg.bg_threshold``.
    """
    from mmengine.config import Config
    configs = dict(baseline=baseline_config, semples=semples_config)
    results_path = osp.join(from_dir, 'results.json')
    results = None
    if osp.isfile(results_path):
        with open(results_path) as f:
            results = json.load(f)
    sides = []
    for name, ckpt, which in SIDES:
        config = configs[which]
        if results is not None and name in results:
            row = results[name]
            threshold = float(row.get('threshold_max', row['threshold']))
            source = f'{results_path} (val split)'
        else:
            threshold = float(Config.fromfile(config).model.test_cfg[
                'bg_threshold'])
            source = f'{osp.basename(config)} test_cfg.bg_threshold'
        sides.append(RouteSide(name=name, config=config,
                               checkpoint=osp.join(from_dir, ckpt),
                               threshold=threshold, threshold_source=source))
    return sides


def route_input_problems(world: str, ann_file: str,
                         sides: Sequence[RouteSide],
                         n_segments: Sequence[int],
                         gammas: Sequence[float]) -> List[str]:
    """One line per input that would stop the route, before any compute."""
    problems = []
    for path in (osp.join(world, 'world_meta.json'),
                 osp.join(world, ann_file)):
        if not osp.isfile(path):
            problems.append(f'{path}: missing (not a written world?)')
    for side in sides:
        if not osp.isfile(side.checkpoint):
            problems.append(f'{side.checkpoint}: missing ({side.name})')
        if not 0 < side.threshold < 1:
            problems.append(f'{side.name}: threshold {side.threshold} is '
                            'not in (0, 1)')
    if not n_segments or any(int(n) < 1 for n in n_segments):
        problems.append(f'SLIC scales {list(n_segments)}: need one or more '
                        'counts >= 1')
    if not gammas or any(not g > 0 for g in gammas):
        problems.append(f'gammas {list(gammas)}: need one or more values '
                        '> 0')
    return problems


def split_dataset(config: str, world: str, ann_file: str):
    """The world's split ``ann_file`` with ``config``'s test pipeline."""
    from mmengine.config import Config
    from mmseg.registry import DATASETS
    cfg = Config.fromfile(config)
    return DATASETS.build(dict(cfg.test_dataloader.dataset, data_root=world,
                               ann_file=ann_file))


def load_cam_network(side: RouteSide):
    """The segmentor of ``side.config`` with every weight from its
    checkpoint (no initial-weight or CLIP file is read)."""
    from mmengine.config import Config
    from semples_mmseg.apis import load_segmentor
    cfg = Config.fromfile(side.config)
    cfg.model.cam_net.pretrained = None
    if cfg.model.get('clip_guide'):
        cfg.model.clip_guide.pretrained = None
    return load_segmentor(cfg.model, side.checkpoint)


def score_folder(out_dir: str, dataset) -> Dict:
    """Score ``out_dir``'s masks against the split's GT; writes
    ``scores.json`` there and returns the scores."""
    from semples_mmseg.pseudo_masks.export import (gt_pairs, save_scores,
                                                   score_masks)
    pairs = gt_pairs(dataset)
    if not pairs:
        raise ValueError(f'{dataset.ann_file}: no GT masks to score against')
    scores = score_masks(out_dir, pairs, dataset.metainfo['classes'])
    save_scores(scores, out_dir)
    return scores


def export_threshold_masks(model, dataset, out_dir: str, *,
                           threshold: float, crf: bool,
                           save_cams: bool) -> Dict:
    """Threshold (+ CRF) masks of every image, scored."""
    from semples_mmseg.pseudo_masks.export import cam_pass
    refine = None
    if crf:
        from semples_mmseg.pseudo_masks.dense_crf import crf_refine_labels
        refine = crf_refine_labels
    os.makedirs(osp.join(out_dir, 'cams') if save_cams else out_dir,
                exist_ok=True)
    cam_pass(model, dataset, range(len(dataset)), out_dir=out_dir,
             threshold=threshold, crf=refine, save_cams=save_cams,
             progress=False)
    return score_folder(out_dir, dataset)


def export_slic_regions(dataset, out_dir: str, *,
                        n_segments: Sequence[int]) -> Dict:
    """SLIC region files of every image; the counts of
    :func:`region_pass`."""
    from semples_mmseg.pseudo_masks.region_export import region_pass
    from semples_mmseg.pseudo_masks.superpixel_regions import slic_regions
    from semples_mmseg.utils.atomic_files import write_json_atomically
    os.makedirs(out_dir, exist_ok=True)
    paths = [dataset.get_data_info(i)['img_path']
             for i in range(len(dataset))]
    counts = region_pass(
        lambda image: slic_regions(image, n_segments=tuple(n_segments)),
        paths, range(len(paths)), out_dir=out_dir, progress=False)
    write_json_atomically(dict(counts, n_segments=list(n_segments)),
                          osp.join(out_dir, REGIONS))
    return counts


def export_seeds(dataset, out_dir: str, *, regions_dir: str, cams_dir: str,
                 gamma: float) -> Dict:
    """SAM-based seeds from the region and CAM files, scored."""
    from semples_mmseg.pseudo_masks.export import save_scores
    from semples_mmseg.pseudo_masks.region_export import region_path
    from semples_mmseg.pseudo_masks.seed_export import (SeedInput, cam_file,
                                                        seed_input_problems,
                                                        seed_pass)
    items = []
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        items.append(SeedInput(
            img_path=info['img_path'],
            region_path=region_path(regions_dir, info['img_path']),
            cam_path=cam_file(cams_dir, info['img_path']),
            labels=np.asarray(info['img_labels'])))
    problems = seed_input_problems(items)
    if problems:
        raise ValueError(f'{len(problems)} seed input problem(s): ' +
                         '; '.join(problems[:3]))
    os.makedirs(out_dir, exist_ok=True)
    counts = seed_pass(items, out_dir=out_dir, gamma=gamma, progress=False)
    scores = score_folder(out_dir, dataset)
    scores['images_without_masks'] = counts['images_without_masks']
    save_scores(scores, out_dir)
    return scores


def slic_name(n_segments: Sequence[int]) -> str:
    """``slic400-100-25``: names the folders of one set of SLIC scales, so
    several sets share a work folder and its CAMs."""
    return 'slic' + '-'.join(str(int(n)) for n in n_segments)


def seeds_name(n_segments: Sequence[int], gamma: float) -> str:
    return f'seeds_{slic_name(n_segments)}_gamma{gamma:g}'


class SamRoute:
    """The route's phases in ``work_dir``; :meth:`run` returns the scores.

    Args:
        world: a written world folder (VOC layout).
        sides: the CAM networks.
        work_dir: where the phases write (one folder each).
        ann_file: the id list of the split, relative to ``world``.
        n_segments: SLIC superpixel count per level (level 0 first).
        gammas: background exponents of the seeding.
        log: progress lines.
    """

    def __init__(self, *, world: str, sides: Sequence[RouteSide],
                 work_dir: str, ann_file: str,
                 n_segments: Sequence[int] = DEFAULT_SLIC,
                 gammas: Sequence[float] = DEFAULT_GAMMAS,
                 log: Callable[[str], None] = print) -> None:
        self.world = world
        self.sides = list(sides)
        self.work_dir = work_dir
        self.ann_file = ann_file
        self.n_segments = [int(n) for n in n_segments]
        self.gammas = [float(g) for g in gammas]
        self.log = log
        self.world_key = fingerprint(
            file_digest(osp.join(world, 'world_meta.json')),
            file_digest(osp.join(world, ann_file)))

    def side_dir(self, side: RouteSide) -> str:
        return osp.join(self.work_dir, side.name.lower().replace(' ', '_'))

    def phase(self, name: str, folder: str, key: str,
              run: Callable[[], object], output: str = SCORES) -> Dict:
        """``run()`` unless ``folder`` holds a finished record of ``key``;
        the JSON file ``output`` it writes in ``folder`` either way."""
        outputs = [osp.join(folder, output)]
        if finished(folder, key, outputs):
            self.log(f'{name}: reusing {folder}')
        else:
            self.log(f'{name}: writing {folder}')
            start = time.time()
            run()
            write_record(folder, key, seconds=round(time.time() - start, 1),
                         outputs=outputs)
        with open(outputs[0]) as f:
            return json.load(f)

    def run(self) -> Dict:
        """Every phase; ``{side name: {'threshold': t, 'plain': scores,
        'crf': scores, 'seeds': {gamma: scores}}}`` plus ``'regions'``."""
        dataset = split_dataset(self.sides[0].config, self.world,
                                self.ann_file)
        regions_dir = osp.join(self.work_dir,
                               f'{slic_name(self.n_segments)}_regions')
        regions_key = fingerprint('slic regions', self.world_key,
                                  self.n_segments)
        results = dict(regions=self.phase(
            'regions', regions_dir, regions_key,
            lambda: export_slic_regions(dataset, regions_dir,
                                        n_segments=self.n_segments),
            output=REGIONS))
        for side in self.sides:
            results[side.name] = self.run_side(side, dataset, regions_dir,
                                               regions_key)
        return results

    def run_side(self, side: RouteSide, dataset, regions_dir: str,
                 regions_key: str) -> Dict:
        folder = self.side_dir(side)
        model = None

        def network():
            nonlocal model
            if model is None:
                model = load_cam_network(side)
            return model

        cams_key = fingerprint('threshold masks', self.world_key,
                               config_fingerprint(side.config),
                               file_digest(side.checkpoint), side.threshold)
        plain_dir = osp.join(folder, 'threshold')
        crf_dir = osp.join(folder, 'threshold_crf')
        out = dict(threshold=side.threshold,
                   threshold_source=side.threshold_source)
        out['plain'] = self.phase(
            f'{side.name}: threshold masks + CAMs', plain_dir, cams_key,
            lambda: export_threshold_masks(
                network(), dataset, plain_dir, threshold=side.threshold,
                crf=False, save_cams=True))
        out['crf'] = self.phase(
            f'{side.name}: threshold + CRF masks', crf_dir,
            fingerprint('crf', cams_key),
            lambda: export_threshold_masks(
                network(), dataset, crf_dir, threshold=side.threshold,
                crf=True, save_cams=False))
        out['seeds'] = {}
        for gamma in self.gammas:
            seeds_dir = osp.join(folder,
                                 seeds_name(self.n_segments, gamma))
            out['seeds'][gamma] = self.phase(
                f'{side.name}: SLIC seeds, gamma {gamma:g}', seeds_dir,
                fingerprint('seeds', regions_key, cams_key, gamma),
                lambda: export_seeds(dataset, seeds_dir,
                                     regions_dir=regions_dir,
                                     cams_dir=osp.join(plain_dir, 'cams'),
                                     gamma=gamma))
        return out


def _cell(value: Optional[float]) -> str:
    return '-' if value is None else f'{value:.1f}'


def route_tables(results: Dict, *, gamma: float,
                 n_segments: Sequence[int]) -> str:
    """Markdown: the main table at ``gamma``, the gamma sweep and the
    per-class IoU of the seeds at ``gamma``."""
    sides = [k for k in results if k != 'regions']
    regions = results['regions']
    levels = ' / '.join(str(n) for n in n_segments)
    lines = [
        f'SLIC superpixels at {len(n_segments)} scales ({levels} segments '
        f'as levels 0-{len(n_segments) - 1}; the last on top) stand in for '
        f'SAM masks: these are not SAM masks. '
        f"{regions['images']} images, "
        f"{regions['masks'] / max(regions['images'], 1):.1f} regions per "
        'image. Mask mIoU (%) over the background and the 6 objects:', '',
        '| CAMs | threshold | (a) threshold | (b) threshold + CRF | '
        f'SLIC seeds, gamma {gamma:g} | seeds - (a) | seeds - (b) |',
        '|---|---|---|---|---|---|---|'
    ]
    for name in sides:
        row = results[name]
        a, b = row['plain']['mIoU'], row['crf']['mIoU']
        s = _seed_scores(row, gamma)['mIoU']
        lines.append(f"| {name} | {row['threshold']:.2f} | {a:.1f} | "
                     f'{b:.1f} | {s:.1f} | {s - a:+.1f} | {s - b:+.1f} |')
    gammas = sorted({float(g) for name in sides
                     for g in results[name]['seeds']})
    lines += ['', 'Seeds over the background exponent (the sweep is scored '
              'against the GT it would be chosen on: its best is an oracle '
              'value):', '',
              '| CAMs | ' + ' | '.join(f'gamma {g:g}' for g in gammas) + ' |',
              '|---|' + '---|' * len(gammas)]
    for name in sides:
        cells = [_cell(_seed_scores(results[name], g).get('mIoU'))
                 for g in gammas]
        lines.append(f'| {name} | ' + ' | '.join(cells) + ' |')
    classes = list(results[sides[0]]['plain']['per_class'])
    lines += ['', f'Per-class IoU (%), gamma {gamma:g} for the seeds:', '',
              '| CAMs | masks | ' + ' | '.join(classes) + ' |',
              '|---|---|' + '---|' * len(classes)]
    for name in sides:
        row = results[name]
        for label, scores in (('(a) threshold', row['plain']),
                              ('(b) + CRF', row['crf']),
                              ('SLIC seeds', _seed_scores(row, gamma))):
            cells = [_cell(scores['per_class'][c]) for c in classes]
            lines.append(f'| {name} | {label} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def _seed_scores(row: Dict, gamma: float) -> Dict:
    for key, scores in row['seeds'].items():
        if abs(float(key) - gamma) < 1e-9:
            return scores
    return {}
