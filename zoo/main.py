r"""The zoo's command line.

    bazel run //zoo:main -- --mode=list
    bazel run //zoo:main -- --mode=info --model=l2l_lstm.quadratic10
    bazel run //zoo:main -- --mode=evaluate                  # every shipped model
    bazel run //zoo:main -- --mode=train --model=l2l_lstm.quadratic10 \
        --model_dir=/tmp/l2l --train_steps=2000 --export_dir=zoo/checkpoints
    bazel run //zoo:main -- --mode=finetune --model=l2l_lstm.quadratic10 \
        --model_dir=/tmp/ft --params_override=dim=20 --train_steps=200

Every flag value is checked before anything is written; a bad one stops with a usage
error and a non-zero exit. Relative paths are taken from the directory `bazel run`
was called in.
"""

import os
import platform
import subprocess
import sys
import time

from absl import app
from absl import flags
from absl import logging

FLAGS = flags.FLAGS

MODES = ("list", "info", "card", "evaluate", "train", "finetune")

flags.DEFINE_string(
    "mode", "evaluate",
    f"What to do: one of {', '.join(MODES)}, or an action a model registers (see "
    "--mode=info), such as `sample`.")
flags.register_validator(
    "mode", lambda m: bool(m) and m.replace("_", "").isalnum() and m.islower(),
    message="--mode must be a lowercase name")
flags.DEFINE_string("action_args", "",
                    "Arguments of a model's action, `key=value,key=value`.")
flags.DEFINE_string(
    "model", "*",
    "A registered name, or a wildcard (`l2l_lstm.*`, `*`) for list/info/evaluate.")
flags.DEFINE_string("model_dir", None,
                    "Training state (checkpoints, TensorBoard summaries) for "
                    "train/finetune; a killed run resumes from here.")
flags.DEFINE_string("params_override", "",
                    "Config overrides, `key=value,key=value` (tuples: `20:20`).")
flags.DEFINE_enum("distribution_strategy", "one_device",
                  ["one_device", "mirrored", "multi_worker_mirrored", "tpu"],
                  "tf.distribute strategy for train/finetune.")
flags.DEFINE_integer("num_gpus", 0, "GPUs for one_device / mirrored.", lower_bound=0)
flags.DEFINE_integer("cpu_replicas", 0,
                     "Split the CPU into this many logical devices (0: don't), so "
                     "`mirrored` runs several replicas without accelerators.",
                     lower_bound=0)
flags.DEFINE_string("tpu", None, "TPU name or grpc:// address for `tpu`.")
flags.DEFINE_integer("seed", 0, "Seeds initialisation and task streams (train); picks "
                     "the block of test tasks (evaluate).", lower_bound=0)
flags.DEFINE_integer("train_steps", None, "Training steps (default: the config's).",
                     lower_bound=1)
flags.DEFINE_string("output_dir", "zoo_output", "Evaluation tables and plots.")
flags.DEFINE_string("export_dir", None,
                    "train/finetune: checkpoint store to export the result into "
                    "(default: MODEL_DIR/export). `zoo/checkpoints` is the shipped one.")
flags.DEFINE_string("init_checkpoint", None,
                    "finetune/evaluate: an exported checkpoint folder (with "
                    "config.json, metadata.json, model.weights.h5) to start from "
                    "instead of the shipped one. Another model's exported folder "
                    "warm-starts this one: its weights, this model's registered "
                    "config.")
flags.DEFINE_integer("num_tasks", None, "evaluate: test tasks (default: the config's).",
                     lower_bound=1)
flags.DEFINE_integer("num_validation_tasks", None,
                     "evaluate: validation tasks for tuning baselines.", lower_bound=1)
flags.DEFINE_string("omniglot_dir", None,
                    "evaluate: a folder with real Omniglot files "
                    "(images_background_small1.zip, images_background_small2.zip, "
                    "all_runs.zip) for the few-shot models' real-handwriting tables.")
flags.DEFINE_boolean("evaluate_after_train", True,
                     "train/finetune: evaluate the result and record its metrics in "
                     "the exported metadata.")


def _path(path):
  """Resolves a user path against the directory `bazel run` was started from."""
  if path is None or os.path.isabs(path):
    return path
  base = os.environ.get("BUILD_WORKING_DIRECTORY") or os.getcwd()
  return os.path.normpath(os.path.join(base, path))


