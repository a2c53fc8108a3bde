#!/usr/bin/env python3
"""PyTorch cross-checks for tlab. Needs torch, numpy and safetensors (pip install torch safetensors).

  check CHECKPOINT  loads model.safetensors and optimizer.safetensors with Python's safetensors,
                    rebuilds the decoder in PyTorch from state.json and prints greedy text for
                    --prompt, to compare with `tlab sample RUN --prompt P --temperature 0
                    --context-limit stop --tokens N`. Covers what the main job uses: a decoder
                    with pre- or post-LN LayerNorm, learned positions, GELU, tied embeddings.
  bench             trains the same architecture eagerly in PyTorch on the shipped corpus (the baby
                    config unless overridden; vocabulary: the corpus's characters, as tlab's char
                    tokenizer) and reports tokens/s and ms/step, for comparison with
                    `tlab bench configs/shakespeare-char.yaml` on the same machine. AdamW with
                    tlab's hyperparameters (lr 1e-3, betas 0.9/0.99, weight decay 0.1 on matrices
                    and embeddings, clip 1.0), fused on CUDA where torch has it.
                    --device cpu|cuda (default: cuda if available), --precision fp32|fp16|bf16
                    (fp16: autocast float16 with a GradScaler; bf16: autocast bfloat16, no scaler),
                    --attention math|sdpa (math: explicit masked softmax; sdpa:
                    F.scaled_dot_product_attention(is_causal=True)), --compile (torch.compile; if
                    that fails, one line says why and the run goes on eagerly, "compiled": false).
                    MFU is against the best rate of an n x n matmul (--matmul-size, default 8192 on
                    CUDA, 2048 on CPU, 0: none) in the run's dtype (fp32 as torch leaves it: TF32 for
                    matmuls off unless torch.set_float32_matmul_precision says otherwise), with
                    tlab's FLOPs per token: 6 x parameters (position table excluded) + 12 x layers x
                    d_model x context. --json FILE writes the figures. Refusals (sdpa without
                    F.scaled_dot_product_attention, fp16 autocast or bf16 the device cannot do,
                    cuda without a GPU) print one line and exit 2. Timing: --warmup untimed steps
                    (the compiling one among them), then --steps timed between two synchronizations
                    of the device; one summary line, and in the JSON: device, gpu_name,
                    torch_version, precision, attention, compiled, tokens_per_s, ms_per_step, mfu,
                    peak_tflops, params, steps and the rest of the setup.
                    GPT-2-small shape: --layers 12 --heads 12 --d-model 768 --context 1024 --batch-size 8.
                    --arch llama trains the Llama shape instead: RMSNorm (eps 1e-5) before each
                    sublayer, RoPE on whole heads (half-split pairs, --rope-base), grouped-query
                    attention (--kv-heads), SwiGLU of --d-ff, no biases, the head tied to the
                    embedding; --vocab N draws the tokens uniformly from N ids instead of the
                    corpus's characters (for a tokenizer-sized table).
                    SmolLM2-135M shape: --arch llama --layers 30 --heads 9 --kv-heads 3 --d-model 576
                    --d-ff 1536 --vocab 50257 --rope-base 100000 --context 512.
"""
import argparse
import contextlib
import inspect
import json
import math
import re
import sys
import time
import warnings
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, d, heads, post, attention="math"):
        super().__init__()
        self.heads, self.post, self.attention = heads, post, attention
        self.ln1, self.ln2 = nn.LayerNorm(d, eps=1e-5), nn.LayerNorm(d, eps=1e-5)
        self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.fc, self.out = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)

    def attn(self, x):
        b, t, c = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        if self.attention == "sdpa":
            return self.proj(F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(b, t, c))
        scores = (q / math.sqrt(c // self.heads)) @ k.transpose(-2, -1)
        scores = scores.masked_fill(torch.ones(t, t, dtype=torch.bool, device=x.device).triu(1), float("-inf"))
        return self.proj((scores.softmax(-1) @ v).transpose(1, 2).reshape(b, t, c))

    def mlp(self, x):
        return self.out(F.gelu(self.fc(x)))

    def forward(self, x):
        if self.post:
            x = self.ln1(x + self.attn(x))
            return self.ln2(x + self.mlp(x))
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class LlamaBlock(nn.Module):
    """As transformers' LlamaDecoderLayer, with q/k/v and gate/up fused as tlab fuses them."""

    def __init__(self, d, heads, kv_heads, d_ff, attention="math"):
        super().__init__()
        self.heads, self.kv_heads, self.head_dim, self.attention = heads, kv_heads, d // heads, attention
        self.ln1, self.ln2 = nn.RMSNorm(d, eps=1e-5), nn.RMSNorm(d, eps=1e-5)
        self.qkv = nn.Linear(d, (heads + 2 * kv_heads) * self.head_dim, bias=False)
        self.proj = nn.Linear(heads * self.head_dim, d, bias=False)
        self.fc, self.out = nn.Linear(d, 2 * d_ff, bias=False), nn.Linear(d_ff, d, bias=False)

    @staticmethod
    def rotate(x, cos, sin):
        x1, x2 = x.chunk(2, dim=-1)
        return torch.cat((x1 * cos - x2 * sin, x2 * cos + x1 * sin), dim=-1)

    def attn(self, x, cos, sin):
        b, t, _ = x.shape
        q, k, v = self.qkv(x).split([self.heads * self.head_dim, self.kv_heads * self.head_dim,
                                     self.kv_heads * self.head_dim], dim=-1)
        q = self.rotate(q.view(b, t, self.heads, self.head_dim).transpose(1, 2), cos, sin)
        k = self.rotate(k.view(b, t, self.kv_heads, self.head_dim).transpose(1, 2), cos, sin)
        v = v.view(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
        group = self.heads // self.kv_heads
        k, v = k.repeat_interleave(group, dim=1), v.repeat_interleave(group, dim=1)
        if self.attention == "sdpa":
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            scores = (q / math.sqrt(self.head_dim)) @ k.transpose(-2, -1)
            scores = scores.masked_fill(torch.ones(t, t, dtype=torch.bool, device=x.device).triu(1), float("-inf"))
            y = scores.softmax(-1) @ v
        return self.proj(y.transpose(1, 2).reshape(b, t, -1))

    def forward(self, x, cos, sin):
        x = x + self.attn(self.ln1(x), cos, sin)
        gate, up = self.fc(self.ln2(x)).chunk(2, dim=-1)
        return x + self.out(F.silu(gate) * up)


class Llama(nn.Module):
    def __init__(self, vocab, layers, heads, kv_heads, d, d_ff, context, rope_base, attention="math"):
        super().__init__()
        self.wte = nn.Embedding(vocab, d)
        self.h = nn.ModuleList(LlamaBlock(d, heads, kv_heads, d_ff, attention) for _ in range(layers))
        self.lnf = nn.RMSNorm(d, eps=1e-5)
        half = d // heads // 2
        angles = torch.outer(torch.arange(context).float(), rope_base ** (-torch.arange(half).float() / half))
        self.register_buffer("cos", angles.cos(), persistent=False)
        self.register_buffer("sin", angles.sin(), persistent=False)

    def forward(self, idx):
        t = idx.shape[1]
        x = self.wte(idx)
        for block in self.h:
            x = block(x, self.cos[:t], self.sin[:t])
        return self.lnf(x) @ self.wte.weight.T


class GPT(nn.Module):
    def __init__(self, vocab, layers, heads, d, context, post=False, attention="math"):
        super().__init__()
        self.post = post
        self.wte, self.wpe = nn.Embedding(vocab, d), nn.Embedding(context, d)
        self.h = nn.ModuleList(Block(d, heads, post, attention) for _ in range(layers))
        self.lnf = nn.LayerNorm(d, eps=1e-5)

    def forward(self, idx):
        x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1], device=idx.device))
        for block in self.h:
            x = block(x)
        if not self.post:
            x = self.lnf(x)
        return x @ self.wte.weight.T

    def load_tlab(self, tensors):
        """tlab's names are nanoGPT-like; only the MLP's fc/proj differ from this module's fc/out."""
        mapped = {name.replace("mlp.fc.", "fc.").replace("mlp.proj.", "out.").replace("attn.", ""): value
                  for name, value in tensors.items()}
        missing, unexpected = self.load_state_dict(mapped, strict=False)
        missing = [m for m in missing if not (self.post and m.startswith("lnf."))]
        if missing or unexpected:
            raise SystemExit(f"names do not match: missing {missing}, unexpected {unexpected}")


