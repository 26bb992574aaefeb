# The camera-ready CLIMS pipeline (CVI-SZU/CLIMS previous_version/, whose
# DeepLab-V2 gives the 70.4 / 70.0 that SemPLeS's Table 3 cites) as a preset
# of the same code: IRNet's boundary branch trained as "AffinityNet" and the
# same random walk, with these constants:
# - IR labels: background 0.05 (make_affinity_labels.py);
# - training crops: long side resized to 320-640 (Pillow bicubic), flip,
#   random 512 crop (train_affinitynet.py); SGD with nesterov=True, whose
#   PolyOptimizer passes the weight decay into the momentum slot as IRNet's
#   does, so the momentum is 1e-4 here too;
# - the walk's boundary map made from the image padded to 512 x 512
#   (AffinityNet.get_edge), background 0.25 and a dense label CRF of 1
#   iteration (make_pseudo_labels.py --crf_iteration 1).
# Target: CLIMS camera-ready +RW masks 70.5 mIoU on VOC train (README; its
# CAMs are the camera-ready network's, ours the root version's; not run
# here: no VOC / GPU). Step 1's CAM files are shared with the IRNet config.
import os.path as osp

_base_ = ['./irn_r50_1xb32-3e_voc-512.py']
irn_dir = osp.abspath('work_dirs/affinitynet_r50_1xb32-3e_voc-512')
cam_dir = osp.abspath('work_dirs/irn_r50_1xb32-3e_voc-512/cams')
ir_label_dir = irn_dir + '/ir_label'
sem_seg_dir = irn_dir + '/sem_seg'
train_pipeline = [
    dict(type='LoadCheckedImageFromFile', imdecode_backend='pillow'),
    dict(type='LoadAnnotations', imdecode_backend='pillow'),
    dict(type='RandomResize', scale=(640, 640), ratio_range=(0.5, 1.0),
         keep_ratio=True, interpolation='bicubic', backend='pillow'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomCrop', crop_size=(512, 512)),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(
    dataset=dict(
        data_prefix=dict(seg_map_path=ir_label_dir),
        pipeline=train_pipeline))
optim_wrapper = dict(optimizer=dict(nesterov=True))
model = dict(test_cfg=dict(pad_to=512))
ir_labels = dict(bg_threshold=0.05)
random_walk = dict(bg_threshold=0.25, crf_iterations=1)
