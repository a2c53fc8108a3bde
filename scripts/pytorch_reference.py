#!/usr/bin/env python3
"""PyTorch cross-checks for tlab. Needs torch, numpy and safetensors (pip install torch safetensors).

  check CHECKPOINT  loads model.safetensors and optimizer.safetensors with Python's safetensors,
                    rebuilds the decoder in PyTorch from state.json and prints greedy text for
                    --prompt, to compare with `tlab sample RUN --prompt P --temperature 0
                    --context-limit stop --tokens N`. Covers what the main job uses: a decoder
                    with pre- or post-LN LayerNorm, learned positions, GELU, tied embeddings.
  bench             trains the same architecture eagerly in PyTorch on the shipped corpus (the baby
                    config unless overridden) and reports tokens/s and ms/step, for comparison with
                    `tlab bench configs/shakespeare-char.yaml` on the same machine.
"""
import argparse
import json
import math
import re
import sys
import time
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, d, heads, post):
        super().__init__()
        self.heads, self.post = heads, post
        self.ln1, self.ln2 = nn.LayerNorm(d, eps=1e-5), nn.LayerNorm(d, eps=1e-5)
        self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.fc, self.out = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)

    def attn(self, x):
        b, t, c = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        scores = (q / math.sqrt(c // self.heads)) @ k.transpose(-2, -1)
        scores = scores.masked_fill(torch.ones(t, t, dtype=torch.bool).triu(1), float("-inf"))
        return self.proj((scores.softmax(-1) @ v).transpose(1, 2).reshape(b, t, c))

    def mlp(self, x):
        return self.out(F.gelu(self.fc(x)))

    def forward(self, x):
        if self.post:
            x = self.ln1(x + self.attn(x))
            return self.ln2(x + self.mlp(x))
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class GPT(nn.Module):
    def __init__(self, vocab, layers, heads, d, context, post=False):
        super().__init__()
        self.post = post
        self.wte, self.wpe = nn.Embedding(vocab, d), nn.Embedding(context, d)
        self.h = nn.ModuleList(Block(d, heads, post) for _ in range(layers))
        self.lnf = nn.LayerNorm(d, eps=1e-5)

    def forward(self, idx):
        x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1]))
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


def bench(args):
    torch.manual_seed(1337)
    torch.set_num_threads(args.threads)
    text = Path(args.data).read_text()
    vocab = sorted(set(text))
    data = torch.tensor([vocab.index(c) for c in text[: int(len(text) * 0.9)]])
    model = GPT(len(vocab), args.layers, args.heads, args.d_model, args.context)
    for module in model.modules():
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, std=0.02)
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                                  lr=1e-3, betas=(0.9, 0.99))

    def step():
        starts = torch.randint(len(data) - args.context - 1, (args.batch_size,))
        x = torch.stack([data[s:s + args.context] for s in starts])
        y = torch.stack([data[s + 1:s + 1 + args.context] for s in starts])
        loss = F.cross_entropy(model(x).view(-1, len(vocab)), y.view(-1))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        return loss

    for _ in range(args.warmup):
        step()
    start = time.perf_counter()
    for _ in range(args.steps):
        loss = step()
    seconds = time.perf_counter() - start
    tokens = args.steps * args.batch_size * args.context
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {args.steps} steps after {args.warmup}")
    print(f"tokens/s {tokens / seconds:,.0f}  ms/step {1000 * seconds / args.steps:.2f}  last loss {loss.item():.4f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    c = commands.add_parser("check", help="load a tlab checkpoint with safetensors and decode greedily")
    c.add_argument("checkpoint")
    c.add_argument("--prompt", default="ROMEO:")
    c.add_argument("--tokens", type=int, default=58)
    b = commands.add_parser("bench", help="time the same model's training steps in PyTorch")
    b.add_argument("--data", default=str(Path(__file__).resolve().parent.parent / "examples/data/tinyshakespeare/input.txt"))
    b.add_argument("--layers", type=int, default=4)
    b.add_argument("--heads", type=int, default=4)
    b.add_argument("--d-model", type=int, default=128)
    b.add_argument("--context", type=int, default=64)
    b.add_argument("--batch-size", type=int, default=12)
    b.add_argument("--steps", type=int, default=200)
    b.add_argument("--warmup", type=int, default=10)
    b.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = parser.parse_args()
    check(args) if args.command == "check" else bench(args)


if __name__ == "__main__":
    sys.exit(main())
