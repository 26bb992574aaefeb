import pytest
import torch
import torch.nn.functional as F
from torchvision.models import resnet50

from mmseg.registry import MODELS
from semples_mmseg.models.cam_nets import CLIMSResNet50CAM


@pytest.fixture(scope='module')
def net():
    torch.manual_seed(0)
    return CLIMSResNet50CAM(num_classes=3)


def test_output_stride_16_and_output_keys(net):
    net.eval()
    with torch.no_grad():
        square = net(torch.randn(1, 3, 64, 64))
        wide = net(torch.randn(2, 3, 96, 128))
    assert square['cam_logits'].shape == (1, 3, 4, 4)
    assert wide['cam_logits'].shape == wide['cams'].shape == (2, 3, 6, 8)
    assert wide['cls_logits'].shape == (2, 3)
    assert torch.equal(wide['cams'], F.relu(wide['cam_logits']))
    assert (wide['cams'] == 0).any() and (wide['cams'] > 0).any()
    assert torch.allclose(wide['cls_logits'],
                          wide['cam_logits'].mean(dim=(2, 3)))


def test_strides_and_no_dilation(net):
    b = net.backbone
    assert b.conv1.stride == (2, 2) and b.maxpool.stride == 2
    assert b.layer2[0].conv2.stride == b.layer3[0].conv2.stride == (2, 2)
    assert b.layer4[0].conv2.stride == (1, 1)
    assert b.layer4[0].downsample[0].stride == (1, 1)
    assert all(m.dilation == (1, 1) for m in b.modules()
               if isinstance(m, torch.nn.Conv2d))
    assert net.classifier.weight.shape == (3, 2048, 1, 1)
    assert net.classifier.bias is None


def test_cls_logits_equal_classifier_on_pooled_features(net):
    net.eval()
    x = torch.randn(1, 3, 64, 96)
    with torch.no_grad():
        pooled = net.extract(x).mean(dim=(2, 3))  # (1, 2048)
        out = net(x)
    expected = pooled @ net.classifier.weight[:, :, 0, 0].t()
    assert torch.allclose(out['cls_logits'], expected, atol=1e-5)


def test_stem_frozen_rest_learns_and_stays_frozen_after_train(device):
    torch.manual_seed(0)
    net = CLIMSResNet50CAM(num_classes=2).to(device).train()
    x = torch.randn(2, 3, 64, 64, device=device)
    net(x)['cam_logits'].sigmoid().sum().backward()
    stem = [*net.backbone.conv1.parameters(), *net.backbone.bn1.parameters()]
    assert all(not p.requires_grad and p.grad is None for p in stem)
    for module in (net.backbone.layer1, net.backbone.layer4, net.classifier):
        assert all(p.grad is not None and p.grad.abs().sum() > 0
                   for p in module.parameters())
    net.requires_grad_(True)
    net.train()
    assert not net.backbone.conv1.weight.requires_grad
    assert not net.backbone.bn1.bias.requires_grad


def test_batchnorm_running_stats_update_in_train_mode_only(net):
    bns = [net.backbone.bn1, net.backbone.layer4[0].bn2]
    x = torch.randn(2, 3, 64, 64) * 3 + 1
    net.eval()
    before = [bn.running_mean.clone() for bn in bns]
    with torch.no_grad():
        net(x)
    assert all(torch.equal(bn.running_mean, b) for bn, b in zip(bns, before))
    net.train()
    with torch.no_grad():
        net(x)
    assert all(not torch.equal(bn.running_mean, b)
               for bn, b in zip(bns, before))
    assert all(bn.training for bn in bns)


def test_builds_from_registry():
    net = MODELS.build(dict(type='CLIMSResNet50CAM', num_classes=4))
    assert isinstance(net, CLIMSResNet50CAM)
    assert net.classifier.out_channels == 4


def test_loads_a_torchvision_imagenet_state_dict(tmp_path):
    torch.manual_seed(1)
    state = resnet50(weights=None).state_dict()  # has fc.weight / fc.bias
    state = {k: torch.randn_like(v.float()).to(v.dtype) if v.is_floating_point()
             else v for k, v in state.items()}
    path = tmp_path / 'resnet50-imagenet.pth'
    torch.save(state, path)
    torch.manual_seed(2)
    net = CLIMSResNet50CAM(num_classes=3, pretrained=str(path))
    classifier = net.classifier.weight.clone()
    net.init_weights()
    assert torch.equal(net.backbone.conv1.weight, state['conv1.weight'])
    assert torch.equal(net.backbone.layer4[0].downsample[1].running_var,
                       state['layer4.0.downsample.1.running_var'])
    assert torch.equal(net.backbone.layer3[5].conv2.weight,
                       state['layer3.5.conv2.weight'])
    assert torch.equal(net.classifier.weight, classifier)  # not in the file
    assert net.backbone.layer4[0].conv2.stride == (1, 1)


def test_bad_checkpoints_are_named(tmp_path):
    absent = CLIMSResNet50CAM(num_classes=3,
                              pretrained=str(tmp_path / 'missing_res50.pth'))
    with pytest.raises(FileNotFoundError, match='missing_res50.pth'):
        absent.init_weights()  # construction reads no file
    net = CLIMSResNet50CAM(num_classes=3)
    state = {f'backbone.{k}': v for k, v in net.backbone.state_dict().items()}
    state['classifier.weight'] = torch.zeros(3, 2048, 1, 1)
    state['backbone.layer2.1.conv1.weight'] = torch.zeros(2, 2)
    del state['backbone.layer1.0.bn3.bias']
    state['head.weight'] = torch.zeros(1)
    with pytest.raises(ValueError, match=r'broken\.pth') as info:
        net.load_pretrained(state, source='broken.pth')
    for key in ('layer1.0.bn3.bias', 'head.weight', 'layer2.1.conv1.weight'):
        assert key in str(info.value)
    with pytest.raises(ValueError, match=r'raw\.pth.*stage1\.0\.weight.*'
                       'clims2semples'):
        net.load_pretrained({'stage1.0.weight': torch.zeros(1)},
                            source='raw.pth')


