"""One timestep's tokens: the one place that knows their layout [2.1, 2.2, App. B], and the one frame stacker.

A timestep of a task is, in order [2.1]:

    observation tokens                       separator   action tokens
    [text | image tokens | other values]     [sep]       [one per action dimension]

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
    """

    def __init__(self, obs_codec: ObservationCodec, act_codec: ActionCodec, device: torch.device | str = "cpu"):
        self.obs_codec, self.act_codec, self.config = obs_codec, act_codec, obs_codec.config
        self.device = torch.device(device)
        self.n_obs, self.n_act = obs_codec.num_tokens, act_codec.num_tokens
        self.size = self.n_obs + 1 + self.n_act  # tokens of one timestep
        position = torch.arange(self.size)
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
        self._separator = torch.tensor([self.config.separator_id], device=self.device)

    def stacker(self) -> FrameStacker:
        """A frame stacker of the model's frame_stack (one per stream of episodes: it keeps state)."""
        return FrameStacker(self.config.frame_stack)

    # ----- recorded timesteps: training data, prompts -----

    def encode_episode(self, observations: Any, actions: Any, steps: int) -> tuple[Tensor, Tensor]:
        """`steps` observations and actions of one episode (leading time dim) -> ids (steps, size)
        long with the separators (image slots 0), and its frames resized to the model's size,
        uint8 (steps, num_images, C, H, W), not yet stacked."""
        obs_ids, frames = self.obs_codec.tokenize(observations, steps)
        sep = torch.full((steps, 1), self.config.separator_id, dtype=torch.long)
        return torch.cat([obs_ids, sep, self.act_codec.encode(actions, steps)], 1), frames

    def tokens(self, ids: Tensor, images: Tensor, steps: int) -> TokenBatch:
        """ids (1, L) of `steps` whole timesteps then padding (L >= steps * size) and their stacked
        images uint8 (steps, num_images, patch_channels, H, W) -> TokenBatch (1, L)."""
        length = ids.shape[1]
        return TokenBatch(
            ids,
            self.tiled(self.local_pos, steps, length)[None],
            self.tiled(self.patch_mask, steps, length)[None],
            encoder_input(images, self.config),
            self.patch_idx.repeat(steps),
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
        return self.tokens(ids.reshape(1, -1), self.stacker().sequence(frames, 0, steps), steps)

    # ----- acting -----

    def observation(self, ids: Tensor, images: Tensor) -> TokenBatch:
        """Observation ids (B, n_obs) and stacked images (B, num_images, patch_channels, H, W) ->
        the TokenBatch (B, n_obs) of their observation tokens alone."""
        batch = ids.shape[0]
        return TokenBatch(ids, self.local_pos[: self.n_obs].expand(batch, -1), self.patch_mask[: self.n_obs].expand(batch, -1),
                          encoder_input(images, self.config), self.patch_idx.repeat(batch))

    def encode(self, obs: Any, batch: int) -> TokenBatch:
        """A batch of observations, each the first of its episode (its frame fills its stack) ->
        their observation tokens (batch, n_obs)."""
        ids, frames = self.obs_codec.tokenize(obs, batch)
        return self.observation(ids, self.stacker().push(frames, list(range(batch))))

    def step_input(self, last_action: Tensor, ids: Tensor, images: Tensor) -> TokenBatch:
        """What an acting model reads for one step of B envs: [last action, observation, separator],
        (B, n_obs + 2), on `device`. last_action (B,) on `device`; ids (B, n_obs) and stacked images
        (B, num_images, patch_channels, H, W) from the codec and a stacker."""
        batch = ids.shape[0]
        sequence = torch.cat([last_action[:, None], ids.to(self.device), self._separator.expand(batch, 1)], 1)
        return TokenBatch(sequence, self._step_local_pos.expand(batch, -1), self._step_patch_mask.expand(batch, -1),
                          encoder_input(images, self.config).to(self.device), self.patch_idx.repeat(batch).to(self.device))

    def action_input(self, ids: Tensor) -> TokenBatch:
        """One action token per env, ids (B,) on `device` -> TokenBatch (B, 1): no local position, no image."""
        batch = ids.shape[0]
        return TokenBatch(ids[:, None], torch.zeros((batch, 1), dtype=torch.long, device=self.device),
                          torch.zeros((batch, 1), dtype=torch.bool, device=self.device),
                          torch.zeros((0, *input_shape(self.config)), device=self.device),
                          torch.zeros(0, dtype=torch.long, device=self.device))
