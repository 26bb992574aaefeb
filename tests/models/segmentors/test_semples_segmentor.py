import logging

import numpy as np
import pytest
import torch
from mmengine.logging import MMLogger
import torch.nn.functional as F

from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from fixtures.tiny_clip import TINY_CLIP_CFG
from semples_mmseg.models.segmentors import SemPLeSSegmentor  # noqa: F401

K = 3


def build(**overrides):
    torch.manual_seed(0)
    cfg = dict(
        type='SemPLeSSegmentor',
        data_preprocessor=dict(
            type='SegDataPreProcessor', mean=[123.675, 116.28, 103.53],
            std=[58.395, 57.12, 57.375], bgr_to_rgb=True),
        cam_net=dict(type='WeakTrCAMNet', num_classes=K, img_size=32,
                     embed_dims=48, depth=2, num_heads=6, aaf_reduction=4,
                     freeze_backbone=True),
        clip_guide=dict(type='FrozenCLIPGuide', pretrained=None,
                        model_cfg=TINY_CLIP_CFG, class_names=['a', 'b', 'c']),
        prompt_learner=dict(type='BackgroundPromptLearner', num_classes=K,
                            prompt_length=4, embed_dims=16),
        match_loss=dict(type='SegmentLabelMatchingLoss', lambda_b=2.4),
        prompt_loss=dict(type='ContrastivePromptLoss', lambda_t=0.02),
        refine_loss=dict(type='PromptRefinementLoss', loss_weight=0.05),
        cam_losses=[dict(type='WeakTrClassificationLoss')],
        test_cfg=dict(scales=(1.0, 1.5), flip=True, bg_threshold=0.4))
    cfg.update(overrides)
    return MODELS.build(cfg)


def samples(labels, shape=(32, 32)):
    out = []
    for row in labels:
        s = SegDataSample(metainfo=dict(
            img_labels=np.asarray(row, np.float32), img_shape=shape,
            ori_shape=shape, img_path='x.jpg'))
        out.append(s)
    return out


def grads(module):
    return [p.grad is not None and p.grad.abs().sum() > 0
            for p in module.parameters() if p.requires_grad]


LABELS = [[1, 0, 1], [0, 1, 0]]


def keep_aaf_alive(model):
    """Tiny random AAFs can start with every ReLU unit dead (zero gradient by
    construction, as in any network); give it live units for the checks."""
    aaf = model.cam_net.aaf
    with torch.no_grad():
        aaf.attn_feat_ffn[1].bias.fill_(5.)
        aaf.attn_head_ffn[0].weight.fill_(0.1)
    return model


def test_stage1_trains_head_and_aaf_only_with_one_clip_call(monkeypatch,
                                                           device):
    model = keep_aaf_alive(build()).to(device)
    model.set_stage(losses=['match'], mask_eps=0.1)
    calls = []
    original = model.clip_guide.encode_images
    monkeypatch.setattr(model.clip_guide, 'encode_images',
                        lambda x: calls.append(x.shape[0]) or original(x))
    losses = model.loss(torch.randn(2, 3, 32, 32, device=device),
                        samples(LABELS))
    assert set(losses) == {'loss_match', 'otm', 'btm'}
    assert all(v.device.type == device.type for v in losses.values())
    assert calls == [2 * 3]  # fg and bg of the P = 3 pairs in one call
    losses['loss_match'].backward()
    assert all(grads(model.cam_net.head)) and all(grads(model.cam_net.aaf))
    assert not any(p.requires_grad for p in model.cam_net.backbone.parameters())
    assert model.prompt_learner.prompts.grad is None
    assert all(p.grad is None for p in model.clip_guide.clip.parameters())


def test_stage2_trains_prompts_only_with_a_frozen_cam_net(device):
    model = build().to(device)
    model.set_stage(losses=['prompt'], mask_eps=1e-4)
    model.train()
    losses = model.loss(torch.randn(2, 3, 32, 32, device=device),
                        samples(LABELS))
    assert set(losses) == {'loss_prompt', 'prompt_i', 'prompt_t'}
    losses['loss_prompt'].backward()
    assert model.prompt_learner.prompts.grad.abs().sum() > 0
    assert not any(grads(model.cam_net))
    assert model.cam_net.training  # restored after the frozen forward


