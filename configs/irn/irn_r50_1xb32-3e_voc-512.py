# IRNet pseudo masks from CLIMS (or SemPLeS-on-CLIMS) CAMs on VOC: CLIMS's
# root pipeline (CAM -> IR labels 0.30 / 0.10 -> boundary branch -> random
# walk, background 0.2, no CRF). Target: CLIMS's IRNet masks 74.1 mIoU on
# VOC train (its README; not run here: no VOC / GPU). The steps and their
# commands: configs/irn/README.md.
_base_ = [
    '../_base_/semples_runtime.py', '../_base_/datasets/voc_irn.py',
    '../_base_/models/irn_r50.py', '../_base_/schedules/irn_3e.py'
]
