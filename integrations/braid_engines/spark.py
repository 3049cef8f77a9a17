"""Braid under Apache Spark: one long-lived braid per partition, by mapPartitions.

    from braid_engines.spark import embed_dataframe
    embeddings = embed_dataframe(records, braid="/opt/braid/bin/braid", encoder="text=hashed")
    embeddings.write.parquet("embeddings.parquet")

`records` has a string column `id` and a column `path` or `text`. The traps of the obvious `rdd.pipe` are
defused: the child's environment is exactly `env` (pipe would give it an empty one unless asked, and the
executor's own environment differs from the driver's), and a braid that exits early, however it exits, fails the
task with braid's own message (pipe's default checkCode=False would silently lose the rest of the partition), so
Spark retries the whole partition and its output commit keeps exactly one attempt's rows. Spark retries a task
spark.task.maxFailures times (4) on a cluster; a plain local[N] master never retries: use local[N,F]. Rows travel
to the JVM as Arrow batches (mapInArrow), so the executors' Python (spark.pyspark.python) needs pyarrow and NumPy.
"""
import shutil
import tempfile
from pathlib import Path

from pyspark.sql import types as T

from . import SCHEMA as ARROW_SCHEMA
from . import BraidProcess, braid_command, record_batch, records_of

SCHEMA = T.StructType([
    T.StructField("id", T.StringType(), False),
    T.StructField("modality", T.StringType(), True),
    T.StructField("encoder", T.StringType(), True),
    T.StructField("dim", T.IntegerType(), True),
    T.StructField("embedding", T.ArrayType(T.FloatType(), False), True),
    T.StructField("meta", T.StringType(), True),
    T.StructField("error", T.StringType(), True),
])


def embed_dataframe(records, braid, encoder=None, model=None, env=None, threads=1, batch_size=None,
                    rows_per_batch=1000, extra=()):
    """A DataFrame of embeddings (SCHEMA) for a DataFrame of records, one braid per partition.

    braid: the absolute path of the binary on the workers. env: the whole environment braid gets (for example
    {"BRAID_MODELS": "/models"}). threads: the cores one partition's braid may use (a task holds one core by
    default: spark.task.cpus). Rows travel as Arrow batches (mapInArrow), not pickled one by one.
    rows_per_batch: sets the session's spark.sql.execution.arrow.maxRecordsPerBatch. Spark's 10,000 made a
    partition of 10,000 records one batch, so braid started only once the JVM had read them all, and the
    Parquet writer only once braid had answered them all."""
    command = braid_command(braid, encoder=encoder, model=model, batch_size=batch_size, threads=threads,
                            extra=extra)
    session = records.sparkSession
    session.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", str(rows_per_batch))
    _ship_package(session.sparkContext)
    fields = [name for name in ("id", "path", "text") if name in records.columns]

    def partition(batches):
        # Started before the first batch arrives, so that loading the model overlaps the JVM's reading.
        worker = BraidProcess(command, env)
        try:
            pending = None
            for batch in batches:
                records = records_of(batch.to_pydict())
                if not records:
                    continue
                # The next batch is written before the last one's rows are handed back, so braid never waits.
                submitted = worker.submit(records)
                if pending:
                    yield record_batch(worker.collect(pending))
                pending = submitted
            if pending:
                yield record_batch(worker.collect(pending))
            worker.finish()
        finally:
            worker.close()

    return records.select(*fields).mapInArrow(partition, SCHEMA)


_shipped = set()


def _ship_package(context):
    """Sends this package to the executors (as spark-submit --py-files would), once per SparkContext: the partition
    function is pickled by reference to it, and executors would otherwise fail to import it."""
    if id(context) in _shipped:
        return
    package = Path(__file__).resolve().parent
    archive = shutil.make_archive(str(Path(tempfile.mkdtemp()) / "braid_engines"), "zip", package.parent,
                                  package.name)
    context.addPyFile(archive)
    _shipped.add(id(context))
