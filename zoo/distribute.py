"""The `tf.distribute` strategy factory, in the style of Model Garden.

    strategy = get_distribution_strategy("mirrored", num_gpus=2)
    with strategy.scope():
      model = ...

Meta-training loops are data-parallel over the meta-batch: each replica takes its
slice of the tasks, losses are scaled to the global batch
(`tf.nn.compute_average_loss`), and the gradients are summed across replicas.
"""

import json
import os
from typing import Optional

import tensorflow as tf

__all__ = [
    "STRATEGIES",
    "configure_logical_cpus",
    "get_distribution_strategy",
    "is_chief",
    "replica_slice",
    "worker_model_dir",
]

STRATEGIES = ("one_device", "mirrored", "multi_worker_mirrored", "tpu")


def configure_logical_cpus(num: int) -> list:
  """Splits the host CPU into `num` logical devices (once per process, before any op).

  Lets a `MirroredStrategy` run with several replicas on a machine without
  accelerators, which is how the tests check that distributed steps equal
  single-device ones.
  """
  cpus = tf.config.list_physical_devices("CPU")
  current = tf.config.get_logical_device_configuration(cpus[0])
  if current is None or len(current) != num:
    tf.config.set_logical_device_configuration(
        cpus[0], [tf.config.LogicalDeviceConfiguration() for _ in range(num)])
  return [d.name for d in tf.config.list_logical_devices("CPU")]


def get_distribution_strategy(name: str = "one_device",
                              num_gpus: int = 0,
                              tpu_address: Optional[str] = None,
                              devices: Optional[list] = None) -> tf.distribute.Strategy:
  """Returns the strategy called `name`.

  Args:
    name: one of `STRATEGIES`.
    num_gpus: GPUs to use for `one_device` (>0 picks GPU 0) and `mirrored`.
    tpu_address: the TPU's name or `grpc://` address, for `tpu` ("" = local TPU).
    devices: explicit device names for `mirrored` (overrides `num_gpus`); with neither,
      `mirrored` uses every logical CPU device (see `configure_logical_cpus`).

  Raises:
    ValueError: for an unknown name or too few GPUs, naming the received value.
  """
  if name not in STRATEGIES:
    raise ValueError(
        f"Unknown distribution_strategy {name!r}; valid: {', '.join(STRATEGIES)}.")
  if num_gpus < 0:
    raise ValueError(f"num_gpus must be >= 0; received: num_gpus={num_gpus}")
  # Physical, not logical, devices: listing logical ones initialises the runtime,
  # after which collective ops (multi-worker) can no longer be configured.
  available_gpus = tf.config.list_physical_devices("GPU")
  if num_gpus > len(available_gpus):
    raise ValueError(
        f"num_gpus={num_gpus} but this machine has {len(available_gpus)} GPU(s).")
  if name == "one_device":
    return tf.distribute.OneDeviceStrategy("/gpu:0" if num_gpus else "/cpu:0")
  if name == "mirrored":
    if devices is None:
      if num_gpus:
        devices = [f"/gpu:{i}" for i in range(num_gpus)]
      else:
        devices = [d.name for d in tf.config.list_logical_devices("CPU")]
    return tf.distribute.MirroredStrategy(devices=devices)
  if name == "multi_worker_mirrored":
    if "TF_CONFIG" not in os.environ:
      raise ValueError(
          "distribution_strategy=multi_worker_mirrored needs the TF_CONFIG "
          "environment variable (cluster and task) on every worker.")
    return tf.distribute.MultiWorkerMirroredStrategy()
  # TPU.
  resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=tpu_address or "")
  tf.config.experimental_connect_to_cluster(resolver)
  tf.tpu.experimental.initialize_tpu_system(resolver)
  return tf.distribute.TPUStrategy(resolver)


def _task(strategy):
  resolver = getattr(strategy, "cluster_resolver", None)
  if resolver is None or not resolver.task_type:
    tf_config = json.loads(os.environ.get("TF_CONFIG", "{}"))
    task = tf_config.get("task", {})
    return task.get("type"), task.get("index")
  return resolver.task_type, resolver.task_id


def is_chief(strategy: Optional[tf.distribute.Strategy] = None) -> bool:
  """Whether this process writes the real checkpoints and summaries.

  Single-process strategies are always chief; in a multi-worker cluster the chief
  is the `chief` task or, without one, worker 0.
  """
  if strategy is None or not isinstance(
      strategy, tf.distribute.MultiWorkerMirroredStrategy):
    return True
  task_type, task_id = _task(strategy)
  if task_type in (None, "chief"):
    return True
  tf_config = json.loads(os.environ.get("TF_CONFIG", "{}"))
  has_chief = "chief" in tf_config.get("cluster", {})
  return task_type == "worker" and task_id == 0 and not has_chief


def worker_model_dir(model_dir: str, strategy=None) -> str:
  """Where this process writes: `model_dir` on the chief, a private folder elsewhere.

  Every worker must take part in saving a checkpoint under
  `MultiWorkerMirroredStrategy`; non-chief workers write to a folder of their own,
  which the caller deletes after the run.
  """
  if is_chief(strategy):
    return model_dir
  task_type, task_id = _task(strategy)
  return os.path.join(model_dir, ".workers", f"{task_type}_{task_id}")


def replica_slice(tensor_tree, global_batch: int):
  """This replica's slice (along axis 0) of a global batch, inside `strategy.run`.

  Every replica computes the same global batch from the step's seed and keeps its own
  contiguous block, so the union over replicas is exactly the single-device batch.
  """
  ctx = tf.distribute.get_replica_context()
  num = ctx.num_replicas_in_sync
  if global_batch % num:
    raise ValueError(
        f"The meta-batch ({global_batch}) must divide evenly over {num} replicas.")
  size = global_batch // num
  start = ctx.replica_id_in_sync_group * size
  return tf.nest.map_structure(lambda t: t[start:start + size], tensor_tree)
