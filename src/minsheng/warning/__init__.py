"""Early warning: bursts, the rules an office sets, and the graded alerts they raise."""
