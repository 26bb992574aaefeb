# Mask2Former Swin-L (ImageNet-22k) as FMA-WSSS trains it on COCO 2014, on
# SAM-based seeds of train2014 (tools/sam/make_sam_seeds.py): the VOC
# recipe (50 queries, 512 crops, batch 8, AdamW 1e-4) for 100k iterations,
# 81 classes, evaluated on val2014.
_base_ = '../seg/mask2former_swin-l_8xb2-90k_coco-512_pseudo.py'
crop_size = (512, 512)
data_preprocessor = dict(size=crop_size)
model = dict(
    data_preprocessor=data_preprocessor, decode_head=dict(num_queries=50))
seed_dir = 'sam_seeds'  # relative to the COCO root, or absolute
train_dataloader = dict(batch_size=4, dataset=dict(seg_dir=seed_dir))
max_iters = 100000
train_cfg = dict(max_iters=max_iters, val_interval=5000)
param_scheduler = [
    dict(type='PolyLR', eta_min=0, power=0.9, begin=0, end=max_iters,
         by_epoch=False)
]
default_hooks = dict(checkpoint=dict(interval=5000, save_best='mIoU'))
auto_scale_lr = dict(enable=False, base_batch_size=8)  # 2 GPUs x 4
