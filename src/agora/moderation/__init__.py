"""Trust and safety: review states of GPTs in the store, automated checks, the review queue, reports and appeals.

Importing it subscribes the review to the builder's store submissions (agora.moderation.review), hands the
builder its reader of a GPT's review, and installs the message guardrails in the reply engine
(agora.moderation.messages); create_app and the agora command import it.
"""

from agora.moderation import messages as messages
from agora.moderation import review as review