def test_stage3_adds_refinement_with_prompts_fixed_and_cached(device):
    model = build().to(device)
    model.set_stage(losses=['match', 'refine'], mask_eps=0.1)
    x, s = torch.randn(2, 3, 32, 32, device=device), samples(LABELS)
    losses = model.loss(x, s)
    assert {'loss_match', 'loss_refine', 'refine'} <= set(losses)
    (losses['loss_match'] + losses['loss_refine']).backward()
    assert model.prompt_learner.prompts.grad is None
    assert all(grads(model.cam_net.head))
    first = model.frozen_prompt_features()
    assert model.frozen_prompt_features() is first  # cached
    with torch.no_grad():
        model.prompt_learner.prompts.add_(1.)
    assert model.frozen_prompt_features() is not first  # invalidated


def test_refinement_equals_the_loss_on_hand_gathered_pairs():
    model = build()
    model.set_stage(losses=['match', 'refine'], mask_eps=0.1)
    model.eval()  # no drop-path: two forwards agree
    x, s = torch.randn(2, 3, 32, 32), samples(LABELS)
    losses = model.loss(x, s)
    cams = model.cam_net(x)['cams']
    masks = model.soft_masks({'cams': cams}, 32)
    fg = torch.stack([masks[0, 0] * x[0], masks[0, 2] * x[0],
                      masks[1, 1] * x[1]])
    emb = model.clip_guide.encode_images(fg)
    prompts = model.prompt_learner(model.clip_guide)[[0, 2, 1]]
    sim = (emb * prompts).sum(-1).clamp(1e-4, 0.9999)
    assert torch.isclose(losses['loss_refine'],
                         0.05 * (-torch.log(1 - sim)).mean(), atol=1e-6)


def test_baseline_losses_need_no_clip():
    model = build(clip_guide=None, prompt_learner=None, match_loss=None,
                  prompt_loss=None, refine_loss=None,
                  cam_net=dict(type='WeakTrCAMNet', num_classes=K,
                               img_size=32, embed_dims=48, depth=2,
                               num_heads=6, aaf_reduction=4))
    assert model.active_losses == ('cam', )
    losses = model.loss(torch.randn(2, 3, 32, 32), samples(LABELS))
    assert set(losses) == {'loss_weaktr_cls', 'cls_token', 'coarse', 'fine'}


def test_no_labelled_pair_gives_finite_zero_clip_losses():
    model = build()
    model.set_stage(losses=['match', 'refine'])
    losses = model.loss(torch.randn(2, 3, 32, 32), samples([[0] * K] * 2))
    total = losses['loss_match'] + losses['loss_refine']
    assert total.item() == 0 and torch.isfinite(total)
    total.backward()


def test_prediction_fills_cams_logits_and_label_map(device):
    model = build().to(device).eval()
    s = samples([[1, 0, 1]], shape=(40, 56))
    with torch.no_grad():
        out = model.predict(torch.randn(1, 3, 40, 56, device=device), s)[0]
    cams = out.pred_cams.data
    assert cams.shape == (3, 40, 56) and cams.device.type == device.type
    assert cams[1].abs().max() == 0 and cams[0].max() == pytest.approx(1, abs=1e-4)
    assert out.seg_logits.data.shape == (4, 40, 56)
    assert torch.all(out.seg_logits.data[0] == 0.4)
    expected = torch.cat([cams.new_full((1, 40, 56), 0.4), cams]).argmax(0)
    assert torch.equal(out.pred_sem_seg.data[0], expected)


def test_configuration_errors_are_named():
    model = build()
    with pytest.raises(ValueError, match="'nonsense'"):
        model.set_stage(losses=['nonsense'])
    with pytest.raises(ValueError, match='prompt'):
        model.set_stage(losses=['prompt', 'match'])
    with pytest.raises(ValueError, match='background_text_loss'):
        model.set_stage(losses=['background_text'])
    with pytest.raises(KeyError, match='img_labels'):
        model.loss(torch.randn(1, 3, 32, 32), [SegDataSample(
            metainfo=dict(img_path='dog.jpg'))])
    with pytest.raises(ValueError, match="'sigmod'"):
        build(soft_mask=dict(mode='sigmod'))