def _git_commit() -> str:
  root = os.environ.get("BUILD_WORKSPACE_DIRECTORY") or os.path.dirname(
      os.path.dirname(os.path.abspath(__file__)))
  try:
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, check=True,
                            capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                           cwd=root, check=True, capture_output=True,
                           text=True).stdout.strip()
    return commit + ("+uncommitted" if dirty else "")
  except (OSError, subprocess.CalledProcessError):
    return "unknown"


def _versions() -> dict:
  import keras  # pylint: disable=g-import-not-at-top
  import numpy as np  # pylint: disable=g-import-not-at-top
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  return {"python": platform.python_version(), "tensorflow": tf.__version__,
          "keras": keras.__version__, "numpy": np.__version__}


class _Plan:
  """The checked inputs of a run: everything is validated before anything is written."""

  def __init__(self):
    import zoo  # pylint: disable=g-import-not-at-top
    from zoo import configs  # pylint: disable=g-import-not-at-top
    from zoo import registry  # pylint: disable=g-import-not-at-top
    self.mode = FLAGS.mode
    try:
      self.names = registry.resolve(FLAGS.model)
      self.overrides = configs.parse_params_override(FLAGS.params_override)
      self.action_args = configs.parse_params_override(FLAGS.action_args)
    except (zoo.UnknownModelError, zoo.ConfigError) as e:
      raise app.UsageError(str(e)) from e
    if self.mode not in MODES:
      actions = sorted({a for n in self.names for a in zoo.get_spec(n).actions})
      if len(self.names) != 1 or self.mode not in zoo.get_spec(self.names[0]).actions:
        raise app.UsageError(
            f"Unknown --mode={self.mode!r}: the modes are {', '.join(MODES)}"
            + (f", and for {FLAGS.model!r} also {', '.join(actions)} (one --model name)"
               if actions else ""))
    if self.mode in ("train", "finetune"):
      if len(self.names) != 1:
        raise app.UsageError(f"--mode={self.mode} takes one --model name; "
                             f"{FLAGS.model!r} matches {self.names}")
      if not FLAGS.model_dir:
        raise app.UsageError(f"--mode={self.mode} needs --model_dir")
    if self.mode == "train" and FLAGS.init_checkpoint:
      raise app.UsageError("--init_checkpoint is for finetune/evaluate; train starts "
                           "from scratch")
    if FLAGS.init_checkpoint and len(self.names) != 1:
      raise app.UsageError("--init_checkpoint needs one --model name")
    if self.mode == "evaluate" and not FLAGS.init_checkpoint:
      store = zoo.CheckpointStore()
      shipped = [n for n in self.names if store.has(n)]
      if FLAGS.model in ("*", "all") or any(c in FLAGS.model for c in "*?["):
        self.names = shipped
      elif not shipped:
        raise app.UsageError(
            f"{self.names[0]} has no shipped checkpoint; evaluate one you trained "
            "with --init_checkpoint=EXPORTED_FOLDER")
    # Check the overrides against each config now, not after training started.
    self.configs = {}
    for name in self.names:
      try:
        self.configs[name] = self._config(name)
      except (zoo.ConfigError, zoo.CheckpointError) as e:
        raise app.UsageError(str(e)) from e
    if self.mode == "finetune":
      try:
        _load_pretrained(self.names[0], self.configs[self.names[0]])
      except zoo.CheckpointError as e:  # e.g. an override that changes the layers.
        raise app.UsageError(str(e)) from e
    if FLAGS.omniglot_dir and not os.path.isdir(_path(FLAGS.omniglot_dir)):
      raise app.UsageError(f"--omniglot_dir={FLAGS.omniglot_dir!r} is not a folder")
    self.model_dir = _path(FLAGS.model_dir)
    self.output_dir = _path(FLAGS.output_dir)
    # Not found only by the evaluation at the end of a training run.
    for flag in ("model_dir", "output_dir", "export_dir"):
      value = getattr(FLAGS, flag)
      if value and os.path.exists(_path(value)) and not os.path.isdir(_path(value)):
        raise app.UsageError(f"--{flag}={value!r} exists and is not a folder")
    self.export_dir = _path(FLAGS.export_dir) or (
        os.path.join(self.model_dir, "export") if self.model_dir else None)

  def _config(self, name):
    import zoo  # pylint: disable=g-import-not-at-top
    from zoo import checkpoints  # pylint: disable=g-import-not-at-top
    from zoo import configs  # pylint: disable=g-import-not-at-top
    if FLAGS.init_checkpoint:
      folder = _path(FLAGS.init_checkpoint)
      path = os.path.join(folder, checkpoints.CONFIG_FILE)
      if not os.path.isfile(path):
        raise zoo.CheckpointError(
            f"--init_checkpoint={folder} has no {checkpoints.CONFIG_FILE}; give an "
            "exported checkpoint folder (e.g. MODEL_DIR/export/<name>)")
      source = _folder_model(folder)
      if source is not None and source != name:
        # A warm start from another model's export: this model's registered config
        # with the overrides, and that checkpoint's weights, which must fit this
        # model's layers.
        return zoo.get_config(name, pretrained=False, **self.overrides)
      import json  # pylint: disable=g-import-not-at-top
      with open(path) as f:
        base = configs.config_from_dict(type(zoo.get_spec(name).config), json.load(f))
      return configs.apply_overrides(base, self.overrides)
    has_shipped = zoo.CheckpointStore().has(name)
    if self.mode == "finetune" and not has_shipped:
      raise zoo.CheckpointError(
          f"{name} has no shipped checkpoint to fine-tune; pass --init_checkpoint="
          "EXPORTED_FOLDER or use --mode=train")
    pretrained = self.mode not in ("train", "info", "list") and has_shipped
    return zoo.get_config(name, pretrained=pretrained, **self.overrides)


