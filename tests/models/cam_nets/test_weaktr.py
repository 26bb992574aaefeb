import pytest
import torch
import torch.nn.functional as F

from semples_mmseg.models.cam_nets import WeakTrCAMNet
from semples_mmseg.models.cam_nets.adaptive_attention_fusion import (
    AdaptiveAttentionFusion, fuse_attention_maps, per_head_features)

TINY = dict(num_classes=3, img_size=32, patch_size=16, embed_dims=48,
            depth=2, num_heads=6, aaf_reduction=4)


def tiny(**kw):
    torch.manual_seed(0)
    return WeakTrCAMNet(**dict(TINY, **kw))


def test_shapes_for_non_square_and_non_multiple_inputs(device):
    x = torch.randn(2, 3, 40, 70, device=device)  # floors to 2 x 4 patches
    out = tiny().to(device)(x)
    assert all(v.device == x.device for v in out.values())
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
    with pytest.raises(ValueError, match='feat_dims 4 // reduction 8'):
        AdaptiveAttentionFusion(num_maps=4, feat_dims=4, reduction=2)
    with pytest.raises(ValueError, match='num_maps 4 // reduction 8'):
        AdaptiveAttentionFusion(num_maps=4, feat_dims=8, reduction=8)


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


def test_frozen_backbone_gets_no_gradient_head_and_aaf_do(device):
    net = tiny(freeze_backbone=True).to(device).train()
    net(torch.randn(2, 3, 32, 32, device=device))['cams'].sum().backward()
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
    net = tiny(pretrained=str(tmp_path / 'nothere.pth'))  # reads nothing
    with pytest.raises(FileNotFoundError, match='nothere.pth'):
        net.init_weights()
    state = deit_checkpoint()
    state['blocks.0.attn.qkv.weight'] = torch.zeros(3, 3)
    path = tmp_path / 'broken.pth'
    torch.save(state, path)
    net = tiny(pretrained=str(path))
    with pytest.raises(ValueError, match='(?s)broken.pth.*blocks.0.attn.qkv'):
        net.init_weights()


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


def test_inputs_smaller_than_a_patch_are_named():
    with pytest.raises(ValueError, match=r'\(8, 40\).*16x16'):
        tiny()(torch.randn(1, 3, 8, 40))


def cubic_weight(d, a=-0.75):
    """Keys' cubic convolution kernel (PyTorch's bicubic uses a = -0.75)."""
    d = abs(d)
    if d <= 1:
        return (a + 2) * d**3 - (a + 3) * d**2 + 1
    return a * d**3 - 5 * a * d**2 + 8 * a * d - 4 * a if d < 2 else 0.


def test_patch_positions_resize_like_weaktr_inference():
    # a 4 x 4 grid whose value is the row index, resized to 8 rows: output
    # row r samples source coordinate (r + 0.5) / scale - 0.5 with WeakTr's
    # scale = (8 + 0.1) / 4 (not 8 / 4); rows 3 and 4 have all four taps
    # inside the grid
    net = WeakTrCAMNet(num_classes=2, img_size=64, embed_dims=48, depth=1,
                       num_heads=6, aaf_reduction=2)
    ramp = torch.arange(4.).view(4, 1, 1).expand(4, 4, 48).reshape(1, 16, 48)
    with torch.no_grad():
        net.backbone.pos_embed[:, 2:] = ramp
    pos = net.backbone.patch_pos_embed(8, 4).reshape(8, 4, 48)
    for row in (3, 4):
        src = (row + 0.5) / (8.1 / 4) - 0.5
        value = sum(tap * cubic_weight(src - tap) for tap in range(4))
        assert torch.allclose(pos[row], torch.full((4, 48), value), atol=1e-5)
        src_size = (row + 0.5) / 2 - 0.5  # what size=(8, 4) would sample
        other = sum(tap * cubic_weight(src_size - tap) for tap in range(4))
        assert abs(value - other) > 1e-2
    assert torch.equal(net.backbone.patch_pos_embed(4, 4), ramp)


