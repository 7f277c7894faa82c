"""Meta-World (Yu et al. 2019), the 50 Sawyer-arm manipulation tasks, as ``Meta-World/<task>-v3``.

Built through the ``metaworld`` package (3.x, Gymnasium API; ``pip install 'gato-agent[metaworld]'``)
as its MT1 benchmark makes one task: ``gym.make("Meta-World/MT1", env_name="pick-place-v3",
seed=TASK_SET_SEED)``. The protocol:

- observations: 39 floats (hand, gripper, objects, the previous frame's, the goal); they can leave
  the declared Box (the arm reaches past it), so they are never clipped or rejected here;
- actions: ``Box(-1, 1, (4,))`` (hand displacement and gripper);
- 500 steps per episode (``max_path_length``), always run to the end: success does not end an
  episode (MT1's default), so returns of different policies are sums over the same 500 steps;
- the task's object and goal positions: one of MT1's 50 goal configurations, which
  ``TASK_SET_SEED`` fixes; each ``reset(seed=s)`` draws the configuration from ``s`` (metaworld's
  own ``reset`` ignores its seed and draws from whatever state its generator is in, so the
  :class:`SeededReset` wrapper seeds it first: episode ``k`` of gato-eval is the same every run);
- ``info["success"]`` is 1.0 on the steps where the task is achieved; gato-eval counts an episode
  a success when it is achieved at any step (the convention of the Meta-World benchmarks and JAT).

metaworld 3.1.1 pins mujoco 3.3.0; under mujoco 4, whose weld constraints carry 12 numbers instead
of 11, :func:`_patch_for_mujoco4` makes its mocap-weld reset write the first 11 (same layout).
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

__all__ = ["PREFIX", "EPISODE_STEPS", "TASK_SET_SEED", "SeededReset", "require_metaworld", "is_metaworld_id", "metaworld_ids",
           "metaworld_name", "make_metaworld"]

PREFIX = "Meta-World/"
EPISODE_STEPS = 500  # metaworld's max_path_length
TASK_SET_SEED = 0  # seeds MT1's 50 goal configurations of each task

# The 50 tasks of MT50 (metaworld's ALL_V3_ENVIRONMENTS), so ids are known without importing it.
TASKS: tuple[str, ...] = (
    "assembly", "basketball", "bin-picking", "box-close", "button-press-topdown",
    "button-press-topdown-wall", "button-press", "button-press-wall", "coffee-button", "coffee-pull",
    "coffee-push", "dial-turn", "disassemble", "door-close", "door-lock", "door-open", "door-unlock",
    "hand-insert", "drawer-close", "drawer-open", "faucet-open", "faucet-close", "hammer",
    "handle-press-side", "handle-press", "handle-pull-side", "handle-pull", "lever-pull",
    "pick-place-wall", "pick-out-of-hole", "pick-place", "plate-slide", "plate-slide-side",
    "plate-slide-back", "plate-slide-back-side", "peg-insert-side", "peg-unplug-side", "soccer",
    "stick-push", "stick-pull", "push", "push-wall", "push-back", "reach", "reach-wall", "shelf-place",
    "sweep-into", "sweep", "window-open", "window-close",
)


def require_metaworld():
    """Import metaworld (ImportError saying how to install it), adapt it to MuJoCo 4, and register
    the ``Meta-World/<task>-v3`` ids with Gymnasium."""
    try:
        import metaworld  # registers Meta-World/MT1
    except ImportError:
        raise ImportError("Meta-World needs the metaworld package: pip install 'gato-agent[metaworld]'") from None
    _patch_for_mujoco4()
    for task_id in metaworld_ids():
        if task_id not in gym.registry:  # an entry point by name, so the env's spec serializes (Minari)
            gym.register(task_id, entry_point="envs.metaworld:mt1", disable_env_checker=True,
                         kwargs={"env_name": metaworld_name(task_id), "seed": TASK_SET_SEED})
    return metaworld


def mt1(env_name: str, seed: int = TASK_SET_SEED, **kwargs: Any) -> gym.Env:
    """metaworld's MT1 env of one task (what ``gym.make("Meta-World/MT1", env_name=..., seed=...)``
    builds, without that id's spec, whose entry point is a lambda Minari cannot store), with
    :class:`SeededReset`: the entry point of the ``Meta-World/<task>-v3`` ids."""
    import metaworld

    return SeededReset(metaworld.make_mt_envs(env_name, seed=seed, **kwargs))


def _patch_for_mujoco4() -> None:
    """Make metaworld's mocap-weld reset fit MuJoCo 4's 12-number ``eq_data`` rows (a no-op on 3.x)."""
    import mujoco
    from metaworld.sawyer_xyz_env import SawyerMocapBase

    if mujoco.mjNEQDATA == 11 or getattr(SawyerMocapBase, "_gato_patched", False):
        return
    weld = np.array([0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -1.0, 0.0, 0.0, 0.0, 5.0])  # metaworld's values

    def reset_mocap_welds(self: Any) -> None:
        if self.model.nmocap > 0 and self.model.eq_data is not None:
            for i in range(self.model.eq_data.shape[0]):
                if self.model.eq_type[i] == mujoco.mjtEq.mjEQ_WELD:
                    self.model.eq_data[i, : weld.size] = weld

    SawyerMocapBase.reset_mocap_welds = reset_mocap_welds
    SawyerMocapBase._gato_patched = True


def is_metaworld_id(task_id: str) -> bool:
    """True for ``Meta-World/<task>-v3`` with one of the 50 tasks."""
    return metaworld_name(task_id) is not None


def metaworld_name(task_id: str) -> str | None:
    """metaworld's own name of the task (``pick-place-v3``), or None if not a Meta-World id."""
    if not (task_id.startswith(PREFIX) and task_id.endswith("-v3")):
        return None
    name = task_id[len(PREFIX):]
    return name if name[: -len("-v3")] in TASKS else None


