"""Tiny random Llama-family models made by Hugging Face transformers, for tlab's import and export tests.

    /path/to/venv/bin/python scripts/hf-fixture/hf_models.py               # writes the fixtures
    /path/to/venv/bin/python scripts/hf-fixture/hf_models.py check OUT NAME  # checks a folder tlab exported

Each fixture folder (training/src/test/resources/hf-models/NAME) holds what the hub's folders hold:
config.json, model.safetensors, tokenizer.json, tokenizer_config.json (with a chat_template),
generation_config.json, and expected.json: the prompt, its ids as the tokenizer encodes it (BOS
where the model expects one), transformers' logits for those ids and its greedy continuation of
10 tokens. The weights are random but not small (std 0.15, norms and biases perturbed too), so
every part moves the logits.

  llama-gqa    grouped-query attention, llama3 RoPE scaling, untied head, float32
               (+ config.transformers4.json: the same settings as transformers 4 wrote them)
  llama-tied   SmolLM-style: tied head, float16 on disk
  qwen2        q/k/v biases, tied head, float16 on disk
  qwen3        QK-norm, head_dim 16 with hidden 32 and 4 heads, float16 on disk
  mistral      sliding_window null, untied, float16 on disk
  llama-gqa-bf16     the llama-gqa weights in bfloat16 (expected: transformers reading them as float32)
  llama-gqa-sharded  the llama-gqa weights in shards with model.safetensors.index.json

`shaped qwen2.5-0.5b OUT` writes a random folder of Qwen2.5-0.5B's shape (bfloat16, as the hub's)
with a word-level tokenizer.json of its 151,665 ids, for measuring the import's memory.

`check` loads an exported folder with AutoModelForCausalLM.from_pretrained and AutoTokenizer and
compares its logits with the fixture's expected ones; it prints the largest difference and exits
1 beyond 1e-4.
"""
import json
import pathlib
import shutil
import sys

import torch
import transformers
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import (AutoModelForCausalLM, AutoTokenizer, GenerationConfig, LlamaConfig, MistralConfig,
                          PreTrainedTokenizerFast, Qwen2Config, Qwen3Config)

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "training/src/test/resources/hf-models"
PROMPT = "ROMEO: Good morrow"
NEW_TOKENS = 10
SPECIALS = ["<|begin_of_text|>", "<|end_of_text|>", "<|im_start|>", "<|im_end|>"]
CHAT = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
        "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")
SMALL = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
             vocab_size=300, max_position_embeddings=128)


def bpe(with_bos):
    """A byte-level BPE of 300 tokens trained on the start of the shipped Shakespeare."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=300, special_tokens=SPECIALS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator([(ROOT / "examples/data/tinyshakespeare/input.txt").read_text()[:6000]], trainer)
    if with_bos:
        # As Llama 3's tokenizer.json does: BOS before every encoded text.
        tok.post_processor = processors.TemplateProcessing(
            single="<|begin_of_text|> $A", pair="<|begin_of_text|> $A <|begin_of_text|> $B",
            special_tokens=[("<|begin_of_text|>", 0)])
    else:
        tok.post_processor = processors.ByteLevel(trim_offsets=False)
    return tok


FAMILIES = {
    "llama-gqa": dict(config=lambda: LlamaConfig(**SMALL, num_key_value_heads=2, tie_word_embeddings=False,
                                                 bos_token_id=0, eos_token_id=1, rms_norm_eps=1e-5,
                                                 rope_parameters=dict(rope_type="llama3", rope_theta=10000.0,
                                                                      factor=8.0, low_freq_factor=1.0,
                                                                      high_freq_factor=4.0,
                                                                      original_max_position_embeddings=64)),
                      bos=True, eos=[1], dtype=torch.float32),
    "llama-tied": dict(config=lambda: LlamaConfig(**SMALL, num_key_value_heads=4, tie_word_embeddings=True,
                                                  bos_token_id=0, eos_token_id=1, rms_norm_eps=1e-5,
                                                  rope_parameters=dict(rope_type="default", rope_theta=100000.0)),
                       bos=True, eos=[1], dtype=torch.float16),
    "qwen2": dict(config=lambda: Qwen2Config(**SMALL, num_key_value_heads=2, tie_word_embeddings=True,
                                             bos_token_id=None, eos_token_id=3, rms_norm_eps=1e-6,
                                             rope_parameters=dict(rope_type="default", rope_theta=1000000.0),
                                             use_sliding_window=False),
                  bos=False, eos=[3, 1], dtype=torch.float16),
    "qwen3": dict(config=lambda: Qwen3Config(**SMALL, num_key_value_heads=2, head_dim=16, tie_word_embeddings=True,
                                             bos_token_id=None, eos_token_id=3, rms_norm_eps=1e-6,
                                             rope_parameters=dict(rope_type="default", rope_theta=1000000.0),
                                             use_sliding_window=False, attention_bias=False),
                  bos=False, eos=[3], dtype=torch.float16),
    "mistral": dict(config=lambda: MistralConfig(**SMALL, num_key_value_heads=2, tie_word_embeddings=False,
                                                 bos_token_id=0, eos_token_id=1, rms_norm_eps=1e-5,
                                                 sliding_window=None,
                                                 rope_parameters=dict(rope_type="default", rope_theta=10000.0)),
                    bos=True, eos=[1], dtype=torch.float16),
}


def randomize(model, seed):
    """Weights large enough that every tensor matters: normal(0, 0.15), norm scales 1 + normal(0, 0.1)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name:
                p.copy_(1 + 0.1 * torch.randn(p.shape, generator=g))
            else:
                p.copy_(0.15 * torch.randn(p.shape, generator=g))


