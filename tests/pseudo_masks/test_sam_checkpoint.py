"""SAM weights are checked before the model is built: the file is named."""
import pytest
import torch

pytest.importorskip('segment_anything')
from semples_mmseg.pseudo_masks.sam_checkpoint import (  # noqa: E402
    build_sam, sam_variant_of)


def encoder_keys(width, depth):
    """The keys the variant check reads, with tiny tensors elsewhere."""
    state = {'image_encoder.patch_embed.proj.weight':
             torch.zeros(width, 3, 1, 1)}
    for i in range(depth):
        state[f'image_encoder.blocks.{i}.norm1.weight'] = torch.zeros(1)
    return state


@pytest.mark.parametrize('variant,width,depth',
                         [('vit_h', 1280, 32), ('vit_l', 1024, 24),
                          ('vit_b', 768, 12)])
def test_variants_are_told_by_encoder_width_and_depth(variant, width, depth):
    assert sam_variant_of(encoder_keys(width, depth), 'x.pth') == variant
    assert sam_variant_of(encoder_keys(32, 1), 'x.pth') == 'embed32-depth1'


def test_another_variant_is_refused_naming_the_file(tmp_path):
    path = tmp_path / 'sam_vit_b_01ec64.pth'
    torch.save(encoder_keys(768, 12), path)
    with pytest.raises(ValueError, match=r'sam_vit_b_01ec64\.pth.*vit_b'):
        build_sam('vit_h', str(path))


def test_a_file_that_is_no_sam_checkpoint_is_refused(tmp_path):
    clip = tmp_path / 'ViT-B-32.pt'
    torch.save({'visual.conv1.weight': torch.zeros(1)}, clip)
    with pytest.raises(ValueError, match=r'ViT-B-32\.pt is not a SAM'):
        build_sam('vit_h', str(clip))
    text = tmp_path / 'notes.pth'
    text.write_text('not a checkpoint')
    with pytest.raises(ValueError, match=r'notes\.pth is not a SAM'):
        build_sam('vit_h', str(text))
    with pytest.raises(FileNotFoundError, match='absent.pth'):
        build_sam('vit_h', str(tmp_path / 'absent.pth'))
    with pytest.raises(ValueError, match='vit_x'):
        build_sam('vit_x', str(clip))


def test_a_matching_file_loads_into_the_model(tmp_path, monkeypatch):
    from fixtures.tiny_sam import tiny_sam
    from semples_mmseg.pseudo_masks import sam_checkpoint
    # a tiny model registered as a variant of its own
    monkeypatch.setitem(sam_checkpoint.SAM_VARIANTS, 'tiny', (32, 1))
    monkeypatch.setitem(sam_checkpoint.sam_model_registry, 'tiny',
                        lambda checkpoint=None: tiny_sam(64, seed=1))
    reference = tiny_sam(64, seed=0)
    path = tmp_path / 'tiny.pth'
    torch.save(reference.state_dict(), path)
    model = build_sam('tiny', str(path))
    for key, value in reference.state_dict().items():
        assert torch.equal(model.state_dict()[key], value), key
