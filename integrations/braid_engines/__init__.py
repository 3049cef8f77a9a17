"""Braid as a worker under Apache Spark and Ray Data.

Each partition (Spark) or actor (Ray) keeps one long-lived ``braid embed --records - --errors inline`` process,
feeds it records ({"id", "path"} or {"id", "text"}) on stdin from a thread and reads one JSON line per record back:
an embedding (its vector in base64, which numpy reads without parsing a number), or {"id", "error"} for an item
that failed. The engines write the rows with their own writers
(Parquet: id, modality, encoder, dim, embedding, meta as JSON text, error).

    from braid_engines.spark import embed_dataframe      # DataFrame of records -> DataFrame of embeddings
    from braid_engines.ray_data import embed_dataset     # ray.data.Dataset of records -> Dataset of embeddings

What Braid needs on a worker: the ``braid`` binary (give its absolute path; engines may start workers with an
empty environment, so nothing is looked up on PATH) with its shared libraries (the Debian packages of
scripts/bootstrap, or the same container image), and, for models named rather than given by path, the model
folders under BRAID_MODELS (passed explicitly in ``env``). Nothing else is read from the environment.
"""
import base64
import json
import os
import queue
import signal
import subprocess
import threading
from pathlib import Path

import numpy as np
import pyarrow as pa

# The columns every engine returns. Explicit types, so that a batch whose errors are all null and one with an
# error make the same Parquet schema.
SCHEMA = pa.schema([
    ("id", pa.string()), ("modality", pa.string()), ("encoder", pa.string()), ("dim", pa.int32()),
    ("embedding", pa.list_(pa.float32())), ("meta", pa.string()), ("error", pa.string()),
])


class BraidFailed(RuntimeError):
    """braid exited before answering every record: a model that did not load, bad flags, or a crash."""


def braid_command(braid, encoder=None, model=None, batch_size=None, threads=None, extra=()):
    """The braid command line one worker runs."""
    command = [str(Path(braid).resolve()), "embed", "--records", "-", "--errors", "inline", "--embedding-format",
               "base64", "--quiet"]
    if encoder:
        command += ["--encoder", encoder]
    if model:
        command += ["--model", str(model)]
    if batch_size:
        command += ["--batch-size", str(batch_size)]
    if threads:
        command += ["--threads", str(threads), "--jobs", str(threads)]
    return command + list(extra)


def worker_environment(env):
    """The child's whole environment: only what the caller passes (engines' own environments vary)."""
    return {key: str(value) for key, value in (env or {}).items()}


def row(line):
    """One output line as a row of SCHEMA, its embedding a float32 array."""
    record = json.loads(line)
    if "error" in record:
        return {"id": record["id"], "modality": None, "encoder": None, "dim": None, "embedding": None,
                "meta": None, "error": record["error"]}
    return {"id": record["id"], "modality": record["modality"], "encoder": record["encoder"],
            "dim": record["dim"], "embedding": np.frombuffer(base64.b64decode(record["embedding"]), "<f4"),
            "meta": json.dumps(record.get("meta", {}), sort_keys=True), "error": None}


def record_batch(rows):
    """Rows of SCHEMA as one Arrow record batch, built column by column (the engines' fast path to Parquet)."""
    return pa.RecordBatch.from_arrays(
        [embedding_column([row["embedding"] for row in rows]) if name == "embedding"
         else pa.array([row[name] for row in rows], type=field.type) for name, field in zip(SCHEMA.names, SCHEMA)],
        schema=SCHEMA)


def embedding_column(vectors):
    """float32 arrays (None for an error row) as one list<float32> column, built from their concatenation: a
    tenth of the CPU of converting them one by one."""
    lengths = np.array([0 if vector is None else len(vector) for vector in vectors], dtype=np.int32)
    offsets = np.zeros(len(vectors) + 1, dtype=np.int32)
    np.cumsum(lengths, out=offsets[1:])
    present = [vector for vector in vectors if vector is not None]
    values = np.concatenate(present) if present else np.zeros(0, dtype=np.float32)
    return pa.ListArray.from_arrays(pa.array(offsets), pa.array(values, type=pa.float32()),
                                    mask=pa.array([vector is None for vector in vectors]))


