"""Course search: Korean-aware terms from Kiwi's morphological analysis, stored in an inverted index."""
