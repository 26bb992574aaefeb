# WeakTr on COCO 2014 exactly as the reference sets it up: one class token per
# raw COCO category id (90, ten unused) and the data in that id space
# (configs/_base_/datasets/coco90_weak.py); the rest is weaktr_coco.py's.
# The official WeakTr COCO CAM checkpoint (90 tokens) loads here unchanged
# after
#   python tools/model_converters/weaktr2semples.py WeakTr_coco.pth \
#       checkpoints/weaktr_coco90_cam.pth --as-segmentor
# e.g. to score its seeds:
#   python tools/test.py configs/weaktr/weaktr_coco90.py \
#       checkpoints/weaktr_coco90_cam.pth
# A 90 -> 80 conversion cannot be exact (the unused class tokens take part in
# every attention softmax): weaktr_coco.py needs a checkpoint trained with 80.
_base_ = ['./weaktr_coco.py', '../_base_/datasets/coco90_weak.py']
dataset_type = 'COCO90WeakDataset'
data_root = 'data/coco/semples90'
train_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        label_file='cls_labels_coco90.npy',
        id_space=90))
val_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='train_1250_ids.txt',
        img_dir='../train2014',
        seg_dir='masks/train2014',
        label_file='cls_labels_coco90.npy',
        id_space=90))
test_dataloader = val_dataloader
model = dict(cam_net=dict(num_classes=90))
