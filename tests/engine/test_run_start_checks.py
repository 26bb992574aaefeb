"""What a SemPLeS run checks when it starts or resumes: this run's
semples_cam_init.pth, stage inputs, the schedule, the work dir's own
checkpoints."""
import shutil

import pytest
import torch
from mmengine.runner import Runner

from semples_mmseg.utils.fingerprint import tensor_fingerprint
from semples_mmseg.engine.exact_resume.resume_checkpoint import \
    resolve_resume_checkpoint
from fixtures import SimulatedKill, make_voc_fixture
from test_resume_exact import checkpoint, tiny_cfg, train

pytestmark = pytest.mark.slow  # trains models / spawns processes

STAGES = (1, 1, 1)


@pytest.fixture(scope='module')
def killed(tmp_path_factory):
    """A run stopped in stage 2 (epoch_1.pth written, stage 1 validated)."""
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp('start')
    make_voc_fixture(str(root / 'data'), num_images=4)
    work = root / 'killed'
    with pytest.raises(SimulatedKill):
        train(tiny_cfg(root / 'data', work, stages=STAGES,
                       kill=dict(epoch=1, iteration=0)))
    assert (work / 'epoch_1.pth').is_file()
    return root, work


def copy_of(work, tmp_path):
    dst = tmp_path / 'copy'
    shutil.copytree(work, dst)
    return dst


def test_a_stale_cam_init_file_is_replaced_at_epoch_0(killed, tmp_path):
    root, _ = killed
    work = tmp_path / 'work'
    work.mkdir()
    stale = {'head.weight': torch.ones(3)}
    torch.save(stale, work / 'semples_cam_init.pth')  # an old attempt's
    cfg = tiny_cfg(root / 'data', work, stages=(1, 1, 1),
                   kill=dict(epoch=0, iteration=0))
    runner = Runner.from_cfg(cfg)
    with pytest.raises(SimulatedKill):
        runner.train()
    init = torch.load(work / 'semples_cam_init.pth', weights_only=True)
    cam = {k: v for k, v in init['state_dict'].items()}
    assert init['meta']['fingerprint'] == tensor_fingerprint(cam)
    assert torch.equal(cam['head.weight'],
                       runner.model.cam_net.state_dict()['head.weight'])
    assert runner.message_hub.get_info('semples_cam_init_fingerprint') == \
        init['meta']['fingerprint']
    assert not list(work.glob('*.tmp*'))


