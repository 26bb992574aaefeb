"""The paper's ablation tables on the co-occurrence world, over seeds.

Each table is a list of rows; a row is a config file of the demo's
``configs/semples/ablations/`` (``DemoFiles.ablation_dir``) and the checkpoint
that holds its result.
For every seed the runner trains stage 1 once (the ``L_match only`` row,
``toy_t4_match_only.py``) and starts every row whose stage list begins with
that same stage 1 from its checkpoint (``load_from``; stage 3 restarts from
the baseline, ``cam_init_checkpoint``), so rows differ only where their
configs differ. The WeakTr baseline, the toy CLIP and the world are shared by
all rows and seeds; ``randomness.seed`` is the seed. Runs are keyed by their
resolved config, seed and inputs: a row two tables share (lambda 0.05 of
Table 5 = SemPLeS of Table 4 = 1 round of Table 6) runs once, and a rerun
reuses every finished run and evaluation.
"""
import json
import os
import os.path as osp
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np
from mmengine.config import Config

from .experiment import (DemoFiles, Experiment, derived_config, log_line,
                         train_in_process)
from .phase_records import Progress, fingerprint, finished
from .seed_stats import mean_std, paired_difference
from .world import OBJECT_NAMES

STAGE1_ROW = 'toy_t4_match_only.py'


@dataclass
class Row:
    label: str
    config: str  # file name in DemoFiles.ablation_dir
    checkpoint: str = 'best_stage3.pth'
    paper: Optional[float] = None  # the paper's VOC seed mIoU, for context


@dataclass
class Table:
    name: str
    title: str
    rows: List[Row]
    reference: str  # label of the row every other row is compared with
    note: str = ''

    def row(self, label: str) -> Row:
        return next(r for r in self.rows if r.label == label)


MATCH_ONLY = Row('L_match only', STAGE1_ROW, 'best_stage1.pth', 67.6)
FULL = Row('SemPLeS (all losses)', 'toy_t4_full.py', paper=68.7)
TABLES: Dict[str, Table] = {
    'table4': Table('table4', 'Table 4: loss combinations', [
        MATCH_ONLY,
        Row('+ L_refine, random prompts', 'toy_t4_random_prompts.py',
            paper=67.6),
        Row('prompts with L_prompt^T only', 'toy_t4_prompt_t_only.py',
            paper=67.7),
        Row('prompts with L_prompt^I only', 'toy_t4_prompt_i_only.py',
            paper=67.9),
        FULL,
    ], reference=MATCH_ONLY.label),
    'table5': Table('table5', 'Table 5: refinement weight lambda', [
        Row('lambda = 0', 'toy_t5_lambda_0.py', 'best_stage1.pth', 67.6),
        Row('lambda = 0.01', 'toy_t5_lambda_0_01.py', paper=68.3),
        Row('lambda = 0.02', 'toy_t5_lambda_0_02.py', paper=68.4),
        Row('lambda = 0.05', 'toy_t5_lambda_0_05.py', paper=68.7),
        Row('lambda = 0.1', 'toy_t5_lambda_0_1.py', paper=67.8),
    ], reference='lambda = 0'),
    'table6': Table('table6', 'Table 6: training schemes', [
        Row('joint training', 'toy_t6_joint.py', paper=65.9),
        Row('sequential, 1 round', 'toy_t6_rounds_1.py', paper=68.7),
        Row('sequential, 2 rounds', 'toy_t6_rounds_2.py',
            'best_stage3_round2.pth', 68.5),
        Row('sequential, 3 rounds', 'toy_t6_rounds_3.py',
            'best_stage3_round3.pth', 68.4),
        Row('L_match only, 24 epochs', 'toy_ctl_match_only_24e.py',
            'best_stage1.pth'),
    ], reference='sequential, 1 round',
        note='joint: all losses in one 12-epoch stage from the baseline; '
        'rounds >= 2 continue stage 3 from the previous round, so the CAM '
        'network trains 24 (36) epochs: L_match only for 24 epochs is the '
        'budget of 2 rounds without prompts.'),
    'controls': Table('controls', 'Controls: what refinement can do here', [
        MATCH_ONLY,
        Row('learned prompts (SemPLeS)', 'toy_t4_full.py', paper=68.7),
        Row('manual home-scene prompts', 'toy_ctl_manual_prompts.py'),
        Row('home-scene image embeddings', 'toy_ctl_scene_images.py'),
    ], reference=MATCH_ONLY.label,
        note='manual: "a photo of {home scene}." per class; image: the mean '
        'CLIP embedding of 16 bare renders of the home scene.'),
}
#: --small: every stage 1 epoch on the first SMALL_TRAIN train images of the
#: tiny world (Experiment(small=True)), evaluated on its first SMALL_VAL
SMALL_EPOCHS = 1
SMALL_TRAIN = 32
SMALL_VAL = 8


