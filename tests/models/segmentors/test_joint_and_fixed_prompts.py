"""Table 6's joint training and the fixed-prompt controls of the ablations."""
import pytest
import torch

from test_semples_segmentor import (LABELS, build, grads, keep_aaf_alive,
                                    samples)


def test_joint_training_each_loss_trains_its_own_part():
    model = keep_aaf_alive(build())
    with pytest.raises(ValueError, match='joint=True'):
        model.set_stage(losses=['match', 'prompt', 'refine'])
    model.set_stage(losses=['match', 'prompt', 'refine'], joint=True)
    assert not model.prompt_stage  # the CAM network is not frozen
    model.train()
    x, s = torch.randn(2, 3, 32, 32), samples(LABELS)
    losses = model.loss(x, s)
    assert {'loss_match', 'loss_prompt', 'loss_refine'} <= set(losses)
    # L_prompt reaches the prompts only (background embeddings detached)
    losses['loss_prompt'].backward(retain_graph=True)
    assert model.prompt_learner.prompts.grad.abs().sum() > 0
    assert not any(grads(model.cam_net))
    model.zero_grad()
    # L_match + L_refine reach the CAM network only (prompts detached)
    (losses['loss_match'] + losses['loss_refine']).backward()
    assert all(grads(model.cam_net.head))
    assert (model.prompt_learner.prompts.grad is None
            or model.prompt_learner.prompts.grad.abs().sum() == 0)
    # back to sequential: 'prompt' alone freezes the CAM network again
    model.set_stage(losses=['prompt'])
    assert model.prompt_stage and not model.joint


def test_prompt_loss_lambda_i_zero_keeps_only_the_text_term():
    from mmseg.registry import MODELS
    loss = MODELS.build(dict(type='ContrastivePromptLoss', lambda_t=0.5,
                             lambda_i=0.0))
    torch.manual_seed(0)
    a, b, c = (torch.nn.functional.normalize(torch.randn(3, 8), dim=-1)
               for _ in range(3))
    terms = loss.terms(a, b, c)
    torch.testing.assert_close(loss(a, b, c), 0.5 * terms['prompt_t'])


class FakeGuide(torch.nn.Module):
    """Texts -> fixed vectors; images -> their first 4 pixel values."""
    image_size = 8

    def encode_texts(self, texts):
        torch.manual_seed(len(texts))
        return torch.nn.functional.normalize(torch.randn(len(texts), 4),
                                             dim=-1)

    def encode_images(self, x):
        return torch.nn.functional.normalize(x.flatten(1)[:, :4], dim=-1)


def test_manual_prompts_encode_their_texts_and_load_learner_checkpoints():
    from mmseg.registry import MODELS
    texts = [f'a photo of {scene}.' for scene in
             ('water', 'sky', 'grass', 'sand', 'snow', 'brick wall')]
    manual = MODELS.build(dict(type='ManualBackgroundPrompts', texts=texts,
                               prompt_length=4, embed_dims=16))
    guide = FakeGuide()
    torch.testing.assert_close(manual(guide), guide.encode_texts(texts))
    learner = MODELS.build(dict(type='BackgroundPromptLearner',
                                num_classes=6, prompt_length=4,
                                embed_dims=16))
    manual.load_state_dict(learner.state_dict())  # same keys and shapes
    with pytest.raises(ValueError, match='one non-empty text per class'):
        MODELS.build(dict(type='ManualBackgroundPrompts', texts=[]))

