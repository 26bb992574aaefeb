"""configs/weaktr_retrain: WeakTr's online-retraining constants."""
from pathlib import Path

from mmengine.config import Config

REPO = Path(__file__).resolve().parents[1]
FOLDER = REPO / 'configs/weaktr_retrain'
VOC = FOLDER / 'segmenter_deit-s_gcd_1xb4-100e_voc-480_pseudo.py'
COCO = FOLDER / 'segmenter_deit-s_gcd_4xb1-100e_coco-480_pseudo.py'


def test_voc_config_has_the_references_recipe():
    cfg = Config.fromfile(str(VOC))
    backbone, head = cfg.model.backbone, cfg.model.decode_head
    assert (backbone.embed_dims, backbone.num_layers, backbone.num_heads,
            backbone.drop_path_rate) == (384, 12, 6, 0.1)
    assert backbone.interpolate_mode == 'bilinear' and backbone.patch_bias
    assert (head.num_layers, head.drop_rate, head.attn_drop_rate,
            head.drop_path_rate, head.fusion_weight) == (2, 0.1, 0.1, 0.0,
                                                          0.8)
    assert head.loss_decode == dict(type='GradientClippingLoss',
                                    start_value=1.2, window_size=120)
    assert cfg.model.data_preprocessor.size == (480, 480)
    assert cfg.model.test_cfg == dict(mode='slide', crop_size=(480, 480),
                                      stride=(320, 320))
    resize, crop = cfg.train_pipeline[2], cfg.train_pipeline[3]
    assert (resize.scale, resize.ratio_range) == ((4160, 520), (0.5, 2.0))
    assert (crop.crop_size, crop.cat_max_ratio) == ((480, 480), 0.75)
    assert cfg.train_dataloader.batch_size == 4
    assert cfg.train_cfg.max_epochs == 100
    assert cfg.optim_wrapper.optimizer == dict(
        type='SGD', lr=1e-4, momentum=0.9, nesterov=True, weight_decay=0.0)
    assert cfg.param_scheduler[0].eta_min_ratio == 0.1
    views = cfg.tta_pipeline[1].transforms
    assert [v.scale for v in views[0]] == [(2080, 260), (3120, 390),
                                           (4160, 520), (5200, 650),
                                           (6240, 780), (7280, 910)]
    assert [v.prob for v in views[1]] == [0.0, 1.0]
    assert cfg.tta_model == dict(type='CRFSegTTAModel',
                                 crf_preset='weaktr_voc_final')


def test_coco_config_changes_classes_batch_data_and_crf():
    voc, coco = Config.fromfile(str(VOC)), Config.fromfile(str(COCO))
    assert coco.model.decode_head.num_classes == 81
    assert coco.train_dataloader.batch_size == 1
    assert coco.train_dataloader.dataset.classes_of == 'COCOWeakDataset'
    assert coco.test_dataloader.dataset.type == 'COCOWeakDataset'
    assert coco.tta_model.crf_preset == 'weaktr_coco_final'
    assert coco.model.backbone == voc.model.backbone
    assert coco.param_scheduler == voc.param_scheduler
