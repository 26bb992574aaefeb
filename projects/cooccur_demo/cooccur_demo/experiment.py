"""The phases of a co-occurrence experiment, each reused when finished.

``Experiment(work_dir, files=DemoFiles(...))`` owns one work folder shared by
the demo and the ablation runner::

    {work}/world/               the world (VOC layout)            world phase
    {work}/toy_clip.pt          the toy CLIP weights (a copy)      clip phase
    {work}/weaktr/baseline.pth  the WeakTr baseline checkpoint     baseline phase
    {work}/semples/             the demo's three SemPLeS stages
    {work}/ablate/runs/<key>/   one ablation run (config + seed)

``work_dirs/cooccur/weaktr/baseline.pth`` and ``work_dirs/cooccur/toy_clip.pt``
are the toy configs' default weight paths, so after the demo every tool runs
on the toy configs with no option. Every phase records its fingerprint
(``phase_records.py``); a rerun with the same world, CLIP, config and seed
reuses it.
The configs and the training tool are files of a checkout, not of this
package: the demo's tools pass them in a ``DemoFiles``.
"""
import os
import os.path as osp
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence

from mmengine.config import Config

from .phase_records import (Progress, config_fingerprint, fingerprint,
                            finished, read_record, write_record)
from .toy_clip import clip_model_cfg
from .toy_clip_training import ensure_toy_clip
from .world import write_world

WORLD = dict(num_train=600, num_val=120, image_size=96, cooccur_prob=0.8,
             seed=0)
SMALL_WORLD = dict(WORLD, num_train=160, num_val=32)
#: the --small toy CLIP (the full one: toy_clip_training.DEFAULT_TRAIN)
SMALL_CLIP = dict(steps=30, num_layouts=200, num_world=60)
SMALL_BASELINE = 'train_cfg = dict(max_epochs=15, val_interval=15)\n'


@dataclass(frozen=True)
class DemoFiles:
    """The files an experiment runs, passed in by the demo's tools.

    Args:
        baseline_config: the WeakTr baseline (``configs/weaktr/toy_cooccur.py``
            of the demo).
        semples_config: SemPLeS on it (``configs/semples/toy_cooccur.py``);
            its ``model.clip_guide.model_cfg`` is the toy CLIP trained.
        ablation_dir: the ablation rows (``configs/semples/ablations``).
        train_tool: the repository's ``tools/train.py``.
    """
    baseline_config: str
    semples_config: str
    ablation_dir: str
    train_tool: str


def log_line(msg: str) -> None:
    print(f'[cooccur {time.strftime("%H:%M:%S")}] {msg}', flush=True)


def atomic_copy(src: str, dst: str) -> None:
    """Copy ``src`` to ``dst`` through a temporary file (never half there)."""
    os.makedirs(osp.dirname(osp.abspath(dst)), exist_ok=True)
    shutil.copyfile(src, dst + '.tmp')
    os.replace(dst + '.tmp', dst)


def derived_config(path: str, base: str, text: str) -> str:
    """Write a config file inheriting ``base`` with ``text`` below it."""
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    with open(path + '.tmp', 'w') as f:
        f.write(f"_base_ = ['{osp.abspath(base)}']\n{text}")
    os.replace(path + '.tmp', path)
    return path


def train_subprocess(config: str, work_dir: str, options: Sequence[str],
                     log: Callable[[str], None] = log_line, *,
                     train_tool: str, resume: bool = False) -> None:
    """``train_tool config --work-dir work_dir [--resume] --cfg-options
    ...`` (``resume``: continue from the newest checkpoint of
    ``work_dir``)."""
    cmd = [sys.executable, train_tool, config, '--work-dir', work_dir]
    if resume:
        cmd.append('--resume')
    if options:
        cmd += ['--cfg-options', *options]
    log('running ' + ' '.join(cmd[1:]))
    subprocess.run(cmd, check=True)


def train_in_process(config: str, work_dir: str, options: Sequence[str],
                     log: Callable[[str], None] = log_line, *,
                     resume: bool = False) -> None:
    """What ``tools/train.py [--resume]`` does, in this process (no
    interpreter start per run: the ablation runner's many short runs)."""
    from mmengine.config import DictAction
    from mmengine.runner import Runner
    from semples_mmseg.engine.cpu_distributed import finish_launch, prepare_launch
    cfg = Config.fromfile(config)
    cfg.launcher = 'none'
    cfg.merge_from_dict({
        k: DictAction._parse_iterable(v)
        for k, v in (o.split('=', 1) for o in options)
    })
    cfg.work_dir = work_dir
    if resume:
        from semples_mmseg.engine.exact_resume.resume_checkpoint import \
            resolve_resume_checkpoint
        cfg.load_from = resolve_resume_checkpoint(work_dir)
        cfg.resume = cfg.load_from is not None
    log(f'training {config} in {work_dir}' +
        (f' from {cfg.load_from}' if resume else ''))
    prepare_launch(cfg, 'none')
    runner = Runner.from_cfg(cfg)
    runner.train()
    finish_launch(runner)
    del runner


