// Writes the GPT-2 token ids of fixed texts, computed by js-tiktoken (a second implementation of
// tiktoken's "gpt2" encoding), for Gpt2TokenizerTest to compare against exactly.
//
//   cd scripts/gpt2-fixture && npm ci && node gpt2-fixture.mjs \
//       ../../training/src/test/resources/tokenize/gpt2-tiktoken.json
//
// encode(text, "all") is tiktoken's encode(text, allowed_special="all"): <|endoftext|> in the
// text becomes 50256. U+0085 and U+FEFF are left out of the texts: JavaScript's \s disagrees with
// Unicode's White_Space (which tiktoken and Java use) on exactly those two.
import { getEncoding } from "js-tiktoken";
import { readFileSync, writeFileSync } from "node:fs";

const texts = [
  "",
  "Hello, world!",
  "The quick brown fox jumps over the lazy dog.",
  "Café naïve façade résumé — déjà vu, Ångström, Øresund, Straße",
  "日本語のテキストと中文文本，한국어 텍스트",
  "I ❤️ emoji 😀👍🏽 and families 👨‍👩‍👧‍👦 and flags 🇫🇷🇯🇵",
  "   leading spaces",
  "trailing spaces   ",
  "a    b     c",
  "\ttab\t\tseparated\t",
  "line one\r\nline two\r\n\r\nline four\n",
  "first document<|endoftext|>second document",
  "<|endoftext|>",
  "a<|endoftext|><|endoftext|>b",
  " <|endoftext|> ",
  "<|endoftext|",
  "In 2024, 3.14159 and 1,000,000 and 0x1F and 12345678901234567890",
  "I'm sure it's what they've said: we'll, you'd, they're, don't, I'M, It'S",
  "def f(x):\n    return x ** 2  # square\n",
  "\u0000\u0001\u007f control and a\u00a0non-breaking space and\u3000ideographic space",
  "Ελληνικά, русский текст, עברית, العربية, हिन्दी",
  "!!!??? ... --- *** ((( ))) {}[]<>",
  "x".repeat(50) + " " + "ab".repeat(40),
];

const encoding = getEncoding("gpt2");
const version = JSON.parse(readFileSync(new URL("./node_modules/js-tiktoken/package.json", import.meta.url))).version;
const cases = texts.map((text) => ({ text, ids: encoding.encode(text, "all") }));
const fixture = { generator: `js-tiktoken ${version}, getEncoding("gpt2").encode(text, "all")` };
const out = process.argv[2] ?? "gpt2-tiktoken.json";
// One case per line, so a changed id shows as a one-line diff.
const lines = cases.map((c) => "  " + JSON.stringify(c));
writeFileSync(out, `{"generator": ${JSON.stringify(fixture.generator)},\n "cases": [\n${lines.join(",\n")}\n]}\n`);
console.log(`${cases.length} texts -> ${out}`);
