"""Tools a GPT can use while it answers: the registry they plug into, how a call runs, and the built-in ones."""
