# COCO 2014 for the IRNet route (the converted layout of
# tools/dataset_converters/coco2014_weak.py, see coco_weak.py): the steps'
# images are train2014 (82081) with their image labels; IRNet trains on them
# with the IR labels as masks; the pseudo masks are scored on all of
# train2014 against its masks (CLIMS step_coco/eval_sem_seg.py).
import os.path as osp

_base_ = ['./voc_irn.py']
data_root = 'data/coco/semples'
irn_dir = osp.abspath('work_dirs/irn_r50_1xb32-3e_coco-512')
cam_dir = irn_dir + '/cams'
ir_label_dir = irn_dir + '/ir_label'
sem_seg_dir = irn_dir + '/sem_seg'
coco_images = dict(
    type='COCOWeakDataset',
    data_root=data_root,
    ann_file='train_ids.txt',
    img_dir='../train2014',
    label_file='cls_labels_coco80.npy',
    id_space=80)
pseudo_mask_dataset = dict(
    _delete_=True,
    seg_dir=None,
    pipeline={{_base_.test_pipeline}},
    **coco_images)
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        seg_dir=ir_label_dir,
        masks_required=True,
        pipeline={{_base_.train_pipeline}},
        **coco_images))
score_dataset = dict(
    _delete_=True,
    seg_dir='masks/train2014',
    masks_required=True,
    scan=False,
    pipeline=[],
    **coco_images)