def model_config(state):
    """The few keys this script needs, from the resolved config in state.json (YAML text before format 3)."""
    saved = state["config"]

    def key(section, name):
        if isinstance(saved, str):
            text = saved[saved.index(f"\n{section}:"):]
            return re.search(rf"^\s+{name}:\s*\"?([^\"\n]+)\"?", text, re.M).group(1)
        value = saved[section][name]
        return str(value).lower() if isinstance(value, bool) else str(value)

    config = {k: key("model", k) for k in ["layers", "heads", "d_model", "context", "norm_placement", "norm",
                                           "positional", "ffn", "tie_embeddings", "d_ff"]}
    wanted = {"norm": "layernorm", "positional": "learned", "ffn": "gelu", "tie_embeddings": "true", "d_ff": "0"}
    for k, v in wanted.items():
        if config[k] != v:
            raise SystemExit(f"model.{k} = {config[k]}: this script rebuilds only model.{k} = {v}")
    # Keys added later: absent from older checkpoints, where they had these values.
    if not isinstance(saved, str):
        for k, v in {"gelu": "erf", "norm_eps": 1e-5}.items():
            if saved["model"].get(k, v) != v:
                raise SystemExit(f"model.{k} = {saved['model'][k]}: this script rebuilds only model.{k} = {v}"
                                 " (for GPT-2 weights see scripts/gpt2-weights/make_fixture.py)")
    task = key("data", "task")
    if task != "lm":
        raise SystemExit(f"data.task = {task}: this script rebuilds only the decoder of data.task = lm")
    return config


