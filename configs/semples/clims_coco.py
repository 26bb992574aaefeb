# Short name of semples_clims-r50_4xb4-3x15e_coco-512.py
_base_ = ['./semples_clims-r50_4xb4-3x15e_coco-512.py']
