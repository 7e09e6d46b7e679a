"""Chinese text analysis: segment, keywords, places, departments, sentiment, classify, dedupe, PII."""
