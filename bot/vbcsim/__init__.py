"""A VBC simulator on loopback: OAuth, Call Recording and Provisioning APIs, audio, exports.

The integration user (password grant with ``DEMO_USERNAME``/``DEMO_PASSWORD``) is a
dedicated admin user, "VBC Integration", listed among the account's users with extension
100. ``/authorize`` approves the first seeded member unless ``login_hint`` names another.
"""

from bot.vbcsim.data import ACCOUNT_ID, JOHN_SMITH_NUMBER, SimRecording, SimUser
from bot.vbcsim.runner import RunningSimulator, main_sim, start_simulator
from bot.vbcsim.state import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_PASSWORD,
    DEMO_USERNAME,
    SimConfig,
    SimState,
    demo_password_form,
)

__all__ = [
    "ACCOUNT_ID",
    "DEMO_CLIENT_ID",
    "DEMO_CLIENT_SECRET",
    "DEMO_PASSWORD",
    "DEMO_USERNAME",
    "JOHN_SMITH_NUMBER",
    "RunningSimulator",
    "SimConfig",
    "SimRecording",
    "SimState",
    "SimUser",
    "demo_password_form",
    "main_sim",
    "start_simulator",
]
