# Mask2Former Swin-L (ImageNet-22k) as FMA-WSSS trains it, on SAM-based
# seeds (tools/sam/make_sam_seeds.py) of VOC train_aug: 50 queries, 512
# crops padded to 512 (not 640), batch 8 (2 GPUs x 4), 80k iterations,
# AdamW 1e-4 with the stock multipliers, validation on VOC val every 5000
# iterations keeping the best mIoU, single-scale test. Needs mmdet and
# mmcv's compiled ops (README.md of this folder).
_base_ = '../seg/mask2former_swin-l_8xb2-90k_voc-512_pseudo.py'
crop_size = (512, 512)
data_preprocessor = dict(size=crop_size)
model = dict(
    data_preprocessor=data_preprocessor, decode_head=dict(num_queries=50))
seed_dir = 'sam_seeds'  # relative to the VOC root, or absolute
train_dataloader = dict(
    batch_size=4, dataset=dict(data_prefix=dict(seg_map_path=seed_dir)))
max_iters = 80000
train_cfg = dict(max_iters=max_iters, val_interval=5000)
param_scheduler = [
    dict(type='PolyLR', eta_min=0, power=0.9, begin=0, end=max_iters,
         by_epoch=False)
]
default_hooks = dict(checkpoint=dict(interval=5000, save_best='mIoU'))
auto_scale_lr = dict(enable=False, base_batch_size=8)  # 2 GPUs x 4
