"""gato-agent: DeepMind's Gato ("A Generalist Agent", Reed et al. 2022) as a Gymnasium agent runtime."""

from gato_agent.agent import GatoAgent
from gato_agent.config import GatoConfig
from gato_agent.model import Gato

__all__ = ["Gato", "GatoAgent", "GatoConfig"]
__version__ = "0.1.0"
