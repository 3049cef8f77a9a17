#!/usr/bin/env python3
"""One Braid job under Spark or Ray Data, for the tests (Tests/BraidCLITests/EngineTests.swift) and the benchmark
(scripts/bench-engines): records in, Parquet out (written by the engine), then the Parquet read back and dumped as
JSON lines sorted by id, with a summary line on stdout: rows, distinct ids, error rows, the engine's start-up
(Spark: session, executors and their Python workers; Ray: the cluster and its Ray Data actors) and the job's
seconds after it, up to its output written (stopping the engine is not counted); with --cpu, also the CPU seconds
that braid and everything else this job started used in that time (process_cpu.py).

    engine_job.py spark|ray --braid BRAID --records RECORDS.jsonl --output OUT.parquet --dump ROWS.jsonl
                  [--encoder SELECTION] [--model DIR] [--partitions 4] [--kill-once MARKER:N] [--cpu]

Spark runs on local-cluster[2,1,1024] (two worker JVMs of one core each, as a standalone cluster lays them out);
Ray on a local cluster of 2 CPUs with 2 braid actors. --kill-once sets the SIGKILL test hook of braid_engines.
Exit code 0 when the job succeeded; 1 with the engine's error (Braid's message inside) on stderr otherwise.
"""
import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

from process_cpu import ProcessCPU

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


JVM_OPTIONS = "-XX:+UseSerialGC -XX:TieredStopAtLevel=1"


