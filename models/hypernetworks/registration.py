"""The registered variants of HyperNetworks (static hyper-convnets, HyperLSTM models)."""

from models.hypernetworks import config as config_lib
from models.hypernetworks import convnet
from models.hypernetworks import evaluate_lm
from models.hypernetworks import evaluate_static
from models.hypernetworks import lm
from models.hypernetworks import train_lm
from models.hypernetworks import train_static
from zoo import registry

PAPER = ("Ha, Dai, Le. HyperNetworks. ICLR 2017 (arXiv 1609.09106).")

# --- Static hypernetwork (§3.1, §4.1). ---

STATIC_DEVIATIONS = (
    "8x8 digits from scikit-learn (1,078 train / 359 validation / 360 test images) "
    "instead of MNIST; the network is scaled to the 8x8 images: conv1 3x3x1x32 "
    "(plain), conv2 3x3x32x64 and conv3 3x3x64x64 generated, both from one "
    "generator of 3x3x16x16 basic kernels tiled 2x4 and 4x4 (the paper's tiling of "
    "§4.2), N_z = d = 8; batch normalisation after every convolution in both "
    "networks; 800 steps of batches of 64, the best-validation weights kept.",
    "Initialisation (the paper gives none): z ~ N(0, 1/T_in), W_i ~ N(0, 1/N_z), "
    "W_out ~ N(0, 2/(d f^2 N_in)), zero biases, so generated kernels start with He "
    "variance; small 0.01-scale weights left most runs at chance.",
)

DIGITS_STATIC = config_lib.HyperConvConfig(
    dataset="digits", channels=(32, 64, 64), kernel_size=3, pool_after=(0, 1, 1),
    plain_layers=1, batch_norm=True, basic_in=16, basic_out=16, embedding_size=8,
    batch_size=64, learning_rate=1e-2, baseline_learning_rate=3e-3, train_steps=800,
    validate_every=100, checkpoint_every=100, log_every=100,
    tuning_grid=(1e-3, 3e-3, 1e-2, 3e-2), num_seeds=3, claim_max_accuracy_drop=1.0,
    claim_min_kernel_param_ratio=4.0)

# The paper's MNIST network (§4.1): conv1 7x7x1x16 plain, conv2 7x7x16x16 generated
# with N_z = 4, then a dense layer over 7x7x16; Adam at 1e-3. Batches of 64 here.
MNIST_STATIC = config_lib.HyperConvConfig(
    dataset="mnist", channels=(16, 16), kernel_size=7, pool_after=(1, 1),
    plain_layers=1, basic_in=16, basic_out=16, embedding_size=4, batch_size=64,
    learning_rate=1e-3, baseline_learning_rate=1e-3, train_steps=20000,
    validate_every=1000, checkpoint_every=1000, log_every=100,
    tuning_grid=(3e-4, 1e-3, 3e-3), num_seeds=3, claim_max_accuracy_drop=0.1,
    claim_min_kernel_param_ratio=2.5)

registry.register(registry.ModelSpec(
    name="hypernetworks.digits_static",
    config=DIGITS_STATIC,
    build=convnet.build_convnet,
    train=train_static.train,
    evaluate=evaluate_static.evaluate,
    paper=PAPER,
    summary=("Convnet on 8x8 digits whose conv2/conv3 kernels a static hypernetwork "
             "generates from layer embeddings (shared W_out, tiled basic kernels)."),
    claim=("test accuracy at least the tuned plain convnet's minus 1 point (mean of "
           "3 seeds), with at least 4x fewer kernel parameters in the generated "
           "layers (the paper's MNIST claim in kind)."),
    deviations=STATIC_DEVIATIONS,
    smoke_loss=train_static.smoke_loss,
    actions={"tune": evaluate_static.tune},
))

registry.register(registry.ModelSpec(
    name="hypernetworks.mnist_static",
    config=MNIST_STATIC,
    build=convnet.build_convnet,
    train=train_static.train,
    evaluate=evaluate_static.evaluate,
    paper=PAPER,
    summary=("The paper's MNIST network (§4.1): conv2's 7x7x16x16 kernel generated "
             "with N_z = 4; needs a prepared TFDS `mnist` (no shipped checkpoint)."),
    claim=("the paper: 0.76% test error vs 0.72% for the plain network, with conv2's "
           "12,544 weights replaced by 4,244 (not run here: no MNIST offline)."),
    deviations=("Not trained or evaluated in the zoo: MNIST is not available offline. "
                "Train it where TFDS has `mnist` prepared (--mode=train).",),
    smoke_loss=train_static.smoke_loss,
    actions={"tune": evaluate_static.tune},
))

# --- HyperLSTM character language models (§3.2, §4.4). ---

LM_BASE = config_lib.CharLMConfig()

