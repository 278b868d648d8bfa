"""A distributed KerasTuner search with the controller oracle (chief / workers).

KerasTuner's distributed mode is set by three environment variables:
`KERASTUNER_TUNER_ID` ("chief", or a worker's id such as "tuner0"),
`KERASTUNER_ORACLE_IP` and `KERASTUNER_ORACLE_PORT`. The chief holds the
`ControllerOracle` behind a gRPC server; each worker's tuner swaps its oracle for an
`OracleClient` that asks the chief for trials (architectures sampled from the
controller, §3.1) and sends back their scores, which train the controller (§3.2).

One chief and two workers on this machine, each child trained for one epoch on a
slice of MNIST-1D:

    python -m models.nas.distributed_tuner --launch --workers=2 --directory=/tmp/nas_kt

or start each process yourself with its own environment (the chief first):

    KERASTUNER_TUNER_ID=chief KERASTUNER_ORACLE_IP=127.0.0.1 KERASTUNER_ORACLE_PORT=8000 \\
      python -m models.nas.distributed_tuner --directory=/tmp/nas_kt
    KERASTUNER_TUNER_ID=tuner0 KERASTUNER_ORACLE_IP=127.0.0.1 KERASTUNER_ORACLE_PORT=8000 \\
      python -m models.nas.distributed_tuner --directory=/tmp/nas_kt

Warning: keras_tuner 1.4.8's own chief loop (`oracle_chief.start_server`, entered by
`Tuner.search` on the chief) has no timeout, and once the last trial is handed out
it checks for the end of the search only every 20 s. `serve` runs the same
`OracleServicer` with a short poll and a deadline instead; the workers are plain
`Tuner.search` calls.
"""

import json
import os
import socket
import subprocess
import sys
import time
from concurrent import futures

from absl import app
from absl import flags
import keras_tuner
import numpy as np

from models.nas import config as config_lib
from models.nas import data as data_lib
from models.nas import oracle as oracle_lib

__all__ = ["build_tuner", "free_port", "launch", "serve", "work"]

SUMMARY = "chief_summary.json"


def build_tuner(config, directory: str, max_trials: int, seed: int,
                input_shape) -> keras_tuner.Tuner:
  """A tuner with the controller oracle; each process keeps its files in
  `directory/<KERASTUNER_TUNER_ID>` (the chief's holds the oracle's trials)."""
  oracle = oracle_lib.ControllerOracle(config, seed=seed, max_trials=max_trials)
  return keras_tuner.Tuner(
      oracle=oracle, hypermodel=oracle_lib.make_hypermodel(config, input_shape, 10),
      directory=directory, project_name=os.environ.get("KERASTUNER_TUNER_ID", "tuner0"),
      overwrite=True)


def serve(tuner: keras_tuner.Tuner, timeout_s: float, poll_s: float = 0.2) -> dict:
  """Serves the chief's oracle until every trial has ended; returns its summary.

  The search ends when the oracle has answered STOPPED and no trial or worker is
  left (`oracle_chief.exit_chief`). Raises `TimeoutError` after `timeout_s`.
  """
  import grpc  # pylint: disable=g-import-not-at-top
  from keras_tuner.src import protos  # pylint: disable=g-import-not-at-top
  from keras_tuner.src.distribute import oracle_chief  # pylint: disable=g-import-not-at-top

  oracle = tuner.oracle
  before = [w.numpy().copy() for w in oracle.controller.trainable_variables]
  tuner.save()
  server = grpc.server(futures.ThreadPoolExecutor(max_workers=1))
  servicer = oracle_chief.OracleServicer(oracle)
  protos.get_service_grpc().add_OracleServicer_to_server(servicer, server)
  address = f"{os.environ['KERASTUNER_ORACLE_IP']}:{os.environ['KERASTUNER_ORACLE_PORT']}"
  if not server.add_insecure_port(address):
    raise OSError(f"cannot listen on KERASTUNER_ORACLE_IP:PORT; received: {address}")
  server.start()
  deadline = time.monotonic() + timeout_s
  try:
    while not (servicer.stop_triggered and oracle_chief.exit_chief(oracle)):
      if time.monotonic() > deadline:
        raise TimeoutError(f"search not finished after timeout_s={timeout_s}")
      time.sleep(poll_s)
  finally:
    server.stop(grace=1.0).wait()
  status = keras_tuner.engine.trial.TrialStatus
  after = [w.numpy() for w in oracle.controller.trainable_variables]
  return {
      "trials": {t.trial_id: {"status": t.status, "score": t.score}
                 for t in oracle.trials.values()},
      "completed": sum(t.status == status.COMPLETED for t in oracle.trials.values()),
      "end_order": list(oracle.end_order),
      "updates": oracle.updates,
      "baseline": oracle.baseline,
      "controller_changed": any(not np.allclose(a, b) for a, b in zip(before, after)),
  }


def work(tuner: keras_tuner.Tuner, data: dict, epochs: int) -> list:
  """Runs trials from the chief until it says STOPPED; returns their ids."""
  ran = []
  original = tuner.on_trial_end

  def on_trial_end(trial):
    ran.append(trial.trial_id)
    original(trial)

  tuner.on_trial_end = on_trial_end
  (x, y), (x_val, y_val) = data["train"], data["validation"]
  tuner.search(x, y, validation_data=(x_val, y_val), epochs=epochs, batch_size=32,
               verbose=0)
  return ran


