"""Benchmark of the semantic difference convolution: compiled mmext._ext kernel vs the pure-PyTorch reference.

    python tools/benchmarks/bench_sdc.py                  # CPU: B=2, C in {64, 128}, 64^2 and 128^2, both guidances
    python tools/benchmarks/bench_sdc.py --device cuda    # adds cuDNN conv2d 3x3 of the same shape as the floor
    python tools/benchmarks/bench_sdc.py --device cuda --dtype bfloat16   # or float16: 16-bit inputs

Each case is one SDC layer C -> C with V of U's shape, fp32 unless --dtype says otherwise (on CPU the kernel computes
16-bit inputs in fp32). Ratios are measured in the same run.

Time: median of --repeats forward+backward passes (torch.autograd.grad of a fixed upstream gradient with respect
to U, V and the weight) after one warm-up pass. The implementations alternate within each round, so load drift on
a shared machine affects both alike.

Peak memory, inputs excluded:
    cpu   one fresh subprocess per (case, implementation): after a small warm-up call (thread pool, BLAS and
          extension initialisation) and creating the inputs, the kernel's peak-RSS counter VmHWM is reset through
          /proc/self/clear_refs and the peak is VmHWM minus VmRSS before the pass. It counts everything the process
          touches (saved activations, scratch buffers, allocator slack), not only torch tensors.
    cuda  torch.cuda.max_memory_allocated() during the pass minus the memory allocated before it.
"""
import argparse
import json
import statistics
import subprocess
import sys
import time

import torch
import torch.nn.functional as F

from mmext.ops.sdc import available_impls, semantic_difference_conv2d

IMPLS = ('reference', 'kernel')


def make_inputs(batch, channels, size, device, seed=0, dtype='float32'):
    """U, V [B, C, size, size] and weight [C, C, 3, 3] requiring grad, plus an upstream gradient."""
    gen = torch.Generator().manual_seed(seed)
    u, v, grad = (torch.randn(batch, channels, size, size, generator=gen) for _ in range(3))
    weight = torch.randn(channels, channels, 3, 3, generator=gen) / (3 * channels**0.5)
    dtype = getattr(torch, dtype)
    u, v, weight = (t.to(device, dtype).requires_grad_() for t in (u, v, weight))
    return u, v, weight, grad.to(device, dtype)


def forward_backward(impl, guidance, u, v, weight, grad):
    """One forward+backward pass of ``impl`` ('reference', 'kernel' or 'conv2d')."""
    if impl == 'conv2d':
        return torch.autograd.grad(F.conv2d(u, weight, padding=1), (u, weight), grad)
    out = semantic_difference_conv2d(u, v, weight, guidance=guidance,
                                     impl='reference' if impl == 'reference' else u.device.type)
    return torch.autograd.grad(out, (u, v, weight), grad)


def _sync(device):
    if device == 'cuda':
        torch.cuda.synchronize()


def time_cases(impls, guidance, inputs, repeats, device):
    """Median seconds per forward+backward pass for each implementation."""
    times = {impl: [] for impl in impls}
    for impl in impls:
        forward_backward(impl, guidance, *inputs)
    for _ in range(repeats):
        for impl in impls:
            _sync(device)
            start = time.perf_counter()
            forward_backward(impl, guidance, *inputs)
            _sync(device)
            times[impl].append(time.perf_counter() - start)
    return {impl: statistics.median(ts) for impl, ts in times.items()}


def _proc_status(key):
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(key + ':'):
                return int(line.split()[1]) * 1024
    raise KeyError(key)


def cpu_peak_memory_here(impl, guidance, batch, channels, size, dtype):
    """Peak RSS increase (bytes) of one pass in this process; meant to run in a fresh subprocess."""
    forward_backward(impl, guidance, *make_inputs(1, channels, 8, 'cpu', dtype=dtype))
    inputs = make_inputs(batch, channels, size, 'cpu', dtype=dtype)
    with open('/proc/self/clear_refs', 'w') as f:
        f.write('5')  # resets VmHWM to the current RSS
    before = _proc_status('VmRSS')
    forward_backward(impl, guidance, *inputs)
    return _proc_status('VmHWM') - before


