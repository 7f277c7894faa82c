"""Mixed precision: autocast types, the fp16 loss scale, the defaults."""

import pytest
import torch

from gato_agent.precision import MixedPrecision, resolve_precision

CPU = torch.device("cpu")


def test_auto_is_fp32_on_cpu_and_names_are_checked():
    assert resolve_precision("auto", CPU) == "fp32"
    assert resolve_precision("bf16", CPU) == "bf16"
    with pytest.raises(ValueError, match="unknown precision 'fp8'"):
        resolve_precision("fp8", CPU)


@pytest.mark.parametrize("name,dtype", [("fp32", torch.float32), ("bf16", torch.bfloat16), ("fp16", torch.float16)])
def test_autocast_runs_matmuls_in_the_chosen_type_and_weights_stay_fp32(name, dtype):
    torch.manual_seed(0)
    layer = torch.nn.Linear(8, 4)
    optimizer = torch.optim.SGD(layer.parameters(), lr=0.1)
    amp = MixedPrecision(name, CPU)
    with amp.autocast():
        y = layer(torch.randn(3, 8))
    assert y.dtype == dtype
    before = layer.weight.detach().clone()
    norm = amp.step(y.float().pow(2).mean(), optimizer, layer.parameters(), grad_clip=1.0)
    assert layer.weight.dtype == torch.float32 and not torch.equal(layer.weight, before) and norm > 0
    assert bool(amp.state_dict()) == (name == "fp16")  # only fp16 scales the loss


def test_the_loss_scale_round_trips():
    layer = torch.nn.Linear(2, 1)
    amp = MixedPrecision("fp16", CPU)
    amp.step(layer(torch.ones(1, 2)).sum() * float("inf"), torch.optim.SGD(layer.parameters(), lr=0.1), layer.parameters(), 1.0)
    assert amp.scaler.get_scale() == 2.0**15  # an overflowing step halves the scale (and is skipped)
    again = MixedPrecision("fp16", CPU)
    again.load_state_dict(amp.state_dict())
    assert again.scaler.get_scale() == 2.0**15 and again.state_dict() == amp.state_dict()
