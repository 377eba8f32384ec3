#!/usr/bin/env python3
"""Side-by-side benchmark: Tandem vs NumPy (CPU) and PyTorch, in one invocation (DESIGN §7).

Runs the tandem_bench binary, parses its JSON lines, runs the same cases (same names, same shapes,
read from Tandem's output) in NumPy and, if it can be imported, PyTorch, then prints a table of
Tandem/peer time ratios and writes

    <out>/tandem.jsonl   tandem_bench's lines as printed (written first)
    <out>/results.json   every measurement, the ratios and the machine/software versions
    <out>/results.md     the table in Markdown
    <out>/results.png    a bar chart of the ratios (needs matplotlib)

Usage:
    python3 benchmarks/compare.py [path/to/tandem_bench] [--device auto|cpu|gpu] [--size cpu|full]
        [--filter SUBSTR] [--repeats N] [--threads N] [--out DIR] [--no-numpy] [--no-torch]
        [--scaling] [--install]

Ratios are Tandem time / peer time: below 1 Tandem is faster, above 1 it is slower. Every timing
is wall clock around "run the op + wait for the device", median of repeated runs after warm-up, for
Tandem and for the peers alike. Cases whose Tandem result failed its check get no ratio.
PyTorch runs on the GPU when Tandem does, else on the CPU with Tandem's thread count. NumPy has no
bfloat16: its bf16 cases run in float32 (marked in the table). Missing numpy, torch or matplotlib
only skip their part, with a message; --install pip-installs numpy and matplotlib (never torch).
"""
import argparse
import datetime
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def log(*a):
    print(*a, file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- arguments


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("binary", nargs="?", default=os.path.join(ROOT, "build", "benchmarks", "tandem_bench"),
                   help="tandem_bench binary (default: build/benchmarks/tandem_bench)")
    p.add_argument("--device", choices=["auto", "cpu", "gpu"], default="auto",
                   help="auto: gpu when PyTorch sees a CUDA device, else cpu")
    p.add_argument("--size", choices=["cpu", "full"], default=None,
                   help="shapes (default: cpu-sized on the CPU, full on the GPU)")
    p.add_argument("--filter", default="", help="only cases whose name contains this")
    p.add_argument("--repeats", type=int, default=None, help="timed runs per case (default 10 CPU / 30 GPU)")
    p.add_argument("--warmup", type=int, default=None, help="warm-up runs (default 1 CPU / 5 GPU)")
    p.add_argument("--budget", type=float, default=None, help="seconds of timed runs per case (default 2 CPU / 10 GPU)")
    p.add_argument("--threads", type=int, default=None, help="CPU threads for Tandem and PyTorch")
    p.add_argument("--out", default="bench-out", help="output folder (default bench-out)")
    p.add_argument("--no-numpy", action="store_true", help="skip the NumPy peer")
    p.add_argument("--no-torch", action="store_true", help="skip the PyTorch peer")
    p.add_argument("--scaling", action="store_true",
                   help="thread-scaling mode: elementwise and reduction cases with 1 vs all threads")
    p.add_argument("--install", action="store_true", help="pip install numpy and matplotlib first")
    return p.parse_args()


# ----------------------------------------------------------------------------- optional imports


def pip_install(pkgs):
    log(f"[compare] pip install {' '.join(pkgs)}")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", *pkgs], check=True)


def try_import(name):
    try:
        return __import__(name)
    except Exception as ex:  # ImportError, or a broken install
        log(f"[compare] {name} not available ({type(ex).__name__}: {ex}); skipping what needs it"
            + ("" if name == "torch" else " (run with --install to get it)"))
        return None


# ----------------------------------------------------------------------------- work per case
# Bytes moved and flops per step, the same definitions as bench.cpp, so peers get the same rates.


def base_name(name):
    return name[:-4] if name.endswith("_cpu") else name


def work(base, shape, dtype):
    size = 2 if dtype == "bfloat16" else 4
    n = math.prod(shape)
    if base.startswith("copy"):
        return {"bytes": 2 * n * 4}
    if base.startswith("fma"):
        return {"bytes": 4 * n * 4}
    if base.startswith("gelu"):
        return {"bytes": 2 * n * 2}
    if base.startswith("chain"):
        return {"bytes": 3 * n * 2}
    if base.startswith("sum"):
        return {"bytes": n * 4}
    if base.startswith(("softmax", "layernorm", "rmsnorm")):
        return {"bytes": 2 * n * 2}
    if base.startswith(("matmul", "bmm")):
        *b, m, k, nn = shape
        return {"flops": 2 * math.prod(b) * m * k * nn}
    if base.startswith("gemv"):
        return {"bytes": shape[0] * shape[1] * 2}
    if base.startswith("conv2d"):
        N, H, W, C, O, KH, KW = shape
        return {"flops": 2 * N * H * W * C * O * KH * KW}
    if base.startswith("sdpa"):
        B, H, Lq, Lk, D = shape
        if Lq == 1:
            return {"bytes": 2 * B * H * Lk * D * 2}
        return {"flops": 4 * B * H * Lq * Lk * D / (2 if "causal" in base else 1)}
    if base.startswith("tiny_add"):
        return {"ops": 1000}
    if base.startswith("h2d_d2h"):
        return {"bytes": 2 * n * 4}
    if base.startswith("gpt2"):
        B, T, L, D, H, V = shape  # as gpt::Config::train_flops_per_token in examples/gpt.h
        return {"flops": (6 * (L * 12 * D * D + V * D) + 12 * L * T * D) * B * T}
    return {}


def rates(w, ms):
    r = {}
    if ms and w.get("bytes"):
        r["gbps"] = w["bytes"] / (ms * 1e6)
    if ms and w.get("flops"):
        r["tflops"] = w["flops"] / (ms * 1e9)
    if ms and w.get("ops"):
        r["us_per_op"] = ms * 1e3 / w["ops"]
    return r


# ----------------------------------------------------------------------------- timing


def time_fn(fn, sync, warmup, repeats, budget_s):
    for _ in range(warmup):
        fn()
        sync()
    ts = []
    start = time.perf_counter()
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        sync()
        t1 = time.perf_counter()
        del out
        ts.append((t1 - t0) * 1e3)
        if len(ts) >= 3 and time.perf_counter() - start > budget_s:
            break
    return {"median_ms": statistics.median(ts), "min_ms": min(ts), "reps": len(ts)}


# ----------------------------------------------------------------------------- NumPy peer


def numpy_case(np, base, shape, dtype):
    """Returns (fn, note) for the case in NumPy (float32 stands in for bfloat16)."""
    rng = np.random.default_rng(0)
    f32 = np.float32
    note = ""  # bfloat16 cases run in float32: said once in the table's header

    def rnd(*s, lo=-1.7320508, hi=1.7320508):
        return (rng.random(s, dtype=f32) * f32(hi - lo) + f32(lo)).astype(f32)

    def gelu(x):  # tanh approximation: NumPy has no erf
        c = f32(math.sqrt(2 / math.pi))
        return f32(0.5) * x * (f32(1) + np.tanh(c * (x + f32(0.044715) * x * x * x)))

    def softmax(x):
        e = np.exp(x - x.max(-1, keepdims=True))
        return e / e.sum(-1, keepdims=True)

    if base.startswith("copy"):
        x = rnd(*shape)
        return (lambda: x.copy()), note
    if base.startswith("fma"):
        a, b, c = rnd(*shape), rnd(*shape), rnd(*shape)
        return (lambda: a * b + c), note
    if base.startswith("gelu"):
        x = rnd(*shape, lo=-4, hi=4)
        return (lambda: gelu(x)), "gelu tanh approximation (no erf in NumPy)"
    if base.startswith("chain"):
        u, v = rnd(*shape, lo=-3, hi=3), rnd(*shape)
        return (lambda: np.tanh(gelu(u) * v + f32(1)) * f32(0.5)), "gelu tanh approximation (no erf in NumPy)"
    if base.startswith("sum_lastaxis"):
        x = rnd(*shape)
        return (lambda: x.sum(-1)), note
    if base.startswith("sum_axis0"):
        x = rnd(*shape)
        return (lambda: x.sum(0)), note
    if base.startswith("softmax"):
        x = rnd(*shape, lo=-4, hi=4)
        return (lambda: softmax(x)), note
    if base.startswith(("layernorm", "rmsnorm")):
        x = rnd(*shape, lo=-3, hi=5)
        w, b = rnd(shape[-1], lo=0.5, hi=1.5), rnd(shape[-1], lo=-0.5, hi=0.5)
        eps = f32(1e-5)
        if base.startswith("layernorm"):
            def ln():
                mu = x.mean(-1, keepdims=True)
                xc = x - mu
                return xc / np.sqrt((xc * xc).mean(-1, keepdims=True) + eps) * w + b
            return ln, note
        return (lambda: x / np.sqrt((x * x).mean(-1, keepdims=True) + eps) * w), note
    if base.startswith(("matmul", "bmm")):
        *bt, m, k, n = shape  # {M, K, N} or {batch, M, K, N}
        a, b = rnd(*bt, m, k), rnd(*bt, k, n)
        return (lambda: a @ b), note
    if base.startswith("gemv"):
        n, k = shape
        W, v = rnd(n, k), rnd(1, k)
        return (lambda: v @ W.T), note
    if base.startswith("conv2d"):
        N, H, W, C, O, KH, KW = shape
        x, w = rnd(N, H, W, C), rnd(O, KH, KW, C)
        ph, pw = KH // 2, KW // 2
        from numpy.lib.stride_tricks import sliding_window_view

        def conv():
            xp = np.pad(x, ((0, 0), (ph, ph), (pw, pw), (0, 0)))
            win = sliding_window_view(xp, (KH, KW), axis=(1, 2))  # N,H,W,C,KH,KW
            return np.tensordot(win, w, axes=([3, 4, 5], [3, 1, 2]))  # im2col copy + BLAS
        return conv, "im2col (sliding_window_view) + tensordot"
    if base.startswith("sdpa"):
        B, H, Lq, Lk, D = shape
        q, k, v = rnd(B, H, Lq, D), rnd(B, H, Lk, D), rnd(B, H, Lk, D)
        scale = f32(1 / math.sqrt(D))
        mask = None
        if "causal" in base:
            mask = np.where(np.tril(np.ones((Lq, Lk), dtype=bool), Lk - Lq), f32(0), f32(-np.inf))

        def attn():
            s = (q @ k.swapaxes(-1, -2)) * scale
            if mask is not None:
                s = s + mask
            return softmax(s) @ v
        return attn, note
    if base.startswith("tiny_add"):
        t = rnd(*shape)

        def tiny():
            u = t
            for _ in range(1000):
                u = u + f32(1)
            return u
        return tiny, note
    if base.startswith("mlp"):
        bs, *width = shape
        x = rnd(bs, width[0])
        y = rng.integers(0, width[-1], bs)
        params = []
        for i in range(len(width) - 1):
            r = 1 / math.sqrt(width[i])
            params += [rnd(width[i], width[i + 1], lo=-r, hi=r), rnd(width[i + 1], lo=-r, hi=r)]

        def step():  # forward, manual backward, SGD
            hs = [x]
            h = x
            for i in range(0, len(params), 2):
                h = h @ params[i] + params[i + 1]
                if i + 2 < len(params):
                    h = np.maximum(h, 0)
                hs.append(h)
            p = softmax(h)
            loss = float(-np.log(p[np.arange(bs), y]).mean())
            g = p
            g[np.arange(bs), y] -= 1
            g /= bs
            for i in range(len(params) - 2, -1, -2):
                a = hs[i // 2]
                gw, gb = a.T @ g, g.sum(0)
                if i > 0:
                    g = (g @ params[i].T) * (a > 0)
                params[i] -= f32(0.1) * gw
                params[i + 1] -= f32(0.1) * gb
            return loss
        return step, "manual backward (NumPy has no autodiff)"
    return None, "no NumPy version of this case"


# ----------------------------------------------------------------------------- PyTorch peer


def torch_case(torch, base, shape, dtype, dev):
    """Returns (fn, note) for the case in PyTorch on `dev`."""
    F = torch.nn.functional
    dt = torch.bfloat16 if dtype == "bfloat16" else torch.float32
    g = torch.Generator(device="cpu").manual_seed(0)
    note = ""

    def rnd(*s, lo=-1.7320508, hi=1.7320508, dtype=dt):
        return (torch.rand(*s, generator=g) * (hi - lo) + lo).to(device=dev, dtype=dtype)

    if base.startswith("copy"):
        x = rnd(*shape)
        return (lambda: x.clone()), note
    if base.startswith("fma"):
        a, b, c = rnd(*shape), rnd(*shape), rnd(*shape)
        return (lambda: a * b + c), note
    if base.startswith("gelu"):
        x = rnd(*shape, lo=-4, hi=4)
        return (lambda: F.gelu(x)), note
    if base.startswith("chain"):
        u, v = rnd(*shape, lo=-3, hi=3), rnd(*shape)
        return (lambda: torch.tanh(F.gelu(u) * v + 1.0) * 0.5), note
    if base.startswith("sum_lastaxis"):
        x = rnd(*shape)
        return (lambda: x.sum(dim=-1)), note
    if base.startswith("sum_axis0"):
        x = rnd(*shape)
        return (lambda: x.sum(dim=0)), note
    if base.startswith("softmax"):
        x = rnd(*shape, lo=-4, hi=4)
        return (lambda: torch.softmax(x, dim=-1)), note
    if base.startswith(("layernorm", "rmsnorm")):
        x = rnd(*shape, lo=-3, hi=5)
        w, b = rnd(shape[-1], lo=0.5, hi=1.5), rnd(shape[-1], lo=-0.5, hi=0.5)
        C = shape[-1]
        if base.startswith("layernorm"):
            return (lambda: F.layer_norm(x, (C,), w, b, eps=1e-5)), note
        if hasattr(F, "rms_norm"):
            return (lambda: F.rms_norm(x, (C,), w, eps=1e-5)), note

        def rms():
            xf = x.float()
            return (xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + 1e-5) * w.float()).to(dt)
        return rms, "composed (this torch has no F.rms_norm)"
    if base.startswith(("matmul", "bmm")):
        *bt, m, k, n = shape  # {M, K, N} or {batch, M, K, N}
        a, b = rnd(*bt, m, k), rnd(*bt, k, n)
        return (lambda: a @ b), note
    if base.startswith("gemv"):
        n, k = shape
        W, v = rnd(n, k), rnd(1, k)
        return (lambda: v @ W.T), note
    if base.startswith("conv2d"):
        N, H, W, C, O, KH, KW = shape
        x = rnd(N, C, H, W).contiguous(memory_format=torch.channels_last)
        w = rnd(O, C, KH, KW).contiguous(memory_format=torch.channels_last)
        pad = (KH // 2, KW // 2)
        if dev.startswith("cuda"):
            torch.backends.cudnn.benchmark = True

        def conv():
            with torch.no_grad():
                return F.conv2d(x, w, padding=pad)
        return conv, "channels_last"
    if base.startswith("sdpa"):
        B, H, Lq, Lk, D = shape
        q, k, v = rnd(B, H, Lq, D), rnd(B, H, Lk, D), rnd(B, H, Lk, D)
        causal = "causal" in base
        return (lambda: F.scaled_dot_product_attention(q, k, v, is_causal=causal)), "F.scaled_dot_product_attention"
    if base.startswith("h2d_d2h"):
        if not dev.startswith("cuda"):
            return None, "host <-> device transfers need a GPU"
        x = rnd(*shape).cpu()  # pageable host memory, as a tensor made on the host is
        return (lambda: x.to(dev).cpu()), "x.to('cuda').cpu() from pageable host memory"
    if base.startswith("tiny_add"):
        t = rnd(*shape)

        def tiny():
            u = t
            for _ in range(1000):
                u = u + 1.0
            return u
        return tiny, note
    if base.startswith("mlp"):
        bs, *width = shape
        layers = []
        for i in range(len(width) - 1):
            layers.append(torch.nn.Linear(width[i], width[i + 1]))
            if i + 2 < len(width):
                layers.append(torch.nn.ReLU())
        mlp = torch.nn.Sequential(*layers).to(dev)
        opt = torch.optim.SGD(mlp.parameters(), lr=0.1)
        x = rnd(bs, width[0], dtype=torch.float32)
        y = torch.randint(0, width[-1], (bs,), generator=g).to(dev)

        def step():
            loss = F.cross_entropy(mlp(x), y)
            loss.backward()
            opt.step()
            opt.zero_grad(set_to_none=True)
            return loss
        return step, "autograd + torch.optim.SGD"
    if base.startswith("gpt2"):
        B, T, L, D, H, V = shape
        nn = torch.nn

        class Block(nn.Module):  # the layout of examples/gpt.h: pre-norm, fused qkv, GELU (tanh)
            def __init__(self):
                super().__init__()
                self.ln_1, self.ln_2 = nn.LayerNorm(D), nn.LayerNorm(D)
                self.c_attn, self.c_proj = nn.Linear(D, 3 * D), nn.Linear(D, D)
                self.c_fc, self.mlp_proj = nn.Linear(D, 4 * D), nn.Linear(4 * D, D)

            def forward(self, x, mask):
                b, t, c = x.shape
                q, k, v = self.c_attn(self.ln_1(x)).split(D, dim=2)
                q, k, v = (a.view(b, t, H, c // H).transpose(1, 2) for a in (q, k, v))
                w = torch.softmax((q * (c // H) ** -0.5) @ k.transpose(-1, -2) + mask, dim=-1)
                x = x + self.c_proj((w @ v).transpose(1, 2).reshape(b, t, c))
                return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))

        class GPT(nn.Module):
            def __init__(self):
                super().__init__()
                self.wte, self.wpe = nn.Embedding(V, D), nn.Embedding(T, D)
                self.h = nn.ModuleList(Block() for _ in range(L))
                self.ln_f = nn.LayerNorm(D)

            def forward(self, idx):
                x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1], device=idx.device))
                mask = torch.full((T, T), float("-inf"), device=idx.device).triu(1)
                for blk in self.h:
                    x = blk(x, mask)
                return self.ln_f(x) @ self.wte.weight.t()

        model = GPT().to(dev)
        opt = torch.optim.AdamW(model.parameters(), lr=3e-4, betas=(0.9, 0.95), weight_decay=0.1)
        tok = torch.randint(0, V, (B, T + 1), generator=g).to(dev)
        x, y = tok[:, :-1], tok[:, 1:]

        def step():
            loss = F.cross_entropy(model(x).reshape(-1, V), y.reshape(-1))
            loss.backward()
            opt.step()
            opt.zero_grad(set_to_none=True)
            return loss
        return step, "same model and step in eager PyTorch (explicit attention, fp32, torch.optim.AdamW)"
    return None, "no PyTorch version of this case"


# ----------------------------------------------------------------------------- running


def run_tandem(args, device):
    cmd = [args.binary, "--device", device]
    for flag, val in (("--size", args.size), ("--filter", args.filter or None), ("--repeats", args.repeats),
                      ("--warmup", args.warmup), ("--threads", args.threads), ("--budget", args.budget)):
        if val is not None:
            cmd += [flag, str(val)]
    if args.scaling:
        cmd.append("--scaling")
    log("[compare] " + " ".join(cmd))
    if not os.path.exists(args.binary):
        sys.exit(f"[compare] {args.binary} does not exist: build it first "
                 "(cmake -S . -B build -G Ninja && ninja -C build tandem_bench) or pass its path")
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)  # stderr (progress) passes through
    rows = []
    for line in proc.stdout.splitlines():
        line = line.strip()
        if line.startswith("{"):
            rows.append(json.loads(line))
    if proc.returncode == 1:
        log("[compare] tandem_bench reported failing cases (see 'status')")
    return cmd, rows, proc.returncode


def run_peer(name, make, sync, base, shape, dtype, timing):
    try:
        fn, note = make()
    except Exception as ex:
        return {"status": "error", "reason": f"{type(ex).__name__}: {ex}"}
    if fn is None:
        return {"status": "unsupported", "reason": note}
    try:
        t = time_fn(fn, sync, *timing)
    except Exception as ex:
        return {"status": "error", "reason": f"{type(ex).__name__}: {ex}"}
    r = {"status": "ok", **t, **rates(work(base, shape, dtype), t["median_ms"])}
    if note:
        r["note"] = note
    return r


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def fmt_ms(x):
    return "" if x is None else (f"{x:.3f}" if x < 10 else f"{x:.1f}")


def fmt_shape(s):
    return "×".join(str(x) for x in s)


def fmt_rate(r):
    if r.get("gbps") is not None:
        return f"{r['gbps']:.1f} GB/s"
    if r.get("tflops") is not None:
        return f"{r['tflops']:.3f} TFLOP/s"
    if r.get("us_per_op") is not None:
        return f"{r['us_per_op']:.2f} us/op"
    return ""


def write_outputs(out_dir, meta, results, peers, scaling, plt):
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "results.json"), "w") as f:
        json.dump({"meta": meta, "results": results}, f, indent=1)

    lines = [f"# Tandem benchmarks ({meta['tandem_device']}, {meta['date']})", "",
             f"Machine: {meta['machine']}. Tandem threads: {meta.get('tandem_threads')}. "
             + ", ".join(f"{k} {v}" for k, v in meta["versions"].items()) + ".", ""]
    if scaling:
        lines += ["| case | dtype | shape | threads | median ms | rate | speedup vs 1 thread |",
                  "|---|---|---|---|---|---|---|"]
        for r in results:
            t = r["tandem"]
            lines.append(f"| {t['name']} | {t['dtype']} | {fmt_shape(t['shape'])} | {t.get('threads', '')} | "
                         f"{fmt_ms(t.get('median_ms'))} | {fmt_rate(t)} | "
                         f"{t.get('speedup_vs_1_thread', '') if t.get('threads', 1) != 1 else ''} |")
    else:
        head = "| case | dtype | shape | Tandem ms | Tandem rate |"
        sep = "|---|---|---|---|---|"
        for p in peers:
            head += f" {p} ms | Tandem/{p} |"
            sep += "---|---|"
        lines += ["Ratios are Tandem time / peer time: < 1 means Tandem is faster. Timings: "
                  + meta["timing"] + "."]
        if "NumPy" in peers:
            lines += ["NumPy runs on the CPU and has no bfloat16: its bfloat16 cases run in float32."]
        lines += ["", head, sep]
        for r in results:
            t = r["tandem"]
            st = t["status"]
            tms = fmt_ms(t.get("median_ms")) if st == "ok" else st.replace("_", " ")
            row = f"| {t['name']} | {t['dtype']} | {fmt_shape(t['shape'])} | {tms} | {fmt_rate(t) if st == 'ok' else ''} |"
            for p in peers:
                pr = r["peers"].get(p, {})
                pms = fmt_ms(pr.get("median_ms")) if pr.get("status") == "ok" else pr.get("status", "")
                ratio = r["ratios"].get(p)
                row += f" {pms} | {'' if ratio is None else f'{ratio:.2f}'} |"
            lines.append(row)
        notes = []
        for r in results:
            t = r["tandem"]
            if t["status"] != "ok":
                notes.append(f"- {t['name']}: Tandem {t['status']}: {t.get('reason', t.get('check_detail', ''))}")
            for p, pr in r["peers"].items():
                if pr.get("note") or pr.get("status") not in ("ok", None):
                    notes.append(f"- {t['name']}: {p}: {pr.get('note') or pr.get('reason')}")
        if notes:
            lines += ["", "Notes:", ""] + notes
    md = "\n".join(lines) + "\n"
    with open(os.path.join(out_dir, "results.md"), "w") as f:
        f.write(md)

    if plt is None:
        log("[compare] matplotlib not available: no results.png")
        return md
    if scaling:
        rows = [r["tandem"] for r in results if r["tandem"].get("speedup_vs_1_thread") is not None]
        if not rows:
            log("[compare] nothing to plot")
            return md
        fig, ax = plt.subplots(figsize=(8, 0.45 * len(rows) + 1.5))
        ax.barh([t["name"] for t in rows], [t["speedup_vs_1_thread"] for t in rows], color="tab:blue")
        ax.axvline(1.0, color="gray", lw=1)
        ax.set_xlabel(f"speedup with {rows[0]['threads']} threads vs 1 thread")
        ax.invert_yaxis()
    else:
        names = [r["tandem"]["name"] for r in results if r["ratios"]]
        if not names:
            log("[compare] no case has a ratio: no results.png")
            return md
        fig, ax = plt.subplots(figsize=(9, 0.5 * len(names) * max(1, len(peers)) + 1.5))
        height = 0.8 / max(1, len(peers))
        for i, p in enumerate(peers):
            vals = [r["ratios"].get(p) for r in results if r["ratios"]]
            ys = [j + i * height for j in range(len(names))]
            pts = [(y, v) for y, v in zip(ys, vals) if v]
            # Bars grow from 1 (parity) towards the ratio, left when Tandem is faster.
            ax.barh([y for y, _ in pts], [v - 1 for _, v in pts], left=1, height=height,
                    label=f"Tandem / {p}")
            for y, v in pts:
                ax.text(v, y, f" {v:.2f} ", va="center", ha="left" if v >= 1 else "right", fontsize=7)
        ax.set_yticks([j + height * (len(peers) - 1) / 2 for j in range(len(names))])
        ax.set_yticklabels(names, fontsize=8)
        ax.set_xscale("log")
        lo = min(min(r["ratios"].values()) for r in results if r["ratios"])
        hi = max(max(r["ratios"].values()) for r in results if r["ratios"])
        ax.set_xlim(min(lo, 1) / 1.6, max(hi, 1) * 1.6)
        from matplotlib.ticker import FuncFormatter
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}"))
        ax.axvline(1.0, color="gray", lw=1)
        ax.set_xlabel("time ratio Tandem / peer (log scale; < 1: Tandem faster)")
        ax.invert_yaxis()
        ax.legend()
    ax.set_title(f"Tandem benchmarks, {meta['tandem_device']} ({meta['date']})")
    fig.tight_layout()
    fig.savefig(os.path.join(out_dir, "results.png"), dpi=110)
    plt.close(fig)
    return md