def test_fused_and_fine_cam_against_explicit_loops():
    """AAF weights from interleaved head features, maps head-major, F."""
    net = tiny(drop_path_rate=0.).eval()
    x = torch.randn(1, 3, 32, 48)
    _, _, (h, w), maps, branches = net.backbone(x)
    out = net(x)
    k, heads, depth, c = 3, 6, 2, 48
    # map (head, layer) gets features: layer's branch channels head::heads
    pooled = torch.stack([
        branches[l][0, :, hd::heads].amax(dim=0) for hd in range(heads)
        for l in range(depth)
    ])  # (heads * depth, c / heads), head-major
    assert pooled.shape == (12, c // heads)
    lin1, lin2 = net.aaf.attn_feat_ffn
    weights = net.aaf.attn_head_ffn(lin2(lin1(pooled)).squeeze(-1)[None])[0]
    fused = sum(weights[hd * depth + l] * maps[l][0, hd]
                for hd in range(heads) for l in range(depth)) / (heads * depth)
    z = out['cam_logits_z'][0]
    cams = fused[:k, k:].reshape(k, h, w) * F.relu(z)
    assert torch.allclose(out['fused_cams'][0], cams, atol=1e-6)
    fine = torch.einsum('ij,kj->ki', fused[k:, k:], cams.flatten(1))
    assert torch.allclose(out['fine_cams'][0].flatten(1), fine, atol=1e-6)


def test_init_cfg_pretrained_runs_after_other_init_entries(tmp_path):
    state = deit_checkpoint()
    path = tmp_path / 'deit_small_patch16_224.pth'
    torch.save({'model': state}, path)
    net = tiny(init_cfg=[
        dict(type='Pretrained', checkpoint=str(path)),
        dict(type='Constant', val=0.5, bias=0., layer='Conv2d')
    ])
    assert net.pretrained == str(path)
    net.init_weights()
    # the Constant init reached the CAM head, the checkpoint then won over it
    assert (net.head.weight == 0.5).all()
    assert torch.equal(net.backbone.patch_embed.proj.weight,
                       state['patch_embed.proj.weight'])
    assert torch.equal(net.backbone.cls_token[0, 2], state['cls_token'][0, 0])


def test_init_cfg_misuse_is_named(tmp_path):
    path = tmp_path / 'deit.pth'
    torch.save(deit_checkpoint(), path)
    with pytest.raises(ValueError, match='not both'):
        tiny(pretrained=str(path),
             init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    with pytest.raises(ValueError, match=r"\['prefix'\]"):
        tiny(init_cfg=dict(type='Pretrained', checkpoint=str(path),
                           prefix='backbone.'))
    net = tiny(init_cfg=dict(type='Pretrained', checkpoint='gone.pth'))
    with pytest.raises(FileNotFoundError, match='gone.pth'):
        net.init_weights()


def test_deit_checkpoint_with_foreign_keys_is_named(tmp_path):
    state = deit_checkpoint()
    state['dist_token'] = torch.zeros(1, 1, 48)
    path = tmp_path / 'deit_distilled.pth'
    torch.save(state, path)
    net = tiny(pretrained=str(path))
    with pytest.raises(ValueError, match='(?s)deit_distilled.pth.*dist_token'):
        net.init_weights()
    state = deit_checkpoint()
    state['pos_embed'] = torch.zeros(1, 2 + 4, 48)  # two extra tokens
    torch.save(state, path)
    with pytest.raises(ValueError, match='deit_distilled.pth.*square grid'):
        net.init_weights()
    state = deit_checkpoint()
    del state['blocks.1.mlp.fc2.bias']
    torch.save(state, path)
    with pytest.raises(ValueError, match='(?s)deit_distilled.pth.*'
                       'blocks.1.mlp.fc2.bias'):
        net.init_weights()


def stacked_fusion(maps, weights):
    """The reference formulation: stack the heads * depth maps, weight, mean."""
    attn = torch.stack(maps, dim=2).flatten(1, 2)
    return (attn * weights[:, :, None, None]).mean(dim=1)


@pytest.mark.parametrize('dtype, tol', [(torch.float32, 1e-6),
                                        (torch.float64, 1e-14)])
def test_fusion_contraction_equals_the_stacked_mean_with_gradients(dtype, tol):
    torch.manual_seed(0)
    depth, heads, b, n = 3, 4, 2, 7
    maps = [torch.rand(b, heads, n, n, dtype=dtype).softmax(-1)
            for _ in range(depth)]
    weights = torch.rand(b, heads * depth, dtype=dtype, requires_grad=True)
    probe = torch.randn(b, n, n, dtype=dtype)
    fused = fuse_attention_maps(maps, weights)
    grad, = torch.autograd.grad((fused * probe).sum(), weights)
    ref = stacked_fusion(maps, weights)
    ref_grad, = torch.autograd.grad((ref * probe).sum(), weights)
    assert torch.allclose(fused, ref, atol=tol, rtol=0)
    assert torch.allclose(grad, ref_grad, atol=tol, rtol=0)
    # head-major order: weight index head * depth + layer scales maps[layer][head]
    one = torch.zeros(b, heads * depth, dtype=dtype)
    one[:, 2 * depth + 1] = heads * depth
    assert torch.allclose(fuse_attention_maps(maps, one), maps[1][:, 2],
                          atol=tol)
    with pytest.raises(ValueError, match=r'do not fit 3 maps of 4 heads'):
        fuse_attention_maps(maps, weights[:, :-1])


def test_forward_and_gradients_equal_the_stacked_formulation_in_float64():
    net = tiny(drop_path_rate=0., freeze_backbone=True).double().eval()
    with torch.no_grad():  # live AAF units so that every gradient is non-zero
        net.aaf.attn_feat_ffn[1].bias.fill_(5.)
        net.aaf.attn_head_ffn[0].weight.fill_(0.1)
    x = torch.randn(2, 3, 32, 48, dtype=torch.float64)
    trained = [p for p in net.parameters() if p.requires_grad]

    def reference(x):
        cls, patches, (h, w), maps, branches = net.backbone(x)
        b, _, c = patches.shape
        z = net.head(patches.detach().transpose(1, 2).reshape(b, c, h, w))
        weights = net.aaf(per_head_features(
            [br.detach() for br in branches], net.num_heads))
        fused = stacked_fusion([m.detach() for m in maps], weights)
        cams = fused[:, :3, 3:].reshape(b, 3, h, w) * F.relu(z)
        return torch.einsum('bij,bkj->bki', fused[:, 3:, 3:],
                            cams.flatten(2)).reshape(b, 3, h, w)

    ours = net(x)['cams']
    ref = reference(x)
    probe = torch.randn_like(ref)
    grads = torch.autograd.grad((ours * probe).sum(), trained)
    ref_grads = torch.autograd.grad((ref * probe).sum(), trained)
    assert torch.allclose(ours, ref, atol=1e-14, rtol=0)
    for g, r in zip(grads, ref_grads):
        assert r.abs().max() > 0
        assert torch.allclose(g, r, atol=1e-14, rtol=1e-12)


def test_fusion_under_autocast_accumulates_in_the_promoted_dtype():
    torch.manual_seed(0)
    maps = [torch.rand(2, 3, 5, 5).softmax(-1).bfloat16() for _ in range(4)]
    weights = torch.rand(2, 12)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        fused = fuse_attention_maps(maps, weights)
    assert fused.dtype == torch.float32
    ref = stacked_fusion([m.float() for m in maps], weights)
    assert torch.allclose(fused, ref, atol=1e-6)
