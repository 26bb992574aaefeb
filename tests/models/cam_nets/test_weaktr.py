import pytest
import torch
import torch.nn.functional as F

from semples_mmseg.models.cam_nets import WeakTrCAMNet
from semples_mmseg.models.cam_nets.adaptive_attention_fusion import (
    AdaptiveAttentionFusion, per_head_features)
from semples_mmseg.models.losses import WeakTrClassificationLoss

TINY = dict(num_classes=3, img_size=32, patch_size=16, embed_dims=48,
            depth=2, num_heads=6, aaf_reduction=4)


def tiny(**kw):
    torch.manual_seed(0)
    return WeakTrCAMNet(**dict(TINY, **kw))


def test_shapes_for_non_square_and_non_multiple_inputs():
    out = tiny()(torch.randn(2, 3, 40, 70))  # floors to 2 x 4 patches
    assert out['cams'].shape == (2, 3, 2, 4)
    assert out['fused_cams'].shape == out['cam_logits_z'].shape == (2, 3, 2, 4)
    assert out['cls_logits'].shape == (2, 3)
    assert (out['cams'] >= 0).all()


def test_interleaved_split_and_head_major_order():
    # branch output of layer l: channel c holds 100 * l + c at every token
    depth, heads, c, n = 2, 3, 6, 4
    branches = [
        (100 * l + torch.arange(c, dtype=torch.float)).expand(1, n, c)
        for l in range(depth)
    ]
    feats = per_head_features(branches, heads)
    assert feats.shape == (1, heads * depth, n, c // heads)
    # index = head * depth + layer; head h owns channels h, h + heads
    for h in range(heads):
        for l in range(depth):
            assert feats[0, h * depth + l, 0].tolist() == [
                100 * l + h, 100 * l + h + heads]


def test_aaf_pools_then_scores_each_map():
    aaf = AdaptiveAttentionFusion(num_maps=4, feat_dims=8, reduction=2,
                                  pool='max')
    feats = torch.randn(2, 4, 5, 8)
    pooled = feats.amax(dim=2)
    lin1, lin2 = aaf.attn_feat_ffn
    scores = lin2(lin1(pooled)).squeeze(-1)
    fc1, _, fc2, _ = aaf.attn_head_ffn
    expected = torch.sigmoid(fc2(torch.relu(fc1(scores))))
    assert torch.allclose(aaf(feats), expected)
    aaf.pool = 'mean'
    assert not torch.allclose(aaf(feats), expected)
    with pytest.raises(ValueError, match="'avg'"):
        AdaptiveAttentionFusion(num_maps=4, feat_dims=8, pool='avg')


def test_fine_cam_is_affinity_times_fused_cam():
    net = tiny(drop_path_rate=0.).eval()
    x = torch.randn(1, 3, 32, 48)
    cls, patches, (h, w), maps, branches = net.backbone(x)
    out = net(x)
    k = 3
    weights = net.aaf(per_head_features(branches, net.num_heads))
    attn = torch.stack(maps, dim=2).flatten(1, 2)
    fused = (attn * weights[:, :, None, None]).mean(1)[0]
    z = out['cam_logits_z'][0]
    cams = fused[:k, k:].reshape(k, h, w) * F.relu(z)
    assert torch.allclose(out['fused_cams'][0], cams, atol=1e-6)
    fine = torch.zeros(k, h * w)
    for c in range(k):
        for i in range(h * w):
            fine[c, i] = sum(fused[k + i, k + j] * cams[c].flatten()[j]
                             for j in range(h * w))
    assert torch.allclose(out['cams'][0].flatten(1), fine, atol=1e-6)
    assert torch.allclose(out['cls_logits'][0], cls[0].mean(-1))


def test_frozen_backbone_gets_no_gradient_head_and_aaf_do():
    net = tiny(freeze_backbone=True).train()
    net(torch.randn(2, 3, 32, 32))['cams'].sum().backward()
    assert all(p.grad is None for p in net.backbone.parameters())
    assert all(p.grad is not None for p in net.head.parameters())
    assert all(p.grad is not None for p in net.aaf.parameters())


def test_detach_coarse_cam_cuts_the_head_out_of_f():
    net = tiny(detach_coarse_cam=True)
    net(torch.randn(1, 3, 32, 32))['cams'].sum().backward()
    assert net.head.weight.grad is None
    assert net.aaf.attn_head_ffn[0].weight.grad is not None


def test_drop_path_is_active_in_train_mode_even_when_frozen():
    net = tiny(drop_path_rate=0.5, freeze_backbone=True).train()
    x = torch.randn(2, 3, 32, 32)
    outs = []
    for seed in range(6):
        torch.manual_seed(seed)
        outs.append(net(x)['cam_logits_z'])
    assert any(not torch.allclose(outs[0], o) for o in outs[1:])
    net.eval()
    assert torch.allclose(net(x)['cam_logits_z'], net(x)['cam_logits_z'])


def deit_checkpoint(dims=48, depth=2, grid=2):
    """A one-token DeiT/timm state dict (ImageNet layout) with tiny shapes."""
    ref = WeakTrCAMNet(**dict(TINY, num_classes=1)).backbone.state_dict()
    state = {k: torch.randn_like(v) for k, v in ref.items()}
    state['norm.weight'] = torch.ones(dims)
    state['head.weight'] = torch.zeros(1000, dims)  # ImageNet classifier
    return state


def test_deit_checkpoint_repeats_the_class_token(tmp_path):
    state = deit_checkpoint()
    path = tmp_path / 'deit_small.pth'
    torch.save({'model': state}, path)
    net = tiny(pretrained=str(path))
    net.init_weights()
    tokens = net.backbone.cls_token[0]
    assert tokens.shape == (3, 48)
    for k in range(3):
        assert torch.equal(tokens[k], state['cls_token'][0, 0])
        assert torch.equal(net.backbone.pos_embed[0, k],
                           state['pos_embed'][0, 0])
    assert torch.equal(net.backbone.pos_embed[0, 3:], state['pos_embed'][0, 1:])
    assert torch.equal(net.backbone.blocks[1].mlp.fc2.weight,
                       state['blocks.1.mlp.fc2.weight'])


def test_deit_positions_are_resized_for_another_grid(tmp_path):
    state = deit_checkpoint()
    path = tmp_path / 'deit.pth'
    torch.save(state, path)
    net = WeakTrCAMNet(**dict(TINY, img_size=64, pretrained=str(path)))
    net.init_weights()
    assert net.backbone.pos_embed.shape == (1, 3 + 16, 48)


def test_bad_checkpoints_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='nothere.pth'):
        tiny(pretrained=str(tmp_path / 'nothere.pth'))
    state = deit_checkpoint()
    state['blocks.0.attn.qkv.weight'] = torch.zeros(3, 3)
    path = tmp_path / 'broken.pth'
    torch.save(state, path)
    net = tiny(pretrained=str(path))
    with pytest.raises(ValueError, match='broken.pth.*blocks.0.attn.qkv'):
        net.init_weights()