def main():
    args = parse_args()
    if args.install:
        pip_install(["numpy", "matplotlib"])
    np = None if args.no_numpy else try_import("numpy")
    torch = None if args.no_torch else try_import("torch")
    plt = None
    if try_import("matplotlib"):
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

    device = args.device
    if device == "auto":
        device = "gpu" if torch is not None and torch.cuda.is_available() else "cpu"
    cmd, rows, rc = run_tandem(args, device)
    if rc == 2 and not rows and args.device == "auto" and device == "gpu":
        log("[compare] this Tandem build cannot use the GPU: running everything on the CPU")
        device = "cpu"
        cmd, rows, rc = run_tandem(args, device)
    # Tandem's own lines are kept at once, so a later crash or timeout in a peer loses nothing.
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "tandem.jsonl"), "w") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
    if not rows:
        sys.exit(f"[compare] tandem_bench failed (exit {rc}) with no results")
    if rc not in (0, 1):
        log(f"[compare] tandem_bench exited with {rc} (crash?): comparing the {len(rows)} cases it printed")

    versions = {"python": platform.python_version()}
    if np is not None:
        versions["numpy"] = np.__version__
    if torch is not None:
        versions["torch"] = torch.__version__
    threads = max((r["threads"] for r in rows if "threads" in r), default=None)
    meta = {"date": datetime.datetime.now().isoformat(timespec="seconds"), "tandem_command": cmd,
            "tandem_device": device, "tandem_threads": threads,
            "machine": f"{cpu_model()}, {os.cpu_count()} CPUs",
            "versions": versions,
            "timing": "wall clock around op + device synchronize, median after warm-up (all frameworks)"}
    if torch is not None and device == "gpu":
        meta["gpu"] = torch.cuda.get_device_name(0)

    peers = {}
    if not args.scaling:
        gpu = device == "gpu"
        warmup = args.warmup if args.warmup is not None else (5 if gpu else 1)
        repeats = args.repeats if args.repeats is not None else (30 if gpu else 10)
        budget = args.budget if args.budget is not None else (10.0 if gpu else 2.0)
        timing = (warmup, repeats, budget)
        if np is not None:
            peers["NumPy"] = ("numpy", lambda: None)
        if torch is not None:
            tdev = "cuda" if gpu else "cpu"
            if gpu and not torch.cuda.is_available():
                log("[compare] Tandem runs on the GPU but PyTorch sees no CUDA device: PyTorch runs on the CPU")
                tdev = "cpu"
            if tdev == "cpu" and threads:
                torch.set_num_threads(threads)
            if tdev == "cuda":
                torch.backends.cuda.matmul.allow_tf32 = False
            label = "PyTorch-GPU" if tdev == "cuda" else "PyTorch-CPU"
            peers[label] = ("torch", (lambda: torch.cuda.synchronize()) if tdev == "cuda" else (lambda: None), tdev)
        if not peers:
            log("[compare] no peer available: only Tandem's numbers are written")

    results = []
    for t in rows:
        entry = {"tandem": t, "peers": {}, "ratios": {}}
        base, shape, dtype = base_name(t["name"]), t["shape"], t["dtype"]
        for label, spec in peers.items():
            log(f"[compare] {label} {t['name']} ...")
            if spec[0] == "numpy":
                pr = run_peer(label, lambda: numpy_case(np, base, shape, dtype), spec[1], base, shape, dtype, timing)
            else:
                pr = run_peer(label, lambda: torch_case(torch, base, shape, dtype, spec[2]), spec[1], base, shape,
                              dtype, timing)
                if spec[2] == "cuda":
                    torch.cuda.empty_cache()
            entry["peers"][label] = pr
            if t.get("status") == "ok" and pr.get("status") == "ok":
                entry["ratios"][label] = t["median_ms"] / pr["median_ms"]
        results.append(entry)

    md = write_outputs(args.out, meta, results, list(peers), args.scaling, plt)
    print(md)
    log(f"[compare] wrote {os.path.join(args.out, 'results.json')}, results.md"
        + (", results.png" if plt is not None else ""))


if __name__ == "__main__":
    main()
