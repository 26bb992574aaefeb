# Short name of weaktr_deit-s_8xb4-60e_coco90-224.py
_base_ = ['./weaktr_deit-s_8xb4-60e_coco90-224.py']
