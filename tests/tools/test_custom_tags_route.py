"""From a folder of images and a CSV of tags to a segmentation model that
names the user's classes on a new image, through the tools and the
configs/custom/ configs at CPU size; no pixel label is read on the way."""
import importlib.util
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.runner import Runner
from PIL import Image

from fixtures import make_tag_folder
from test_train_semples import run

pytestmark = pytest.mark.slow  # trains models / spawns processes

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / 'tests/data/configs'
SEMPLES = str(DATA / 'semples_custom_tags_tiny_fixture.py')
SEG = str(DATA / 'deeplabv3plus_custom_tags_tiny_fixture.py')


def roots(root, splits=('train', 'val', 'test')):
    return [f'{s}_dataloader.dataset.data_root={root}' for s in splits]


@pytest.fixture(scope='module')
def route(tmp_path_factory):
    """SemPLeS (a stage each), pseudo masks, two segmentation steps."""
    tmp = tmp_path_factory.mktemp('route')
    data = tmp / 'data'
    make_tag_folder(str(data), num_images=8, masks=True)
    (data / 'masks').rename(tmp / 'answers')  # the run never sees them
    semples = tmp / 'semples'
    run([sys.executable, 'tools/train.py', SEMPLES, '--work-dir',
         str(semples), '--cfg-options', *roots(data)])
    pseudo = tmp / 'pseudo'
    log = run([sys.executable, 'tools/make_pseudo_masks.py', SEMPLES,
               str(semples / 'best_stage3.pth'), '--out-dir', str(pseudo),
               '--workers', '0', '--cfg-options', *roots(data, ['test'])])
    seg = tmp / 'seg'
    run([sys.executable, 'tools/train.py', SEG, '--work-dir', str(seg),
         '--cfg-options', *roots(data, ['train', 'test']),
         f'train_dataloader.dataset.mask_dir={pseudo}'])
    return tmp, log


def test_pseudo_masks_mirror_the_folder_tree(route):
    tmp, log = route
    written = sorted(str(p.relative_to(tmp / 'pseudo'))
                     for p in (tmp / 'pseudo').rglob('*.png'))
    photos = sorted(str(p.relative_to(tmp / 'data/photos').with_suffix(
        '.png')) for p in (tmp / 'data/photos').rglob('*.jpg'))
    assert written == photos and len(written) == 8
    assert '8 of 8 masks to write' in log
    for name in written:
        mask = np.array(Image.open(tmp / 'pseudo' / name))
        image = Image.open((tmp / 'data/photos' / name).with_suffix('.jpg'))
        assert mask.shape == (image.height, image.width)
        assert set(np.unique(mask)) <= {0, 1, 2}
    # a second run neither overwrites nor silently skips
    out = run([sys.executable, 'tools/make_pseudo_masks.py', SEMPLES,
               str(tmp / 'semples/best_stage3.pth'), '--out-dir',
               str(tmp / 'pseudo'), '--resume', '--workers', '0',
               '--cfg-options', *roots(tmp / 'data', ['test'])])
    assert '0 of 8 masks to write' in out


def test_the_segmentation_model_predicts_the_users_classes(route, tmp_path):
    tmp, _ = route
    ckpt = tmp / 'seg/iter_2.pth'
    assert ckpt.is_file()
    from mmseg.apis import MMSegInferencer
    inferencer = MMSegInferencer(model=SEG, weights=str(ckpt),
                                 device='cpu')
    assert inferencer.model.dataset_meta['classes'] == (
        'background', 'cat', 'dining table')
    new = tmp_path / 'new.jpg'  # an image the folder does not have
    Image.fromarray(np.random.default_rng(3).integers(
        0, 255, (40, 56, 3), dtype=np.uint8)).save(new)
    result = inferencer(str(new), out_dir=str(tmp_path / 'vis'),
                        return_datasamples=True)
    assert tuple(result.pred_sem_seg.data.shape) == (1, 40, 56)
    assert (tmp_path / 'vis/vis/new.jpg').is_file()
    # scored against masks the run never read (tools/test.py's runner)
    cfg = Config.fromfile(SEG)
    cfg.merge_from_dict({'test_dataloader.dataset.data_root': str(
        tmp / 'data'), 'test_dataloader.dataset.mask_dir': str(
            tmp / 'answers')})
    cfg.work_dir, cfg.load_from = str(tmp_path / 'test'), str(ckpt)
    metrics = Runner.from_cfg(cfg).test()
    assert 0 <= metrics['mIoU'] <= 100


def test_cams_of_a_new_image_with_the_users_class_names(route, tmp_path):
    tmp, _ = route
    new = tmp_path / 'new.png'
    shutil.copy(tmp / 'data/photos/set_b/img_001.jpg', new)
    spec = importlib.util.spec_from_file_location(
        'image_demo', REPO / 'demo/image_demo.py')
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    out = tmp_path / 'cams.png'
    picture = demo.image_demo(str(new), SEMPLES,
                              str(tmp / 'semples/best_stage3.pth'),
                              labels=['dining table'], out_file=str(out))
    assert out.is_file() and picture.ndim == 3
    from mmseg.apis import inference_model, init_model
    model = init_model(SEMPLES, str(tmp / 'semples/best_stage3.pth'),
                       device='cpu')
    result = inference_model(model, str(new))  # the network's own classes
    assert set(result.label_names) <= {'cat', 'dining table'}
    assert result.label_source == 'predicted'
