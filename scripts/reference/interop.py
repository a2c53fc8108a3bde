"""tlab's files read, and tlab's inputs written, by the real Hugging Face and TensorBoard libraries.

Each subcommand writes what it checked (hashes of the files it read, the values it got) under
training/src/test/resources/dev/tlab/interop/, where Java tests pin tlab's side: that tlab still
writes the very bytes checked here, or reads the library-written fixtures to the same values.

  export HF_DIR          GPT2LMHeadModel.from_pretrained(HF_DIR) on a folder `tlab export` wrote from
                         the tiny GPT-2 fixture (training/src/test/resources/gpt2-hf): its logits
                         must be the fixture's own (expected.json). -> gpt2-export.json
  tokenizer RUN_HF_DIR   tokenizers.Tokenizer.from_file(RUN_HF_DIR/tokenizer.json) of an exported
                         bpe run: the ids of fixed texts. -> bpe-tokenizer.json
  safetensors            files written by safetensors.torch.save_file and by save_pretrained, with the
                         values tlab must read from them. -> safetensors-*.safetensors, safetensors.json
  read FILE...           safe_open on safetensors files tlab wrote: names, dtypes, shapes, sums.
                         -> safetensors-read.json
  shards                 a tiny GPT-2 saved by save_pretrained(max_shard_size=...) and its logits.
                         -> gpt2-shards/, gpt2-shards.json
  tensorboard RUN_DIR    TensorBoard's EventAccumulator on a run's event files against metrics.jsonl.

Run: /work/venv/bin/python scripts/reference/interop.py SUBCOMMAND ...  (torch 2.13, transformers 5.18,
safetensors, tokenizers, tensorboard 2.21)
"""
import hashlib
import json
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "training/src/test/resources/dev/tlab/interop"
FIXTURE = ROOT / "training/src/test/resources/gpt2-hf"


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def write(name, value):
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / name).write_text(json.dumps(value, indent=1) + "\n")
    print(json.dumps(value)[:2000])


def export(hf_dir):
    import torch
    import transformers
    from transformers import GPT2LMHeadModel

    hf_dir = Path(hf_dir)
    expected = json.loads((FIXTURE / "expected.json").read_text())
    model, info = GPT2LMHeadModel.from_pretrained(hf_dir, output_loading_info=True)
    model.eval()
    loading = {k: sorted(str(x) for x in v) for k, v in info.items() if v}
    with torch.no_grad():
        logits = model(torch.tensor([expected["ids"]])).logits[0].double()
    picked = logits[:, expected["columns"]]
    difference = (picked - torch.tensor(expected["logits"], dtype=torch.float64)).abs().max().item()
    logsumexp = (torch.logsumexp(logits, -1) - torch.tensor(expected["logsumexp"], dtype=torch.float64)).abs().max().item()
    argmax = logits.argmax(-1).tolist() == expected["argmax"]
    ok = difference < 1e-4 and logsumexp < 1e-4 and argmax and not loading
    write("gpt2-export.json", {"loading_problems": loading,
        "checked": "GPT2LMHeadModel.from_pretrained on tlab's export of gpt2-hf: logits against gpt2-hf/expected.json",
        "transformers": transformers.__version__, "torch": torch.__version__,
        "config.json": sha256(hf_dir / "config.json"), "model.safetensors": sha256(hf_dir / "model.safetensors"),
        "max_logit_difference": difference, "max_logsumexp_difference": logsumexp, "argmax_equal": argmax, "ok": ok})
    if not ok:
        sys.exit("export check failed")


TEXTS = ["First Citizen:\nBefore we proceed any further, hear me speak.",
         "ROMEO: O, she doth teach the torches to burn bright!",
         "  leading spaces, tabs\tand a newline\n\nthen caf\u00e9 na\u00efve \u2014 \u00bfqu\u00e9?",
         "<|endoftext|>JULIET:<|endoftext|> 12345 !!!", ""]


def tokenizer(hf_dir):
    import tokenizers

    path = Path(hf_dir) / "tokenizer.json"
    tok = tokenizers.Tokenizer.from_file(str(path))
    cases = []
    for text in TEXTS:
        ids = tok.encode(text).ids
        cases.append({"text": text, "ids": ids, "decoded": tok.decode(ids, skip_special_tokens=False)})
    write("bpe-tokenizer.json", {"checked": "tokenizers.Tokenizer.from_file on the tokenizer.json of an exported bpe run",
                                 "tokenizers": tokenizers.__version__, "tokenizer.json": sha256(path),
                                 "vocab_size": tok.get_vocab_size(), "cases": cases})


def safetensors_fixtures():
    import torch
    import safetensors
    from safetensors.torch import save_file
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(3)
    tensors = {"matrix": torch.randn(3, 5), "half": torch.randn(4, 2).half(), "ids": torch.arange(-3, 4, dtype=torch.int64),
               "scalar_like": torch.tensor([2.5]), "wide.name/with.dots": torch.randn(2, 3, 2)}
    save_file(tensors, OUT / "safetensors-library.safetensors", metadata={"format": "pt", "written_by": "safetensors"})
    # save_pretrained of a model small enough to commit (a 64-token vocabulary; GPT-2's layout otherwise).
    config = GPT2Config(n_layer=1, n_head=2, n_embd=8, n_positions=8, vocab_size=64)
    model = GPT2LMHeadModel(config)
    model.save_pretrained(OUT / "save-pretrained")
    (OUT / "save-pretrained/config.json").unlink()
    (OUT / "save-pretrained/generation_config.json").unlink()
    state = {k: v for k, v in model.state_dict().items() if k != "lm_head.weight"}
    summary = {}
    from safetensors import safe_open
    for name, path in (("library", OUT / "safetensors-library.safetensors"),
                       ("save_pretrained", OUT / "save-pretrained/model.safetensors")):
        with safe_open(path, "pt") as f:
            summary[name] = {"metadata": f.metadata(), "tensors": {
                k: {"dtype": str(f.get_tensor(k).dtype).replace("torch.", ""), "shape": list(f.get_tensor(k).shape),
                    "values": [float(v) for v in f.get_tensor(k).double().reshape(-1)[:6].tolist()],
                    "sum": float(f.get_tensor(k).double().sum())} for k in f.keys()}}
    assert set(summary["save_pretrained"]["tensors"]) == set(state), "save_pretrained stored what the model holds"
    write("safetensors.json", {"safetensors": safetensors.__version__, **summary})


