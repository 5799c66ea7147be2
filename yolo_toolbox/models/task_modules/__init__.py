from .assigners import *  # noqa: F401,F403
from .coders import *  # noqa: F401,F403
