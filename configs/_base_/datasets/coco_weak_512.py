# COCO weak labels with CLIMS' augmentation: long side resized to 320-640,
# flip, 512 x 512 crops (zero-padded after normalisation by the model's data
# preprocessor, as IRNet / CLIMS pad). Batch 4 per GPU x 4 GPUs = CLIMS' 16.
_base_ = ['./coco_weak.py']
crop_size = 512
train_pipeline = {{_base_.clims_train_pipeline}}
train_dataloader = dict(batch_size=4, dataset=dict(pipeline=train_pipeline))
