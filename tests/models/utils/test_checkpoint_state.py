import pytest
import torch

from semples_mmseg.models.utils.checkpoint_state import read_checkpoint_state


def test_segmentor_checkpoint_gives_its_part_without_the_prefix(tmp_path):
    a, b = torch.zeros(2), torch.ones(3)
    path = tmp_path / 'segmentor.pth'
    torch.save({'state_dict': {'cam_net.head.weight': a,
                               'prompt_learner.prompts': b}}, path)
    state = read_checkpoint_state(str(path), prefix='cam_net.')
    assert list(state) == ['head.weight'] and state['head.weight'] is not a
    assert torch.equal(state['head.weight'], a)
    # without a prefix: every key
    assert set(read_checkpoint_state(str(path))) == {
        'cam_net.head.weight', 'prompt_learner.prompts'}


def test_model_entry_and_ddp_prefix_are_unwrapped(tmp_path):
    path = tmp_path / 'deit.pth'
    torch.save({'model': {'module.cls_token': torch.ones(1, 1, 4)}}, path)
    # a file without keys under the prefix gives all its keys
    state = read_checkpoint_state(str(path), prefix='cam_net.')
    assert list(state) == ['cls_token']


def test_bad_files_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='absent.pth'):
        read_checkpoint_state(str(tmp_path / 'absent.pth'))
    path = tmp_path / 'not_a_state.pth'
    torch.save({'model': [1, 2]}, path)
    with pytest.raises(ValueError, match='not_a_state.pth'):
        read_checkpoint_state(str(path))
