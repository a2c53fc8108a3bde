"""Reference outputs of tlab's building blocks, computed by PyTorch and Hugging Face transformers.

Writes training/src/test/resources/dev/tlab/reference/blocks.json: inputs, weights and the
outputs of torch / transformers code that tlab does not share, for PyTorchReferenceTest to feed
to tlab's blocks and compare. Deterministic (fixed seed); rerun only when a case is added.

Run: /work/venv/bin/python scripts/reference/blocks.py
(made with torch 2.13 and transformers 5.18 on the CPU)
"""
import json
import math
from pathlib import Path

import torch
import torch.nn.functional as F
from transformers.models.bloom.modeling_bloom import build_alibi_tensor
from transformers.models.llama.modeling_llama import apply_rotary_pos_emb
from transformers.models.t5.modeling_t5 import T5Attention
from transformers.optimization import get_cosine_with_min_lr_schedule_with_warmup

OUT = Path(__file__).resolve().parents[2] / "training/src/test/resources/dev/tlab/reference/blocks.json"
torch.manual_seed(20)


def flat(t):
    # Nine significant digits hold a float32 exactly.
    return [float(f"{v:.9g}") for v in t.detach().double().reshape(-1).tolist()]


def rand(*shape, scale=1.0):
    return (torch.randn(*shape) * scale).float()


