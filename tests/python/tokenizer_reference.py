"""Reference results for the tokenizer conformance test (tests/node/conformance.test.mjs).

Reads a job as JSON on stdin:
  {"tokenizers": [{"name", "dir", "texts": [...], "calls": [{"text", "options"}], "chats": [{"messages", "options"}]}]}
and prints, per tokenizer, what Python computes:
  - `tokenizers` (the Rust library hubguard wraps, here as the native build):
    ids with and without special tokens, decoding with and without them;
  - `transformers`: the call API (padding, truncation, pairs), special-token
    properties, decoding with clean-up, and `apply_chat_template` (text and ids).

Like transformers, the tokenizer.json's own `padding`/`truncation` are not
applied to plain encoding (MiniLM's file pads everything to 128).
`{"train_unigram": dir, "texts": [...]}` instead trains the matrix's Unigram
tokenizer into `dir` (no package ships one).
"""

import json
import os
import sys
import warnings

os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
warnings.filterwarnings("ignore")

from tokenizers import Tokenizer  # noqa: E402


def train_unigram(folder, texts):
    """A small, deterministic Unigram tokenizer (SentencePiece-style)."""
    from tokenizers import decoders, models, normalizers, pre_tokenizers, processors, trainers

    tok = Tokenizer(models.Unigram())
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    trainer = trainers.UnigramTrainer(
        vocab_size=600, special_tokens=["<pad>", "</s>", "<unk>"], unk_token="<unk>", show_progress=False
    )
    tok.train_from_iterator(texts * 3, trainer=trainer)
    tok.post_processor = processors.TemplateProcessing(
        single="$A </s>", pair="$A </s> $B:1 </s>:1", special_tokens=[("</s>", tok.token_to_id("</s>"))]
    )
    os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, f"tokenizer.json.{os.getpid()}.tmp")
    tok.save(tmp)
    config = {"tokenizer_class": "PreTrainedTokenizerFast", "eos_token": "</s>", "unk_token": "<unk>",
              "pad_token": "<pad>", "model_max_length": 64}
    with open(os.path.join(folder, "tokenizer_config.json"), "w") as f:
        json.dump(config, f)
    os.replace(tmp, os.path.join(folder, "tokenizer.json"))


def transformers_tokenizer(folder, native, texts):
    """AutoTokenizer when it tokenizes as tokenizer.json says; else the generic
    fast tokenizer over that file (transformers v5 rebuilds some classes, such
    as LlamaTokenizer, from the vocabulary with its own pre-tokenizer)."""
    from transformers import AutoTokenizer, PreTrainedTokenizerFast

    auto = AutoTokenizer.from_pretrained(folder)
    if all(auto(t)["input_ids"] == native.encode(t).ids for t in texts):
        return auto, type(auto).__name__
    generic = PreTrainedTokenizerFast.from_pretrained(folder)
    return generic, "PreTrainedTokenizerFast (AutoTokenizer gives other ids)"


def attempt(fn):
    try:
        return {"ok": fn()}
    except Exception as e:  # the test checks that hubguard fails too
        return {"error": f"{type(e).__name__}: {e}"}


def run(job):
    out = {}
    for spec in job["tokenizers"]:
        folder = spec["dir"]
        native = Tokenizer.from_file(os.path.join(folder, "tokenizer.json"))
        native.no_padding()
        native.no_truncation()
        texts = spec["texts"]
        encode = [native.encode(t).ids for t in texts]
        plain = [native.encode(t, add_special_tokens=False).ids for t in texts]
        tok, cls = transformers_tokenizer(folder, native, texts[:20])
        if tok.pad_token is None and tok.eos_token is not None:
            # hubguard (like Transformers.js) pads with eos when there is no pad token.
            tok.pad_token = tok.eos_token
        special = {}
        for name in ["bos", "eos", "unk", "pad", "sep", "cls", "mask"]:
            special[f"{name}_token"] = getattr(tok, f"{name}_token")
            special[f"{name}_token_id"] = getattr(tok, f"{name}_token_id")
        calls = [attempt(lambda c=c: {k: v for k, v in tok(c["text"], **c["options"]).items()}) for c in spec["calls"]]
        chats = []
        for c in spec["chats"]:
            opts = dict(c["options"])
            entry = {
                "text": attempt(lambda: tok.apply_chat_template(c["messages"], tokenize=False, **opts)),
                "ids": attempt(lambda: list(tok.apply_chat_template(c["messages"], tokenize=True, return_dict=False, **opts))),
            }
            if c.get("masks"):
                mask_opts = {"tokenize": True, "return_dict": True, "return_assistant_tokens_mask": True, **opts}
                if isinstance(c["masks"], dict):
                    mask_opts.update(c["masks"])
                entry["masks"] = attempt(lambda: dict(tok.apply_chat_template(c["messages"], **mask_opts)))
            chats.append(entry)
        out[spec["name"]] = {
            "class": cls,
            "chat_template": tok.chat_template,
            "encode": encode,
            "encode_plain": plain,
            "decode": [native.decode(ids, skip_special_tokens=False) for ids in encode],
            "decode_skip": [native.decode(ids, skip_special_tokens=True) for ids in encode],
            "batch_decode_clean": tok.batch_decode(encode[:30], skip_special_tokens=True, clean_up_tokenization_spaces=True),
            "tokens": [native.encode(t, add_special_tokens=False).tokens for t in texts[:25]],
            "special": special,
            "padding_side": tok.padding_side,
            "model_max_length": tok.model_max_length,
            "vocab_size": native.get_vocab_size(with_added_tokens=True),
            "calls": calls,
            "chats": chats,
        }
    return out


if __name__ == "__main__":
    job = json.load(sys.stdin)
    if "train_unigram" in job:
        train_unigram(job["train_unigram"], job["texts"])
        print(json.dumps({"trained": job["train_unigram"]}))
    else:
        print(json.dumps(run(job), ensure_ascii=False))
