# The WeakTr retraining config with a CPU-sized encoder and decoder (width
# 32, 2 layers, random weights); crops, windows, loss, schedule, datasets
# and the test protocol are the real ones. Tests set the data paths with
# --cfg-options.
_base_ = [
    '../../../configs/weaktr_retrain/segmenter_deit-s_gcd_1xb4-100e_voc-480_pseudo.py'  # noqa
]
model = dict(
    backbone=dict(embed_dims=32, num_layers=2, num_heads=2, init_cfg=None),
    decode_head=dict(in_channels=32, channels=32, embed_dims=32,
                     num_heads=2))
