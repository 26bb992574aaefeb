"""tools/sam/make_sam_masks.py and make_sam_seeds.py on a VOC fixture."""
import json
import runpy
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from semples_mmseg.pseudo_masks.region_masks_io import (RegionMasks,
                                                        load_region_masks,
                                                        save_region_masks)
from fixtures import make_voc_fixture

REPO = Path(__file__).resolve().parents[2]
CONFIG = str(REPO / 'tests/data/configs/semples_tiny_fixture.py')


def run_tool(name, *args, monkeypatch):
    """The tool's main() in this process, with ``args`` as its argv."""
    tool = runpy.run_path(str(REPO / 'tools/sam' / name), run_name='tool')
    monkeypatch.setattr(sys, 'argv', [name, *args])
    tool['main']()


@pytest.fixture(scope='module')
def voc(tmp_path_factory):
    root = tmp_path_factory.mktemp('sam_tools')
    written = make_voc_fixture(str(root / 'data'), num_images=4, height=40,
                               width=56)
    return root, written


def data_args(root):
    return ['--ann-file', 'ImageSets/Segmentation/train_aug.txt',
            '--cfg-options', f'test_dataloader.dataset.data_root={root}/data']


def test_slic_masks_for_every_image_then_resume(voc, monkeypatch, capsys):
    root, written = voc
    out = root / 'slic'
    args = [CONFIG, '--slic', '6', '20', '--out-dir', str(out),
            '--workers', '0', *data_args(root)]
    run_tool('make_sam_masks.py', *args, monkeypatch=monkeypatch)
    assert '4 of 4 images to do (slic' in capsys.readouterr().out
    for img_id in written['ids']:
        regions = load_region_masks(str(out / f'{img_id}.npz'))
        assert regions.image_size == (40, 56)
        assert set(regions.levels.tolist()) == {0, 1}
    settings = json.loads((out / 'pseudo_mask_settings.json').read_text())
    assert settings['n_segments'] == [6, 20]

    with pytest.raises(SystemExit, match='already holds 4 mask files'):
        run_tool('make_sam_masks.py', *args, monkeypatch=monkeypatch)
    (out / f'{written["ids"][1]}.npz').unlink()
    run_tool('make_sam_masks.py', *args, '--resume', monkeypatch=monkeypatch)
    assert '1 of 4 images to do' in capsys.readouterr().out
    with pytest.raises(SystemExit, match='n_segments'):
        run_tool('make_sam_masks.py', CONFIG, '--slic', '6', '--out-dir',
                 str(out), '--resume', *data_args(root),
                 monkeypatch=monkeypatch)


def test_a_sam_checkpoint_of_another_variant_is_refused(voc, monkeypatch):
    pytest.importorskip('segment_anything')
    root, _ = voc
    fake = root / 'sam_vit_b_01ec64.pth'
    state = {'image_encoder.patch_embed.proj.weight':
             torch.zeros(768, 3, 1, 1)}
    state.update({f'image_encoder.blocks.{i}.norm1.weight': torch.zeros(1)
                  for i in range(12)})
    torch.save(state, fake)
    out = root / 'refused'
    with pytest.raises(SystemExit, match=r'sam_vit_b_01ec64\.pth holds SAM '
                       r'vit_b, not vit_h'):
        run_tool('make_sam_masks.py', CONFIG, '--sam-checkpoint', str(fake),
                 '--out-dir', str(out), *data_args(root),
                 monkeypatch=monkeypatch)
    assert not out.exists()


def gt(root, img_id):
    return np.array(
        Image.open(root / 'data/SegmentationClassAug' / f'{img_id}.png'))


def write_gt_cams(root, written, folder):
    """(20, H, W) CAMs that are 1 exactly on each labelled class's GT."""
    folder.mkdir()
    for img_id, labels in zip(written['ids'], written['labels']):
        mask = gt(root, img_id)
        cams = np.zeros((20, ) + mask.shape, np.float16)
        for k in np.flatnonzero(labels):
            cams[k] = mask == k + 1
        np.save(folder / f'{img_id}.npy', cams)


def test_seeds_from_regions_and_cams_scored_then_resumed(voc, monkeypatch,
                                                         capsys):
    root, written = voc
    regions = root / 'pixels'
    regions.mkdir()
    for img_id in written['ids']:
        # one-pixel regions: the seeds are then exactly the CAMs' argmax
        h, w = gt(root, img_id).shape
        masks = np.eye(h * w, dtype=bool).reshape(h * w, h, w)
        save_region_masks(RegionMasks.from_masks(masks, [0] * (h * w)),
                          str(regions / f'{img_id}.npz'))
    write_gt_cams(root, written, root / 'cams')
    out = root / 'seeds'
    args = [CONFIG, '--regions', str(regions), '--cams', str(root / 'cams'),
            '--out-dir', str(out), '--gamma', '0.7', '--workers', '0',
            *data_args(root)]
    run_tool('make_sam_seeds.py', *args, monkeypatch=monkeypatch)
    printed = capsys.readouterr().out
    assert '4 of 4 seeds to write' in printed
    for img_id in written['ids']:
        seeds = np.array(Image.open(out / f'{img_id}.png'))
        truth = gt(root, img_id)
        assert np.array_equal(seeds[truth != 255], truth[truth != 255])
    scores = json.loads((out / 'scores.json').read_text())
    assert scores['mIoU'] == 100.0 and scores['images'] == 4

    (out / f'{written["ids"][0]}.png').unlink()
    run_tool('make_sam_seeds.py', *args, '--resume', monkeypatch=monkeypatch)
    assert '1 of 4 seeds to write' in capsys.readouterr().out


