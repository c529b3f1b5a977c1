"""GPU peers for lrn4j's CUDA backend, measured with CUDA events in one process.

Prints one JSON object per line:
  - copy: device-to-device copy bandwidth (bytes read + written), the memory ceiling;
  - sgemm: cuBLAS FP32 GEMM (TF32 off) at the gate-GEMM shapes, the arithmetic ceiling;
  - lstm.forward / lstm.forward_backward: cuDNN LSTM (FP32, TF32 off) at the lrn4j bench shapes.
Run: python3 bench/gpu/torch_peers.py
"""
import json
import statistics

import torch

torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
dev = torch.device("cuda")


def median_ms(fn, reps=50, warmup=10):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(reps):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        fn()
        b.record()
        b.synchronize()
        times.append(a.elapsed_time(b))
    return statistics.median(times)


def emit(**kw):
    print(json.dumps(kw), flush=True)


gen = torch.Generator(device=dev).manual_seed(7)
src = torch.rand(256 * 1024 * 1024, device=dev, generator=gen)
dst = torch.empty_like(src)
ms = median_ms(lambda: dst.copy_(src))
emit(name="copy", bytes=2 * src.numel() * 4, ms=ms, gbs=2 * src.numel() * 4 / ms / 1e6,
     device=torch.cuda.get_device_name())
del src, dst

for m, k, n in [(4096, 256, 768), (4096, 1024, 3072), (32, 512, 1536), (1, 512, 1536)]:
    a = torch.rand(m, k, device=dev, generator=gen) * 2 - 1
    b = torch.rand(k, n, device=dev, generator=gen) * 2 - 1
    c = torch.empty(m, n, device=dev)
    ms = median_ms(lambda: torch.mm(a, b, out=c), reps=200)
    emit(name="sgemm", peer="cublas", shape=f"{m}x{k}x{n}", ms=ms, gflops=2 * m * n * k / ms / 1e6)

for batch, steps, inp, hid in [(32, 128, 256, 256), (64, 64, 512, 512), (1, 512, 256, 256)]:
    lstm = torch.nn.LSTM(inp, hid).to(dev)
    x = (torch.rand(steps, batch, inp, device=dev, generator=gen) * 2 - 1).requires_grad_(True)
    dy = torch.rand(steps, batch, hid, device=dev, generator=gen) * 2 - 1
    shape = f"{batch}x{steps}x{inp}x{hid}"

    def fwd():
        with torch.no_grad():
            lstm(x)

    def train():
        y, _ = lstm(x)
        y.backward(dy)

    emit(name="lstm.forward", peer="cudnn", shape=shape, ms=median_ms(fwd))
    emit(name="lstm.forward_backward", peer="cudnn", shape=shape, ms=median_ms(train))
