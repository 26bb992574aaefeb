"""The CLIMS pair carried through CLIMS's own pipeline on the world.

``ClimsRoute(experiment, files=RouteFiles(...))`` runs, each step a phase
reused when it finished before with the same inputs (``phase_records.py``)::

    baseline CAM (classification)   configs/clims/toy_cam_cooccur.py
      -> CLIMS                      configs/clims/toy_cooccur.py
      -> SemPLeS on CLIMS           configs/semples/clims_toy_cooccur.py
    for each of the two sides (CLIMS, SemPLeS on CLIMS):
      seeds     the val split's CAMs: seed mIoU over the sweep, home-scene
                false positives; the train split's threshold + CRF masks at
                the threshold the val sweep chose
      cams      IRNet's CAM files of the train split
                (tools/irn/make_irn_cams.py)
      ir_label  IR labels (tools/irn/make_ir_labels.py)
      irn       the boundary branch on the frozen backbone of the baseline
                CAM (tools/train.py configs/irn/toy_irn_cooccur.py)
      sem_seg   the random walk's masks, scored on the train split
                (tools/irn/make_sem_seg.py)
      deeplab   DeepLab-V2 trained on them, mIoU on the val split
                (tools/train.py configs/deeplabv2/toy_deeplabv2_cooccur.py)
      scaled/   ir_label, irn, sem_seg and deeplab again with CLIMS's
                IR-label and walk thresholds mapped to the side's CAMs
                (``scaled_thresholds``)

in ``{work}/clims_route/`` (seed 0; another seed: ``clims_route/seed{N}``).
The baseline CAM is copied to ``clims_route/cam.pth``, the toy CLIMS
configs' default initial weights. A training interrupted by a stop
continues from its newest checkpoint when the route is run again with the
same inputs (``phase_records.started``). The configs and tools are files of a
checkout: the demo's ``tools/clims_route.py`` passes them in.
"""
import importlib.util
import json
import math
import os
import os.path as osp
import re
import time
from dataclasses import dataclass
from functools import partial
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np
from mmengine.config import Config
from PIL import Image

from .experiment import (Experiment, atomic_copy, derived_config, log_line,
                         train_in_process)
from .phase_records import (config_fingerprint, fingerprint, mark_started,
                            started)
from . import world_eval

SIDES = (('CLIMS', 'clims'), ('SemPLeS on CLIMS', 'semples'))
#: the IRNet steps' thresholds: ``clims`` CLIMS's constants as the VOC
#: configs run them, ``scaled`` the same constants mapped to the side's
#: CAMs (``scaled_thresholds``), in ``{side}/scaled/``
IR_THRESHOLDS = ('clims', 'scaled')
#: the seed threshold of the CAMs CLIMS's constants were set for (IRNet's
#: and CLIMS's ``cam_eval_thres``)
CLIMS_SEED_THRESHOLD = 0.15
#: the IRNet config's thresholds that ``scaled`` maps
SCALED_KEYS = ('ir_labels.fg_threshold', 'ir_labels.bg_threshold',
               'random_walk.bg_threshold')
LABELS = {side: name for name, side in SIDES}
TRAIN_LIST = 'ImageSets/Segmentation/train.txt'
#: where each stop of --upto ends
UPTO = ('pair', 'walk', 'deeplab')
#: --small: every training one epoch (DeepLab-V2 a few iterations) on the
#: first SMALL_TRAIN train images of the tiny world, scored on SMALL_VAL
SMALL_TRAIN = 8
SMALL_VAL = 4
SMALL_DEEPLAB_ITERS = 2
SMALL_STAGES = ('train_cfg = dict(stages=[\n'
                "    dict(stage=1, max_epochs=1, losses=['match', 'cam'],\n"
                '         lr=dict(cam_net=1e-2, classifier=1e-1),\n'
                "         schedule='poly'),\n"
                '    dict(stage=2, max_epochs=1, '
                'lr=dict(prompt_learner=2.5e-2)),\n'
                "    dict(stage=3, max_epochs=1, losses=['match', 'cam', "
                "'refine'],\n"
                '         lr=dict(cam_net=1e-2, classifier=1e-1),\n'
                "         schedule='poly')])\n")