def test_classification_loss_sums_three_soft_margin_terms():
    out = dict(cls_logits=torch.tensor([[2., -1.]]),
               cam_logits_z=torch.tensor([[[[1., 3.]], [[0., 0.]]]]),
               fine_cams=torch.tensor([[[[4., 0.]], [[1., 1.]]]]))
    labels = torch.tensor([[1., 0.]])

    def soft_margin(s, y):  # by hand: mean over classes of the logistic loss
        return -(y * torch.log(torch.sigmoid(s)) +
                 (1 - y) * torch.log(torch.sigmoid(-s))).mean()

    expected = (soft_margin(torch.tensor([2., -1.]), labels[0]) +
                soft_margin(torch.tensor([2., 0.]), labels[0]) +
                soft_margin(torch.tensor([2., 1.]), labels[0]))
    loss = WeakTrClassificationLoss(loss_weight=2.)
    assert torch.isclose(loss(out, labels), 2 * expected)
    assert set(loss.terms(out, labels)) == {'cls_token', 'coarse', 'fine'}


def test_segmentor_checkpoint_initialises_the_cam_net(tmp_path):
    source = tiny()
    state = {f'cam_net.{k}': v for k, v in source.state_dict().items()}
    state['clip_guide.unused'] = torch.zeros(1)  # other parts are ignored
    torch.save({'state_dict': state}, tmp_path / 'baseline.pth')
    torch.manual_seed(5)
    net = WeakTrCAMNet(**dict(TINY, pretrained=str(tmp_path / 'baseline.pth')))
    net.init_weights()
    for k, v in source.state_dict().items():
        assert torch.equal(net.state_dict()[k], v), k


def test_patch_refine_off_uses_the_fused_cam():
    x = torch.randn(1, 3, 32, 32)
    net = tiny(drop_path_rate=0.).eval()
    out = net(x)
    assert torch.equal(out['cams'], out['fine_cams'])
    net.patch_refine = False
    out = net(x)
    assert torch.equal(out['cams'], out['fused_cams'])
