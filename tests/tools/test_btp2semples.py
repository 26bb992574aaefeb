"""The reference's stage-2 prompt file -> a checkpoint stage 3 starts from."""
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from fixtures import make_voc_fixture
from test_train_semples import TINY, data_options, run
from test_weaktr2semples import reference_weaktr_state

REPO = Path(__file__).resolve().parents[2]
K, L, D = 20, 4, 16  # the tiny fixture config's prompt_learner


def convert(*args):
    return subprocess.run(
        [sys.executable, 'tools/model_converters/btp2semples.py',
         *map(str, args)], cwd=REPO, capture_output=True, text=True)


def tool_main():
    """The converter's ``main`` imported here (no interpreter start-up)."""
    path = REPO / 'tools/model_converters/btp2semples.py'
    spec = importlib.util.spec_from_file_location('btp2semples_tool', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main


@pytest.fixture(scope='module')
def files(tmp_path_factory):
    """A btp.pth as the reference saves it, and a converted WeakTr CAM."""
    root = tmp_path_factory.mktemp('btp')
    prompts = torch.rand(K, L, D, generator=torch.Generator().manual_seed(1))
    torch.save({'prompts': prompts}, root / 'btp.pth')  # BTP.state_dict()
    reference = reference_weaktr_state(k=K)  # the tiny config's DeiT sizes
    torch.save({'model': reference}, root / 'WeakTr_voc.pth')
    proc = subprocess.run([
        sys.executable, 'tools/model_converters/weaktr2semples.py',
        str(root / 'WeakTr_voc.pth'), str(root / 'weaktr_cam.pth')],
        cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return root, prompts, reference


@pytest.mark.slow
def test_round_trip_keeps_prompts_and_cam_weights(files):
    root, prompts, reference = files
    dst = root / 'stage2.pth'
    proc = convert(root / 'btp.pth', root / 'weaktr_cam.pth', dst,
                   '--config', TINY)
    assert proc.returncode == 0, proc.stderr
    assert f'prompts ({K}, {L}, {D})' in proc.stdout
    state = torch.load(dst, weights_only=False)['state_dict']
    assert torch.equal(state['prompt_learner.prompts'], prompts)
    assert torch.equal(state['cam_net.backbone.cls_token'],
                       reference['cls_token'])
    assert torch.equal(state['cam_net.aaf.attn_feat_ffn.0.weight'],
                       reference['adaptive_attention_fusion.attn_feat_ffn.0'
                                 '.weight'])
    assert not any(k.startswith('cam_net.norm.') for k in state)
    # a checkpoint of ours (cam_net.* keys) is a CAM source as well
    again = root / 'again.pth'
    assert convert(root / 'btp.pth', dst, again).returncode == 0
    assert torch.load(again, weights_only=False)['state_dict'].keys() == \
        state.keys()


@pytest.mark.slow
def test_wrong_files_are_named_and_nothing_is_written(files, tmp_path):
    root, prompts, _ = files
    cam = root / 'weaktr_cam.pth'
    dst = tmp_path / 'out.pth'
    cases = []
    torch.save({'prompts': prompts[:19]}, tmp_path / 'k19.pth')
    cases.append((tmp_path / 'k19.pth', [],
                  r"k19.pth: 'prompts' has shape \(19, 4, 16\) \(19 "
                  r'classes\) but .*weaktr_cam.pth has a CAM network for 20'))
    torch.save({'prompts': prompts[:, :3]}, tmp_path / 'l3.pth')
    cases.append((tmp_path / 'l3.pth', ['--config', TINY],
                  r"l3.pth: 'prompts' has shape \(20, 3, 16\); .* expects "
                  r'\(num_classes, prompt_length, embed_dims\) = '
                  r'\(20, 4, 16\)'))
    torch.save({'prompts': prompts[0]}, tmp_path / 'flat.pth')
    cases.append((tmp_path / 'flat.pth', [],
                  r"flat.pth: 'prompts' has shape \(4, 16\); expected "
                  r'\(K, L, D\)'))
    torch.save({'ctx': prompts}, tmp_path / 'other.pth')
    cases.append((tmp_path / 'other.pth', [],
                  r"other.pth is not a reference btp.pth.*\['ctx'\]"))
    # the command line: a non-zero exit with the message on stderr
    btp, extra, message = cases[0]
    proc = convert(btp, cam, dst, *extra)
    assert proc.returncode != 0
    assert re.search(message, proc.stderr), proc.stderr
    assert not dst.exists()
    # every case through main() in this process: SystemExit(message)
    main = tool_main()
    for btp, extra, message in cases:
        with pytest.raises(SystemExit) as exit_:
            main([str(btp), str(cam), str(dst), *map(str, extra)])
        assert re.search(message, str(exit_.value)), exit_.value
        assert not dst.exists()
    with pytest.raises(SystemExit, match='missing.pth'):
        main([str(root / 'btp.pth'), str(tmp_path / 'missing.pth'),
              str(dst)])
    assert not dst.exists()


@pytest.mark.slow
def test_stage3_runs_from_the_converted_prompts(files, tmp_path):
    root, prompts, reference = files
    dst = root / 'stage2_for_run.pth'
    assert convert(root / 'btp.pth', root / 'weaktr_cam.pth',
                   dst).returncode == 0
    make_voc_fixture(str(tmp_path / 'data'), num_images=4)
    config = tmp_path / 'stage3_only.py'
    config.write_text(
        f"_base_ = ['{TINY}']\n"
        f"load_from = '{dst}'\n"
        'train_cfg = dict(\n'
        '    stages=[dict(stage=3, max_epochs=1, lr=dict(cam_net=6.4e-5))],\n'
        f"    cam_init_checkpoint='{dst}')\n")
    work = tmp_path / 'work'
    log = run([sys.executable, 'tools/train.py', str(config), '--work-dir',
               str(work), '--cfg-options', *data_options(tmp_path / 'data')])
    assert 'SemPLeS stage 3 (refinement): epochs 1-1 of 1' in log
    state = torch.load(work / 'best_stage3.pth',
                       weights_only=False)['state_dict']
    # stage 3 keeps the reference's prompts fixed ...
    assert torch.equal(state['prompt_learner.prompts'], prompts)
    # ... and restarted the CAM network from the converted WeakTr weights:
    # the frozen DeiT is the reference's, the trained head moved from it
    assert torch.equal(state['cam_net.backbone.blocks.0.attn.qkv.weight'],
                       reference['blocks.0.attn.qkv.weight'])
    assert not torch.equal(state['cam_net.head.weight'],
                           reference['head.weight'])
