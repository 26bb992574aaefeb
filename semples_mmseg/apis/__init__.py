"""Getting a trained model for inference (mmseg.apis works as well), and a
tool's config and list dataset."""
from .segmentor_loading import load_segmentor
from .tool_inputs import build_list_dataset, load_config

__all__ = ['load_segmentor', 'load_config', 'build_list_dataset']