def read(files):
    from safetensors import safe_open
    import safetensors

    out = {"checked": "safetensors.safe_open on files tlab wrote", "safetensors": safetensors.__version__}
    for path in files:
        with safe_open(path, "pt") as f:
            out[Path(path).name] = {"sha256": sha256(path), "metadata": f.metadata(), "tensors": {
                k: {"dtype": str(f.get_tensor(k).dtype).replace("torch.", ""), "shape": list(f.get_tensor(k).shape),
                    "sum": float(f.get_tensor(k).double().sum())} for k in f.keys()}}
    write("safetensors-read.json", out)


def shards():
    import torch
    import transformers
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(4)
    # GPT-2's 50,257 tokens (tlab imports GPT-2 with its tokenizer), but 4 wide and in float16: about 0.4 MB.
    config = GPT2Config(n_layer=2, n_head=2, n_embd=4, n_positions=8, vocab_size=50257)
    model = GPT2LMHeadModel(config)
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0, 0.5)
    model = model.half()
    target = OUT / "gpt2-shards"
    model.save_pretrained(target, max_shard_size="100KB")
    index = json.loads((target / "model.safetensors.index.json").read_text())
    files = sorted(set(index["weight_map"].values()))
    assert len(files) >= 2, files
    reloaded = GPT2LMHeadModel.from_pretrained(target, dtype=torch.float32).eval()
    ids = [464, 2068, 7586, 50256, 0, 198, 13]
    columns = [0, 13, 198, 464, 2068, 7586, 12345, 50000, 50256]
    with torch.no_grad():
        logits = reloaded(torch.tensor([ids])).logits[0].double()
    write("gpt2-shards.json", {"checked": "GPT2LMHeadModel.save_pretrained(max_shard_size='100KB') in float16, reloaded"
                               " in float32 by from_pretrained", "transformers": transformers.__version__,
                               "shards": files, "ids": ids, "columns": columns,
                               "logits": [[float(f"{v:.9g}") for v in row] for row in logits[:, columns].tolist()],
                               "logsumexp": [float(v) for v in torch.logsumexp(logits, -1).tolist()],
                               "argmax": logits.argmax(-1).tolist()})


def tag_of(key, events):
    named = {"train_loss": "loss/train", "val_loss": "loss/val"}.get(key)
    if named in events:
        return named
    return next((t for t in events if t == key or t.endswith("/" + key)), None)


def tensorboard(run_dir):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    run_dir = Path(run_dir)
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    accumulator = EventAccumulator(str(run_dir), size_guidance={"scalars": 0, "tensors": 0})
    accumulator.Reload()
    tags = accumulator.Tags()
    events = {}
    report_text = []
    for tag in tags.get("scalars", []):
        events[tag] = [(e.step, e.value) for e in accumulator.Scalars(tag)]
    for tag in tags.get("tensors", []):
        import numpy as np
        from tensorboard.util import tensor_util
        values = [(e.step, np.asarray(tensor_util.make_ndarray(e.tensor_proto)).reshape(-1)) for e in accumulator.Tensors(tag)]
        if values and values[0][1].dtype.kind == "f":  # scalars written as tensors; text (the config) is not compared
            events[tag] = [(step, float(v[0])) for step, v in values]
        else:
            report_text.append(tag)
    report = {"checked": "TensorBoard's EventAccumulator on the run's event files against metrics.jsonl",
              "event_files": len(list(run_dir.glob("events.out.tfevents.*"))), "text_tags": report_text, "tags": {},
              "problems": []}
    for tag, points in sorted(events.items()):
        steps = [s for s, _ in points]
        report["tags"][tag] = {"points": len(points), "first_step": steps[0], "last_step": steps[-1]}
        if len(set(steps)) != len(steps):
            report["problems"].append(f"{tag}: a step written twice")
    # Every number of metrics.jsonl, under the tag tlab gives it, at its step.
    compared = 0
    for row in rows:
        step = row["step"]
        for key, value in row.items():
            if key == "step" or not isinstance(value, (int, float)) or isinstance(value, bool):
                continue
            tag = tag_of(key, events)
            if tag is None:
                continue
            at = [v for s, v in events[tag] if s == step]
            if len(at) != 1:
                report["problems"].append(f"{key} at step {step}: {len(at)} events")
            elif not math.isclose(at[0], value, rel_tol=1e-6, abs_tol=1e-9):
                report["problems"].append(f"{key} at step {step}: event {at[0]}, metrics.jsonl {value}")
            compared += 1
    keys = sorted({k for row in rows for k in row if k != "step"})
    report["metrics_keys"] = keys
    report["keys_without_tag"] = [k for k in keys if tag_of(k, events) is None]
    report["compared"] = compared
    report["rows"] = len(rows)
    write("tensorboard-resume.json", report)
    if report["problems"]:
        sys.exit("tensorboard check failed")


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    {"export": lambda: export(args[0]), "tokenizer": lambda: tokenizer(args[0]), "safetensors": safetensors_fixtures,
     "read": lambda: read(args), "shards": shards, "tensorboard": lambda: tensorboard(args[0])}[command]()
