"""The registered SNAIL variants: few-shot glyph classification and bandits."""

from models.meta_rl import train as meta_train
from models.snail import bandit
from models.snail import bandit_evaluate
from models.snail import config as config_lib
from models.snail import evaluate
from models.snail import model
from models.snail import train
from zoo import registry

PAPER = ("Mishra, Rohaninejad, Chen, Abbeel. A Simple Neural Attentive Meta-Learner "
         "(SNAIL; first version: Meta-Learning with Temporal Convolutions, TCML). "
         "ICLR 2018 (arXiv 1707.03141).")

# CPU scale: a 32-channel embedding and a stack half the paper's width.
SMALL_BLOCKS = ("a32x16", "t64", "a128x64", "t64", "a256x128")

FEW_SHOT_DEVIATIONS = (
    "Data: Omniglot-like glyphs rendered from the Hershey stroke fonts (alphabet = "
    "font, 791 training / 96 validation / 228 test classes split by alphabet, 20 "
    "randomly distorted drawers each) instead of Omniglot's 1200 / 423 real "
    "characters, which the project does not ship; real Omniglot is evaluated only, "
    "with --omniglot_dir.",
    "Size: embedding of 4 conv blocks with 32 channels (paper: 64) and the SNAIL stack "
    "a32x16, t64, a128x64, t64, a256x128 (paper: a64x32, t128, a256x128, t128, "
    "a512x256), trained for a few thousand steps of 8 (5-way) or 4 (20-way) episodes on 2 CPU "
    "cores, "
    "orders of magnitude below the paper's budget.",
    "Each attention block's key projection is initialised equal to its query "
    "projection (the paper does not say; with independent random projections the "
    "stack stayed at chance for minutes here).",
    "Several queries per episode, each its own sequence after the same support set "
    "(exact for a causal model: one cached support pass serves them all).",
    "The ProtoNet baseline shares the checkpoint (`model.protonet`): same encoder, same "
    "episodes, same steps, its own Adam; its learning rate was not grid-tuned (1e-3, "
    "Snell et al.'s); its best-validation weights are kept, as SNAIL's are.",
)


def _aux_deviation(config) -> str:
  return (f"Training, not in the paper: {config.queries_per_class} queries per class "
          "(each its own sequence after the support set; the ProtoNet sees the same "
          "queries) and an auxiliary prototypical loss on SNAIL's own embedding, "
          f"weight {config.aux_protonet_weight:g} decaying linearly to 0 at step "
          f"{config.aux_protonet_steps} (`aux_protonet_weight`, `aux_protonet_steps`), "
          "so the embedding learns while the attention blocks learn to read it; from "
          f"step {config.aux_protonet_steps} on SNAIL trains on its own loss only. "
          "With one query per class and no auxiliary loss, the same steps left SNAIL "
          "further behind the ProtoNet.")


def _three_stages_deviation(override: str, steps: int, minutes: int, where: str,
                            last_steps: int, last_minutes: int) -> str:
  return ("Three stages, all recorded in the metadata (`parent` chain): 1, the "
          "registered config above; 2, `--mode=finetune` from stage 1's weights, SNAIL "
          "and the ProtoNet together, with `--params_override="
          f"{override}` ({steps} more steps, {minutes} minutes on 2 cores {where}); 3, "
          "`--mode=finetune` from stage 2's weights with `--params_override="
          f"lr_schedule=cosine,train_steps={last_steps}`: both learning rates decay by "
          f"a cosine from 5e-4 to 5e-5 ({last_steps} more steps, {last_minutes} "
          "minutes). Both models saw the same episodes for the same steps in every "
          "stage.")


def _register_few_shot(name, config, summary, claim, deviations):
  registry.register(registry.ModelSpec(
      name=name, config=config, build=model.build_from_config, train=train.train,
      evaluate=evaluate.evaluate, paper=PAPER, summary=summary, claim=claim,
      deviations=deviations, smoke_loss=train.smoke_loss))


GLYPHS_5WAY = config_lib.FewShotConfig(
    way=5, embedding_filters=32, blocks=SMALL_BLOCKS, batch_episodes=8,
    queries_per_class=3, learning_rate=1e-3, train_steps=6000, validate_every=200,
    num_validation_episodes=300, aux_protonet_weight=1.0, aux_protonet_steps=3000,
    claim_min_margin=0.0)

