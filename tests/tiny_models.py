"""Tiny random-weight models that the tests (and benchmarks) generate: outputs are meaningless, the engines are real.

* ``write_tiny_llama_hf(dir)``: a Llama-architecture Hugging Face model directory for vLLM (head_dim 64, 2 layers,
  max_position_embeddings 65536) with a byte-level BPE tokenizer trained here with ``tokenizers`` and a chat template
  whose special end marker keeps the system message's tokens independent of what follows.
* ``write_tiny_gguf(path)``: a llama GGUF for llama.cpp written with ``gguf.GGUFWriter`` (an SPM vocab with
  ``<unk>``, ``<s>``, ``</s>``, the 256 byte tokens and word pieces of the synthetic language below).
* ``prefix_prompt(corpus, question)``: a full-mode Prompt whose cacheable prefix is the corpus, for the prefix-reuse
  tests and benchmark.
* ``synthetic_text(n_words, seed)``: deterministic contract-like prose in a small vocabulary; the tokenizers are
  trained on it, so one word is about one token.

The HF generator needs torch + transformers; run it with the vLLM venv's python so the files match the transformers
version vLLM reads them with: ``.venvs/vllm/bin/python tests/tiny_models.py hf OUT_DIR``.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

_WORD_TEXT = (
    "the party agreement shall may not any all of to in by for with under this that such other each its "
    "supplier customer licensor licensee contractor services goods product software data information confidential "
    "notice term termination breach payment invoice fee fees price tax taxes law court dispute arbitration "
    "warranty liability damages indemnity insurance obligation right rights license grant territory schedule "
    "clause section article annex exhibit effective date period days months year written consent reasonable "
    "material adverse event force majeure assignment subcontract audit records report delivery acceptance test "
    "defect remedy cure suspend renew renewal expiry governing jurisdiction england wales delaware new york "
    "meeting speaker agenda action item decision budget quarter revenue cost risk plan team release deadline "
    "function class method module import return value error request response server client cache token index "
    "query retrieve answer cite span line page document corpus window prefix model engine memory thread"
)
WORDS = tuple(_WORD_TEXT.split())
PUNCT = (".", ",", ";", ":")

HF_CHAT_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}<|end|>{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)
GGUF_CHAT_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)


def synthetic_text(n_words: int, seed: int = 0) -> str:
    """Clause-numbered prose: ``n_words`` words from WORDS, sentences of 8-20 words, a heading every ~120 words."""
    rng = random.Random(seed)
    out: list[str] = []
    clause = 0
    written = 0
    while written < n_words:
        if written % 120 < 20 or not out:
            clause += 1
            out.append(f"\n\n{clause}. {rng.choice(WORDS).capitalize()} {rng.choice(WORDS)}\n")
        n = min(rng.randint(8, 20), n_words - written)
        words = [rng.choice(WORDS) for _ in range(n)]
        words[0] = words[0].capitalize()
        for i in range(2, n - 1, 7):
            words[i] += rng.choice(PUNCT[1:])
        out.append(" ".join(words) + ". ")
        written += n
    return "".join(out).strip() + "\n"


# --- Hugging Face Llama (vLLM) ------------------------------------------------------------------------------------


def write_tiny_llama_hf(out_dir: Path, *, vocab_size: int = 2048, max_positions: int = 65536) -> Path:
    """Train the tokenizer and write config, random weights and tokenizer files into ``out_dir``."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    out_dir.mkdir(parents=True, exist_ok=True)
    specials = ["<s>", "</s>", "<|system|>", "<|user|>", "<|assistant|>", "<|end|>"]
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator([synthetic_text(20_000, seed=s) for s in range(3)], trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<s>",
        eos_token="</s>",
        additional_special_tokens=specials[2:],
        model_max_length=max_positions,
    )
    fast.chat_template = HF_CHAT_TEMPLATE
    fast.save_pretrained(out_dir)

    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(fast),
        hidden_size=128,
        intermediate_size=256,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
        head_dim=64,  # vLLM's CPU attention needs a supported head size
        max_position_embeddings=max_positions,
        bos_token_id=fast.bos_token_id,
        eos_token_id=fast.eos_token_id,
        tie_word_embeddings=False,
    )
    model = LlamaForCausalLM(config).to(torch.bfloat16)  # type: ignore[arg-type]
    model.save_pretrained(out_dir)
    return out_dir


def generate_hf_with(python: str | Path, out_dir: Path) -> Path:
    """Run ``write_tiny_llama_hf`` in another interpreter (the vLLM venv's), so its transformers writes the files."""
    subprocess.run([str(python), str(Path(__file__).resolve()), "hf", str(out_dir)], check=True)
    if not (out_dir / "config.json").is_file():
        raise RuntimeError(f"tiny model generation wrote no config.json in {out_dir}")
    return out_dir