def test_bad_inputs_stop_the_seeds_before_any_is_written(voc, monkeypatch):
    root, written = voc
    regions = root / 'bad_regions'
    regions.mkdir()
    for img_id in written['ids']:
        save_region_masks(
            RegionMasks.from_masks(np.ones((1, 40, 56), bool), [2]),
            str(regions / f'{img_id}.npz'))
    first = written['ids'][0]
    save_region_masks(RegionMasks.from_masks(np.ones((1, 40, 50), bool), [2]),
                      str(regions / f'{first}.npz'))
    cams = root / 'bad_cams'
    write_gt_cams(root, written, cams)
    (cams / f'{written["ids"][1]}.npy').unlink()
    out = root / 'bad_seeds'
    with pytest.raises(SystemExit) as stop:
        run_tool('make_sam_seeds.py', CONFIG, '--regions', str(regions),
                 '--cams', str(cams), '--out-dir', str(out),
                 *data_args(root), monkeypatch=monkeypatch)
    message = str(stop.value)
    assert f'{first}.npz: masks of size (40, 50)' in message
    assert f'{written["ids"][1]}.npy: missing' in message
    assert not out.exists()


@pytest.mark.slow  # 2048 point prompts per image, as FMA runs SAM
def test_sam_masks_with_fma_s_settings(voc, monkeypatch, capsys):
    pytest.importorskip('segment_anything')
    from fixtures.tiny_sam import tiny_sam
    from semples_mmseg.pseudo_masks import sam_checkpoint
    root, written = voc
    # a random tiny SAM stands in for ViT-H; every other setting is FMA's
    monkeypatch.setattr(sam_checkpoint, 'build_sam',
                        lambda variant, checkpoint: tiny_sam(64))
    out = root / 'sam'
    run_tool('make_sam_masks.py', CONFIG, '--sam-checkpoint', 'sam.pth',
             '--out-dir', str(out), '--workers', '0', '--device', 'cpu',
             '--points-per-batch', '256', '--ann-file',
             'ImageSets/Segmentation/val.txt', '--cfg-options',
             f'test_dataloader.dataset.data_root={root}/data',
             monkeypatch=monkeypatch)
    assert '2 images, ' in capsys.readouterr().out
    settings = json.loads((out / 'pseudo_mask_settings.json').read_text())
    assert settings['points'] == [1024, 256]  # 32 x 32, then 16 x 16 a crop
    assert (settings['pred_iou_thresh'], settings['stability_score_thresh'],
            settings['min_mask_region_area'],
            settings['rock_sand_water_thresh']) == (0.86, 0.92, 100, 0.3)
    for img_id in written['ids'][2:]:  # the val split
        assert load_region_masks(str(out / f'{img_id}.npz')).image_size == \
            (40, 56)


def test_the_route_from_cams_to_seeds(voc, monkeypatch, capsys):
    """make_pseudo_masks.py --save-cams -> make_sam_masks.py --slic ->
    make_sam_seeds.py: the CAM files chain as they are written."""
    from mmengine.config import Config
    from mmseg.registry import MODELS
    root, written = voc
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(CONFIG).model)
    torch.save({'state_dict': model.state_dict()}, root / 'cam.pth')
    export = runpy.run_path(str(REPO / 'tools/make_pseudo_masks.py'),
                            run_name='tool')
    monkeypatch.setattr(sys, 'argv', [
        'make_pseudo_masks.py', CONFIG, str(root / 'cam.pth'), '--out-dir',
        str(root / 'threshold'), '--save-cams', '--workers', '0',
        *data_args(root)])
    export['main']()
    run_tool('make_sam_masks.py', CONFIG, '--slic', '30', '8', '--out-dir',
             str(root / 'route_regions'), '--workers', '0', *data_args(root),
             monkeypatch=monkeypatch)
    run_tool('make_sam_seeds.py', CONFIG, '--regions',
             str(root / 'route_regions'), '--cams',
             str(root / 'threshold/cams'),
             '--out-dir', str(root / 'route_seeds'), '--workers', '0',
             *data_args(root), monkeypatch=monkeypatch)
    assert '4 seeds written, 0 of them from an image without' in \
        capsys.readouterr().out
    for img_id, labels in zip(written['ids'], written['labels']):
        seeds = np.array(Image.open(root / 'route_seeds' / f'{img_id}.png'))
        assert seeds.shape == (40, 56)
        assert set(np.unique(seeds)) <= {0} | set(np.flatnonzero(labels) + 1)
    scores = json.loads((root / 'route_seeds/scores.json').read_text())
    assert scores['images'] == 4