def _folder_model(folder):
  """The registered model an exported folder holds: the `--model` of the run that
  wrote it (its metadata's flags), else the folder's name (exports are laid out as
  EXPORT_DIR/<model>); None if neither names a registered model."""
  import json  # pylint: disable=g-import-not-at-top
  import zoo  # pylint: disable=g-import-not-at-top
  from zoo import checkpoints  # pylint: disable=g-import-not-at-top
  registered = set(zoo.list_models())
  try:
    with open(os.path.join(folder, checkpoints.METADATA_FILE)) as f:
      recorded = json.load(f).get("flags", {}).get("model")
  except (OSError, ValueError, AttributeError):
    recorded = None
  if recorded in registered:
    return recorded
  named = os.path.basename(os.path.realpath(folder))
  return named if named in registered else None


def _load_pretrained(name, config):
  """The model for finetune/evaluate, from --init_checkpoint or the shipped store."""
  import zoo  # pylint: disable=g-import-not-at-top
  from zoo import checkpoints  # pylint: disable=g-import-not-at-top
  spec = zoo.get_spec(name)
  model = spec.build(config)
  if FLAGS.init_checkpoint:
    folder = _path(FLAGS.init_checkpoint)
    checkpoints.load_weights_file(
        model, os.path.join(folder, checkpoints.WEIGHTS_FILE),
        _init_metadata(name)[0].get("variables"), source=f"--init_checkpoint={folder}")
  else:
    zoo.CheckpointStore().load_weights(model, name)
  model.zoo_name = name
  model.zoo_config = config
  return model


# What a fine-tuned checkpoint keeps of the one it started from (and, through that
# one's own "parent", of every earlier stage), so that the chain of commands that
# produced it stays on record when the starting checkpoint is not shipped.
PARENT_KEYS = ("command", "seed", "steps", "wall_time_s", "git_commit", "created",
               "training", "claims", "parent")


def parent_record(metadata: dict, source: str) -> dict:
  """The lineage entry of a fine-tune that started from a checkpoint with `metadata`."""
  record = {k: metadata[k] for k in PARENT_KEYS if k in metadata}
  record["source"] = source
  return record


def _init_metadata(name):
  """(metadata, source) of the checkpoint finetune/evaluate start from: the
  --init_checkpoint folder's ({} if it has no metadata file) or the shipped one's
  (also when --init_checkpoint names a shipped folder, this model's or another's,
  so that a record never names where this checkout lives)."""
  import json  # pylint: disable=g-import-not-at-top
  import zoo  # pylint: disable=g-import-not-at-top
  from zoo import checkpoints  # pylint: disable=g-import-not-at-top
  store = zoo.CheckpointStore()
  folder = _path(FLAGS.init_checkpoint) if FLAGS.init_checkpoint else None
  if folder:
    # A shipped folder (this model's or, for a warm start, another's) is named by
    # its model, whatever path reached it.
    real = os.path.realpath(folder)
    shipped = os.path.basename(real)
    if (os.path.dirname(real) == os.path.realpath(store.root)
        and store.has(shipped)):
      return (store.read_json(shipped, checkpoints.METADATA_FILE),
              f"shipped {shipped}")
    path = os.path.join(folder, checkpoints.METADATA_FILE)
    if not os.path.isfile(path):
      return {}, folder
    with open(path) as f:
      return json.load(f), folder
  return store.read_json(name, checkpoints.METADATA_FILE), f"shipped {name}"