def check(args):
    from safetensors.torch import load_file

    checkpoint = Path(args.checkpoint)
    state = json.loads((checkpoint / "state.json").read_text())
    config = model_config(state)
    weights = load_file(checkpoint / "model.safetensors")
    moments = load_file(checkpoint / "optimizer.safetensors")
    print(f"model.safetensors: {len(weights)} tensors, {sum(t.numel() for t in weights.values()):,} values")
    print(f"optimizer.safetensors: {len(moments)} tensors "
          f"({sum(k.startswith('m.') for k in moments)} first moments, {sum(k.startswith('v.') for k in moments)} second)")
    for name, tensor in weights.items():
        for prefix in ("m.", "v."):
            moment = moments.get(prefix + name)
            if moment is not None and moment.shape != tensor.shape:
                raise SystemExit(f"{prefix}{name} has shape {tuple(moment.shape)}, the weight {tuple(tensor.shape)}")
    vocab = state["vocab"]
    model = GPT(len(vocab), int(config["layers"]), int(config["heads"]), int(config["d_model"]),
                int(config["context"]), post=config["norm_placement"] == "post")
    model.load_tlab(weights)
    model.eval()
    ids = [vocab.index(c) for c in args.prompt]
    with torch.no_grad():
        while len(ids) < min(len(args.prompt) + args.tokens, int(config["context"])):
            logits = model(torch.tensor([ids]))[0, -1]
            ids.append(int(logits.argmax()))
    print("greedy:")
    print("".join(vocab[i] for i in ids))


def refuse(message):
    print(f"pytorch_reference: {message}", file=sys.stderr)
    sys.exit(2)


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def matmul_peak(device, dtype, n, samples):
    """Best FLOP/s over `samples` timings of three n x n products, each waited for, after two
    untimed ones: as tlab bench's MatmulProbe, which reads each product's result back."""
    a = torch.randn(n, n, device=device).to(dtype)
    b = torch.randn(n, n, device=device).to(dtype)
    for _ in range(2):
        a @ b
    sync(device)
    best = 0.0
    for _ in range(samples):
        start = time.perf_counter()
        for _ in range(3):
            a @ b
            sync(device)
        best = max(best, 3 * 2.0 * n ** 3 / (time.perf_counter() - start))
    return best


def first_line(error):
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0][:300] if text else ''}"


