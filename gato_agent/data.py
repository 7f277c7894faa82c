"""Behaviour-cloning data: Minari episodes -> Gato token sequences of whole timesteps [2.3].

Each dataset is one task. Its episodes are read from their files and tokenized when a sequence
first needs them, and kept in a bounded cache (gato_agent.episodes): ids (T, step_tokens) with the
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
from typing import Any

import numpy as np
import torch
from torch import Tensor

from gato_agent.config import GatoConfig
from gato_agent.episodes import DEFAULT_CACHE_BYTES, Episode, EpisodeStore
from gato_agent.minari_episodes import MinariEpisodes, open_minari
from gato_agent.model import SHARED_WINDOW
from gato_agent.space_checks import check_actions
from gato_agent.spaces import ActionCodec, ObservationCodec, slice_time
from gato_agent.timestep import Timestep
from gato_agent.tokenizer import TokenBatch

__all__ = ["Episode", "TaskData", "Batch", "SequenceSampler", "load_task", "merge_tasks", "open_minari", "tokenize_steps"]


@dataclass
class TaskData:
    """One task's tokenized episodes and the fixed layout of its timesteps."""

    name: str  # the env id
    source: str  # where the episodes came from
    obs_codec: ObservationCodec
    act_codec: ActionCodec
    episodes: EpisodeStore  # (a list of Episodes is made a store)
    episode_p: np.ndarray | None = None  # (episodes,) chance of drawing each; default: by length

    def __post_init__(self) -> None:
        self.timestep = Timestep(self.obs_codec, self.act_codec)  # the token layout of its timesteps
        self.step_tokens = self.timestep.size
        if not isinstance(self.episodes, EpisodeStore):
            self.episodes = EpisodeStore.of(list(self.episodes))
        self.lengths = self.episodes.lengths  # (episodes,)
        self.returns = self.episodes.returns  # (episodes,)
        if self.episode_p is None:
            self.episode_p = self.lengths / self.lengths.sum()

    @property
    def num_steps(self) -> int:
        return int(self.lengths.sum())

    def prompt(self, max_tokens: int) -> TokenBatch:
        """The end of the best episode, as many whole timesteps as fit in `max_tokens` [2.4]."""
        best = self.episodes[int(np.argmax(self.returns))]
        k = min(len(best.ids), max_tokens // self.step_tokens)
        t = len(best.ids)
        return self._tokens([(best, t - k, t)], k * self.step_tokens)[0]

    def _tokens(self, segments: list[tuple[Episode, int, int]], length: int) -> tuple[TokenBatch, Tensor, Tensor, Tensor]:
        """Concatenated segments padded to `length`: TokenBatch (1, length), targets, lo, hi (1, length)."""
        steps = sum(t1 - t0 for _, t0, t1 in segments)
        used = steps * self.step_tokens
        layout, stacker = self.timestep, self.timestep.stacker()
        inputs = torch.from_numpy(np.concatenate([e.inputs(t0, t1) for e, t0, t1 in segments]))  # (steps, stored_size)
        ids = torch.zeros(length, dtype=torch.long)  # model inputs
        ids[:used] = layout.model_ids(inputs).reshape(-1)
        labels = torch.zeros(length, dtype=torch.long)
        labels[:used] = layout.model_ids(torch.from_numpy(np.concatenate([e.ids[t0:t1] for e, t0, t1 in segments]))).reshape(-1)
        images = torch.cat([stacker.sequence(torch.from_numpy(e.images), t0, t1) for e, t0, t1 in segments])
        vectors = layout.vector_values(inputs) if layout.num_vectors else None  # one-token observation vectors
        tokens = layout.tokens(ids[None], images, steps, vectors)
        targets = torch.where(layout.tiled(layout.is_action, steps, length), labels, -1)[None]
        return tokens, targets, layout.tiled(layout.lo, steps, length)[None], layout.tiled(layout.hi, steps, length)[None]


def tokenize_steps(obs_codec: ObservationCodec, act_codec: ActionCodec, observations: Any, actions: Any,
                   steps: int) -> tuple[np.ndarray, np.ndarray]:
    """One episode's first `steps` observations and actions -> ids (steps, Timestep.stored_size) int32 (the
    observation tokens, the separator, the action tokens) and its frames (steps, num_images, C, H, W) uint8."""
    ids, images = Timestep(obs_codec, act_codec).encode_episode(slice_time(observations, steps), actions, steps)
    return ids.to(torch.int32).numpy(), images.numpy()


def load_task(
    source: str | os.PathLike, config: GatoConfig, name: str | None = None, executed_actions: bool = True,
    cache_bytes: int = DEFAULT_CACHE_BYTES,
) -> TaskData:
    """A Minari dataset as one task; its episodes are read and tokenized when first sampled, and
    kept in a cache of at most `cache_bytes` (gato_agent.episodes).

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
    try:
        reader = MinariEpisodes(dataset, _MinariTokenizer(obs_codec, act_codec, str(source), task, executed_actions))
        for episode_id, actions in reader.actions():  # the labels only: small beside the observations
            check_actions(actions, dataset.action_space, len(actions), f"dataset {source} ({task}), episode {episode_id}")
    except OSError as e:  # h5py: a corrupt or truncated file
        raise ValueError(f"dataset {source} ({task}): its main_data.hdf5 cannot be read ({_first_line(e)}); "
                         "copy or collect it again") from None
    if not len(reader.lengths):
        raise ValueError(f"dataset {source} ({task}) has no episodes with at least one step")
    data = TaskData(task, str(source), obs_codec, act_codec, EpisodeStore([reader], cache_bytes))
    if data.step_tokens > config.context_length:
        raise ValueError(f"{task}: one timestep is {data.step_tokens} tokens, more than the context of {config.context_length}")
    return data


@dataclass
class _MinariTokenizer:
    """A Minari episode -> its Episode; an object, not a closure, so that DataLoader workers started
    by spawn or forkserver can be sent it."""

    obs_codec: ObservationCodec
    act_codec: ActionCodec
    source: str  # for messages
    task: str  # for messages
    executed_actions: bool  # read infos["executed_action"] as the history

    def __call__(self, ep: Any) -> Episode:
        where = f"dataset {self.source} ({self.task}), episode {ep.id}"
        steps = len(ep.actions)
        try:
            ids, images = tokenize_steps(self.obs_codec, self.act_codec, ep.observations, ep.actions, steps)
        except ValueError as e:
            raise ValueError(f"{where}: {e}") from None
        executed = (ep.infos or {}).get("executed_action") if self.executed_actions else None
        if executed is not None:
            if len(executed) != steps:
                raise ValueError(f"{where}: {len(executed)} executed actions for {steps} steps "
                                 "(infos['executed_action'] must align with the actions)")
            check_actions(executed, self.act_codec.space, steps, f"{where}, infos['executed_action']")
            executed = self.act_codec.encode(executed, steps).to(torch.int32).numpy()
        return Episode(ids, images, float(np.sum(ep.rewards)), executed)


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
    windows: Tensor | None = None  # (B, L) long: the window of its row each token is in (a task with
    # context_steps packs several into a row, each attending only within itself and to the row's
    # prompt, window SHARED_WINDOW); None: one a row

    def to(self, device: torch.device | str) -> Batch:
        windows = None if self.windows is None else self.windows.to(device)
        return Batch(self.tokens.to(device), self.targets.to(device), self.lo.to(device), self.hi.to(device), self.task.to(device),
                     windows)


class SequenceSampler:
    """Draws training sequences from several tasks. Sequence i of a rank is a pure function of
    (seed, rank, i): each is drawn with its own numpy Generator, so any batch can be built anywhere
    (in a DataLoader worker, after --resume) and batches of B rows over N micro-batches hold the
    same sequences as one batch of N * B rows. The whole state is the count of sequences drawn."""

    def __init__(
        self,
        tasks: list[TaskData],
        weights: list[float] | None,
        context_length: int,
        seed: int,
        rank: int = 0,
        prompt_prob: float | list[float] = 0.25,
        history_noise: float | list[float] = 0.0,
        start_prob: float = 0.0,
        context_steps: list[int | None] | None = None,
    ):
        """prompt_prob: the chance that a sequence begins with a demonstration of its task [2.3]
        (at most half the context); one for every task, or one per task in `tasks` order.
        history_noise: the chance that each action token a sequence holds as input (the action
        history the model reads) is replaced by a uniformly random legal one; targets keep the labels.
        One chance for every task, or one per task in `tasks` order.
        start_prob: the chance that a sequence's episode window begins at the episode's first step
        (as the agent's context does at run time); otherwise, and with 0 (the paper's), the window's
        start is uniform over the episode.
        context_steps: per task in `tasks` order, the most timesteps a window of it holds, with no
        prompt of its own (what the agent then acts on: GatoAgent's context_steps); a sequence of such a task
        packs as many windows as fit, each from its own episode and attending only within itself
        (`Batch.windows`); its prompt, when it draws one, is seen by all of them. None: one window of
        as many timesteps as the context holds."""
        if not tasks:
            raise ValueError("no tasks to sample from")
        weights = [1.0] * len(tasks) if weights is None else list(weights)
        if len(weights) != len(tasks) or any(w < 0 for w in weights) or not sum(weights) > 0:
            raise ValueError(f"need one non-negative weight per task ({len(tasks)}), not all zero; got {weights}")
        self.tasks = tasks
        self.weights = np.asarray(weights, dtype=np.float64) / sum(weights)
        self.context_length = context_length
        self.prompt_prob = _per_task("prompt_prob", prompt_prob, len(tasks))  # (tasks,)
        self.history_noise = _per_task("history noise", history_noise, len(tasks))  # (tasks,)
        if not 0 <= start_prob <= 1:
            raise ValueError(f"start_prob is a chance in [0, 1]; got {start_prob}")
        self.start_prob = start_prob
        steps = [None] * len(tasks) if context_steps is None else list(context_steps)
        if len(steps) != len(tasks) or any(n is not None and n < 1 for n in steps):
            raise ValueError(f"need one context_steps (>= 1, or None) per task ({len(tasks)}); got {context_steps}")
        self.context_steps = steps  # (tasks,)
        self.seed, self.rank = seed, rank
        self.next = 0  # the index of the next sequence `sample` draws

    def state_dict(self) -> dict[str, Any]:
        return {"next": self.next}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.next = int(state["next"])

    def sample(self, batch_size: int) -> Batch:
        """The next `batch_size` sequences."""
        batch = self.batch(self.next, batch_size)
        self.next += batch_size
        return batch

    def batch(self, first: int, batch_size: int) -> Batch:
        """Sequences [first, first + batch_size) as one batch (draws nothing from any shared state)."""
        rows = [self._sequence(first + i) for i in range(batch_size)]
        tokens = TokenBatch.join([r[0] for r in rows], 0)
        task = torch.tensor([r[4] for r in rows])  # (B,)
        windows = None
        if any(r[5] is not None for r in rows):
            windows = torch.cat([torch.zeros_like(r[1]) if r[5] is None else r[5] for r in rows])  # (B, L)
        return Batch(tokens, *(torch.cat([r[i] for r in rows]) for i in (1, 2, 3)), task, windows)

    def _sequence(self, i: int):
        """Sequence i: its TokenBatch (1, L), targets, lo, hi (1, L), its task's index and the window
        of each token (1, L), or None for one window."""
        rng = np.random.default_rng([self.seed, self.rank, i])
        index = int(rng.choice(len(self.tasks), p=self.weights))
        task = self.tasks[index]
        budget = self.context_length // task.step_tokens  # whole timesteps that fit
        limit = self.context_steps[index]
        if limit is not None:
            tokens, targets, lo, hi, windows = self._packed(task, index, min(budget, limit), budget, rng)
            return tokens, targets, lo, hi, index, windows
        segments = []
        if rng.random() < self.prompt_prob[index]:  # a demonstration of the same task first [2.3]
            prompt = self._prompt(task, budget // 2, rng)
            if prompt is not None:
                segments.append(prompt)
                budget -= prompt[2] - prompt[1]
        episode = task.episodes[rng.choice(len(task.episodes), p=task.episode_p)]
        k = min(len(episode.ids), budget)
        at_start = self.start_prob > 0 and rng.random() < self.start_prob  # no draw at 0: the paper's stream
        t0 = 0 if at_start else int(rng.integers(len(episode.ids) - k + 1))
        segments.append((episode, t0, t0 + k))
        tokens, targets, lo, hi = task._tokens(segments, self.context_length)
        if self.history_noise[index] > 0:
            _noise_history(tokens.ids, targets, lo, hi, self.history_noise[index], rng)
        return tokens, targets, lo, hi, index, None

    @staticmethod
    def _prompt(task: TaskData, steps: int, rng: np.random.Generator) -> tuple[Episode, int, int] | None:
        """A demonstration's last (or, half the time, any) `steps` timesteps, fewer in a shorter one
        [2.3]; None for 0 steps."""
        demo = task.episodes[rng.integers(len(task.episodes))]
        k = min(len(demo.ids), steps)
        if not k:
            return None
        t0 = len(demo.ids) - k if rng.random() < 0.5 else int(rng.integers(len(demo.ids) - k + 1))
        return demo, t0, t0 + k

    def _packed(self, task: TaskData, index: int, steps: int, budget: int, rng: np.random.Generator):
        """Windows of at most `steps` timesteps, as many as fit in `budget` timesteps (after a prompt,
        drawn with the task's prompt_prob), each from an episode drawn as usual and starting anywhere in it
        uniformly (start_prob aside): their TokenBatch (1, L), targets, lo, hi and window ids (1, L)
        (the prompt's SHARED_WINDOW; the padding is a window of its own)."""
        segments = []
        chance = self.prompt_prob[index]  # no draw at 0: a stream without prompts stays as it was
        if chance > 0 and min(budget // 2, budget - steps) > 0 and rng.random() < chance:
            prompt = self._prompt(task, min(budget // 2, budget - steps), rng)
            segments.append(prompt)
            budget -= prompt[2] - prompt[1]
        prompted = len(segments)
        count = max(1, budget // steps)
        for _ in range(count):
            episode = task.episodes[rng.choice(len(task.episodes), p=task.episode_p)]
            k = min(len(episode.ids), steps)
            t0 = int(rng.integers(len(episode.ids) - k + 1))  # uniform: a short window holds an episode's
            # first steps about as often as any others, which start_prob exists to make up for in long ones
            segments.append((episode, t0, t0 + k))
        tokens, targets, lo, hi = task._tokens(segments, self.context_length)
        if self.history_noise[index] > 0:
            _noise_history(tokens.ids, targets, lo, hi, self.history_noise[index], rng)
        sizes = [(t1 - t0) * task.step_tokens for _, t0, t1 in segments]
        ids = torch.cat([torch.full((prompted,), SHARED_WINDOW), torch.arange(count)])  # (prompted + count,)
        windows = torch.full((1, self.context_length), count, dtype=torch.long)
        windows[0, : sum(sizes)] = torch.repeat_interleave(ids, torch.tensor(sizes))
        return tokens, targets, lo, hi, windows


def _per_task(name: str, chance: float | list[float], count: int) -> list[float]:
    """One chance in [0, 1] for every task, or one per task, as a list of `count`."""
    chances = [chance] * count if isinstance(chance, (int, float)) else list(chance)
    if len(chances) != count or any(not 0 <= p <= 1 for p in chances):
        raise ValueError(f"need one {name} in [0, 1] for all tasks or one per task ({count}); got {chance}")
    return chances


def _noise_history(ids: Tensor, targets: Tensor, lo: Tensor, hi: Tensor, chance: float, rng: np.random.Generator) -> None:
    """Replace each input action token of one sequence (1, L) with chance `chance` by a uniform
    legal one, in place; the targets keep the labels."""
    action = targets >= 0  # (1, L): the action tokens, inputs and targets alike
    u = torch.from_numpy(rng.random(action.shape))  # (1, L)
    random_ids = lo + (u * (hi - lo)).long()  # uniform in [lo, hi)
    flip = action & (torch.from_numpy(rng.random(action.shape)) < chance)
    ids[flip] = random_ids[flip].to(ids.dtype)