def cpu_peak_memory(impl, guidance, batch, channels, size, dtype):
    job = json.dumps(dict(impl=impl, guidance=guidance, batch=batch, channels=channels, size=size, dtype=dtype))
    result = subprocess.run([sys.executable, __file__, '--memory-job', job],
                            check=True,
                            capture_output=True,
                            text=True)
    return int(result.stdout.strip().splitlines()[-1])


def cuda_peak_memory(impl, guidance, inputs):
    torch.cuda.synchronize()
    before = torch.cuda.memory_allocated()
    torch.cuda.reset_peak_memory_stats()
    forward_backward(impl, guidance, *inputs)
    torch.cuda.synchronize()
    return torch.cuda.max_memory_allocated() - before


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--device', choices=['cpu', 'cuda'], default='cpu')
    parser.add_argument('--batch', type=int, default=2)
    parser.add_argument('--channels', type=int, nargs='+', default=[64, 128])
    parser.add_argument('--sizes', type=int, nargs='+', default=[64, 128], help='H = W')
    parser.add_argument('--guidance', nargs='+', default=['per_channel', 'shared'],
                        choices=['per_channel', 'shared'])
    parser.add_argument('--dtype', choices=['float32', 'float16', 'bfloat16'], default='float32')
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--threads', type=int, help='torch.set_num_threads (default: torch default)')
    parser.add_argument('--memory-job', help=argparse.SUPPRESS)
    return parser.parse_args()


def main():
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.memory_job:
        print(cpu_peak_memory_here(**json.loads(args.memory_job)))
        return
    if args.device not in available_impls():
        sys.exit(f'mmext._ext has no {args.device} kernel (available: {available_impls()}); build it first')
    if args.device == 'cuda' and not torch.cuda.is_available():
        sys.exit('--device cuda needs a GPU')
    impls = IMPLS + (('conv2d', ) if args.device == 'cuda' else ())
    where = torch.cuda.get_device_name() if args.device == 'cuda' else f'CPU, {torch.get_num_threads()} threads'
    memory_method = 'subprocess VmHWM' if args.device == 'cpu' else 'CUDA allocator'
    print(f'SDC forward+backward, B={args.batch}, {args.dtype}, {where}, torch {torch.__version__}; median of '
          f'{args.repeats}. Peak memory excludes the inputs ({memory_method}).')
    header = (f'{"C":>4} {"HxW":>7} {"guidance":>11} | {"ref ms":>8} {"kernel ms":>9} {"speedup":>7} | {"ref MB":>8} '
              f'{"kernel MB":>9} {"mem ratio":>9}')
    if args.device == 'cuda':
        header += f' | {"conv2d ms":>9} {"kernel/conv":>11}'
    print(header)
    print('-' * len(header))
    for channels in args.channels:
        for size in args.sizes:
            for guidance in args.guidance:
                inputs = make_inputs(args.batch, channels, size, args.device, dtype=args.dtype)
                times = time_cases(impls, guidance, inputs, args.repeats, args.device)
                if args.device == 'cpu':
                    memory = {
                        impl: cpu_peak_memory(impl, guidance, args.batch, channels, size, args.dtype)
                        for impl in IMPLS
                    }
                else:
                    memory = {impl: cuda_peak_memory(impl, guidance, inputs) for impl in IMPLS}
                row = (f'{channels:>4} {f"{size}x{size}":>7} {guidance:>11} | {times["reference"] * 1e3:>8.1f} '
                       f'{times["kernel"] * 1e3:>9.1f} {times["reference"] / times["kernel"]:>6.1f}x | '
                       f'{memory["reference"] / 2**20:>8.1f} {memory["kernel"] / 2**20:>9.1f} '
                       f'{memory["kernel"] / memory["reference"]:>9.3f}')
                if args.device == 'cuda':
                    row += f' | {times["conv2d"] * 1e3:>9.2f} {times["kernel"] / times["conv2d"]:>10.1f}x'
                print(row, flush=True)


if __name__ == '__main__':
    main()
