"""Class texts that CLIP's tokenizer would cut short are named, before a
run (the pre-flight asks the guide's class) and when CLIP is built."""
import pytest

from fixtures import build_tiny_clip_guide
from semples_mmseg.models.clip import FrozenCLIPGuide


def test_class_texts_clip_would_cut_short():
    long_text = ' '.join(['very'] * 80) + ' long cat'
    cfg = dict(type='FrozenCLIPGuide', class_names=['cat', long_text],
               pretrained=None, arch='ViT-B-32')
    problems = FrozenCLIPGuide.input_problems(cfg)
    assert len(problems) == 1
    assert problems[0].startswith(f'class text {long_text!r} is 88 tokens '
                                  "in 'a photo of {}.', CLIP reads 77")
    assert FrozenCLIPGuide.input_problems(dict(cfg, class_names=['cat'])) \
        == []
    guide = build_tiny_clip_guide(class_names=['cat', long_text])
    with pytest.raises(ValueError, match='is 88 tokens'):
        guide.build()