# --- GGUF (llama.cpp) ---------------------------------------------------------------------------------------------


def _spm_vocab() -> tuple[list[str], list[float], list[int]]:
    """<unk>, <s>, </s>, the 256 byte tokens, single characters, then every prefix of "▁word" (SPM merges need
    the intermediate pieces), scored so that longer pieces win."""
    from gguf import TokenType

    tokens = ["<unk>", "<s>", "</s>"]
    scores = [0.0, 0.0, 0.0]
    types = [TokenType.UNKNOWN, TokenType.CONTROL, TokenType.CONTROL]
    for b in range(256):
        tokens.append(f"<0x{b:02X}>")
        scores.append(0.0)
        types.append(TokenType.BYTE)
    seen = set(tokens)
    pieces: list[str] = []
    alphabet = sorted({c for w in WORDS for c in w + w.capitalize()} | set(".,;:0123456789|<>\n") | {"▁"})
    pieces.extend(alphabet)
    for w in WORDS:
        for form in (w, w.capitalize()):
            piece = "▁" + form
            pieces.extend(piece[:i] for i in range(2, len(piece) + 1))
    for p in pieces:
        if p not in seen:
            seen.add(p)
            tokens.append(p)
            scores.append(float(len(p)))  # SPM merges pick the highest score: longest piece first
            types.append(TokenType.NORMAL)
    return tokens, scores, [int(t) for t in types]


def write_tiny_gguf(path: Path, *, context_length: int = 40960, seed: int = 0) -> Path:
    import numpy as np
    from gguf import GGUFWriter

    tokens, scores, types = _spm_vocab()
    n_vocab, n_embd, n_ff, n_layer, n_head = len(tokens), 128, 256, 2, 2
    rng = np.random.default_rng(seed)

    def w(*shape: int) -> np.ndarray:
        return (rng.standard_normal(shape) * 0.02).astype(np.float32)

    path.parent.mkdir(parents=True, exist_ok=True)
    writer = GGUFWriter(str(path), "llama")
    writer.add_name("docintel-tiny-llama")
    writer.add_context_length(context_length)
    writer.add_embedding_length(n_embd)
    writer.add_block_count(n_layer)
    writer.add_feed_forward_length(n_ff)
    writer.add_head_count(n_head)
    writer.add_head_count_kv(n_head)
    writer.add_rope_dimension_count(n_embd // n_head)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_vocab_size(n_vocab)
    writer.add_file_type(0)  # all F32
    writer.add_tokenizer_model("llama")
    writer.add_token_list(tokens)
    writer.add_token_scores(scores)
    writer.add_token_types(types)
    writer.add_unk_token_id(0)
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(2)
    writer.add_add_bos_token(True)
    writer.add_add_space_prefix(False)
    writer.add_chat_template(GGUF_CHAT_TEMPLATE)

    writer.add_tensor("token_embd.weight", w(n_vocab, n_embd))
    writer.add_tensor("output_norm.weight", np.ones(n_embd, dtype=np.float32))
    writer.add_tensor("output.weight", w(n_vocab, n_embd))
    for i in range(n_layer):
        writer.add_tensor(f"blk.{i}.attn_norm.weight", np.ones(n_embd, dtype=np.float32))
        writer.add_tensor(f"blk.{i}.ffn_norm.weight", np.ones(n_embd, dtype=np.float32))
        for name in ("attn_q", "attn_k", "attn_v", "attn_output"):
            writer.add_tensor(f"blk.{i}.{name}.weight", w(n_embd, n_embd))
        writer.add_tensor(f"blk.{i}.ffn_gate.weight", w(n_ff, n_embd))
        writer.add_tensor(f"blk.{i}.ffn_up.weight", w(n_ff, n_embd))
        writer.add_tensor(f"blk.{i}.ffn_down.weight", w(n_embd, n_ff))

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


if __name__ == "__main__":
    kind, out = sys.argv[1], Path(sys.argv[2])
    if kind == "hf":
        write_tiny_llama_hf(out)
    elif kind == "gguf":
        write_tiny_gguf(out)
    else:
        raise SystemExit(f"usage: {sys.argv[0]} hf|gguf OUT")
    print(json.dumps({"written": str(out)}))


def prefix_prompt(corpus: str, question: str, *, max_output_tokens: int = 8) -> Any:
    """A full-mode Prompt: instructions, the corpus (cache breakpoint), then the question."""
    from docintel.prompt import Prompt, PromptBlock

    return Prompt(
        blocks=(
            PromptBlock("instructions", "Answer from the corpus below and cite clause numbers.\n\n"),
            PromptBlock("corpus", corpus, cache_breakpoint=True),
            PromptBlock("question", f"\n\nQuestion: {question}\n"),
        ),
        citations=(),
        question=question,
        mode="full",
        max_output_tokens=max_output_tokens,
    )
