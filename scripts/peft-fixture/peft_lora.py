"""LoRA adapters made by Hugging Face peft over a tiny random Llama, for tlab's peft import and export tests.

    /path/to/venv/bin/python scripts/peft-fixture/peft_lora.py                 # writes the fixtures
    /path/to/venv/bin/python scripts/peft-fixture/peft_lora.py check OUT LOGITS [BASE]  # checks an adapter tlab exported

The base is training/src/test/resources/hf-models/llama-tied (made by scripts/hf-fixture/hf_models.py).
Each fixture folder (training/src/test/resources/peft/NAME) holds what peft's save_pretrained writes,
adapter_config.json and adapter_model.safetensors, and expected.json: token ids and the logits of
PeftModel over the base for them. B is random, not zero (init_lora_weights=False, then every factor
drawn with std 0.2), so every adapter moves the logits.

  all    r 4, alpha 8, every projection (q_proj k_proj v_proj o_proj gate_proj up_proj down_proj)
  qv     r 2, alpha 5, q_proj and v_proj only

`check` loads the base (llama-tied, or the Hugging Face folder BASE) with PeftModel.from_pretrained(base, OUT) and compares its logits for the ids
in LOGITS (a JSON file tlab wrote: {"ids": [...], "logits": [[...], ...]}) with tlab's; it prints the
largest difference and exits 1 beyond 1e-4.
"""
import json
import pathlib
import sys

import peft
import torch
import transformers
from peft import LoraConfig, PeftModel, get_peft_model
from transformers import AutoModelForCausalLM

ROOT = pathlib.Path(__file__).resolve().parents[2]
BASE = ROOT / "training/src/test/resources/hf-models/llama-tied"
OUT = ROOT / "training/src/test/resources/peft"
ADAPTERS = {
    "all": dict(r=4, lora_alpha=8, target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj",
                                                   "down_proj"]),
    "qv": dict(r=2, lora_alpha=5, target_modules=["q_proj", "v_proj"]),
}


def base_model(folder=BASE):
    return AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).eval()


def ids():
    return json.loads((BASE / "expected.json").read_text())["ids"][:8]


def logits(model, tokens):
    with torch.no_grad():
        return model(torch.tensor([tokens])).logits[0]


def make(name, settings, seed):
    torch.manual_seed(seed)
    model = get_peft_model(base_model(), LoraConfig(lora_dropout=0.0, init_lora_weights=False, **settings))
    with torch.no_grad():
        for key, p in model.named_parameters():
            if "lora_" in key:
                p.normal_(0, 0.2)
    model.eval()
    folder = OUT / name
    model.save_pretrained(folder)
    tokens = ids()
    out = logits(model, tokens)
    moved = (out - logits(base_model(), tokens)).abs().max().item()
    assert moved > 0.05, f"{name}: the adapter barely moves the logits ({moved})"
    expected = {"generator": f"peft {peft.__version__}, transformers {transformers.__version__}, torch {torch.__version__}",
                "ids": tokens, "logits": [[round(v, 7) for v in row] for row in out.tolist()]}
    (folder / "expected.json").write_text(json.dumps(expected, separators=(",", ":")) + "\n")
    (folder / "README.md").unlink(missing_ok=True)
    # The path save_pretrained records is this machine's, and the targets come from a set: make both stable.
    config = json.loads((folder / "adapter_config.json").read_text())
    config["base_model_name_or_path"] = "hf-models/llama-tied"
    config["target_modules"] = sorted(config["target_modules"])
    (folder / "adapter_config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
    print(f"{name}: {sorted(p.name for p in folder.iterdir())}, logits moved by up to {moved:.3f}")


def check(out, tlab_logits, base=BASE):
    want = json.loads(pathlib.Path(tlab_logits).read_text())
    model = PeftModel.from_pretrained(base_model(base), out).eval()
    got = logits(model, want["ids"])
    diff = (got - torch.tensor(want["logits"])).abs().max().item()
    config = json.loads((pathlib.Path(out) / "adapter_config.json").read_text())
    print(f"PeftModel.from_pretrained({pathlib.Path(base).name}, {out}): r {config['r']}, alpha {config['lora_alpha']},"
          f" rank_pattern {config['rank_pattern']}, fan_in_fan_out {config['fan_in_fan_out']},"
          f" targets {sorted(config['target_modules'])}; logits for {len(want['ids'])} tokens differ from tlab's"
          f" by at most {diff:.2e}")
    sys.exit(0 if diff <= 1e-4 else 1)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "check":
        check(sys.argv[2], sys.argv[3], *sys.argv[4:5])
    else:
        for i, (name, settings) in enumerate(ADAPTERS.items()):
            make(name, settings, 20 + i)
