"""Behaviour-cloning data: Minari episodes -> Gato token sequences of whole timesteps [2.3].

Each dataset is one task. Its episodes are tokenized once, at load: ids (T, step_tokens) with the
observation tokens, the separator and the action tokens of every timestep, and the episode's
images resized to the model's size as uint8 (patches are made per batch, so memory stays at
H x W x C bytes a frame). A sequence is `context_length // step_tokens` whole timesteps of one
episode; with probability `prompt_prob` its first half is a demonstration of the same task,
taken from an episode's end or from anywhere with equal odds [2.3]. Tasks are drawn by weight,
episodes by length, windows uniformly.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from gato_agent.config import GatoConfig
from gato_agent.space_checks import check_actions
from gato_agent.spaces import ActionCodec, ObservationCodec, slice_time
from gato_agent.tokenizer import TokenBatch

__all__ = ["Episode", "TaskData", "Batch", "SequenceSampler", "load_task", "merge_tasks", "open_minari"]


@dataclass
class Episode:
    ids: np.ndarray  # (T, step_tokens) int32; patch slots hold 0; action slots hold the labels
    images: np.ndarray  # (T, num_images, C, H, W) uint8, resized to the model's image size; one frame a
    # step (the model's frame stacks are made per batch, so memory stays at one frame a step)
    ret: float  # the episode's return
    executed: np.ndarray | None = None  # (T, action tokens) int32: the actions env.step received
    # where they may differ from the labels (DAgger, DART); None: the labels were executed

    def inputs(self, t0: int, t1: int) -> np.ndarray:
        """Steps [t0, t1) as the model reads them, (t1 - t0, step_tokens): the executed actions in
        the action slots, so the history is the one the acting policy saw."""
        ids = self.ids[t0:t1]
        if self.executed is None:
            return ids
        ids = ids.copy()
        ids[:, ids.shape[1] - self.executed.shape[1]:] = self.executed[t0:t1]
        return ids


@dataclass
class TaskData:
    """One task's tokenized episodes and the fixed layout of its timesteps."""

    name: str  # the env id
    source: str  # where the episodes came from
    obs_codec: ObservationCodec
    act_codec: ActionCodec
    episodes: list[Episode]
    episode_p: np.ndarray | None = None  # (episodes,) chance of drawing each; default: by length

    def __post_init__(self) -> None:
        n_obs, n_act = self.obs_codec.num_tokens, self.act_codec.num_tokens
        self.step_tokens = n_obs + 1 + n_act
        zeros = np.zeros(1 + n_act, dtype=np.int64)
        self.local_pos = np.concatenate([self.obs_codec.local_pos.numpy(), zeros])  # (step,)
        self.patch_mask = np.concatenate([self.obs_codec.patch_mask.numpy(), zeros.astype(bool)])  # (step,)
        self.is_action = np.arange(self.step_tokens) > n_obs  # (step,)
        self.lo = np.zeros(self.step_tokens, dtype=np.int64)
        self.hi = np.zeros(self.step_tokens, dtype=np.int64)
        for d, (lo, hi) in enumerate(self.act_codec.ranges):
            self.lo[n_obs + 1 + d], self.hi[n_obs + 1 + d] = lo, hi
        self.lengths = np.array([len(e.ids) for e in self.episodes])
        if self.episode_p is None:
            self.episode_p = self.lengths / self.lengths.sum()

    @property
    def num_steps(self) -> int:
        return int(self.lengths.sum())

    def prompt(self, max_tokens: int) -> TokenBatch:
        """The end of the best episode, as many whole timesteps as fit in `max_tokens` [2.4]."""
        best = max(self.episodes, key=lambda e: e.ret)
        k = min(len(best.ids), max_tokens // self.step_tokens)
        t = len(best.ids)
        return self._tokens([(best, t - k, t)], k * self.step_tokens)[0]

    def _tokens(self, segments: list[tuple[Episode, int, int]], length: int) -> tuple[TokenBatch, Tensor, Tensor, Tensor]:
        """Concatenated segments padded to `length`: TokenBatch (1, length), targets, lo, hi (1, length)."""
        steps = sum(t1 - t0 for _, t0, t1 in segments)
        used = steps * self.step_tokens
        ids = np.zeros(length, dtype=np.int64)  # model inputs
        ids[:used] = np.concatenate([e.inputs(t0, t1).reshape(-1) for e, t0, t1 in segments])
        labels = np.zeros(length, dtype=np.int64)
        labels[:used] = np.concatenate([e.ids[t0:t1].reshape(-1) for e, t0, t1 in segments])
        pad = lambda a, fill: np.concatenate([np.tile(a, steps), np.full(length - used, fill, dtype=a.dtype)])
        is_action = pad(self.is_action, False)
        images = torch.cat([self.obs_codec.stack(torch.from_numpy(e.images), t0, t1) for e, t0, t1 in segments])
        patches = self.obs_codec.patches(images)  # (steps * num_patches, patch_channels, p, p)
        tokens = TokenBatch(
            torch.from_numpy(ids)[None],
            torch.from_numpy(pad(self.local_pos, 0))[None],
            torch.from_numpy(pad(self.patch_mask, False))[None],
            patches,
            self.obs_codec.patch_idx[: self.obs_codec.num_patches].repeat(steps),
        )
        targets = torch.from_numpy(np.where(is_action, labels, -1))[None]
        return tokens, targets, torch.from_numpy(pad(self.lo, 0))[None], torch.from_numpy(pad(self.hi, 0))[None]


def open_minari(source: str | os.PathLike):
    """A Minari dataset from a folder (gato-collect's --out, or a Minari data folder) or a dataset id."""
    import minari

    path = Path(source)
    for candidate in (path / "data", path):
        if (candidate / "main_data.hdf5").is_file() and (candidate / "metadata.json").is_file():
            try:
                return minari.MinariDataset(str(candidate))
            except (OSError, ValueError, KeyError, TypeError) as e:  # metadata.json not JSON, spaces that do not parse
                raise ValueError(f"dataset {source}: {candidate / 'metadata.json'} cannot be read ({_first_line(e)})") from None
    if path.exists():
        raise FileNotFoundError(
            f"{source} holds no Minari dataset (expected main_data.hdf5 and metadata.json in it or in {source}/data)"
        )
    try:
        return minari.load_dataset(str(source))
    except Exception as e:  # minari raises several types for an unknown id
        raise FileNotFoundError(
            f"no Minari dataset at {source!r}: neither a folder nor a local dataset id ({type(e).__name__}: {e})"
        ) from None


def load_task(
    source: str | os.PathLike, config: GatoConfig, name: str | None = None, executed_actions: bool = True
) -> TaskData:
    """Load and tokenize every episode of a Minari dataset as one task.

    The recorded actions are the training targets. Where an episode also records the actions that
    were executed (``infos["executed_action"]``, as gato-collect writes under --label and
    --action-noise) and `executed_actions` is true, those are the history the model reads:
    at run time the agent's context holds its own actions, not a demonstrator's.
    """
    dataset = open_minari(source)
    env_spec = dataset.spec.env_spec
    task = name or (env_spec.id if env_spec is not None else dataset.spec.dataset_id)
    try:
        obs_codec = ObservationCodec(dataset.observation_space, config)
        act_codec = ActionCodec(dataset.action_space, config)
    except (TypeError, ValueError) as e:
        raise ValueError(f"dataset {source} ({task}) cannot be tokenized: {e}") from None
    episodes: list[Episode] = []
    try:
        for ep in dataset.iterate_episodes():
            _add_episode(episodes, ep, f"dataset {source} ({task}), episode {ep.id}", dataset.action_space, obs_codec, act_codec,
                         config, executed_actions)
    except OSError as e:  # h5py: a corrupt or truncated file
        raise ValueError(f"dataset {source} ({task}): its main_data.hdf5 cannot be read ({_first_line(e)}); "
                         "copy or collect it again") from None
    if not episodes:
        raise ValueError(f"dataset {source} ({task}) has no episodes with at least one step")
    data = TaskData(task, str(source), obs_codec, act_codec, episodes)
    if data.step_tokens > config.context_length:
        raise ValueError(f"{task}: one timestep is {data.step_tokens} tokens, more than the context of {config.context_length}")
    return data


def _add_episode(episodes: list[Episode], ep: Any, where: str, action_space: Any, obs_codec: ObservationCodec,
                 act_codec: ActionCodec, config: GatoConfig, executed_actions: bool) -> None:
    """Tokenize one Minari episode (skipped when it has no step) onto `episodes`; ValueError
    prefixed with `where` (dataset, task, episode) for what cannot be."""
    steps = len(ep.actions)
    if steps == 0:
        return
    check_actions(ep.actions, action_space, steps, where)
    try:
        obs_ids, images = obs_codec.tokenize(slice_time(ep.observations, steps), steps)
        act_ids = act_codec.encode(ep.actions, steps)
    except ValueError as e:
        raise ValueError(f"{where}: {e}") from None
    sep = torch.full((steps, 1), config.separator_id, dtype=torch.long)
    ids = torch.cat([obs_ids, sep, act_ids], 1).to(torch.int32).numpy()
    executed = (ep.infos or {}).get("executed_action") if executed_actions else None
    if executed is not None:
        if len(executed) != steps:
            raise ValueError(f"{where}: {len(executed)} executed actions for {steps} steps "
                             "(infos['executed_action'] must align with the actions)")
        check_actions(executed, action_space, steps, f"{where}, infos['executed_action']")
        executed = act_codec.encode(executed, steps).to(torch.int32).numpy()
    episodes.append(Episode(ids, images.numpy(), float(np.sum(ep.rewards)), executed))


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__


def merge_tasks(tasks: list[TaskData], weights: list[float] | None) -> tuple[list[TaskData], list[float]]:
    """Datasets of the same task (env id) as one task, e.g. demonstrations plus a DAgger round.

    The merged task keeps the first dataset's place and its weight is the sum of theirs; inside
    it each dataset keeps its share (its weight over the sum), and episodes are drawn by length
    within a dataset. The datasets must have the same observation and action spaces.
    """
    weights = [1.0] * len(tasks) if weights is None else list(weights)
    if len(weights) != len(tasks):
        raise ValueError(f"need one weight per dataset ({len(tasks)}); got {len(weights)}: {weights}")
    merged: dict[str, TaskData] = {}
    total: dict[str, float] = {}
    for task, weight in zip(tasks, weights):
        first = merged.get(task.name)
        if first is None:
            merged[task.name], total[task.name] = task, weight
            continue
        for what, a, b in (("observation", first.obs_codec.space, task.obs_codec.space),
                           ("action", first.act_codec.space, task.act_codec.space)):
            if a != b:
                raise ValueError(f"datasets {first.source} and {task.source} are both {task.name} but their "
                                 f"{what} spaces differ: {a} vs {b}")
        share = total[task.name] + weight
        p = np.concatenate([first.episode_p * total[task.name], task.episode_p * weight]) / share
        merged[task.name] = TaskData(task.name, f"{first.source} + {task.source}", first.obs_codec,
                                     first.act_codec, first.episodes + task.episodes, p)
        total[task.name] = share
    return list(merged.values()), [total[name] for name in merged]


@dataclass
class Batch:
    """B training sequences of L tokens and what the loss needs."""

    tokens: TokenBatch  # (B, L)
    targets: Tensor  # (B, L) long; the action token at each position, -1 where there is none
    lo: Tensor  # (B, L) long; first legal id of each action token
    hi: Tensor  # (B, L) long; one past the last legal id
    task: Tensor  # (B,) long; each sequence's task, as an index into the sampler's tasks

    def to(self, device: torch.device | str) -> Batch:
        return Batch(self.tokens.to(device), self.targets.to(device), self.lo.to(device), self.hi.to(device), self.task.to(device))


class SequenceSampler:
    """Draws training sequences from several tasks; its whole state is one numpy Generator."""

    def __init__(
        self,
        tasks: list[TaskData],
        weights: list[float] | None,
        context_length: int,
        seed: int,
        rank: int = 0,
        prompt_prob: float = 0.25,
        history_noise: float | list[float] = 0.0,
    ):
        """history_noise: the chance that each action token a sequence holds as input (the action
        history the model reads) is replaced by a uniformly random legal one; targets keep the labels.
        One chance for every task, or one per task in `tasks` order."""
        if not tasks:
            raise ValueError("no tasks to sample from")
        weights = [1.0] * len(tasks) if weights is None else list(weights)
        if len(weights) != len(tasks) or any(w < 0 for w in weights) or not sum(weights) > 0:
            raise ValueError(f"need one non-negative weight per task ({len(tasks)}), not all zero; got {weights}")
        self.tasks = tasks
        self.weights = np.asarray(weights, dtype=np.float64) / sum(weights)
        self.context_length = context_length
        self.prompt_prob = prompt_prob
        noise = [history_noise] * len(tasks) if isinstance(history_noise, (int, float)) else list(history_noise)
        if len(noise) != len(tasks) or any(not 0 <= p <= 1 for p in noise):
            raise ValueError(f"need one history noise in [0, 1] for all tasks or one per task ({len(tasks)}); got {history_noise}")
        self.history_noise = torch.tensor(noise, dtype=torch.float64)  # (tasks,)
        self.rng = np.random.default_rng([seed, rank])

    def state_dict(self) -> dict[str, Any]:
        return {"rng": self.rng.bit_generator.state}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.rng.bit_generator.state = state["rng"]

    def sample(self, batch_size: int) -> Batch:
        rows = [self._sequence() for _ in range(batch_size)]
        tokens = TokenBatch.join([r[0] for r in rows], 0)
        task = torch.tensor([r[4] for r in rows])  # (B,)
        batch = Batch(tokens, *(torch.cat([r[i] for r in rows]) for i in (1, 2, 3)), task)
        if bool((self.history_noise > 0).any()):
            self._noise_history(batch)
        return batch

    def _noise_history(self, batch: Batch) -> None:
        """Replace each input action token with its task's chance `history_noise` by a uniform legal
        one, in place."""
        action = batch.targets >= 0  # (B, L): the action tokens, inputs and targets alike
        u = torch.from_numpy(self.rng.random(action.shape))  # (B, L)
        random_ids = batch.lo + (u * (batch.hi - batch.lo)).long()  # uniform in [lo, hi)
        chance = self.history_noise[batch.task][:, None]  # (B, 1)
        flip = action & (torch.from_numpy(self.rng.random(action.shape)) < chance)
        batch.tokens.ids[flip] = random_ids[flip].to(batch.tokens.ids.dtype)

    def _sequence(self):
        """One sequence: its TokenBatch (1, L), targets, lo, hi (1, L) and its task's index."""
        rng = self.rng
        index = int(rng.choice(len(self.tasks), p=self.weights))
        task = self.tasks[index]
        budget = self.context_length // task.step_tokens  # whole timesteps that fit
        segments = []
        if rng.random() < self.prompt_prob:  # a demonstration of the same task first [2.3]
            demo = task.episodes[rng.integers(len(task.episodes))]
            k = min(len(demo.ids), budget // 2)
            if k:
                t0 = len(demo.ids) - k if rng.random() < 0.5 else int(rng.integers(len(demo.ids) - k + 1))
                segments.append((demo, t0, t0 + k))
                budget -= k
        episode = task.episodes[rng.choice(len(task.episodes), p=task.episode_p)]
        k = min(len(episode.ids), budget)
        t0 = int(rng.integers(len(episode.ids) - k + 1))
        segments.append((episode, t0, t0 + k))
        return *task._tokens(segments, self.context_length), index

