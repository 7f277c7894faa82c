"""gato-collect's flags: what to roll, how, and where its dataset goes (rollouts.collect checks
them; rollouts.recording's loop reads them)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["CollectConfig"]


@dataclass
class CollectConfig:
    """Roll a policy on one task and record its episodes as a Minari dataset."""

    env: str
    """Task id (as ``envs.make`` builds it), e.g. ALE/Pong-v5, HalfCheetah-v5, or module:EnvId
    (imports module, which registers EnvId)."""
    out: Path
    """Output directory; a rerun with the same arguments resumes the collection in it."""
    env_kwargs: str | None = None
    """JSON object of keyword arguments for making the env, e.g. '{"reset_noise_scale": 0.2}'."""
    policy: str = "expert"
    """expert (the task's demonstrator), random, gato (the embedded checkpoint), gato:PATH (a
    checkpoint folder; also checkpoint:PATH), or module:callable (a function obs -> action, or an
    object with act(obs) and optional reset())."""
    as_task: str | None = None
    """A Gato checkpoint plays only the tasks it was trained on; --as-task T plays --env as its task T
    (a borrowed prompt and spaces, which must equal the env's)."""
    label: str | None = None
    """The policy whose action is recorded (same forms as --policy); default: the acting policy.
    ``--policy gato:PATH --label expert`` records the demonstrator's action in the states the
    checkpoint reaches (DAgger, Ross et al. 2011). The executed action is kept beside the label
    (``infos/executed_action``), so that training conditions on the actions the policy really took."""
    episodes: int = 10
    """Number of episodes to keep (episodes dropped by the return filter do not count)."""
    min_return: float | None = None
    """Keep only episodes whose return is at least this."""
    min_return_fraction: float | None = None
    """Keep only episodes at or above random + fraction * (demonstrator - random), from the
    demonstrator's measured mean and the reference random score (the paper keeps >= 0.8)."""
    seed: int = 0
    """Episode i is reset with seed + i (the random policy's action space is seeded alike)."""
    max_episode_steps: int | None = None
    """Optional cap on episode length, for quick looks and tests: the limit is the smaller of the
    task's own and this."""
    steps_after_success: int | None = None
    """End each episode this many steps after the first step whose ``info["success"]`` is true
    (recorded as a truncation), so that a scripted expert's episode is its approach, not hundreds
    of steps holding still after the task is done (Meta-World's 500-step episodes idle for most of
    their length). For envs that report ``info["success"]``; an episode that never succeeds runs to
    its end."""
    action_noise: float = 0.0
    """Noise executed on top of the policy's actions, while the dataset records the policy's own
    (noise-free) action as the label, so that behaviour cloning sees the states a slightly wrong
    policy reaches together with the action that corrects them (DART, Laskey et al. 2017): Box
    actions get Gaussian noise with this std as a fraction of each dimension's half-range (clipped
    to the bounds); discrete actions are replaced by a uniformly random one with this probability."""
    max_attempts: int | None = None
    """Give up after this many episodes in all (kept + dropped); default 10 x --episodes."""
    num_envs: int = 1
    """Episodes rolled side by side, each in its own env, the policies acting for all of them in one
    batch: a Gato's forward pass serves every env at once (a DAgger collection of Hopper or Breakout
    at 8 envs: 2.7x the steps per second of one; benchmarks/README.md, "Collection"). Episode i is still reset with seed + i and the journal still holds episodes in that
    order (an episode that ends before a lower one waits for it in memory: Ctrl-C or a crash loses
    it, and a rerun rolls it again). A Gato's batched actions may differ from --num-envs 1's in
    their last bits. Not part of the dataset's identity: a rerun may change it."""
    progress: bool = True
    """Show a progress bar (episodes, steps per second, mean return)."""
    device: str = "cpu"
    """Where a Gato policy acts: cpu, cuda, cuda:N or mps (one this machine lacks is a usage error)."""
    dtype: str = "float32"
    """The type a Gato policy's matrix products run in: float32, bfloat16 or float16."""
    debug: bool = False
    """Print the traceback of a failure too (without it, a bad input or a failed run is one line)."""
