"""The catalogue: categories and what visitors browse."""

# Loading any part of the store subscribes it to the events it follows (usage moves trending).
from agora.store import trending as trending
