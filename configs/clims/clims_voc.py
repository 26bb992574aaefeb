# Short name of clims_r50_4xb4-15e_voc-512.py
_base_ = ['./clims_r50_4xb4-15e_voc-512.py']