_register_few_shot(
    name="snail.glyphs_5way",
    config=GLYPHS_5WAY,
    summary=("SNAIL (TC + causal attention blocks over a 4-block conv embedding), "
             "5-way few-shot classification of Hershey glyphs, K = 1..5."),
    claim=("on 1000 5-way 1-shot and 1000 5-shot episodes of the glyph test alphabets, "
           "SNAIL's accuracy is above the same-budget ProtoNet's (the paired 95% "
           "interval of the difference above 0)."),
    deviations=FEW_SHOT_DEVIATIONS + (
        _aux_deviation(GLYPHS_5WAY),
        _three_stages_deviation("aux_protonet_weight=0,learning_rate=5e-4,"
                                "baseline_learning_rate=5e-4,train_steps=6000", 6000,
                                38, "shared with another training run", 3000, 13),
        "Not reproduced at our budget: after 15000 steps in all (73 minutes on 2 "
        "cores) SNAIL reaches 98.76% (1-shot) and 99.46% (5-shot) on the glyph test "
        "alphabets against the same-budget ProtoNet's 99.02% and 99.66% (1000 "
        "episodes each, seed 0; paired differences with 95% intervals -0.26 ± 0.32 "
        "and -0.20 ± 0.19 points), and 91.42% / 97.12% against 90.68% / 97.38% on "
        "real Omniglot characters (small background sets; differences +0.74 ± 0.81 "
        "and -0.26 ± 0.48, within noise). Best validation error (300 episodes, half "
        "1-shot, half 5-shot; the `training` record below): SNAIL 0.4% at step 2800 "
        "of stage 3 (the weights kept), the ProtoNet 0.5%, level within the noise of "
        "300 episodes. After stage 1 alone SNAIL was 1.02 points behind at 1-shot; "
        "after stage 2 alone SNAIL was 0.42 points behind at 1-shot (the `parent` "
        "records' claims): the cosine decay of stage 3 narrowed the gap but did not "
        "close it. The paper's SNAIL numbers come from a far larger budget on real "
        "Omniglot.",),
)

GLYPHS_20WAY = config_lib.FewShotConfig(
    way=20, embedding_filters=32, blocks=SMALL_BLOCKS, batch_episodes=4,
    queries_per_class=2, learning_rate=1e-3, train_steps=3500, validate_every=250,
    num_validation_episodes=200, aux_protonet_weight=1.0, aux_protonet_steps=1750,
    claim_min_margin=0.0)

_register_few_shot(
    name="snail.glyphs_20way",
    config=GLYPHS_20WAY,
    summary=("SNAIL, 20-way few-shot classification of Hershey glyphs, K = 1..5; "
             "also scored on Lake et al.'s 20 official one-shot runs."),
    claim=("on 1000 20-way 1-shot and 1000 5-shot episodes of the glyph test "
           "alphabets, SNAIL's accuracy is above the same-budget ProtoNet's (the "
           "paired 95% interval of the difference above 0)."),
    deviations=FEW_SHOT_DEVIATIONS + (
        "20-way: 4 episodes per step (T = 101) and fewer steps than the 5-way model.",
        _aux_deviation(GLYPHS_20WAY),
        _three_stages_deviation("aux_protonet_weight=0,learning_rate=5e-4,"
                                "baseline_learning_rate=5e-4,train_steps=3500", 3500,
                                25, "shared with test runs for its first minutes", 1750,
                                14),
        "Not reproduced at our budget: after 8750 steps in all (63 minutes on 2 "
        "cores) SNAIL reaches 95.96% (1-shot) and 98.31% (5-shot) on the glyph test "
        "alphabets against the same-budget ProtoNet's 96.74% and 99.08% (1000 "
        "episodes each, seed 0; paired differences with 95% intervals -0.78 ± 0.28 and "
        "-0.77 ± 0.17 points); on real Omniglot 75.71% / 88.63% against 77.04% / "
        "90.87%, and 65.3% against 69.0% on Lake et al.'s 20 official runs "
        "(people: 95.5%). Best validation error (200 episodes): SNAIL 4.0% at step "
        "1250 of stage 3 (the weights kept), the ProtoNet 3.0%. After stage 1 "
        "alone SNAIL was 3.40 points behind at 1-shot; after stage 2 alone SNAIL was "
        "2.43 points behind at 1-shot (the `parent` records' claims).",),
)

BANDIT_DEVIATIONS = (
    "Trained with the meta-RL package's PPO learner (clipped surrogate, 3 epochs per "
    "batch of 256 trials, GAE over whole trials, gamma 1 (the trial's undiscounted "
    "return), lambda 1) instead of the paper's TRPO with GAE; Adam with a cosine "
    "learning-rate decay.",
    "Inputs: one-hot previous action and previous reward (as the paper); the stacks "
    "are the paper's sizes (Linear 32; policy TC(T,32), TC(T,32), Attn(32,32); value "
    "TC(T,16), TC(T,16), Attn(16,16)), with small initial policy logits.",
    "Far fewer environment steps than the paper (minutes on 2 CPU cores); the "
    "weights with the best validation reward are kept.",
)

_BANDIT = dict(env_kind="bandit", num_arms=5, algorithm="ppo", batch_size=256,
               lr_schedule="cosine", ppo_epochs=3, learning_rate=1e-3, gamma=0.9,
               validate_every=100, num_validation_tasks=500)

BANDIT_K5_N100 = bandit.SnailBanditConfig(
    num_pulls=100, claim_max_below_gittins=2.0, **dict(
        _BANDIT, algorithm="a2c", ppo_epochs=1, batch_size=64, entropy_coef=0.1,
        entropy_final=0.0, train_steps=1000, num_validation_tasks=300))