# Every language model trains for the same wall-time budget: train_steps is the
# budget divided by the model's seconds per training step. The LSTM-256's 0.30 s was
# measured alone; the others are it times their step-time ratio to the LSTM-256 in
# the shipped runs' own records (training time without validations, of runs that
# shared the machine at the same time): HyperLSTM 1.66x, LSTM-300 1.17x. The
# interleaved benchmark (`bazel run //models/hypernetworks:benchmark`) gives 1.7x
# (CPU time) to 1.9x (wall time, under load) for the HyperLSTM. The layer-normalised
# pair ran at another time: the LN-LSTM keeps the benchmark's 1.33x and the
# LN-HyperLSTM is 1.45x the LN-LSTM, from their concurrent runs' records.
LM_BUDGET_S = 360.0
LM_SECONDS_PER_STEP = {
    "pydoc_hyperlstm": 0.50,
    "pydoc_ln_hyperlstm": 0.58,
    "pydoc_lstm": 0.30,
    "pydoc_lstm_matched": 0.35,
    "pydoc_ln_lstm": 0.40,
}
LM_NAMES = tuple(f"hypernetworks.{v}" for v in LM_SECONDS_PER_STEP)

LM_DEVIATIONS = (
    "pydoc_chars (the installed CPython's pydoc topics, 375k train / 45k validation / "
    "45k test characters) instead of Penn Treebank or enwik8; 256 units instead of "
    "1000 (hyper cell 64, N_z 4), one layer, a 64-dimensional character embedding.",
    "Training is limited to an equal wall-time budget per model (the issue's "
    "comparison), not run to convergence as in the paper: each model's train_steps "
    "is the budget over its seconds per step (see LM_SECONDS_PER_STEP in "
    "registration.py), so that a run slowed by other processes is not penalised; "
    "each run's recorded training wall time is reported beside its results.",
    "Learning rate 4e-3 for every language model, picked on the validation split "
    "from {2e-3, 4e-3} at half the budget: HyperLSTM 1.892 -> 1.728 bpc (300 steps), "
    "LSTM-256 2.021 -> 1.731 bpc (600 steps); the layer-normalised and the "
    "parameter-matched models use the same rate without a search of their own.",
)


# The claim as the issue states it, and what the shipped checkpoints showed.
LM_CLAIM = (
    "validation bits per character below the LSTM of the same width and below the "
    "parameter-matched LSTM, each trained for the same wall time. Holds against the "
    "LSTM-256 (1.509 vs 1.525 bpc after 720 vs 1,200 steps, 1,349 s vs 1,399 s of "
    "training) but NOT against the LSTM-300 with as many parameters (1.489 after "
    "1,029 steps, 1,411 s): a HyperLSTM step costs 1.66x an LSTM-256 step on a CPU. "
    "After the same number of steps (the paper's setting) it is ahead of both: 1.512 "
    "vs 1.670 (LSTM-256) and 1.588 (LSTM-300) at step 700, from the recorded "
    "validation curves. The evaluation checks all four.")


def _lm_variant(key: str, **fields) -> config_lib.CharLMConfig:
  steps = int(round(LM_BUDGET_S / LM_SECONDS_PER_STEP[key]))
  return config_lib.CharLMConfig(train_steps=steps, train_budget_s=LM_BUDGET_S,
                                 **fields)


LM_VARIANTS = {
    "pydoc_hyperlstm": (
        _lm_variant("pydoc_hyperlstm", cell="hyperlstm",
                    compare_with=LM_NAMES,
                    claim_below=("hypernetworks.pydoc_lstm",
                                 "hypernetworks.pydoc_lstm_matched")),
        "HyperLSTM-256 character model (hyper cell 64, N_z 4) on pydoc_chars."),
    "pydoc_ln_hyperlstm": (
        _lm_variant("pydoc_ln_hyperlstm", cell="hyperlstm", layer_norm=True,
                    compare_with=("hypernetworks.pydoc_ln_lstm",)),
        "Layer-normalised HyperLSTM-256 character model on pydoc_chars."),
    "pydoc_lstm": (
        _lm_variant("pydoc_lstm", cell="lstm"),
        "Baseline: LSTM-256 character model (same width as the HyperLSTM)."),
    "pydoc_lstm_matched": (
        _lm_variant("pydoc_lstm_matched", cell="lstm", units=300),
        "Baseline: LSTM-300 character model (as many parameters as the HyperLSTM)."),
    "pydoc_ln_lstm": (
        _lm_variant("pydoc_ln_lstm", cell="lstm", layer_norm=True),
        "Baseline: layer-normalised LSTM-256 character model."),
}

for _key, (_config, _summary) in LM_VARIANTS.items():
  registry.register(registry.ModelSpec(
      name=f"hypernetworks.{_key}",
      config=_config,
      build=lm.build_lm,
      train=train_lm.train,
      evaluate=evaluate_lm.evaluate,
      paper=PAPER,
      summary=_summary,
      claim=(LM_CLAIM if _config.claim_below else
             "none asserted: compared in hypernetworks.pydoc_hyperlstm's evaluation."
             if _config.cell == "lstm" else
             "none asserted: reported beside the layer-normalised LSTM."),
      deviations=LM_DEVIATIONS,
      smoke_loss=train_lm.smoke_loss,
      actions={"sample": evaluate_lm.sample_action},
  ))