class Experiment:
    """The shared phases of the demo and the ablation runner.

    Args:
        work_dir: the experiment folder (default of the tools:
            ``work_dirs/cooccur``).
        files: the configs and the training tool.
        small: the test suite's tiny world, toy CLIP and baseline.
        progress: the job's progress line (phase names must be planned).
        log: where messages go.
    """

    def __init__(self,
                 work_dir: str,
                 *,
                 files: DemoFiles,
                 small: bool = False,
                 progress: Optional[Progress] = None,
                 log: Callable[[str], None] = log_line) -> None:
        self.work = osp.abspath(work_dir)
        self.files = files
        self.small = small
        self.world_params = SMALL_WORLD if small else WORLD
        self.world = osp.join(self.work, 'world')
        self.progress = progress
        self.log = log
        self.keys: Dict[str, str] = {}
        self.clip_path: Optional[str] = None
        self.baseline_ckpt = osp.join(self.work, 'weaktr', 'baseline.pth')
        os.makedirs(self.work, exist_ok=True)

    # --------------------------------------------------------------
    def phase(self, name: str, folder: str, key: str,
              outputs: Sequence[str], run: Callable[[], None]) -> bool:
        """Run ``run`` unless ``folder`` records ``key`` with ``outputs``
        present; returns True when reused."""
        if self.progress:
            self.progress.begin(name)
        reused = finished(folder, key, outputs)
        if reused:
            self.log(f'{name}: reusing {folder} (finished before with the '
                     'same inputs)')
        else:
            start = time.time()
            run()
            missing = [p for p in outputs if not osp.exists(p)]
            if missing:
                raise RuntimeError(f'{name} finished without writing '
                                   f'{missing}')
            write_record(folder, key, seconds=round(time.time() - start, 1),
                         outputs=list(outputs))
        if self.progress:
            self.progress.end(name, reused)
        return reused

    def data_options(self) -> List[str]:
        return [f'{s}_dataloader.dataset.data_root={self.world}'
                for s in ('train', 'val', 'test')]

    # --------------------------------------------------------------
    def ensure_world(self) -> str:
        key = fingerprint('world', self.world_params)
        meta = osp.join(self.world, 'world_meta.json')

        def run():
            if osp.isdir(self.world):
                shutil.rmtree(self.world)
            self.log(f'writing the world to {self.world}')
            write_world(self.world, **self.world_params)

        self.phase('world', self.world, key, [meta], run)
        self.keys['world'] = key
        return self.world

    def ensure_clip(self) -> str:
        """The toy CLIP (trained or from the cache), copied atomically to
        ``{work}/toy_clip.pt``."""
        out = osp.join(self.work, 'toy_clip.pt')
        folder = osp.join(self.work, 'toy_clip')
        options = dict(SMALL_CLIP, eval_layouts=0) if self.small else {}
        key = fingerprint('clip', self.keys['world'], options)

        def run():
            result = ensure_toy_clip(
                model_cfg=clip_model_cfg(self.files.semples_config),
                world=self.world, log=self.log, **options)
            atomic_copy(result['path'], out)

        self.phase('toy CLIP', folder, key, [out], run)
        self.keys['clip'] = key
        self.clip_path = out
        return out

    def train_subprocess(self,
                         config: str,
                         work_dir: str,
                         options: Sequence[str],
                         log: Callable[[str], None] = log_line, *,
                         resume: bool = False) -> None:
        """``train_subprocess`` with this experiment's training tool."""
        train_subprocess(config, work_dir, options, log,
                         train_tool=self.files.train_tool, resume=resume)

    def baseline_config(self) -> str:
        if not self.small:
            return self.files.baseline_config
        return derived_config(
            osp.join(self.work, 'configs', 'small_weaktr_toy_cooccur.py'),
            self.files.baseline_config, SMALL_BASELINE)

    def ensure_baseline(self, trainer: Optional[Callable] = None) -> str:
        """The WeakTr baseline; its best (or last) checkpoint is copied
        atomically to ``{work}/weaktr/baseline.pth``."""
        trainer = trainer or self.train_subprocess
        folder = osp.join(self.work, 'weaktr')
        config = self.baseline_config()
        options = self.data_options()
        key = fingerprint('baseline', self.keys['world'],
                          config_fingerprint(config, options))

        def run():
            trainer(config, folder, options, log=self.log)
            best = sorted(f for f in os.listdir(folder)
                          if f.startswith('best_mIoU_') and f.endswith('.pth'))
            epochs = Config.fromfile(config).train_cfg.max_epochs
            src = osp.join(folder, best[-1] if best else
                           f'epoch_{epochs}.pth')
            atomic_copy(src, self.baseline_ckpt)

        self.phase('WeakTr baseline', folder, key, [self.baseline_ckpt], run)
        self.keys['baseline'] = key
        return self.baseline_ckpt

    def weight_options(self) -> List[str]:
        """Data root and the two weight files of a SemPLeS toy config."""
        return self.data_options() + [
            f'model.cam_net.pretrained={self.baseline_ckpt}',
            f'model.clip_guide.pretrained={self.clip_path}'
        ]

    def train_semples(self, name: str, config: str, folder: str,
                      outputs: Sequence[str], seed: Optional[int] = None,
                      upstream: Sequence[str] = (),
                      trainer: Optional[Callable] = None) -> bool:
        """One SemPLeS training run of ``config`` (with the experiment's
        world and weights) into ``folder``; reused when finished."""
        trainer = trainer or self.train_subprocess
        options = self.weight_options()
        if seed is not None:
            options.append(f'randomness.seed={seed}')
        key = fingerprint('semples', self.keys['baseline'], self.keys['clip'],
                          config_fingerprint(config, options), list(upstream))
        return self.phase(
            name, folder, key, [osp.join(folder, o) for o in outputs],
            lambda: trainer(config, folder, options, log=self.log))

    def record(self, folder: str) -> Optional[dict]:
        return read_record(folder)
