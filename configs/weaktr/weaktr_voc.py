# Short name of weaktr_deit-s_8xb8-60e_voc-224.py
_base_ = ['./weaktr_deit-s_8xb8-60e_voc-224.py']
