"""The three SemPLeS stages under AMP on CUDA (mmengine's AmpOptimWrapper,
fp16 and bf16) against fp32 on the CPU, same weights and batch: finite
losses within ``amp_stage_check.TOLERANCE``, the same parameters trained,
CLIP never updated, fp32 master weights. The CPU-autocast cases run the
same check everywhere, so the check itself is exercised without a GPU."""
import pytest
import torch

from amp_stage_check import compare_stage

NO_CUDA = not torch.cuda.is_available()
DTYPES = [torch.float16, torch.bfloat16]


@pytest.mark.cuda
@pytest.mark.skipif(NO_CUDA, reason='CUDA is not available '
                    '(torch.cuda.is_available() is False)')
@pytest.mark.parametrize('dtype', DTYPES, ids=['fp16', 'bf16'])
@pytest.mark.parametrize('stage', [1, 2, 3])
@pytest.mark.parametrize('net', ['weaktr', 'clims'])
def test_stage_under_amp_optim_wrapper_on_cuda(net, stage, dtype):
    if dtype == torch.bfloat16 and not torch.cuda.is_bf16_supported():
        pytest.skip(f'{torch.cuda.get_device_name()} has no bf16')
    compare_stage(net, stage, 'cuda', dtype, amp_wrapper=True)


@pytest.mark.parametrize('dtype', DTYPES, ids=['fp16', 'bf16'])
@pytest.mark.parametrize('stage', [1, 2, 3])
def test_stage_under_cpu_autocast(stage, dtype):
    out = compare_stage('weaktr', stage, 'cpu', dtype, amp_wrapper=False)
    worst = max(abs(out['result']['losses'][k] - v)
                for k, v in out['reference']['losses'].items())
    print(f'stage {stage} {dtype}: largest loss difference {worst:.2e}')