def test_clip_pixel_option_masks_raw_pixels():
    model = build(clip_pixels='clip')
    model.set_stage(losses=['match'])
    x = torch.zeros(1, 3, 32, 32)  # ImageNet mean after normalisation
    raw = model.clip_input(x, 32)
    assert torch.allclose(raw[0, :, 0, 0],
                          torch.tensor([123.675, 116.28, 103.53]))
    clip_space = model.to_clip_space(raw * 0)  # a fully masked image: black
    mean = torch.tensor(model.clip_guide.image_mean)
    std = torch.tensor(model.clip_guide.image_std)
    assert torch.allclose(clip_space[0, :, 0, 0], -mean / std)
    losses = model.loss(x, samples([[1, 0, 0]]))
    assert torch.isfinite(losses['loss_match'])


# ---------------------------------------------------------------------------
# image-level labels at inference: 'gt', 'predicted', class names


def loose(shape=(32, 32), path='photo.jpg'):
    """A sample as inference_model packs an image: no labels, no index."""
    return SegDataSample(metainfo=dict(img_shape=shape, ori_shape=shape,
                                       img_path=path))


def set_class_scores(model, logits):
    """Make the CAM network's class-token scores ``logits`` (K,)."""
    original = model.cam_net.forward

    def forward(x):
        out = original(x)
        out['cls_logits'] = torch.as_tensor(logits).expand(x.shape[0], -1)
        return out

    model.cam_net.forward = forward


def test_gt_labels_are_the_samples_own():
    model = build().eval()
    model.dataset_meta = dict(classes=('background', 'cat', 'dog', 'cow'))
    s = samples([[0, 1, 1]])
    s[0].set_metainfo(dict(sample_idx=0))
    with torch.no_grad():
        out = model.predict(torch.randn(1, 3, 32, 32), s)[0]
    assert out.label_source == 'gt' and out.label_names == ['dog', 'cow']
    assert out.pred_cams.data[0].abs().max() == 0


def test_predicted_labels_threshold_the_class_scores(caplog):
    model = build().eval()
    model.dataset_meta = dict(classes=('background', 'cat', 'dog', 'cow'))
    # sigmoid(0.2) = 0.55, sigmoid(-0.1) = 0.475, sigmoid(3) = 0.95
    set_class_scores(model, [0.2, -0.1, 3.0])
    with torch.no_grad():
        out = model.predict(torch.randn(1, 3, 32, 32), [loose()])[0]
    assert out.label_source == 'predicted'
    assert out.label_names == ['cat', 'cow']
    assert np.array_equal(out.img_labels, [1, 0, 1])
    assert out.label_scores == pytest.approx(
        torch.sigmoid(torch.tensor([0.2, -0.1, 3.0])).numpy())
    assert out.pred_cams.data[1].abs().max() == 0
    assert out.pred_cams.data[0].max() == pytest.approx(1, abs=1e-4)
    model.test_cfg['label_threshold'] = 0.99  # none passes: the top class
    with torch.no_grad():
        out = model.predict(torch.randn(1, 3, 32, 32), [loose()])[0]
    assert out.label_names == ['cow']


class Records(logging.Handler):
    """Collects the messages of mmengine's current logger."""

    def __init__(self):
        super().__init__()
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def test_a_loose_image_under_gt_uses_predicted_and_says_so():
    model = build().eval()
    set_class_scores(model, [-5., 4., -5.])
    records = Records()
    logger = MMLogger.get_current_instance()
    logger.addHandler(records)
    try:
        with torch.no_grad():
            out = model.predict(torch.randn(1, 3, 32, 32),
                                [loose(path='img.jpg')])[0]
    finally:
        logger.removeHandler(records)
    assert model.test_cfg['labels'] == 'gt'
    # no dataset_meta: the CLIP prompt names of the config are the names
    assert out.label_source == 'predicted' and out.label_names == ['b']
    assert ("img.jpg: CAMs for the CAM network's predicted classes "
            '(score >= 0.5): b') in records.messages


