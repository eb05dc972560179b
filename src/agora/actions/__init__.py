"""OpenAPI actions: a GPT's calls to outside APIs, described by the builder's OpenAPI document and offered to the model as tools."""
