"""Trust and safety: review states of GPTs in the store, automated checks, the review queue, reports and appeals.

Importing it subscribes the review to the builder's store submissions (agora.moderation.review) and hands the
builder its reader of a GPT's review; create_app and the agora command import it.
"""

from agora.moderation import review as review