def metaworld_ids() -> list[str]:
    """The 50 ``Meta-World/<task>-v3`` ids, in MT50's order."""
    return [f"{PREFIX}{task}-v3" for task in TASKS]


class SeededReset(gym.Wrapper):
    """Seeds metaworld's generator before each seeded reset, so ``reset(seed=s)`` picks the same
    goal configuration every time (metaworld's ``reset`` ignores ``seed``); drops the episode
    statistics of metaworld's own inner RecordEpisodeStatistics (the registry's outer one records them)."""

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[Any, dict]:
        if seed is not None:
            self.env.unwrapped.seed(seed)  # its np_random and its spaces
        return self.env.reset(seed=seed, options=options)

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict]:
        obs, reward, terminated, truncated, info = self.env.step(action)
        info.pop("episode", None)
        return obs, reward, terminated, truncated, info


def make_metaworld(
    task_id: str,
    render: bool = False,
    max_episode_steps: int | None = None,
    **overrides: Any,
) -> tuple[gym.Env, dict[str, Any]]:
    """Build ``Meta-World/<task>-v3`` under the protocol above.

    Args:
        task_id: a ``Meta-World/<task>-v3`` id.
        render: ``env.render()`` returns RGB frames (480x480, MuJoCo offscreen).
        max_episode_steps: optional cap in steps (below the 500 of the task).
        **overrides: keyword arguments of metaworld's MT1 builder (recorded as such).

    Returns:
        The env and the keyword arguments it was built with.
    """
    name = metaworld_name(task_id)
    if name is None:
        raise ValueError(f"{task_id!r} is not a Meta-World id; accepted: Meta-World/<task>-v3 with one of {', '.join(TASKS)}")
    require_metaworld()
    if render:
        from envs.mujoco import select_gl_backend

        select_gl_backend()
    kwargs = {"env_name": name, "seed": TASK_SET_SEED, **overrides}
    extra = {k: v for k, v in kwargs.items() if k != "env_name"}
    env = gym.make(task_id, render_mode="rgb_array" if render else None, max_episode_steps=max_episode_steps, **extra)
    return env, kwargs
