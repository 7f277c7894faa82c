"""GatoAgent: a Gato model acting in Gymnasium envs, one or many at once.

The road from an observation to an action, per env step:

    obs -> ObservationCodec.tokenize (ids, frames; gato_agent.spaces)
        -> FrameStacker.push, Timestep.step_input: [last action, observation tokens, separator]
           (gato_agent.timestep; the image encoder's input from gato_agent.images)
        -> prefill (KV cache) -> logits (or a regression head's value) of action dim 0 at the separator
        -> decode one token per further action dim -> ActionCodec.decode -> action

The last action token of a step is fed at the start of the next step's prefill, so a one-dimensional
action costs one model call per step. Each env is its own row of the KV cache with its own positions;
resetting one env empties its row and leaves the others untouched.

Speed (`benchmarks/act.py` measures it): the per-step token layout is fixed by the spaces, so its
constant parts are built once; which envs start an episode is known on the host, so a step without
padding attends over the filled part of the cache only; the decode of further action dims has static
shapes and can be compiled (`compile=True`). Nothing in the loop reads a tensor back to the host but
the chosen action ids, once per step.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from numbers import Integral
from os import PathLike
from typing import Any

import numpy as np
import torch
from gymnasium import spaces
from torch import Tensor

from gato_agent.device import resolve_device, resolve_dtype
from gato_agent.model import Gato
from gato_agent.spaces import ActionCodec, ObservationCodec
from gato_agent.text import TextTokenizer
from gato_agent.timestep import Timestep
from gato_agent.tokenizer import TokenBatch, continuous_to_bins

__all__ = ["GatoAgent"]


class GatoAgent:
    """Acts with a Gato model in envs with the given observation and action spaces.

    Args:
        model: the Gato network (put in eval mode; shared, not copied).
        observation_space: the space of one env's observations (a VectorEnv's `single_observation_space`).
        action_space: the space of one env's actions.
        num_envs: how many envs act in lock-step; `act` then takes and returns batches of that size.
        use_cache: keep a KV cache (True) or recompute the whole context at every model call (False,
            the baseline the cache is measured against).
        temperature: 0 picks the most likely action token; above 0 samples with that temperature. (A
            model with a regression head for continuous actions reads those off it, whatever this is.)
        prompt: an optional demonstration that conditions every episode [2.4]: a dict with
            "observations" (leading time dim T or T+1) and "actions" (leading dim T), or a
            TokenBatch of one row. Only its last whole timesteps that fit in `max_prompt_tokens` are kept.
        max_prompt_tokens: token budget of the prompt; default half the context.
        seed: seeds the sampling generator (temperature > 0).
        compile: `torch.compile` the decode step of action dims after the first (needs the cache;
            it then attends over the whole buffer, a static shape). The first call compiles (tens of
            seconds, and a C++ toolchain); on a 2-core CPU it made the tiny preset's 6-dim MuJoCo
            step 5-15% faster and the small preset's within noise (`benchmarks/act.py --compile`),
            so it is off by default. A one-dimensional action has no decode step to compile.
        text_tokenizer: the tokenizer of text observations; default: the one shipped in the package
            (`from_pretrained` passes the checkpoint's own).
        device: where to act ("cpu", "cuda", "cuda:N", "mps"; see gato_agent.device): the model is
            moved there (in place: it is shared) and the KV cache is made there; None: where the
            model's parameters are. A device this machine lacks is a ValueError naming it.
        dtype: the type the model's matrix products run in while acting (torch.autocast; "float32",
            "bfloat16", "float16" or a torch.dtype); None: the parameters' own.
        context_steps: act on the last this many timesteps only, the current one included, each whole
            (the oldest begins at its first observation token): what a task trained with `gato-train
            --task-context-steps` saw, which its checkpoint task records and `from_pretrained` passes
            on. None: as many tokens as the model's context holds. With a prompt (a task trained
            with `gato-train --window-prompts`), the context is the prompt, then those timesteps,
            laid right after it at every step. Above 1, every step recomputes those timesteps (no KV
            cache, whose keys would come from hidden states that saw older ones), exactly as in training.
    """

    def __init__(
        self,
        model: Gato,
        observation_space: spaces.Space,
        action_space: spaces.Space,
        num_envs: int = 1,
        use_cache: bool = True,
        temperature: float = 0.0,
        prompt: dict[str, Any] | TokenBatch | None = None,
        max_prompt_tokens: int | None = None,
        seed: int | None = None,
        compile: bool = False,
        text_tokenizer: TextTokenizer | None = None,
        device: str | torch.device | None = None,
        dtype: str | torch.dtype | None = None,
        context_steps: int | None = None,
    ):
        if isinstance(num_envs, bool) or not isinstance(num_envs, Integral) or num_envs < 1:
            raise ValueError(f"num_envs must be an integer >= 1, got {num_envs!r}")
        if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or not (
                math.isfinite(temperature) and temperature >= 0):
            raise ValueError(f"temperature must be a finite number >= 0 (0: greedy), got {temperature!r}")
        if context_steps is not None and (isinstance(context_steps, bool) or not isinstance(context_steps, Integral)
                                          or context_steps < 1):
            raise ValueError(f"context_steps must be an integer >= 1 (None: the whole context), got {context_steps!r}")
        if compile and context_steps is not None and context_steps > 1:
            raise ValueError(f"compile=True compiles the cached decode step, and context_steps={context_steps} recomputes "
                             "its timesteps at every step instead of caching them: pass compile=False")
        if compile and not use_cache:
            raise ValueError("compile=True compiles the cached decode step: it needs use_cache=True")
        if max_prompt_tokens is not None and (isinstance(max_prompt_tokens, bool) or not isinstance(max_prompt_tokens, Integral)
                                              or max_prompt_tokens < 1):
            raise ValueError(f"max_prompt_tokens must be an integer >= 1 (default: half the context), got {max_prompt_tokens!r}")
        self.autocast_dtype = resolve_dtype(dtype)  # None: no autocast (float32 is the parameters' own)
        if self.autocast_dtype == torch.float32:
            self.autocast_dtype = None
        if device is not None:
            model.to(resolve_device(device))
        self.model = model.eval()
        self.config = model.config
        self.observation_space = observation_space
        self.action_space = action_space
        self.obs_codec = ObservationCodec(observation_space, self.config, text_tokenizer)
        self.act_codec = ActionCodec(action_space, self.config)
        self.num_envs = num_envs
        self.temperature = temperature
        self.device = next(model.parameters()).device
        self.timestep = Timestep(self.obs_codec, self.act_codec, self.device)  # the token layout of a step
        self.step_tokens = self.timestep.size
        if self.step_tokens > self.config.context_length:
            raise ValueError(
                f"one timestep is {self.step_tokens} tokens ({self.timestep.n_obs} observation, 1 separator, "
                f"{self.act_codec.num_tokens} action), more than the context of {self.config.context_length}"
            )
        if context_steps is not None and context_steps * self.step_tokens > self.config.context_length:
            raise ValueError(f"context_steps={context_steps} timesteps of {self.step_tokens} tokens do not fit in the context "
                             f"of {self.config.context_length}: at most {self.config.context_length // self.step_tokens}")
        self.context_steps = context_steps
        # with context_steps: the position of the first token of each env's last context_steps timesteps
        self._starts = torch.zeros(num_envs, context_steps or 1, dtype=torch.long, device=self.device)  # (B, N)
        self.generator = torch.Generator(device=self.device)
        if seed is not None:
            self.generator.manual_seed(seed)
        budget = self.config.context_length // 2 if max_prompt_tokens is None else max_prompt_tokens
        self.prompt = self._prompt_tokens(prompt, budget) if prompt is not None else None
        # the prompt, then the last context_steps timesteps laid after it anew at every step
        self._window_prompt = self.prompt is not None and context_steps is not None
        if self._window_prompt and self.prompt.shape[1] + context_steps * self.step_tokens > self.config.context_length:
            raise ValueError(f"a prompt of {self.prompt.shape[1]} tokens and context_steps={context_steps} timesteps of "
                             f"{self.step_tokens} tokens do not fit in the context of {self.config.context_length}: "
                             "pass a smaller max_prompt_tokens")
        # the longest model call: last action + observation + separator
        chunk = self.timestep.n_obs + 2
        # above one timestep, each step recomputes them: cached keys and values would hold hidden states
        # that saw older timesteps, which the model never saw in training
        self.use_cache = use_cache and (context_steps or 1) == 1
        self.cache = model.new_cache(num_envs, chunk) if self.use_cache else None
        self.compiled = compile
        self._decode = torch.compile(model.decode, dynamic=False) if compile else model.decode
        self._prompt_cache = None
        self._history: list[TokenBatch | None] = [None] * num_envs  # recompute mode: the last tokens of each env
        self._next_pos = torch.zeros(num_envs, dtype=torch.long)  # recompute mode: next position of each env
        self._pending = torch.zeros(num_envs, dtype=torch.long, device=self.device)  # last action token
        self._has_pending = torch.zeros(num_envs, dtype=torch.bool, device=self.device)
        self._fresh: set[int] = set()  # host-side: envs whose next step has no last action to feed
        self._stacker = self.timestep.stacker()  # each env's last frame_stack frames
        self._new_stack: set[int] = set()  # envs whose next frame fills their whole stack (a new episode)
        self.last_logits: list[Tensor] = []  # per action dim, the logits (B, n_d) of the last `act` call
        # (a "regression" model's continuous dims put their values (B,), on the bins' [-1, 1] scale, here instead)
        self.last_values: list[Tensor] = []
        self.reset()

    # ----- episodes -----

    def reset(self, env_ids: Iterable[int] | None = None) -> None:
        """Start new episodes in some envs (all if None); the other envs' episodes go on untouched.

        env_ids: None, or a sequence of env indices in [0, num_envs) (ints, numpy integers), e.g. [1].
        Anything else (a bare int, floats, strings) is a TypeError; an index out of range a ValueError.
        """
        rows = list(range(self.num_envs)) if env_ids is None else self._env_indices(env_ids)
        bad = [i for i in rows if not 0 <= i < self.num_envs]
        if bad:
            raise ValueError(f"env ids {bad} out of range for num_envs={self.num_envs}: accepted are 0 to {self.num_envs - 1}")
        if not rows:
            return
        self._has_pending[rows] = False
        self._starts[rows] = 0
        self._fresh.update(rows)
        self._new_stack.update(rows)
        if self.cache is not None:
            if self.prompt is None:
                self.cache.reset(rows)
            else:
                self.cache.copy_row(self._prefilled_prompt(), 0, rows)
        for i in rows:  # recompute mode: the history starts with the prompt (a window prompt is laid before each context)
            self._history[i] = None if self._window_prompt else self.prompt
            self._next_pos[i] = 0 if self._history[i] is None else self.prompt.shape[1]

    def _env_indices(self, env_ids: Any) -> list[int]:
        """env_ids as a list of ints, or TypeError saying what reset accepts."""
        accepted = f"reset takes None (all envs) or a sequence of env indices in [0, {self.num_envs}), e.g. reset([0])"
        if isinstance(env_ids, Integral) and not isinstance(env_ids, bool):
            raise TypeError(f"{accepted}; got the bare int {env_ids!r}: write reset([{env_ids!r}])")
        if isinstance(env_ids, (str, bytes)) or not isinstance(env_ids, Iterable):
            raise TypeError(f"{accepted}; got {env_ids!r} ({type(env_ids).__name__})")
        ids = list(np.asarray(env_ids).ravel()) if isinstance(env_ids, np.ndarray) else list(env_ids)
        wrong = [i for i in ids if isinstance(i, (bool, np.bool_)) or not isinstance(i, Integral)]
        if wrong:
            raise TypeError(f"{accepted}; got {env_ids!r}, whose {wrong[0]!r} is not an integer")
        return [int(i) for i in ids]

    # ----- acting -----

    @torch.inference_mode()
    def act(self, obs: Any) -> Any:
        """One action per env for the current observation(s).

        With num_envs == 1, `obs` may be a single observation (returns a single action) or a batch of
        one; with num_envs > 1 it must be a batch with that leading size (as from a VectorEnv).
        """
        batched = self.obs_codec.is_batched(obs)
        if self.num_envs > 1 and not batched:
            raise ValueError(f"this agent acts for num_envs={self.num_envs} envs: pass a batch of observations")
        size = _leading_size(obs) if batched else 1
        if size == 0:
            raise ValueError(f"got an empty batch of observations: pass one observation per env ({self.num_envs})")
        if size != self.num_envs:
            raise ValueError(f"got a batch of {size} observations, but this agent was made with num_envs={self.num_envs}: "
                             f"make it with num_envs={size} (GatoAgent(..., num_envs={size})) to act in {size} envs at once")
        if not batched:
            obs = _add_batch_dim(obs)
        ids, frames = self.obs_codec.tokenize(obs, self.num_envs)  # (B, n_obs), frames (B, n_img, C, H, W)
        new_rows = sorted(self._new_stack)  # their first frame fills their whole stack
        self._new_stack.clear()
        step = self.timestep.step_input(self._pending, ids, self._stacker.push(frames, new_rows))  # (B, n_obs + 2)
        valid = None  # every env feeds its last action: no padding
        if self._window_prompt and self.cache is not None:  # the prompt, then this step alone (context_steps 1)
            self.cache.rewind(self.prompt.shape[1])
            valid = torch.ones_like(step.ids, dtype=torch.bool)
            valid[:, 0] = False  # no last action: the step begins at its observation, as in training
        else:
            if self.context_steps is not None:
                self._hide_older_steps()
            if self._fresh:
                valid = torch.cat([self._has_pending[:, None], torch.ones_like(step.ids[:, 1:], dtype=torch.bool)], 1)
        with torch.autocast(self.device.type, self.autocast_dtype, enabled=self.autocast_dtype is not None):
            hidden = self._run(step, valid)
            chosen, self.last_logits, self.last_values = [], [], []
            for d, (lo, hi) in enumerate(self.act_codec.ranges):
                if d:
                    hidden = self._run_action(chosen[-1])
                chosen.append(self._predict(hidden, lo, hi))  # (B,)
        self._pending = chosen[-1]
        self._has_pending[:] = True
        self._fresh.clear()
        actions = self.act_codec.decode(torch.stack(chosen, 1).cpu())  # (B, *action_shape)
        return actions if batched else actions[0]

    def _hide_older_steps(self) -> None:
        """Before a step's tokens go in: hide the tokens before its last context_steps timesteps."""
        next_pos = self.cache.next_pos if self.cache is not None else self._next_pos.to(self.device)  # (B,)
        start = next_pos + self._has_pending.long()  # (B,) this step's first observation token
        self._starts[:, :-1] = self._starts[:, 1:].clone()  # in place: reset() writes these outside inference mode
        self._starts[:, -1] = start  # (B, N); column 0, the oldest position seen, is 0 after a reset
        if self.cache is not None:  # until N steps have passed: the whole episode
            self.cache.floor.copy_(self._starts[:, 0])

    def _predict(self, hidden: Tensor, lo: int, hi: int) -> Tensor:
        """hidden (B, D) before an action dim's token -> the chosen id (B,) in [lo, hi): the regression
        head's value, clipped and binned, for a continuous dim of a "regression" model; else from the logits."""
        if self.model.action_head is not None and lo >= self.config.continuous_offset:
            self.last_values.append(self.model.action_values(hidden).float().clamp(-1.0, 1.0))  # (B,)
            return continuous_to_bins(self.last_values[-1], hi - lo) + lo
        self.last_logits.append(self.model.logits(hidden, lo, hi))  # (B, hi - lo)
        return self._choose(self.last_logits[-1]) + lo

    def _choose(self, logits: Tensor) -> Tensor:
        """logits (B, n) over the legal ids of one action dim -> index (B,) into that range."""
        if self.temperature == 0:
            return logits.argmax(-1)
        probs = torch.softmax(logits.float() / self.temperature, -1)
        return torch.multinomial(probs, 1, generator=self.generator)[:, 0]

    def _run_action(self, ids: Tensor) -> Tensor:
        """Append one action token per env, ids (B,); -> hidden state there (B, D)."""
        if self.cache is None:
            return self._run(self.timestep.action_input(ids), None)
        span = self.cache.reserve(1)
        return self._decode(ids, self.cache, None if self.compiled else span)

    def _run(self, new: TokenBatch, valid: Tensor | None) -> Tensor:
        """Append new tokens (B, T) to every env's context (valid (B, T): False marks padding; None: no
        padding); -> hidden state at the last token (B, D)."""
        if self.cache is not None:
            return self.model.forward_cached(new, self.cache, valid, last_only=True)[:, 0]
        out = []
        for i in range(self.num_envs):
            row = new.row(i)
            if valid is not None and not bool(valid[i, 0]):
                row = row.slice(1, row.shape[1])
            context = row if self._history[i] is None else TokenBatch.cat([self._history[i], row])
            length = context.shape[1]
            context = context.slice(max(0, length - self.config.context_length), length)
            end = int(self._next_pos[i]) + row.shape[1]
            if self.context_steps is not None:  # the context begins at the floor, its position end - length
                context = context.slice(max(0, int(self._starts[i, 0]) - (end - context.shape[1])), context.shape[1])
            if self._window_prompt:  # the prompt right before it (rotary positions: only distances count)
                out.append(self.model(TokenBatch.cat([self.prompt, context]))[:, -1])
            else:
                positions = torch.arange(end - context.shape[1], end, device=self.device)[None]
                out.append(self.model(context, positions)[:, -1])
            self._history[i] = context
            self._next_pos[i] = end
        return torch.cat(out, 0)

    # ----- prompting [2.3, 2.4] -----

    def _prompt_tokens(self, prompt: dict[str, Any] | TokenBatch, budget: int) -> TokenBatch:
        if isinstance(prompt, TokenBatch):
            tokens = prompt.to(self.device)
        else:
            tokens = self.timestep.episode(prompt["observations"], np.asarray(prompt["actions"])).to(self.device)  # (1, T * step)
        length = tokens.shape[1]
        if length % self.step_tokens:
            raise ValueError(f"a prompt of {length} tokens is not a whole number of {self.step_tokens}-token timesteps")
        keep = min(length, budget // self.step_tokens * self.step_tokens)
        if keep == 0:
            raise ValueError(f"a prompt budget of {budget} tokens holds no whole {self.step_tokens}-token timestep")
        return tokens.slice(length - keep, length)  # the demonstration's end [2.4]

    def _prefilled_prompt(self):
        """The prompt's keys and values, computed once and copied into every new episode."""
        if self._prompt_cache is None:
            cache = self.model.new_cache(1, self.cache.chunk)
            with torch.inference_mode():
                self.model.forward_cached(self.prompt, cache, last_only=True)
            self._prompt_cache = cache
        return self._prompt_cache

    # ----- checkpoints -----

    def save_pretrained(self, path: str | PathLike, task: str = "default") -> None:
        """Write the model (safetensors), its config and this task's spaces (JSON), the prompt, and the
        text tokenizer when the observations hold text."""
        from gato_agent.checkpoint import Task, save_checkpoint

        prompt = None if self.prompt is None else self.prompt.to("cpu")
        tasks = {task: Task(self.observation_space, self.action_space, prompt, context_steps=self.context_steps)}
        save_checkpoint(path, self.model, tasks, text_tokenizer=self.obs_codec.text_tokenizer)

    def push_to_hub(self, repo_id: str, task: str = "default", **kwargs: Any) -> str:
        """Upload this agent as a checkpoint to the Hugging Face Hub repo `repo_id`, with a model
        card; -> the commit URL. Keyword arguments (datasets, results, private, token) go to
        `gato_agent.hub.push_to_hub`. Needs `pip install 'gato-agent[hub]'`."""
        import tempfile

        from gato_agent.hub import push_to_hub

        with tempfile.TemporaryDirectory(prefix="gato-agent-") as folder:
            self.save_pretrained(folder, task)
            return push_to_hub(folder, repo_id, **kwargs)

    @classmethod
    def from_pretrained(
        cls,
        path: str | PathLike | None = None,
        task: str | None = None,
        observation_space: spaces.Space | None = None,
        action_space: spaces.Space | None = None,
        **kwargs: Any,
    ) -> GatoAgent:
        """Load an agent from a checkpoint folder (None: the checkpoint embedded in the package) or
        from the Hugging Face Hub (`"org/name"` where no such local folder exists, or `"hf://org/name"`;
        through the Hub cache, so HF_HUB_OFFLINE=1 loads a cached one).

        A checkpoint of several tasks picks `task` by name, or the task whose spaces equal the given
        ones; its prompt demonstration conditions every episode unless `prompt=` says otherwise.
        Spaces that differ from the checkpoint's are a ValueError that shows both. Other keyword
        arguments (num_envs, use_cache, temperature, seed, device, dtype, ...) go to `GatoAgent`.
        """
        from gato_agent.checkpoint import load_checkpoint

        ckpt = load_checkpoint(path)
        chosen = ckpt.select(task, observation_space, action_space)
        kwargs.setdefault("context_steps", chosen.context_steps)
        kwargs.setdefault("prompt", chosen.prompt)
        kwargs.setdefault("text_tokenizer", ckpt.text_tokenizer)
        return cls(ckpt.model, chosen.observation_space, chosen.action_space, **kwargs)


def _leading_size(obs: Any) -> int:
    """The leading (batch) size of an observation nest: that of its first leaf."""
    while isinstance(obs, (dict, tuple)):
        obs = next(iter(obs.values())) if isinstance(obs, dict) else obs[0]
    return len(obs)


def _add_batch_dim(obs: Any) -> Any:
    if isinstance(obs, dict):
        return {k: _add_batch_dim(v) for k, v in obs.items()}
    if isinstance(obs, tuple):
        return tuple(_add_batch_dim(v) for v in obs)
    return np.asarray(obs)[None]
