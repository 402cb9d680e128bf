"""The text a model learns from: reading and preprocessing a corpus, its vocabulary, its batches."""
