"""Evaluation of the few-shot SNAIL against its same-budget ProtoNet (§5.1, Table 1).

Protocol:
1. Glyph test alphabets (never seen in training or validation): `num_test_episodes`
   N-way 1-shot and 5-shot episodes (one query per class, upright glyphs), the block
   of episodes chosen by the seed; SNAIL and the ProtoNet see the same episodes.
   Accuracy per episode; mean with a 95% interval (1.96 s.e.) and the paired
   difference SNAIL - ProtoNet with its 95% interval.
2. With `omniglot_dir` (real Omniglot, see `omniglot_files`): the same on the
   characters of the two small background sets (N-way, 1- and 5-shot), and, for
   20-way models, the 20 official 20-way one-shot runs of Lake et al. (each test
   image read after the run's 20 training images in a seeded random order). These
   are handwriting the models never trained on: a transfer test.
3. The papers' numbers are printed beside ours (Table 1 of Mishra et al. on real
   Omniglot, trained on 1200 real characters; Lake et al.'s error rates).
"""

import os

import numpy as np
import tensorflow as tf

from models.snail import episodes
from models.snail import omniglot_files
from models.snail import train as train_lib
from zoo import evaluation

__all__ = ["PAPER_TABLE1", "evaluate", "official_runs_accuracy", "paired_interval"]

TEST_STREAM = 1_000_003  # Test episodes of seed s: [TEST_STREAM + 2 * s + (shots == 5), i].
OMNIGLOT_STREAM = 2_000_003
# Mishra et al. Table 1 (Omniglot accuracy, %): (way, shots) -> value.
PAPER_TABLE1 = {
    "SNAIL (paper)": {(5, 1): 99.07, (5, 5): 99.78, (20, 1): 97.64, (20, 5): 99.36},
    "Prototypical nets (paper)": {(5, 1): 97.4, (5, 5): 99.3, (20, 1): 96.0,
                                  (20, 5): 98.9},
}
# Lake et al. (2015), the 20 official runs: accuracy (%) = 100 - error rate.
LAKE_RUNS = {"people": 95.5, "Bayesian Program Learning": 96.7,
             "Siamese convnets": 92.0}


def _interval(values) -> tuple:
  mean, se = evaluation.mean_stderr(np.asarray(values, np.float64))
  return 100 * float(mean), 100 * 1.96 * float(se)


def paired_interval(snail, protonet) -> tuple:
  """(mean, 95% half-width) of SNAIL - ProtoNet per episode, in points."""
  paired = evaluation.paired_stats(snail, protonet)
  return 100 * paired["mean_diff"], 100 * 1.96 * paired["se_diff"]


def _episode_rows(results, way, label):
  rows = []
  for shots, acc in results.items():
    snail, snail_ci = _interval(acc["snail"])
    proto, proto_ci = _interval(acc["protonet"])
    diff, diff_ci = paired_interval(acc["snail"], acc["protonet"])
    rows.append([f"{way}-way {shots}-shot", label, len(acc["snail"]),
                 f"{snail:.2f} ± {snail_ci:.2f}", f"{proto:.2f} ± {proto_ci:.2f}",
                 f"{diff:+.2f} ± {diff_ci:.2f}",
                 PAPER_TABLE1["SNAIL (paper)"].get((way, shots), "-"),
                 PAPER_TABLE1["Prototypical nets (paper)"].get((way, shots), "-")])
  return rows


def official_runs_accuracy(model, runs, seed: int) -> dict:
  """Accuracy of SNAIL and the ProtoNet on Lake et al.'s 20-way one-shot runs.

  Each test image is a query after the run's 20 training images (labels 0..19 given
  in a seeded random order, the sequence order shuffled too). Needs a 20-way model.

  Returns:
    {"snail": [runs] accuracies, "protonet": [runs]}.
  """
  if model.way != 20:
    raise ValueError(f"the official runs are 20-way; received a {model.way}-way model")
  rng = np.random.default_rng([OMNIGLOT_STREAM, seed])
  snail, proto = [], []
  for train_x, test_x, answer in runs:
    labels = rng.permutation(20).astype(np.int32)  # Label of training image j.
    order = rng.permutation(20)  # Position of the training images in the sequence.
    sx = tf.constant(train_x[order][None])
    sy = tf.constant(labels[order][None])
    qx = tf.constant(test_x[None])
    want = labels[answer]
    s_logits = model.episode_logits(sx, sy, qx).numpy()[0]
    p_logits = model.protonet_logits(sx, sy, qx).numpy()[0]
    snail.append(float(np.mean(s_logits.argmax(-1) == want)))
    proto.append(float(np.mean(p_logits.argmax(-1) == want)))
  return {"snail": np.asarray(snail), "protonet": np.asarray(proto)}


def _bar_plot(path, results, title):
  import matplotlib  # pylint: disable=g-import-not-at-top
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
  labels = list(results)
  fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=110)
  x = np.arange(len(labels))
  for i, (method, color) in enumerate((("snail", "black"), ("protonet", "tab:blue"))):
    means = [_interval(results[k][method])[0] for k in labels]
    errs = [_interval(results[k][method])[1] for k in labels]
    ax.bar(x + (i - 0.5) * 0.38, means, 0.38, yerr=errs, color=color, alpha=0.8,
           label={"snail": "SNAIL", "protonet": "ProtoNet (same budget)"}[method])
  ax.set_xticks(x)
  ax.set_xticklabels(labels, fontsize=8)
  ax.set_ylabel("accuracy % (95% interval)")
  ax.set_ylim(max(0, min(_interval(r["snail"])[0] for r in results.values()) - 15), 100)
  ax.set_title(title, fontsize=10)
  ax.legend(fontsize=8)
  ax.grid(True, axis="y", alpha=0.3)
  fig.tight_layout()
  os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
  fig.savefig(path)
  plt.close(fig)
  return path