def _evaluate(name, model, config, log=print):
  import zoo  # pylint: disable=g-import-not-at-top
  from zoo import evaluation  # pylint: disable=g-import-not-at-top
  spec = zoo.get_spec(name)
  context = evaluation.EvalContext(
      output_dir=_path(FLAGS.output_dir), seed=FLAGS.seed, num_tasks=FLAGS.num_tasks,
      num_validation_tasks=FLAGS.num_validation_tasks, log=log,
      options={"omniglot_dir": _path(FLAGS.omniglot_dir)} if FLAGS.omniglot_dir else {})
  return spec.evaluate(model, config, context)


def run_list(plan):
  import zoo  # pylint: disable=g-import-not-at-top
  from zoo import evaluation  # pylint: disable=g-import-not-at-top
  store = zoo.CheckpointStore()
  rows = [[n, "yes" if store.has(n) else "no", zoo.get_spec(n).summary]
          for n in plan.names]
  print(evaluation.format_table(["model", "pretrained", "summary"], rows))


def run_info(plan):
  import zoo  # pylint: disable=g-import-not-at-top
  for name in plan.names:
    print(zoo.model_card(name).text())
    actions = sorted(zoo.get_spec(name).actions)
    if actions:
      print(f"Extra modes: {', '.join(actions)} (--mode=NAME --action_args=k=v,...)\n")


def run_card(plan):
  """Rewrites the card of each matched shipped checkpoint from the live registration
  (summary, claim, deviations) and the checkpoint's own config and metadata."""
  import zoo  # pylint: disable=g-import-not-at-top
  store = zoo.CheckpointStore(_path(FLAGS.export_dir))
  names = [n for n in plan.names if store.has(n)]
  if not names:
    print("No shipped checkpoints match --model; no card to write.")
  for name in names:
    card = zoo.model_card(name, store).text()
    print(f"Wrote {store.write_card(name, card)}")


def run_evaluate(plan):
  from zoo import evaluation  # pylint: disable=g-import-not-at-top
  if not plan.names:
    print("No shipped checkpoints match --model; nothing to evaluate.")
    return
  summary = []
  for name in plan.names:
    config = plan.configs[name]
    print(f"Evaluating {name} ...", flush=True)
    t0 = time.time()
    report = _evaluate(name, _load_pretrained(name, config), config)
    print(report.text(), flush=True)
    print(f"({name}: {time.time() - t0:.0f}s)\n", flush=True)
    for claim in report.claims or [evaluation.Claim("-", "(reported, no claim)", "-",
                                                     True)]:
      summary.append([name, claim.statement, claim.measured,
                      "yes" if claim.holds else "NO"])
  print(evaluation.format_table(
      ["model", "claim", "measured", "holds"], summary,
      title=f"Summary: every evaluated model (plots in {plan.output_dir})"))


def run_action(plan):
  import zoo  # pylint: disable=g-import-not-at-top
  from zoo import evaluation  # pylint: disable=g-import-not-at-top
  name = plan.names[0]
  config = plan.configs[name]
  if FLAGS.init_checkpoint or zoo.CheckpointStore().has(name):
    model = _load_pretrained(name, config)
  else:
    model = zoo.get_spec(name).build(config)
  context = evaluation.ActionContext(output_dir=_path(FLAGS.output_dir), seed=FLAGS.seed,
                                     args=plan.action_args)
  try:
    zoo.get_spec(name).actions[plan.mode](model, config, context)
  except ValueError as e:
    raise app.UsageError(f"--mode={plan.mode}: {e}") from e


def _strategy():
  from zoo import distribute  # pylint: disable=g-import-not-at-top
  if FLAGS.cpu_replicas:
    distribute.configure_logical_cpus(FLAGS.cpu_replicas)
  return distribute.get_distribution_strategy(
      FLAGS.distribution_strategy, num_gpus=FLAGS.num_gpus, tpu_address=FLAGS.tpu)


