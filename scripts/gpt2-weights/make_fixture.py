#!/usr/bin/env python3
"""GPT-2 in the Hugging Face layout, written and checked independently of tlab (plain torch + numpy).

  fixture OUT_DIR      a tiny GPT-2 (2 layers, 2 heads, n_embd 16, 32 positions, GPT-2's 50,257
                       tokens) with seeded random weights: config.json, model.safetensors (hub names,
                       no prefix, Conv1D [in, out] weights, the attn.bias / attn.masked_bias buffers)
                       and expected.json, the logits of GPT-2's forward for fixed token ids.
  gpt2-small OUT_DIR   the same at GPT-2 small's shape (124M parameters, about 500 MB), random:
                       a stand-in for the real weights when measuring memory.
  check DIR EXPECTED   reads DIR's config.json and model.safetensors (with or without the
                       "transformer." prefix), runs the forward and compares with EXPECTED's logits.

Run with Debian's python3-torch: /usr/bin/python3 scripts/gpt2-weights/make_fixture.py fixture DIR
The forward follows nanoGPT's model.py and Hugging Face's GPT2LMHeadModel: pre-LN blocks, learned
positions, tanh GELU (gelu_new), Conv1D (x @ W + b with W [in, out]), head tied to wte. Safetensors is
read and written by hand (8-byte little-endian header length, JSON header, raw little-endian data)
because the safetensors package is not needed for that.
"""
import json
import math
import struct
import sys
from pathlib import Path

import numpy as np
import torch

DTYPES = {"F32": np.float32, "F16": np.float16, "F64": np.float64, "I64": np.int64}


def write_safetensors(path, tensors, metadata=None):
    header, offset, blobs = {}, 0, []
    if metadata:
        header["__metadata__"] = metadata
    for name in sorted(tensors):
        array = np.ascontiguousarray(tensors[name].detach().numpy().astype(np.float32))
        data = array.tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for blob in blobs:
            f.write(blob)


def read_safetensors(path):
    data = Path(path).read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    header.pop("__metadata__", None)
    out = {}
    for name, entry in header.items():
        begin, end = entry["data_offsets"]
        array = np.frombuffer(data[8 + n + begin:8 + n + end], dtype=DTYPES[entry["dtype"]])
        out[name] = torch.from_numpy(array.reshape(entry["shape"]).astype(np.float32))
    return out


