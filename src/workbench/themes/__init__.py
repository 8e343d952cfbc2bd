"""The theme engine.

Embeddings, text preparation, clustering, BERTopic assembly, identity, labels, quotes, metrics.
"""
