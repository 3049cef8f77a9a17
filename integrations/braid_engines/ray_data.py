"""Braid under Ray Data: map_batches over an actor pool, each actor keeping one braid process.

    from braid_engines.ray_data import embed_dataset, runtime_env
    ray.init(runtime_env=runtime_env())
    embeddings = embed_dataset(ray.data.read_json("records.jsonl"), braid="/opt/braid/bin/braid",
                               encoder="text=hashed")
    write_parquet_atomically(embeddings, "embeddings.parquet")

Ray's traps, defused: actors ask for a fraction of a CPU (num_cpus), so that on a small machine the read tasks
still get cores; the job waits until every actor of the pool is up (Ray Data starts them in the background and
gives batches to those that are ready: on a 2-CPU cluster that had run a job before, one of two braid actors then
often got no batch at all and the job ran at half speed); an actor whose braid is killed exits, so Ray restarts
it and retries its batch, but only max_restarts times (Ray Data's default restarts failed actors for ever); a
braid that exits with an error (a model that will not load) fails the job with braid's message instead of
restarting; and write_* is not atomic, so write_parquet_atomically writes beside the target and renames.
"""
import os
import shutil
import uuid
from pathlib import Path

import pyarrow as pa
import ray

from . import BraidProcess, braid_command, record_batch, records_of


# How long a job waits for its braid actors before it fails (Ray Data's "Timed out while starting actors"), for a
# cluster without the CPUs that `actors * num_cpus` asks for.
WAIT_FOR_ACTORS_S = 300


class BraidActor:
    """One braid for the life of the actor; each batch goes through it and comes back in order. Two calls run at
    once (BraidProcess queues them), so braid holds the next batch while the last one's rows are handed back."""

    def __init__(self, command, env):
        self.worker = BraidProcess(command, env)

    def __call__(self, batch: pa.Table) -> pa.Table:
        try:
            rows = self.worker.answer(records_of(batch.to_pydict()))
        except Exception:
            if self.worker.killed:
                # The process was lost, not refused: let Ray restart this actor and retry the batch.
                os._exit(1)
            raise
        return pa.Table.from_batches([record_batch(rows)])


def embed_dataset(dataset, braid, encoder=None, model=None, env=None, actors=2, num_cpus=0.5, threads=1,
                  batch_size=1000, max_restarts=3):
    """A Dataset of embeddings (braid_engines.SCHEMA) for a Dataset of records, through `actors` long-lived braid
    processes. Large batches keep braid busy: it idles while its actor hands a batch back and takes the next
    (on 2 cores a 20,000-item job took 41.8-42.3 s with batches of 1,000 rows, 42.1-46.1 s with 256).
    The job starts once all its actors are up: this sets wait_for_min_actors_s on the DataContext that Ray Data
    shares between `dataset` and the datasets made from it."""
    command = braid_command(braid, encoder=encoder, model=model, threads=threads)
    # Ray Data runs an actor's calls one at a time unless told they may overlap (enable_true_multi_threading):
    # with the default, braid sat idle from the end of one batch until the next call wrote its records.
    pool = ray.data.ActorPoolStrategy(size=actors, max_concurrent_calls_per_actor=2,
                                      enable_true_multi_threading=True)
    embeddings = dataset.map_batches(
        BraidActor, fn_constructor_args=(command, env), batch_size=batch_size, batch_format="pyarrow",
        compute=pool, num_cpus=num_cpus, max_restarts=max_restarts, max_task_retries=max_restarts)
    embeddings.context.wait_for_min_actors_s = WAIT_FOR_ACTORS_S
    return embeddings


def runtime_env(env_vars=None):
    """What ray.init needs for the actors to import this package (Ray uploads py_modules only at the job level):
    ray.init(runtime_env=braid_engines.ray_data.runtime_env())."""
    return {"py_modules": [str(Path(__file__).resolve().parent)], "env_vars": dict(env_vars or {})}


def write_parquet_atomically(dataset, target):
    """dataset.write_parquet into a folder beside `target`, renamed to it when whole."""
    target = Path(target)
    partial = target.with_name(f".{target.name}.{uuid.uuid4().hex}.partial")
    dataset.write_parquet(str(partial))
    if target.exists():
        shutil.rmtree(target)
    os.rename(partial, target)