def stage_list(config: str) -> List[dict]:
    return [dict(s) for s in Config.fromfile(config).train_cfg.stages]


def small_stages(stages: Sequence[dict]) -> List[dict]:
    return [dict(s, max_epochs=SMALL_EPOCHS) for s in stages]


def config_literal(value):
    """ConfigDict -> dict (recursively) for repr in a derived config."""
    if isinstance(value, dict):
        return {k: config_literal(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(config_literal(v) for v in value)
    return value


class AblationRunner:
    """Runs tables over seeds in an ``Experiment`` folder.

    Args:
        experiment: the shared world / toy CLIP / baseline phases.
        threshold_rule: ``'greedy'`` or ``'max'`` seed-threshold rule.
        trainer: how a config is trained (default in this process).
    """

    def __init__(self,
                 experiment: Experiment,
                 *,
                 threshold_rule: str = 'greedy',
                 trainer: Callable = train_in_process) -> None:
        self.exp = experiment
        self.threshold_rule = threshold_rule
        self.trainer = trainer
        self.root = osp.join(experiment.work, 'ablate')
        self.stage1 = stage_list(self.config_path(STAGE1_ROW))
        assert len(self.stage1) == 1, self.stage1
        self._eval_cache: Dict[str, dict] = {}

    def config_path(self, name: str) -> str:
        """The ablation config file ``name`` (a row's ``config``)."""
        return osp.join(self.exp.files.ablation_dir, name)

    # --------------------------------------------------------------
    def plan(self, table: Table, seeds: Sequence[int]) -> Dict[str, float]:
        """Phase name -> estimated cost (stage epochs) of every run and
        evaluation the table needs, in order (shared runs once)."""
        weights: Dict[str, float] = {}
        for seed in seeds:
            weights[self.stage1_name(seed)] = self.epochs(self.stage1)
            for row in table.rows:
                stages = self.row_stages(row)
                if stages is not None:
                    weights[self.run_name(row, seed)] = self.epochs(stages)
                weights[self.eval_name(row, seed)] = 1.0
        return weights

    @staticmethod
    def epochs(stages: Sequence[dict]) -> float:
        """Cost in stage-1 epochs (stage 2 epochs cost about a third)."""
        return float(sum(s['max_epochs'] * (0.35 if s['stage'] == 2 else 1.)
                         for s in stages))

    def stage1_name(self, seed: int) -> str:
        return f'stage 1, seed {seed}'

    def run_name(self, row: Row, seed: int) -> str:
        return f'{row.config[:-3]}, seed {seed}'

    def eval_name(self, row: Row, seed: int) -> str:
        return f'evaluate {row.config[:-3]}/{row.checkpoint}, seed {seed}'

    def row_stages(self, row: Row) -> Optional[List[dict]]:
        """The stages a row trains after the shared stage 1; None when the
        row *is* the shared stage 1."""
        stages = stage_list(self.config_path(row.config))
        if self.exp.small:
            stages = small_stages(stages)
        first = small_stages(self.stage1) if self.exp.small else self.stage1
        if stages == first:
            return None
        return stages

    # --------------------------------------------------------------
    def run_stage1(self, seed: int) -> str:
        """The shared stage-1 run of ``seed``; its folder."""
        stages = small_stages(self.stage1) if self.exp.small else self.stage1
        text = f'train_cfg = dict(stages={config_literal(stages)!r})\n'
        config = derived_config(
            osp.join(self.root, 'configs', f'stage1_seed{seed}.py'),
            self.config_path(STAGE1_ROW), text)
        return self._train(self.stage1_name(seed), config, seed,
                           'best_stage1.pth')

    def run_row(self, row: Row, seed: int, stage1_dir: str) -> str:
        """Train ``row`` for ``seed`` (reused when finished); its folder."""
        stages = self.row_stages(row)
        if stages is None:
            return stage1_dir
        first = small_stages(self.stage1) if self.exp.small else self.stage1
        text = ''
        upstream = []
        if stages[0] == first[0] and len(stages) > 1:
            stages = stages[1:]
            text += (f"load_from = '{osp.join(stage1_dir, 'best_stage1.pth')}'"
                     '\n')
            upstream.append(osp.basename(stage1_dir))
        text += (f'train_cfg = dict(stages={config_literal(stages)!r}, '
                 f"cam_init_checkpoint='{self.exp.baseline_ckpt}')\n")
        config = derived_config(
            osp.join(self.root, 'configs',
                     f'{row.config[:-3]}_seed{seed}.py'),
            self.config_path(row.config), text)
        return self._train(self.run_name(row, seed), config, seed,
                           row.checkpoint, upstream)

    def _train(self, name: str, config: str, seed: int, output: str,
               upstream: Sequence[str] = ()) -> str:
        from .phase_records import config_fingerprint
        options = self.exp.weight_options() + [f'randomness.seed={seed}']
        if self.exp.small:
            options += [f'train_dataloader.dataset.indices={SMALL_TRAIN}',
                        f'val_dataloader.dataset.indices={SMALL_VAL}']
        key = fingerprint('ablation run', self.exp.keys['baseline'],
                          self.exp.keys['clip'],
                          config_fingerprint(config, options), list(upstream))
        folder = osp.join(self.root, 'runs', key)
        if self.exp.progress and name not in self.exp.progress.weights:
            self.exp.progress.weights[name] = 0.
        if finished(folder, key, [osp.join(folder, output)]) and \
                self.exp.progress and name in self.exp.progress.done:
            return folder  # shared by two rows of this job
        self.exp.phase(
            name, folder, key, [osp.join(folder, output)],
            lambda: self.trainer(config, folder, options, log=self.exp.log))
        with open(osp.join(folder, 'config_used.py'), 'w') as f:
            f.write(open(config).read())
        return folder

    def evaluate(self, row: Row, seed: int, folder: str) -> dict:
        """Seed mIoU / FP of the row's checkpoint (reused when finished)."""
        from . import world_eval
        ckpt = osp.join(folder, row.checkpoint)
        out = osp.join(folder, 'eval_' + row.checkpoint[:-4] + '.json')
        record_dir = osp.join(folder, 'eval_' + row.checkpoint[:-4])
        config = osp.join(folder, 'config_used.py')
        row_config = self.config_path(row.config)
        key = fingerprint('eval', osp.basename(folder), row.checkpoint,
                          os.stat(ckpt).st_mtime_ns, os.stat(ckpt).st_size)

        def run():
            model = world_eval.load_segmentor(
                config if osp.isfile(config) else row_config, ckpt,
                self.exp.clip_path)
            dataset = world_eval.world_val_dataset(
                row_config, self.exp.world,
                indices=SMALL_VAL if self.exp.small else None)
            layouts = world_eval.val_layouts(self.exp.world_params)
            cams = world_eval.predict_cams(model, dataset)
            score = world_eval.score_cams(
                cams, dataset, layouts,
                world_eval.config_thresholds(row_config), 'greedy')
            with open(out + '.tmp', 'w') as f:
                json.dump(score, f)
            os.replace(out + '.tmp', out)

        self.exp.phase(self.eval_name(row, seed), record_dir, key, [out],
                       run)
        with open(out) as f:
            return json.load(f)

    # --------------------------------------------------------------
    def run_table(self, table: Table, seeds: Sequence[int]) -> dict:
        """Per row and seed the scores; trains / evaluates what is missing."""
        results: Dict[str, Dict[int, dict]] = {r.label: {} for r in
                                                table.rows}
        for seed in seeds:
            stage1_dir = self.run_stage1(seed)
            for row in table.rows:
                folder = self.run_row(row, seed, stage1_dir)
                score = self.evaluate(row, seed, folder)
                score['run'] = osp.relpath(folder, self.exp.work)
                results[row.label][seed] = score
        return results


def summarise(table: Table, results: Dict[str, Dict[int, dict]],
              threshold_rule: str) -> dict:
    """Per row: seed mIoU list, mean / std, paired difference to the
    reference row with its 95% Student-t interval, home-scene FP rates."""
    seeds = sorted(next(iter(results.values())))
    ref = [
        results[table.reference][s][f'miou_{threshold_rule}'] for s in seeds
    ]
    rows = []
    for row in table.rows:
        per_seed = results[row.label]
        mious = [per_seed[s][f'miou_{threshold_rule}'] for s in seeds]
        fp = np.array([per_seed[s][f'fp_{threshold_rule}'] for s in seeds],
                      np.float64)
        rows.append(dict(
            label=row.label, config=row.config, checkpoint=row.checkpoint,
            paper=row.paper, seeds=seeds, miou=mious, **mean_std(mious),
            diff=paired_difference(mious, ref),
            fp_per_class=np.nanmean(fp, 0).tolist(),
            fp_mean=float(np.nanmean(fp)),
            runs=[per_seed[s]['run'] for s in seeds]))
    return dict(table=table.name,
                title=table.title,
                threshold_rule=threshold_rule,
                reference=table.reference,
                note=table.note,
                rows=rows)


def format_or_na(v: float, spec: str = '.1f') -> str:
    return 'n/a' if v is None or not np.isfinite(v) else format(v, spec)


def to_markdown(summary: dict, class_names: Sequence[str]) -> str:
    """The table as Markdown (one line per row)."""
    head = ['row', 'paper (VOC)', 'seed mIoU per seed', 'mean', 'std',
            f"diff to '{summary['reference']}' per seed",
            'diff mean [95% CI]', 'FP home scene (mean)'] + [
                f'FP {c}' for c in class_names]
    lines = [
        f"### {summary['title']} (toy world, "
        f"{len(summary['rows'][0]['seeds'])} seeds, "
        f"{summary['threshold_rule']} threshold rule)", '',
        '| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)
    ]
    for r in summary['rows']:
        d = r['diff']
        is_ref = r['label'] == summary['reference']
        lines.append('| ' + ' | '.join([
            r['label'],
            format_or_na(r['paper']), ', '.join(
                format_or_na(v) for v in r['miou']),
            format_or_na(r['mean']),
            format_or_na(r['std']), 'reference' if is_ref else ', '.join(
                f'{v:+.1f}' for v in d['diffs']), '' if is_ref else
            f"{d['mean']:+.1f} [{format_or_na(d['low'], '+.1f')}, "
            f"{format_or_na(d['high'], '+.1f')}]",
            format_or_na(r['fp_mean']) + '%'
        ] + [format_or_na(v) + '%' for v in r['fp_per_class']]) + ' |')
    if summary.get('note'):
        lines += ['', summary['note']]
    return '\n'.join(lines)


def write_outputs(summary: dict, markdown: str, out_dir: str) -> Dict[str,
                                                                      str]:
    """``{table}.md``, ``{table}.json`` and the summary figure
    ``{table}.png`` in ``out_dir``."""
    from .figures import ablation_figure
    os.makedirs(out_dir, exist_ok=True)
    name = summary['table']
    paths = dict(md=osp.join(out_dir, f'{name}.md'),
                 json=osp.join(out_dir, f'{name}.json'),
                 png=osp.join(out_dir, f'{name}.png'))
    with open(paths['md'], 'w') as f:
        f.write(markdown + '\n')
    with open(paths['json'], 'w') as f:
        json.dump(summary, f, indent=1)
    ablation_figure(summary, paths['png'])
    return paths


def run_job(table_name: str,
            seeds: Sequence[int],
            *,
            work_dir: str,
            files: DemoFiles,
            small: bool,
            threshold_rule: str = 'greedy',
            log: Optional[Callable[[str], None]] = None,
            write: bool = True) -> dict:
    """The whole command: shared phases, the table's runs, the outputs
    (written to ``{work}/ablate/`` unless ``write`` is False)."""
    log = log or log_line
    table = TABLES[table_name]
    progress = Progress({'world': 0.1, 'toy CLIP': 3., 'WeakTr baseline':
                         15.}, log=log)
    exp = Experiment(work_dir, files=files, small=small, progress=progress,
                     log=log)
    runner = AblationRunner(exp, threshold_rule=threshold_rule)
    progress.weights.update(runner.plan(table, seeds))
    exp.ensure_world()
    exp.ensure_clip()
    exp.ensure_baseline()
    results = runner.run_table(table, seeds)
    summary = summarise(table, results, threshold_rule)
    markdown = to_markdown(summary, OBJECT_NAMES)
    paths = write_outputs(summary, markdown, runner.root) if write else {}
    summary['timings'] = progress.summary()
    return dict(summary=summary, markdown=markdown, paths=paths,
                timings=progress.summary())