def test_a_dataset_sample_without_labels_is_refused_under_gt():
    model = build().eval()
    s = loose()
    s.set_metainfo(dict(sample_idx=7))
    with pytest.raises(KeyError, match="photo.jpg has no 'img_labels'.*"
                       "labels='predicted'"):
        model.predict(torch.randn(1, 3, 32, 32), [s])


def test_given_class_names_label_every_image():
    model = build(test_cfg=dict(labels=['dog', 'A']))
    model.eval()
    model.dataset_meta = dict(classes=('background', 'cat', 'dog', 'cow'))
    # 'dog' is a class name, 'A' the CLIP prompt name 'a' of class 0
    s = samples([[0, 0, 1]])  # own labels are ignored
    with torch.no_grad():
        out = model.predict(torch.randn(1, 3, 32, 32), s)[0]
    assert out.label_source == 'given' and out.label_names == ['cat', 'dog']
    assert out.pred_cams.data[2].abs().max() == 0
    model.test_cfg['labels'] = ('horse', )
    with pytest.raises(ValueError, match="'horse'.*'cat', 'dog', 'cow'"):
        model.predict(torch.randn(1, 3, 32, 32), s)
    with pytest.raises(ValueError, match="'guessed'"):
        build(test_cfg=dict(labels='guessed'))
    baseline = build(clip_guide=None, prompt_learner=None, match_loss=None,
                     prompt_loss=None, refine_loss=None,
                     test_cfg=dict(labels=['cat']))
    with pytest.raises(ValueError, match='knows no class names'):
        baseline.predict(torch.randn(1, 3, 32, 32), [loose()])


def test_prediction_without_data_samples():
    model = build().eval()
    with torch.no_grad():
        out = model.predict(torch.randn(2, 3, 32, 48))
    assert len(out) == 2 and out[0].pred_cams.data.shape == (3, 32, 48)
    assert out[1].label_source == 'predicted'


def test_init_model_arguments_are_accepted(tmp_path):
    # mmseg.apis.init_model sets pretrained=None and train_cfg=None
    model = build(pretrained=None, train_cfg=None)
    assert model.active_losses == ('match', 'refine', 'cam')
    model = build(pretrained=str(tmp_path / 'deit.pth'))
    assert model.cam_net.pretrained == str(tmp_path / 'deit.pth')
@pytest.mark.parametrize('losses', [['match'], ['match', 'refine'],
                                    ['prompt'], ['cam']])
def test_each_loss_computes_its_terms_once(losses, monkeypatch):
    model = build()
    model.set_stage(losses=losses)
    calls = []
    for loss in [model.match_loss, model.prompt_loss, model.refine_loss,
                 *model.cam_losses]:
        original = loss.terms
        monkeypatch.setattr(
            loss, 'terms',
            lambda *a, _o=original, _n=loss.loss_name: calls.append(_n) or
            _o(*a))
    out = model.loss(torch.randn(2, 3, 32, 32), samples(LABELS))
    names = [k for k in out if k.startswith('loss_')]
    assert sorted(calls) == sorted(names) and len(names) == len(losses)


def test_weighted_terms_equal_the_forward_of_every_loss():
    model = build()
    torch.manual_seed(1)
    a, b, c = (F.normalize(torch.randn(3, 16), dim=-1) for _ in range(3))
    for loss, args in ((model.match_loss, (a, b, c)),
                       (model.prompt_loss, (a, b, c)),
                       (model.refine_loss, (a, b))):
        assert torch.equal(loss.weighted(loss.terms(*args)), loss(*args))
    cam_out = model.cam_net(torch.randn(2, 3, 32, 32))
    labels = torch.tensor([[1., 0, 1], [0, 1, 0]])
    cls = model.cam_losses[0]
    assert torch.equal(cls.weighted(cls.terms(cam_out, labels)),
                       cls(cam_out, labels))


def test_stage2_encodes_exactly_the_background_images(monkeypatch):
    model = build()
    model.set_stage(losses=['prompt'], mask_eps=1e-4)
    x = torch.randn(2, 3, 32, 32)
    seen = []
    original = model.clip_guide.encode_images
    monkeypatch.setattr(model.clip_guide, 'encode_images',
                        lambda imgs: seen.append(imgs) or original(imgs))
    model.loss(x, samples(LABELS))
    model.cam_net.eval()
    with torch.no_grad():
        masks = model.soft_masks(model.cam_net(x), 32)
    expected = torch.stack([(1 - masks[0, 0]) * x[0], (1 - masks[0, 2]) * x[0],
                            (1 - masks[1, 1]) * x[1]])
    assert len(seen) == 1 and seen[0].shape == (3, 3, 32, 32)
    assert torch.allclose(seen[0], expected, atol=1e-6)