def free_port() -> int:
  with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
    s.bind(("127.0.0.1", 0))
    return s.getsockname()[1]


def _tail(path: str, lines: int = 15) -> str:
  with open(path) as f:
    return "".join(f.readlines()[-lines:])


def launch(directory: str, workers: int = 2, timeout_s: float = 120.0,
           extra_args=()) -> dict:
  """Runs one chief and `workers` workers as subprocesses on a free loopback port;
  returns the chief's summary with each worker's trial ids under "workers"."""
  data_lib.load("mnist1d")  # Prepared once here, not by every process at once.
  port = free_port()
  os.makedirs(directory, exist_ok=True)
  base = [sys.executable, "-m", "models.nas.distributed_tuner",
          f"--directory={directory}", f"--timeout_s={timeout_s}", *extra_args]
  procs = {}
  for tuner_id in ["chief"] + [f"tuner{i}" for i in range(workers)]:
    env = dict(os.environ, KERASTUNER_TUNER_ID=tuner_id, KERASTUNER_ORACLE_IP="127.0.0.1",
               KERASTUNER_ORACLE_PORT=str(port))
    log = open(os.path.join(directory, f"{tuner_id}.log"), "w")  # pylint: disable=consider-using-with
    procs[tuner_id] = (subprocess.Popen(base, env=env, stdout=log, stderr=subprocess.STDOUT),
                       log)
  deadline = time.monotonic() + timeout_s
  try:
    while any(proc.poll() is None for proc, _ in procs.values()):
      for tuner_id, (proc, _) in procs.items():
        if proc.poll():  # A failed process: the others would wait for it forever.
          raise RuntimeError(f"{tuner_id} exited with {proc.returncode}:\n"
                             + _tail(os.path.join(directory, tuner_id + ".log")))
      if time.monotonic() > deadline:
        raise TimeoutError(f"search not finished after timeout_s={timeout_s}:\n"
                           + _tail(os.path.join(directory, "chief.log")))
      time.sleep(0.2)
    for tuner_id, (proc, _) in procs.items():
      if proc.returncode:
        raise RuntimeError(f"{tuner_id} exited with {proc.returncode}:\n"
                           + _tail(os.path.join(directory, tuner_id + ".log")))
  finally:
    for proc, log in procs.values():
      if proc.poll() is None:
        proc.kill()
        proc.wait()
      log.close()
  with open(os.path.join(directory, SUMMARY)) as f:
    summary = json.load(f)
  summary["workers"] = {}
  for tuner_id in procs:
    if tuner_id != "chief":
      with open(os.path.join(directory, f"{tuner_id}.json")) as f:
        summary["workers"][tuner_id] = json.load(f)
  return summary


FLAGS = flags.FLAGS


def _define_flags():
  """Flags of the binary (defined only when run as a program, not on import)."""
  flags.DEFINE_string("directory", "/tmp/nas_keras_tuner", "Where each process writes.")
  flags.DEFINE_boolean("launch", False, "Start a chief and --workers workers here.")
  flags.DEFINE_integer("workers", 2, "Workers for --launch.")
  flags.DEFINE_integer("max_trials", 4, "Children in the whole search.")
  flags.DEFINE_integer("children_per_step", 2, "Children per REINFORCE update.")
  flags.DEFINE_integer("train_examples", 256, "Training signals per child.")
  flags.DEFINE_integer("epochs", 1, "Epochs per child.")
  flags.DEFINE_integer("seed", 0, "Seeds the controller's sampling.")
  flags.DEFINE_float("timeout_s", 120.0, "The chief gives up after this long.")


def main(argv):
  del argv
  if FLAGS.launch:
    args = [f"--{name}={getattr(FLAGS, name)}" for name in
            ("max_trials", "children_per_step", "train_examples", "epochs", "seed")]
    print(json.dumps(launch(FLAGS.directory, FLAGS.workers, FLAGS.timeout_s, args),
                     indent=1))
    return
  tuner_id = os.environ.get("KERASTUNER_TUNER_ID")
  if not tuner_id or "KERASTUNER_ORACLE_IP" not in os.environ:
    raise app.UsageError("set KERASTUNER_TUNER_ID, KERASTUNER_ORACLE_IP and "
                         "KERASTUNER_ORACLE_PORT, or pass --launch")
  config = config_lib.NASConfig(dataset="mnist1d", children_per_step=FLAGS.children_per_step,
                                initial_layers=1, max_layers=2, grow_every=1000)
  # MNIST-1D signals are [40]; only the workers read the data.
  tuner = build_tuner(config, FLAGS.directory, FLAGS.max_trials, FLAGS.seed, (40,))
  if tuner_id.startswith("chief"):
    out, name = serve(tuner, FLAGS.timeout_s), SUMMARY
  else:
    splits, n = data_lib.load("mnist1d"), FLAGS.train_examples
    data = {"train": tuple(a[:n] for a in splits["train"]),
            "validation": tuple(a[:n // 2] for a in splits["validation"])}
    out, name = work(tuner, data, FLAGS.epochs), f"{tuner_id}.json"
  with open(os.path.join(FLAGS.directory, name), "w") as f:
    json.dump(out, f)


if __name__ == "__main__":
  _define_flags()
  app.run(main)
