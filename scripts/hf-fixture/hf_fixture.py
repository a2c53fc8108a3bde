"""Writes a byte-level BPE trained by Hugging Face's tokenizers (Python) and its ids for fixed
texts, so the tests can check that tlab reads tokenizer.json files that Hugging Face writes
(merges as [left, right] lists, the special token at id 0) and gives the same ids.

    python3 -m venv /tmp/hf && /tmp/hf/bin/pip install -r requirements.txt
    /tmp/hf/bin/python hf_fixture.py   # from scripts/hf-fixture

Texts: those of the js-tiktoken fixture, plus a few more.
"""
import json
import pathlib

import tokenizers
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "training/src/test/resources/tokenize/hf-trained"

tokenizer = Tokenizer(models.BPE())
tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
tokenizer.decoder = decoders.ByteLevel()
trainer = trainers.BpeTrainer(vocab_size=600, special_tokens=["<|endoftext|>"],
                              initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
text = (ROOT / "examples/data/tinyshakespeare/input.txt").read_text()[:200_000]
tokenizer.train_from_iterator([text], trainer)

fixture = json.loads((ROOT / "training/src/test/resources/tokenize/gpt2-tiktoken.json").read_text())
texts = [case["text"] for case in fixture["cases"]]
texts += ["First Citizen:\r\nBefore we proceed any further, hear me speak.", "  \u00a0\u3000 spaces\u2028",
          "<|endoftext|>ROMEO:<|endoftext|>"]

OUT.mkdir(parents=True, exist_ok=True)
tokenizer.save(str(OUT / "tokenizer.json"))
cases = [{"text": t, "ids": tokenizer.encode(t, add_special_tokens=False).ids} for t in texts]
lines = ",\n".join("  " + json.dumps(c, ensure_ascii=False, separators=(",", ":")) for c in cases)
(OUT / "ids.json").write_text(
    '{"generator": "tokenizers %s, encode(text, add_special_tokens=False)",\n "cases": [\n%s\n]}\n'
    % (tokenizers.__version__, lines))
print(len(cases), "texts ->", OUT)
