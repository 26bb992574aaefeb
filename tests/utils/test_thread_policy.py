"""The OpenMP thread policy: threads per process and passive waiting
unless the user set them; in the environment before torch loads OpenMP."""
import os
import subprocess
import sys

import pytest

from semples_mmseg.utils.thread_policy import openmp_defaults, thread_policy


def test_one_process_gets_every_usable_core_and_passive_waiting():
    policy = thread_policy({}, cores=8)
    assert (policy.threads, policy.wait_policy) == (8, 'PASSIVE')
    assert not policy.user_threads and not policy.user_wait_policy
    assert openmp_defaults({}, cores=8) == dict(OMP_NUM_THREADS='8',
                                                OMP_WAIT_POLICY='PASSIVE')


@pytest.mark.parametrize('environ, cores, threads', [
    (dict(LOCAL_WORLD_SIZE='4'), 8, 2),  # torchrun, 4 processes a node
    (dict(LOCAL_WORLD_SIZE='4'), 2, 1),  # never 0
    (dict(SLURM_NTASKS_PER_NODE='2(x3)'), 16, 8),
    # slurm binds each task to its cores: no division
    (dict(SLURM_CPUS_PER_TASK='5', SLURM_NTASKS_PER_NODE='8'), 5, 5),
    (dict(SLURM_CPUS_PER_TASK='5'), 40, 5),
])
def test_distributed_runs_share_the_cores(environ, cores, threads):
    assert thread_policy(environ, cores=cores).threads == threads


def test_what_the_user_set_is_kept():
    environ = dict(OMP_NUM_THREADS='3', OMP_WAIT_POLICY='active',
                   LOCAL_WORLD_SIZE='2')
    policy = thread_policy(environ, cores=8)
    assert (policy.threads, policy.wait_policy) == (3, 'ACTIVE')
    assert policy.user_threads and policy.user_wait_policy
    assert openmp_defaults(environ, cores=8) == {}
    assert 'OMP_NUM_THREADS from the environment' in policy.describe()


def python_here(code: str, **env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items()
             if k not in ('OMP_NUM_THREADS', 'OMP_WAIT_POLICY', 'RANK',
                          'LOCAL_WORLD_SIZE')}
    proc = subprocess.run([sys.executable, '-c', code], capture_output=True,
                          text=True, timeout=300, env=dict(clean, **env))
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


# what a tool does: import the package first, call the policy in main()
TOOL = ('import semples_mmseg\n'
        'from semples_mmseg.utils.thread_policy import apply_thread_policy\n'
        'import os, torch\n'
        'apply_thread_policy(); apply_thread_policy()\n'
        'print(os.environ.get("OMP_NUM_THREADS"), '
        'os.environ.get("OMP_WAIT_POLICY"), torch.get_num_threads())\n')


def last_line(proc) -> str:
    return proc.stdout.strip().splitlines()[-1]


@pytest.mark.slow  # starts a Python process
def test_a_tool_sets_the_defaults_before_torch_and_says_so_once():
    cores = len(os.sched_getaffinity(0))
    threads = max(1, cores // 2)
    proc = python_here(TOOL, LOCAL_WORLD_SIZE='2')
    assert last_line(proc) == f'{threads} PASSIVE {threads}'
    assert proc.stderr.count('thread policy: ') == 1
    assert (f'{threads} OpenMP thread(s) per process ({cores} usable cores '
            '/ 2 processes per node), OMP_WAIT_POLICY=PASSIVE (default)'
            in proc.stderr)


@pytest.mark.slow  # starts a Python process
def test_the_users_settings_win_and_only_rank_0_says_so():
    proc = python_here(TOOL, OMP_NUM_THREADS='1', OMP_WAIT_POLICY='ACTIVE',
                       RANK='1')
    assert last_line(proc) == '1 ACTIVE 1'
    assert 'thread policy' not in proc.stderr


@pytest.mark.slow  # starts a Python process
def test_a_script_that_loaded_torch_first_keeps_its_environment():
    proc = python_here('import os, torch, semples_mmseg; '
                       'print(os.environ.get("OMP_NUM_THREADS"), '
                       'os.environ.get("OMP_WAIT_POLICY"))')
    assert last_line(proc) == 'None None'