def records_of(columns):
    """The braid records of a batch of input columns (id, path, text), nulls left out."""
    fields = [name for name in ("id", "path", "text") if name in columns]
    values = [columns[name] for name in fields]
    return [{name: (str(value) if name == "id" else value) for name, value in zip(fields, row)
             if value is not None}
            for row in zip(*values)]


class _KillSwitch:
    """The tests' fault hook: BRAID_ENGINES_KILL_ONCE=MARKER:N makes the first worker whose braid answers N lines
    SIGKILL it, the way a worker machine loses a process, and create MARKER, so that no later worker does."""

    def __init__(self):
        spec = os.environ.get("BRAID_ENGINES_KILL_ONCE")
        self.marker, self.after = None, None
        if spec:
            self.marker, after = spec.rsplit(":", 1)
            self.after = int(after)

    def check(self, process, lines):
        if self.after is None or lines < self.after:
            return
        self.after = None
        try:
            os.close(os.open(self.marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return
        os.kill(process.pid, signal.SIGKILL)


class _Request:
    """One caller's records, and the rows the reader thread collects for it."""

    def __init__(self, records):
        self.records = records
        self.rows = []
        self.failure = None
        self.done = threading.Event()


class BraidProcess:
    """One running braid that several threads may feed at once. Each `answer` call's records are written as one
    block and its rows come back in order; calls queue behind each other, so braid already holds the next
    block while a caller converts the rows of the last one, and never idles between batches."""

    def __init__(self, command, env):
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, env=worker_environment(env))
        self.stderr = []
        self.kill_switch = _KillSwitch()
        self._write_lock = threading.Lock()
        self._requests = queue.Queue()
        self._drain = threading.Thread(target=self._read_stderr, daemon=True)
        self._drain.start()
        threading.Thread(target=self._read_rows, daemon=True).start()

    def _read_stderr(self):
        for line in self.process.stderr:
            self.stderr.append(line.decode("utf-8", "replace").rstrip("\n"))
            del self.stderr[:-20]

    def _read_rows(self):
        """Hands each line to the request it answers, in the order the requests were written."""
        answered = 0
        failure = None
        while True:
            request = self._requests.get()
            if request is None:
                return
            if failure is None:
                for record in request.records:
                    line = self.process.stdout.readline()
                    if not line:
                        failure = self._failure(f"braid stopped after {answered} records")
                        break
                    result = row(line)
                    if result["id"] != str(record["id"]):
                        failure = self._failure(f"braid answered {result['id']!r} where {record['id']!r} was due")
                        break
                    request.rows.append(result)
                    answered += 1
                    self.kill_switch.check(self.process, answered)
            request.failure = failure
            request.done.set()

    def answer(self, records):
        """The rows of `records` (dicts), one per record, in order. stdin stays open for the next call: braid
        answers a block that stops short of its own batch size once its input stalls.
        Raises BraidFailed when braid stops before answering them all."""
        return self.collect(self.submit(records))

    def submit(self, records):
        """Writes `records` to braid and returns at once, before their rows are in: `collect` waits for them.
        Blocks only while braid's input is full."""
        request = _Request(list(records))
        with self._write_lock:
            self._requests.put(request)
            try:
                self.process.stdin.write(b"".join((json.dumps(record) + "\n").encode() for record in request.records))
                self.process.stdin.flush()
            except OSError:
                pass  # braid is gone; the reader says how
        return request

    def collect(self, request):
        """The rows of a submitted request. Raises BraidFailed when braid stopped before answering them all."""
        request.done.wait()
        if request.failure:
            raise request.failure
        return request.rows

    def finish(self):
        """Ends the input; braid must then exit 0."""
        with self._write_lock:
            self.process.stdin.close()
        self._requests.put(None)
        if self.process.wait() != 0:
            raise self._failure("braid did not exit cleanly")

    def _failure(self, what):
        if self.process.poll() is None:
            self.process.kill()
        code = self.process.wait()
        self._drain.join(timeout=5)
        how = f"killed by signal {-code}" if code < 0 else f"exit code {code}"
        return BraidFailed(f"{what} ({how}): " + " | ".join(self.stderr[-5:]))

    @property
    def killed(self):
        return self.process.poll() is not None and self.process.returncode < 0

    def close(self):
        if self.process.poll() is None:
            with self._write_lock:
                self.process.stdin.close()
            self.process.wait()
        self._requests.put(None)
