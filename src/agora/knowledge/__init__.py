"""Knowledge: files a GPT answers from, their ingestion, embedders, hybrid retrieval and citations (issue 17)."""
