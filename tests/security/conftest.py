"""The integration tests' whole stack (simulator, fake Slack, the bot over HTTP), for flows here."""

from tests.integration.conftest import stack as stack
