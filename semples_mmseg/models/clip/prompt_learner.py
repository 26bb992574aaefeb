"""Learnable background prompts (METHOD section 4)."""
import torch
from torch import Tensor, nn

from mmseg.registry import MODELS

BARE_DOT_TOKEN_ID = 13  # the symbol "." the reference uses (not "."</w> = 269)


@MODELS.register_module()
class BackgroundPromptLearner(nn.Module):
    """Per class, L learnable vectors that learn to describe its background.

    Each class's sequence is built in token-embedding space,
    ``[SOT] embed("a photo of") p_k embed(".") [EOT]``, and run through
    CLIP's own frozen text path; gradients reach only ``prompts``. Causal
    attention makes everything after EOT irrelevant, so the sequence is cut
    right after it (T = L + 6 instead of 77: same output, less work).

    Args:
        num_classes: K.
        prompt_length: L (30).
        embed_dims: CLIP text width (512 for ViT-B/32).
        prefix: the words before the prompt vectors.
        dot_token_id: the token after them: the bare "." (13) as in the
            reference; 269 is the word-final "." the tokenizer emits.
    """

    def __init__(self,
                 *,
                 num_classes: int,
                 prompt_length: int = 30,
                 embed_dims: int = 512,
                 prefix: str = 'a photo of',
                 dot_token_id: int = BARE_DOT_TOKEN_ID) -> None:
        super().__init__()
        self.prompts = nn.Parameter(
            torch.rand(num_classes, prompt_length, embed_dims))
        self.prefix = prefix
        self.dot_token_id = dot_token_id
        # template ids per (guide, device): made and copied to the device
        # once, not every step (a host-to-device copy waits for the GPU)
        self._ids_cache: dict = {}

    @property
    def num_classes(self) -> int:
        return self.prompts.shape[0]

    def token_ids(self, guide) -> Tensor:
        """(L + 6,) template ids; the L prompt slots hold 0 (placeholders)."""
        vocab = guide.token_embedding_table_size
        if not 0 <= self.dot_token_id < vocab:
            raise ValueError(f'dot_token_id {self.dot_token_id} is outside '
                             f'the CLIP vocabulary [0, {vocab})')
        prefix = [guide.sot_token_id] + guide.word_token_ids(self.prefix)
        length = self.prompts.shape[1]
        return torch.tensor(prefix + [0] * length +
                            [self.dot_token_id, guide.eot_token_id])

    def eot_index(self, guide) -> int:
        """Position of EOT: 1 + len(prefix words) + L + 1 (= L + 5)."""
        return 1 + len(guide.word_token_ids(self.prefix)) + \
            self.prompts.shape[1] + 1

    def forward(self, guide) -> Tensor:
        """(K, D) L2-normalised background-prompt embeddings u^b."""
        if guide.text_width != self.prompts.shape[-1]:
            raise ValueError(
                f'prompt embed_dims {self.prompts.shape[-1]} does not match '
                f'the CLIP text width {guide.text_width}')
        n_prefix = 1 + len(guide.word_token_ids(self.prefix))
        key = (id(guide), self.dot_token_id, self.prefix, self.prompts.shape[1],
               self.prompts.device)
        if key not in self._ids_cache:
            self._ids_cache = {key: self.token_ids(guide).to(key[-1])}
        ids = self._ids_cache[key]
        fixed = guide.token_embedding(ids).to(self.prompts.dtype)
        k = self.num_classes
        seq = torch.cat([
            fixed[:n_prefix].expand(k, -1, -1), self.prompts,
            fixed[-2:].expand(k, -1, -1)
        ], dim=1)
        eot = torch.full((k, ), self.eot_index(guide), device=seq.device)
        return guide.encode_token_embeddings(seq, eot)
