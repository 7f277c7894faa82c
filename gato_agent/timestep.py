"""One timestep's tokens: the one place that knows their layout [2.1, 2.2, App. B], and the one frame stacker.

A timestep of a task is, in order [2.1]:

    observation tokens                       separator   action tokens
    [text | image tokens | other values]     [sep]       [one per action dimension]

With the compact vector layout (GatoConfig.vector_encoding "linear", gato_agent.vectors) each
continuous observation vector among the other values is one token, not one per float. Episodes are
stored as the codec tokenizes them (`stored_size` ids a timestep, one per float); `model_ids` and
`vector_values` make the model's tokens from them.

Observation tokens come from `spaces.ObservationCodec` (text first, then images, then every other
value row-major, Dict entries by sorted key, Tuple entries in order); each has a local position
1, 2, ... [2.2], the separator and the actions have none (0). Image tokens are not ids: the image
encoder reads the frames (gato_agent.images), stacked `frame_stack` deep by `FrameStacker`.

Acting (GatoAgent), training data (gato_agent.data, whose targets and legal ranges the loss reads),
prompts and the benchmarks all build their tokens here.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from gato_agent.images import encoder_input, input_shape, tokens_per_image
from gato_agent.spaces import ActionCodec, ObservationCodec, slice_time
from gato_agent.tokenizer import TokenBatch
from gato_agent.vectors import is_compact, vector_input

__all__ = ["FrameStacker", "Timestep"]


class FrameStacker:
    """Stacks of the last `k` frames of an episode as channels, oldest first; before the episode's
    first frame, that frame repeats (what an agent sees at a reset). The same stacks for a recorded
    episode (`sequence`, `gather`) and for envs stepping live (`push`).

    Args:
        k: frames a stack holds (GatoConfig.frame_stack); 1 passes frames through.
    """

    def __init__(self, k: int):
        self.k = k
        self._last: Tensor | None = None  # live: (B, k, ..., C, H, W) each env's last k frames

    def gather(self, frames: Tensor, steps: Tensor, first: Tensor | int = 0) -> Tensor:
        """Frames (N, ..., C, H, W) of episodes laid end to end -> the stacks of `steps` (S,),
        (S, ..., k * C, H, W); `first` (S,) or an int: the index of each step's episode start."""
        index = steps[:, None] + torch.arange(1 - self.k, 1)[None]  # (S, k)
        index = index.clamp(min=first) if isinstance(first, int) else index.maximum(first[:, None])
        return _as_channels(frames[index])

    def sequence(self, frames: Tensor, t0: int, t1: int) -> Tensor:
        """Frames of one episode (T, ..., C, H, W) -> the stacks of steps [t0, t1), (t1 - t0, ..., k * C, H, W)."""
        return self.gather(frames, torch.arange(t0, t1))

    def push(self, frames: Tensor, new: list[int]) -> Tensor:
        """Each env's next frame (B, ..., C, H, W) -> its stack (B, ..., k * C, H, W); the envs in
        `new` start an episode with this frame (their stack is it, k times)."""
        if self.k == 1:
            return frames
        if self._last is None:
            self._last = frames.new_zeros((frames.shape[0], self.k, *frames.shape[1:]))
        self._last = torch.cat([self._last[:, 1:], frames[:, None]], 1)  # (B, k, ..., C, H, W)
        self._last[new] = frames[new, None]
        return _as_channels(self._last)


def _as_channels(stacks: Tensor) -> Tensor:
    """(S, k, ..., C, H, W) -> (S, ..., k * C, H, W): the k frames as channels, oldest first."""
    x = stacks.movedim(1, -4)  # (S, ..., k, C, H, W)
    return x.reshape(*x.shape[:-4], x.shape[-4] * x.shape[-3], *x.shape[-2:])


