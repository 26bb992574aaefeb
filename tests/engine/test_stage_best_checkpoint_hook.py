"""StageBestCheckpointHook with a stand-in runner: which epoch becomes each
stage's best checkpoint, the record of each validation, and what a resumed
run restores or validates again. (The real runs: test_resume_exact.py,
test_label_free_selection.py, test_baseline_redo_validation.py.)"""
import itertools
import json

import pytest
import torch
from mmengine.logging import MessageHub
from mmengine.runner import EpochBasedTrainLoop

from semples_mmseg.engine.hooks import StageBestCheckpointHook
from semples_mmseg.engine.hooks.stage_best_checkpoint_hook import RECORD_FILE

_hubs = itertools.count()


class TwoStageLoop(EpochBasedTrainLoop):
    """Stage 1: epochs 1-3, stage 3: epochs 4-5, every epoch validated."""

    def __init__(self) -> None:  # nothing of mmengine's is needed
        pass

    def validation_due(self, epoch: int) -> bool:
        return True

    def best_checkpoint_name(self, epoch: int) -> str:
        return 'best_stage1.pth' if epoch <= 3 else 'best_stage3.pth'


class StockLoop(EpochBasedTrainLoop):
    def __init__(self) -> None:
        self.val_begin, self.val_interval, self._max_epochs = 1, 2, 5


class Runner:
    """What the hook uses of mmengine's runner; a checkpoint holds its
    epoch."""

    def __init__(self, work_dir, loop) -> None:
        self.work_dir, self._train_loop = str(work_dir), loop
        self.rank, self.iter, self.epoch = 0, 0, 0
        self.message_hub = MessageHub(f'hook_test_{next(_hubs)}')
        self.validated = []
        self.val_loop = self

    def save_checkpoint(self, out_dir, filename, **kwargs) -> None:
        torch.save(dict(epoch=kwargs['meta']['epoch']),
                   f'{out_dir}/{filename}')

    def run(self) -> None:  # val_loop.run()
        self.validated.append(self.epoch)


def saved_epoch(work_dir, name):
    return torch.load(work_dir / name)['epoch']


def validate(hook, runner, epoch, score, key='mIoU'):
    runner.epoch = epoch
    hook.after_val_epoch(runner, {key: score})


@pytest.mark.parametrize('rule,scores,best1,best3', [
    ('greater', [50, 70, 60, 10, 20], 2, 5),
    ('less', [50, 70, 40, 10, 20], 3, 4),
])
def test_each_stage_keeps_its_best_epoch_by_the_rule(tmp_path, rule, scores,
                                                     best1, best3):
    hook = StageBestCheckpointHook(save_best='mIoU', rule=rule)
    runner = Runner(tmp_path, TwoStageLoop())
    for epoch, score in enumerate(scores, 1):
        validate(hook, runner, epoch, score)
    assert saved_epoch(tmp_path, 'best_stage1.pth') == best1
    assert saved_epoch(tmp_path, 'best_stage3.pth') == best3
    record = json.loads((tmp_path / RECORD_FILE).read_text())
    assert record['epoch'] == 5 and record['checkpoint'] == 'best_stage3.pth'
    assert record['metrics'] == {'mIoU': 20}
    assert record['bests'] == {'semples_best_stage1': scores[best1 - 1],
                               'semples_best_stage3': scores[best3 - 1]}


def test_last_keeps_each_stage_end_without_validating(tmp_path):
    class StageEnds(TwoStageLoop):
        def validation_due(self, epoch):
            return epoch in (3, 5)

    hook = StageBestCheckpointHook(rule='last')
    runner = Runner(tmp_path, StageEnds())
    for epoch in range(5):
        runner.epoch = epoch  # mmengine counts it up after the hook
        hook.after_train_epoch(runner)
    assert saved_epoch(tmp_path, 'best_stage1.pth') == 3
    assert saved_epoch(tmp_path, 'best_stage3.pth') == 5
    with pytest.raises(KeyError, match="'mIoU'"):
        StageBestCheckpointHook(save_best='mIoU', rule='greater')._choose(
            runner, StageEnds(), 5, {'held_out': 1.0})
    with pytest.raises(ValueError, match="'best'"):
        StageBestCheckpointHook(save_best='mIoU', rule='best')


def resumed(tmp_path, loop, epoch):
    """A fresh hook and runner resumed from an epoch-``epoch``
    checkpoint, up to before_train."""
    hook = StageBestCheckpointHook(save_best='mIoU', rule='greater') \
        if isinstance(loop, TwoStageLoop) else StageBestCheckpointHook()
    runner = Runner(tmp_path, loop)
    runner.epoch = epoch
    hook.after_load_checkpoint(runner, dict(meta=dict(epoch=epoch)))
    hook.before_train(runner)
    return runner


def test_a_validation_killed_after_its_checkpoint_is_redone(tmp_path):
    hook = StageBestCheckpointHook(save_best='mIoU', rule='greater')
    runner = Runner(tmp_path, TwoStageLoop())
    validate(hook, runner, 1, 50)
    # the run was killed during epoch 2's validation
    assert resumed(tmp_path, TwoStageLoop(), 2).validated == [2]
    # killed after it: its best score (which the epoch checkpoint
    # predates) comes back, nothing is validated again
    validate(hook, runner, 2, 70)
    again = resumed(tmp_path, TwoStageLoop(), 2)
    assert again.validated == []
    assert again.message_hub.get_info('semples_best_stage1') == 70


def test_a_stock_loop_redoes_a_due_validation_only(tmp_path):
    hook = StageBestCheckpointHook()
    runner = Runner(tmp_path, StockLoop())
    runner.message_hub.update_info('best_score', 0.5)  # CheckpointHook's
    validate(hook, runner, 2, 0.5)
    assert not list(tmp_path.glob('best*.pth'))  # CheckpointHook keeps it
    assert json.loads((tmp_path / RECORD_FILE).read_text())['bests'] == {
        'best_score': 0.5}
    assert resumed(tmp_path, StockLoop(), 2).validated == []
    assert resumed(tmp_path, StockLoop(), 3).validated == []  # not due
    assert resumed(tmp_path, StockLoop(), 4).validated == [4]
    assert resumed(tmp_path, StockLoop(), 5).validated == [5]  # the last