def run_spark(args, env, cpu):
    from pyspark.sql import SparkSession
    from braid_engines.spark import embed_dataframe

    master = os.environ.get("BRAID_SPARK_MASTER", "local-cluster[2,1,1024]")
    # The executors' Python must have pyarrow (mapInArrow): this one's.
    os.environ["PYSPARK_PYTHON"] = sys.executable
    starting = time.perf_counter()
    spark = (SparkSession.builder.master(master).appName("braid-engine-test")
             .config("spark.ui.enabled", "false").config("spark.task.maxFailures", "4")
             .config("spark.executorEnv.BRAID_ENGINES_KILL_ONCE", os.environ.get("BRAID_ENGINES_KILL_ONCE", ""))
             .config("spark.python.worker.reuse", "true")
             # The JVMs only move rows between Python and Parquet: the serial collector and the quick C1 compiler
             # leave braid the cores that G1's and C2's threads took (job 39.8-40.0 s against 41.7-42.1 s here).
             .config("spark.executor.extraJavaOptions", JVM_OPTIONS)
             .config("spark.driver.extraJavaOptions", JVM_OPTIONS).getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    _start_executors(spark, master)
    started = time.perf_counter()
    cpu.start()
    startup = started - starting
    try:
        # The records' schema given, not inferred (a whole pass over them), and the file cut into --partitions
        # splits as it is read, not shuffled into them afterwards.
        schema = "id STRING, path STRING, text STRING"
        split = -(-os.path.getsize(args.records) // args.partitions) if os.path.exists(args.records) else None
        if split:
            spark.conf.set("spark.sql.files.maxPartitionBytes", str(split))
            spark.conf.set("spark.sql.files.openCostInBytes", "0")
        records = spark.read.schema(schema).json(str(args.records))
        if not split:
            records = records.repartition(args.partitions)
        embeddings = embed_dataframe(records, braid=args.braid, encoder=args.encoder, model=args.model, env=env,
                                     threads=args.threads)
        embeddings.write.mode("overwrite").parquet(str(args.output))
        return startup, time.perf_counter() - started, cpu.stop()
    finally:
        spark.stop()


def _start_executors(spark, master):
    """What a running cluster already has before a job: its executors registered, and their Python workers
    forked with pyarrow imported (a trivial RDD task and a trivial Arrow task per core). getOrCreate returns
    before local-cluster's executor JVMs are up; without this, their launch and the workers' start (about 10 s on
    2 cores) counted as the job's time, not as the engine's start-up."""
    context = spark.sparkContext
    # local-cluster[N,cores,memory] starts N executors; a local[...] master runs tasks in the driver itself, and a
    # standalone cluster's executors are already running.
    cluster = re.fullmatch(r"local-cluster\[(\d+),.*\]", master.replace(" ", ""))
    executors = int(cluster.group(1)) if cluster else 0
    deadline = time.monotonic() + 120
    # The driver's block manager counts too.
    while context._jsc.sc().getExecutorMemoryStatus().size() < executors + 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    cores = context.defaultParallelism
    context.parallelize(range(cores), cores).map(lambda value: value).count()
    spark.range(cores, numPartitions=cores).mapInArrow(lambda batches: batches, "id long").count()


def run_ray(args, env, cpu):
    import logging
    import ray
    from braid_engines.ray_data import embed_dataset, runtime_env, write_parquet_atomically

    starting = time.perf_counter()
    # Ray starts its workers, and so their braid, at nice 15, below its own raylet, GCS and driver loop; on
    # machines given to the job the work is braid's, so the workers run at the ordinary priority.
    ray.init(num_cpus=2, include_dashboard=False, logging_level=logging.ERROR,
             runtime_env=runtime_env({"BRAID_ENGINES_KILL_ONCE": os.environ.get("BRAID_ENGINES_KILL_ONCE", "")}),
             _system_config={"worker_niceness": 0})
    ray.data.DataContext.get_current().enable_progress_bars = False
    _start_ray_data(ray, args.braid, env)
    started = time.perf_counter()
    cpu.start()
    startup = started - starting
    try:
        records = ray.data.read_json(str(args.records))
        embeddings = embed_dataset(records, braid=args.braid, encoder=args.encoder, model=args.model, env=env,
                                   threads=args.threads)
        write_parquet_atomically(embeddings, args.output)
        return startup, time.perf_counter() - started, cpu.stop()
    finally:
        ray.shutdown()


class _NoCPU:
    def start(self):
        pass

    def stop(self):
        return None


def _start_ray_data(ray, braid, env):
    """What a running Ray cluster already has before a Ray Data job: the detached actors its first one starts
    (statistics, the autoscaling coordinator, actor locations) and idle workers that have imported Ray Data. A
    braid job of four texts with the built-in hashed encoder starts them; without it their start (about 8 CPU
    seconds on 2 cores, beside braid) counted as the job's time, not as the cluster's start-up. Its braid actors
    end with it: the job starts its own."""
    from braid_engines.ray_data import embed_dataset

    warm = [{"id": f"warm-{n}", "text": "warm"} for n in range(4)]
    embed_dataset(ray.data.from_items(warm), braid=braid, encoder="text=hashed", env=env).count()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("engine", choices=["spark", "ray"])
    parser.add_argument("--braid", required=True)
    parser.add_argument("--records", type=Path, required=True)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--dump", type=Path)
    parser.add_argument("--encoder")
    parser.add_argument("--model")
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--kill-once")
    parser.add_argument("--cpu", action="store_true", help="report the CPU seconds of braid and of the rest")
    args = parser.parse_args()
    if args.kill_once:
        os.environ["BRAID_ENGINES_KILL_ONCE"] = args.kill_once
    # braid gets exactly this environment: nothing of the test runner's leaks in.
    env = {"BRAID_MODELS": os.environ["BRAID_MODELS"]} if "BRAID_MODELS" in os.environ else {}
    try:
        cpu = ProcessCPU() if args.cpu else _NoCPU()
        startup, seconds, cpu_seconds = (run_spark if args.engine == "spark" else run_ray)(args, env, cpu)
    except Exception as error:  # the engine's error, which carries braid's message
        print(f"engine_job: {args.engine} job failed: {error}", file=sys.stderr)
        sys.exit(1)

    import pyarrow.parquet as pq
    table = pq.read_table(str(args.output))
    rows = table.to_pylist()
    ids = [row["id"] for row in rows]
    if args.dump:
        with open(args.dump, "w") as dump:
            for row in sorted(rows, key=lambda row: row["id"]):
                dump.write(json.dumps(row) + "\n")
    print(json.dumps({"engine": args.engine, "rows": len(rows), "distinct_ids": len(set(ids)),
                      "errors": sum(1 for row in rows if row["error"]), "startup_seconds": round(startup, 3),
                      "seconds": round(seconds, 3), "cpu_seconds": cpu_seconds,
                      "columns": table.column_names}))


if __name__ == "__main__":
    main()
