"""The Llama-2 fixture (tests/fixtures/llama2.mjs) is a faithful tokenizer.

Three independent implementations must agree on it: Python `tokenizers` and
`@huggingface/transformers` (both loading the fixture's tokenizer.json) and
`llama-tokenizer-js` (its own code over the data the fixture was made from).
"""

import json
import subprocess

import pytest
from tokenizers import Tokenizer

from conftest import FIXTURE_DIR, LLAMA_HELLO, ROOT

SENTENCES = [
    "Hello world!",
    "Grüße aus Köln, ça va? ¿Qué tal?",
    "東京は日本の首都です。",
    "Привет, мир! 🦙 emoji",
    "  leading spaces\n\ttabs and\nnewlines  ",
    "مرحبا بالعالم",
    "नमस्ते दुनिया",
    "The llama (/ˈlɑːmə/) is a domesticated South American camelid.",
]


@pytest.fixture(scope="module")
def tokenizer():
    # The emulator built the fixture when the session started.
    return Tokenizer.from_file(str(FIXTURE_DIR / "tokenizer.json"))


@pytest.fixture(scope="module")
def javascript_ids():
    run = subprocess.run(
        ["node", str(ROOT / "tests/fixtures/reference-ids.mjs"), str(FIXTURE_DIR)],
        input=json.dumps(SENTENCES), capture_output=True, text=True, check=True, timeout=120,
    )
    return json.loads(run.stdout)


def test_hello_world(tokenizer):
    assert tokenizer.encode("Hello world!").ids == LLAMA_HELLO
    assert tokenizer.get_vocab_size() == 32000


@pytest.mark.parametrize("index", range(len(SENTENCES)))
def test_three_implementations_agree_and_decoding_round_trips(tokenizer, javascript_ids, index):
    ids = tokenizer.encode(SENTENCES[index]).ids
    assert ids[0] == 1  # <s>
    assert ids == javascript_ids["transformers"][index]
    assert ids == javascript_ids["llamaTokenizerJs"][index]
    assert tokenizer.decode(ids) == SENTENCES[index]
    assert javascript_ids["transformersDecoded"][index] == SENTENCES[index]


def test_tokenizer_config_matches_the_hub_file():
    config = json.loads((FIXTURE_DIR / "tokenizer_config.json").read_text())
    # An integer, as in the Hub's file (a float would be 1e+30).
    assert config["model_max_length"] == 1000000000000000019884624838656
    assert isinstance(config["model_max_length"], int)
    assert (config["add_bos_token"], config["add_eos_token"], config["legacy"]) == (True, False, False)
    assert config["tokenizer_class"] == "LlamaTokenizer"
    assert [config[k]["content"] for k in ("bos_token", "eos_token", "unk_token")] == ["<s>", "</s>", "<unk>"]
