"""Braid as a worker under Apache Spark and Ray Data.

Each partition (Spark) or actor (Ray) keeps one long-lived ``braid embed --records - --errors inline`` process,
feeds it records ({"id", "path"} or {"id", "text"}) on stdin from a thread and reads one JSON line per record back:
an embedding, or {"id", "error"} for an item that failed. The engines write the rows with their own writers
(Parquet: id, modality, encoder, dim, embedding, meta as JSON text, error).

    from braid_engines.spark import embed_dataframe      # DataFrame of records -> DataFrame of embeddings
    from braid_engines.ray_data import embed_dataset     # ray.data.Dataset of records -> Dataset of embeddings

What Braid needs on a worker: the ``braid`` binary (give its absolute path; engines may start workers with an
empty environment, so nothing is looked up on PATH) with its shared libraries (the Debian packages of
scripts/bootstrap, or the same container image), and, for models named rather than given by path, the model
folders under BRAID_MODELS (passed explicitly in ``env``). Nothing else is read from the environment.
"""
import json
import os
import signal
import subprocess
import threading
from pathlib import Path

# The columns every engine returns, in this order.
COLUMNS = ("id", "modality", "encoder", "dim", "embedding", "meta", "error")


class BraidFailed(RuntimeError):
    """braid exited before answering every record: a model that did not load, bad flags, or a crash."""


def braid_command(braid, encoder=None, model=None, batch_size=None, threads=None, extra=()):
    """The braid command line one worker runs."""
    command = [str(Path(braid).resolve()), "embed", "--records", "-", "--errors", "inline", "--quiet"]
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
    """One output line as a row of COLUMNS."""
    record = json.loads(line)
    if "error" in record:
        return {"id": record["id"], "modality": None, "encoder": None, "dim": None, "embedding": None,
                "meta": None, "error": record["error"]}
    return {"id": record["id"], "modality": record["modality"], "encoder": record["encoder"],
            "dim": record["dim"], "embedding": [float(x) for x in record["embedding"]],
            "meta": json.dumps(record.get("meta", {}), sort_keys=True), "error": None}


class _KillSwitch:
    """The tests' fault hook: BRAID_ENGINES_KILL_ONCE=MARKER:N makes the first worker that creates MARKER
    SIGKILL its braid after N lines, the way a worker machine loses a process; every later worker runs normally."""

    def __init__(self):
        spec = os.environ.get("BRAID_ENGINES_KILL_ONCE")
        self.after = None
        if not spec:
            return
        marker, after = spec.rsplit(":", 1)
        try:
            os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return
        self.after = int(after)

    def check(self, process, lines):
        if self.after is not None and lines >= self.after:
            os.kill(process.pid, signal.SIGKILL)
            self.after = None


class BraidProcess:
    """One running braid; `answer` feeds it records and yields its lines, one per record, in order."""

    def __init__(self, command, env):
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, env=worker_environment(env))
        self.stderr = []
        self._drain = threading.Thread(target=self._read_stderr, daemon=True)
        self._drain.start()
        self.kill_switch = _KillSwitch()
        self.answered = 0

    def _read_stderr(self):
        for line in self.process.stderr:
            self.stderr.append(line.decode("utf-8", "replace").rstrip("\n"))
            del self.stderr[:-20]

    def answer(self, records, close=False):
        """Writes `records` (dicts) from a thread and yields one row per record. With close, stdin is closed after
        them (a partition's last records) and the process must then exit 0."""
        records = list(records)
        failure = []

        def feed():
            try:
                for record in records:
                    self.process.stdin.write((json.dumps(record) + "\n").encode())
                self.process.stdin.flush()
                if close:
                    self.process.stdin.close()
            except (BrokenPipeError, OSError) as error:
                failure.append(error)

        writer = threading.Thread(target=feed, daemon=True)
        writer.start()
        expected = [str(record["id"]) for record in records]
        for index, wanted in enumerate(expected):
            line = self.process.stdout.readline()
            if not line:
                self._fail(f"braid stopped after {index} of {len(expected)} records")
            result = row(line)
            if result["id"] != wanted:
                self._fail(f"braid answered {result['id']!r} where {wanted!r} was due")
            self.answered += 1
            self.kill_switch.check(self.process, self.answered)
            yield result
        writer.join()
        if close and self.process.wait() != 0:
            self._fail("braid did not exit cleanly")

    def _fail(self, what):
        code = self.process.wait()
        self._drain.join(timeout=5)
        how = f"killed by signal {-code}" if code < 0 else f"exit code {code}"
        raise BraidFailed(f"{what} ({how}): " + " | ".join(self.stderr[-5:]))

    @property
    def killed(self):
        return self.process.poll() is not None and self.process.returncode < 0

    def close(self):
        if self.process.poll() is None:
            self.process.stdin.close()
            self.process.wait()