BANDIT_K5_N10 = bandit.SnailBanditConfig(
    num_pulls=10, claim_paper_value=6.6, claim_paper_tolerance=0.2, **dict(
        _BANDIT, gamma=1.0, train_steps=2000, num_validation_tasks=2000))

N100_RESULT = (
    "Trained with the meta-RL package's learner as A2C (one gradient step per batch "
    "of 64 trials, GAE over whole trials, gamma 0.9 in stages 1 and 2 below, "
    "lambda 1; Adam with a cosine "
    "learning-rate decay) instead of the paper's TRPO, on 64 trials per step rather "
    "than 256: on 256 trials of 100 pulls a step of the paper-size stacks took about "
    "7 s here (0.14 steps/s in the train command's log, with another training beside "
    "it).",
    "Three stages, all recorded in the metadata (`parent` chain). 1: the registered "
    "config, entropy weight 0.1 decaying linearly to 0, 1000 steps (64,000 trials, "
    "6.4M pulls; 40 minutes on 2 cores shared with other runs; best validation "
    "reward 76.3 at step 900), 75.56 on the test bandits (2.69 ± 0.30 below "
    "Gittins). 2: `--mode=finetune` from stage 1's best weights with "
    "`--params_override=entropy_coef=0.03,learning_rate=5e-4,train_steps=1000` "
    "(another 6.4M pulls, 21 minutes; best validation reward 77.1 at step 800), "
    "76.64 on the test bandits (1.60 ± 0.27 below Gittins). 3: `--mode=finetune` "
    "from stage 2's weights at gamma 1, the trial's undiscounted total, with "
    "`--params_override=gamma=1.0,reward_scale=0.1,train_reward=expected,"
    "learning_rate=3e-4,entropy_coef=0.01,train_steps=800,validate_every=100,"
    "num_validation_tasks=500` (another 5.1M pulls, 23 minutes on 2 cores shared "
    "with another training run; best validation reward (500 bandits, expected "
    "reward) 76.436 at step 700, the weights shipped). `train_reward=expected` trains "
    "on E[r | arm, task] in place of the sampled reward (the same policy gradient "
    "in expectation, without the reward noise); the returns are scaled by 0.1 so "
    "that the undiscounted value targets (up to 100) stay small.",
    "Measured (seed 0, 1000 held-out bandits; ± one standard error): 76.88 ± 0.54 "
    "against the tuned "
    "Gittins policy's 78.22 (paired -1.34 ± 0.25), UCB1's 78.25 and Thompson "
    "sampling's 74.71 (paired +2.16 ± 0.22); the claim (within 2 of Gittins) holds. "
    "The paper's SNAIL scored 79.1. The RL^2 GRU (`rl2.bandit_k5_n100`) reached "
    "77.4 after 128M pulls, 7 times as many as this SNAIL's 17.9M.",)

N10_RESULT = (
    "2000 steps (5.1M pulls; 19 minutes on 2 cores shared with another training run); "
    "best validation reward (2000 bandits) 6.652 at step 1600, the weights shipped. "
    "Trained at gamma 0.9 for the same steps, SNAIL stayed further below the tuned "
    "Gittins policy; 600 steps at gamma 0.9 (the first checkpoint) left it at the "
    "claim's bound.",
    "Measured (seed 0, 1000 held-out bandits): 6.57 ± 0.07 (s.e.) against the tuned "
    "Gittins policy's 6.68 (paired -0.10 ± 0.06) and Thompson sampling's 5.81; the "
    "paper's SNAIL matched Gittins (6.6). The claim (within 0.2 of 6.6) holds with "
    "0.17 to spare, about 2.4 standard errors of a block of 1000 bandits.",)

for _name, _cfg, _summary, _claim, _deviations in (
    ("snail.bandit_k5_n100", BANDIT_K5_N100,
     "SNAIL agent (TC + attention over the trial) on 5-armed Bernoulli bandits, 100 "
     "pulls.",
     "on 1000 held-out bandits (the meta-RL evaluation's), mean total reward within 2 "
     "of the tuned Gittins index policy's (paper: 79.1 against 78.3). Reproduced by "
     "the shipped checkpoint: 76.88, 1.34 ± 0.25 below Gittins' 78.22.",
     BANDIT_DEVIATIONS[1:] + N100_RESULT),
    ("snail.bandit_k5_n10", BANDIT_K5_N10,
     "SNAIL agent on 5-armed Bernoulli bandits, 10 pulls.",
     "on 1000 held-out bandits, mean total reward within 0.2 of the paper's 6.6.",
     BANDIT_DEVIATIONS + N10_RESULT),
):
  registry.register(registry.ModelSpec(
      name=_name, config=_cfg, build=bandit.build_from_config, train=meta_train.train,
      evaluate=bandit_evaluate.evaluate, paper=PAPER, summary=_summary, claim=_claim,
      deviations=_deviations, smoke_loss=meta_train.smoke_loss))
