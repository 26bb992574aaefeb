"""A training job on a busy CPU with and without the thread policy, in one run.

    python tools/analysis_tools/benchmark_busy_machine.py \
        [--competitors N] [--steps 10] [--rounds 2] [--quiet-too]

The job is the co-occurrence demo's toy-CLIP phase as a step loop: the
contrastive training step of ``open_clip.CLIP`` at the toy CLIP's sizes
(``projects/cooccur_demo/configs/_base_/models/toy_clip.py``; 48-pixel ViT,
batch 128, AdamW) on random images and captions, ``--steps`` timed steps
after 2 untimed ones. Each run is a fresh process (OpenMP reads its
settings once, when torch loads it), under one of two environments:

* ``before``: what a process got before the policy: no ``OMP_NUM_THREADS``
  / ``OMP_WAIT_POLICY``, i.e. one thread per usable core that spin-waits
  (libgomp's default);
* ``after``: the policy of ``semples_mmseg/utils/thread_policy.py`` (the
  threads of a single process, ``OMP_WAIT_POLICY=PASSIVE``).

Beside the runs, ``--competitors`` processes (default: one per usable core)
keep every core busy with a plain Python loop, as other users' jobs do on a
shared machine. The two environments run in interleaved rounds (the order
alternates), so a change of the machine's own load hits both alike.
``--quiet-too`` also times both with no competitor (what the policy costs
when the machine is idle). Printed: the seconds per step of each (median
over rounds), the ratio before / after, and the machine's load average.
The variables you set yourself are ignored here: the point is the defaults.
"""
import os

# before anything below can add the policy's defaults to the environment
USER_ENV = {k: v for k, v in os.environ.items()
            if k not in ('OMP_NUM_THREADS', 'OMP_WAIT_POLICY')}

import argparse  # noqa: E402
import json  # noqa: E402
import os.path as osp  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOY_CLIP = osp.join(REPO, 'projects', 'cooccur_demo', 'configs', '_base_',
                    'models', 'toy_clip.py')
WARMUP_STEPS = 2


def step_loop(steps: int, batch_size: int, captions: int) -> dict:
    """Time ``steps`` toy-CLIP training steps in this process (the child)."""
    import open_clip
    import torch
    import torch.nn.functional as F
    from mmengine.config import Config

    torch.manual_seed(0)
    model_cfg = Config.fromfile(TOY_CLIP).toy_clip.to_dict()
    model = open_clip.CLIP(**model_cfg).train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    size = model_cfg['vision_cfg']['image_size']
    context = model_cfg['text_cfg']['context_length']
    vocab = model_cfg['text_cfg']['vocab_size']
    images = torch.randn(batch_size, 3, size, size)
    tokens = torch.randint(1, vocab - 1, (captions, context))
    tokens[:, 12] = vocab - 1  # end of text: the pooled position
    tokens[:, 13:] = 0
    which = torch.randint(0, captions, (batch_size, ))

    def step():
        img = F.normalize(model.encode_image(images), dim=-1)
        txt = F.normalize(model.encode_text(tokens), dim=-1)
        logits = model.logit_scale.exp() * img @ txt.t()
        loss = F.cross_entropy(logits, which)
        opt.zero_grad()
        loss.backward()
        opt.step()

    for _ in range(WARMUP_STEPS):
        step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    seconds = time.perf_counter() - start
    return dict(seconds_per_step=seconds / steps,
                threads=torch.get_num_threads(),
                wait_policy=os.environ.get('OMP_WAIT_POLICY', 'unset'))


def environments() -> dict:
    """``before`` / ``after`` environments of a single process."""
    from semples_mmseg.utils.thread_policy import openmp_defaults
    return dict(before=dict(USER_ENV),
                after=dict(USER_ENV, **openmp_defaults(USER_ENV)))


def run_child(env: dict, args) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, '--child', '--steps', str(args.steps),
         '--batch-size', str(args.batch_size), '--captions',
         str(args.captions)], env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit('a timed run failed:\n' + proc.stderr[-3000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def start_competitors(count: int) -> list:
    """``count`` processes that keep one core each busy."""
    return [subprocess.Popen([sys.executable, '-c', 'while True: pass'])
            for _ in range(count)]


def stop(processes: list) -> None:
    for proc in processes:
        proc.terminate()
    for proc in processes:
        proc.wait()


def timed_rounds(envs: dict, args) -> dict:
    """name -> list of child results, in interleaved rounds."""
    results = {name: [] for name in envs}
    names = list(envs)
    for r in range(args.rounds):
        for name in (names if r % 2 == 0 else names[::-1]):
            results[name].append(run_child(envs[name], args))
            print(f'  round {r + 1}, {name}: '
                  f'{results[name][-1]["seconds_per_step"]:.3f} s/step',
                  flush=True)
    return results


def report(title: str, results: dict) -> str:
    rows = [title, '| environment | threads | OMP_WAIT_POLICY | s / step '
            '(median) |', '|---|---|---|---|']
    median = {}
    for name, runs in results.items():
        median[name] = statistics.median(r['seconds_per_step'] for r in runs)
        rows.append(f'| {name} | {runs[0]["threads"]} | '
                    f'{runs[0]["wait_policy"]} | {median[name]:.3f} |')
    rows.append(f'ratio before / after: '
                f'{median["before"] / median["after"]:.2f}x')
    return '\n'.join(rows)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--competitors', type=int,
                        help='busy processes beside the job (default: one '
                        'per usable core)')
    parser.add_argument('--steps', type=int, default=10)
    parser.add_argument('--rounds', type=int, default=2)
    parser.add_argument('--batch-size', type=int, default=128)
    parser.add_argument('--captions', type=int, default=32,
                        help='distinct captions per step')
    parser.add_argument('--quiet-too', action='store_true',
                        help='also time both without competitors')
    parser.add_argument('--child', action='store_true', help=argparse.SUPPRESS)
    return parser.parse_args()


def main():
    args = parse_args()
    if args.child:
        print(json.dumps(step_loop(args.steps, args.batch_size,
                                   args.captions)))
        return
    from semples_mmseg.utils.thread_policy import usable_cores
    cores = usable_cores()
    competitors = cores if args.competitors is None else args.competitors
    envs = environments()
    header = (f'{cores} usable core(s) of {os.cpu_count()}; toy-CLIP steps '
              f'(batch {args.batch_size}), {args.steps} timed after '
              f'{WARMUP_STEPS}, {args.rounds} interleaved round(s)')
    print(header, flush=True)
    tables = []
    if args.quiet_too:
        load = os.getloadavg()[0]
        print('no competitor:', flush=True)
        quiet = timed_rounds(envs, args)
        tables.append(report(f'no competitor (load average {load:.1f} at '
                             'the start)', quiet))
    print(f'{competitors} competing busy process(es):', flush=True)
    busy = start_competitors(competitors)
    try:
        time.sleep(1)  # let them occupy the cores
        load = os.getloadavg()[0]
        loaded = timed_rounds(envs, args)
        load_end = os.getloadavg()[0]
    finally:
        stop(busy)
    tables.append(report(
        f'{competitors} competing busy process(es) (load average {load:.1f} '
        f'-> {load_end:.1f})', loaded))
    print('\n' + header + '\n\n' + '\n\n'.join(tables))


if __name__ == '__main__':
    main()
