"""Write a BERT sentence encoder (all-MiniLM-L6-v2 and its kin) as an ONNX graph straight from its safetensors
weights: no torch, no transformers, no exporter. The graph is the textbook BERT encoder (the one
``transformers.BertModel`` computes in eval mode) followed by sentence-transformers' mean pooling, so its output
is the sentence vector before L2 normalisation.

Why by hand: query-time embedding must not import torch (9-11 s of a CLI question went there), and exporting
through torch would need torch once per machine anyway. The graph is small: six layers of standard ONNX ops
(opset 17) around ONNX Runtime's fused ``Attention`` op. ``tests/docintel/index/test_onnx_embedder.py`` checks it
against the torch path (cosine >= 0.999).

Inputs ``input_ids`` and ``attention_mask`` (int64, [batch, sequence]); output ``sentence_embedding``
(float32, [batch, hidden]). Token type ids are always 0 for single sentences, so that row of the token-type table
is folded into the position table.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from docintel.errors import DocintelError

BUILDER_VERSION = "2"  # bump when the graph changes: the cached files are keyed by it
OPSET = 17  # LayerNormalization is a standard op from 17


class UnsupportedModel(DocintelError):
    """The model folder is not a BERT encoder this builder knows; ``get_embedder`` then falls back to
    sentence-transformers unless the ONNX runtime was asked for by name."""


def model_config(model_dir: Path) -> dict[str, Any]:
    """config.json of a BERT model folder, checked for what the graph below assumes."""
    try:
        config: dict[str, Any] = json.loads((model_dir / "config.json").read_text())
    except (OSError, ValueError) as e:
        raise UnsupportedModel(f"no readable config.json in {model_dir} ({e})") from None
    if config.get("model_type") != "bert" or config.get("hidden_act", "gelu") != "gelu":
        raise UnsupportedModel(f"{model_dir} is a {config.get('model_type')!r} model, not a BERT encoder")
    if config.get("position_embedding_type", "absolute") != "absolute":
        raise UnsupportedModel(f"{model_dir} uses {config.get('position_embedding_type')!r} position embeddings")
    if not (model_dir / "model.safetensors").exists() or not (model_dir / "tokenizer.json").exists():
        raise UnsupportedModel(f"{model_dir} has no model.safetensors or tokenizer.json")
    modules = model_dir / "modules.json"
    if modules.exists():  # sentence-transformers pipeline: only Transformer -> mean Pooling (-> Normalize) is built
        kinds = [str(m.get("type", "")).rsplit(".", 1)[-1] for m in json.loads(modules.read_text())]
        if kinds not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
            raise UnsupportedModel(f"{model_dir} has modules {kinds}; the ONNX graph knows Transformer, Pooling")
    pooling = model_dir / "1_Pooling" / "config.json"
    if pooling.exists() and not json.loads(pooling.read_text()).get("pooling_mode_mean_tokens", False):
        raise UnsupportedModel(f"{model_dir} pools otherwise than by mean")
    return config


def build_model(model_dir: Path) -> Any:
    """The ``onnx.ModelProto`` of the encoder in ``model_dir`` (see module doc)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    from safetensors.numpy import load_file

    config = model_config(model_dir)
    weights = load_file(str(model_dir / "model.safetensors"))
    prefix = "bert." if "bert.embeddings.word_embeddings.weight" in weights else ""

    def w(name: str) -> np.ndarray:
        return np.ascontiguousarray(weights[prefix + name], dtype=np.float32)

    hidden = int(config["hidden_size"])
    heads = int(config["num_attention_heads"])
    eps = float(config.get("layer_norm_eps", 1e-12))
    initializers: list[Any] = []
    nodes: list[Any] = []

    def const(name: str, value: np.ndarray) -> str:
        initializers.append(numpy_helper.from_array(value, name))
        return name

    def node(op: str, inputs: list[str], output: str, **attrs: Any) -> str:
        nodes.append(helper.make_node(op, inputs, [output], name=output, **attrs))
        return output

    def linear(x: str, weight: np.ndarray, bias: np.ndarray, name: str) -> str:
        # torch Linear keeps [out, in]; MatMul wants [in, out]
        product = node("MatMul", [x, const(f"{name}.W", np.ascontiguousarray(weight.T))], f"{name}.mm")
        return node("Add", [product, const(f"{name}.b", bias)], f"{name}.out")

    def layer_norm(x: str, name: str) -> str:
        return node(
            "LayerNormalization",
            [x, const(f"{name}.g", w(f"{name}.weight")), const(f"{name}.beta", w(f"{name}.bias"))],
            f"{name}.ln",
            axis=-1,
            epsilon=eps,
        )

    # Embeddings: word + position (+ token type 0, folded in) -> LayerNorm.
    positions = w("embeddings.position_embeddings.weight") + w("embeddings.token_type_embeddings.weight")[0]
    ids_shape = node("Shape", ["input_ids"], "ids_shape")
    seq_len = node("Slice", [ids_shape, const("one_i", np.array([1])), const("two_i", np.array([2]))], "seq_len")
    zero = const("zero_i", np.array([0]))
    position_rows = node("Slice", [const("positions", positions), zero, seq_len, zero], "position_rows")
    words = node("Gather", [const("word_embeddings", w("embeddings.word_embeddings.weight")), "input_ids"], "words")
    x = layer_norm(node("Add", [words, position_rows], "embedded"), "embeddings.LayerNorm")
    const("one_f", np.array(1.0, np.float32))

    # Attention mask: 1 for tokens, 0 for padding ([batch, seq] int32 for the Attention op, float for pooling).
    node("Cast", ["attention_mask"], "mask_i32", to=TensorProto.INT32)
    mask_f = node("Cast", ["attention_mask"], "mask_f", to=TensorProto.FLOAT)
    for i in range(int(config["num_hidden_layers"])):
        p = f"encoder.layer.{i}"
        qkv_w = np.concatenate([w(f"{p}.attention.self.{n}.weight") for n in ("query", "key", "value")], axis=0)
        qkv_b = np.concatenate([w(f"{p}.attention.self.{n}.bias") for n in ("query", "key", "value")], axis=0)
        # ONNX Runtime's fused self-attention (com.microsoft.Attention, CPU kernel): the same scaled dot product
        # with a -1e4 mask as BERT, in one op instead of ~12, and int8 quantisation turns it into QAttention.
        context = node(
            "Attention",
            [x, const(f"{p}.qkv.W", np.ascontiguousarray(qkv_w.T)), const(f"{p}.qkv.b", qkv_b), "mask_i32"],
            f"{p}.ctx",
            domain="com.microsoft",
            num_heads=heads,
        )
        attended = linear(
            context, w(f"{p}.attention.output.dense.weight"), w(f"{p}.attention.output.dense.bias"), f"{p}.ao"
        )
        x = layer_norm(node("Add", [attended, x], f"{p}.res1"), f"{p}.attention.output.LayerNorm")
        inner = linear(x, w(f"{p}.intermediate.dense.weight"), w(f"{p}.intermediate.dense.bias"), f"{p}.ffn_in")
        # exact (erf) GELU, as BERT's "gelu": x * 0.5 * (1 + erf(x / sqrt 2)), the form ONNX Runtime fuses
        scaled = node("Div", [inner, const(f"{p}.sqrt2", np.array(math.sqrt(2), np.float32))], f"{p}.gx")
        erf_plus_one = node("Add", [node("Erf", [scaled], f"{p}.erf"), "one_f"], f"{p}.erf1")
        half = node("Mul", [inner, const(f"{p}.half", np.array(0.5, np.float32))], f"{p}.half_x")
        gelu = node("Mul", [half, erf_plus_one], f"{p}.gelu")
        out = linear(gelu, w(f"{p}.output.dense.weight"), w(f"{p}.output.dense.bias"), f"{p}.ffn_out")
        x = layer_norm(node("Add", [out, x], f"{p}.res2"), f"{p}.output.LayerNorm")

    # Mean pooling over real tokens (sentence-transformers' Pooling with pooling_mode_mean_tokens).
    mask_3d = node("Unsqueeze", [mask_f, const("axis_2", np.array([2]))], "mask_3d")
    summed = node("ReduceSum", [node("Mul", [x, mask_3d], "masked_hidden"), "one_i"], "summed", keepdims=0)
    counts = node("ReduceSum", [mask_3d, "one_i"], "counts", keepdims=0)
    counts = node("Max", [counts, const("min_count", np.array(1e-9, np.float32))], "counts_clipped")
    node("Div", [summed, counts], "sentence_embedding")

    graph = helper.make_graph(
        nodes,
        "sentence_encoder",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "sequence"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "sequence"]),
        ],
        [helper.make_tensor_value_info("sentence_embedding", TensorProto.FLOAT, ["batch", hidden])],
        initializers,
    )
    opsets = [helper.make_opsetid("", OPSET), helper.make_opsetid("com.microsoft", 1)]
    model = helper.make_model(graph, opset_imports=opsets, producer_name="docintel")
    model.ir_version = 8  # readable by any onnxruntime >= 1.10
    onnx.checker.check_model(model)
    return model