def bench(args):
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    if device.type == "cuda" and not torch.cuda.is_available():
        refuse(f"--device cuda, but torch {torch.__version__} sees no CUDA GPU")
    if args.attention == "sdpa" and not hasattr(F, "scaled_dot_product_attention"):
        refuse(f"--attention sdpa needs F.scaled_dot_product_attention (torch >= 2.0), this is torch {torch.__version__}")
    dtype = {"fp32": None, "fp16": torch.float16, "bf16": torch.bfloat16}[args.precision]
    scaler = None
    if args.precision == "bf16" and device.type == "cuda" and not torch.cuda.is_bf16_supported():
        refuse(f"--precision bf16: {torch.cuda.get_device_name(device)} has no bfloat16")
    if args.precision == "fp16":
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")  # torch that cannot autocast to float16 here only warns
                with torch.autocast(device_type=device.type, dtype=torch.float16):
                    torch.ones(2, 2, device=device) @ torch.ones(2, 2, device=device)
            scaler = (torch.amp.GradScaler(device.type) if hasattr(torch.amp, "GradScaler")
                      else torch.cuda.amp.GradScaler() if device.type == "cuda" else None)
        except Exception as e:  # torch versions without fp16 autocast or a GradScaler for this device
            refuse(f"--precision fp16 on {device.type} with torch {torch.__version__}: {first_line(e)}")
        if scaler is None:
            refuse(f"--precision fp16 on {device.type}: torch {torch.__version__} has no GradScaler for it")
    autocast = ((lambda: torch.autocast(device_type=device.type, dtype=dtype)) if dtype is not None
                else contextlib.nullcontext)
    matmul_size = args.matmul_size if args.matmul_size is not None else (8192 if device.type == "cuda" else 2048)

    torch.manual_seed(1337)
    torch.set_num_threads(args.threads)
    text = Path(args.data).read_text()
    if args.vocab:
        vocab = range(args.vocab)
        data = torch.randint(args.vocab, (int(len(text) * 0.9),)).to(device)
    else:
        vocab = sorted(set(text))
        index = {c: i for i, c in enumerate(vocab)}
        data = torch.tensor([index[c] for c in text[: int(len(text) * 0.9)]]).to(device)
    if args.arch == "llama":
        model = Llama(len(vocab), args.layers, args.heads, args.kv_heads or args.heads, args.d_model,
                      args.d_ff or (8 * args.d_model // 3 + 7) // 8 * 8, args.context, args.rope_base,
                      attention=args.attention)
    else:
        model = GPT(len(vocab), args.layers, args.heads, args.d_model, args.context, attention=args.attention)
    for module in model.modules():
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, std=0.02)
    model.to(device)
    eager = model
    params = sum(p.numel() for p in eager.parameters())  # the tied head counts once
    positions = args.context * args.d_model if args.arch == "gpt" else 0
    flops_per_token = 6.0 * (params - positions) + 12.0 * args.layers * args.d_model * args.context
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    groups = [{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}]
    fused = device.type == "cuda" and "fused" in inspect.signature(torch.optim.AdamW).parameters
    try:
        optimizer = torch.optim.AdamW(groups, lr=1e-3, betas=(0.9, 0.99), **({"fused": True} if fused else {}))
    except (RuntimeError, TypeError, ValueError) as e:
        print(f"fused AdamW refused ({first_line(e)}): the default implementation instead")
        fused = False
        optimizer = torch.optim.AdamW(groups, lr=1e-3, betas=(0.9, 0.99))
    offsets = torch.arange(args.context, device=device)

    def step():
        starts = torch.randint(len(data) - args.context - 1, (args.batch_size,), device=device)
        rows = starts[:, None] + offsets
        x, y = data[rows], data[rows + 1]
        with autocast():
            loss = F.cross_entropy(model(x).view(-1, len(vocab)), y.view(-1))
        optimizer.zero_grad(set_to_none=True)
        if scaler is None:
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
        else:
            scaler.scale(loss).backward()
            scaler.unscale_(optimizer)
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            scaler.step(optimizer)
            scaler.update()
        return loss

    compiled, compile_error, compile_s = False, None, None
    warmup = args.warmup
    if args.compile:
        warmup = max(0, args.warmup - 1)  # the first step, which compiles, is one of the warm-up steps
        start = time.perf_counter()
        try:
            if not hasattr(torch, "compile"):
                raise RuntimeError(f"torch {torch.__version__} has no torch.compile")
            model = torch.compile(eager)
            step()
            sync(device)
            compiled, compile_s = True, time.perf_counter() - start
        except Exception as e:  # compilation happens at the first call: a missing compiler, Triton, ...
            compile_error = first_line(e)
            print(f"torch.compile failed, running uncompiled: {compile_error}")
            model = eager
            optimizer.zero_grad(set_to_none=True)
    for _ in range(warmup):
        step()
    sync(device)
    start = time.perf_counter()
    for _ in range(args.steps):
        loss = step()
    sync(device)
    seconds = time.perf_counter() - start
    tokens = args.steps * args.batch_size * args.context
    tokens_per_s, ms_per_step = tokens / seconds, 1000 * seconds / args.steps
    gpu = torch.cuda.get_device_name(device) if device.type == "cuda" else None
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {args.steps} steps after {args.warmup}"
          + (f", {gpu}" if gpu else ""))
    print(f"tokens/s {tokens / seconds:,.0f}  ms/step {1000 * seconds / args.steps:.2f}  last loss {loss.item():.4f}")

    peak_dtype = dtype or torch.float32
    fp32_precision = torch.get_float32_matmul_precision()
    peak = matmul_peak(device, peak_dtype, matmul_size, 5 if device.type == "cuda" else 2) if matmul_size > 0 else None
    mfu = tokens_per_s * flops_per_token / peak if peak else None
    peak_type = str(peak_dtype).replace("torch.", "")
    if peak_dtype == torch.float32:
        peak_type += (" with TF32 " + ("off" if fp32_precision == "highest" else "allowed")
                      + f": float32 matmul precision '{fp32_precision}'")
    mode = {"fp32": "fp32", "fp16": "fp16 AMP (GradScaler)", "bf16": "bf16 AMP"}[args.precision]
    print(f"peer {device.type}{f' ({gpu})' if gpu else ''}, torch {torch.__version__}: {mode}, {args.attention} attention, "
          f"{f'compiled ({compile_s:.0f} s)' if compiled else 'eager'}{', fused AdamW' if fused else ''}; {params:,} parameters; "
          f"tokens/s {tokens_per_s:,.0f}, ms/step {ms_per_step:.2f}, "
          + (f"MFU {100 * mfu:.1f}% of {peak / 1e12:.3g} TFLOP/s ({peak_type}, n = {matmul_size})" if peak else "MFU not measured"))
    if args.json:
        figures = {
            "device": device.type, "gpu_name": gpu, "torch_version": torch.__version__,
            "precision": args.precision, "attention": args.attention, "compiled": compiled,
            "compile_requested": args.compile, "compile_error": compile_error, "compile_s": compile_s,
            "tokens_per_s": tokens_per_s, "ms_per_step": ms_per_step, "mfu": mfu,
            "peak_tflops": peak / 1e12 if peak else None, "matmul_size": matmul_size,
            "matmul_dtype": str(peak_dtype).replace("torch.", ""), "float32_matmul_precision": fp32_precision,
            "params": params, "flops_per_token": flops_per_token, "steps": args.steps, "warmup_steps": args.warmup,
            "arch": args.arch, "kv_heads": args.kv_heads or args.heads, "d_ff": args.d_ff,
            "layers": args.layers, "heads": args.heads, "d_model": args.d_model, "context": args.context,
            "batch_size": args.batch_size, "vocab": len(vocab), "fused_adamw": fused, "threads": torch.get_num_threads(),
            "last_loss": loss.item(),
        }
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    c = commands.add_parser("check", help="load a tlab checkpoint with safetensors and decode greedily")
    c.add_argument("checkpoint")
    c.add_argument("--prompt", default="ROMEO:")
    c.add_argument("--tokens", type=int, default=58)
    b = commands.add_parser("bench", help="time the same model's training steps in PyTorch")
    b.add_argument("--data", default=str(Path(__file__).resolve().parent.parent / "examples/data/tinyshakespeare/input.txt"))
    b.add_argument("--arch", choices=["gpt", "llama"], default="gpt",
                   help="gpt: LayerNorm, learned positions, GELU (default); llama: RMSNorm, RoPE, GQA, SwiGLU")
    b.add_argument("--kv-heads", type=int, default=0, help="llama: key/value heads (default: --heads)")
    b.add_argument("--d-ff", type=int, default=0, help="llama: SwiGLU width (default: 8/3 d_model rounded up to 8)")
    b.add_argument("--rope-base", type=float, default=10000.0)
    b.add_argument("--vocab", type=int, default=0, help="draw tokens from this many ids (default: the corpus's characters)")
    b.add_argument("--layers", type=int, default=4)
    b.add_argument("--heads", type=int, default=4)
    b.add_argument("--d-model", type=int, default=128)
    b.add_argument("--context", type=int, default=64)
    b.add_argument("--batch-size", type=int, default=12)
    b.add_argument("--steps", type=int, default=200)
    b.add_argument("--warmup", type=int, default=10)
    b.add_argument("--threads", type=int, default=torch.get_num_threads())
    b.add_argument("--device", choices=["cpu", "cuda"], help="default: cuda if available, else cpu")
    b.add_argument("--precision", choices=["fp32", "fp16", "bf16"], default="fp32")
    b.add_argument("--attention", choices=["math", "sdpa"], default="math")
    b.add_argument("--compile", action="store_true", help="torch.compile the model (eager if that fails)")
    b.add_argument("--matmul-size", type=int, help="n of the n x n matmul timed for MFU's peak"
                   " (default: 8192 on CUDA, 2048 on CPU; 0: no peak, no MFU)")
    b.add_argument("--json", metavar="FILE", help="write the figures to FILE as JSON")
    args = parser.parse_args()
    check(args) if args.command == "check" else bench(args)


if __name__ == "__main__":
    sys.exit(main())