def run_train(plan):
  import keras  # pylint: disable=g-import-not-at-top
  import zoo  # pylint: disable=g-import-not-at-top
  from zoo import api  # pylint: disable=g-import-not-at-top
  from zoo import configs  # pylint: disable=g-import-not-at-top
  from zoo import distribute  # pylint: disable=g-import-not-at-top
  from zoo import training  # pylint: disable=g-import-not-at-top
  name = plan.names[0]
  spec = zoo.get_spec(name)
  config = plan.configs[name]
  strategy = plan.strategy
  keras.utils.set_random_seed(FLAGS.seed)
  with strategy.scope():
    if plan.mode == "finetune":
      model = _load_pretrained(name, config)
    else:
      model = spec.build(config)
      model.zoo_name = name
      model.zoo_config = config
  # Read before training: the run may export over the checkpoint it started from.
  parent = (parent_record(*_init_metadata(name)) if plan.mode == "finetune" else None)
  os.makedirs(plan.model_dir, exist_ok=True)
  git_commit = _git_commit()  # The code the run starts from.
  # Training time of earlier runs that this one resumes (killed or stopped runs).
  earlier = training.recorded_train_seconds(plan.model_dir)
  t0 = time.time()
  context = training.TrainContext(model_dir=plan.model_dir, strategy=strategy,
                                  seed=FLAGS.seed, train_steps=FLAGS.train_steps)
  train_metrics = spec.train(model, config, context)
  wall = time.time() - t0
  if not distribute.is_chief(strategy):
    print(f"worker done: {train_metrics}")
    return
  metadata = {
      "command": "bazel run //zoo:main -- " + " ".join(sys.argv[1:]),
      "mode": plan.mode,
      "flags": {f: getattr(FLAGS, f) for f in (
          "model", "params_override", "distribution_strategy", "num_gpus", "seed",
          "train_steps", "init_checkpoint")},
      "seed": FLAGS.seed,
      "steps": train_metrics.get("train_steps"),
      "wall_time_s": round(earlier + wall, 1),
      "versions": _versions(),
      "git_commit": git_commit,
      "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
      "training": train_metrics,
      "metrics": {},
  }
  if earlier:
    # A resumed run: wall_time_s adds the earlier runs' recorded training time.
    metadata["wall_time_this_run_s"] = round(wall, 1)
  if parent is not None:
    metadata["parent"] = parent
  if FLAGS.evaluate_after_train:
    try:
      report = _evaluate(name, model, config)
    except Exception:
      print(f"The evaluation after training failed, so nothing was exported. The "
            f"trained weights are kept in --model_dir={plan.model_dir}: the same "
            "command resumes there at the last step and evaluates again "
            "(--noevaluate_after_train exports them without evaluating).",
            file=sys.stderr)
      raise
    print(report.text())
    metadata["metrics"] = report.metrics
    metadata["claims"] = [{"statement": c.statement, "measured": c.measured,
                           "holds": c.holds} for c in report.claims]
    metadata["evaluation"] = (
        f"zoo:main --mode=evaluate --seed={FLAGS.seed} (test tasks block "
        f"{FLAGS.seed}, {report.metrics.get('num_test_tasks', '?')} tasks)")
  card = api.ModelCard(name=name, paper=spec.paper, summary=spec.summary,
                       claim=spec.claim, deviations=tuple(spec.deviations),
                       config=configs.config_to_dict(config), pretrained=True,
                       metadata=metadata).text()
  store = zoo.CheckpointStore(plan.export_dir)
  path = store.export(name, model, configs.config_to_dict(config), metadata, card)
  print(f"Exported {name} to {path}")


def main(argv):
  if not FLAGS["verbosity"].present:
    # TF's INFO lines and its retracing heuristics (each baseline and grid compiles
    # once, by design) drown the progress lines.
    logging.set_verbosity(logging.WARNING)
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
    tf.get_logger().setLevel("ERROR")
  if len(argv) > 1:
    raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
  if FLAGS.distribution_strategy == "tpu" and FLAGS.tpu is None:
    raise app.UsageError("--distribution_strategy=tpu needs --tpu")
  if (FLAGS.distribution_strategy == "multi_worker_mirrored"
      and "TF_CONFIG" not in os.environ):
    raise app.UsageError("--distribution_strategy=multi_worker_mirrored needs "
                         "TF_CONFIG set on every worker")
  strategy = None
  if FLAGS.mode in ("train", "finetune"):
    # First: collective ops (multi-worker) and logical devices must be configured
    # before TensorFlow runs any op, and importing the catalog may run some.
    try:
      strategy = _strategy()
    except ValueError as e:
      raise app.UsageError(str(e)) from e
  plan = _Plan()
  plan.strategy = strategy
  import zoo  # pylint: disable=g-import-not-at-top
  from zoo import training  # pylint: disable=g-import-not-at-top
  try:
    {"list": run_list, "info": run_info, "card": run_card, "evaluate": run_evaluate,
     "train": run_train, "finetune": run_train}.get(plan.mode, run_action)(plan)
  except (zoo.CheckpointError, zoo.ConfigError, training.TrainingDivergedError) as e:
    print(f"error: {e}", file=sys.stderr)
    sys.exit(1)


if __name__ == "__main__":
  app.run(main)
