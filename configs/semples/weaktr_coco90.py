# SemPLeS on WeakTr, COCO 2014 as the reference sets it up: 90 class tokens
# and 90 CLIP prompt names (raw COCO ids; the ten unused ids keep the
# reference's names 'street sign', 'hat', ...), data in that id space
# (configs/_base_/datasets/coco90_weak.py); the rest is weaktr_coco.py's.
# Starts from the official WeakTr COCO CAM checkpoint (90 tokens), unchanged:
#   python tools/model_converters/weaktr2semples.py WeakTr_coco.pth \
#       checkpoints/weaktr_coco90_cam.pth --as-segmentor
#   tools/dist_train.sh configs/semples/weaktr_coco90.py 8
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
model = dict(
    cam_net=dict(
        num_classes=90, pretrained='checkpoints/weaktr_coco90_cam.pth'),
    clip_guide=dict(class_names={{_base_.coco90_prompt_names}}),
    prompt_learner=dict(num_classes=90))
