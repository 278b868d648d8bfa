"""Evaluation of the character language models, and text sampling.

What is recomputed and what is recorded:
- recomputed from the weights, every time: bits per character on the whole
  validation and test splits (`lm.bits_per_char`, state carried across the text),
  the parameter counts, and a text sample;
- recorded at training time, read from each shipped checkpoint's metadata: the
  training steps, the training wall time and the validation curve (bits per
  character against elapsed training time), which is what an equal-wall-time
  comparison needs and cannot be recomputed without retraining.

The HyperLSTM entry compares itself with the shipped baselines named in
`config.compare_with` (an LSTM of the same width, one with as many parameters, and
the layer-normalised variants), all trained for the same wall-time budget. Two kinds
of claim against each model of `config.claim_below`: after the same training wall
time (the issue's comparison; bpc recomputed from the shipped weights), and after
the same number of training steps (the paper's setting, §4.4; read from the
validation curves recorded at training, since the shipped baselines trained longer).
"""

import os

import numpy as np

from datasets import pydoc_chars
from models.hypernetworks import lm as lm_lib
from zoo import checkpoints
from zoo import evaluation

__all__ = ["evaluate", "sample_action", "training_record"]

SAMPLE_ARGS = ("length", "temperature", "prime", "seed")


def _describe(config) -> str:
  ln = "LN-" if config.layer_norm else ""
  if config.cell == "hyperlstm":
    return (f"{ln}HyperLSTM-{config.units} (hyper {config.hyper_units}, "
            f"N_z {config.embedding_size})")
  return f"{ln}LSTM-{config.units}"


def training_record(model, name: str, store=None):
  """The training metrics of `model`: from the run that just trained it, else from
  checkpoint `name`'s metadata (None when neither exists)."""
  record = getattr(model, "_zoo_training", None)
  if record is not None:
    return record
  store = store or checkpoints.CheckpointStore()
  if store.has(name):
    return store.read_json(name, checkpoints.METADATA_FILE).get("training")
  return None


def _scores(model, config, cache: dict) -> dict:
  key = id(model)
  if key not in cache:
    result = {"params": int(sum(np.prod(v.shape) for v in model.trainable_weights))}
    for split in ("validation", "test"):
      result[split] = lm_lib.bits_per_char(model, pydoc_chars.load_ids(split),
                                           config.eval_streams,
                                           config.eval_chunk)["bpc"]
    cache[key] = result
  return cache[key]


def _equal_steps_claim(name: str, other: str, records: dict):
  """The paper's comparison (§4.4: models compared after the same training, not the
  same wall time): validation bpc of `name` against `other`'s at the last step both
  validated at, read from the validation curves recorded at training.

  Returns:
    (the claim, its margin in bpc: theirs - ours), or None without the records.
  """
  ours = records.get(name, {}).get("validation_curve")
  theirs = records.get(other, {}).get("validation_curve")
  if not ours or not theirs:
    return None
  ours = {int(p[0]): float(p[2]) for p in ours}  # step -> bpc
  theirs = {int(p[0]): float(p[2]) for p in theirs}
  common = sorted(set(ours) & set(theirs))
  if not common:
    return None
  step = common[-1]
  return evaluation.Claim(
      name=f"equal_steps_below_{other}",
      statement=(f"validation bpc below {other}'s after the same number of training "
                 "steps (the paper's setting), from the training records"),
      measured=f"{ours[step]:.4f} vs {theirs[step]:.4f} at step {step}",
      holds=bool(ours[step] < theirs[step])), theirs[step] - ours[step]


