# The toy CLIP: open_clip.CLIP keyword arguments of a model small enough to
# train on a CPU, a 48-pixel ViT (patch 8; the segmentor resizes the world's
# 96-pixel crops to it) and a 2-layer text transformer over open_clip's
# standard tokenizer (vocab 49408, context 77). tools/train_toy_clip.py and
# tools/run_demo.py train it from the config's model.clip_guide.model_cfg;
# its weights are a plain state dict trained with open_clip's default GELU.
toy_clip = dict(
    embed_dim=64,
    vision_cfg=dict(image_size=48, patch_size=8, width=96, layers=3,
                    head_width=32, mlp_ratio=4.0),
    text_cfg=dict(context_length=77, vocab_size=49408, width=64, heads=2,
                  layers=2))
