#!/usr/bin/env python3
"""The ONNX Runtime peer of `braid models bench`: all-MiniLM-L6-v2 exported to ONNX, the same
tokenisation (HF `tokenizers`, tokenizer.json, truncation to 256), batches of 32 texts sorted by
length (as sentence-transformers batches them), mean pooling over real tokens, L2 normalisation.
Prints one JSON line like braid's. Run by scripts/bench-minilm.

    bench_minilm_onnxruntime.py MODEL_FOLDER CORPUS [--threads N] [--runs N]
"""
import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import onnxruntime
import tokenizers

BATCH = 32
MAX_SEQ_LENGTH = 256


def export(model_folder: Path) -> Path:
    """Exports the BERT encoder to ONNX once (cached beside the system temp folder)."""
    onnx_path = Path(tempfile.gettempdir()) / "braid-minilm-bench" / "model.onnx"
    if onnx_path.exists():
        return onnx_path
    import torch
    import transformers

    onnx_path.parent.mkdir(parents=True, exist_ok=True)
    class LastHiddenState(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.bert = transformers.AutoModel.from_pretrained(str(model_folder)).eval()

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.bert(input_ids=input_ids, attention_mask=attention_mask,
                             token_type_ids=token_type_ids).last_hidden_state

    model = LastHiddenState().eval()
    ids = torch.ones(2, 16, dtype=torch.int64)
    axes = {0: "batch", 1: "tokens"}
    with torch.no_grad():
        torch.onnx.export(
            model, (ids, torch.ones_like(ids), torch.zeros_like(ids)), str(onnx_path),
            input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["last_hidden_state"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes, "last_hidden_state": axes},
            opset_version=17, dynamo=False)
    return onnx_path


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model", type=Path)
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    sentences = [line for line in args.corpus.read_text(encoding="utf-8").split("\n") if line]
    tokenizer = tokenizers.Tokenizer.from_file(str(args.model / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(MAX_SEQ_LENGTH)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = args.threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = onnxruntime.InferenceSession(str(export(args.model)), options, providers=["CPUExecutionProvider"])

    def embed(texts):
        encodings = tokenizer.encode_batch(texts)
        order = sorted(range(len(texts)), key=lambda i: -len(encodings[i].ids))
        vectors = np.zeros((len(texts), 384), dtype=np.float32)
        for start in range(0, len(order), BATCH):
            batch = order[start:start + BATCH]
            width = max(len(encodings[i].ids) for i in batch)
            ids = np.zeros((len(batch), width), dtype=np.int64)
            mask = np.zeros((len(batch), width), dtype=np.int64)
            for row, i in enumerate(batch):
                ids[row, :len(encodings[i].ids)] = encodings[i].ids
                mask[row, :len(encodings[i].ids)] = 1
            hidden = session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})[0]
            weights = mask[:, :, None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / weights.sum(axis=1)
            vectors[batch] = pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return vectors

    embed(sentences[:64])
    seconds = []
    for _ in range(args.runs):
        start = time.perf_counter()
        embed(sentences)
        seconds.append(time.perf_counter() - start)
    median = statistics.median(seconds)
    tokens = sum(len(e.ids) for e in tokenizer.encode_batch(sentences))
    print(json.dumps({"encoder": f"onnxruntime {onnxruntime.__version__}", "threads": args.threads,
                      "sentences": len(sentences), "tokens": tokens, "seconds": median,
                      "sentences_per_second": len(sentences) / median}, sort_keys=True))


if __name__ == "__main__":
    main()