def test_train_step_and_test_step_run_on_the_model_device(device):
    """mmengine's path: uint8 images on the CPU go through the data
    preprocessor to the model's device; losses, gradients and predictions
    stay there (CLIP built lazily on that device)."""
    from mmengine.optim import OptimWrapper
    model = keep_aaf_alive(build(data_preprocessor=dict(
        type='SegDataPreProcessor', mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375], bgr_to_rgb=True,
        size=(32, 32)))).to(device)
    model.set_stage(losses=['match'], mask_eps=0.1)
    torch.manual_seed(1)
    data = dict(inputs=[torch.randint(0, 256, (3, 32, 32), dtype=torch.uint8)
                        for _ in LABELS],
                data_samples=samples(LABELS))
    assert model.data_preprocessor._non_blocking  # from pinned batches
    head = model.cam_net.head.weight
    before = head.detach().clone()
    optim = OptimWrapper(torch.optim.SGD(
        [p for p in model.parameters() if p.requires_grad], lr=1.))
    log_vars = model.train_step(data, optim)
    assert torch.isfinite(log_vars['loss']) and log_vars['loss'] > 0
    assert log_vars['loss'].device.type == device.type
    assert not torch.equal(head.detach(), before)  # the step updated S
    assert model.clip_guide.clip.visual.conv1.weight.device == head.device
    model.eval()
    out = model.test_step(dict(inputs=data['inputs'][:1],
                               data_samples=samples(LABELS[:1])))[0]
    assert out.pred_cams.data.shape == (K, 32, 32)
    assert out.pred_sem_seg.data.device.type == device.type


def test_clip_guide_follows_the_model_under_ddp(device, tmp_path):
    """As mmengine's Runner does it: the model moved to the device, wrapped
    in MMDistributedDataParallel, weights initialised (CLIP built there,
    lazily), then train steps; CLIP stays out of DDP's parameters."""
    import torch.distributed as dist
    from mmengine.model import MMDistributedDataParallel
    from mmengine.optim import OptimWrapper
    cuda = device.type == 'cuda'
    dist.init_process_group('nccl' if cuda else 'gloo', rank=0, world_size=1,
                            init_method=f'file://{tmp_path / "store"}')
    try:
        model = keep_aaf_alive(build(data_preprocessor=dict(
            type='SegDataPreProcessor', mean=[123.675, 116.28, 103.53],
            std=[58.395, 57.12, 57.375], bgr_to_rgb=True,
            size=(32, 32)))).to(device)
        model.set_stage(losses=['match'], mask_eps=0.1)
        ddp = MMDistributedDataParallel(
            module=model, device_ids=[device.index or 0] if cuda else None,
            broadcast_buffers=False, find_unused_parameters=True)
        assert not model.clip_guide.is_built
        model.init_weights()  # Runner: model.module.init_weights()
        clip_weight = model.clip_guide.clip.visual.conv1.weight
        assert clip_weight.device == model.cam_net.head.weight.device
        assert not any(n.startswith('module.clip_guide')
                       for n, _ in ddp.named_parameters())
        before = clip_weight.detach().clone()
        optim = OptimWrapper(torch.optim.SGD(
            [p for p in model.parameters() if p.requires_grad], lr=1.))
        data = dict(inputs=[torch.randint(0, 256, (3, 32, 32),
                                          dtype=torch.uint8)
                            for _ in LABELS],
                    data_samples=samples(LABELS))
        for _ in range(2):
            log_vars = ddp.train_step(data, optim)
            assert torch.isfinite(log_vars['loss'])
        assert torch.equal(clip_weight, before)
        assert model.cam_net.head.weight.grad is None or \
            model.cam_net.head.weight.grad.device == clip_weight.device
    finally:
        dist.destroy_process_group()
