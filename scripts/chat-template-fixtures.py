#!/usr/bin/env python3
"""Expected renderings of the test chat templates, by transformers' apply_chat_template.

Writes training/src/test/resources/dev/tlab/chat/expected.json: for each template in templates/,
each conversation in conversations.json and add_generation_prompt false and true, the text
apply_chat_template returns (tokenize=False) or the message of the exception it raises. Also
strftime.json: Python's strftime of a fixed time for the formats strftime_now is tested with.

    /work/venv/bin/python scripts/chat-template-fixtures.py
"""
import datetime
import json
import pathlib

import transformers
from tokenizers import Tokenizer
from tokenizers.models import WordLevel

HERE = pathlib.Path(__file__).resolve().parent.parent / "training/src/test/resources/dev/tlab/chat"

# The special tokens each template's model has (bos_token and eos_token as tokenizer_config.json names them).
SPECIAL = {
    "llama3": {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"},
    "qwen-chatml": {"eos_token": "<|im_end|>"},
    "mistral": {"bos_token": "<s>", "eos_token": "</s>"},
    "zephyr": {"bos_token": "<s>", "eos_token": "</s>"},
    "gemma": {"bos_token": "<bos>", "eos_token": "<eos>"},
    "features": {"bos_token": "<s>", "eos_token": "</s>"},
}

STRFTIME_FORMATS = ["%d %b %Y", "%Y-%m-%d %H:%M:%S", "%A %B %j %y %I %p %%"]


def tokenizer(special):
    vocab = {token: i for i, token in enumerate(["<unk>"] + sorted(set(special.values())))}
    backend = Tokenizer(WordLevel(vocab, unk_token="<unk>"))
    return transformers.PreTrainedTokenizerFast(tokenizer_object=backend, unk_token="<unk>", **special)


def main():
    conversations = json.loads((HERE / "conversations.json").read_text(encoding="utf-8"))
    cases = []
    for path in sorted((HERE / "templates").glob("*.jinja")):
        name = path.stem
        source = path.read_text(encoding="utf-8")
        tok = tokenizer(SPECIAL[name])
        for conversation in conversations:
            for generation in (False, True):
                case = {"template": name, "conversation": conversation["name"], "add_generation_prompt": generation}
                try:
                    case["output"] = tok.apply_chat_template(conversation["messages"], chat_template=source,
                                                             tokenize=False, add_generation_prompt=generation)
                except Exception as e:  # the template's raise_exception
                    case["error"] = str(e)
                cases.append(case)
    expected = {"transformers": transformers.__version__, "special_tokens": SPECIAL, "cases": cases}
    (HERE / "expected.json").write_text(json.dumps(expected, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    when = datetime.datetime(2024, 7, 6, 15, 4, 5)
    strftime = {"time": when.isoformat(), "formats": {f: when.strftime(f) for f in STRFTIME_FORMATS}}
    (HERE / "strftime.json").write_text(json.dumps(strftime, indent=1) + "\n", encoding="utf-8")
    print(f"{len(cases)} cases, {sum('error' in c for c in cases)} raising")


if __name__ == "__main__":
    main()
