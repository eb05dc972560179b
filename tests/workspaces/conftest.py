from tests.billing.conftest import no_trial, put_on_plan, send_status, signed_up  # noqa: F401 (fixtures and helpers)
from tests.chat.conftest import ChatClient, make_gpt, sse_events, standin_server, upstream  # noqa: F401
from tests.mailbox import smtp  # noqa: F401 (a fixture: team invitations are emailed)
