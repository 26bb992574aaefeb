"""How many OpenMP threads a process of ours runs, and how they wait.

torch computes on the CPU with an OpenMP team. By default every thread of
the team spin-waits for the others at each barrier (libgomp spins for a
long while before it sleeps): on a machine whose cores are busy with other
work, a spinning thread holds a core the thread it waits for needs, and a
job runs many times slower. Unless the user has set them, our processes run
with:

* ``OMP_NUM_THREADS`` = the cores this process may use
  (``os.sched_getaffinity``) divided by the processes per node of a
  distributed run (``LOCAL_WORLD_SIZE`` of torchrun; under slurm with
  ``SLURM_CPUS_PER_TASK``, at most that many), at least 1;
* ``OMP_WAIT_POLICY=PASSIVE``: a waiting thread sleeps at once.

Set either variable to override it (e.g. ``OMP_WAIT_POLICY=ACTIVE`` on a
machine of one's own). The wait policy is read once, when torch loads the
OpenMP runtime, so it must be in the environment before ``import torch``:
``import semples_mmseg`` puts the defaults there when torch is not loaded
yet (:func:`set_openmp_defaults`), the tools import it first, and the
shell launchers (``tools/thread_policy.sh``) export them before Python
starts. Only the standard library is imported here.
"""
import os
import re
import sys
from dataclasses import dataclass
from typing import Dict, Mapping, Optional

THREADS = 'OMP_NUM_THREADS'
WAIT_POLICY = 'OMP_WAIT_POLICY'
#: where the number of processes per node comes from, in order
LOCAL_PROCESS_COUNTS = ('LOCAL_WORLD_SIZE', 'SLURM_NTASKS_PER_NODE',
                        'OMPI_COMM_WORLD_LOCAL_SIZE')


@dataclass(frozen=True)
class ThreadPolicy:
    """The OpenMP settings of a process and where each came from."""

    threads: int
    wait_policy: str
    threads_source: str  # why this many
    user_threads: bool  # OMP_NUM_THREADS was set by the user
    user_wait_policy: bool  # OMP_WAIT_POLICY was set by the user

    def describe(self) -> str:
        wait_source = 'from the environment' if self.user_wait_policy \
            else 'default'
        return (f'thread policy: {self.threads} OpenMP thread(s) per process '
                f'({self.threads_source}), {WAIT_POLICY}={self.wait_policy} '
                f'({wait_source}); set {THREADS} / {WAIT_POLICY} to '
                'override')


def usable_cores() -> int:
    """The cores this process may run on (its affinity mask)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _leading_int(value: Optional[str]) -> Optional[int]:
    """``'4'`` -> 4, slurm's ``'4(x2)'`` -> 4, anything else -> None."""
    match = re.match(r'\s*(\d+)', value or '')
    return int(match.group(1)) if match and int(match.group(1)) > 0 else None


def default_threads(environ: Mapping[str, str],
                    cores: Optional[int] = None) -> tuple:
    """(threads, why) for a process of a job described by ``environ``."""
    cores = usable_cores() if cores is None else cores
    per_task = _leading_int(environ.get('SLURM_CPUS_PER_TASK'))
    if per_task is not None:  # slurm binds each task to its own cores
        return max(1, min(cores, per_task)), (
            f'SLURM_CPUS_PER_TASK={per_task}, {cores} usable cores')
    for key in LOCAL_PROCESS_COUNTS:
        procs = _leading_int(environ.get(key))
        if procs is not None:
            return max(1, cores // procs), (
                f'{cores} usable cores / {procs} processes per node')
    return max(1, cores), f'{cores} usable cores'


def thread_policy(environ: Optional[Mapping[str, str]] = None,
                  cores: Optional[int] = None) -> ThreadPolicy:
    """The policy for ``environ`` (default ``os.environ``): the user's
    values where set, the defaults of the module doc elsewhere."""
    environ = os.environ if environ is None else environ
    user_threads = _leading_int(environ.get(THREADS))
    if user_threads is not None:
        threads, why = user_threads, f'{THREADS} from the environment'
    else:
        threads, why = default_threads(environ, cores)
    wait = environ.get(WAIT_POLICY, '').strip()
    return ThreadPolicy(threads, (wait or 'PASSIVE').upper(), why,
                        user_threads=user_threads is not None,
                        user_wait_policy=bool(wait))


def openmp_defaults(environ: Optional[Mapping[str, str]] = None,
                    cores: Optional[int] = None) -> Dict[str, str]:
    """The variables to add to ``environ``: those the user has not set."""
    environ = os.environ if environ is None else environ
    policy = thread_policy(environ, cores)
    defaults = {}
    if not policy.user_threads:
        defaults[THREADS] = str(policy.threads)
    if not policy.user_wait_policy:
        defaults[WAIT_POLICY] = policy.wait_policy
    return defaults


#: the policy as the first call in this process found it
_first: Dict[str, object] = {}


def set_openmp_defaults() -> None:
    """Put :func:`openmp_defaults` into ``os.environ`` if torch (and so its
    OpenMP runtime) is not loaded yet; otherwise change nothing (a script
    that imported torch first keeps what it set). ``import semples_mmseg``
    calls it."""
    if 'torch' in sys.modules or _first:
        return
    _first['policy'] = thread_policy()
    _first['before_openmp'] = True
    os.environ.update(openmp_defaults())


def apply_thread_policy(*, announce: bool = True) -> ThreadPolicy:
    """What the tools call first in ``main()``: the defaults into
    ``os.environ`` (they reach this process if its OpenMP runtime is not
    loaded yet, and every process it starts) and, with ``announce``, one
    line on stderr (rank 0, once per process)."""
    if not _first:
        _first['policy'] = thread_policy()
        _first['before_openmp'] = 'torch' not in sys.modules
    os.environ.update(openmp_defaults())
    policy = _first['policy']
    rank = os.environ.get('RANK', os.environ.get('SLURM_PROCID', '0'))
    if announce and rank == '0' and not _first.get('announced'):
        _first['announced'] = True
        line = policy.describe()
        if not _first['before_openmp'] and not (
                policy.user_threads and policy.user_wait_policy):
            line += ('; this process loaded OpenMP before the defaults were '
                     'set: they reach the processes it starts')
        print(line, file=sys.stderr, flush=True)
    return policy