def test_a_half_written_cam_init_file_stops_the_resume(killed, tmp_path):
    root, work = killed
    work = copy_of(work, tmp_path)
    data = (work / 'semples_cam_init.pth').read_bytes()
    (work / 'semples_cam_init.pth').write_bytes(data[:len(data) // 2])
    with pytest.raises(ValueError, match='semples_cam_init.pth cannot be '
                       r'read \(half-written'):
        train(tiny_cfg(root / 'data', work, stages=STAGES, resume=True))
    assert not (work / 'epoch_2.pth').exists()  # stopped before training


def test_another_runs_cam_init_file_stops_the_resume(killed, tmp_path):
    root, work = killed
    work = copy_of(work, tmp_path)
    init = torch.load(work / 'semples_cam_init.pth', weights_only=True)
    init['state_dict']['head.weight'] += 1
    torch.save(init, work / 'semples_cam_init.pth')
    with pytest.raises(ValueError, match='is not the file this run wrote'):
        train(tiny_cfg(root / 'data', work, stages=STAGES, resume=True))
    assert not (work / 'epoch_2.pth').exists()


def test_resume_with_another_schedule_stops(killed, tmp_path):
    root, work = killed
    work = copy_of(work, tmp_path)
    with pytest.raises(ValueError, match=r"stages\[1\] \['max_epochs'\]: "
                       r"checkpoint \{'max_epochs': 1\} vs config "
                       r"\{'max_epochs': 2\}"):
        train(tiny_cfg(root / 'data', work, stages=(1, 2, 1), resume=True))


def test_a_moved_work_dir_resumes_from_its_own_files(killed, tmp_path):
    root, work = killed
    moved = tmp_path / 'moved'
    shutil.copytree(work, moved)
    # the old location keeps a wrong epoch_1.pth: it must not be read
    old = tmp_path / 'old'
    old.mkdir()
    (old / 'epoch_1.pth').write_bytes(b'garbage')
    (moved / 'last_checkpoint').write_text(str(old / 'epoch_1.pth'))
    train(tiny_cfg(root / 'data', moved, stages=STAGES, resume=True))
    assert (moved / 'last_checkpoint').read_text().startswith(str(moved))
    final = checkpoint(moved / 'epoch_3.pth')
    assert final['meta']['epoch'] == 3


def test_resume_pointer_cases(tmp_path, caplog):
    assert resolve_resume_checkpoint(str(tmp_path / 'empty')) is None
    work = tmp_path / 'w'
    work.mkdir()
    (work / 'epoch_2.pth').write_bytes(b'x')
    (work / 'epoch_10.pth').write_bytes(b'x')
    assert resolve_resume_checkpoint(str(work)) == str(work / 'epoch_10.pth')
    assert (work / 'last_checkpoint').read_text() == str(work /
                                                          'epoch_10.pth')
    (work / 'last_checkpoint').write_text('/elsewhere/epoch_3.pth')
    with pytest.raises(FileNotFoundError, match='not in this work dir'):
        resolve_resume_checkpoint(str(work))


def test_wrong_stage_3_input_stops_before_stage_1(killed, tmp_path):
    root, _ = killed
    bad = tmp_path / 'cam_5_classes.pth'
    cfg = tiny_cfg(root / 'data', tmp_path / 'w1', stages=STAGES)
    from mmseg.registry import MODELS
    cam = MODELS.build(dict(cfg.model.cam_net, num_classes=5)).state_dict()
    torch.save(cam, bad)
    cfg.train_cfg.cam_init_checkpoint = str(bad)
    with pytest.raises(ValueError, match=r'cam_5_classes.pth \(train_cfg.'
                       r'cam_init_checkpoint\) does not fit the CAM network'):
        train(cfg)
    assert not list((tmp_path / 'w1').glob('*.pth'))
    # a refinement stage without learned prompts
    cfg = tiny_cfg(root / 'data', tmp_path / 'w2', stages=(1, 1))
    cfg.train_cfg.stages = [cfg.train_cfg.stages[0], cfg.train_cfg.stages[2]]
    with pytest.raises(ValueError, match=r'no stage of this run learns them '
                       r'and load_from \(not set\)'):
        train(cfg)


def test_a_joint_stage_learns_the_prompts_it_refines_against(killed,
                                                             tmp_path):
    # Table 6's joint row: one stage with L_match, L_prompt and L_refine
    # learns its own prompts; the check passes and training starts (killed
    # at its first iteration)
    root, _ = killed
    cfg = tiny_cfg(root / 'data', tmp_path / 'joint', stages=(1, 1, 1),
                   kill=dict(epoch=0, iteration=0))
    refine = dict(cfg.train_cfg.stages[2])
    lr = dict(refine.get('lr') or {}, prompt_learner=1e-3)
    cfg.train_cfg.stages = [dict(refine, losses=['match', 'prompt', 'refine'],
                                 joint=True, start_from='current', lr=lr)]
    with pytest.raises(SimulatedKill):
        train(cfg)
    # without its prompt loss the same stage still needs learned prompts
    cfg = tiny_cfg(root / 'data', tmp_path / 'no_prompt', stages=(1, 1, 1),
                   kill=dict(epoch=0, iteration=0))
    cfg.train_cfg.stages = [dict(refine, losses=['match', 'refine'],
                                 start_from='current')]
    with pytest.raises(ValueError, match='no stage of this run learns them'):
        train(cfg)


def test_validation_image_smaller_than_a_patch_is_named(tmp_path):
    import cv2
    import numpy as np
    written = make_voc_fixture(str(tmp_path / 'data'), num_images=2,
                               splits=dict(trainaug=[0, 1], train=[0, 1]))
    small = written['ids'][1]
    cv2.imwrite(str(tmp_path / f'data/JPEGImages/{small}.jpg'),
                np.full((12, 40, 3), 90, np.uint8))
    for masks in ('SegmentationClassAug', 'SegmentationClass'):
        cv2.imwrite(str(tmp_path / f'data/{masks}/{small}.png'),
                    np.zeros((12, 40), np.uint8))
    cfg = tiny_cfg(tmp_path / 'data', tmp_path / 'work',
                   kill=dict(epoch=0, iteration=0))
    with pytest.raises(ValueError, match='smaller than one 16 x 16 patch.*'
                       rf'{small}.jpg \(12 x 40\)'):
        train(cfg)


def test_a_best_checkpoint_of_another_config_stops_the_stage_start(
        killed, tmp_path):
    root, work = killed
    work = copy_of(work, tmp_path)
    best = checkpoint(work / 'best_stage1.pth')
    best['state_dict']['cam_net.head.weight'] = \
        best['state_dict']['cam_net.head.weight'][:5]
    torch.save(best, work / 'best_stage1.pth')
    # resumed at stage 2's start, which loads best_stage1.pth
    with pytest.raises(ValueError, match=r'(?s)best_stage1.pth does not fit '
                       r'the CAM network.*head.weight'):
        train(tiny_cfg(root / 'data', work, stages=STAGES, resume=True))
    assert not (work / 'epoch_2.pth').exists()
