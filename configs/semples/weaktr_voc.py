# Short name of semples_weaktr-deit-s_8xb8-3x60e_voc-224.py:
#   tools/dist_train.sh configs/semples/weaktr_voc.py 8
_base_ = ['./semples_weaktr-deit-s_8xb8-3x60e_voc-224.py']
