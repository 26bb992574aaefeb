# Short name of clims_r50_4xb4-15e_coco-512.py
_base_ = ['./clims_r50_4xb4-15e_coco-512.py']