def quantize_int8(source: Path, target: Path) -> None:
    """Dynamic int8 quantisation of the MatMul weights (activations quantised per batch at run time)."""
    import logging

    from onnx import TensorProto
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # The quantiser logs through the root logger ("consider pre-processing"): logging.warning() would install a
    # stderr handler on the root logger for the rest of the process (other libraries' DEBUG lines then appear).
    root = logging.getLogger()
    silent = logging.NullHandler()
    added = not root.handlers
    if added:
        root.addHandler(silent)
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        quantize_dynamic(
            str(source),
            str(target),
            weight_type=QuantType.QInt8,
            per_channel=True,
            # shape inference stops at the com.microsoft.Attention op: its outputs are float32 like its inputs
            extra_options={"DefaultTensorType": TensorProto.FLOAT},
        )
    finally:
        root.setLevel(level)
        if added:
            root.removeHandler(silent)


WEIGHT_BLOCK = 32  # weights per scale: 32 keeps every measured vector within cosine 0.9995 of fp32's


def quantize_weights_8bit(source: Path, target: Path) -> None:
    """8-bit MatMul weights in blocks of ``WEIGHT_BLOCK`` (MatMulNBits); activations stay float and are quantised
    per row and block inside the kernel (accuracy level 4), so a text's vector does not depend on its batch."""
    import logging

    import onnx

    # The module calls logging.basicConfig(level=INFO) when imported: a stderr handler on the root logger for the
    # rest of the process (other libraries' DEBUG lines then reach the user). basicConfig does nothing when the
    # root logger has a handler, so give it one for the import.
    root = logging.getLogger()
    placeholder = logging.NullHandler()
    root.addHandler(placeholder)
    try:
        from onnxruntime.quantization.matmul_nbits_quantizer import (
            DefaultWeightOnlyQuantConfig,
            MatMulNBitsQuantizer,
        )
    finally:
        root.removeHandler(placeholder)
    logger = logging.getLogger("onnxruntime.quantization.matmul_nbits_quantizer")
    level = logger.level
    logger.setLevel(logging.ERROR)  # one INFO line per node otherwise
    try:
        config = DefaultWeightOnlyQuantConfig(block_size=WEIGHT_BLOCK, is_symmetric=True, accuracy_level=4, bits=8)
        quantizer = MatMulNBitsQuantizer(onnx.load(str(source)), algo_config=config)
        quantizer.process()
        quantizer.model.save_model_to_file(str(target), False)
    finally:
        logger.setLevel(level)


def write_atomic(model: Any, target: Path) -> None:
    """Write ``model`` to ``target`` through a temp file in the same folder: readers never see half a file."""
    from docintel.atomic import replace_atomically

    replace_atomically(target, lambda f: f.write(model.SerializeToString()), prefix=".model-")  # < 2 GB: one proto