def evaluate(model, config, context: evaluation.EvalContext) -> evaluation.Report:
  """Glyph test-alphabet tables and claims; real Omniglot with `omniglot_dir`."""
  name = getattr(model, "zoo_name", "snail")
  way = config.way
  num = context.num_tasks or config.num_test_episodes
  sampler = train_lib.samplers(config, splits=("test",))["test"]
  evaluator = train_lib.EpisodeEvaluator(model, sampler)
  glyphs = {}
  for shots in (1, 5):
    glyphs[shots] = evaluator.accuracies(TEST_STREAM + 2 * context.seed + (shots == 5),
                                         num, shots)
    context.log(f"  glyph test {way}-way {shots}-shot: SNAIL "
                f"{100 * glyphs[shots]['snail'].mean():.2f}%, ProtoNet "
                f"{100 * glyphs[shots]['protonet'].mean():.2f}%")
  headers = ["episodes", "data", "n", "SNAIL % (95%)", "ProtoNet % (95%)",
             "SNAIL - ProtoNet", "SNAIL paper", "ProtoNet paper"]
  tables = [evaluation.format_table(
      headers, _episode_rows(glyphs, way, "glyph test alphabets"),
      title=(f"{name}: {way}-way accuracy on {num} episodes of the glyph test "
             f"alphabets per row (seed {context.seed}; one query per class); ProtoNet "
             "= same encoder, same episodes and steps. Paper columns: real Omniglot, "
             "trained on 1200 real characters."))]
  metrics = {"num_test_tasks": num, "way": way}
  for shots, acc in glyphs.items():
    metrics[f"glyphs_{shots}shot_snail_accuracy"] = float(acc["snail"].mean())
    metrics[f"glyphs_{shots}shot_protonet_accuracy"] = float(acc["protonet"].mean())
    metrics[f"glyphs_{shots}shot_snail_ci95"] = _interval(acc["snail"])[1] / 100

  margin = config.claim_min_margin
  claims = []
  if margin is not None:
    for shots, acc in glyphs.items():
      diff, diff_ci = paired_interval(acc["snail"], acc["protonet"])
      claims.append(evaluation.Claim(
          name=f"glyphs_{shots}shot_above_protonet",
          statement=(f"glyph test {way}-way {shots}-shot: SNAIL above the same-budget "
                     f"ProtoNet by > {margin:g} points (lower end of the paired 95% "
                     "interval)"),
          measured=(f"{100 * acc['snail'].mean():.2f}% vs "
                    f"{100 * acc['protonet'].mean():.2f}% "
                    f"(diff {diff:+.2f} ± {diff_ci:.2f})"),
          holds=diff - diff_ci > margin))

  results_for_plot = {f"glyphs {s}-shot": a for s, a in glyphs.items()}
  notes = []
  folder = getattr(context, "options", {}).get("omniglot_dir")
  if folder:
    images, labels, _ = omniglot_files.load_small_sets(folder, config.image_size)
    real = episodes.EpisodeSampler(images, labels, way)
    real_eval = train_lib.EpisodeEvaluator(model, real)
    omni = {}
    for shots in (1, 5):
      omni[shots] = real_eval.accuracies(OMNIGLOT_STREAM + 2 * context.seed
                                         + (shots == 5), num, shots)
      results_for_plot[f"Omniglot {shots}-shot"] = omni[shots]
      metrics[f"omniglot_{shots}shot_snail_accuracy"] = float(omni[shots]["snail"].mean())
      metrics[f"omniglot_{shots}shot_protonet_accuracy"] = float(
          omni[shots]["protonet"].mean())
    tables.append(evaluation.format_table(
        headers, _episode_rows(omni, way, "real Omniglot, small sets"),
        title=(f"{name}: real Omniglot ({len(np.unique(labels))} characters of the two "
               f"small background sets, never trained on), {num} episodes per row")))
    if way == 20:
      runs = omniglot_files.load_official_runs(folder, config.image_size)
      acc = official_runs_accuracy(model, runs, context.seed)
      metrics["omniglot_runs_snail_accuracy"] = float(acc["snail"].mean())
      metrics["omniglot_runs_protonet_accuracy"] = float(acc["protonet"].mean())
      rows = [["SNAIL (ours, glyph-trained)", f"{100 * acc['snail'].mean():.1f}"],
              ["ProtoNet (ours, same budget)", f"{100 * acc['protonet'].mean():.1f}"]]
      rows += [[f"{k} (reported by Lake et al.)", f"{v:.1f}"]
               for k, v in LAKE_RUNS.items()]
      tables.append(evaluation.format_table(
          ["method", "accuracy %"], rows,
          title=("The 20 official 20-way one-shot runs of Lake et al. (400 test "
                 "images)")))
    else:
      notes.append("The 20 official runs are 20-way: see the 20-way model.")
  else:
    notes.append("Real Omniglot: pass --omniglot_dir=FOLDER (with the small background "
                 "sets and all_runs.zip) to add it.")
  plot = _bar_plot(os.path.join(context.output_dir, f"{name}_accuracy.png"),
                   results_for_plot, f"{name}: accuracy, SNAIL vs same-budget ProtoNet")
  return evaluation.Report(model=name, tables=tables, claims=claims, metrics=metrics,
                           plots=[plot], notes=notes)
