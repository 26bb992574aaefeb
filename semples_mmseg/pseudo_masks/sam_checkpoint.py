"""SAM weights: checked against the variant asked for, then loaded.

``build_sam('vit_h', 'checkpoints/sam_vit_h_4b8939.pth')`` reads the file
(a local path or a URL, through mmengine's ``CheckpointLoader``), refuses a
file that is no SAM checkpoint or holds another variant (naming the file and
what it holds), and only then builds ``segment_anything``'s model.
"""
import re

from mmengine.runner import CheckpointLoader
from segment_anything import sam_model_registry
from segment_anything.modeling import Sam

# image encoder width and depth of each official variant
SAM_VARIANTS = dict(vit_h=(1280, 32), vit_l=(1024, 24), vit_b=(768, 12))
# the files segment-anything's README links
OFFICIAL_FILES = dict(
    vit_h='sam_vit_h_4b8939.pth',
    vit_l='sam_vit_l_0b3195.pth',
    vit_b='sam_vit_b_01ec64.pth')
PATCH_KEY = 'image_encoder.patch_embed.proj.weight'
BLOCK = re.compile(r'^image_encoder\.blocks\.(\d+)\.')


def sam_variant_of(state: dict, source: str) -> str:
    """'vit_h' / 'vit_l' / 'vit_b', or ``embed<W>-depth<D>`` for another
    shape, of a SAM state dict; ``ValueError`` naming ``source`` when the
    state is no SAM state."""
    if PATCH_KEY not in state:
        raise ValueError(f'{source} is not a SAM checkpoint (no {PATCH_KEY})')
    width = int(state[PATCH_KEY].shape[0])
    depth = len({m.group(1) for m in map(BLOCK.match, state) if m})
    for name, shape in SAM_VARIANTS.items():
        if shape == (width, depth):
            return name
    return f'embed{width}-depth{depth}'


def build_sam(variant: str, checkpoint: str) -> Sam:
    """SAM ``variant`` ('vit_h', 'vit_l', 'vit_b') with the weights of
    ``checkpoint``, on the CPU; a file of another variant is refused."""
    if variant not in SAM_VARIANTS:
        raise ValueError(f'unknown SAM variant {variant!r}; one of '
                         f'{sorted(SAM_VARIANTS)}')
    try:
        state = CheckpointLoader.load_checkpoint(checkpoint,
                                                 map_location='cpu')
    except FileNotFoundError:
        raise
    except Exception as exc:
        raise ValueError(f'{checkpoint} is not a SAM checkpoint '
                         f'({type(exc).__name__}: {exc})') from exc
    if not isinstance(state, dict):
        raise ValueError(f'{checkpoint} is not a SAM checkpoint (a '
                         f'{type(state).__name__}, not a state dict)')
    state = state.get('model', state)
    found = sam_variant_of(state, checkpoint)
    if found != variant:
        raise ValueError(f'{checkpoint} holds SAM {found}, not {variant} '
                         f'(expected e.g. {OFFICIAL_FILES[variant]})')
    model = sam_model_registry[variant](checkpoint=None)
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        raise RuntimeError(f'{checkpoint}: {exc}') from exc
    return model
