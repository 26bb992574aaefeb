"""The CAM-only model config used by make_pseudo_masks.py and compare.py."""
from pathlib import Path

from mmengine.config import Config

from semples_mmseg.evaluation.pseudo_masks import cam_only_model_cfg

REPO = Path(__file__).resolve().parents[2]


def test_cam_only_cfg_needs_no_weight_file_and_leaves_the_config_alone():
    cfg = Config.fromfile(str(REPO / 'configs/semples/clims_coco.py')).model
    cam_only = cam_only_model_cfg(cfg)
    # the checkpoint supplies the weights: no ImageNet file, no CLIP
    assert cam_only['cam_net']['pretrained'] is None
    assert cam_only['cam_net']['num_classes'] == 80
    assert cam_only['clip_guide'] is None and cam_only['refine_loss'] is None
    assert cam_only['cam_losses'] == []
    assert cfg.cam_net.pretrained == 'checkpoints/resnet50-0676ba61.pth'
    assert cfg.clip_guide.type == 'FrozenCLIPGuide'