class Timestep:
    """The token layout of one task's timesteps, and the TokenBatches made to it.

    Args:
        obs_codec: the task's observation codec (what its observation tokens are).
        act_codec: the task's action codec (one token per action dimension, and its legal ids).
        device: where the acting tensors (`step_input`) are made.

    Every per-position array is (size,) over [observation, separator, actions].
    Raises ValueError when a vector of the compact layout has more floats than max_vector_size.
    """

    def __init__(self, obs_codec: ObservationCodec, act_codec: ActionCodec, device: torch.device | str = "cpu"):
        self.obs_codec, self.act_codec, self.config = obs_codec, act_codec, obs_codec.config
        self.device = torch.device(device)
        self.n_act = act_codec.num_tokens
        self.stored_size = obs_codec.num_tokens + 1 + self.n_act  # ids of one timestep as stored (one per float)
        vectors = _vector_slots(obs_codec)  # (first stored position, floats) of each one-token vector
        skipped = {start + i for start, n in vectors for i in range(1, n)}
        self._keep_obs = torch.tensor([i for i in range(obs_codec.num_tokens) if i not in skipped], dtype=torch.long)
        self.n_obs = len(self._keep_obs)  # observation tokens the model reads
        self.size = self.n_obs + 1 + self.n_act  # tokens of one timestep
        self._keep = torch.cat([self._keep_obs, torch.arange(obs_codec.num_tokens, self.stored_size)])  # (size,)
        self.num_vectors, width = len(vectors), self.config.max_vector_size
        self._vector_src = torch.zeros(self.num_vectors, width, dtype=torch.long)  # (num_vectors, V) stored positions
        self._vector_valid = torch.zeros(self.num_vectors, width, dtype=torch.bool)  # (num_vectors, V) False: padding
        for v, (start, n) in enumerate(vectors):
            self._vector_src[v, :n], self._vector_valid[v, :n] = torch.arange(start, start + n), True
        position = torch.arange(self.size)
        vector_slots = torch.searchsorted(self._keep_obs, torch.tensor([start for start, _ in vectors], dtype=torch.long))
        self.vector_mask = torch.isin(position, vector_slots)  # (size,) True where a one-token vector sits
        first_image, num_patches = obs_codec.num_text, obs_codec.num_patches
        self.local_pos = torch.where(position < self.n_obs, position + 1, 0)  # (size,) [2.2]
        self.patch_mask = (position >= first_image) & (position < first_image + num_patches)  # (size,)
        self.is_action = position > self.n_obs  # (size,)
        self.lo = torch.zeros(self.size, dtype=torch.long)  # (size,) first legal id of each action token
        self.hi = torch.zeros(self.size, dtype=torch.long)  # (size,) one past its last
        for d, (lo, hi) in enumerate(act_codec.ranges):
            self.lo[self.n_obs + 1 + d], self.hi[self.n_obs + 1 + d] = lo, hi
        self.patch_idx = torch.arange(tokens_per_image(self.config)).repeat(obs_codec.num_images)  # (num_patches,)
        edge = torch.zeros(1, dtype=torch.long)  # acting: [last action, observation, separator]
        self._step_local_pos = torch.cat([edge, self.local_pos[: self.n_obs], edge]).to(self.device)  # (n_obs + 2,)
        self._step_patch_mask = torch.cat([edge.bool(), self.patch_mask[: self.n_obs], edge.bool()]).to(self.device)
        self._step_vector_mask = torch.cat([edge.bool(), self.vector_mask[: self.n_obs], edge.bool()]).to(self.device)
        self._separator = torch.tensor([self.config.separator_id], device=self.device)

    def stacker(self) -> FrameStacker:
        """A frame stacker of the model's frame_stack (one per stream of episodes: it keeps state)."""
        return FrameStacker(self.config.frame_stack)

    # ----- recorded timesteps: training data, prompts -----

    def encode_episode(self, observations: Any, actions: Any, steps: int) -> tuple[Tensor, Tensor]:
        """`steps` observations and actions of one episode (leading time dim) -> ids (steps, stored_size)
        long with the separators (image slots 0), and its frames resized to the model's size,
        uint8 (steps, num_images, C, H, W), not yet stacked."""
        obs_ids, frames = self.obs_codec.tokenize(observations, steps)
        sep = torch.full((steps, 1), self.config.separator_id, dtype=torch.long)
        return torch.cat([obs_ids, sep, self.act_codec.encode(actions, steps)], 1), frames

    def model_ids(self, stored: Tensor) -> Tensor:
        """Timesteps as stored (..., stored_size) -> the model's ids (..., size): a one-token vector's
        slot holds 0 (its floats are `vector_values`). The same tensor without one-token vectors."""
        if not self.num_vectors:
            return stored
        return stored[..., self._keep].masked_fill(self.vector_mask, 0)

    def vector_values(self, stored: Tensor) -> Tensor:
        """Timesteps (or observations) as stored (N, >= the observation's ids) -> the one-token vectors'
        encoder input (N * num_vectors, max_vector_size) float, in token order."""
        return vector_input(stored[:, self._vector_src], self._vector_valid, self.config).flatten(0, 1)

    def tokens(self, ids: Tensor, images: Tensor, steps: int, vectors: Tensor | None = None) -> TokenBatch:
        """The model's ids (1, L) of `steps` whole timesteps then padding (L >= steps * size), their
        stacked images uint8 (steps, num_images, patch_channels, H, W) and with one-token vectors
        their `vector_values` (steps * num_vectors, max_vector_size) -> TokenBatch (1, L)."""
        length = ids.shape[1]
        return TokenBatch(
            ids,
            self.tiled(self.local_pos, steps, length)[None],
            self.tiled(self.patch_mask, steps, length)[None],
            encoder_input(images, self.config),
            self.patch_idx.repeat(steps),
            None if vectors is None else self.tiled(self.vector_mask, steps, length)[None],
            vectors,
        )

    def tiled(self, per_position: Tensor, steps: int, length: int) -> Tensor:
        """A per-position array (size,) repeated for `steps` timesteps, padded with zeros (False) to `length`."""
        pad = per_position.new_zeros(length - steps * self.size)
        return torch.cat([per_position.repeat(steps), pad])

    def episode(self, observations: Any, actions: Any) -> TokenBatch:
        """A demonstration (observations with a leading time dim T or more, actions T) -> its T
        timesteps as one TokenBatch (1, T * size), frames stacked along time."""
        steps = len(actions)
        ids, frames = self.encode_episode(slice_time(observations, steps), actions, steps)
        vectors = self.vector_values(ids) if self.num_vectors else None
        return self.tokens(self.model_ids(ids).reshape(1, -1), self.stacker().sequence(frames, 0, steps), steps, vectors)

    # ----- acting -----

    def observation(self, ids: Tensor, images: Tensor) -> TokenBatch:
        """Observation ids as the codec makes them (B, obs_codec.num_tokens) and stacked images
        (B, num_images, patch_channels, H, W) -> the TokenBatch (B, n_obs) of their observation tokens alone."""
        batch = ids.shape[0]
        ids, vector_mask, vectors = self._compact(ids, self.vector_mask[: self.n_obs])
        return TokenBatch(ids, self.local_pos[: self.n_obs].expand(batch, -1), self.patch_mask[: self.n_obs].expand(batch, -1),
                          encoder_input(images, self.config), self.patch_idx.repeat(batch), vector_mask, vectors)

    def _compact(self, ids: Tensor, mask: Tensor) -> tuple[Tensor, Tensor | None, Tensor | None]:
        """Observation ids as the codec makes them (B, obs_codec.num_tokens) -> the model's (B, n_obs),
        the vector mask (`mask` expanded to B rows) and the vectors; without one-token vectors: ids, None, None."""
        if not self.num_vectors:
            return ids, None, None
        vectors = self.vector_values(ids)
        return ids[:, self._keep_obs].masked_fill(self.vector_mask[: self.n_obs], 0), mask.expand(ids.shape[0], -1), vectors

    def encode(self, obs: Any, batch: int) -> TokenBatch:
        """A batch of observations, each the first of its episode (its frame fills its stack) ->
        their observation tokens (batch, n_obs)."""
        ids, frames = self.obs_codec.tokenize(obs, batch)
        return self.observation(ids, self.stacker().push(frames, list(range(batch))))

    def step_input(self, last_action: Tensor, ids: Tensor, images: Tensor) -> TokenBatch:
        """What an acting model reads for one step of B envs: [last action, observation, separator],
        (B, n_obs + 2), on `device`. last_action (B,) on `device`; ids (B, obs_codec.num_tokens) and
        stacked images (B, num_images, patch_channels, H, W) from the codec and a stacker."""
        batch = ids.shape[0]
        ids, vector_mask, vectors = self._compact(ids, self._step_vector_mask)
        sequence = torch.cat([last_action[:, None], ids.to(self.device), self._separator.expand(batch, 1)], 1)
        return TokenBatch(sequence, self._step_local_pos.expand(batch, -1), self._step_patch_mask.expand(batch, -1),
                          encoder_input(images, self.config).to(self.device), self.patch_idx.repeat(batch).to(self.device),
                          vector_mask, None if vectors is None else vectors.to(self.device))

    def action_input(self, ids: Tensor) -> TokenBatch:
        """One action token per env, ids (B,) on `device` -> TokenBatch (B, 1): no local position, no image."""
        batch = ids.shape[0]
        return TokenBatch(ids[:, None], torch.zeros((batch, 1), dtype=torch.long, device=self.device),
                          torch.zeros((batch, 1), dtype=torch.bool, device=self.device),
                          torch.zeros((0, *input_shape(self.config)), device=self.device),
                          torch.zeros(0, dtype=torch.long, device=self.device))


def _vector_slots(obs_codec: ObservationCodec) -> list[tuple[int, int]]:
    """(first stored position, floats) of each continuous observation vector that the model reads as
    one token (vector_encoding "linear", at least min_vector_size floats); [] with the paper's "tokens"."""
    config = obs_codec.config
    if not is_compact(config):
        return []
    slots, start = [], 0
    for leaf in obs_codec.leaves:
        if leaf.kind == "continuous" and leaf.num_tokens >= config.min_vector_size:
            if leaf.num_tokens > config.max_vector_size:
                raise ValueError(f"{leaf.path} holds {leaf.num_tokens} floats, more than max_vector_size="
                                 f"{config.max_vector_size} of the compact vector layout; raise max_vector_size")
            slots.append((start, leaf.num_tokens))
        start += leaf.num_tokens
    return slots