def test_depth_is_checked_and_deeper_resnets_keep_stride_16():
    with pytest.raises(ValueError, match=r'depth=18 .*\[50, 101, 152\]'):
        CLIMSResNet50CAM(num_classes=2, depth=18)
    net = CLIMSResNet50CAM(num_classes=2, depth=101).eval()
    assert len(net.backbone.layer3) == 23  # ResNet-101, not 50 (6 blocks)
    assert net.backbone.layer4[0].conv2.stride == (1, 1)
    with torch.no_grad():
        assert net(torch.randn(1, 3, 32, 48))['cams'].shape == (1, 2, 2, 3)


def test_loads_a_pre_0_4_1_checkpoint_without_batch_counters(tmp_path):
    """CLIMS's resnet50-19c8e357.pth has no num_batches_tracked keys."""
    torch.manual_seed(3)
    state = {k: torch.randn_like(v.float()) if v.is_floating_point() else v
             for k, v in resnet50(weights=None).state_dict().items()
             if not k.endswith('num_batches_tracked')}
    path = tmp_path / 'resnet50-19c8e357.pth'
    torch.save(state, path)
    net = CLIMSResNet50CAM(num_classes=2, pretrained=str(path))
    net.backbone.bn1.num_batches_tracked.fill_(7)
    net.init_weights()
    assert torch.equal(net.backbone.layer2[1].bn3.running_mean,
                       state['layer2.1.bn3.running_mean'])
    assert net.backbone.bn1.num_batches_tracked.item() == 0
    # a whole missing BatchNorm is still named, counter or not
    del state['layer1.0.bn1.running_mean']
    with pytest.raises(ValueError,
                       match=r'(?s)cut\.pth.*layer1\.0\.bn1\.running_mean'):
        net.load_pretrained(state, source='cut.pth')


def test_loads_the_cam_net_of_a_segmentor_checkpoint(tmp_path):
    torch.manual_seed(4)
    trained = CLIMSResNet50CAM(num_classes=3)
    with torch.no_grad():
        trained.classifier.weight.normal_()
        trained.backbone.layer4[2].bn3.running_var.uniform_(1, 2)
    ckpt = dict(meta=dict(epoch=1), state_dict={
        **{f'cam_net.{k}': v for k, v in trained.state_dict().items()},
        'prompt_learner.prompts': torch.zeros(3, 30, 512)})
    path = tmp_path / 'stage1_best.pth'
    torch.save(ckpt, path)
    net = CLIMSResNet50CAM(num_classes=3, pretrained=str(path))
    net.init_weights()
    assert torch.equal(net.classifier.weight, trained.classifier.weight)
    assert torch.equal(net.backbone.layer4[2].bn3.running_var,
                       trained.backbone.layer4[2].bn3.running_var)


def test_takes_the_reference_url_through_mmengine(tmp_path):
    """pretrained may be a URL, as CLIMS's own network loads torchvision's
    ResNet-50 by URL: mmengine's CheckpointLoader reads it through torch's
    hub cache (filled here, so nothing is downloaded)."""
    url = 'https://download.pytorch.org/models/resnet50-19c8e357.pth'
    torch.manual_seed(3)
    state = {k: torch.randn_like(v.float()).to(v.dtype)
             if v.is_floating_point() else v
             for k, v in resnet50(weights=None).state_dict().items()}
    (tmp_path / 'checkpoints').mkdir()
    torch.save(state, tmp_path / 'checkpoints/resnet50-19c8e357.pth')
    saved_dir = torch.hub.get_dir()
    torch.hub.set_dir(str(tmp_path))
    try:
        net = CLIMSResNet50CAM(num_classes=3, pretrained=url)  # no file check
        net.init_weights()
    finally:
        torch.hub.set_dir(saved_dir)
    assert torch.equal(net.backbone.conv1.weight, state['conv1.weight'])
    assert torch.equal(net.backbone.layer3[5].conv2.weight,
                       state['layer3.5.conv2.weight'])


def test_channels_last_gives_the_same_maps_and_gradients(tmp_path, device):
    torch.manual_seed(0)
    plain = CLIMSResNet50CAM(num_classes=2).to(device).eval()
    path = tmp_path / 'cam.pth'
    torch.save(plain.state_dict(), path)
    nhwc = CLIMSResNet50CAM(num_classes=2, channels_last=True,
                            pretrained=str(path))
    nhwc.init_weights()  # loading keeps the memory format
    nhwc = nhwc.to(device).eval()
    weight = nhwc.backbone.layer1[0].conv2.weight  # 3 x 3
    assert weight.is_contiguous(memory_format=torch.channels_last)
    assert not weight.is_contiguous()
    x = torch.randn(1, 3, 64, 80, device=device)
    out, ref = nhwc(x), plain(x)
    assert torch.allclose(out['cam_logits'], ref['cam_logits'], atol=1e-4)
    out['cams'].sum().backward()
    ref['cams'].sum().backward()
    g, g_ref = nhwc.classifier.weight.grad, plain.classifier.weight.grad
    assert torch.allclose(g, g_ref, rtol=1e-3, atol=1e-4)