def expected(folder, ids):
    """transformers' float32 logits for ids and its greedy continuation, reading the folder as a user would."""
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).eval()
    x = torch.tensor([ids])
    with torch.no_grad():
        logits = model(x).logits[0]
        out = model.generate(x, do_sample=False, max_new_tokens=NEW_TOKENS, min_new_tokens=NEW_TOKENS,
                             attention_mask=torch.ones_like(x), pad_token_id=0)
    return logits, out[0, len(ids):].tolist()


def write_expected(folder, ids, logits, greedy):
    doc = {"generator": "transformers %s, torch %s" % (transformers.__version__, torch.__version__),
           "prompt": PROMPT, "ids": ids, "greedy": greedy,
           "logits": [[float("%.7g" % v) for v in row] for row in logits.tolist()]}
    (folder / "expected.json").write_text(json.dumps(doc, separators=(",", ":")) + "\n")


def make(name, spec, seed):
    folder = OUT / name
    shutil.rmtree(folder, ignore_errors=True)
    config = spec["config"]()
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    randomize(model, seed)
    model.generation_config = GenerationConfig(bos_token_id=config.bos_token_id, eos_token_id=spec["eos"],
                                               do_sample=False)
    model.to(spec["dtype"]).save_pretrained(folder)
    tok = PreTrainedTokenizerFast(tokenizer_object=bpe(spec["bos"]),
                                  bos_token="<|begin_of_text|>" if spec["bos"] else None,
                                  eos_token="<|end_of_text|>" if spec["bos"] else "<|im_end|>",
                                  pad_token="<|end_of_text|>", chat_template=CHAT)
    tok.save_pretrained(folder, save_jinja_files=False)
    for extra in ("special_tokens_map.json", "chat_template.jinja"):
        (folder / extra).unlink(missing_ok=True)
    ids = AutoTokenizer.from_pretrained(folder)(PROMPT)["input_ids"]
    logits, greedy = expected(folder, ids)
    write_expected(folder, ids, logits, greedy)
    return folder, ids


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for seed, (name, spec) in enumerate(FAMILIES.items(), start=1):
        folder, ids = make(name, spec, seed)
        print(name, sorted(p.name for p in folder.iterdir()))
    base = OUT / "llama-gqa"
    # transformers 4 wrote rope_theta and rope_scaling where 5 writes rope_parameters.
    old = json.loads((base / "config.json").read_text())
    rope = old.pop("rope_parameters")
    old["rope_theta"] = rope.pop("rope_theta")
    old["rope_scaling"] = rope
    old["transformers_version"] = "4.46.0"
    (base / "config.transformers4.json").write_text(json.dumps(old, indent=2) + "\n")
    ids = json.loads((base / "expected.json").read_text())["ids"]
    for copy, dtype, shard in (("llama-gqa-bf16", torch.bfloat16, None), ("llama-gqa-sharded", torch.float32, "20KB")):
        model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)
        folder = OUT / copy
        shutil.rmtree(folder, ignore_errors=True)
        if shard:
            model.to(dtype).save_pretrained(folder, max_shard_size=shard)
        else:
            model.to(dtype).save_pretrained(folder)
        for f in ("tokenizer.json", "tokenizer_config.json"):
            shutil.copy(base / f, folder / f)
        logits, greedy = expected(folder, ids)
        write_expected(folder, ids, logits, greedy)
        print(copy, sorted(p.name for p in folder.iterdir()))


def check(folder, name):
    """An exported folder against a fixture's expected logits."""
    want = json.loads((OUT / name / "expected.json").read_text())
    tok = AutoTokenizer.from_pretrained(folder)
    ids = tok(want["prompt"])["input_ids"]
    if ids != want["ids"]:
        print("ids differ: %s, fixture %s" % (ids, want["ids"]))
        sys.exit(1)
    logits, greedy = expected(folder, ids)
    diff = (logits - torch.tensor(want["logits"])).abs().max().item()
    print("%s: %s loads with AutoModelForCausalLM (%s); max |logit difference| %.3g; greedy %s"
          % (name, folder, json.loads((pathlib.Path(folder) / "config.json").read_text())["model_type"], diff,
             "equal" if greedy == want["greedy"] else "differs: %s vs %s" % (greedy, want["greedy"])))
    sys.exit(0 if diff <= 1e-4 and greedy == want["greedy"] else 1)


def shaped(name, out):
    """A random model of a real one's shape, with a tokenizer of its size (words t0, t1, ...)."""
    shapes = {"qwen2.5-0.5b": (Qwen2Config(hidden_size=896, intermediate_size=4864, num_hidden_layers=24,
                                           num_attention_heads=14, num_key_value_heads=2, vocab_size=151936,
                                           max_position_embeddings=32768, tie_word_embeddings=True,
                                           rope_parameters=dict(rope_type="default", rope_theta=1000000.0),
                                           rms_norm_eps=1e-6, bos_token_id=None, eos_token_id=151643), 151665)}
    config, tokens = shapes[name]
    folder = pathlib.Path(out)
    model = AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16)
    model.save_pretrained(folder)
    tok = Tokenizer(models.WordLevel({"t%d" % i: i for i in range(tokens)}, unk_token="t0"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.save(str(folder / "tokenizer.json"))
    print(name, sum(p.numel() for p in model.parameters()), "parameters ->", folder)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "check":
        check(sys.argv[2], sys.argv[3])
    elif len(sys.argv) > 1 and sys.argv[1] == "shaped":
        shaped(sys.argv[2], sys.argv[3])
    else:
        main()