def random_gpt2(config, seed):
    """GPT-2's tensors by hub name. Gains and biases are random too, so a swapped one shows."""
    g = torch.Generator().manual_seed(seed)
    d, v, p = config["n_embd"], config["vocab_size"], config["n_positions"]
    inner = config.get("n_inner") or 4 * d

    def normal(*shape, std=0.02, mean=0.0):
        return torch.randn(*shape, generator=g) * std + mean

    # Larger than GPT-2's 0.02 at this width, so logits are O(1) and a 1e-4 tolerance is tight.
    t = {"wte.weight": normal(v, d, std=0.3), "wpe.weight": normal(p, d, std=0.3)}
    for i in range(config["n_layer"]):
        h = f"h.{i}."
        t[h + "ln_1.weight"], t[h + "ln_1.bias"] = normal(d, std=0.1, mean=1.0), normal(d, std=0.1)
        t[h + "attn.c_attn.weight"], t[h + "attn.c_attn.bias"] = normal(d, 3 * d, std=0.3), normal(3 * d)   # Conv1D: [in, out]
        t[h + "attn.c_proj.weight"], t[h + "attn.c_proj.bias"] = normal(d, d, std=0.2), normal(d)
        t[h + "ln_2.weight"], t[h + "ln_2.bias"] = normal(d, std=0.1, mean=1.0), normal(d, std=0.1)
        t[h + "mlp.c_fc.weight"], t[h + "mlp.c_fc.bias"] = normal(d, inner, std=0.3), normal(inner)
        t[h + "mlp.c_proj.weight"], t[h + "mlp.c_proj.bias"] = normal(inner, d, std=0.1), normal(d)
        # The causal-mask buffers older checkpoints carry; a loader must drop them.
        t[h + "attn.bias"] = torch.tril(torch.ones(p, p)).view(1, 1, p, p)
        t[h + "attn.masked_bias"] = torch.tensor(-1e4)
    t["ln_f.weight"], t["ln_f.bias"] = normal(d, std=0.1, mean=1.0), normal(d, std=0.1)
    return t


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def forward(t, config, ids):
    """Logits [T, vocab] for one sequence of token ids."""
    d, heads, eps = config["n_embd"], config["n_head"], config["layer_norm_epsilon"]
    act = gelu_new if config["activation_function"] in ("gelu_new", "gelu_pytorch_tanh") else torch.nn.functional.gelu
    ln = lambda x, name: torch.nn.functional.layer_norm(x, (d,), t[name + ".weight"], t[name + ".bias"], eps)
    conv1d = lambda x, name: x @ t[name + ".weight"] + t[name + ".bias"]
    n = len(ids)
    x = t["wte.weight"][torch.tensor(ids)] + t["wpe.weight"][:n]
    mask = torch.tril(torch.ones(n, n, dtype=torch.bool))
    for i in range(config["n_layer"]):
        h = f"h.{i}."
        q, k, v = conv1d(ln(x, h + "ln_1"), h + "attn.c_attn").split(d, dim=-1)
        q, k, v = (a.view(n, heads, d // heads).transpose(0, 1) for a in (q, k, v))
        scores = (q @ k.transpose(-2, -1)) / math.sqrt(d // heads)
        y = scores.masked_fill(~mask, float("-inf")).softmax(-1) @ v
        x = x + conv1d(y.transpose(0, 1).reshape(n, d), h + "attn.c_proj")
        x = x + conv1d(act(conv1d(ln(x, h + "ln_2"), h + "mlp.c_fc")), h + "mlp.c_proj")
    return ln(x, "ln_f") @ t["wte.weight"].T


IDS = [464, 2068, 7586, 21831, 18045, 625, 262, 16931, 3290, 13, 50256, 0, 198, 50000]
COLUMNS = sorted(set(range(0, 50257, 61)) | {50256} | set(IDS))


def expected(logits):
    return {
        "ids": IDS,
        "columns": COLUMNS,
        "logits": [[round(float(logits[t, c]), 7) for c in COLUMNS] for t in range(len(IDS))],
        "argmax": [int(a) for a in logits.argmax(-1)],
        "logsumexp": [round(float(s), 7) for s in torch.logsumexp(logits, -1)],
    }


def make(out, config, seed, with_expected):
    out.mkdir(parents=True, exist_ok=True)
    tensors = random_gpt2(config, seed)
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    write_safetensors(out / "model.safetensors", tensors, {"format": "pt"})
    if with_expected:
        with torch.no_grad():
            logits = forward(tensors, config, IDS).double()
        (out / "expected.json").write_text(json.dumps(expected(logits)) + "\n")
    print(f"wrote {out}: {sum(x.numel() for x in tensors.values()):,} values")


def check(folder, expected_file):
    folder = Path(folder)
    config = json.loads((folder / "config.json").read_text())
    tensors = {name.removeprefix("transformer."): x for name, x in read_safetensors(folder / "model.safetensors").items()}
    want = json.loads(Path(expected_file).read_text())
    with torch.no_grad():
        logits = forward(tensors, config, want["ids"]).double()
    got = logits[:, want["columns"]]
    diff = (got - torch.tensor(want["logits"], dtype=torch.float64)).abs().max().item()
    same_argmax = [int(a) for a in logits.argmax(-1)] == want["argmax"]
    print(f"{folder}: max |logit difference| {diff:.3g}, argmax {'equal' if same_argmax else 'DIFFERENT'}")
    return diff < 1e-4 and same_argmax


TINY = {"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "n_layer": 2, "n_head": 2, "n_embd": 16,
        "n_positions": 32, "n_ctx": 32, "vocab_size": 50257, "layer_norm_epsilon": 1e-5,
        "activation_function": "gelu_new", "n_inner": None, "bos_token_id": 50256, "eos_token_id": 50256}
SMALL = dict(TINY, n_layer=12, n_head=12, n_embd=768, n_positions=1024, n_ctx=1024)

if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    if mode == "fixture":
        make(Path(sys.argv[2]), TINY, 1234, True)
    elif mode == "gpt2-small":
        make(Path(sys.argv[2]), SMALL, 1234, False)
    elif mode == "check":
        sys.exit(0 if check(sys.argv[2], sys.argv[3]) else 1)
    else:
        sys.exit(__doc__)
