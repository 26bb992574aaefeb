# Short name of semples_weaktr-deit-s_8xb4-3x60e_coco90-224.py:
#   tools/dist_train.sh configs/semples/weaktr_coco90.py 8
_base_ = ['./semples_weaktr-deit-s_8xb4-3x60e_coco90-224.py']