def evaluate(model, config, context: evaluation.EvalContext) -> evaluation.Report:
  """Bits per character of this model and of the shipped models it is compared
  with; the claims of `config.claim_below`; a sample; a plot of validation bits
  per character against training wall time."""
  import zoo  # pylint: disable=g-import-not-at-top
  name = getattr(model, "zoo_name", "hypernetworks.lm")
  store = checkpoints.CheckpointStore()
  entries = [(name, model, config)]
  missing = []
  for other in config.compare_with:
    if other == name:
      continue
    if not store.has(other):
      missing.append(other)
      continue
    other_model = zoo.create(other)
    entries.append((other, other_model, other_model.zoo_config))

  cache = {}
  rows, scores, records = [], {}, {}
  for entry_name, entry_model, entry_config in entries:
    context.log(f"  scoring {entry_name} ...")
    scores[entry_name] = _scores(entry_model, entry_config, cache)
    record = training_record(entry_model, entry_name, store) or {}
    records[entry_name] = record
    wall = record.get("training_wall_time_s")
    steps = record.get("train_steps")
    rows.append([entry_name, _describe(entry_config), scores[entry_name]["params"],
                 steps if steps is not None else "?",
                 float(wall) if wall is not None else "?",
                 float(scores[entry_name]["validation"]),
                 float(scores[entry_name]["test"])])
  corpus = pydoc_chars.load_metadata()
  table = evaluation.format_table(
      ["model", "cell", "params", "train steps", "train wall time s",
       "val bpc", "test bpc"], rows,
      title=(f"{name}: bits per character on pydoc_chars (Python "
             f"{corpus['python_version']}; {len(pydoc_chars.load_ids('validation')):,} "
             f"validation / {len(pydoc_chars.load_ids('test')):,} test characters, "
             f"{config.eval_streams} streams, state carried). Steps and wall time are "
             "recorded at training; bpc is recomputed"))

  own = scores[name]
  metrics = {
      "validation_bpc": float(own["validation"]),
      "test_bpc": float(own["test"]),
      "params": own["params"],
      "corpus_sha256": corpus["corpus_sha256"],
      "python_version": corpus["python_version"],
      "num_test_tasks": 1,
  }
  for other in scores:
    if other != name:
      key = other.split(".", 1)[1]
      metrics[f"{key}_validation_bpc"] = float(scores[other]["validation"])
      metrics[f"{key}_test_bpc"] = float(scores[other]["test"])
  claims = []
  for other in config.claim_below:
    statement = (f"validation bpc below {other}'s after the same training wall time")
    if other not in scores:
      claims.append(evaluation.Claim(name=f"below_{other}", statement=statement,
                                     measured=f"{other} has no shipped checkpoint",
                                     holds=False))
      continue
    ours, theirs = own["validation"], scores[other]["validation"]
    ours_wall = records[name].get("training_wall_time_s")
    theirs_wall = records[other].get("training_wall_time_s")
    wall = (f"; wall time {ours_wall:.0f}s vs {theirs_wall:.0f}s"
            if ours_wall and theirs_wall else "")
    claims.append(evaluation.Claim(
        name=f"below_{other}", statement=statement,
        measured=(f"{ours:.4f} vs {theirs:.4f} (test {own['test']:.4f} vs "
                  f"{scores[other]['test']:.4f}){wall}"),
        holds=bool(ours < theirs)))
  for other in config.claim_below:
    found = _equal_steps_claim(name, other, records)
    if found is not None:
      claims.append(found[0])
      metrics[f"{found[0].name}_margin_bpc"] = found[1]

  text = lm_lib.sample(model, config.sample_prime, config.sample_length,
                       config.sample_temperature, seed=context.seed)
  notes = [f"Sample (prime {config.sample_prime!r}, temperature "
           f"{config.sample_temperature:g}, seed {context.seed}):\n\n{text}"]
  if missing:
    notes.append(f"Not compared (no shipped checkpoint): {', '.join(missing)}")

  curves = {}
  for entry_name in scores:
    curve = records[entry_name].get("validation_curve")
    if curve:
      curve = np.asarray(curve, dtype=np.float64)  # [step, elapsed_s, bpc]
      curves[entry_name.split(".", 1)[1]] = (curve[:, 1] / 60, curve[:, 2],
                                             np.zeros(len(curve)))
  plots = []
  if curves:
    plots.append(evaluation.plot_curves(
        os.path.join(context.output_dir, f"{name}_validation_bpc.png"), curves,
        title=f"{name}: validation bits per character",
        xlabel="training wall time (minutes)", ylabel="validation bpc",
        styles={name.split(".", 1)[1]: {"color": "black", "linewidth": 2.2}}))
  return evaluation.Report(model=name, tables=[table], claims=claims, metrics=metrics,
                           plots=plots, notes=notes)


def sample_action(model, config, context: evaluation.ActionContext):
  """`--mode=sample`: prints text generated by the language model.

  `--action_args=length=300,temperature=0.8,prime=The,seed=0` (each optional;
  defaults from the config, seed from `--seed`).
  """
  args = dict(context.args)
  unknown = sorted(set(args) - set(SAMPLE_ARGS))
  if unknown:
    raise ValueError(f"unknown action argument(s) {unknown}; valid: "
                     f"{', '.join(SAMPLE_ARGS)}")

  def number(key, kind, default):
    if key not in args:
      return default
    try:
      return kind(args[key])
    except ValueError as e:
      raise ValueError(f"{key} must be {kind.__name__}; received: {key}={args[key]!r}"
                       ) from e

  length = number("length", int, config.sample_length)
  temperature = number("temperature", float, config.sample_temperature)
  seed = number("seed", int, context.seed)
  if not 0 < length <= 100_000:
    raise ValueError(f"length must be in [1, 100000]; received: length={length}")
  if not temperature > 0:
    raise ValueError(f"temperature must be positive; received: temperature={temperature}")
  if seed < 0:
    raise ValueError(f"seed must be >= 0; received: seed={seed}")
  prime = args.get("prime", config.sample_prime)
  text = lm_lib.sample(model, prime, length, temperature, seed)
  context.log(text)
  return text