#: estimated seconds of each phase on a quiet 2-core machine, in order;
#: a side's steps are named '{side}: {step}'
TRAINING_COST = {'baseline CAM': 600, 'CLIMS': 1500,
                 'SemPLeS on CLIMS': 3000}
STEP_COST = {'seeds': 240, 'IRNet CAMs': 180, 'IR labels': 60,
             'boundary branch': 600, 'random walk': 120, 'DeepLab-V2': 600}
#: the steps each --upto stop runs per side
UPTO_STEPS = {'pair': ('seeds', ), 'walk': tuple(STEP_COST)[:-1],
              'deeplab': tuple(STEP_COST)}
#: the steps that run once per --ir-thresholds choice
THRESHOLD_STEPS = ('IR labels', 'boundary branch', 'random walk',
                   'DeepLab-V2')


def step_name(step: str, thresholds: str = 'clims') -> str:
    """A side's step as the progress lines name it."""
    return step if thresholds == 'clims' else f'{step} ({thresholds})'


def planned_phases(upto: str, sides: Sequence[str] = tuple(LABELS),
                   ir_thresholds: Sequence[str] = IR_THRESHOLDS
                   ) -> Dict[str, float]:
    """Phase name -> estimated seconds of a run of ``sides`` up to
    ``upto``, in the order ``ClimsRoute.run`` runs them."""
    out = {'baseline CAM': TRAINING_COST['baseline CAM']}
    for side in sides:
        out[LABELS[side]] = TRAINING_COST[LABELS[side]]
        steps = UPTO_STEPS[upto]
        out.update({f'{LABELS[side]}: {step}': STEP_COST[step]
                    for step in steps if step not in THRESHOLD_STEPS})
        for thresholds in ir_thresholds:
            out.update({
                f'{LABELS[side]}: {step_name(step, thresholds)}':
                STEP_COST[step]
                for step in steps if step in THRESHOLD_STEPS})
    if set(sides) == set(LABELS):
        out['baseline CAM: seeds'] = 60
    return out


def scaled_thresholds(config: str, seed_threshold: float, *,
                      reference: float = CLIMS_SEED_THRESHOLD
                      ) -> Dict[str, float]:
    """``config``'s IR-label and walk thresholds (``SCALED_KEYS``) for CAMs
    whose seed threshold is ``seed_threshold`` rather than ``reference``.

    Each constant x becomes x ** (ln seed_threshold / ln reference), the
    power that takes ``reference`` to ``seed_threshold``: 0 and 1 stay, so
    does the order of the constants and where they sit around the seed
    threshold. CLIMS's 0.30 / 0.10 / 0.2 for CAMs whose seed threshold is
    0.70: 0.797 / 0.649 / 0.739 (rounded to 4 digits).
    """
    if not 0 < seed_threshold < 1:
        raise ValueError(f'seed_threshold must be in (0, 1), got '
                         f'{seed_threshold}')
    cfg = Config.fromfile(config)
    power = math.log(seed_threshold) / math.log(reference)
    out = {}
    for key in SCALED_KEYS:
        section, name = key.split('.')
        out[key] = round(float(cfg[section][name])**power, 4)
    return out


@dataclass(frozen=True)
class RouteFiles:
    """The configs and tools of a checkout that the route runs.

    Args:
        cam_config: the baseline CAM (``configs/clims/toy_cam_cooccur.py``
            of the demo).
        clims_config: CLIMS on it (``configs/clims/toy_cooccur.py``).
        semples_config: SemPLeS on CLIMS
            (``configs/semples/clims_toy_cooccur.py``).
        irn_config: IRNet at the world's size (``configs/irn/``).
        deeplab_config: DeepLab-V2 at the world's size
            (``configs/deeplabv2/``).
        irn_tools: the repository's ``tools/irn`` folder.

    The trainings run the experiment's ``DemoFiles.train_tool``.
    """
    cam_config: str
    clims_config: str
    semples_config: str
    irn_config: str
    deeplab_config: str
    irn_tools: str


