"""Demonstrators for the tasks of the ``default`` suite, by task id.

====================================  =============================================================
task                                  demonstrator
====================================  =============================================================
``ALE/Breakout-v5``                   RAM-scripted: paddle to the ball's predicted landing point
``ALE/Pong-v5``                       RAM-scripted: paddle to the ball's predicted crossing point
``ALE/Boxing-v5``                     RAM-scripted: one arm's reach beside the opponent, punching
``ALE/Freeway-v5``                    RAM-scripted: cross when no car reaches the chicken soon
``ALE/Bowling-v5``                    RAM-scripted: one curve ball, steered at a fixed ball x
``InvertedPendulum-v5``               LQR from the model's finite-difference linearization
``InvertedDoublePendulum-v5``         LQR from the model's finite-difference linearization
``Reacher-v5``                        Jacobian-transpose spring-damper on the fingertip
``HalfCheetah-v5``, ``Hopper-v5``,    linear policies trained by ARS (``envs.demonstrators.ars``)
``Swimmer-v5``, ``Pusher-v5``, ``Ant-v5``,
``Walker2d-v5``
``BabyAI-*`` (every level)            BabyAI's own planning bot (``minigrid.utils.baby_ai_bot``)
``Meta-World/<task>-v3`` (all 50)     Meta-World's scripted policy (``metaworld.policies``)
====================================  =============================================================

Every demonstrator acts on what ``envs.make(task_id)`` returns: ``demo.reset(env)`` after each
``env.reset``, then ``demo.act(obs, env)`` per step (see :mod:`envs.demonstrators.base`). Scores
are measured by ``python -m envs.demonstrators.score``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from envs.demonstrators.atari import (
    BowlingDemonstrator,
    BoxingDemonstrator,
    BreakoutDemonstrator,
    FreewayDemonstrator,
    PongDemonstrator,
)
from envs.demonstrators.babyai import BabyAIDemonstrator
from envs.demonstrators.base import BoundDemonstrator, Demonstrator, perturb
from envs.demonstrators.control import LQRDemonstrator, ReacherDemonstrator
from envs.demonstrators.linear import LinearDemonstrator, LinearPolicy
from envs.metaworld import is_metaworld_id

__all__ = [
    "ASSETS",
    "DEMONSTRATOR_SCORES",
    "BoundDemonstrator",
    "Demonstrator",
    "LinearPolicy",
    "demonstrator_ids",
    "get_demonstrator",
    "has_demonstrator",
    "perturb",
]

# Committed weights of the learned demonstrators, one ``<task>.npz`` (and its ``.csv`` curve) each.
ASSETS = Path(__file__).resolve().parent.parent / "assets" / "demonstrators"

_FACTORIES: dict[str, Callable[[], Demonstrator]] = {
    "ALE/Breakout-v5": BreakoutDemonstrator,
    "ALE/Pong-v5": PongDemonstrator,
    "ALE/Boxing-v5": BoxingDemonstrator,
    "ALE/Freeway-v5": FreewayDemonstrator,
    "ALE/Bowling-v5": BowlingDemonstrator,
    # State costs on [qpos, qvel]; the control cost keeps the force inside its range.
    "InvertedPendulum-v5": lambda: LQRDemonstrator(
        "InvertedPendulum-v5", q_diag=(1.0, 1.0, 0.1, 0.1), r=1.0
    ),
    "InvertedDoublePendulum-v5": lambda: LQRDemonstrator(
        "InvertedDoublePendulum-v5", q_diag=(1.0, 10.0, 10.0, 0.1, 0.1, 0.1), r=1.0
    ),
    # Gains tuned on 60 episodes with seeds 1000..1059 (scores are measured on seeds 0..49).
    "Reacher-v5": lambda: ReacherDemonstrator(kp=25.0, kd=2.0),
    "HalfCheetah-v5": lambda: LinearDemonstrator("HalfCheetah-v5", ASSETS / "HalfCheetah-v5.npz"),
    "Hopper-v5": lambda: LinearDemonstrator("Hopper-v5", ASSETS / "Hopper-v5.npz"),
    "Swimmer-v5": lambda: LinearDemonstrator("Swimmer-v5", ASSETS / "Swimmer-v5.npz"),
    "Pusher-v5": lambda: LinearDemonstrator("Pusher-v5", ASSETS / "Pusher-v5.npz"),
    "Ant-v5": lambda: LinearDemonstrator("Ant-v5", ASSETS / "Ant-v5.npz"),
    # A weak walker: ARS plateaued near 900 after 14.4M steps (docs/demonstrators.md).
    "Walker2d-v5": lambda: LinearDemonstrator("Walker2d-v5", ASSETS / "Walker2d-v5.npz"),
}
_BABYAI = "BabyAI-"  # every BabyAI level has the bot as its demonstrator
_METAWORLD = "Meta-World/<task>-v3"  # every Meta-World task has its scripted policy


# Mean return of each demonstrator over 50 episodes (seeds 0..49) of ``envs.make``, measured with
# ``python -m envs.demonstrators.score --env <task> --episodes 50``; gato-collect's
# ``--min-return-fraction`` is relative to these.
DEMONSTRATOR_SCORES: dict[str, float] = {
    "ALE/Breakout-v5": 421.6,  # std 110.2
    "ALE/Pong-v5": 15.6,  # std 3.0; 4 of 50 games reach the 27,000-step cap
    "ALE/Boxing-v5": 70.7,  # std 9.3; human 12.1, every bout won (lowest 45)
    "ALE/Freeway-v5": 32.0,  # std 0.0; human 29.6
    "ALE/Bowling-v5": 176.2,  # std 7.6; human 160.7
    "InvertedPendulum-v5": 1000.0,  # std 0.0
    "InvertedDoublePendulum-v5": 9359.9,  # std 0.2
    "Reacher-v5": -4.7,  # std 2.0
    "HalfCheetah-v5": 5455.5,  # std 1170.8; 3 of 50 episodes flip over (return < 3000)
    "Hopper-v5": 3231.4,  # std 62.2
    "Swimmer-v5": 356.3,  # std 2.3
    "Pusher-v5": -41.4,  # std 7.0
    "Ant-v5": 3335.6,  # std 519.3
    "Walker2d-v5": 957.6,  # std 60.0; a weak walker (JAT expert 4631.2)
    # BabyAI's bot, 500 episodes (seeds 0..499): it succeeds in every one (return > 0)
    "BabyAI-GoToRedBall-v0": 0.927,  # std 0.040, 5.2 steps per episode
    "BabyAI-GoToLocal-v0": 0.926,  # std 0.042, 5.3 steps per episode
    "BabyAI-GoToRedBallGrey-v0": 0.919,  # std 0.043
    "BabyAI-GoToRedBallNoDists-v0": 0.931,  # std 0.029
    "BabyAI-GoToObj-v0": 0.931,  # std 0.031
    "BabyAI-GoToObjDoor-v0": 0.991,  # std 0.005
    "BabyAI-GoToRedBlueBall-v0": 0.917,  # std 0.045
    "BabyAI-GoToDoor-v0": 0.989,  # std 0.005
    "BabyAI-OpenRedDoor-v0": 0.916,  # std 0.028
    "BabyAI-OneRoomS8-v0": 0.920,  # std 0.035
    # Meta-World's scripted policies, 10 episodes a task (seeds 0..9, 500 steps each), measured with
    # ``gato-eval --suite metaworld --policy expert --episodes 10 --num-envs 10`` (mean success 98%)
    "Meta-World/assembly-v3": 4308.5,  # std 38.1, success 100%
    "Meta-World/basketball-v3": 3937.7,  # std 650.4, success 100%
    "Meta-World/bin-picking-v3": 3644.3,  # std 534.0, success 100%
    "Meta-World/box-close-v3": 2352.6,  # std 1244.0, success 100%
    "Meta-World/button-press-topdown-v3": 3621.5,  # std 277.2, success 100%
    "Meta-World/button-press-topdown-wall-v3": 2099.7,  # std 136.5, success 100%
    "Meta-World/button-press-v3": 438.9,  # std 13.8, success 100%
    "Meta-World/button-press-wall-v3": 3728.1,  # std 299.5, success 100%
    "Meta-World/coffee-button-v3": 505.6,  # std 16.4, success 100%
    "Meta-World/coffee-pull-v3": 4257.5,  # std 32.6, success 100%
    "Meta-World/coffee-push-v3": 2637.8,  # std 1797.8, success 100%
    "Meta-World/dial-turn-v3": 4010.1,  # std 139.2, success 100%
    "Meta-World/disassemble-v3": 3800.3,  # std 392.2, success 100%
    "Meta-World/door-close-v3": 4468.6,  # std 41.8, success 100%
    "Meta-World/door-lock-v3": 3484.0,  # std 48.9, success 100%
    "Meta-World/door-open-v3": 4472.3,  # std 106.8, success 100%
    "Meta-World/door-unlock-v3": 4414.9,  # std 24.0, success 100%
    "Meta-World/hand-insert-v3": 4452.2,  # std 340.5, success 90%
    "Meta-World/drawer-close-v3": 4243.4,  # std 19.5, success 100%
    "Meta-World/drawer-open-v3": 4034.3,  # std 33.4, success 100%
    "Meta-World/faucet-open-v3": 4100.7,  # std 116.8, success 100%
    "Meta-World/faucet-close-v3": 3767.9,  # std 423.4, success 100%
    "Meta-World/hammer-v3": 2659.1,  # std 493.9, success 100%
    "Meta-World/handle-press-side-v3": 1033.8,  # std 105.2, success 100%
    "Meta-World/handle-press-v3": 1311.9,  # std 134.5, success 100%
    "Meta-World/handle-pull-side-v3": 3044.7,  # std 230.2, success 100%
    "Meta-World/handle-pull-v3": 4014.8,  # std 82.5, success 100%
    "Meta-World/lever-pull-v3": 645.6,  # std 200.8, success 100%
    "Meta-World/pick-place-wall-v3": 3974.6,  # std 1168.2, success 100%
    "Meta-World/pick-out-of-hole-v3": 3920.4,  # std 50.2, success 100%
    "Meta-World/pick-place-v3": 4524.5,  # std 43.0, success 100%
    "Meta-World/plate-slide-v3": 4608.8,  # std 15.2, success 100%
    "Meta-World/plate-slide-side-v3": 3891.9,  # std 454.2, success 100%
    "Meta-World/plate-slide-back-v3": 1124.6,  # std 67.1, success 100%
    "Meta-World/plate-slide-back-side-v3": 1157.5,  # std 586.5, success 100%
    "Meta-World/peg-insert-side-v3": 3345.6,  # std 1544.3, success 80%
    "Meta-World/peg-unplug-side-v3": 1194.8,  # std 207.4, success 100%
    "Meta-World/soccer-v3": 2352.9,  # std 1183.3, success 80%
    "Meta-World/stick-push-v3": 826.8,  # std 19.5, success 100%
    "Meta-World/stick-pull-v3": 560.4,  # std 386.9, success 90%
    "Meta-World/push-v3": 3840.9,  # std 1095.4, success 100%
    "Meta-World/push-wall-v3": 4449.1,  # std 48.8, success 100%
    "Meta-World/push-back-v3": 628.2,  # std 875.7, success 100%
    "Meta-World/reach-v3": 4832.9,  # std 25.4, success 100%
    "Meta-World/reach-wall-v3": 4814.9,  # std 32.7, success 100%
    "Meta-World/shelf-place-v3": 1981.4,  # std 1221.5, success 70%
    "Meta-World/sweep-into-v3": 2308.6,  # std 1834.7, success 90%
    "Meta-World/sweep-v3": 4372.1,  # std 64.3, success 100%
    "Meta-World/window-open-v3": 2189.4,  # std 330.4, success 100%
    "Meta-World/window-close-v3": 3633.7,  # std 91.1, success 100%
}


def demonstrator_ids() -> list[str]:
    """The task ids that have a demonstrator (``BabyAI-*`` stands for every BabyAI level)."""
    return [*_FACTORIES, f"{_BABYAI}*", _METAWORLD]


def has_demonstrator(task_id: str) -> bool:
    """True when :func:`get_demonstrator` serves ``task_id`` (every ``BabyAI-*`` level and Meta-World
    task included)."""
    return task_id in _FACTORIES or task_id.startswith(_BABYAI) or is_metaworld_id(task_id)


def get_demonstrator(task_id: str) -> Demonstrator:
    """A fresh demonstrator for ``task_id``; ValueError naming the supported ids otherwise."""
    if not has_demonstrator(task_id):
        raise ValueError(
            f"no demonstrator for {task_id!r}; demonstrators exist for: "
            f"{', '.join(demonstrator_ids())}"
        )
    if task_id.startswith(_BABYAI):
        return BabyAIDemonstrator(task_id)
    if is_metaworld_id(task_id):
        from envs.demonstrators.metaworld import MetaWorldDemonstrator  # needs the metaworld extra

        return MetaWorldDemonstrator(task_id)
    return _FACTORIES[task_id]()
