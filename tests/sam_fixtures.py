"""A random-weight SAM small enough for CPU tests (64 x 64 inputs)."""
import torch


def tiny_sam(image_size: int = 64, seed: int = 0):
    """segment_anything's ``Sam`` built from its own modules: a one-block
    ViT image encoder of width 32, random weights, eval mode."""
    from segment_anything.modeling import (ImageEncoderViT, MaskDecoder,
                                           PromptEncoder, Sam,
                                           TwoWayTransformer)
    torch.manual_seed(seed)
    tokens = image_size // 16
    return Sam(
        image_encoder=ImageEncoderViT(
            img_size=image_size, patch_size=16, embed_dim=32, depth=1,
            num_heads=2, out_chans=32, window_size=0),
        prompt_encoder=PromptEncoder(
            embed_dim=32, image_embedding_size=(tokens, tokens),
            input_image_size=(image_size, image_size), mask_in_chans=4),
        mask_decoder=MaskDecoder(
            transformer_dim=32,
            transformer=TwoWayTransformer(
                depth=1, embedding_dim=32, mlp_dim=64, num_heads=2),
            iou_head_hidden_dim=16),
        pixel_mean=[123.675, 116.28, 103.53],
        pixel_std=[58.395, 57.12, 57.375]).eval()
