"""Distributed outside torchrun: one rank, the model as it is. (Two ranks: tests/test_train.py.)"""

import torch

from gato_agent.distributed import Distributed
from gato_agent.model import Gato
from gato_agent.optim import build_optimizer


def test_a_single_process_is_rank_zero_of_one(micro_config, monkeypatch):
    for key in ("WORLD_SIZE", "RANK", "LOCAL_RANK"):
        monkeypatch.delenv(key, raising=False)
    env = Distributed("cpu")
    assert (env.world, env.rank, env.main, env.device) == (1, 0, True, torch.device("cpu"))
    assert env.gather({"a": 1}) == [{"a": 1}]
    model = Gato(micro_config)
    for strategy in ("ddp", "fsdp"):
        assert env.wrap(model, strategy) is model and not env.sharded(strategy)
    optimizer = build_optimizer(model, 1e-3, 0.1, env.device)
    assert env.full_weights(model, "fsdp").keys() == model.state_dict().keys()
    env.load_optimizer_state(model, optimizer, env.optimizer_state(model, optimizer, "fsdp"), "fsdp")
    env.close(finished=True)