def tool_main(folder: str, name: str) -> Callable:
    """``main`` of ``{folder}/{name}.py`` (a tool that takes ``argv``)."""
    spec = importlib.util.spec_from_file_location(
        f'clims_route_{name}', osp.join(folder, f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main


def tool_step(folder: str, name: str, argv: Sequence[str],
              log: Callable[[str], None] = log_line) -> Callable[[], None]:
    """A phase's work: ``python {folder}/{name}.py ARGV`` in this process
    (the command is logged as a user would type it)."""

    def run() -> None:
        log(f'running {osp.join(folder, name)}.py ' + ' '.join(argv))
        tool_main(folder, name)(list(argv))

    return run


def best_checkpoint(folder: str) -> str:
    """The ``best_mIoU_epoch_N.pth`` of ``folder`` (the highest N if
    there are several)."""
    found = [(int(m.group(1)), name) for name in os.listdir(folder)
             for m in [re.match(r'^best_mIoU_epoch_(\d+)\.pth$', name)] if m]
    if not found:
        raise FileNotFoundError(f'no best_mIoU_epoch_N.pth in {folder}')
    return osp.join(folder, max(found)[1])


def write_json(value, path: str) -> None:
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path + '.tmp', 'w') as f:
        json.dump(value, f, indent=1)
    os.replace(path + '.tmp', path)


def read_json(path: str):
    with open(path) as f:
        return json.load(f)


def ir_label_quality(label_dir: str, pairs: Sequence[tuple]) -> Dict:
    """How much of the train split the IR labels commit to and how often
    they are right: ``coverage`` (percent of the GT-labelled pixels that
    are not 255) and ``accuracy`` (percent of those whose label is the
    GT's), over (img_path, gt_path) ``pairs``."""
    from semples_mmseg.pseudo_masks.export import mask_path
    labelled = committed = right = 0
    for img_path, gt_path in pairs:
        label = np.array(Image.open(mask_path(label_dir, img_path)))
        gt = np.array(Image.open(gt_path))
        if label.shape != gt.shape:
            raise ValueError(f'{mask_path(label_dir, img_path)} is '
                             f'{label.shape}, its GT {gt_path} {gt.shape}')
        valid = gt != 255
        sure = valid & (label != 255)
        labelled += int(valid.sum())
        committed += int(sure.sum())
        right += int((label[sure] == gt[sure]).sum())
    return dict(coverage=100. * committed / max(labelled, 1),
                accuracy=100. * right / max(committed, 1))


def seed_and_mask_scores(config: str, checkpoint: str, clip: Optional[str],
                         *,
                         world: str, world_params: dict, out_dir: str,
                         val_images: Optional[int] = None,
                         train_list: str = TRAIN_LIST,
                         masks: bool = True) -> Dict:
    """One side's CAMs scored as the demo and the compatibility table score
    them: on the val split the seed mIoU over ``config``'s sweep (its
    global maximum) and the home-scene false positives; with ``masks``, on
    the train split (``train_list``) the seed mIoU at that threshold and
    the threshold + dense CRF masks (``{out_dir}/masks``) against GT."""
    from semples_mmseg.evaluation import CAMSeedMetric
    from semples_mmseg.pseudo_masks.dense_crf import crf_refine_labels
    from semples_mmseg.pseudo_masks.export import (cam_pass, gt_pairs,
                                                   score_masks)
    from mmseg.registry import DATASETS
    model = world_eval.load_segmentor(config, checkpoint, clip)
    val = world_eval.world_val_dataset(config, world, indices=val_images)
    layouts = world_eval.val_layouts(world_params)[:len(val)]
    thresholds = world_eval.config_thresholds(config)
    seeds = world_eval.score_cams(
        world_eval.predict_cams(model, val), val, layouts, thresholds, 'max')
    out = dict(seed_val=seeds['miou'], threshold=seeds['threshold'],
               fp=seeds['fp'], fp_mean=seeds['fp_mean'],
               seed_val_curve=seeds['curve'])
    if not masks:
        return out
    cfg = Config.fromfile(config)
    train = DATASETS.build(dict(cfg.val_dataloader.dataset, data_root=world,
                                ann_file=train_list))
    metric = CAMSeedMetric(thresholds=list(thresholds))
    metric.dataset_meta = train.metainfo
    mask_dir = osp.join(out_dir, 'masks')
    os.makedirs(mask_dir, exist_ok=True)
    cam_pass(model, train, range(len(train)), out_dir=mask_dir,
             threshold=out['threshold'], crf=crf_refine_labels,
             on_sample=lambda s: metric.process({}, [s.to_dict()]),
             progress=False)
    classes = train.metainfo['classes']
    _, curve = metric.seed_curve(metric.results, len(classes) - 1)
    index = int(np.argmin(np.abs(np.asarray(thresholds) - out['threshold'])))
    scores = score_masks(mask_dir, gt_pairs(train), classes)
    out.update(seed_train=float(curve[index]), crf_masks=scores['mIoU'],
               crf_masks_per_class=scores['per_class'])
    return out


class ClimsRoute:
    """The route's phases on one experiment folder (module docstring).

    Args:
        exp: the demo's experiment (world and toy CLIP already ensured).
        files: the configs and tools.
        seed: ``randomness.seed`` of every training.
        in_process: run the trainings in this process (the small variant)
            rather than through the experiment's ``tools/train.py`` in a
            process of their own.
        ir_thresholds: which of ``IR_THRESHOLDS`` the IRNet steps run
            with, each in its own folders.
    """

    def __init__(self, exp: Experiment, *, files: RouteFiles, seed: int = 0,
                 in_process: bool = False,
                 ir_thresholds: Sequence[str] = IR_THRESHOLDS) -> None:
        unknown = set(ir_thresholds) - set(IR_THRESHOLDS)
        if unknown or not ir_thresholds:
            raise ValueError(f'ir_thresholds must be some of {IR_THRESHOLDS}'
                             f', got {list(ir_thresholds)}')
        self.exp = exp
        self.files = files
        self.seed = seed
        self.in_process = in_process
        self.ir_thresholds = tuple(ir_thresholds)
        self.folder = osp.join(exp.work, 'clims_route',
                               *([f'seed{seed}'] if seed else []))
        self.cam_ckpt = osp.join(self.folder, 'cam.pth')
        self.train_list = TRAIN_LIST
        if exp.small:  # the first SMALL_TRAIN train images, every step
            self.train_list = osp.join(self.folder, 'small_train.txt')
            with open(osp.join(exp.world, TRAIN_LIST)) as f:
                ids = f.read().split()[:SMALL_TRAIN]
            os.makedirs(self.folder, exist_ok=True)
            with open(self.train_list, 'w') as f:
                f.write('\n'.join(ids) + '\n')
        self.keys: Dict[str, str] = {}
        self.ckpts: Dict[str, str] = {}
        self.results: Dict[str, Dict] = {}

    # ------------------------------------------------------------------
    @property
    def small(self) -> bool:
        return self.exp.small

    def subset_options(self, loaders: Sequence[str] = ('train', )
                       ) -> List[str]:
        """The small variant's image subsets (none otherwise)."""
        if not self.small:
            return []
        out = [f'{s}_dataloader.dataset.indices={SMALL_VAL}'
               for s in loaders if s != 'train']
        if 'train' in loaders:
            out += [f'train_dataloader.dataset.ann_file={self.train_list}',
                    'train_dataloader.batch_size=8']
        return out

    def train(self, config: str, folder: str, options: Sequence[str],
              key: str) -> None:
        """Train ``config`` in ``folder``; a training of the same phase
        fingerprint ``key`` that was interrupted there continues from its
        newest checkpoint."""
        resume = started(folder, key)
        if resume:
            self.exp.log(f'{folder}: continuing the interrupted training')
        else:
            removed = mark_started(folder, key)
            if removed:
                self.exp.log(f'{folder}: removed the checkpoints of another '
                             f'training: {", ".join(removed)}')
        if self.in_process:
            train_in_process(config, folder, options, log=self.exp.log,
                             resume=resume)
        else:
            self.exp.train_subprocess(config, folder, options,
                                      log=self.exp.log, resume=resume)

    def shortened(self, config: str, name: str, text: str) -> str:
        """The small variant's one-epoch copy of ``config`` (else it)."""
        if not self.small:
            return config
        return derived_config(
            osp.join(self.exp.work, 'configs', f'small_{name}.py'), config,
            text)

    def pair_options(self, *, clip: bool = True) -> List[str]:
        options = self.exp.data_options() + [
            f'randomness.seed={self.seed}'
        ] + self.subset_options(('train', 'val', 'test'))
        if clip:
            options.append(
                f'model.clip_guide.pretrained={self.exp.clip_path}')
        return options

    # ------------------------------------------------------------------
    def ensure_cam(self) -> str:
        """The baseline CAM: its last epoch (as IRNet's ``res50_cam.pth``),
        copied to ``cam.pth`` (once per route object)."""
        if 'cam' in self.keys:
            return self.cam_ckpt
        folder = osp.join(self.folder, 'cam')
        config = self.shortened(
            self.files.cam_config, 'toy_cam_cooccur',
            'train_cfg = dict(max_epochs=1, val_interval=1)\n')
        options = self.pair_options(clip=False)
        key = fingerprint('clims cam', self.exp.keys['world'],
                          config_fingerprint(config, options))
        epochs = Config.fromfile(config).train_cfg.max_epochs

        def run():
            self.train(config, folder, options, key)
            atomic_copy(osp.join(folder, f'epoch_{epochs}.pth'),
                        self.cam_ckpt)

        self.exp.phase('baseline CAM', folder, key, [self.cam_ckpt], run)
        self.keys['cam'] = key
        return self.cam_ckpt

    def ensure_training(self, side: str) -> str:
        """One side's CAM training from the baseline CAM: CLIMS (its best
        epoch by seed mIoU on the val split, copied to ``best.pth``) or
        SemPLeS on CLIMS (``best_stage3.pth``)."""
        cam = [f'model.cam_net.pretrained={self.cam_ckpt}']
        folder = osp.join(self.folder, side)
        options = self.pair_options() + cam
        if side == 'clims':
            config = self.shortened(
                self.files.clims_config, 'clims_toy_cooccur',
                'train_cfg = dict(max_epochs=1, val_interval=1)\n')
            key = fingerprint('clims', self.keys['cam'],
                              self.exp.keys['clip'],
                              config_fingerprint(config, options))
            ckpt = osp.join(folder, 'best.pth')

            def run():
                self.train(config, folder, options, key)
                atomic_copy(best_checkpoint(folder), ckpt)
        else:
            config = self.shortened(self.files.semples_config,
                                    'semples_clims_toy_cooccur', SMALL_STAGES)
            key = fingerprint('semples clims', self.keys['cam'],
                              self.exp.keys['clip'],
                              config_fingerprint(config, options))
            ckpt = osp.join(folder, 'best_stage3.pth')

            def run():
                self.train(config, folder, options, key)

        self.exp.phase(LABELS[side], folder, key, [ckpt], run)
        self.keys[side], self.ckpts[side] = key, ckpt
        return ckpt

    # ------------------------------------------------------------------
    def side_config(self, side: str) -> str:
        return dict(clims=self.files.clims_config,
                    semples=self.files.semples_config)[side]

    def score_seeds(self, side: str, *, masks: bool = True) -> Dict:
        """The side's seeds and threshold + CRF masks (``seeds.json``)."""
        folder = osp.join(self.folder, side, 'seeds')
        out = osp.join(folder, 'seeds.json')
        key = fingerprint('seeds', self.keys[side], masks)
        self.exp.phase(
            f'{LABELS[side]}: seeds', folder, key, [out], lambda: write_json(
                seed_and_mask_scores(
                    self.side_config(side), self.ckpts[side],
                    self.exp.clip_path, world=self.exp.world,
                    world_params=self.exp.world_params, out_dir=folder,
                    val_images=SMALL_VAL if self.small else None,
                    train_list=self.train_list,
                    masks=masks), out))
        return read_json(out)

    def irn_options(self) -> List[str]:
        """The IRNet steps' datasets: the world's train list."""
        return [f'{name}.{key}={value}'
                for name in ('pseudo_mask_dataset', 'score_dataset')
                for key, value in (('data_root', self.exp.world),
                                   ('ann_file', self.train_list))]

    def threshold_folder(self, side: str, thresholds: str) -> str:
        """Where the IRNet steps of ``side`` with ``thresholds`` write."""
        base = osp.join(self.folder, side)
        return base if thresholds == 'clims' else osp.join(base, thresholds)

    def threshold_settings(self, side: str, thresholds: str
                           ) -> Dict[str, float]:
        """The config keys the IRNet steps change for ``thresholds``: none
        for CLIMS's constants, else ``scaled_thresholds`` at the side's
        seed threshold (chosen on the val split by ``score_seeds``)."""
        if thresholds == 'clims':
            return {}
        return scaled_thresholds(self.files.irn_config,
                                 self.results[side]['threshold'])

    def irn_cams(self, side: str) -> str:
        """The side's IRNet CAM files of the train split (one phase for
        every choice of thresholds); returns the phase's fingerprint."""
        cams = osp.join(self.folder, side, 'cams')
        key = fingerprint('irn cams', self.keys[side], self.train_list)
        if self.keys.get(f'{side} cams') == key:
            return key
        self.exp.phase(
            f'{LABELS[side]}: IRNet CAMs', cams, key, [cams],
            tool_step(self.files.irn_tools, 'make_irn_cams', [
                self.side_config(side), self.ckpts[side], '--out-dir', cams,
                '--ann-file', self.train_list, '--overwrite', '--workers',
                '0', '--cfg-options',
                f'test_dataloader.dataset.data_root={self.exp.world}']))
        self.keys[f'{side} cams'] = key
        return key

    def walk(self, side: str, thresholds: str = 'clims') -> Dict:
        """CAM files -> IR labels -> boundary branch -> random walk, the
        IR labels and the walk with ``thresholds`` (``IR_THRESHOLDS``)."""
        base, label = osp.join(self.folder, side), LABELS[side]
        name = partial(step_name, thresholds=thresholds)
        out = self.threshold_folder(side, thresholds)
        cams, labels = osp.join(base, 'cams'), osp.join(out, 'ir_label')
        irn, sem_seg = osp.join(out, 'irn'), osp.join(out, 'sem_seg')
        irn_cfg = self.shortened(
            self.files.irn_config, 'toy_irn_cooccur',
            'train_cfg = dict(max_epochs=1)\n'
            'param_scheduler = [dict(type="PolyLR", power=0.9, eta_min=0, '
            'by_epoch=True, begin=0, end=1, convert_to_iter_based=True)]\n'
            'train_dataloader = dict(batch_size=8)\n')
        step = partial(tool_step, self.files.irn_tools)
        settings = self.threshold_settings(side, thresholds)
        options = self.irn_options() + [
            f'{key}={value}' for key, value in settings.items()]

        key = fingerprint('ir labels', self.irn_cams(side),
                          config_fingerprint(irn_cfg, options))
        self.exp.phase(
            f'{label}: {name("IR labels")}', labels, key, [labels],
            step('make_ir_labels', [
                irn_cfg, '--cam-dir', cams, '--out-dir', labels,
                '--overwrite', '--workers', '0', '--cfg-options', *options]))

        train_options = [
            f'train_dataloader.dataset.data_root={self.exp.world}',
            f'train_dataloader.dataset.ann_file={self.train_list}',
            f'train_dataloader.dataset.data_prefix.seg_map_path={labels}',
            f'model.pretrained={self.cam_ckpt}',
            f'randomness.seed={self.seed}'
        ]
        epochs = Config.fromfile(irn_cfg).train_cfg.max_epochs
        boundary = osp.join(irn, f'epoch_{epochs}.pth')
        key = fingerprint('boundary', key, self.keys['cam'],
                          config_fingerprint(irn_cfg, train_options))
        self.exp.phase(f'{label}: {name("boundary branch")}', irn, key,
                       [boundary],
                       lambda: self.train(irn_cfg, irn, train_options, key))

        scores = osp.join(sem_seg, 'scores.json')
        key = fingerprint('walk', key)
        self.exp.phase(
            f'{label}: {name("random walk")}', sem_seg, key, [scores],
            step('make_sem_seg', [
                irn_cfg, boundary, '--cam-dir', cams, '--out-dir', sem_seg,
                '--overwrite', '--workers', '0', '--cfg-options', *options]))
        self.keys[f'{side} walk {thresholds}'] = key
        from semples_mmseg.pseudo_masks.export import gt_pairs
        from mmseg.registry import DATASETS
        score_set = DATASETS.build(dict(
            Config.fromfile(irn_cfg).score_dataset, data_root=self.exp.world,
            ann_file=self.train_list))
        return dict(walk=read_json(scores),
                    ir_labels=ir_label_quality(labels, gt_pairs(score_set)),
                    **({'thresholds': settings} if settings else {}))

    def deeplab(self, side: str, thresholds: str = 'clims') -> Dict:
        """DeepLab-V2 on the side's walk masks (those of ``thresholds``);
        mIoU on the val split."""
        from mmengine.runner import Runner
        out = self.threshold_folder(side, thresholds)
        folder = osp.join(out, 'deeplab')
        config = self.shortened(
            self.files.deeplab_config, 'toy_deeplabv2_cooccur',
            f'iterations = {SMALL_DEEPLAB_ITERS}\n'
            'param_scheduler = [dict(type="PolyLR", power=0.9, eta_min=0.0, '
            f'begin=0, end={SMALL_DEEPLAB_ITERS}, by_epoch=False)]\n'
            f'train_cfg = dict(max_iters={SMALL_DEEPLAB_ITERS}, '
            f'val_interval={SMALL_DEEPLAB_ITERS})\n'
            f'default_hooks = dict(checkpoint=dict('
            f'interval={SMALL_DEEPLAB_ITERS}))\n')
        masks = osp.join(out, 'sem_seg')
        options = [
            f'train_dataloader.dataset.data_root={self.exp.world}',
            f'val_dataloader.dataset.data_root={self.exp.world}',
            f'test_dataloader.dataset.data_root={self.exp.world}',
            f'train_dataloader.dataset.data_prefix.seg_map_path={masks}',
            f'randomness.seed={self.seed}'
        ] + self.subset_options(('train', 'val', 'test'))
        iters = Config.fromfile(config).train_cfg.max_iters
        ckpt = osp.join(folder, f'iter_{iters}.pth')
        result = osp.join(folder, 'test.json')
        key = fingerprint('deeplab', self.keys[f'{side} walk {thresholds}'],
                          config_fingerprint(config, options))

        def run():
            self.train(config, folder, options, key)
            cfg = Config.fromfile(config)
            from mmengine.config import DictAction
            cfg.merge_from_dict({
                k: DictAction._parse_iterable(v)
                for k, v in (o.split('=', 1) for o in options)})
            cfg.work_dir = osp.join(folder, 'test')
            cfg.load_from = ckpt
            metrics = Runner.from_cfg(cfg).test()
            write_json({k: float(v) for k, v in metrics.items()},
                       result)

        self.exp.phase(
            f'{LABELS[side]}: {step_name("DeepLab-V2", thresholds)}', folder,
            key, [result], run)
        return read_json(result)

    # ------------------------------------------------------------------
    def run(self, upto: str = 'deeplab',
            sides: Sequence[str] = tuple(LABELS)) -> Dict:
        """Every phase of ``sides`` up to ``upto`` (``UPTO``); returns the
        results (written to ``results.json`` when both sides ran)."""
        if upto not in UPTO:
            raise ValueError(f'upto must be one of {UPTO}, got {upto!r}')
        self.ensure_cam()
        for side in sides:
            self.ensure_training(side)
            self.results[side] = dict(
                name=LABELS[side],
                **self.score_seeds(side, masks=upto != 'pair'))
            if upto == 'pair':
                continue
            for thresholds in self.ir_thresholds:
                scores = self.walk(side, thresholds)
                if upto == 'deeplab':
                    scores['deeplab'] = self.deeplab(side, thresholds)
                if thresholds == 'clims':
                    self.results[side].update(scores)
                else:
                    self.results[side][thresholds] = scores
        if set(sides) != set(LABELS):
            return self.results
        self.results['cam'] = dict(
            name='baseline CAM', **self.score_cam_seeds())
        write_json(dict(self.results, seed=self.seed, upto=upto,
                        finished=time.strftime('%Y-%m-%d %H:%M')),
                   osp.join(self.folder, 'results.json'))
        return self.results

    def score_cam_seeds(self) -> Dict:
        """The baseline CAM's seeds on the val split (where both sides
        start)."""
        folder = osp.join(self.folder, 'cam', 'seeds')
        out = osp.join(folder, 'seeds.json')
        key = fingerprint('cam seeds', self.keys['cam'])
        self.exp.phase(
            'baseline CAM: seeds', folder, key, [out], lambda: write_json(
                seed_and_mask_scores(
                    self.files.cam_config, self.cam_ckpt, None,
                    world=self.exp.world,
                    world_params=self.exp.world_params, out_dir=folder,
                    val_images=SMALL_VAL if self.small else None,
                    masks=False), out))
        return read_json(out)


def results_markdown(results: Dict) -> str:
    """The route's table: the two sides, their difference; the IRNet rows
    once for CLIMS's thresholds and once for each other choice of
    ``IR_THRESHOLDS`` that ran."""
    a, b = results['clims'], results['semples']

    def row(label: str, get: Callable, fmt: str = '{:.1f}') -> str:
        try:
            x, y = get(a), get(b)
        except (KeyError, TypeError):
            return ''
        return (f'| {label} | {fmt.format(x)} | {fmt.format(y)} | '
                f'{y - x:+.1f} |')

    def irnet_rows(scores: Callable, suffix: str = '') -> List[str]:
        out = [
            row(f'IR labels{suffix}: share of pixels labelled, train (%)',
                lambda s: scores(s)['ir_labels']['coverage']),
            row(f'IR labels{suffix}: accuracy of the labelled pixels (%)',
                lambda s: scores(s)['ir_labels']['accuracy']),
            row(f'IRNet random-walk masks{suffix}, train',
                lambda s: scores(s)['walk']['mIoU']),
            row(f'DeepLab-V2 on the walk masks{suffix}, val',
                lambda s: scores(s)['deeplab']['mIoU']),
        ]
        try:
            classes = list(scores(a)['walk']['per_class'])
        except (KeyError, TypeError):
            classes = []
        return out + [
            row(f'walk masks{suffix} IoU {cls}',
                lambda s, c=cls: scores(s)['walk']['per_class'][c])
            for cls in classes]

    rows = ['| CLIMS pair on the world | CLIMS | SemPLeS on CLIMS | delta |',
            '|---|---|---|---|']
    rows += [
        row('seed mIoU, val (best of the sweep)', lambda s: s['seed_val']),
        row('seed threshold', lambda s: s['threshold'], '{:.2f}'),
        row('home-scene FP, val (mean %)', lambda s: s['fp_mean']),
        row('seed mIoU, train (that threshold)', lambda s: s['seed_train']),
        row('threshold + CRF masks, train', lambda s: s['crf_masks']),
    ]
    rows += irnet_rows(lambda s: s)
    for thresholds in IR_THRESHOLDS[1:]:
        if thresholds not in a or thresholds not in b:
            continue
        values = [' / '.join(f'{v:.3f}' for v in side[thresholds][
            'thresholds'].values()) for side in (a, b)]
        rows.append(f'| {thresholds} thresholds (IR fg / IR bg / walk bg) | '
                    f'{values[0]} | {values[1]} | |')
        rows += irnet_rows(lambda s, t=thresholds: s[t], f' ({thresholds})')
    cam = results.get('cam')
    note = ('' if not cam else
            f"\nBoth sides start from the baseline CAM (classification): "
            f"seed mIoU {cam['seed_val']:.1f} on val at "
            f"{cam['threshold']:.2f}, home-scene FP {cam['fp_mean']:.1f}%.")
    return '\n'.join(r for r in rows if r) + '\n' + note