def hf_rope(q, k, rotary, base):
    """Hugging Face's rotary embedding, partial as GPT-NeoX / Phi do it: rotate the first `rotary`
    dimensions with rotate_half (pairs i, i + rotary/2), pass the rest through."""
    length = q.shape[2]
    inv_freq = 1.0 / (base ** (torch.arange(0, rotary, 2, dtype=torch.int64).float() / rotary))
    freqs = torch.outer(torch.arange(length).float(), inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos()[None], emb.sin()[None]
    q_rot, k_rot = apply_rotary_pos_emb(q[..., :rotary], k[..., :rotary], cos, sin, unsqueeze_dim=1)
    return torch.cat([q_rot, q[..., rotary:]], -1), torch.cat([k_rot, k[..., rotary:]], -1)


def attention_case(name, causal, valid, rope_fraction=None, d=16, heads=2, length=5):
    batch = len(valid)
    x = rand(batch, length, d)
    w_qkv, b_qkv = rand(3 * d, d, scale=0.3), rand(3 * d, scale=0.1)
    w_proj, b_proj = rand(d, d, scale=0.3), rand(d, scale=0.1)
    q, k, v = F.linear(x, w_qkv, b_qkv).split(d, dim=-1)
    head = d // heads
    q, k, v = (t.view(batch, length, heads, head).transpose(1, 2) for t in (q, k, v))
    if rope_fraction is not None:
        q, k = hf_rope(q, k, round(head * rope_fraction), 10000.0)
    keep = torch.tensor(valid, dtype=torch.bool)[:, None, None, :]
    if causal:
        keep = keep & torch.ones(length, length, dtype=torch.bool).tril()
    y = F.scaled_dot_product_attention(q, k, v, attn_mask=keep)
    y = F.linear(y.transpose(1, 2).reshape(batch, length, d), w_proj, b_proj)
    return {"name": name, "causal": causal, "valid": valid, "rope_fraction": rope_fraction, "d": d, "heads": heads,
            "length": length, "x": flat(x), "qkv_weight": flat(w_qkv), "qkv_bias": flat(b_qkv),
            "proj_weight": flat(w_proj), "proj_bias": flat(b_proj), "out": flat(y)}


def rope_case(head, fraction, base, length=6, offset=0):
    q = rand(1, 2, length, head)
    k = rand(1, 2, length, head)
    rotary = round(head * fraction)
    # Positions offset..offset+length-1: rotate a longer sequence and keep its tail.
    qq = torch.cat([torch.zeros(1, 2, offset, head), q], 2)
    qr, _ = hf_rope(qq, qq, rotary, base)
    return {"head": head, "fraction": fraction, "base": base, "length": length, "offset": offset,
            "x": flat(q), "out": flat(qr[:, :, offset:])}


def norm_cases():
    x = rand(3, 10, scale=2.0) + 1.5
    w, b = rand(10), rand(10)
    layer = torch.nn.LayerNorm(10, eps=1e-5)
    layer.weight.data, layer.bias.data = w.clone(), b.clone()
    rms = torch.nn.RMSNorm(10, eps=1e-5)
    rms.weight.data = w.clone()
    return {"x": flat(x), "weight": flat(w), "bias": flat(b), "eps": 1e-5,
            "layernorm": flat(layer(x)), "rmsnorm": flat(rms(x))}


def ffn_cases(d=8, hidden=12):
    x = rand(2, 3, d)
    out = {"d": d, "hidden": hidden, "x": flat(x)}
    for kind in ("erf", "tanh"):
        w1, b1, w2, b2 = rand(hidden, d, scale=0.5), rand(hidden, scale=0.3), rand(d, hidden, scale=0.5), rand(d, scale=0.1)
        h = F.gelu(F.linear(x, w1, b1), approximate="none" if kind == "erf" else "tanh")
        out["gelu_" + kind] = {"fc_weight": flat(w1), "fc_bias": flat(b1), "proj_weight": flat(w2), "proj_bias": flat(b2),
                               "out": flat(F.linear(h, w2, b2))}
    # SwiGLU as Llama's MLP: down(silu(gate(x)) * up(x)); tlab's fc holds gate then up.
    w_gate, w_up, w_down = rand(hidden, d, scale=0.5), rand(hidden, d, scale=0.5), rand(d, hidden, scale=0.5)
    y = F.linear(F.silu(F.linear(x, w_gate)) * F.linear(x, w_up), w_down)
    out["swiglu"] = {"gate_weight": flat(w_gate), "up_weight": flat(w_up), "down_weight": flat(w_down), "out": flat(y)}
    grid = torch.linspace(-6, 6, 49)
    out["gelu_grid"] = {"x": flat(grid), "erf": flat(F.gelu(grid)), "tanh": flat(F.gelu(grid, approximate="tanh"))}
    return out


def cross_entropy_case(batch=2, length=4, vocab=7):
    logits = rand(batch, length, vocab, scale=2.0)
    targets = torch.randint(0, vocab, (batch, length))
    weights = torch.tensor([[1, 0, 1, 1], [0, 0, 1, 0]], dtype=torch.float32)
    ignored = targets.masked_fill(weights == 0, -100)
    return {"batch": batch, "length": length, "vocab": vocab, "logits": flat(logits), "targets": targets.reshape(-1).tolist(),
            "weights": flat(weights), "mean": float(F.cross_entropy(logits.view(-1, vocab), targets.view(-1))),
            "ignoring": float(F.cross_entropy(logits.view(-1, vocab), ignored.view(-1), ignore_index=-100))}


def adamw_case(steps=3):
    matrix = torch.nn.Parameter(rand(3, 4))
    bias = torch.nn.Parameter(rand(4))
    start = {"matrix": flat(matrix), "bias": flat(bias)}
    lrs, grads = [1e-2, 5e-3, 2e-3], []
    optimizer = torch.optim.AdamW([{"params": [matrix], "weight_decay": 0.1}, {"params": [bias], "weight_decay": 0.0}],
                                  lr=lrs[0], betas=(0.9, 0.99), eps=1e-8)
    for step in range(steps):
        g_matrix, g_bias = rand(3, 4), rand(4, scale=3.0)
        grads.append({"matrix": flat(g_matrix), "bias": flat(g_bias)})
        matrix.grad, bias.grad = g_matrix, g_bias
        for group in optimizer.param_groups:
            group["lr"] = lrs[step]
        optimizer.step()
    return {"betas": [0.9, 0.99], "eps": 1e-8, "weight_decay": 0.1, "lrs": lrs, "start": start, "grads": grads,
            "matrix": flat(matrix), "bias": flat(bias)}


def schedule_case(peak=1e-3, floor=1e-4, warmup=10, decay_end=50, steps=60):
    # After warmup: transformers' cosine-with-floor schedule (its warmup starts at 0, nanoGPT's at
    # peak / (warmup + 1), so the warmup steps come from nanoGPT's get_lr, quoted here).
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([param], lr=peak)
    schedule = get_cosine_with_min_lr_schedule_with_warmup(optimizer, warmup, decay_end, min_lr=floor)
    lrs = []
    for step in range(steps):
        if step < warmup:
            lrs.append(peak * (step + 1) / (warmup + 1))  # nanoGPT train.py get_lr
        elif step >= decay_end:
            lrs.append(floor)
        else:
            lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        schedule.step()
    return {"peak": peak, "floor": floor, "warmup": warmup, "decay_end": decay_end, "lrs": lrs}


def main():
    fixture = {
        "attention": [
            attention_case("causal", True, [[1, 1, 1, 1, 1], [1, 1, 1, 1, 1]]),
            attention_case("bidirectional with padding", False, [[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]]),
            attention_case("causal, padding and partial rope", True, [[1, 1, 1, 1, 1], [1, 1, 1, 1, 0]], rope_fraction=0.5),
        ],
        "rope": [rope_case(8, 1.0, 10000.0), rope_case(8, 0.5, 10000.0), rope_case(12, 0.5, 500.0, offset=3)],
        "alibi": {str(n): flat(build_alibi_tensor(torch.ones(1, 3), n, torch.float64)[:, 0, 1]) for n in (1, 2, 4, 6, 8, 12)},
        "t5_buckets": [],
        "norm": norm_cases(),
        "ffn": ffn_cases(),
        "cross_entropy": cross_entropy_case(),
        "adamw": adamw_case(),
        "schedule": schedule_case(),
    }
    relative = torch.arange(-140, 141)
    for bidirectional, buckets, distance in ((True, 32, 128), (False, 32, 128), (True, 16, 40), (False, 10, 20)):
        ids = T5Attention._relative_position_bucket(relative, bidirectional=bidirectional, num_buckets=buckets,
                                                    max_distance=distance)
        fixture["t5_buckets"].append({"bidirectional": bidirectional, "buckets": buckets, "max_distance": distance,
                                      "relative_from": -140, "ids": ids.tolist()})
    OUT.write_text(json.dumps(fixture, separators=(",", ":")) + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
