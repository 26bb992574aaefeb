"""Class texts that CLIP's tokenizer would cut short.

CLIP reads at most ``context_length`` tokens (77), start and end tokens
included; a longer text is silently truncated, so a long class phrase would
reach CLIP without its end. Checked by the pre-flight (before a run builds
anything) and by ``FrozenCLIPGuide`` when it encodes its class texts.
"""
from typing import List, Sequence


def truncated_class_texts(texts: Sequence[str], template: str,
                          tokenizer) -> List[str]:
    """One line per ``template.format(text)`` longer than the tokenizer's
    context (empty when none is, or the tokenizer cannot count tokens)."""
    encode = getattr(tokenizer, 'encode', None)
    context = getattr(tokenizer, 'context_length', None)
    if encode is None or context is None:
        return []
    lines = []
    for text in texts:
        tokens = len(encode(template.format(text))) + 2  # start and end
        if tokens > context:
            lines.append(f'class text {text!r} is {tokens} tokens in '
                         f'{template!r}, CLIP reads {context}: shorten it')
    return lines
