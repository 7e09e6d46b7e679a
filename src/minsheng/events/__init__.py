"""Events: what one thing people are talking about is, grouped from items as they arrive."""
