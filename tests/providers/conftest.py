import pytest

from tests.providers.standin import StandIn


@pytest.fixture(scope="session")
def standin_server() -> StandIn:
    return StandIn().start_in_thread()


@pytest.fixture
def upstream(standin_server: StandIn) -> StandIn:
    standin_server.reset()
    return standin_server
